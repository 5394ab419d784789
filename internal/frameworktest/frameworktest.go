// Package frameworktest holds the tests that ginsio, echosio and fibersio
// share: each runs them against a server mounted on its own router. The
// scenarios take a [Mount], which puts a *core.Server on a new router of
// the framework and serves it; what only one framework has (its JWT
// middleware, its config conversions, its shutdown) stays in its tests.
//
// Only tests import it.
package frameworktest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/sioclient"
)

// Secret is the HS256 key of the tests' tokens.
var Secret = []byte("test-secret-of-at-least-32-bytes!")

// Timeout bounds each wait of the helpers.
const Timeout = 10 * time.Second

// Mount mounts srv on a new router of the framework, serves the router
// until t ends and returns its base URL.
type Mount func(t *testing.T, srv *core.Server) string

// FasthttpLeaks are the goroutines that fasthttp leaves for goleak to
// ignore: its process-wide date updater, and the idle-worker cleaner of a
// stopped server, which ends after its current 10s sleep.
func FasthttpLeaks() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	}
}

// NewServer returns a server shut down when t ends.
func NewServer(t *testing.T, cfg core.Config) *core.Server {
	t.Helper()
	srv, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Shutdown(srv) })
	return srv
}

// Shutdown shuts srv down, waiting at most 5 seconds.
func Shutdown(srv *core.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// Serve serves h over HTTP until t ends and returns its base URL.
func Serve(t *testing.T, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
	})
	return hs.URL
}

// Ctx returns a context that ends after [Timeout] or with t.
func Ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

// Dial connects a client to url, closed when t ends.
func Dial(t *testing.T, url string, o sioclient.Options) *sioclient.Client {
	t.Helper()
	c, err := sioclient.Dial(Ctx(t), url, o)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// WithToken returns the options that hand token in the auth payload.
func WithToken(token string) sioclient.Options {
	return sioclient.Options{Auth: map[string]any{"token": token}}
}

// Sign signs claims with m and key, with a "kid" header if one is given.
func Sign(t *testing.T, m jwt.SigningMethod, key any, claims jwt.Claims, kid ...string) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if len(kid) > 0 {
		tok.Header["kid"] = kid[0]
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ClaimsFor are the claims of sub, expiring in exp.
func ClaimsFor(sub string, exp time.Duration) jwt.RegisteredClaims {
	return jwt.RegisteredClaims{Subject: sub, ExpiresAt: jwt.NewNumericDate(time.Now().Add(exp))}
}

// GoodToken is an HS256 token of [Secret] for sub, valid for an hour.
func GoodToken(t *testing.T, sub string) string {
	return Sign(t, jwt.SigningMethodHS256, Secret, ClaimsFor(sub, time.Hour))
}

// WaitNext returns the next event named name, skipping others.
func WaitNext(t *testing.T, c *sioclient.Client, name string) sioclient.Event {
	t.Helper()
	ctx := Ctx(t)
	for {
		ev, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %q: %v", name, err)
		}
		if ev.Name == name {
			return ev
		}
	}
}

// WaitServers waits until srv sees n servers through its adapter, that is
// until every server's subscriptions are active.
func WaitServers(t *testing.T, srv *core.Server, n int) {
	t.Helper()
	ctx := Ctx(t)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := srv.Sockets().ServerCount(ctx)
		if err == nil && got >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %d servers: got %d, %v", n, got, err)
		case <-tick.C:
		}
	}
}

// ServeAuth serves, through mount, a server whose sockets authenticate
// with a and answer "whoami" with their subject.
func ServeAuth(t *testing.T, mount Mount, a *auth.Authenticator) string {
	t.Helper()
	srv := NewServer(t, core.Config{})
	srv.Use(a.Middleware())
	srv.OnConnection(func(s *core.Socket) {
		s.On("whoami", func(ack core.Ack) {
			c, err := auth.Claims[jwt.Claims](s)
			if err != nil {
				ack("", err.Error())
				return
			}
			sub, _ := c.GetSubject()
			ack(sub)
		})
	})
	return mount(t, srv)
}

