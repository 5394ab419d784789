package ginsio_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/ginsio"
	"github.com/go-sio/sio/internal/fixture"
	"github.com/go-sio/sio/internal/jstest"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/internal/sioclient"
	"github.com/go-sio/sio/redisadapter"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	goleak.VerifyTestMain(redistest.WithCleanup(m))
}

var secret = []byte("test-secret-of-at-least-32-bytes!")

// newServer returns a server shut down when t ends.
func newServer(t *testing.T, cfg core.Config) *core.Server {
	t.Helper()
	srv, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv
}

// serve serves r over HTTP until t ends and returns its base URL.
func serve(t *testing.T, r http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(r)
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
	})
	return hs.URL
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, url string, o sioclient.Options) *sioclient.Client {
	t.Helper()
	c, err := sioclient.Dial(ctxT(t), url, o)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func sign(t *testing.T, m jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claimsFor(sub string, exp time.Duration) jwt.RegisteredClaims {
	return jwt.RegisteredClaims{Subject: sub, ExpiresAt: jwt.NewNumericDate(time.Now().Add(exp))}
}

func goodToken(t *testing.T, sub string) string {
	return sign(t, jwt.SigningMethodHS256, secret, claimsFor(sub, time.Hour))
}

// waitNext returns the next event named name.
func waitNext(t *testing.T, c *sioclient.Client, name string) sioclient.Event {
	t.Helper()
	ctx := ctxT(t)
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

// TestOfficialClient runs every scenario of the official JavaScript client
// against a server mounted on a Gin router: polling, WebSocket and the
// upgrade (which hijacks Gin's ResponseWriter).
func TestOfficialClient(t *testing.T) {
	jstest.Setup(t)
	srv := newServer(t, core.Config{})
	fixture.Register(srv)
	r := gin.New()
	ginsio.Mount(r, srv)
	url := serve(t, r)
	for _, sc := range jstest.Scenarios(t) {
		t.Run(sc, func(t *testing.T) {
			t.Parallel()
			jstest.Run(t, sc, "SIO_URL="+url)
		})
	}
}

// TestOfficialClientModes runs the scenarios that need the server in a
// special mode (connection state recovery, v2 clients) through the router.
func TestOfficialClientModes(t *testing.T) {
	jstest.Setup(t)
	for _, sp := range jstest.SpecialScenarios() {
		t.Run(sp.Name, func(t *testing.T) {
			t.Parallel()
			cfg, opts := fixture.Mode(sp.Env)
			srv := newServer(t, cfg)
			fixture.RegisterWith(srv, opts)
			r := gin.New()
			ginsio.Mount(r, srv)
			url := serve(t, r)
			jstest.Run(t, sp.Name, append(sp.Env, "SIO_URL="+url)...)
		})
	}
}

// TestCustomPath mounts a server on /rt/: polling and WebSocket answer
// there, and the default path is not routed.
func TestCustomPath(t *testing.T) {
	srv := newServer(t, core.Config{Path: "/rt/"})
	fixture.Register(srv)
	r := gin.New()
	ginsio.Mount(r, srv)
	base := serve(t, r)

	res, err := http.Get(base + "/rt/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), `0{"sid":`) {
		t.Fatalf("polling handshake on /rt/: %d %q", res.StatusCode, body)
	}
	res, err = http.Get(base + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("default path: status %d, want 404", res.StatusCode)
	}

	c := dial(t, base, sioclient.Options{Path: "/rt/"})
	got, err := c.EmitWithAck(ctxT(t), "echo", "hi")
	if err != nil || len(got) != 1 || string(got[0]) != `"hi"` {
		t.Fatalf("echo over /rt/: %s %v", got, err)
	}
}

// authServer serves a server whose sockets authenticate with a (HS256
// only) and answer "whoami" with their subject.
func authServer(t *testing.T) string {
	t.Helper()
	a, err := auth.New(auth.Config{SigningKey: secret, ValidMethods: []string{"HS256"},
		NewClaims: func() jwt.Claims { return &jwt.RegisteredClaims{} }})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, core.Config{})
	srv.Use(a.Middleware())
	srv.OnConnection(func(s *core.Socket) {
		s.On("whoami", func(ack core.Ack) {
			c, err := auth.Claims[*jwt.RegisteredClaims](s)
			if err != nil {
				ack("", err.Error())
				return
			}
			ack(c.Subject)
		})
	})
	r := gin.New()
	ginsio.Mount(r, srv)
	return serve(t, r)
}

func whoami(t *testing.T, c *sioclient.Client) string {
	t.Helper()
	got, err := c.EmitWithAck(ctxT(t), "whoami")
	if err != nil || len(got) != 1 {
		t.Fatalf("whoami: %s %v", got, err)
	}
	var sub string
	_ = json.Unmarshal(got[0], &sub)
	return sub
}

// refusalCode dials and returns the code of the CONNECT_ERROR.
func refusalCode(t *testing.T, base string, o sioclient.Options) string {
	t.Helper()
	c, err := sioclient.Dial(ctxT(t), base, o)
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

func TestJWT(t *testing.T) {
	base := authServer(t)
	tok := goodToken(t, "alice")

	accept := []struct {
		name string
		opts sioclient.Options
	}{
		{"auth payload", sioclient.Options{Auth: map[string]any{"token": tok}}},
		{"header", sioclient.Options{Header: http.Header{"Authorization": {"Bearer " + tok}}}},
		{"query", sioclient.Options{Query: url.Values{"token": {tok}}}},
	}
	for _, tc := range accept {
		t.Run("accepts/"+tc.name, func(t *testing.T) {
			t.Parallel()
			if sub := whoami(t, dial(t, base, tc.opts)); sub != "alice" {
				t.Fatalf("subject %q, want alice", sub)
			}
		})
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	payload, _ := json.Marshal(claimsFor("mallory", time.Hour))
	tampered := parts[0] + "." + jwtSegment(payload) + "." + parts[2]
	refuse := []struct {
		name, token, code string
	}{
		{"missing", "", "token_missing"},
		{"expired", sign(t, jwt.SigningMethodHS256, secret, claimsFor("alice", -time.Hour)), "token_expired"},
		{"wrong algorithm", sign(t, jwt.SigningMethodRS256, rsaKey, claimsFor("alice", time.Hour)), "method_not_allowed"},
		{"other HMAC", sign(t, jwt.SigningMethodHS512, secret, claimsFor("alice", time.Hour)), "method_not_allowed"},
		{"none algorithm", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsFor("alice", time.Hour)), "method_not_allowed"},
		{"tampered", tampered, "token_invalid"},
		{"wrong key", sign(t, jwt.SigningMethodHS256, []byte("another-secret-of-32-bytes-long!!"), claimsFor("alice", time.Hour)), "token_invalid"},
	}
	for _, tc := range refuse {
		t.Run("refuses/"+tc.name, func(t *testing.T) {
			t.Parallel()
			o := sioclient.Options{}
			if tc.token != "" {
				o.Auth = map[string]any{"token": tc.token}
			}
			if code := refusalCode(t, base, o); code != tc.code {
				t.Fatalf("code %q, want %q", code, tc.code)
			}
		})
	}
}

func jwtSegment(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}

// appJWT is a typical Gin JWT middleware: a Bearer token, HS256, claims
// stored under "claims", 401 otherwise.
func appJWT(c *gin.Context) {
	raw, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok {
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "missing token"})
		return
	}
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}))
	if err != nil {
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "invalid token"})
		return
	}
	c.Set("claims", claims)
	c.Next()
}

