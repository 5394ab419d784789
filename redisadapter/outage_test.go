package redisadapter_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/internal/sioclient"
	"github.com/go-sio/sio/redisadapter"
)

// TestRedisRestart restarts Redis under two servers: local delivery keeps
// working while it is down, requests fail with an error instead of
// hanging, and once it is back the adapters resubscribe by themselves and
// broadcasts cross servers again.
func TestRedisRestart(t *testing.T) {
	for _, kind := range []string{"classic", "sharded"} {
		t.Run(kind, func(t *testing.T) {
			addr := redistest.StartPrivate(t)
			newAdapter := func() *redisadapter.Adapter {
				rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: 1, DialTimeout: time.Second})
				t.Cleanup(func() { _ = rdb.Close() })
				if kind == "classic" {
					return redisadapter.New(rdb, redisadapter.Config{})
				}
				return redisadapter.NewSharded(rdb, redisadapter.ShardedConfig{})
			}
			adA, adB := newAdapter(), newAdapter()
			srvA, urlA := serve(t, adA)
			_, urlB := serve(t, adB)
			a := dial(t, urlA)
			b := dial(t, urlB)
			ctx := context.Background()
			waitCount := func(want int) {
				t.Helper()
				deadline := time.Now().Add(10 * time.Second)
				for {
					n, err := srvA.Sockets().ServerCount(ctx)
					if err == nil && n == want && adA.Connected() && adB.Connected() {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("server count %d (%v), connected %v/%v", n, err, adA.Connected(), adB.Connected())
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			waitCount(2)
			crossUntilReceived(t, srvA, b, "before")

			redistest.Stop(t, addr)
			// Local delivery does not need Redis.
			err := srvA.Emit("local-while-down")
			if err == nil {
				t.Fatal("broadcast reported success while redis is down")
			}
			next(t, a, "local-while-down")
			start := time.Now()
			reqCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, ferr := srvA.Sockets().FetchSockets(reqCtx)
			cancel()
			if ferr == nil || errors.Is(ferr, context.DeadlineExceeded) {
				t.Fatalf("fetch while down: %v", ferr)
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Fatalf("fetch while down took %v", el)
			}

			redistest.Start(t, addr)
			waitCount(2)
			crossUntilReceived(t, srvA, b, "after")
		})
	}
}

func serve(t *testing.T, ad core.Adapter) (*core.Server, string) {
	t.Helper()
	srv, err := core.New(core.Config{Adapter: ad})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
	})
	return srv, hs.URL
}

// crossUntilReceived broadcasts from srv until cl (on another server)
// gets it: delivery over Pub/Sub is at most once, so the first one after
// a reconnection may be lost while subscriptions come back.
func crossUntilReceived(t *testing.T, srv *core.Server, cl *sioclient.Client, event string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = srv.Emit(event)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		ev, err := cl.Next(ctx)
		cancel()
		if err == nil && ev.Name == event {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never crossed servers", event)
		}
	}
}
