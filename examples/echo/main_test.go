package main

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-sio/sio/examples/internal/chatapp"
	"github.com/go-sio/sio/examples/internal/chatapp/chattest"
	"github.com/go-sio/sio/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(redistest.WithCleanup(m)) }

func start(t *testing.T, cfg chatapp.Config) (*chatapp.App, string) {
	t.Helper()
	e, app, err := newApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(e)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = app.Shutdown(ctx)
		hs.Close()
	})
	return app, hs.URL
}

// TestChat: the chat flow on the Echo app.
func TestChat(t *testing.T) {
	_, url := start(t, chatapp.Config{Secret: chattest.Secret})
	chattest.Flow(t, url)
}

// TestChatCluster: two Echo servers on one Redis.
func TestChatCluster(t *testing.T) {
	cfg := chatapp.Config{Secret: chattest.Secret, RedisURL: redistest.URL(t), RedisKey: redistest.Prefix(t)}
	a, urlA := start(t, cfg)
	b, urlB := start(t, cfg)
	chattest.WaitServers(t, a.Server, 2)
	chattest.WaitServers(t, b.Server, 2)
	chattest.Cluster(t, urlA, urlB)
}
