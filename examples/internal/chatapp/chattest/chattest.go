// Package chattest checks, over HTTP and Socket.IO, that a server runs the
// chat application of package chatapp: the tests of the chat, echo and
// fiber examples run the same checks against their own router.
package chattest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/examples/internal/chatapp"
	"github.com/go-sio/sio/internal/frameworktest"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/internal/sioclient"
)

// Secret is a JWT secret for tests.
var Secret = []byte("chat-test-secret-of-32-bytes-long")

// Timeout bounds each wait of the checks.
const Timeout = frameworktest.Timeout

func ctxT(t *testing.T) context.Context { return frameworktest.Ctx(t) }

// Do sends a JSON request and returns the status and body.
func Do(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctxT(t), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// Login logs user in on base and returns the token.
func Login(t *testing.T, base, user string) string {
	t.Helper()
	code, body := Do(t, http.MethodPost, base+"/api/login", "", map[string]string{"user": user})
	var ans struct {
		Token string `json:"token"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &ans) != nil || ans.Token == "" {
		t.Fatalf("login %q: %d %s", user, code, body)
	}
	return ans.Token
}

// Connect opens a socket on base with token in the auth payload.
func Connect(t *testing.T, base, token string) *sioclient.Client {
	t.Helper()
	c, err := sioclient.Dial(ctxT(t), base, sioclient.Options{Auth: map[string]any{"token": token}})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Ack emits with an ack and returns the ack's first argument as a bool.
func Ack(t *testing.T, c *sioclient.Client, event string, args ...any) bool {
	t.Helper()
	got, err := c.EmitWithAck(ctxT(t), event, args...)
	if err != nil || len(got) != 1 {
		t.Fatalf("%s: %s %v", event, got, err)
	}
	var ok bool
	if err := json.Unmarshal(got[0], &ok); err != nil {
		t.Fatalf("%s: ack %s", event, got[0])
	}
	return ok
}

// NextMessage waits for the next "message" event.
func NextMessage(t *testing.T, c *sioclient.Client) chatapp.Message {
	t.Helper()
	ctx := ctxT(t)
	for {
		ev, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for a message: %v", err)
		}
		if ev.Name != "message" {
			continue
		}
		var m chatapp.Message
		if err := ev.Decode(&m); err != nil {
			t.Fatalf("message %s: %v", ev.Args, err)
		}
		return m
	}
}

// Flow checks the whole application on one server: the page, login,
// socket authentication, joining, the REST post and the socket message.
func Flow(t *testing.T, base string) {
	t.Helper()
	code, page := Do(t, http.MethodGet, base+"/", "", nil)
	if code != http.StatusOK || !strings.Contains(string(page), "https://cdn.socket.io/4.8.1/socket.io.min.js") {
		t.Fatalf("GET /: %d, page without the client", code)
	}
	for _, user := range []string{"", "a:b", strings.Repeat("x", 33)} {
		if code, body := Do(t, http.MethodPost, base+"/api/login", "", map[string]string{"user": user}); code != http.StatusBadRequest {
			t.Fatalf("login %q: %d %s, want 400", user, code, body)
		}
	}
	token := Login(t, base, "alice")

	_, err := sioclient.Dial(ctxT(t), base, sioclient.Options{})
	var ce *sioclient.ConnectError
	if !errors.As(err, &ce) || ce.Message != "unauthorized" {
		t.Fatalf("connect without a token: %v, want unauthorized", err)
	}

	c := Connect(t, base, token)
	if !Ack(t, c, "join", "general") {
		t.Fatal("join general: false")
	}
	if Ack(t, c, "join", "user:bob") {
		t.Fatal("join user:bob: true, want false")
	}

	post := base + "/api/rooms/general/messages"
	if code, body := Do(t, http.MethodPost, post, "", map[string]string{"text": "hi"}); code != http.StatusUnauthorized {
		t.Fatalf("post without a token: %d %s, want 401", code, body)
	}
	if code, body := Do(t, http.MethodPost, post, token+"x", map[string]string{"text": "hi"}); code != http.StatusUnauthorized {
		t.Fatalf("post with a bad token: %d %s, want 401", code, body)
	}
	if code, body := Do(t, http.MethodPost, post, token, map[string]string{"text": ""}); code != http.StatusBadRequest {
		t.Fatalf("post an empty text: %d %s, want 400", code, body)
	}
	if code, body := Do(t, http.MethodPost, post, token, map[string]string{"text": "hi"}); code != http.StatusNoContent {
		t.Fatalf("post: %d %s, want 204", code, body)
	}
	if m := NextMessage(t, c); m != (chatapp.Message{User: "alice", Text: "hi"}) {
		t.Fatalf("message %+v", m)
	}

	if Ack(t, c, "message", "elsewhere", "yo") {
		t.Fatal("message to a room not joined: true, want false")
	}
	if !Ack(t, c, "message", "general", "yo") {
		t.Fatal("message: false")
	}
	if m := NextMessage(t, c); m != (chatapp.Message{User: "alice", Text: "yo"}) {
		t.Fatalf("message %+v", m)
	}
}

// Cluster checks that a message posted to the server at a reaches a
// socket of the server at b. Both must share a Redis and a secret.
func Cluster(t *testing.T, a, b string) {
	t.Helper()
	token := Login(t, a, "carol")
	c := Connect(t, b, token) // a token of a, accepted by b
	if !Ack(t, c, "join", "general") {
		t.Fatal("join general: false")
	}
	if code, body := Do(t, http.MethodPost, a+"/api/rooms/general/messages", token, map[string]string{"text": "across"}); code != http.StatusNoContent {
		t.Fatalf("post: %d %s, want 204", code, body)
	}
	if m := NextMessage(t, c); m != (chatapp.Message{User: "carol", Text: "across"}) {
		t.Fatalf("message %+v", m)
	}
}

// WaitServers waits until srv sees n servers through its adapter, that is
// until the subscriptions of every server are active.
func WaitServers(t *testing.T, srv *core.Server, n int) {
	t.Helper()
	frameworktest.WaitServers(t, srv, n)
}

// Start serves, until t ends, the chat application configured with cfg
// on an example's router; it returns the app and the base URL.
type Start func(t *testing.T, cfg chatapp.Config) (*chatapp.App, string)

// ServeFunc serves the chat application on ln until ctx ends, then shuts
// it down gracefully, as an example's main does.
type ServeFunc func(ctx context.Context, ln net.Listener) error

// ServeHTTP serves h, a router of app, over HTTP until t ends, when app is
// shut down and then the HTTP server closed; it returns the base URL.
func ServeHTTP(t *testing.T, app *chatapp.App, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = app.Shutdown(ctx)
		hs.Close()
	})
	return hs.URL
}

// listen runs serve on a loopback port until the returned cancel; serve's
// result comes on the channel.
func listen(t *testing.T, serve ServeFunc) (base string, cancel context.CancelFunc, served <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), cancel, errc
}

// Serve runs serve on a loopback port until t ends, then checks that it
// returns without an error; it returns the base URL.
func Serve(t *testing.T, serve ServeFunc) string {
	t.Helper()
	base, cancel, served := listen(t, serve)
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
	return base
}

// Chat runs [Flow] on one in-memory server started by start.
func Chat(t *testing.T, start Start) {
	t.Helper()
	_, url := start(t, chatapp.Config{Secret: Secret})
	Flow(t, url)
}

// ChatCluster starts two servers on one Redis and runs [Cluster] on them:
// a message posted to one reaches a socket of the other.
func ChatCluster(t *testing.T, start Start) {
	t.Helper()
	cfg := chatapp.Config{Secret: Secret, RedisURL: redistest.URL(t), RedisKey: redistest.Prefix(t)}
	a, urlA := start(t, cfg)
	b, urlB := start(t, cfg)
	WaitServers(t, a.Server, 2)
	WaitServers(t, b.Server, 2)
	Cluster(t, urlA, urlB)
}

// Shutdown checks the graceful shutdown of serve: when its context ends,
// it returns without an error, and the Socket.IO server has disconnected
// the sockets.
func Shutdown(t *testing.T, serve ServeFunc) {
	t.Helper()
	base, cancel, served := listen(t, serve)
	defer cancel()
	c := Connect(t, base, Login(t, base, "dora"))
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
	case <-time.After(Timeout):
		t.Fatal("the socket is still connected")
	}
}
