package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var hmacKey = []byte("0123456789abcdef0123456789abcdef")

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// sign returns a token signed with method and key.
func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	var (
		s   string
		err error
	)
	if method == jwt.SigningMethodNone {
		s, err = jwt.NewWithClaims(method, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	} else {
		s, err = jwt.NewWithClaims(method, claims).SignedString(key)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hs256 returns an HS256 token for sub, expiring in an hour, with the
// extra claims.
func hs256(t testing.TB, sub string, extra jwt.MapClaims) string {
	t.Helper()
	c := jwt.MapClaims{"sub": sub, "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return sign(t, jwt.SigningMethodHS256, hmacKey, c)
}

// tamper swaps the payload of tok for another one, keeping the signature.
func tamper(t testing.TB, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	other := strings.Split(hs256(t, "mallory", nil), ".")
	return parts[0] + "." + other[1] + "." + parts[2]
}

func mustNew(t testing.TB, cfg auth.Config) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewValidation(t *testing.T) {
	t.Parallel()
	kf := func(*jwt.Token) (any, error) { return hmacKey, nil }
	type notPointer struct{ jwt.RegisteredClaims }
	tests := []struct {
		name string
		cfg  auth.Config
		want string // part of the error; "" = valid
	}{
		{name: "given no key, expect an error", cfg: auth.Config{}, want: "KeyFunc or SigningKey is required"},
		{name: "given both keys, expect an error", cfg: auth.Config{KeyFunc: kf, SigningKey: hmacKey}, want: "not both"},
		{name: "given KeyFunc without methods, expect an error", cfg: auth.Config{KeyFunc: kf}, want: "ValidMethods is required"},
		{name: "given KeyFunc with methods, expect success", cfg: auth.Config{KeyFunc: kf, ValidMethods: []string{"HS256"}}},
		{name: "given none among methods, expect an error", cfg: auth.Config{SigningKey: hmacKey, ValidMethods: []string{"HS256", "none"}}, want: `"none" is never allowed`},
		{name: "given NONE with KeyFunc, expect an error", cfg: auth.Config{KeyFunc: kf, ValidMethods: []string{"NONE"}}, want: `"none" is never allowed`},
		{name: "given an empty method list, expect an error", cfg: auth.Config{SigningKey: hmacKey, ValidMethods: []string{}}, want: "ValidMethods is empty"},
		{name: "given an unknown method, expect an error", cfg: auth.Config{KeyFunc: kf, ValidMethods: []string{"HS999"}}, want: "unknown signing method"},
		{name: "given RS256 with an HMAC key, expect an error", cfg: auth.Config{SigningKey: hmacKey, ValidMethods: []string{"RS256"}}, want: "cannot verify"},
		{name: "given a string key, expect an error", cfg: auth.Config{SigningKey: "secret"}, want: "use []byte"},
		{name: "given an empty key, expect an error", cfg: auth.Config{SigningKey: []byte{}}, want: "SigningKey is empty"},
		{name: "given a key of another type, expect an error", cfg: auth.Config{SigningKey: 42}, want: "unsupported type"},
		{name: "given an empty lookup, expect an error", cfg: auth.Config{SigningKey: hmacKey, Lookup: []auth.Source{}}, want: "Lookup is empty"},
		{name: "given a zero source, expect an error", cfg: auth.Config{SigningKey: hmacKey, Lookup: []auth.Source{{}}}, want: "Lookup[0]"},
		{name: "given a source without a name, expect an error", cfg: auth.Config{SigningKey: hmacKey, Lookup: []auth.Source{auth.FromQuery("")}}, want: "Lookup[0]"},
		{name: "given claims by value, expect an error", cfg: auth.Config{SigningKey: hmacKey, NewClaims: func() jwt.Claims { return notPointer{} }}, want: "pointer or a map"},
		{name: "given nil claims, expect an error", cfg: auth.Config{SigningKey: hmacKey, NewClaims: func() jwt.Claims { return nil }}, want: "returned nil"},
		{name: "given nil map claims, expect an error", cfg: auth.Config{SigningKey: hmacKey, NewClaims: func() jwt.Claims { return jwt.MapClaims(nil) }}, want: "nil jwt.MapClaims"},
		{name: "given a reserved refresh event, expect an error", cfg: auth.Config{SigningKey: hmacKey, RefreshEvent: "disconnect"}, want: "reserved"},
		{name: "given a negative leeway, expect an error", cfg: auth.Config{SigningKey: hmacKey, Leeway: -time.Second}, want: "Leeway is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.New(tt.cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New: got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestNewDerivesMethods(t *testing.T) {
	t.Parallel()
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name string
		key  any
		want []string
	}{
		{"hmac", hmacKey, []string{"HS256", "HS384", "HS512"}},
		{"rsa public", &rsaKey().PublicKey, []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}},
		{"rsa private", rsaKey(), []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}},
		{"ecdsa P-256", &ec256.PublicKey, []string{"ES256"}},
		{"ecdsa P-384 private", ec384, []string{"ES384"}},
		{"ed25519", edPub, []string{"EdDSA"}},
		{"ed25519 private", edPriv, []string{"EdDSA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustNew(t, auth.Config{SigningKey: tt.key})
			if got := auth.ValidMethodsOf(a); !slices.Equal(got, tt.want) {
				t.Fatalf("methods %v, want %v", got, tt.want)
			}
		})
	}
	// A private key verifies tokens it signed.
	a := mustNew(t, auth.Config{SigningKey: edPriv})
	if _, err := a.Authenticate(sign(t, jwt.SigningMethodEdDSA, edPriv, jwt.MapClaims{"sub": "x"})); err != nil {
		t.Fatal(err)
	}
	a = mustNew(t, auth.Config{SigningKey: ec256})
	if _, err := a.Authenticate(sign(t, jwt.SigningMethodES256, ec256, jwt.MapClaims{"sub": "x"})); err != nil {
		t.Fatal(err)
	}
}

func TestNewDoesNotMutateConfig(t *testing.T) {
	t.Parallel()
	lookup := []auth.Source{auth.FromQuery("jwt")}
	methods := []string{"HS256"}
	cfg := auth.Config{SigningKey: hmacKey, ValidMethods: methods, Lookup: lookup}
	a := mustNew(t, cfg)
	if cfg.RefreshEvent != "" || cfg.RoomPrefix != "" || cfg.NewClaims != nil || cfg.Now != nil {
		t.Fatalf("config filled in place: %+v", cfg)
	}
	methods[0] = "HS512" // the caller's slices are copied
	lookup[0] = auth.FromAuth("other")
	if got := auth.ValidMethodsOf(a); got[0] != "HS256" {
		t.Fatalf("methods aliased: %v", got)
	}
	h := &core.Handshake{Query: url.Values{"jwt": {"q"}}, Auth: map[string]any{"other": "o"}, Headers: http.Header{}}
	if got := auth.LookupToken(a, h); got != "q" {
		t.Fatalf("lookup aliased: got %q", got)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	hs := func() *core.Handshake {
		return &core.Handshake{
			Headers: http.Header{
				"Authorization": {"Bearer from-header"},
				"X-Token":       {"  raw-header  "},
				"Cookie":        {"a=1; jwt=from-cookie; b=2"},
			},
			Query: url.Values{"token": {"from-query"}},
			Auth:  map[string]any{"token": "from-auth", "number": 42.0},
		}
	}
	tests := []struct {
		name   string
		lookup []auth.Source
		edit   func(h *core.Handshake)
		want   string
	}{
		{name: "given the default order, expect the auth payload first", want: "from-auth"},
		{name: "given no auth token, expect the bearer header", edit: func(h *core.Handshake) { delete(h.Auth, "token") }, want: "from-header"},
		{name: "given an empty auth token, expect the bearer header", edit: func(h *core.Handshake) { h.Auth["token"] = "" }, want: "from-header"},
		{name: "given a non-string auth token, expect the bearer header", edit: func(h *core.Handshake) { h.Auth["token"] = 7.0 }, want: "from-header"},
		{name: "given neither auth nor header, expect the query", edit: func(h *core.Handshake) { h.Auth = map[string]any{}; h.Headers.Del("Authorization") }, want: "from-query"},
		{name: "given another scheme, expect it skipped", edit: func(h *core.Handshake) {
			h.Auth = map[string]any{}
			h.Headers.Set("Authorization", "Basic Zm9vOmJhcg==")
		}, want: "from-query"},
		{name: "given a scheme in another case, expect it read", edit: func(h *core.Handshake) { h.Auth = map[string]any{}; h.Headers.Set("Authorization", "bearer  lower") }, want: "lower"},
		{name: "given a bare scheme, expect it skipped", edit: func(h *core.Handshake) { h.Auth = map[string]any{}; h.Headers.Set("Authorization", "Bearer") }, want: "from-query"},
		{name: "given nothing, expect no token", edit: func(h *core.Handshake) { h.Auth = map[string]any{}; h.Headers = http.Header{}; h.Query = url.Values{} }, want: ""},
		{name: "given a custom order, expect the cookie first", lookup: []auth.Source{auth.FromCookie("jwt"), auth.FromAuth("token")}, want: "from-cookie"},
		{name: "given a custom order, expect the query before auth", lookup: []auth.Source{auth.FromQuery("token"), auth.FromAuth("token")}, want: "from-query"},
		{name: "given a raw header, expect its trimmed value", lookup: []auth.Source{auth.FromHeader("X-Token", "")}, want: "raw-header"},
		{name: "given a missing cookie, expect the next source", lookup: []auth.Source{auth.FromCookie("nope"), auth.FromHeader("Authorization", "Bearer")}, want: "from-header"},
		{name: "given no cookie header, expect no token", lookup: []auth.Source{auth.FromCookie("jwt")}, edit: func(h *core.Handshake) { h.Headers.Del("Cookie") }, want: ""},
		{name: "given another auth field, expect it read", lookup: []auth.Source{auth.FromAuth("jwt")}, edit: func(h *core.Handshake) { h.Auth["jwt"] = "field" }, want: "field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustNew(t, auth.Config{SigningKey: hmacKey, Lookup: tt.lookup})
			h := hs()
			if tt.edit != nil {
				tt.edit(h)
			}
			if got := auth.LookupToken(a, h); got != tt.want {
				t.Fatalf("token %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSourceString(t *testing.T) {
	t.Parallel()
	for src, want := range map[auth.Source]string{
		auth.FromAuth("token"):                     "auth.token",
		auth.FromHeader("Authorization", "Bearer"): "header Authorization (Bearer)",
		auth.FromHeader("X-Token", ""):             "header X-Token",
		auth.FromQuery("t"):                        "query t",
		auth.FromCookie("c"):                       "cookie c",
		{}:                                         "invalid source",
	} {
		if got := src.String(); got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}

// fixedClock is a clock frozen at t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestAuthenticateErrors(t *testing.T) {
	t.Parallel()
	now := time.Now().Truncate(time.Second)
	base := auth.Config{SigningKey: hmacKey, Issuer: "iss", Audience: "aud", Now: fixedClock(now)}
	good := jwt.MapClaims{"sub": "alice", "iss": "iss", "aud": "aud", "exp": now.Add(time.Hour).Unix()}
	with := func(kv ...any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range good {
			c[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	rsaPub, err := x509.MarshalPKIXPublicKey(&rsaKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	badKey := errors.New("no key for you")
	tests := []struct {
		name    string
		cfg     func(c *auth.Config)
		token   string
		want    error
		code    string
		wantJWT error // the golang-jwt error it also matches
	}{
		{name: "given a valid token, expect claims", token: sign(t, jwt.SigningMethodHS256, hmacKey, good)},
		{name: "given HS512 by default, expect claims", token: sign(t, jwt.SigningMethodHS512, hmacKey, good)},
		{name: "given no token, expect missing", token: "", want: auth.ErrTokenMissing, code: "token_missing"},
		{name: "given garbage, expect invalid", token: "not-a-jwt", want: auth.ErrTokenInvalid, code: "token_invalid", wantJWT: jwt.ErrTokenMalformed},
		{name: "given bad base64, expect invalid", token: "a.b.c", want: auth.ErrTokenInvalid, code: "token_invalid", wantJWT: jwt.ErrTokenMalformed},
		{name: "given a tampered payload, expect invalid", token: tamper(t, sign(t, jwt.SigningMethodHS256, hmacKey, good)), want: auth.ErrTokenInvalid, code: "token_invalid", wantJWT: jwt.ErrTokenSignatureInvalid},
		{name: "given another key, expect invalid", token: sign(t, jwt.SigningMethodHS256, []byte("another key of 32 bytes........."), good), want: auth.ErrTokenInvalid, code: "token_invalid", wantJWT: jwt.ErrTokenSignatureInvalid},
		{name: "given an expired token, expect expired", token: sign(t, jwt.SigningMethodHS256, hmacKey, with("exp", now.Add(-time.Second).Unix())), want: auth.ErrTokenExpired, code: "token_expired", wantJWT: jwt.ErrTokenExpired},
		{name: "given exp now, expect expired", token: sign(t, jwt.SigningMethodHS256, hmacKey, with("exp", now.Unix())), want: auth.ErrTokenExpired, code: "token_expired"},
		{name: "given an expired token within leeway, expect claims", cfg: func(c *auth.Config) { c.Leeway = 5 * time.Second }, token: sign(t, jwt.SigningMethodHS256, hmacKey, with("exp", now.Add(-2*time.Second).Unix()))},
		{name: "given nbf ahead, expect not yet valid", token: sign(t, jwt.SigningMethodHS256, hmacKey, with("nbf", now.Add(time.Minute).Unix())), want: auth.ErrTokenNotValidYet, code: "token_not_yet_valid", wantJWT: jwt.ErrTokenNotValidYet},
		{name: "given nbf within leeway, expect claims", cfg: func(c *auth.Config) { c.Leeway = 5 * time.Second }, token: sign(t, jwt.SigningMethodHS256, hmacKey, with("nbf", now.Add(2*time.Second).Unix()))},
		{name: "given a wrong issuer, expect invalid", token: sign(t, jwt.SigningMethodHS256, hmacKey, with("iss", "other")), want: auth.ErrTokenInvalid, code: "token_invalid", wantJWT: jwt.ErrTokenInvalidIssuer},
		{name: "given no issuer, expect invalid", token: sign(t, jwt.SigningMethodHS256, hmacKey, with("iss", nil)), want: auth.ErrTokenInvalid, code: "token_invalid", wantJWT: jwt.ErrTokenRequiredClaimMissing},
		{name: "given a wrong audience, expect invalid", token: sign(t, jwt.SigningMethodHS256, hmacKey, with("aud", []string{"x", "y"})), want: auth.ErrTokenInvalid, code: "token_invalid", wantJWT: jwt.ErrTokenInvalidAudience},
		{name: "given an audience list with ours, expect claims", token: sign(t, jwt.SigningMethodHS256, hmacKey, with("aud", []string{"x", "aud"}))},
		{name: "given expired and wrong issuer, expect invalid", token: sign(t, jwt.SigningMethodHS256, hmacKey, with("iss", "other", "exp", now.Add(-time.Hour).Unix())), want: auth.ErrTokenInvalid, code: "token_invalid", wantJWT: jwt.ErrTokenExpired},
		{name: "given exp of the wrong type, expect invalid", token: sign(t, jwt.SigningMethodHS256, hmacKey, with("exp", "tomorrow")), want: auth.ErrTokenInvalid, code: "token_invalid", wantJWT: jwt.ErrInvalidType},
		{name: "given alg none, expect method not allowed", token: sign(t, jwt.SigningMethodNone, nil, good), want: auth.ErrMethodNotAllowed, code: "method_not_allowed"},
		{name: "given RS256 when HMAC is pinned, expect method not allowed", token: sign(t, jwt.SigningMethodRS256, rsaKey(), good), want: auth.ErrMethodNotAllowed, code: "method_not_allowed"},
		{name: "given HS256 signed with the RSA public key when RS256 is pinned, expect method not allowed", cfg: func(c *auth.Config) { c.SigningKey = &rsaKey().PublicKey }, token: sign(t, jwt.SigningMethodHS256, rsaPub, good), want: auth.ErrMethodNotAllowed, code: "method_not_allowed"},
		{name: "given RS256 when RS256 is pinned, expect claims", cfg: func(c *auth.Config) { c.SigningKey = &rsaKey().PublicKey }, token: sign(t, jwt.SigningMethodRS256, rsaKey(), good)},
		{name: "given HS384 when only HS256 is pinned, expect method not allowed", cfg: func(c *auth.Config) { c.ValidMethods = []string{"HS256"} }, token: sign(t, jwt.SigningMethodHS384, hmacKey, good), want: auth.ErrMethodNotAllowed, code: "method_not_allowed"},
		{name: "given an unknown alg, expect method not allowed", token: unknownAlg(t, good), want: auth.ErrMethodNotAllowed, code: "method_not_allowed"},
		{name: "given a failing key function, expect invalid", cfg: func(c *auth.Config) {
			c.SigningKey = nil
			c.ValidMethods = []string{"HS256"}
			c.KeyFunc = func(*jwt.Token) (any, error) { return nil, badKey }
		}, token: sign(t, jwt.SigningMethodHS256, hmacKey, good), want: auth.ErrTokenInvalid, code: "token_invalid", wantJWT: badKey},
		{name: "given a required exp missing, expect invalid", cfg: func(c *auth.Config) { c.ParserOptions = []jwt.ParserOption{jwt.WithExpirationRequired()} }, token: sign(t, jwt.SigningMethodHS256, hmacKey, with("exp", nil)), want: auth.ErrTokenInvalid, code: "token_invalid", wantJWT: jwt.ErrTokenRequiredClaimMissing},
		{name: "given parser options that try to allow RS256, expect them ignored", cfg: func(c *auth.Config) {
			c.ParserOptions = []jwt.ParserOption{jwt.WithValidMethods([]string{"RS256", "none"})}
		}, token: sign(t, jwt.SigningMethodNone, nil, good), want: auth.ErrMethodNotAllowed, code: "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			a := mustNew(t, cfg)
			claims, err := a.Authenticate(tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				if sub, _ := claims.GetSubject(); sub != "alice" {
					t.Fatalf("sub %q", sub)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if claims != nil {
				t.Fatalf("claims %v returned with an error", claims)
			}
			if got := auth.Code(err); got != tt.code {
				t.Fatalf("code %q, want %q", got, tt.code)
			}
			if tt.wantJWT != nil && !errors.Is(err, tt.wantJWT) {
				t.Fatalf("error %v does not match %v", err, tt.wantJWT)
			}
			for _, other := range []error{auth.ErrTokenMissing, auth.ErrTokenInvalid, auth.ErrTokenExpired, auth.ErrTokenNotValidYet, auth.ErrMethodNotAllowed} {
				if other != tt.want && errors.Is(err, other) {
					t.Fatalf("error %v also matches %v", err, other)
				}
			}
			if !strings.HasPrefix(err.Error(), "auth: ") {
				t.Fatalf("message %q", err)
			}
			ce := auth.ConnectError(err)
			if ce.Message != "unauthorized" {
				t.Fatalf("message %q", ce.Message)
			}
			if b, _ := json.Marshal(ce.Data); string(b) != `{"code":"`+tt.code+`"}` {
				t.Fatalf("data %s", b)
			}
		})
	}
}

// unknownAlg is a token whose alg golang-jwt does not know.
func unknownAlg(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := sign(t, jwt.SigningMethodHS256, hmacKey, claims)
	parts := strings.Split(tok, ".")
	hdr := (&jwt.Token{}).EncodeSegment([]byte(`{"alg":"XY999","typ":"JWT"}`))
	return hdr + "." + parts[1] + "." + parts[2]
}

func TestCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("other"), ""},
		{auth.ErrTokenMissing, "token_missing"},
		{auth.ErrTokenInvalid, "token_invalid"},
		{auth.ErrTokenExpired, "token_expired"},
		{auth.ErrTokenNotValidYet, "token_not_yet_valid"},
		{auth.ErrMethodNotAllowed, "method_not_allowed"},
		{auth.ErrSubjectMismatch, "subject_mismatch"},
	}
	for _, tt := range tests {
		if got := auth.Code(tt.err); got != tt.want {
			t.Errorf("Code(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	// Unknown errors refuse as token_invalid.
	if ce := auth.ConnectError(errors.New("db down")); ce.Data.(map[string]any)["code"] != "token_invalid" {
		t.Fatalf("data %v", ce.Data)
	}
}

func TestRoom(t *testing.T) {
	t.Parallel()
	a := mustNew(t, auth.Config{SigningKey: hmacKey})
	if r, ok := a.Room(jwt.MapClaims{"sub": "alice"}); !ok || r != "user:alice" {
		t.Fatalf("room %q %v", r, ok)
	}
	for _, c := range []jwt.Claims{nil, jwt.MapClaims{}, jwt.MapClaims{"sub": ""}, jwt.MapClaims{"sub": 42}, (*customClaims)(nil)} {
		if r, ok := a.Room(c); ok {
			t.Fatalf("room %q for %#v", r, c)
		}
	}
	a = mustNew(t, auth.Config{SigningKey: hmacKey, RoomPrefix: "u/"})
	if r, ok := a.Room(&customClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: "bob"}}); !ok || r != "u/bob" {
		t.Fatalf("room %q %v", r, ok)
	}
}

type customClaims struct {
	jwt.RegisteredClaims
	Role  string   `json:"role"`
	Teams []string `json:"teams,omitempty"`
}

// remote stands for a socket of another server: its data is decoded JSON.
type remote struct{ data any }

func (r remote) Data() any { return r.data }

func decoded(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestClaimsDecodesRemoteData(t *testing.T) {
	t.Parallel()
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	cc := &customClaims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "alice", ExpiresAt: jwt.NewNumericDate(exp), Audience: jwt.ClaimStrings{"a", "b"}},
		Role:             "admin",
		Teams:            []string{"x"},
	}
	r := remote{data: decoded(t, map[string]any{"claims": cc, "other": 1})}

	got, err := auth.Claims[*customClaims](r)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "alice" || got.Role != "admin" || !got.ExpiresAt.Equal(exp) || len(got.Audience) != 2 || got.Teams[0] != "x" {
		t.Fatalf("claims %+v", got)
	}
	m, err := auth.Claims[jwt.MapClaims](r)
	if err != nil {
		t.Fatal(err)
	}
	if sub, _ := m.GetSubject(); sub != "alice" || m["role"] != "admin" {
		t.Fatalf("map claims %v", m)
	}
	if e, err := m.GetExpirationTime(); err != nil || !e.Equal(exp) {
		t.Fatalf("exp %v %v", e, err)
	}
	rc, err := auth.Claims[jwt.RegisteredClaims](r)
	if err != nil || rc.Subject != "alice" {
		t.Fatalf("registered claims %+v %v", rc, err)
	}
	ic, err := auth.Claims[jwt.Claims](r)
	if err != nil {
		t.Fatal(err)
	}
	if sub, _ := ic.GetSubject(); sub != "alice" {
		t.Fatalf("claims %v", ic)
	}

	// Typed values are returned as they are.
	local := remote{data: map[string]any{"claims": cc}}
	if got, err := auth.Claims[*customClaims](local); err != nil || got != cc {
		t.Fatalf("claims %p %v, want %p", got, err, cc)
	}

	for name, d := range map[string]any{
		"nil data":      nil,
		"no claims key": map[string]any{"x": 1},
		"nil claims":    map[string]any{"claims": nil},
		"struct data":   struct{ X int }{1},
	} {
		if _, err := auth.Claims[jwt.MapClaims](remote{data: d}); !errors.Is(err, auth.ErrNoClaims) {
			t.Errorf("%s: error %v", name, err)
		}
	}
	if _, err := auth.Claims[*customClaims](remote{data: map[string]any{"claims": "a string"}}); err == nil || errors.Is(err, auth.ErrNoClaims) {
		t.Fatalf("error %v for undecodable claims", err)
	}
}
