package redisadapter_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/jstest"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/internal/sioclient"
	"github.com/go-sio/sio/redisadapter"
)

// TestGoEmitterToNode drives a Node server (socket.io 4.8 with
// @socket.io/redis-adapter) from the Go emitter: its clients get the
// events, the joins and the disconnection.
func TestGoEmitterToNode(t *testing.T) {
	jstest.Setup(t)
	prefix := redistest.Prefix(t)
	url := jstest.StartNodeServer(t, "cluster/server-node.mjs",
		"REDIS_URL="+redistest.URL(t), "REDIS_PREFIX="+prefix, "ADAPTER=classic", "NAME=N")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := func(name string, rooms ...string) *sioclient.Client {
		cl, err := sioclient.Dial(ctx, url, sioclient.Options{Auth: map[string]any{"name": name, "rooms": rooms}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cl.Close() })
		return cl
	}
	a := dial("a", "r1")
	b := dial("b")
	em := redisadapter.NewEmitter(redistest.Client(t), redisadapter.EmitterConfig{Key: prefix})

	if err := em.Emit(ctx, "all", 1, map[string]any{"x": "y"}, []byte{9, 8, 7}); err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*sioclient.Client{a, b} {
		ev := next(t, cl, "all")
		if len(ev.Attachments) != 1 || string(ev.Attachments[0]) != "\x09\x08\x07" {
			t.Fatalf("binary argument: %v", ev.Attachments)
		}
	}
	if err := em.To("r1").Emit(ctx, "room", "only-a"); err != nil {
		t.Fatal(err)
	}
	next(t, a, "room")
	if err := em.To(core.Room(b.ID)).SocketsJoin(ctx, "joined"); err != nil {
		t.Fatal(err)
	}
	// The join is applied when the Node server reads it; a broadcast to
	// the room proves it, once it arrives.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_ = em.To("joined").Emit(ctx, "in-joined")
		c2, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
		ev, err := b.Next(c2)
		cancel2()
		if err == nil && ev.Name == "in-joined" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Node server never applied the join")
		}
	}
	if err := em.To("r1").DisconnectSockets(ctx, false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Done():
		if a.Err() != sioclient.ErrServerDisconnect {
			t.Fatalf("a ended with %v", a.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a not disconnected by the Node server")
	}
}
