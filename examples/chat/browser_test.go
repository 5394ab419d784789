package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sio/sio/examples/internal/chatapp"
	"github.com/go-sio/sio/examples/internal/chatapp/chattest"
	"github.com/go-sio/sio/internal/jstest"
)

// chromiumPath is Debian's chromium, the only browser the test uses
// (Playwright never downloads one here).
const chromiumPath = "/usr/bin/chromium"

// chromiumInstallTimeout bounds apt-get update and install together.
const chromiumInstallTimeout = 8 * time.Minute

// needChromium makes sure chromiumPath exists. When it is missing the test
// is skipped, except with env CI=true, where apt-get installs it (as
// root) and the test fails if that fails.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return
	}
	if os.Getenv("CI") != "true" {
		t.Skipf("browser test skipped: %s not found; install Debian's chromium "+
			"(sudo apt-get update && sudo apt-get install -y chromium), "+
			"or run with CI=true as root to have the test install it", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), chromiumInstallTimeout)
	defer cancel()
	start := time.Now()
	for _, args := range [][]string{
		{"update"},
		{"-o", "DPkg::Lock::Timeout=120", "install", "-y", "chromium"},
	} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.WaitDelay = 5 * time.Second
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("CI=true and %s is missing: apt-get %v failed: %v\n%s", chromiumPath, args, err, out)
		}
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("apt-get installed chromium, but: %v", err)
	}
	t.Logf("installed chromium with apt-get in %v", time.Since(start).Round(time.Second))
}

// clientPath is where the page of the test loads the official client
// from: the socket.io-client of internal/jstest's npm project, served by
// the test, since the CDN may be out of reach.
const clientPath = "/_test/socket.io.min.js"

// TestBrowser: headless Chromium opens the chat page, logs in, connects
// (WebSocket after the upgrade), joins "lobby", sends a message and sees
// it, then sees a message posted to the room through the REST API with
// the page's token (internal/jstest/testdata/browser/chat.mjs, on
// playwright-core).
func TestBrowser(t *testing.T) {
	needChromium(t)
	client := filepath.Join(jstest.Setup(t), "node_modules", "socket.io-client", "dist", "socket.io.min.js")
	if _, err := os.Stat(client); err != nil {
		t.Fatalf("the official client: %v", err)
	}

	app, err := chatapp.New(chatapp.Config{Secret: chattest.Secret, ClientURL: clientPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+clientPath, func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, client)
	})
	mux.Handle("/", newRouter(app))
	url := chattest.ServeHTTP(t, app, mux)

	jstest.RunScript(t, "browser/chat.mjs", "CHAT_URL="+url, "CHROMIUM="+chromiumPath)
}
