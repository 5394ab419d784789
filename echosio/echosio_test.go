package echosio_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
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
	"github.com/go-sio/sio/internal/frameworktest"
	"github.com/go-sio/sio/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(redistest.WithCleanup(m)) }

// mount mounts srv on a new Echo router.
func mount(t *testing.T, srv *core.Server) string {
	e := echo.New()
	echosio.Mount(e, srv)
	return frameworktest.Serve(t, e)
}

// TestOfficialClient runs every scenario of the official JavaScript client
// against a server mounted on an Echo router: polling, WebSocket and the
// upgrade (which hijacks *echo.Response).
func TestOfficialClient(t *testing.T) { frameworktest.OfficialClient(t, mount) }

// TestOfficialClientModes runs the scenarios that need the server in a
// special mode (connection state recovery, v2 clients) through the router.
func TestOfficialClientModes(t *testing.T) { frameworktest.OfficialClientModes(t, mount) }

// TestCustomPath mounts a server on /rt/ of a group without a prefix.
func TestCustomPath(t *testing.T) {
	frameworktest.CustomPath(t, func(t *testing.T, srv *core.Server) string {
		e := echo.New()
		echosio.Mount(e.Group(""), srv)
		return frameworktest.Serve(t, e)
	})
}

// TestJWT: the auth package through Echo: a token in the auth payload, a
// header or the query is accepted; bad ones are refused with their code.
func TestJWT(t *testing.T) { frameworktest.JWT(t, mount, auth.Config{}) }

// TestAuthFromEchoJWT: the authenticator converted from an echo-jwt
// config accepts the tokens the config accepts, where its TokenLookup
// looks and in the auth payload, and refuses the others.
func TestAuthFromEchoJWT(t *testing.T) {
	secret := frameworktest.Secret
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
		frameworktest.TokenLookup(t, frameworktest.ServeAuth(t, mount, a))
	})
	t.Run("signing keys by kid", func(t *testing.T) {
		other := []byte("second-secret-of-at-least-32-byte")
		a, err := echosio.AuthFromEchoJWT(echojwt.Config{
			SigningKeys: map[string]any{"k1": secret, "k2": other},
		}, auth.Config{})
		if err != nil {
			t.Fatal(err)
		}
		base := frameworktest.ServeAuth(t, mount, a)
		sign := func(kid ...string) string {
			return frameworktest.Sign(t, jwt.SigningMethodHS256, other, frameworktest.ClaimsFor("dave", time.Hour), kid...)
		}
		if sub := frameworktest.Whoami(t, frameworktest.Dial(t, base, frameworktest.WithToken(sign("k2")))); sub != "dave" {
			t.Fatalf("subject %q, want dave", sub)
		}
		for name, tok := range map[string]string{
			"unknown kid": sign("k3"),
			"wrong kid":   sign("k1"),
			"no kid":      sign(),
		} {
			if code := frameworktest.RefusalCode(t, base, frameworktest.WithToken(tok)); code != "token_invalid" {
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
		base := frameworktest.ServeAuth(t, mount, a)
		if sub := frameworktest.Whoami(t, frameworktest.Dial(t, base, frameworktest.WithToken(frameworktest.GoodToken(t, "erin")))); sub != "erin" {
			t.Fatalf("subject %q, want erin", sub)
		}
		bad := frameworktest.Sign(t, jwt.SigningMethodHS384, secret, frameworktest.ClaimsFor("erin", time.Hour))
		if code := frameworktest.RefusalCode(t, base, frameworktest.WithToken(bad)); code != "method_not_allowed" {
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

// TestEmitFromRoute: an Echo handler on instance A emits, through Redis,
// to a socket connected to instance B: to a room, and, behind echo-jwt, to
// the sockets of the user who made the request (Emitter.User), and to
// nobody else.
func TestEmitFromRoute(t *testing.T) {
	jwtCfg := echojwt.Config{SigningKey: frameworktest.Secret}
	a, err := echosio.AuthFromEchoJWT(jwtCfg, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(t *testing.T, srv *core.Server) string {
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
		return frameworktest.Serve(t, e)
	}
	frameworktest.EmitFromRoute(t, frameworktest.Routes{Auth: a, Serve: serve,
		Refusals: []frameworktest.Refusal{{Name: "echo-jwt refuses", Token: ""}}})
}

// TestIOOutsideMount: IO without Mount or Inject panics with a message.
func TestIOOutsideMount(t *testing.T) {
	srv := frameworktest.NewServer(t, core.Config{})
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
