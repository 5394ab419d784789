package main

import (
	"testing"

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
	return app, chattest.ServeHTTP(t, app, e)
}

// TestChat: the chat flow on the Echo app.
func TestChat(t *testing.T) { chattest.Chat(t, start) }

// TestChatCluster: two Echo servers on one Redis.
func TestChatCluster(t *testing.T) { chattest.ChatCluster(t, start) }
