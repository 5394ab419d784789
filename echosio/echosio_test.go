package echosio_test

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

	"github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.uber.org/goleak"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/echosio"
	"github.com/go-sio/sio/internal/fixture"
	"github.com/go-sio/sio/internal/jstest"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/internal/sioclient"
	"github.com/go-sio/sio/redisadapter"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(redistest.WithCleanup(m)) }

var secret = []byte("test-secret-of-at-least-32-bytes!")

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

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
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

func sign(t *testing.T, m jwt.SigningMethod, key any, claims jwt.Claims, kid ...string) string {
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

func claimsFor(sub string, exp time.Duration) jwt.RegisteredClaims {
	return jwt.RegisteredClaims{Subject: sub, ExpiresAt: jwt.NewNumericDate(time.Now().Add(exp))}
}

func goodToken(t *testing.T, sub string) string {
	return sign(t, jwt.SigningMethodHS256, secret, claimsFor(sub, time.Hour))
}

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
// against a server mounted on an Echo router: polling, WebSocket and the
// upgrade (which hijacks *echo.Response).
func TestOfficialClient(t *testing.T) {
	jstest.Setup(t)
	srv := newServer(t, core.Config{})
	fixture.Register(srv)
	e := echo.New()
	echosio.Mount(e, srv)
	url := serve(t, e)
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
			e := echo.New()
			echosio.Mount(e, srv)
			url := serve(t, e)
			jstest.Run(t, sp.Name, append(sp.Env, "SIO_URL="+url)...)
		})
	}
}