// TestAuthFromMiddleware runs the app's Gin JWT middleware at the
// handshake: a good token in the header or in the auth payload is
// accepted and its claims reach the socket's data; a bad or missing one is
// refused with token_invalid.
func TestAuthFromMiddleware(t *testing.T) {
	srv := newServer(t, core.Config{})
	srv.Use(ginsio.AuthFromMiddleware(appJWT, "claims"))
	srv.OnConnection(func(s *core.Socket) {
		s.On("whoami", func(ack core.Ack) {
			data, _ := s.Data().(map[string]any)
			c, ok := data["claims"].(*jwt.RegisteredClaims)
			if !ok {
				ack("")
				return
			}
			ack(c.Subject)
		})
	})
	r := gin.New()
	ginsio.Mount(r, srv)
	base := serve(t, r)
	tok := goodToken(t, "bob")

	t.Run("header", func(t *testing.T) {
		c := dial(t, base, sioclient.Options{Header: http.Header{"Authorization": {"Bearer " + tok}}})
		if sub := whoami(t, c); sub != "bob" {
			t.Fatalf("subject %q, want bob", sub)
		}
	})
	t.Run("auth payload", func(t *testing.T) {
		c := dial(t, base, sioclient.Options{Auth: map[string]any{"token": tok}})
		if sub := whoami(t, c); sub != "bob" {
			t.Fatalf("subject %q, want bob", sub)
		}
	})
	for name, o := range map[string]sioclient.Options{
		"missing":     {},
		"expired":     {Auth: map[string]any{"token": sign(t, jwt.SigningMethodHS256, secret, claimsFor("bob", -time.Minute))}},
		"bad header":  {Header: http.Header{"Authorization": {"Bearer " + tok + "x"}}},
		"none method": {Auth: map[string]any{"token": sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsFor("bob", time.Hour))}},
	} {
		t.Run("refuses/"+name, func(t *testing.T) {
			if code := refusalCode(t, base, o); code != "token_invalid" {
				t.Fatalf("code %q, want token_invalid", code)
			}
		})
	}
}

