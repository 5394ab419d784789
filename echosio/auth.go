package echosio

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"

	"github.com/go-sio/sio/auth"
)

// AuthFromEchoJWT returns an [auth.Authenticator] that accepts the tokens
// the echo-jwt middleware configured by cfg accepts, for the sockets of
// the same app: srv.Use(a.Middleware()).
//
// From cfg it takes, unless extra sets the same thing:
//
//   - the key: KeyFunc; else SigningKeys (chosen by the token's "kid"
//     header); else SigningKey.
//   - the signing method: SigningMethod (HS256 when empty, as in echo-jwt)
//     becomes ValidMethods. With a KeyFunc and no SigningMethod, echo-jwt
//     accepts any method; the auth package does not, so set
//     extra.ValidMethods then.
//   - NewClaimsFunc, called with a context that holds an empty request
//     (there is no HTTP request for each parse).
//   - TokenLookup ("header:Authorization:Bearer " when empty): its header,
//     query and cookie sources, after the auth payload field "token",
//     which echo-jwt cannot see. Its param and form sources have no
//     handshake equivalent and are left out.
//
// ParseTokenFunc and TokenLookupFuncs work on an echo.Context and cannot
// be converted: AuthFromEchoJWT fails when they are set unless extra
// replaces them (a key in extra, extra.Lookup). Skipper, BeforeFunc,
// SuccessHandler, ErrorHandler and ContextKey are about HTTP requests and
// are ignored. Every other field of extra (Issuer, Audience, Leeway,
// RoomPrefix, OnError...) is passed on as it is.
func AuthFromEchoJWT(cfg echojwt.Config, extra auth.Config) (*auth.Authenticator, error) {
	out := extra
	method := cfg.SigningMethod
	if method == "" && cfg.KeyFunc == nil {
		method = echojwt.AlgorithmHS256
	}
	if extra.KeyFunc == nil && extra.SigningKey == nil {
		switch {
		case cfg.ParseTokenFunc != nil:
			return nil, errors.New("echosio: echo-jwt ParseTokenFunc cannot be converted: set a key in extra")
		case cfg.KeyFunc != nil:
			out.KeyFunc = cfg.KeyFunc
		case len(cfg.SigningKeys) > 0:
			out.KeyFunc = keyByID(cfg.SigningKeys)
		case cfg.SigningKey != nil:
			out.SigningKey = cfg.SigningKey
		default:
			return nil, errors.New("echosio: echo-jwt config has no key")
		}
		if extra.ValidMethods == nil && method != "" {
			out.ValidMethods = []string{method}
		}
	}
	if extra.NewClaims == nil && cfg.NewClaimsFunc != nil {
		e := echo.New()
		out.NewClaims = func() jwt.Claims {
			req := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}, Header: http.Header{}, Body: http.NoBody}
			return cfg.NewClaimsFunc(e.NewContext(req, nil))
		}
	}
	if extra.Lookup == nil {
		if len(cfg.TokenLookupFuncs) > 0 {
			return nil, errors.New("echosio: echo-jwt TokenLookupFuncs cannot be converted: set extra.Lookup")
		}
		lookup, err := convertLookup(cfg.TokenLookup)
		if err != nil {
			return nil, err
		}
		out.Lookup = lookup
	}
	return auth.New(out)
}

// keyByID is echo-jwt's choice of a key among SigningKeys.
func keyByID(keys map[string]any) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		if kid, ok := t.Header["kid"].(string); ok {
			if key, ok := keys[kid]; ok {
				return key, nil
			}
		}
		return nil, fmt.Errorf("echosio: unexpected jwt key id=%v", t.Header["kid"])
	}
}

// convertLookup maps echo-jwt's TokenLookup to auth sources, after the
// auth payload field "token".
func convertLookup(lookup string) ([]auth.Source, error) {
	if lookup == "" {
		lookup = "header:" + echo.HeaderAuthorization + ":Bearer "
	}
	out := []auth.Source{auth.FromAuth("token")}
	for _, src := range strings.Split(lookup, ",") {
		parts := strings.Split(src, ":")
		if len(parts) < 2 {
			return nil, fmt.Errorf("echosio: echo-jwt TokenLookup %q: want kind:name", src)
		}
		switch kind, name := strings.TrimSpace(parts[0]), parts[1]; kind {
		case "header":
			scheme := ""
			if len(parts) > 2 {
				scheme = strings.TrimSpace(parts[2])
			}
			out = append(out, auth.FromHeader(name, scheme))
		case "query":
			out = append(out, auth.FromQuery(name))
		case "cookie":
			out = append(out, auth.FromCookie(name))
		}
	}
	return out, nil
}
