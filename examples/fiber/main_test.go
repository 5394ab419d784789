package main

import (
	"context"
	"net"
	"testing"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/goleak"

	"github.com/go-sio/sio/examples/internal/chatapp"
	"github.com/go-sio/sio/examples/internal/chatapp/chattest"
	"github.com/go-sio/sio/internal/frameworktest"
	"github.com/go-sio/sio/internal/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(redistest.WithCleanup(m), frameworktest.FasthttpLeaks()...)
}

// serveFunc is serve for the Fiber app f of app.
func serveFunc(f *fiber.App, app *chatapp.App) chattest.ServeFunc {
	return func(ctx context.Context, ln net.Listener) error { return serve(ctx, ln, f, app) }
}

// start serves the Fiber app until t ends; the shutdown is serve's.
func start(t *testing.T, cfg chatapp.Config) (*chatapp.App, string) {
	t.Helper()
	f, app, err := newApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return app, chattest.Serve(t, serveFunc(f, app))
}

// TestChat: the chat flow on the Fiber app.
func TestChat(t *testing.T) { chattest.Chat(t, start) }

// TestChatCluster: two Fiber servers on one Redis.
func TestChatCluster(t *testing.T) { chattest.ChatCluster(t, start) }

// TestShutdown: when the context ends, serve shuts Fiber down and the
// Socket.IO server disconnects the sockets, WebSockets included.
func TestShutdown(t *testing.T) {
	f, app, err := newApp(chatapp.Config{Secret: chattest.Secret})
	if err != nil {
		t.Fatal(err)
	}
	chattest.Shutdown(t, serveFunc(f, app))
}
