package main

import (
	"context"
	"net"
	"testing"

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
	return app, chattest.ServeHTTP(t, app, newRouter(app))
}

// TestChat: login → socket with the token → join → REST post → message,
// and the socket's own message, on one in-memory server.
func TestChat(t *testing.T) { chattest.Chat(t, start) }

// TestChatCluster: two servers on one Redis; a message posted to one
// reaches a socket of the other.
func TestChatCluster(t *testing.T) { chattest.ChatCluster(t, start) }

// TestShutdown: when the context ends, Serve shuts HTTP down, then the
// Socket.IO server, which disconnects the sockets; Serve returns.
func TestShutdown(t *testing.T) {
	app, err := chatapp.New(chatapp.Config{Secret: chattest.Secret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	chattest.Shutdown(t, func(ctx context.Context, ln net.Listener) error {
		return app.Serve(ctx, ln, newRouter(app))
	})
}
