// Command basic is a small Socket.IO chat server on net/http, with the
// in-memory adapter: open http://localhost:3000 in two browser tabs.
//
//	go run ./examples/basic
//
// It reads PORT (default 3000). Ctrl-C shuts it down cleanly: HTTP first,
// then the Socket.IO server, which closes the WebSocket connections that
// http.Server.Shutdown does not know about.
package main

import (
	"context"
	_ "embed"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-sio/sio/core"
)

//go:embed index.html
var page []byte

func main() {
	srv, err := core.New(core.Config{})
	if err != nil {
		log.Fatal(err)
	}
	srv.OnConnection(func(s *core.Socket) {
		log.Printf("connected %s over %s", s.ID(), s.Transport())
		s.Join("lobby")
		s.On("chat", func(msg string, ack core.Ack) {
			_ = s.To("lobby").Emit("chat", msg)
			ack("ok")
		})
		s.OnDisconnect(func(reason string) {
			log.Printf("disconnected %s: %s", s.ID(), reason)
		})
	})

	mux := http.NewServeMux()
	mux.Handle(srv.Path(), srv)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})

	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	hs := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	hs.RegisterOnShutdown(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	log.Printf("listening on http://localhost:%s", port)
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
