package fibersio_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/fibersio"
	"github.com/go-sio/sio/internal/fixture"
	"github.com/go-sio/sio/internal/jstest"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/internal/sioclient"
	"github.com/go-sio/sio/redisadapter"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(redistest.WithCleanup(m),
		// fasthttp's process-wide date updater, and the idle-worker cleaner
		// of a stopped server, which ends after its current 10s sleep.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"))
}

var secret = []byte("test-secret-of-at-least-32-bytes!")

func newServer(t *testing.T, cfg core.Config) *core.Server {
	t.Helper()
	srv, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(srv) })
	return srv
}

func shutdown(srv *core.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

func newApp() *fiber.App { return fiber.New(fiber.Config{DisableStartupMessage: true}) }

// serve serves app on a loopback port until t ends and returns its base
// URL. srv is shut down first: app.Shutdown waits for open connections,
// parked polls included, and leaves hijacked WebSockets alone.
func serve(t *testing.T, app *fiber.App, srv *core.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = app.Listener(ln)
	}()
	t.Cleanup(func() {
		shutdown(srv)
		_ = app.ShutdownWithTimeout(5 * time.Second)
		<-done
	})
	return "http://" + ln.Addr().String()
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
// against a server mounted on a Fiber app: polling, WebSocket and the
// upgrade, natively on fasthttp.
func TestOfficialClient(t *testing.T) {
	jstest.Setup(t)
	srv := newServer(t, core.Config{})
	fixture.Register(srv)
	app := newApp()
	fibersio.Mount(app, srv)
	url := serve(t, app, srv)
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
			app := newApp()
			fibersio.Mount(app, srv)
			url := serve(t, app, srv)
			jstest.Run(t, sp.Name, append(sp.Env, "SIO_URL="+url)...)
		})
	}
}

