package ginsio_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/ginsio"
	"github.com/go-sio/sio/internal/frameworktest"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/internal/sioclient"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	goleak.VerifyTestMain(redistest.WithCleanup(m))
}

// mountWith returns the frameworktest.Mount that mounts with cfg on a new Gin router,
// after which routes adds its routes (if not nil).
func mountWith(cfg ginsio.Config, routes func(r *gin.Engine)) frameworktest.Mount {
	return func(t *testing.T, srv *core.Server) string {
		r := gin.New()
		ginsio.Mount(r, srv, cfg)
		if routes != nil {
			routes(r)
		}
		return frameworktest.Serve(t, r)
	}
}

var mount = mountWith(ginsio.Config{}, nil)

// TestOfficialClient runs every scenario of the official JavaScript client
// against a server mounted on a Gin router: polling, WebSocket and the
// upgrade (which hijacks Gin's ResponseWriter).
func TestOfficialClient(t *testing.T) { frameworktest.OfficialClient(t, mount) }

// TestOfficialClientModes runs the scenarios that need the server in a
// special mode (connection state recovery, v2 clients) through the router.
func TestOfficialClientModes(t *testing.T) { frameworktest.OfficialClientModes(t, mount) }

// TestCustomPath mounts a server on /rt/: polling and WebSocket answer
// there, and the default path is not routed.
func TestCustomPath(t *testing.T) { frameworktest.CustomPath(t, mount) }

// TestJWT: the auth package (HS256 only, claims decoded into
// *jwt.RegisteredClaims) through Gin: a token in the auth payload, a
// header or the query is accepted; bad ones are refused with their code.
func TestJWT(t *testing.T) {
	frameworktest.JWT(t, mount, auth.Config{NewClaims: func() jwt.Claims { return &jwt.RegisteredClaims{} }})
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
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return frameworktest.Secret, nil },
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
	srv := frameworktest.NewServer(t, core.Config{})
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
	base := mount(t, srv)
	tok := frameworktest.GoodToken(t, "bob")

	t.Run("header", func(t *testing.T) {
		c := frameworktest.Dial(t, base, sioclient.Options{Header: http.Header{"Authorization": {"Bearer " + tok}}})
		if sub := frameworktest.Whoami(t, c); sub != "bob" {
			t.Fatalf("subject %q, want bob", sub)
		}
	})
	t.Run("auth payload", func(t *testing.T) {
		c := frameworktest.Dial(t, base, frameworktest.WithToken(tok))
		if sub := frameworktest.Whoami(t, c); sub != "bob" {
			t.Fatalf("subject %q, want bob", sub)
		}
	})
	for name, o := range map[string]sioclient.Options{
		"missing":     {},
		"expired":     frameworktest.WithToken(frameworktest.Sign(t, jwt.SigningMethodHS256, frameworktest.Secret, frameworktest.ClaimsFor("bob", -time.Minute))),
		"bad header":  {Header: http.Header{"Authorization": {"Bearer " + tok + "x"}}},
		"none method": frameworktest.WithToken(frameworktest.Sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, frameworktest.ClaimsFor("bob", time.Hour))),
	} {
		t.Run("refuses/"+name, func(t *testing.T) {
			if code := frameworktest.RefusalCode(t, base, o); code != "token_invalid" {
				t.Fatalf("code %q, want token_invalid", code)
			}
		})
	}
}

// TestEmitFromRoute: a REST handler on instance A emits, through Redis, to
// a socket connected to instance B: to a room, and to the sockets of the
// user who made the request (Emitter.User), and to nobody else.
func TestEmitFromRoute(t *testing.T) {
	a, err := auth.New(auth.Config{SigningKey: frameworktest.Secret, ValidMethods: []string{"HS256"}})
	if err != nil {
		t.Fatal(err)
	}
	frameworktest.EmitFromRoute(t, frameworktest.Routes{Auth: a, Serve: mountWith(ginsio.Config{Auth: a}, func(r *gin.Engine) {
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
	})})
}

// TestIOOutsideMount: IO in a route that Mount's middleware does not
// precede panics with a message (Gin's recovery answers 500).
func TestIOOutsideMount(t *testing.T) {
	srv := frameworktest.NewServer(t, core.Config{})
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
