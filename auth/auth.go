package auth

import (
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/core"
)

// Authenticator checks JSON Web Tokens at the Socket.IO handshake, keeps
// each authenticated socket's claims and token, disconnects it when its
// token expires and lets its client hand in a new token. Build it with
// [New]; it is safe for concurrent use, and one Authenticator may serve
// any number of namespaces and servers.
type Authenticator struct {
	cfg     Config
	opts    []jwt.ParserOption
	keyFunc jwt.Keyfunc

	// nsps records the namespaces whose connection handler is registered
	// (*core.Namespace → *nspHook); see connect.go.
	nsps sync.Map
}

// New validates cfg and returns an Authenticator. It refuses a config
// without a key, without pinned algorithms (when they cannot be derived
// from SigningKey), with "none" among them, or with a method that does
// not fit SigningKey. cfg is not modified.
func New(cfg Config) (*Authenticator, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Authenticator{cfg: c, keyFunc: c.KeyFunc}
	if a.keyFunc == nil {
		key := c.SigningKey
		a.keyFunc = func(*jwt.Token) (any, error) { return key, nil }
	}
	if cfg.Now != nil {
		a.opts = append(a.opts, jwt.WithTimeFunc(cfg.Now))
	}
	a.opts = append(a.opts, c.ParserOptions...)
	// Ours come last, so that ParserOptions cannot loosen them.
	a.opts = append(a.opts, jwt.WithValidMethods(c.ValidMethods))
	if c.Issuer != "" {
		a.opts = append(a.opts, jwt.WithIssuer(c.Issuer))
	}
	if c.Audience != "" {
		a.opts = append(a.opts, jwt.WithAudience(c.Audience))
	}
	if c.Leeway > 0 {
		a.opts = append(a.opts, jwt.WithLeeway(c.Leeway))
	}
	return a, nil
}

// Middleware returns the namespace middleware that authenticates each
// connecting socket: srv.Use(a.Middleware()) for the main namespace,
// nsp.Use(a.Middleware()) for another. It looks for a token in the Lookup
// sources, validates it, and either refuses the connection (see
// [ConnectError] and Config.OnError) or stores the claims on the socket,
// joins the subject's room, registers the refresh event and arms the
// expiry timer. A refusal affects that socket only.
func (a *Authenticator) Middleware() core.Middleware {
	return func(s *core.Socket) error {
		token := a.lookup(s.Handshake())
		claims, err := a.Authenticate(token)
		if err != nil {
			return a.refuse(s, err)
		}
		a.attach(s, token, claims)
		return nil
	}
}

// lookup returns the token of the first source that has one.
func (a *Authenticator) lookup(h *core.Handshake) string {
	for _, src := range a.cfg.Lookup {
		if t := src.extract(h); t != "" {
			return t
		}
	}
	return ""
}

func (a *Authenticator) refuse(s *core.Socket, err error) error {
	if a.cfg.OnError != nil {
		if e := a.cfg.OnError(s, err); e != nil {
			return e
		}
	}
	return ConnectError(err)
}

// Authenticate validates a token string with the Authenticator's rules
// and returns its claims (of the type Config.NewClaims returns). An error
// matches one of ErrTokenMissing, ErrTokenInvalid, ErrTokenExpired,
// ErrTokenNotValidYet or ErrMethodNotAllowed, and wraps the golang-jwt
// error behind it.
func (a *Authenticator) Authenticate(token string) (jwt.Claims, error) {
	if token == "" {
		return nil, ErrTokenMissing
	}
	// A Parser is cheap and keeps no state between tokens; a new one per
	// call leaves nothing shared.
	tok, err := jwt.NewParser(a.opts...).ParseWithClaims(token, a.cfg.NewClaims(), a.keyFunc)
	if err != nil {
		if alg := algOf(tok); alg != "" && !slices.Contains(a.cfg.ValidMethods, alg) {
			return nil, fmt.Errorf("%w: %q: %w", ErrMethodNotAllowed, alg, err)
		}
		return nil, fmt.Errorf("%w: %w", classify(err), err)
	}
	if !tok.Valid || tok.Method == nil || !slices.Contains(a.cfg.ValidMethods, tok.Method.Alg()) {
		return nil, ErrMethodNotAllowed // unreachable: the parser checks it
	}
	return tok.Claims, nil
}

func algOf(tok *jwt.Token) string {
	if tok == nil {
		return ""
	}
	alg, _ := tok.Header["alg"].(string)
	return alg
}

// Room returns the room of the claims' subject: RoomPrefix + sub, false
// when the claims have no subject.
func (a *Authenticator) Room(claims jwt.Claims) (core.Room, bool) {
	sub := subject(claims)
	if sub == "" {
		return "", false
	}
	return core.Room(a.cfg.RoomPrefix + sub), true
}

// RoomOf is Room for what an HTTP JWT middleware stores in its request
// context: a *jwt.Token (echo-jwt, Fiber's contrib/jwt) or the claims.
func (a *Authenticator) RoomOf(v any) (core.Room, bool) {
	switch t := v.(type) {
	case *jwt.Token:
		if t != nil && t.Claims != nil {
			return a.Room(t.Claims)
		}
	case jwt.Claims:
		return a.Room(t)
	}
	return "", false
}

// subject is the claims' sub, "" if none or unreadable.
func subject(claims jwt.Claims) string {
	if claims == nil {
		return ""
	}
	if v := reflect.ValueOf(claims); (v.Kind() == reflect.Pointer || v.Kind() == reflect.Map) && v.IsNil() {
		return ""
	}
	sub, err := claims.GetSubject()
	if err != nil {
		return ""
	}
	return sub
}