// TestCustomPath mounts a server on /rt/ of a group without a prefix.
func TestCustomPath(t *testing.T) {
	srv := newServer(t, core.Config{Path: "/rt/"})
	fixture.Register(srv)
	app := newApp()
	fibersio.Mount(app.Group(""), srv)
	base := serve(t, app, srv)

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
	app := newApp()
	fibersio.Mount(app, srv)
	return serve(t, app, srv)
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

// TestJWT: the auth package through Fiber: a token in the auth payload, a
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

// TestAuthFromFiberJWT: the authenticator converted from a Fiber JWT
// config accepts the tokens the config accepts, where its TokenLookup
// looks and in the auth payload, and refuses the others.
func TestAuthFromFiberJWT(t *testing.T) {
	t.Run("signing key and lookup", func(t *testing.T) {
		cfg := jwtware.Config{
			SigningKey:  jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: secret},
			Claims:      &jwt.RegisteredClaims{},
			TokenLookup: "header:Authorization,query:jwt,cookie:jwt,param:jwt",
			AuthScheme:  "Bearer",
		}
		a, err := fibersio.AuthFromFiberJWT(cfg, auth.Config{})
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
		if code := refusalCode(t, base, sioclient.Options{Query: url.Values{"token": {tok}}}); code != "token_missing" {
			t.Fatalf("query token: code %q, want token_missing", code)
		}
	})
	t.Run("default lookup, key type gives the methods", func(t *testing.T) {
		a, err := fibersio.AuthFromFiberJWT(jwtware.Config{SigningKey: jwtware.SigningKey{Key: secret}}, auth.Config{})
		if err != nil {
			t.Fatal(err)
		}
		base := serveAuth(t, a)
		tok := sign(t, jwt.SigningMethodHS384, secret, claimsFor("frank", time.Hour))
		if sub := whoami(t, dial(t, base, sioclient.Options{Header: http.Header{"Authorization": {"Bearer " + tok}}})); sub != "frank" {
			t.Fatalf("subject %q, want frank", sub)
		}
		none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsFor("frank", time.Hour))
		if code := refusalCode(t, base, sioclient.Options{Auth: map[string]any{"token": none}}); code != "method_not_allowed" {
			t.Fatalf("none: code %q, want method_not_allowed", code)
		}
	})
	t.Run("signing keys by kid", func(t *testing.T) {
		other := []byte("second-secret-of-at-least-32-byte")
		a, err := fibersio.AuthFromFiberJWT(jwtware.Config{SigningKeys: map[string]jwtware.SigningKey{
			"k1": {JWTAlg: jwtware.HS256, Key: secret},
			"k2": {JWTAlg: jwtware.HS512, Key: other},
		}}, auth.Config{})
		if err != nil {
			t.Fatal(err)
		}
		base := serveAuth(t, a)
		good := sign(t, jwt.SigningMethodHS512, other, claimsFor("dave", time.Hour), "k2")
		if sub := whoami(t, dial(t, base, sioclient.Options{Auth: map[string]any{"token": good}})); sub != "dave" {
			t.Fatalf("subject %q, want dave", sub)
		}
		for name, tok := range map[string]string{
			"unknown kid":        sign(t, jwt.SigningMethodHS512, other, claimsFor("dave", time.Hour), "k3"),
			"wrong kid":          sign(t, jwt.SigningMethodHS512, other, claimsFor("dave", time.Hour), "k1"),
			"alg of another key": sign(t, jwt.SigningMethodHS256, other, claimsFor("dave", time.Hour), "k2"),
		} {
			if code := refusalCode(t, base, sioclient.Options{Auth: map[string]any{"token": tok}}); code != "token_invalid" {
				t.Fatalf("%s: code %q, want token_invalid", name, code)
			}
		}
	})
	t.Run("not convertible", func(t *testing.T) {
		for name, cfg := range map[string]jwtware.Config{
			"no key":          {},
			"token processor": {SigningKey: jwtware.SigningKey{Key: secret}, TokenProcessorFunc: func(s string) (string, error) { return s, nil }},
			"jwks":            {JWKSetURLs: []string{"http://127.0.0.1:1/jwks.json"}},
			"key func only":   {KeyFunc: func(*jwt.Token) (any, error) { return secret, nil }},
			"bad lookup":      {SigningKey: jwtware.SigningKey{Key: secret}, TokenLookup: "header"},
			"claims value":    {SigningKey: jwtware.SigningKey{Key: secret}, Claims: jwt.RegisteredClaims{}},
		} {
			if _, err := fibersio.AuthFromFiberJWT(cfg, auth.Config{}); err == nil {
				t.Errorf("%s: no error", name)
			}
		}
		keyFunc := func(*jwt.Token) (any, error) { return secret, nil }
		if _, err := fibersio.AuthFromFiberJWT(jwtware.Config{KeyFunc: keyFunc},
			auth.Config{ValidMethods: []string{"HS256"}}); err != nil {
			t.Errorf("KeyFunc with extra.ValidMethods: %v", err)
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

// TestEmitFromRoute: a Fiber handler on instance A emits, through Redis,
// to a socket connected to instance B: to a room, and, behind the Fiber
// JWT middleware, to the sockets of the user who made the request
// (Emitter.User), and to nobody else.
func TestEmitFromRoute(t *testing.T) {
	rdb := redistest.Client(t)
	key := redistest.Prefix(t)
	jwtCfg := jwtware.Config{SigningKey: jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: secret}}
	a, err := fibersio.AuthFromFiberJWT(jwtCfg, auth.Config{})
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
		app := newApp()
		fibersio.Mount(app, srv, fibersio.Config{Auth: a})
		app.Post("/rooms/:room", func(c *fiber.Ctx) error {
			var body map[string]any
			if err := c.BodyParser(&body); err != nil {
				return err
			}
			if err := fibersio.IO(c).To(core.Room(utils.CopyString(c.Params("room")))).Emit("message", body); err != nil {
				return err
			}
			return c.SendStatus(fiber.StatusNoContent)
		})
		app.Post("/me", jwtware.New(jwtCfg), func(c *fiber.Ctx) error {
			op, err := fibersio.IO(c).User()
			if err != nil {
				return c.Status(fiber.StatusForbidden).SendString(err.Error())
			}
			_ = op.Emit("notice", "for you")
			_ = fibersio.IO(c).Emit("fence") // every socket, after the notice
			return c.SendStatus(fiber.StatusNoContent)
		})
		app.Post("/anonymous", func(c *fiber.Ctx) error {
			if _, err := fibersio.IO(c).User(); !errors.Is(err, fibersio.ErrNoUser) {
				return c.Status(fiber.StatusInternalServerError).SendString(fmtErr(err))
			}
			return c.SendStatus(fiber.StatusNoContent)
		})
		srvs[i], urls[i] = srv, serve(t, app, srv)
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
	t.Run("fiber jwt refuses", func(t *testing.T) {
		post(t, "/me", goodToken(t, "alice")+"x", nil, http.StatusUnauthorized)
	})
	t.Run("no user", func(t *testing.T) {
		post(t, "/anonymous", "", nil, http.StatusNoContent)
	})
}

func fmtErr(err error) string {
	if err == nil {
		return "err = nil"
	}
	return "err = " + err.Error()
}

// TestIOOutsideMount: IO without Mount or Inject panics with a message;
// Inject alone is enough.
func TestIOOutsideMount(t *testing.T) {
	srv := newServer(t, core.Config{})
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			return c.Status(fiber.StatusInternalServerError).SendString(err.Error())
		},
	})
	app.Get("/before", func(c *fiber.Ctx) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = errors.New(v.(string))
			}
		}()
		_ = fibersio.IO(c)
		return nil
	})
	app.Get("/injected", fibersio.Inject(srv), func(c *fiber.Ctx) error {
		if fibersio.IO(c).Server() != srv {
			return fiber.ErrInternalServerError
		}
		return c.SendStatus(fiber.StatusNoContent)
	})
	for path, want := range map[string]int{"/before": fiber.StatusInternalServerError, "/injected": fiber.StatusNoContent} {
		res, err := app.Test(httptestRequest(path))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("%s: %d %q, want %d", path, res.StatusCode, body, want)
		}
		if want != fiber.StatusNoContent && !strings.Contains(string(body), "fibersio") {
			t.Fatalf("%s: body %q, want the fibersio panic", path, body)
		}
	}
}

func httptestRequest(path string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, "http://example.com"+path, nil)
	return req
}

// TestShutdownClosesWebSocket: srv.Shutdown closes a WebSocket hijacked
// through Fiber and returns, so that the app can shut down.
func TestShutdownClosesWebSocket(t *testing.T) {
	srv := newServer(t, core.Config{})
	app := newApp()
	fibersio.Mount(app, srv)
	base := serve(t, app, srv)
	c := dial(t, base, sioclient.Options{})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a WebSocket open: %v", err)
	}
	select {
	case <-c.Done():
	case <-ctxT(t).Done():
		t.Fatal("the client is still connected")
	}
}