// waitServers waits until srv sees n servers through Redis, that is until
// every server's subscriptions are active.
func waitServers(t *testing.T, srv *core.Server, n int) {
	t.Helper()
	ctx := ctxT(t)
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

// TestEmitFromRoute: a REST handler on instance A emits, through Redis, to
// a socket connected to instance B: to a room, and to the sockets of the
// user who made the request (Emitter.User), and to nobody else.
func TestEmitFromRoute(t *testing.T) {
	rdb := redistest.Client(t)
	key := redistest.Prefix(t)
	a, err := auth.New(auth.Config{SigningKey: secret, ValidMethods: []string{"HS256"}})
	if err != nil {
		t.Fatal(err)
	}
	var urls [2]string
	var srvs [2]*core.Server
	for i := range srvs {
		srv := newServer(t, core.Config{Adapter: redisadapter.New(rdb, redisadapter.Config{Key: key})})
		srv.Use(a.Middleware())
		srv.OnConnection(func(s *core.Socket) {
			s.On("join", func(room core.Room, ack core.Ack) {
				s.Join(room)
				ack(true)
			})
		})
		r := gin.New()
		ginsio.Mount(r, srv, ginsio.Config{Auth: a})
		r.POST("/rooms/:room", func(c *gin.Context) {
			var body map[string]any
			_ = c.BindJSON(&body)
			if err := ginsio.IO(c).To(core.Room(c.Param("room"))).Emit("message", body); err != nil {
				c.AbortWithStatus(http.StatusInternalServerError)
				return
			}
			c.Status(http.StatusNoContent)
		})
		r.POST("/me", appJWT, func(c *gin.Context) {
			op, err := ginsio.IO(c).User()
			if err != nil {
				c.String(http.StatusForbidden, err.Error())
				return
			}
			_ = op.Emit("notice", "for you")
			_ = ginsio.IO(c).Emit("fence") // every socket, after the notice
			c.Status(http.StatusNoContent)
		})
		r.POST("/anonymous", func(c *gin.Context) {
			if _, err := ginsio.IO(c).User(); !errors.Is(err, ginsio.ErrNoUser) {
				c.String(http.StatusInternalServerError, "err = %v", err)
				return
			}
			c.Status(http.StatusNoContent)
		})
		srvs[i], urls[i] = srv, serve(t, r)
	}
	waitServers(t, srvs[0], 2)
	waitServers(t, srvs[1], 2)

	// The auth middleware joins each socket to its user's room before
	// the CONNECT is answered.
	alice := dial(t, urls[1], sioclient.Options{Auth: map[string]any{"token": goodToken(t, "alice")}})
	bob := dial(t, urls[1], sioclient.Options{Auth: map[string]any{"token": goodToken(t, "bob")}})
	if _, err := alice.EmitWithAck(ctxT(t), "join", "news"); err != nil {
		t.Fatal(err)
	}

	post := func(path, token string, body any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, urls[0]+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, msg)
		}
	}

	t.Run("room", func(t *testing.T) {
		post("/rooms/news", "", map[string]any{"text": "hello"})
		ev := waitNext(t, alice, "message")
		var got map[string]any
		if err := ev.Decode(&got); err != nil || got["text"] != "hello" {
			t.Fatalf("message %s: %v", ev.Args, err)
		}
	})
	t.Run("user", func(t *testing.T) {
		post("/me", goodToken(t, "alice"), nil)
		ev := waitNext(t, alice, "notice")
		var got string
		if err := ev.Decode(&got); err != nil || got != "for you" {
			t.Fatalf("notice %s: %v", ev.Args, err)
		}
		// bob gets the fence and nothing before it.
		ev, err := bob.Next(ctxT(t))
		if err != nil || ev.Name != "fence" {
			t.Fatalf("bob got %q (%v), want only the fence", ev.Name, err)
		}
	})
	t.Run("no user", func(t *testing.T) {
		post("/anonymous", "", nil)
	})
}

// TestIOOutsideMount: IO in a route that Mount's middleware does not
// precede panics with a message (Gin's recovery answers 500).
func TestIOOutsideMount(t *testing.T) {
	srv := newServer(t, core.Config{})
	r := gin.New()
	r.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, v any) {
		c.String(http.StatusInternalServerError, "%v", v)
	}))
	r.GET("/before", func(c *gin.Context) { _ = ginsio.IO(c) })
	ginsio.Mount(r, srv)
	r.GET("/after", func(c *gin.Context) {
		if ginsio.IO(c).Server() != srv {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.Status(http.StatusNoContent)
	})
	r.GET("/injected", ginsio.Inject(srv), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/before", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "ginsio") {
		t.Fatalf("/before: %d %q", rec.Code, rec.Body.String())
	}
	for _, p := range []string{"/after", "/injected"} {
		rec = httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusNoContent {
			t.Fatalf("%s: %d %q", p, rec.Code, rec.Body.String())
		}
	}
}
