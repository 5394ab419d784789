package fibersio_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
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
	"github.com/go-sio/sio/internal/frameworktest"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/internal/sioclient"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(redistest.WithCleanup(m), frameworktest.FasthttpLeaks()...)
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
		frameworktest.Shutdown(srv)
		_ = app.ShutdownWithTimeout(5 * time.Second)
		<-done
	})
	return "http://" + ln.Addr().String()
}

// mount mounts srv on a new Fiber app.
func mount(t *testing.T, srv *core.Server) string {
	app := newApp()
	fibersio.Mount(app, srv)
	return serve(t, app, srv)
}

// TestOfficialClient runs every scenario of the official JavaScript client
// against a server mounted on a Fiber app: polling, WebSocket and the
// upgrade, natively on fasthttp.
func TestOfficialClient(t *testing.T) { frameworktest.OfficialClient(t, mount) }

// TestOfficialClientModes runs the scenarios that need the server in a
// special mode (connection state recovery, v2 clients) through the router.
func TestOfficialClientModes(t *testing.T) { frameworktest.OfficialClientModes(t, mount) }

// TestCustomPath mounts a server on /rt/ of a group without a prefix.
func TestCustomPath(t *testing.T) {
	frameworktest.CustomPath(t, func(t *testing.T, srv *core.Server) string {
		app := newApp()
		fibersio.Mount(app.Group(""), srv)
		return serve(t, app, srv)
	})
}

// TestJWT: the auth package through Fiber: a token in the auth payload, a
// header or the query is accepted; bad ones are refused with their code.
func TestJWT(t *testing.T) { frameworktest.JWT(t, mount, auth.Config{}) }

// TestAuthFromFiberJWT: the authenticator converted from a Fiber JWT
// config accepts the tokens the config accepts, where its TokenLookup
// looks and in the auth payload, and refuses the others.
func TestAuthFromFiberJWT(t *testing.T) {
	secret := frameworktest.Secret
	sign, claimsFor := frameworktest.Sign, frameworktest.ClaimsFor
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
		frameworktest.TokenLookup(t, frameworktest.ServeAuth(t, mount, a))
	})
	t.Run("default lookup, key type gives the methods", func(t *testing.T) {
		a, err := fibersio.AuthFromFiberJWT(jwtware.Config{SigningKey: jwtware.SigningKey{Key: secret}}, auth.Config{})
		if err != nil {
			t.Fatal(err)
		}
		base := frameworktest.ServeAuth(t, mount, a)
		tok := sign(t, jwt.SigningMethodHS384, secret, claimsFor("frank", time.Hour))
		if sub := frameworktest.Whoami(t, frameworktest.Dial(t, base, sioclient.Options{Header: http.Header{"Authorization": {"Bearer " + tok}}})); sub != "frank" {
			t.Fatalf("subject %q, want frank", sub)
		}
		none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsFor("frank", time.Hour))
		if code := frameworktest.RefusalCode(t, base, frameworktest.WithToken(none)); code != "method_not_allowed" {
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
		base := frameworktest.ServeAuth(t, mount, a)
		good := sign(t, jwt.SigningMethodHS512, other, claimsFor("dave", time.Hour), "k2")
		if sub := frameworktest.Whoami(t, frameworktest.Dial(t, base, frameworktest.WithToken(good))); sub != "dave" {
			t.Fatalf("subject %q, want dave", sub)
		}
		for name, tok := range map[string]string{
			"unknown kid":        sign(t, jwt.SigningMethodHS512, other, claimsFor("dave", time.Hour), "k3"),
			"wrong kid":          sign(t, jwt.SigningMethodHS512, other, claimsFor("dave", time.Hour), "k1"),
			"alg of another key": sign(t, jwt.SigningMethodHS256, other, claimsFor("dave", time.Hour), "k2"),
		} {
			if code := frameworktest.RefusalCode(t, base, frameworktest.WithToken(tok)); code != "token_invalid" {
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

// TestEmitFromRoute: a Fiber handler on instance A emits, through Redis,
// to a socket connected to instance B: to a room, and, behind the Fiber
// JWT middleware, to the sockets of the user who made the request
// (Emitter.User), and to nobody else.
func TestEmitFromRoute(t *testing.T) {
	jwtCfg := jwtware.Config{SigningKey: jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: frameworktest.Secret}}
	a, err := fibersio.AuthFromFiberJWT(jwtCfg, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	serveRoutes := func(t *testing.T, srv *core.Server) string {
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
		return serve(t, app, srv)
	}
	frameworktest.EmitFromRoute(t, frameworktest.Routes{Auth: a, Serve: serveRoutes,
		Refusals: []frameworktest.Refusal{{Name: "fiber jwt refuses", Token: frameworktest.GoodToken(t, "alice") + "x"}}})
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
	srv := frameworktest.NewServer(t, core.Config{})
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
	srv := frameworktest.NewServer(t, core.Config{})
	base := mount(t, srv)
	c := frameworktest.Dial(t, base, sioclient.Options{})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a WebSocket open: %v", err)
	}
	select {
	case <-c.Done():
	case <-frameworktest.Ctx(t).Done():
		t.Fatal("the client is still connected")
	}
}
