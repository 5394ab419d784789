package core_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/go-sio/sio/core"
)

func ExampleNew() {
	srv, err := core.New(core.Config{}) // the Node server's defaults
	if err != nil {
		log.Fatal(err)
	}
	srv.OnConnection(func(s *core.Socket) {
		s.Join("lobby")
		s.On("chat", func(msg string, ack core.Ack) {
			_ = s.To("lobby").Emit("chat", msg) // the lobby, sender excluded
			ack("ok")
		})
	})
	mux := http.NewServeMux()
	mux.Handle(srv.Path(), srv)
	fmt.Println(srv.Path())
	// Output: /socket.io/
}

func ExampleSocket_On() {
	srv, _ := core.New(core.Config{})
	type Order struct {
		ID    int    `json:"id"`
		Items []int  `json:"items"`
		Note  []byte `json:"note"` // a binary attachment
	}
	srv.OnConnection(func(s *core.Socket) {
		// Arguments are decoded into the declared types.
		s.On("order", func(o Order, ack core.Ack) {
			ack(o.ID, len(o.Items))
		})
		// Raw access, for a variable number of arguments.
		s.On("log", func(args core.Args) {
			vals, _ := args.Values()
			log.Println(vals...)
		})
		// A handler's error goes to the OnError handlers.
		s.On("strict", func(n int) error {
			if n < 0 {
				return fmt.Errorf("negative: %d", n)
			}
			return nil
		})
		s.OnError(func(err error) { log.Println("socket error:", err) })
	})
}

func ExampleSocket_EmitAck() {
	srv, _ := core.New(core.Config{})
	srv.OnConnection(func(s *core.Socket) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// EmitAck does not block: safe inside handlers.
		_ = s.EmitAck(ctx, "question", func(answer core.Args, err error) {
			defer cancel()
			if err != nil { // core.ErrAckTimeout after 5s
				return
			}
			var reply string
			_ = answer.Decode(&reply)
		}, "are you there?")
	})
}

func ExampleServer_Shutdown() {
	srv, _ := core.New(core.Config{})
	hs := &http.Server{Addr: ":3000", Handler: srv}
	// http.Server.Shutdown does not close hijacked WebSocket connections:
	// let it shut the Socket.IO server down too.
	hs.RegisterOnShutdown(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	_ = hs.Shutdown(context.Background())
}
