package main

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-sio/sio/examples/internal/chatapp"
	"github.com/go-sio/sio/examples/internal/chatapp/chattest"
	"github.com/go-sio/sio/internal/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(redistest.WithCleanup(m),
		// fasthttp's process-wide date updater, and the idle-worker cleaner
		// of a stopped server, which ends after its current 10s sleep.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"))
}

// start serves the Fiber app until t ends; the shutdown is serve's.
func start(t *testing.T, cfg chatapp.Config) (*chatapp.App, string) {
	t.Helper()
	f, app, err := newApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, f, app) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(2 * chatapp.ShutdownTimeout):
			t.Error("serve did not return")
		}
	})
	return app, "http://" + ln.Addr().String()
}

// TestChat: the chat flow on the Fiber app.
func TestChat(t *testing.T) {
	_, url := start(t, chatapp.Config{Secret: chattest.Secret})
	chattest.Flow(t, url)
}

// TestChatCluster: two Fiber servers on one Redis.
func TestChatCluster(t *testing.T) {
	cfg := chatapp.Config{Secret: chattest.Secret, RedisURL: redistest.URL(t), RedisKey: redistest.Prefix(t)}
	a, urlA := start(t, cfg)
	b, urlB := start(t, cfg)
	chattest.WaitServers(t, a.Server, 2)
	chattest.WaitServers(t, b.Server, 2)
	chattest.Cluster(t, urlA, urlB)
}

// TestShutdown: when the context ends, serve shuts Fiber down and the
// Socket.IO server disconnects the sockets, WebSockets included.
func TestShutdown(t *testing.T) {
	f, app, err := newApp(chatapp.Config{Secret: chattest.Secret})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, f, app) }()
	base := "http://" + ln.Addr().String()
	c := chattest.Connect(t, base, chattest.Login(t, base, "dora"))
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(2 * chatapp.ShutdownTimeout):
		t.Fatal("serve did not return")
	}
	select {
	case <-c.Done():
	case <-time.After(chattest.Timeout):
		t.Fatal("the socket is still connected")
	}
}
