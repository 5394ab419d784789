package ginsio

import (
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
)

// Errors of [Emitter.User].
var (
	// ErrNoAuthenticator means that [Config].Auth is not set, so the room
	// of a user is unknown.
	ErrNoAuthenticator = errors.New("ginsio: no authenticator in Config.Auth")
	// ErrNoUser means that the request carries no JWT claims with a
	// subject under [Config].ClaimsKey.
	ErrNoUser = errors.New("ginsio: request has no authenticated user")
)

// DefaultClaimsKey is where [Emitter.User] looks for the request's claims
// when [Config].ClaimsKey is empty.
const DefaultClaimsKey = "claims"

// Config configures [Mount] and [Inject]. The zero value is fine for an
// app without authentication.
type Config struct {
	// Auth names the room of a user for [Emitter.User] (its Room method).
	// Nil means that User returns ErrNoAuthenticator.
	Auth *auth.Authenticator
	// ClaimsKey is the gin.Context key under which the app's JWT middleware
	// stores the request's claims, as a jwt.Claims or a *jwt.Token. Zero
	// means DefaultClaimsKey ("claims").
	ClaimsKey string
}

// Handler returns a handler that serves srv: both transports and the
// WebSocket upgrade. Register it for GET, POST and OPTIONS on
// srv.Path()+"*any", or use [Mount].
func Handler(srv *core.Server) gin.HandlerFunc {
	return func(c *gin.Context) {
		srv.ServeHTTP(c.Writer, c.Request)
	}
}

// Mount registers srv on r for GET, POST and OPTIONS on srv.Path()+"*any",
// and adds the [Inject] middleware to r so that [IO] works in the routes
// registered on r after Mount. At most one cfg is used.
func Mount(r gin.IRoutes, srv *core.Server, cfg ...Config) {
	r.Use(Inject(srv, cfg...))
	h := Handler(srv)
	p := srv.Path() + "*any"
	r.GET(p, h)
	r.POST(p, h)
	r.OPTIONS(p, h)
}

type ctxKey struct{}

type injected struct {
	srv *core.Server
	cfg Config
}

// Inject returns a middleware that makes srv available to [IO] in the
// handlers that follow it. [Mount] adds it to its router; add it yourself
// to routes registered before Mount or on another router. At most one cfg
// is used.
func Inject(srv *core.Server, cfg ...Config) gin.HandlerFunc {
	in := &injected{srv: srv}
	if len(cfg) > 0 {
		in.cfg = cfg[0]
	}
	if in.cfg.ClaimsKey == "" {
		in.cfg.ClaimsKey = DefaultClaimsKey
	}
	return func(c *gin.Context) {
		c.Set(ctxKey{}, in)
		c.Next()
	}
}

// Emitter emits from an HTTP handler. Its embedded broadcast operator
// targets the main namespace: To, In, Except, Emit and the others reach
// the sockets of every server through the adapter. It is a value that
// keeps nothing of the gin.Context: it may be kept and used from any
// goroutine.
type Emitter struct {
	core.BroadcastOperator
	srv    *core.Server
	cfg    Config
	claims any
}

// IO returns the [Emitter] of the server put in c by [Mount] or [Inject].
// It panics if there is none: the route is not behind Mount or Inject.
func IO(c *gin.Context) Emitter {
	v, ok := c.Get(ctxKey{})
	if !ok {
		panic("ginsio: IO called outside Mount or Inject: register the route after Mount or add ginsio.Inject")
	}
	in := v.(*injected)
	claims, _ := c.Get(in.cfg.ClaimsKey)
	return Emitter{
		BroadcastOperator: in.srv.Except(), // no rooms: every socket
		srv:               in.srv,
		cfg:               in.cfg,
		claims:            claims,
	}
}

// Server returns the Socket.IO server, for other namespaces (Server().Of).
func (e Emitter) Server() *core.Server { return e.srv }

// User returns the operator that reaches the sockets of the request's
// user, on every server: the room [auth.Authenticator.Room] names for the
// claims the app's JWT middleware stored under [Config].ClaimsKey. It
// fails with [ErrNoAuthenticator] or [ErrNoUser] rather than return an
// operator that would reach every socket.
func (e Emitter) User() (core.BroadcastOperator, error) {
	if e.cfg.Auth == nil {
		return core.BroadcastOperator{}, ErrNoAuthenticator
	}
	room, ok := e.cfg.Auth.RoomOf(e.claims)
	if !ok {
		return core.BroadcastOperator{}, ErrNoUser
	}
	return e.srv.To(room), nil
}
