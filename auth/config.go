package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/core"
)

// Source is a place where the middleware looks for a token. Build one
// with [FromAuth], [FromHeader], [FromQuery] or [FromCookie].
type Source struct {
	kind   sourceKind
	name   string
	scheme string
}

type sourceKind uint8

const (
	sourceNone sourceKind = iota
	sourceAuth
	sourceHeader
	sourceQuery
	sourceCookie
)

// FromAuth looks in the CONNECT payload, the client's auth option
// (io({auth: {token: "..."}}) in the browser), for a string field.
func FromAuth(field string) Source { return Source{kind: sourceAuth, name: field} }

// FromHeader looks in a header of the handshake request. With a scheme
// ("Bearer") the value must be that scheme (case-insensitive), a space,
// and the token; a value with another scheme counts as no token here. An
// empty scheme takes the whole value. Browsers cannot set headers on a
// WebSocket: this source serves other clients, and polling with
// extraHeaders.
func FromHeader(name, scheme string) Source {
	return Source{kind: sourceHeader, name: name, scheme: scheme}
}

// FromQuery looks in a query parameter of the handshake request. Tokens
// in URLs end up in access logs: prefer the auth payload where the client
// can send it.
func FromQuery(name string) Source { return Source{kind: sourceQuery, name: name} }

// FromCookie looks in a cookie of the handshake request.
func FromCookie(name string) Source { return Source{kind: sourceCookie, name: name} }

// String describes the source, as in error messages.
func (src Source) String() string {
	switch src.kind {
	case sourceAuth:
		return "auth." + src.name
	case sourceHeader:
		if src.scheme != "" {
			return "header " + src.name + " (" + src.scheme + ")"
		}
		return "header " + src.name
	case sourceQuery:
		return "query " + src.name
	case sourceCookie:
		return "cookie " + src.name
	}
	return "invalid source"
}

// extract returns the token the source finds in a handshake, "" if none.
func (src Source) extract(h *core.Handshake) string {
	switch src.kind {
	case sourceAuth:
		s, _ := h.Auth[src.name].(string)
		return strings.TrimSpace(s)
	case sourceHeader:
		v := strings.TrimSpace(h.Headers.Get(src.name))
		if src.scheme == "" {
			return v
		}
		n := len(src.scheme)
		if len(v) > n && strings.EqualFold(v[:n], src.scheme) && v[n] == ' ' {
			return strings.TrimSpace(v[n+1:])
		}
		return ""
	case sourceQuery:
		return strings.TrimSpace(h.Query.Get(src.name))
	case sourceCookie:
		c, err := (&http.Request{Header: h.Headers}).Cookie(src.name)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(c.Value)
	}
	return ""
}

// Config configures an [Authenticator]. KeyFunc or SigningKey is
// required; every other zero field means the default its comment names.
type Config struct {
	// KeyFunc returns the key that verifies a token (for key rotation, a
	// JWKS, a jwt.VerificationKeySet). Set KeyFunc or SigningKey, not both.
	// With KeyFunc, ValidMethods is required.
	KeyFunc jwt.Keyfunc
	// SigningKey verifies every token: []byte for HMAC, *rsa.PublicKey,
	// *ecdsa.PublicKey or ed25519.PublicKey (the matching private keys are
	// accepted and their public half used).
	SigningKey any
	// ValidMethods pins the accepted algorithms (jwt.WithValidMethods):
	// a token signed with any other is refused with method_not_allowed.
	// Nil derives them from SigningKey: HS256, HS384, HS512 for []byte;
	// RS* and PS* for RSA; the curve's ES* for ECDSA; EdDSA for Ed25519.
	// "none" is never accepted: New refuses a list that holds it.
	ValidMethods []string
	// Lookup lists where a token is looked for, in order; the first
	// source that holds one decides (a later source is not tried when
	// that token is bad). Nil means FromAuth("token"),
	// FromHeader("Authorization", "Bearer"), FromQuery("token").
	Lookup []Source
	// NewClaims returns the value a token's claims decode into, a new one
	// per call: a pointer to a struct (embedding jwt.RegisteredClaims) or
	// a jwt.MapClaims. Nil means jwt.MapClaims.
	NewClaims func() jwt.Claims
	// Issuer, when set, must be the token's iss.
	Issuer string
	// Audience, when set, must be among the token's aud.
	Audience string
	// Leeway tolerates clock skew on exp, nbf and iat. Zero means none.
	Leeway time.Duration
	// ParserOptions are added to the parser's (jwt.WithExpirationRequired,
	// jwt.WithTimeFunc, ...). They cannot override ValidMethods, Issuer,
	// Audience or Leeway when those are set.
	ParserOptions []jwt.ParserOption
	// ExpiryGrace delays the disconnection of a socket whose token
	// expires: it is disconnected at exp + Leeway + ExpiryGrace, unless
	// the client refreshed in band. Zero means at exp + Leeway. Negative
	// means never: a token is only checked when the socket connects.
	ExpiryGrace time.Duration
	// RefreshEvent is the event a client emits to hand in a new token
	// (see the package documentation). Zero means "auth:refresh".
	RefreshEvent string
	// RoomPrefix names the room each socket joins when its claims have a
	// subject: RoomPrefix + sub, to reach every connection of a user. Zero
	// means "user:".
	RoomPrefix string
	// OnError, when set, turns an authentication failure into the error
	// that refuses the connection (a *core.ConnectError gives the client a
	// message and data; see [ConnectError] for the default). Returning nil
	// keeps the default: OnError cannot let a socket in.
	OnError func(s *core.Socket, err error) error
	// Now is the clock for expiry timers, and for token validation unless
	// ParserOptions holds jwt.WithTimeFunc. Nil means time.Now.
	Now func() time.Time
}

