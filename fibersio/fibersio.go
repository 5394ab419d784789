package fibersio

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
)

// Errors of [Emitter.User].
var (
	// ErrNoAuthenticator means that [Config].Auth is not set, so the room
	// of a user is unknown.
	ErrNoAuthenticator = errors.New("fibersio: no authenticator in Config.Auth")
	// ErrNoUser means that the request carries no JWT under
	// [Config].ClaimsKey, or one without a subject.
	ErrNoUser = errors.New("fibersio: request has no authenticated user")
)

// DefaultClaimsKey is where [Emitter.User] looks for the request's token
// when [Config].ClaimsKey is empty: gofiber/contrib/jwt's default
// ContextKey.
const DefaultClaimsKey = "user"

// Config configures [Mount] and [Inject]. The zero value is fine for an
// app without authentication.
type Config struct {
	// Auth names the room of a user for [Emitter.User] (its Room method).
	// Nil means that User returns ErrNoAuthenticator.
	Auth *auth.Authenticator
	// ClaimsKey is the c.Locals key under which the app's JWT middleware
	// stores the request's *jwt.Token (or jwt.Claims). Zero means
	// DefaultClaimsKey ("user", as gofiber/contrib/jwt).
	ClaimsKey string
}

// Handler returns a handler that serves srv natively on fasthttp: both
// transports and the WebSocket upgrade. Register it for GET, POST and
// OPTIONS on srv.Path()+"*", or use [Mount].
func Handler(srv *core.Server) fiber.Handler {
	return func(c *fiber.Ctx) error {
		srv.ServeFastHTTP(c.Context())
		return nil
	}
}

// Mount registers srv on r for GET, POST and OPTIONS on srv.Path()+"*",
// and adds the [Inject] middleware to r so that [IO] works in the routes
// registered on r after Mount. At most one cfg is used.
func Mount(r fiber.Router, srv *core.Server, cfg ...Config) {
	r.Use(Inject(srv, cfg...))
	h := Handler(srv)
	p := srv.Path() + "*"
	r.Get(p, h)
	r.Post(p, h)
	r.Options(p, h)
}

type ctxKey struct{}

type injected struct {
	srv *core.Server
	cfg Config
}

// Inject returns a middleware that makes srv available to [IO] in the
// handlers that follow it. [Mount] adds it to its router. At most one cfg
// is used.
func Inject(srv *core.Server, cfg ...Config) fiber.Handler {
	in := &injected{srv: srv}
	if len(cfg) > 0 {
		in.cfg = cfg[0]
	}
	if in.cfg.ClaimsKey == "" {
		in.cfg.ClaimsKey = DefaultClaimsKey
	}
	return func(c *fiber.Ctx) error {
		c.Locals(ctxKey{}, in)
		return c.Next()
	}
}

// Emitter emits from an HTTP handler. Its embedded broadcast operator
// targets the main namespace: To, In, Except, Emit and the others reach
// the sockets of every server through the adapter. It is a value that
// keeps nothing of the fiber.Ctx: it may be kept and used from any
// goroutine.
type Emitter struct {
	core.BroadcastOperator
	srv    *core.Server
	cfg    Config
	claims any
}

// IO returns the [Emitter] of the server put in c by [Mount] or [Inject].
// It panics if there is none: the route is not behind Mount or Inject.
func IO(c *fiber.Ctx) Emitter {
	in, ok := c.Locals(ctxKey{}).(*injected)
	if !ok {
		panic("fibersio: IO called outside Mount or Inject: register the route after Mount or add fibersio.Inject")
	}
	return Emitter{
		BroadcastOperator: in.srv.Except(), // no rooms: every socket
		srv:               in.srv,
		cfg:               in.cfg,
		claims:            c.Locals(in.cfg.ClaimsKey),
	}
}

// Server returns the Socket.IO server, for other namespaces (Server().Of).
func (e Emitter) Server() *core.Server { return e.srv }

// User returns the operator that reaches the sockets of the request's
// user, on every server: the room [auth.Authenticator.Room] names for the
// token the app's JWT middleware stored under [Config].ClaimsKey. It fails
// with [ErrNoAuthenticator] or [ErrNoUser] rather than return an operator
// that would reach every socket.
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
