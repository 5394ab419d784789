// Command cluster is one instance of a Socket.IO cluster on Redis: run it
// twice on two ports and the clients of both see each other's messages.
//
//	REDIS_URL=redis://127.0.0.1:6379 PORT=3001 go run ./examples/cluster
//	REDIS_URL=redis://127.0.0.1:6379 PORT=3002 go run ./examples/cluster
//
// Open http://localhost:3001 and http://localhost:3002: a chat message sent
// on one reaches the other through Redis. ADAPTER=sharded uses the sharded
// adapter (Redis 7+). A Node.js server with @socket.io/redis-adapter on the
// same Redis and key joins the same cluster: see README.md here.
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

	"github.com/redis/go-redis/v9"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/redisadapter"
)

//go:embed index.html
var page []byte

func main() {
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379"
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()

	var adapter core.Adapter
	if os.Getenv("ADAPTER") == "sharded" {
		adapter = redisadapter.NewSharded(rdb, redisadapter.ShardedConfig{})
	} else {
		adapter = redisadapter.New(rdb, redisadapter.Config{})
	}
	srv, err := core.New(core.Config{Adapter: adapter})
	if err != nil {
		log.Fatal(err)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "3001"
	}
	srv.OnConnection(func(s *core.Socket) {
		s.On("chat", func(msg string) {
			// Every client on every instance but the sender.
			_ = s.Broadcast().Emit("chat", "via :"+port+": "+msg)
		})
		s.On("count", func(ack core.Ack) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := srv.Sockets().ServerCount(ctx)
			if err != nil {
				ack(0)
				return
			}
			ack(n)
		})
	})

	mux := http.NewServeMux()
	mux.Handle(srv.Path(), srv)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
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
	log.Printf("instance on http://localhost:%s, Redis at %s", port, redisURL)
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
