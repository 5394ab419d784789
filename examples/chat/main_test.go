package main

import (
	"context"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"

	"github.com/go-sio/sio/examples/internal/chatapp"
	"github.com/go-sio/sio/examples/internal/chatapp/chattest"
	"github.com/go-sio/sio/internal/redistest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	goleak.VerifyTestMain(redistest.WithCleanup(m))
}

func start(t *testing.T, cfg chatapp.Config) (*chatapp.App, string) {
	t.Helper()
	app, err := chatapp.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(newRouter(app))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = app.Shutdown(ctx)
		hs.Close()
	})
	return app, hs.URL
}

// TestChat: login → socket with the token → join → REST post → message,
// and the socket's own message, on one in-memory server.
func TestChat(t *testing.T) {
	_, url := start(t, chatapp.Config{Secret: chattest.Secret})
	chattest.Flow(t, url)
}

// TestChatCluster: two servers on one Redis; a message posted to one
// reaches a socket of the other.
func TestChatCluster(t *testing.T) {
	cfg := chatapp.Config{Secret: chattest.Secret, RedisURL: redistest.URL(t), RedisKey: redistest.Prefix(t)}
	a, urlA := start(t, cfg)
	b, urlB := start(t, cfg)
	chattest.WaitServers(t, a.Server, 2)
	chattest.WaitServers(t, b.Server, 2)
	chattest.Cluster(t, urlA, urlB)
}

// TestShutdown: when the context ends, Serve shuts HTTP down, then the
// Socket.IO server, which disconnects the sockets; Serve returns.
func TestShutdown(t *testing.T) {
	app, err := chatapp.New(chatapp.Config{Secret: chattest.Secret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln, newRouter(app)) }()
	base := "http://" + ln.Addr().String()
	c := chattest.Connect(t, base, chattest.Login(t, base, "dora"))
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(2 * chatapp.ShutdownTimeout):
		t.Fatal("Serve did not return")
	}
	select {
	case <-c.Done():
	case <-time.After(chattest.Timeout):
		t.Fatal("the socket is still connected")
	}
}