// Defaults.
const (
	// DefaultRefreshEvent is the event clients emit to refresh their token.
	DefaultRefreshEvent = "auth:refresh"
	// DefaultRoomPrefix prefixes the subject in each user's room.
	DefaultRoomPrefix = "user:"
	// ExpiredEvent is emitted to a socket just before it is disconnected
	// because its token expired.
	ExpiredEvent = "auth:expired"
)

var errConfig = errors.New("auth: invalid config")

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errConfig}, args...)...)
}

// withDefaults validates a copy of c and fills its defaults.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.KeyFunc != nil && c.SigningKey != nil:
		return c, configError("set KeyFunc or SigningKey, not both")
	case c.KeyFunc == nil && c.SigningKey == nil:
		return c, configError("KeyFunc or SigningKey is required")
	}
	if c.SigningKey != nil {
		key, err := verificationKey(c.SigningKey)
		if err != nil {
			return c, err
		}
		c.SigningKey = key
	}
	if c.ValidMethods == nil {
		if c.SigningKey == nil {
			return c, configError("ValidMethods is required with KeyFunc")
		}
		if c.ValidMethods = methodsFor(c.SigningKey); c.ValidMethods == nil {
			return c, configError("cannot derive ValidMethods from a %T: set them", c.SigningKey)
		}
	} else {
		c.ValidMethods = slices.Clone(c.ValidMethods)
	}
	if len(c.ValidMethods) == 0 {
		return c, configError("ValidMethods is empty")
	}
	for _, m := range c.ValidMethods {
		if strings.EqualFold(m, "none") {
			return c, configError(`signing method "none" is never allowed`)
		}
		sm := jwt.GetSigningMethod(m)
		if sm == nil {
			return c, configError("unknown signing method %q", m)
		}
		if c.SigningKey != nil && !keyFits(sm, c.SigningKey) {
			return c, configError("signing method %q cannot verify with a %T", m, c.SigningKey)
		}
	}
	if c.Lookup == nil {
		c.Lookup = []Source{FromAuth("token"), FromHeader("Authorization", "Bearer"), FromQuery("token")}
	} else {
		c.Lookup = slices.Clone(c.Lookup)
	}
	if len(c.Lookup) == 0 {
		return c, configError("Lookup is empty")
	}
	for i, src := range c.Lookup {
		if src.kind == sourceNone || src.name == "" {
			return c, configError("Lookup[%d] is not a valid source", i)
		}
	}
	if c.NewClaims == nil {
		c.NewClaims = func() jwt.Claims { return jwt.MapClaims{} }
	} else if err := checkClaims(c.NewClaims()); err != nil {
		return c, err
	}
	c.ParserOptions = slices.Clone(c.ParserOptions)
	if c.RefreshEvent == "" {
		c.RefreshEvent = DefaultRefreshEvent
	}
	if core.IsReservedEvent(c.RefreshEvent) {
		return c, configError("RefreshEvent %q is reserved", c.RefreshEvent)
	}
	if c.RoomPrefix == "" {
		c.RoomPrefix = DefaultRoomPrefix
	}
	if c.Leeway < 0 {
		return c, configError("Leeway is negative")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// checkClaims makes sure that claims can be decoded into.
func checkClaims(c jwt.Claims) error {
	if c == nil {
		return configError("NewClaims returned nil")
	}
	v := reflect.ValueOf(c)
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return configError("NewClaims returned a nil %T", c)
		}
	case reflect.Map:
		if v.IsNil() {
			return configError("NewClaims returned a nil %T; return an empty one", c)
		}
	default:
		return configError("NewClaims must return a pointer or a map, not a %T", c)
	}
	return nil
}

// verificationKey checks a SigningKey and turns private keys into their
// public half.
func verificationKey(k any) (any, error) {
	switch key := k.(type) {
	case []byte:
		if len(key) == 0 {
			return nil, configError("SigningKey is empty")
		}
		return key, nil
	case string:
		return nil, configError("SigningKey is a string: use []byte(key) for HMAC")
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return key, nil
	case *rsa.PrivateKey:
		return &key.PublicKey, nil
	case *ecdsa.PrivateKey:
		return &key.PublicKey, nil
	case ed25519.PrivateKey:
		return key.Public(), nil
	}
	return nil, configError("SigningKey of unsupported type %T", k)
}

func methodsFor(key any) []string {
	switch k := key.(type) {
	case []byte:
		return []string{"HS256", "HS384", "HS512"}
	case *rsa.PublicKey:
		return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return []string{"ES256"}
		case elliptic.P384():
			return []string{"ES384"}
		case elliptic.P521():
			return []string{"ES512"}
		}
	case ed25519.PublicKey:
		return []string{"EdDSA"}
	}
	return nil
}

// keyFits reports whether a signing method verifies with this key type.
func keyFits(m jwt.SigningMethod, key any) bool {
	switch m.(type) {
	case *jwt.SigningMethodHMAC:
		_, ok := key.([]byte)
		return ok
	case *jwt.SigningMethodRSA, *jwt.SigningMethodRSAPSS:
		_, ok := key.(*rsa.PublicKey)
		return ok
	case *jwt.SigningMethodECDSA:
		_, ok := key.(*ecdsa.PublicKey)
		return ok
	case *jwt.SigningMethodEd25519:
		_, ok := key.(ed25519.PublicKey)
		return ok
	}
	return false
}
