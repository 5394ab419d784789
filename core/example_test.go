package core_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"regexp"
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

func ExampleBroadcastOperator_EmitWithAck() {
	srv, _ := core.New(core.Config{})
	// Ask every client in the room, on every server of the cluster, and
	// collect one answer each; after 5s, the answers received so far come
	// with core.ErrAckTimeout.
	answers, err := srv.To("voters").Timeout(5*time.Second).EmitWithAck(context.Background(), "vote?", "lunch")
	if errors.Is(err, core.ErrAckTimeout) {
		log.Printf("only %d answers", len(answers))
	}
}

func ExampleNamespace_FetchSockets() {
	srv, _ := core.New(core.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Sockets of every server in the room, as RemoteSockets.
	socks, err := srv.In("admins").FetchSockets(ctx)
	if err != nil {
		return
	}
	for _, s := range socks {
		_ = s.Emit("notice", "maintenance at noon")
		_ = s.Join(ctx, "notified")
	}
}

func ExampleServer_OfRegexp() {
	srv, _ := core.New(core.Config{})
	// Clients may connect to /team-1, /team-2…: each becomes a namespace
	// with the parent's middleware and handlers.
	teams := srv.OfRegexp(regexp.MustCompile(`^/team-\d+$`))
	teams.Use(func(s *core.Socket) error {
		if s.Handshake().Auth["token"] == nil {
			return &core.ConnectError{Message: "unauthorized", Data: map[string]any{"code": "token_missing"}}
		}
		return nil
	})
	teams.OnConnection(func(s *core.Socket) {
		_ = s.Emit("hello", s.Namespace().Name())
	})
}

func ExampleRecoveryConfig() {
	srv, _ := core.New(core.Config{
		// A client that lost its connection for less than two minutes gets
		// back its id, rooms and data, and the events it missed.
		Recovery: &core.RecoveryConfig{MaxDisconnectionDuration: 2 * time.Minute},
	})
	srv.OnConnection(func(s *core.Socket) {
		if s.Recovered() {
			return // rooms and data are back already
		}
		s.Join("lobby")
	})
}

func ExampleNamespace_ServerSideEmitWithAck() {
	srv, _ := core.New(core.Config{})
	// On every server: answer with the number of local sockets.
	srv.Sockets().OnServerSideEmit("count", func(_ []any, ack func(any)) {
		if ack != nil {
			ack(len(srv.Sockets().Sockets()))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// From one server: one answer per other server.
	counts, err := srv.Sockets().ServerSideEmitWithAck(ctx, "count")
	_, _ = counts, err
}