// TestCustomPath mounts a server on /rt/ of a group without a prefix.
func TestCustomPath(t *testing.T) {
	srv := newServer(t, core.Config{Path: "/rt/"})
	fixture.Register(srv)
	e := echo.New()
	echosio.Mount(e.Group(""), srv)
	base := serve(t, e)

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

// serveAuth serves a server whose sockets authenticate with a and answer
// "whoami" with their subject.
func serveAuth(t *testing.T, a *auth.Authenticator) string {
	t.Helper()
	srv := newServer(t, core.Config{})
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
	e := echo.New()
	echosio.Mount(e, srv)
	return serve(t, e)
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

// TestJWT: the auth package through Echo: a token in the auth payload, a
// header or the query is accepted; bad ones are refused with their code.
func TestJWT(t *testing.T) {
	a, err := auth.New(auth.Config{SigningKey: secret, ValidMethods: []string{"HS256"}})
	if err != nil {
		t.Fatal(err)
	}
	base := serveAuth(t, a)
	tok := goodToken(t, "alice")
	for name, o := range map[string]sioclient.Options{
		"auth payload": {Auth: map[string]any{"token": tok}},
		"header":       {Header: http.Header{"Authorization": {"Bearer " + tok}}},
		"query":        {Query: url.Values{"token": {tok}}},
	} {
		t.Run("accepts/"+name, func(t *testing.T) {
			t.Parallel()
			if sub := whoami(t, dial(t, base, o)); sub != "alice" {
				t.Fatalf("subject %q, want alice", sub)
			}
		})
	}
	for _, tc := range badTokens(t) {
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

type badToken struct{ name, token, code string }

// badTokens are refused by an HS256-only authenticator on secret.
func badTokens(t *testing.T) []badToken {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(goodToken(t, "alice"), ".")
	payload, _ := json.Marshal(claimsFor("mallory", time.Hour))
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	return []badToken{
		{"missing", "", "token_missing"},
		{"expired", sign(t, jwt.SigningMethodHS256, secret, claimsFor("alice", -time.Hour)), "token_expired"},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, secret, jwt.RegisteredClaims{Subject: "alice", NotBefore: jwt.NewNumericDate(time.Now().Add(time.Hour))}), "token_not_yet_valid"},
		{"wrong algorithm", sign(t, jwt.SigningMethodRS256, rsaKey, claimsFor("alice", time.Hour)), "method_not_allowed"},
		{"other HMAC", sign(t, jwt.SigningMethodHS512, secret, claimsFor("alice", time.Hour)), "method_not_allowed"},
		{"none algorithm", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsFor("alice", time.Hour)), "method_not_allowed"},
		{"tampered", tampered, "token_invalid"},
		{"wrong key", sign(t, jwt.SigningMethodHS256, []byte("another-secret-of-32-bytes-long!!"), claimsFor("alice", time.Hour)), "token_invalid"},
	}
}

// TestAuthFromEchoJWT: the authenticator converted from an echo-jwt
// config accepts the tokens the config accepts, where its TokenLookup
// looks and in the auth payload, and refuses the others.
func TestAuthFromEchoJWT(t *testing.T) {
	t.Run("signing key and lookup", func(t *testing.T) {
		cfg := echojwt.Config{
			SigningKey:    secret,
			TokenLookup:   "header:Authorization:Bearer ,query:jwt,cookie:jwt,form:jwt",
			NewClaimsFunc: func(echo.Context) jwt.Claims { return &jwt.RegisteredClaims{} },
		}
		a, err := echosio.AuthFromEchoJWT(cfg, auth.Config{})
		if err != nil {
			t.Fatal(err)
		}
		base := serveAuth(t, a)
		tok := goodToken(t, "carol")
		for name, o := range map[string]sioclient.Options{
			"auth payload": {Auth: map[string]any{"token": tok}},
			"header":       {Header: http.Header{"Authorization": {"Bearer " + tok}}},
			"query":        {Query: url.Values{"jwt": {tok}}},
			"cookie":       {Header: http.Header{"Cookie": {"jwt=" + tok}}},
		} {
			t.Run("accepts/"+name, func(t *testing.T) {
				if sub := whoami(t, dial(t, base, o)); sub != "carol" {
					t.Fatalf("subject %q, want carol", sub)
				}
			})
		}
		for _, tc := range badTokens(t) {
			t.Run("refuses/"+tc.name, func(t *testing.T) {
				o := sioclient.Options{}
				if tc.token != "" {
					o.Auth = map[string]any{"token": tc.token}
				}
				if code := refusalCode(t, base, o); code != tc.code {
					t.Fatalf("code %q, want %q", code, tc.code)
				}
			})
		}
		// Query "token" is not in this TokenLookup.
		if code := refusalCode(t, base, sioclient.Options{Query: url.Values{"token": {tok}}}); code != "token_missing" {
			t.Fatalf("query token: code %q, want token_missing", code)
		}
	})
	t.Run("signing keys by kid", func(t *testing.T) {
		other := []byte("second-secret-of-at-least-32-byte")
		a, err := echosio.AuthFromEchoJWT(echojwt.Config{
			SigningKeys: map[string]any{"k1": secret, "k2": other},
		}, auth.Config{})
		if err != nil {
			t.Fatal(err)
		}
		base := serveAuth(t, a)
		good := sign(t, jwt.SigningMethodHS256, other, claimsFor("dave", time.Hour), "k2")
		if sub := whoami(t, dial(t, base, sioclient.Options{Auth: map[string]any{"token": good}})); sub != "dave" {
			t.Fatalf("subject %q, want dave", sub)
		}
		for name, tok := range map[string]string{
			"unknown kid": sign(t, jwt.SigningMethodHS256, other, claimsFor("dave", time.Hour), "k3"),
			"wrong kid":   sign(t, jwt.SigningMethodHS256, other, claimsFor("dave", time.Hour), "k1"),
			"no kid":      sign(t, jwt.SigningMethodHS256, other, claimsFor("dave", time.Hour)),
		} {
			if code := refusalCode(t, base, sioclient.Options{Auth: map[string]any{"token": tok}}); code != "token_invalid" {
				t.Fatalf("%s: code %q, want token_invalid", name, code)
			}
		}
	})
	t.Run("key func", func(t *testing.T) {
		keyFunc := func(*jwt.Token) (any, error) { return secret, nil }
		if _, err := echosio.AuthFromEchoJWT(echojwt.Config{KeyFunc: keyFunc}, auth.Config{}); err == nil {
			t.Fatal("KeyFunc without a signing method: no error")
		}
		a, err := echosio.AuthFromEchoJWT(echojwt.Config{KeyFunc: keyFunc, SigningMethod: "HS256"}, auth.Config{})
		if err != nil {
			t.Fatal(err)
		}
		base := serveAuth(t, a)
		if sub := whoami(t, dial(t, base, sioclient.Options{Auth: map[string]any{"token": goodToken(t, "erin")}})); sub != "erin" {
			t.Fatalf("subject %q, want erin", sub)
		}
		bad := sign(t, jwt.SigningMethodHS384, secret, claimsFor("erin", time.Hour))
		if code := refusalCode(t, base, sioclient.Options{Auth: map[string]any{"token": bad}}); code != "method_not_allowed" {
			t.Fatalf("HS384: code %q, want method_not_allowed", code)
		}
	})
	t.Run("not convertible", func(t *testing.T) {
		parse := func(echo.Context, string) (any, error) { return nil, nil }
		for name, cfg := range map[string]echojwt.Config{
			"no key":           {},
			"parse token func": {ParseTokenFunc: parse},
			"lookup funcs":     {SigningKey: secret, TokenLookupFuncs: []middleware.ValuesExtractor{nil}},
			"bad lookup":       {SigningKey: secret, TokenLookup: "header"},
		} {
			if _, err := echosio.AuthFromEchoJWT(cfg, auth.Config{}); err == nil {
				t.Errorf("%s: no error", name)
			}
		}
		// extra replaces what cannot be converted.
		if _, err := echosio.AuthFromEchoJWT(echojwt.Config{ParseTokenFunc: parse},
			auth.Config{SigningKey: secret}); err != nil {
			t.Errorf("ParseTokenFunc replaced by extra.SigningKey: %v", err)
		}
	})
}

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

// TestEmitFromRoute: an Echo handler on instance A emits, through Redis,
// to a socket connected to instance B: to a room, and, behind echo-jwt, to
// the sockets of the user who made the request (Emitter.User), and to
// nobody else.
func TestEmitFromRoute(t *testing.T) {
	rdb := redistest.Client(t)
	key := redistest.Prefix(t)
	jwtCfg := echojwt.Config{SigningKey: secret}
	a, err := echosio.AuthFromEchoJWT(jwtCfg, auth.Config{})
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
		e := echo.New()
		echosio.Mount(e, srv, echosio.Config{Auth: a})
		e.POST("/rooms/:room", func(c echo.Context) error {
			var body map[string]any
			if err := c.Bind(&body); err != nil {
				return err
			}
			if err := echosio.IO(c).To(core.Room(c.Param("room"))).Emit("message", body); err != nil {
				return err
			}
			return c.NoContent(http.StatusNoContent)
		})
		e.POST("/me", func(c echo.Context) error {
			op, err := echosio.IO(c).User()
			if err != nil {
				return c.String(http.StatusForbidden, err.Error())
			}
			_ = op.Emit("notice", "for you")
			_ = echosio.IO(c).Emit("fence") // every socket, after the notice
			return c.NoContent(http.StatusNoContent)
		}, echojwt.WithConfig(jwtCfg))
		e.POST("/anonymous", func(c echo.Context) error {
			if _, err := echosio.IO(c).User(); !errors.Is(err, echosio.ErrNoUser) {
				return c.String(http.StatusInternalServerError, "err = "+err.Error())
			}
			return c.NoContent(http.StatusNoContent)
		})
		srvs[i], urls[i] = srv, serve(t, e)
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

	post := func(t *testing.T, path, token string, body any, want int) {
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
		if res.StatusCode != want {
			t.Fatalf("POST %s: %d %s, want %d", path, res.StatusCode, msg, want)
		}
	}

	t.Run("room", func(t *testing.T) {
		post(t, "/rooms/news", "", map[string]any{"text": "hello"}, http.StatusNoContent)
		ev := waitNext(t, alice, "message")
		var got map[string]any
		if err := ev.Decode(&got); err != nil || got["text"] != "hello" {
			t.Fatalf("message %s: %v", ev.Args, err)
		}
	})
	t.Run("user", func(t *testing.T) {
		post(t, "/me", goodToken(t, "alice"), nil, http.StatusNoContent)
		ev := waitNext(t, alice, "notice")
		var got string
		if err := ev.Decode(&got); err != nil || got != "for you" {
			t.Fatalf("notice %s: %v", ev.Args, err)
		}
		ev, err := bob.Next(ctxT(t))
		if err != nil || ev.Name != "fence" {
			t.Fatalf("bob got %q (%v), want only the fence", ev.Name, err)
		}
	})
	t.Run("echo-jwt refuses", func(t *testing.T) {
		post(t, "/me", "", nil, http.StatusUnauthorized)
	})
	t.Run("no user", func(t *testing.T) {
		post(t, "/anonymous", "", nil, http.StatusNoContent)
	})
}

// TestIOOutsideMount: IO without Mount or Inject panics with a message.
func TestIOOutsideMount(t *testing.T) {
	srv := newServer(t, core.Config{})
	e := echo.New()
	g := e.Group("/g")
	g.GET("/before", func(c echo.Context) error { _ = echosio.IO(c); return nil })
	e.GET("/injected", func(c echo.Context) error {
		if echosio.IO(c).Server() != srv {
			return echo.ErrInternalServerError
		}
		return c.NoContent(http.StatusNoContent)
	}, echosio.Inject(srv))
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(string), "echosio") {
			t.Fatalf("recovered %v, want an echosio panic", v)
		}
	}()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/injected", nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("/injected: %d %q", rec.Code, rec.Body.String())
	}
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/g/before", nil))
}
