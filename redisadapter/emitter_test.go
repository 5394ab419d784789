package redisadapter_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/internal/sioclient"
	"github.com/go-sio/sio/redisadapter"
)

func startServer(t *testing.T, key string, setup func(*core.Server)) string {
	t.Helper()
	rdb := redistest.Client(t)
	srv, err := core.New(core.Config{Adapter: redisadapter.New(rdb, redisadapter.Config{Key: key})})
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(srv)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
	})
	return hs.URL
}

func dial(t *testing.T, url string, rooms ...string) *sioclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := sioclient.Dial(ctx, url, sioclient.Options{Auth: map[string]any{"rooms": rooms}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

func next(t *testing.T, cl *sioclient.Client, name string) sioclient.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		ev, err := cl.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %q: %v", name, err)
		}
		if ev.Name == name {
			return ev
		}
	}
}

// waitSubscribed waits until n servers listen on the key's request channel
// (their subscriptions are made asynchronously).
func waitSubscribed(t *testing.T, rdb *redis.Client, key string, n int64) {
	t.Helper()
	ch := key + "-request#/#"
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := rdb.PubSubNumSub(context.Background(), ch).Result()
		if err == nil && m[ch] == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d servers subscribed, want %d (%v)", m[ch], n, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func joinFromAuth(srv *core.Server) {
	srv.OnConnection(func(s *core.Socket) {
		if rs, ok := s.Handshake().Auth["rooms"].([]any); ok {
			for _, r := range rs {
				s.Join(core.Room(r.(string)))
			}
		}
	})
}

// TestEmitter drives two Go servers on one Redis from an emitter, as a
// worker process without a Socket.IO server would.
func TestEmitter(t *testing.T) {
	key := redistest.Prefix(t)
	sse := make(chan []any, 4)
	setup := func(srv *core.Server) {
		joinFromAuth(srv)
		srv.Sockets().OnServerSideEmit("job", func(args []any, _ func(any)) { sse <- args })
	}
	urlA, urlB := startServer(t, key, setup), startServer(t, key, setup)
	a := dial(t, urlA, "r1")
	b := dial(t, urlB)
	rdb := redistest.Client(t)
	em := redisadapter.NewEmitter(rdb, redisadapter.EmitterConfig{Key: key})
	ctx := context.Background()
	waitSubscribed(t, rdb, key, 2)

	if err := em.Emit(ctx, "all", "x", []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	next(t, a, "all")
	next(t, b, "all")

	if err := em.To("r1").Emit(ctx, "room", 1); err != nil {
		t.Fatal(err)
	}
	next(t, a, "room")

	if err := em.To(core.Room(b.ID)).SocketsJoin(ctx, "r2"); err != nil {
		t.Fatal(err)
	}
	// The join travels through Redis; a broadcast to r2 proves it landed
	// once it arrives (retried until then).
	deadline := time.Now().Add(5 * time.Second)
	for {
		_ = em.To("r2").Emit(ctx, "r2msg")
		ctx2, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		ev, err := b.Next(ctx2)
		cancel()
		if err == nil && ev.Name == "r2msg" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b never joined r2")
		}
	}

	if err := em.ServerSideEmit(ctx, "job", "run", 3); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		select {
		case args := <-sse:
			if len(args) != 2 || args[0] != "run" {
				t.Fatalf("server-side args %v", args)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("server-side emit not received by both servers")
		}
	}

	if err := em.Emit(ctx, "disconnect"); err != core.ErrReservedEvent {
		t.Fatalf("reserved name: %v", err)
	}
	if err := em.To(core.Room(a.ID)).DisconnectSockets(ctx, true); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a not disconnected")
	}
}
