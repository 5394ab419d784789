package fibersio

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/auth"
)

// AuthFromFiberJWT returns an [auth.Authenticator] that accepts the tokens
// the gofiber/contrib/jwt middleware configured by cfg accepts, for the
// sockets of the same app: srv.Use(a.Middleware()).
//
// From cfg it takes, unless extra sets the same thing:
//
//   - the key: KeyFunc; else SigningKeys (chosen by the token's "kid"
//     header, each checked against its JWTAlg when set); else SigningKey.
//   - the signing methods: the JWTAlg of SigningKey, or of every one of
//     SigningKeys, become ValidMethods. Without them the Fiber middleware
//     accepts any method the key can verify; the auth package derives
//     them from a SigningKey's type, and needs extra.ValidMethods with a
//     KeyFunc or with SigningKeys that lack a JWTAlg.
//   - Claims: a fresh value of its type for each token (jwt.MapClaims
//     when nil).
//   - TokenLookup ("header:Authorization" with AuthScheme "Bearer" when
//     empty): its header (with AuthScheme), query and cookie sources,
//     after the auth payload field "token", which the Fiber middleware
//     cannot see. Its param sources have no handshake equivalent and are
//     left out.
//
// JWKSetURLs and TokenProcessorFunc cannot be converted: AuthFromFiberJWT
// fails when they are set, unless extra has a key (for JWKSetURLs).
// Filter, SuccessHandler, ErrorHandler and ContextKey are about HTTP
// requests and are ignored. Every other field of extra (Issuer, Audience,
// Leeway, RoomPrefix, OnError...) is passed on as it is.
func AuthFromFiberJWT(cfg jwtware.Config, extra auth.Config) (*auth.Authenticator, error) {
	if cfg.TokenProcessorFunc != nil {
		return nil, errors.New("fibersio: Fiber JWT TokenProcessorFunc cannot be converted")
	}
	out := extra
	if extra.KeyFunc == nil && extra.SigningKey == nil {
		var methods []string
		switch {
		case len(cfg.JWKSetURLs) > 0:
			return nil, errors.New("fibersio: Fiber JWT JWKSetURLs cannot be converted: set a KeyFunc in extra")
		case cfg.KeyFunc != nil:
			out.KeyFunc = cfg.KeyFunc
		case len(cfg.SigningKeys) > 0:
			out.KeyFunc = keyByID(cfg.SigningKeys)
			for _, k := range cfg.SigningKeys {
				if k.JWTAlg == "" {
					methods = nil
					break
				}
				if !contains(methods, k.JWTAlg) {
					methods = append(methods, k.JWTAlg)
				}
			}
		case cfg.SigningKey.Key != nil:
			out.SigningKey = cfg.SigningKey.Key
			if cfg.SigningKey.JWTAlg != "" {
				methods = []string{cfg.SigningKey.JWTAlg}
			}
		default:
			return nil, errors.New("fibersio: Fiber JWT config has no key")
		}
		if extra.ValidMethods == nil {
			out.ValidMethods = methods
		}
	}
	if extra.NewClaims == nil && cfg.Claims != nil {
		newClaims, err := claimsFactory(cfg.Claims)
		if err != nil {
			return nil, err
		}
		out.NewClaims = newClaims
	}
	if extra.Lookup == nil {
		lookup, err := convertLookup(cfg.TokenLookup, cfg.AuthScheme)
		if err != nil {
			return nil, err
		}
		out.Lookup = lookup
	}
	return auth.New(out)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// keyByID chooses a key among SigningKeys by the token's "kid", checking
// its JWTAlg as the Fiber middleware does.
func keyByID(keys map[string]jwtware.SigningKey) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := keys[kid]
		if !ok {
			return nil, fmt.Errorf("fibersio: unknown jwt key id %q", kid)
		}
		if alg, _ := t.Header["alg"].(string); k.JWTAlg != "" && alg != k.JWTAlg {
			return nil, fmt.Errorf("fibersio: jwt key %q is for %s, not %s", kid, k.JWTAlg, alg)
		}
		return k.Key, nil
	}
}

// claimsFactory returns fresh claims of proto's type, as the Fiber
// middleware makes them.
func claimsFactory(proto jwt.Claims) (func() jwt.Claims, error) {
	if _, ok := proto.(jwt.MapClaims); ok {
		return func() jwt.Claims { return jwt.MapClaims{} }, nil
	}
	t := reflect.TypeOf(proto)
	if t.Kind() != reflect.Pointer {
		return nil, fmt.Errorf("fibersio: Fiber JWT Claims must be jwt.MapClaims or a pointer, not %T", proto)
	}
	return func() jwt.Claims { return reflect.New(t.Elem()).Interface().(jwt.Claims) }, nil
}

// convertLookup maps the Fiber middleware's TokenLookup and AuthScheme to
// auth sources, after the auth payload field "token".
func convertLookup(lookup, scheme string) ([]auth.Source, error) {
	if lookup == "" {
		lookup = "header:" + fiber.HeaderAuthorization
		if scheme == "" {
			scheme = "Bearer"
		}
	}
	out := []auth.Source{auth.FromAuth("token")}
	for _, src := range strings.Split(lookup, ",") {
		parts := strings.Split(strings.TrimSpace(src), ":")
		if len(parts) < 2 {
			return nil, fmt.Errorf("fibersio: Fiber JWT TokenLookup %q: want kind:name", src)
		}
		switch parts[0] {
		case "header":
			out = append(out, auth.FromHeader(parts[1], scheme))
		case "query":
			out = append(out, auth.FromQuery(parts[1]))
		case "cookie":
			out = append(out, auth.FromCookie(parts[1]))
		}
	}
	return out, nil
}