// Whoami asks c's server for c's subject.
func Whoami(t *testing.T, c *sioclient.Client) string {
	t.Helper()
	got, err := c.EmitWithAck(Ctx(t), "whoami")
	if err != nil || len(got) != 1 {
		t.Fatalf("whoami: %s %v", got, err)
	}
	var sub string
	_ = json.Unmarshal(got[0], &sub)
	return sub
}

// RefusalCode dials base, expects an "unauthorized" CONNECT_ERROR and
// returns its code.
func RefusalCode(t *testing.T, base string, o sioclient.Options) string {
	t.Helper()
	c, err := sioclient.Dial(Ctx(t), base, o)
	if err == nil {
		_ = c.Close()
		t.Fatal("connected, want a CONNECT_ERROR")
	}
	var ce *sioclient.ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("dial: %v, want a CONNECT_ERROR", err)
	}
	if ce.Message != "unauthorized" {
		t.Fatalf("message %q, want unauthorized", ce.Message)
	}
	var data struct{ Code string }
	if err := json.Unmarshal(ce.Data, &data); err != nil {
		t.Fatalf("data %s: %v", ce.Data, err)
	}
	return data.Code
}

// BadToken is a token that an HS256-only authenticator on [Secret]
// refuses with code; an empty token is none at all.
type BadToken struct{ Name, Token, Code string }

// BadTokens are refused by an HS256-only authenticator on [Secret].
func BadTokens(t *testing.T) []BadToken {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(GoodToken(t, "alice"), ".")
	payload, _ := json.Marshal(ClaimsFor("mallory", time.Hour))
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	return []BadToken{
		{"missing", "", "token_missing"},
		{"expired", Sign(t, jwt.SigningMethodHS256, Secret, ClaimsFor("alice", -time.Hour)), "token_expired"},
		{"not yet valid", Sign(t, jwt.SigningMethodHS256, Secret, jwt.RegisteredClaims{Subject: "alice", NotBefore: jwt.NewNumericDate(time.Now().Add(time.Hour))}), "token_not_yet_valid"},
		{"wrong algorithm", Sign(t, jwt.SigningMethodRS256, rsaKey, ClaimsFor("alice", time.Hour)), "method_not_allowed"},
		{"other HMAC", Sign(t, jwt.SigningMethodHS512, Secret, ClaimsFor("alice", time.Hour)), "method_not_allowed"},
		{"none algorithm", Sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, ClaimsFor("alice", time.Hour)), "method_not_allowed"},
		{"tampered", tampered, "token_invalid"},
		{"wrong key", Sign(t, jwt.SigningMethodHS256, []byte("another-secret-of-32-bytes-long!!"), ClaimsFor("alice", time.Hour)), "token_invalid"},
	}
}

// Accepts checks, in parallel subtests accepts/<name>, that each of opts
// connects to base a socket whose subject is sub.
func Accepts(t *testing.T, base, sub string, opts map[string]sioclient.Options) {
	t.Helper()
	for name, o := range opts {
		t.Run("accepts/"+name, func(t *testing.T) {
			t.Parallel()
			if got := Whoami(t, Dial(t, base, o)); got != sub {
				t.Fatalf("subject %q, want %s", got, sub)
			}
		})
	}
}

// Refuses checks, in parallel subtests refuses/<name>, that base refuses
// each of [BadTokens], in the auth payload, with its code.
func Refuses(t *testing.T, base string) {
	t.Helper()
	for _, tc := range BadTokens(t) {
		t.Run("refuses/"+tc.Name, func(t *testing.T) {
			t.Parallel()
			o := sioclient.Options{}
			if tc.Token != "" {
				o = WithToken(tc.Token)
			}
			if code := RefusalCode(t, base, o); code != tc.Code {
				t.Fatalf("code %q, want %q", code, tc.Code)
			}
		})
	}
}
