package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/sioclient"
)

// env is a Socket.IO server over httptest with an Authenticator on its
// main namespace.
type env struct {
	t    *testing.T
	srv  *core.Server
	url  string
	auth *auth.Authenticator

	mu      sync.Mutex
	sockets map[string]*core.Socket // by socket id
	reasons map[string]chan string  // disconnect reasons, by socket id
}

func newEnv(t *testing.T, cfg auth.Config, ccfg core.Config, extra ...core.Middleware) *env {
	t.Helper()
	srv, err := core.New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	a := mustNew(t, cfg)
	e := &env{t: t, srv: srv, auth: a, sockets: map[string]*core.Socket{}, reasons: map[string]chan string{}}
	srv.Use(a.Middleware())
	for _, mw := range extra {
		srv.Use(mw)
	}
	srv.OnConnection(func(s *core.Socket) {
		reason := make(chan string, 1)
		e.mu.Lock()
		e.sockets[string(s.ID())] = s
		e.reasons[string(s.ID())] = reason
		e.mu.Unlock()
		s.OnDisconnect(func(r string) { reason <- r })
		// whoami answers what the server knows of the socket.
		s.On("whoami", func(ack core.Ack) {
			claims, err := auth.Claims[jwt.MapClaims](s)
			sub := ""
			if err == nil {
				sub, _ = claims.GetSubject()
			}
			ack(map[string]any{"sub": sub, "token": auth.Token(s), "rooms": s.Rooms()})
		})
	})
	ts := httptest.NewServer(srv)
	e.url = ts.URL
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	return e
}

// socket returns the server's socket of a client (the connection handler
// may still be running when the client sees its CONNECT answer).
func (e *env) socket(id string) *core.Socket {
	e.t.Helper()
	var s *core.Socket
	waitFor(e.t, func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		s = e.sockets[id]
		return s != nil
	})
	return s
}

func (e *env) reason(id string) <-chan string {
	e.socket(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reasons[id]
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial connects a client that must be accepted.
func (e *env) dial(o sioclient.Options) *sioclient.Client {
	e.t.Helper()
	c, err := sioclient.Dial(ctxT(e.t), e.url, o)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	e.t.Cleanup(func() { _ = c.Close() })
	return c
}

// refused connects a client that must be refused, and returns the
// CONNECT_ERROR's message and data.
func (e *env) refused(o sioclient.Options) (string, map[string]any) {
	e.t.Helper()
	c, err := sioclient.Dial(ctxT(e.t), e.url, o)
	if err == nil {
		_ = c.Close()
		e.t.Fatal("connection accepted")
	}
	var ce *sioclient.ConnectError
	if !errors.As(err, &ce) {
		e.t.Fatalf("dial: %v, want a connect error", err)
	}
	var data map[string]any
	if len(ce.Data) > 0 {
		if err := json.Unmarshal(ce.Data, &data); err != nil {
			e.t.Fatalf("data %s: %v", ce.Data, err)
		}
	}
	return ce.Message, data
}

type whoami struct {
	Sub   string   `json:"sub"`
	Token string   `json:"token"`
	Rooms []string `json:"rooms"`
}

func ask(t *testing.T, c *sioclient.Client) whoami {
	t.Helper()
	res, err := c.EmitWithAck(ctxT(t), "whoami")
	if err != nil {
		t.Fatalf("whoami: %v", err)
	}
	var w whoami
	if len(res) == 0 || json.Unmarshal(res[0], &w) != nil {
		t.Fatalf("whoami answer %s", res)
	}
	return w
}

// waitEvent waits for the next event named name, skipping others.
func waitEvent(t *testing.T, c *sioclient.Client, name string) sioclient.Event {
	t.Helper()
	ctx := ctxT(t)
	for {
		ev, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", name, err)
		}
		if ev.Name == name {
			return ev
		}
	}
}

func TestConnectWithEachSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, auth.Config{
		SigningKey: hmacKey,
		Lookup: []auth.Source{
			auth.FromAuth("token"),
			auth.FromHeader("Authorization", "Bearer"),
			auth.FromQuery("token"),
			auth.FromCookie("jwt"),
		},
	}, core.Config{})
	tests := []struct {
		name string
		sub  string
		opts func(tok string) sioclient.Options
	}{
		{"auth payload", "via-auth", func(tok string) sioclient.Options {
			return sioclient.Options{Auth: map[string]any{"token": tok}}
		}},
		{"authorization header", "via-header", func(tok string) sioclient.Options {
			return sioclient.Options{Header: http.Header{"Authorization": {"Bearer " + tok}}}
		}},
		{"query", "via-query", func(tok string) sioclient.Options {
			return sioclient.Options{Query: url.Values{"token": {tok}}}
		}},
		{"cookie", "via-cookie", func(tok string) sioclient.Options {
			return sioclient.Options{Header: http.Header{"Cookie": {"theme=dark; jwt=" + tok}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := hs256(t, tt.sub, nil)
			c := e.dial(tt.opts(tok))
			w := ask(t, c)
			if w.Sub != tt.sub || w.Token != tok {
				t.Fatalf("server sees %+v", w)
			}
		})
	}

	// The first source that has a token decides, even when it is bad.
	msg, data := e.refused(sioclient.Options{
		Auth:   map[string]any{"token": "garbage"},
		Header: http.Header{"Authorization": {"Bearer " + hs256(t, "x", nil)}},
	})
	if msg != "unauthorized" || data["code"] != "token_invalid" {
		t.Fatalf("refusal %q %v", msg, data)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, auth.Config{SigningKey: hmacKey, ValidMethods: []string{"HS256"}, Issuer: "iss", Audience: "aud"}, core.Config{})
	claims := func(kv ...any) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "alice", "iss": "iss", "aud": "aud", "exp": time.Now().Add(time.Hour).Unix()}
		for i := 0; i < len(kv); i += 2 {
			c[kv[i].(string)] = kv[i+1]
		}
		return c
	}
	good := sign(t, jwt.SigningMethodHS256, hmacKey, claims())

	// A well-behaved client, connected before the bad ones.
	before := e.dial(sioclient.Options{Auth: map[string]any{"token": good}})

	tests := []struct {
		name  string
		token any
		code  string
	}{
		{"missing", nil, "token_missing"},
		{"empty", "", "token_missing"},
		{"not a string", 42, "token_missing"},
		{"malformed", "abc.def", "token_invalid"},
		{"expired", sign(t, jwt.SigningMethodHS256, hmacKey, claims("exp", time.Now().Add(-time.Minute).Unix())), "token_expired"},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, hmacKey, claims("nbf", time.Now().Add(time.Hour).Unix())), "token_not_yet_valid"},
		{"RS256 when HS256 is pinned", sign(t, jwt.SigningMethodRS256, rsaKey(), claims()), "method_not_allowed"},
		{"HS512 when HS256 is pinned", sign(t, jwt.SigningMethodHS512, hmacKey, claims()), "method_not_allowed"},
		{"alg none", sign(t, jwt.SigningMethodNone, nil, claims()), "method_not_allowed"},
		{"tampered signature", tamper(t, good), "token_invalid"},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, hmacKey, claims("iss", "evil")), "token_invalid"},
		{"wrong audience", sign(t, jwt.SigningMethodHS256, hmacKey, claims("aud", "other")), "token_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a any = map[string]any{}
			if tt.token != nil {
				a = map[string]any{"token": tt.token}
			}
			msg, data := e.refused(sioclient.Options{Auth: a})
			if msg != "unauthorized" || data["code"] != tt.code || len(data) != 1 {
				t.Fatalf("refusal %q %v, want unauthorized %s", msg, data, tt.code)
			}
		})
	}

	// Nothing else was affected: the first client still works, and a new
	// one connects.
	if w := ask(t, before); w.Sub != "alice" {
		t.Fatalf("first client: %+v", w)
	}
	after := e.dial(sioclient.Options{Auth: map[string]any{"token": good}})
	if w := ask(t, after); w.Sub != "alice" {
		t.Fatalf("new client: %+v", w)
	}
	if n := auth.SessionsOf(e.auth); n != 2 {
		t.Fatalf("%d sessions, want 2", n)
	}
}

func TestOnError(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []error
	)
	e := newEnv(t, auth.Config{
		SigningKey: hmacKey,
		OnError: func(s *core.Socket, err error) error {
			mu.Lock()
			got = append(got, err)
			mu.Unlock()
			if s.Handshake().Query.Get("default") != "" {
				return nil // keep the default refusal
			}
			ce := auth.ConnectError(err)
			ce.Data.(map[string]any)["login"] = "https://login.example.com"
			return ce
		},
	}, core.Config{})
	msg, data := e.refused(sioclient.Options{Auth: map[string]any{"token": "bad"}})
	if msg != "unauthorized" || data["code"] != "token_invalid" || data["login"] != "https://login.example.com" {
		t.Fatalf("refusal %q %v", msg, data)
	}
	msg, data = e.refused(sioclient.Options{Query: url.Values{"default": {"1"}}})
	if msg != "unauthorized" || data["code"] != "token_missing" || len(data) != 1 {
		t.Fatalf("refusal %q %v", msg, data)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || !errors.Is(got[0], auth.ErrTokenInvalid) || !errors.Is(got[1], auth.ErrTokenMissing) {
		t.Fatalf("OnError got %v", got)
	}
}

func TestClaimsOnSocketAndFetchSockets(t *testing.T) {
	t.Parallel()
	// Two servers of one cluster: FetchSockets on b describes a's sockets.
	cluster := core.NewMemoryCluster()
	e := newEnv(t, auth.Config{SigningKey: hmacKey}, core.Config{Adapter: cluster.Adapter()})
	b, err := core.New(core.Config{Adapter: cluster.Adapter()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Shutdown(context.Background()) })
	b.Sockets() // serve the main namespace

	tok := hs256(t, "alice", jwt.MapClaims{"role": "admin"})
	c := e.dial(sioclient.Options{Auth: map[string]any{"token": tok}})
	s := e.socket(c.ID)
	mc, err := auth.Claims[jwt.MapClaims](s)
	if err != nil {
		t.Fatal(err)
	}
	if sub, _ := mc.GetSubject(); sub != "alice" || mc["role"] != "admin" {
		t.Fatalf("claims %v", mc)
	}
	if m, ok := s.Data().(map[string]any); !ok || m["claims"] == nil {
		t.Fatalf("data %#v", s.Data())
	}
	if auth.Token(s) != tok {
		t.Fatal("token")
	}

	for name, srv := range map[string]*core.Server{"local": e.srv, "remote": b} {
		rss, err := srv.Sockets().FetchSockets(ctxT(t))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rss) != 1 || string(rss[0].ID()) != c.ID {
			t.Fatalf("%s: fetched %d sockets", name, len(rss))
		}
		got, err := auth.Claims[jwt.MapClaims](rss[0])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sub, _ := got.GetSubject(); sub != "alice" {
			t.Fatalf("%s: claims %v", name, got)
		}
	}
}

func TestDataIsKept(t *testing.T) {
	t.Parallel()
	type profile struct{ Name string }
	var which atomic.Value
	which.Store("map")
	// A middleware that runs before the Authenticator's sets data.
	srv, err := core.New(core.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a := mustNew(t, auth.Config{SigningKey: hmacKey})
	srv.Use(func(s *core.Socket) error {
		switch which.Load() {
		case "map":
			s.SetData(map[string]any{"lang": "fr"})
		case "struct":
			s.SetData(profile{Name: "Alice"})
		}
		return nil
	})
	srv.Use(a.Middleware())
	got := make(chan *core.Socket, 1)
	srv.OnConnection(func(s *core.Socket) { got <- s })
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()); ts.Close() })

	dial := func() (*sioclient.Client, *core.Socket) {
		c, err := sioclient.Dial(ctxT(t), ts.URL, sioclient.Options{Auth: map[string]any{"token": hs256(t, "alice", nil)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c, <-got
	}

	_, s := dial()
	m := s.Data().(map[string]any)
	if m["lang"] != "fr" || m["claims"] == nil {
		t.Fatalf("data %v", m)
	}

	which.Store("struct")
	c, s := dial()
	if p, ok := s.Data().(profile); !ok || p.Name != "Alice" {
		t.Fatalf("data %#v", s.Data())
	}
	// The claims are kept beside the socket...
	if mc, err := auth.Claims[jwt.MapClaims](s); err != nil || mc["sub"] != "alice" {
		t.Fatalf("claims %v %v", mc, err)
	}
	// ...and do not travel with FetchSockets.
	rss, err := srv.In(core.Room(s.ID())).FetchSockets(ctxT(t))
	if err != nil || len(rss) != 1 {
		t.Fatalf("fetch: %v %d", err, len(rss))
	}
	if _, err := auth.Claims[jwt.MapClaims](rss[0]); !errors.Is(err, auth.ErrNoClaims) {
		t.Fatalf("remote claims error %v", err)
	}
	// The out-of-band claims leave with the socket.
	_ = c.Close()
	waitFor(t, func() bool { return auth.SessionsOf(a) == 1 })
	if _, err := auth.Claims[jwt.MapClaims](s); !errors.Is(err, auth.ErrNoClaims) {
		t.Fatalf("claims after disconnect: %v", err)
	}
}

type roleClaims struct {
	jwt.RegisteredClaims
	Role string `json:"role"`
}

func TestCustomClaims(t *testing.T) {
	t.Parallel()
	cluster := core.NewMemoryCluster()
	e := newEnv(t, auth.Config{
		SigningKey: hmacKey,
		NewClaims:  func() jwt.Claims { return new(roleClaims) },
	}, core.Config{Adapter: cluster.Adapter()})
	tok := sign(t, jwt.SigningMethodHS256, hmacKey, &roleClaims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "bob", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))},
		Role:             "editor",
	})
	c := e.dial(sioclient.Options{Auth: map[string]any{"token": tok}})
	s := e.socket(c.ID)
	rc, err := auth.Claims[*roleClaims](s)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Subject != "bob" || rc.Role != "editor" {
		t.Fatalf("claims %+v", rc)
	}
	// Another type converts.
	if mc, err := auth.Claims[jwt.MapClaims](s); err != nil || mc["role"] != "editor" {
		t.Fatalf("map claims %v %v", mc, err)
	}
	rss, err := e.srv.Sockets().FetchSockets(ctxT(t))
	if err != nil || len(rss) != 1 {
		t.Fatalf("fetch: %v", err)
	}
	if rc, err := auth.Claims[*roleClaims](rss[0]); err != nil || rc.Role != "editor" {
		t.Fatalf("fetched claims %+v %v", rc, err)
	}
	// The user's room is named after the subject.
	waitFor(t, func() bool { return slices.Contains(s.Rooms(), core.Room("user:bob")) })
}

// waitFor polls cond until it holds, for at most 5s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestUserRoom(t *testing.T) {
	t.Parallel()
	e := newEnv(t, auth.Config{SigningKey: hmacKey}, core.Config{})
	// The first socket of the namespace, then more: each joins its user's
	// room, whatever the path that joins it.
	alice1 := e.dial(sioclient.Options{Auth: map[string]any{"token": hs256(t, "alice", nil)}})
	alice2 := e.dial(sioclient.Options{Auth: map[string]any{"token": hs256(t, "alice", nil)}})
	bob := e.dial(sioclient.Options{Auth: map[string]any{"token": hs256(t, "bob", nil)}})
	nosub := e.dial(sioclient.Options{Auth: map[string]any{"token": hs256(t, "", jwt.MapClaims{"sub": nil})}})

	count := func(room core.Room) int {
		rss, err := e.srv.In(room).FetchSockets(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		return len(rss)
	}
	waitFor(t, func() bool { return count("user:alice") == 2 && count("user:bob") == 1 })
	if err := e.srv.To("user:alice").Emit("hello", "alice"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*sioclient.Client{alice1, alice2} {
		if ev := waitEvent(t, c, "hello"); string(ev.Args[0]) != `"alice"` {
			t.Fatalf("event %v", ev)
		}
	}
	if w := ask(t, bob); !slices.Contains(w.Rooms, "user:bob") || slices.Contains(w.Rooms, "user:alice") {
		t.Fatalf("bob's rooms %v", w.Rooms)
	}
	for _, r := range ask(t, nosub).Rooms {
		if r != nosub.ID {
			t.Fatalf("socket without subject in room %q", r)
		}
	}
	// Bob got nothing meant for Alice.
	select {
	case ev := <-bob.Events():
		t.Fatalf("bob got %v", ev)
	default:
	}
}

// testClock is a clock shifted so that a token's exp is a chosen time
// away: a token valid for an hour expires in milliseconds.
type testClock struct{ shift atomic.Int64 }

func (c *testClock) now() time.Time { return time.Now().Add(time.Duration(c.shift.Load())) }

// expireIn shifts the clock so that exp is d away from now.
func (c *testClock) expireIn(exp time.Time, d time.Duration) {
	c.shift.Store(int64(time.Until(exp.Add(-d))))
}

// expiringEnv is a server with a test clock, and the exp of the tokens
// the test makes. Call clock.expireIn just before dialing.
func expiringEnv(t *testing.T, cfg auth.Config) (*env, *testClock, time.Time) {
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	clock := new(testClock)
	cfg.SigningKey = hmacKey
	cfg.Now = clock.now
	return newEnv(t, cfg, core.Config{}), clock, exp
}

func tokenUntil(t *testing.T, sub string, exp time.Time) string {
	return hs256(t, sub, jwt.MapClaims{"exp": exp.Unix()})
}

func TestExpiryDisconnects(t *testing.T) {
	t.Parallel()
	e, clock, exp := expiringEnv(t, auth.Config{})
	other := e.dial(sioclient.Options{Auth: map[string]any{"token": tokenUntil(t, "bob", exp.Add(time.Hour))}})
	start := time.Now()
	clock.expireIn(exp, 400*time.Millisecond)
	c := e.dial(sioclient.Options{Auth: map[string]any{"token": tokenUntil(t, "alice", exp)}})
	id := c.ID

	ev := waitEvent(t, c, "auth:expired")
	if el := time.Since(start); el < 350*time.Millisecond {
		t.Fatalf("expired after %v", el)
	}
	var body struct {
		Code string `json:"code"`
		Exp  int64  `json:"exp"`
	}
	if err := ev.Decode(&body); err != nil || body.Code != "token_expired" || body.Exp != exp.Unix() {
		t.Fatalf("auth:expired %s (%v)", ev.Args, err)
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not disconnected")
	}
	if !errors.Is(c.Err(), sioclient.ErrServerDisconnect) {
		t.Fatalf("client ended with %v", c.Err())
	}
	// core reports "transport close" instead when the client closes the
	// connection before the server's own disconnection completes.
	if r := <-e.reason(id); r != core.ReasonServerNamespaceDisconnect && r != core.ReasonTransportClose {
		t.Fatalf("reason %q", r)
	}
	// Only that socket; its session is gone.
	if w := ask(t, other); w.Sub != "bob" {
		t.Fatalf("other client %+v", w)
	}
	waitFor(t, func() bool { return auth.SessionsOf(e.auth) == 1 })
}

func TestExpiryGrace(t *testing.T) {
	t.Parallel()
	e, clock, exp := expiringEnv(t, auth.Config{ExpiryGrace: 400 * time.Millisecond})
	start := time.Now()
	clock.expireIn(exp, 250*time.Millisecond)
	c := e.dial(sioclient.Options{Auth: map[string]any{"token": tokenUntil(t, "alice", exp)}})
	waitEvent(t, c, "auth:expired")
	if el := time.Since(start); el < 600*time.Millisecond {
		t.Fatalf("expired after %v, before exp + grace", el)
	}
}

func TestExpiryDisabled(t *testing.T) {
	t.Parallel()
	e, clock, exp := expiringEnv(t, auth.Config{ExpiryGrace: -1})
	clock.expireIn(exp, 250*time.Millisecond)
	c := e.dial(sioclient.Options{Auth: map[string]any{"token": tokenUntil(t, "alice", exp)}})
	time.Sleep(500 * time.Millisecond) // well past exp
	if w := ask(t, c); w.Sub != "alice" {
		t.Fatalf("whoami %+v", w)
	}
	select {
	case ev := <-c.Events():
		t.Fatalf("got %v", ev)
	default:
	}
}

type refreshAnswer struct {
	OK   bool   `json:"ok"`
	Exp  *int64 `json:"exp"`
	Code string `json:"code"`
}

func refresh(t *testing.T, c *sioclient.Client, arg any) refreshAnswer {
	t.Helper()
	res, err := c.EmitWithAck(ctxT(t), "auth:refresh", arg)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	var ans refreshAnswer
	if len(res) != 1 || json.Unmarshal(res[0], &ans) != nil {
		t.Fatalf("refresh answer %s", res)
	}
	return ans
}

func TestRefreshExtendsSession(t *testing.T) {
	t.Parallel()
	const left = 800 * time.Millisecond
	e, clock, exp := expiringEnv(t, auth.Config{})
	start := time.Now()
	clock.expireIn(exp, left)
	c := e.dial(sioclient.Options{Auth: map[string]any{"token": tokenUntil(t, "alice", exp)}})

	newExp := exp.Add(time.Hour)
	tok2 := tokenUntil(t, "alice", newExp)
	ans := refresh(t, c, map[string]any{"token": tok2}) // the {token} form
	if !ans.OK || ans.Exp == nil || *ans.Exp != newExp.Unix() {
		t.Fatalf("refresh answer %+v", ans)
	}
	tok3 := hs256(t, "alice", jwt.MapClaims{"exp": nil}) // no exp: never expires
	if ans := refresh(t, c, tok3); !ans.OK || ans.Exp != nil {
		t.Fatalf("refresh answer %+v", ans)
	}
	ans = refresh(t, c, tok2) // the string form
	if !ans.OK {
		t.Fatalf("refresh answer %+v", ans)
	}

	// Past the first token's end, the socket is still there, with the new
	// token and claims.
	select {
	case ev := <-c.Events():
		t.Fatalf("got %v", ev)
	case <-c.Done():
		t.Fatalf("disconnected: %v", c.Err())
	case <-time.After(time.Until(start.Add(left + 400*time.Millisecond))):
	}
	w := ask(t, c)
	if w.Token != tok2 || w.Sub != "alice" {
		t.Fatalf("whoami %+v", w)
	}
	s := e.socket(c.ID)
	mc, err := auth.Claims[jwt.MapClaims](s)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := mc.GetExpirationTime(); !got.Equal(newExp) {
		t.Fatalf("claims exp %v", got)
	}
	// The data map was replaced, not written in place: FetchSockets sees
	// the new claims.
	rss, _ := e.srv.Sockets().FetchSockets(ctxT(t))
	if rc, err := auth.Claims[jwt.MapClaims](rss[0]); err != nil || rc["exp"] != mc["exp"] {
		t.Fatalf("fetched claims %v %v", rc, err)
	}
}

func TestRefreshFailuresKeepOldExpiry(t *testing.T) {
	t.Parallel()
	e, clock, exp := expiringEnv(t, auth.Config{Issuer: "iss"})
	tok := hs256(t, "alice", jwt.MapClaims{"exp": exp.Unix(), "iss": "iss"})
	clock.expireIn(exp, time.Second)
	c := e.dial(sioclient.Options{Auth: map[string]any{"token": tok}})
	later := exp.Add(time.Hour).Unix()
	tests := []struct {
		name string
		arg  any
		code string
	}{
		{"another subject", hs256(t, "mallory", jwt.MapClaims{"exp": later, "iss": "iss"}), "subject_mismatch"},
		{"no subject", hs256(t, "", jwt.MapClaims{"sub": nil, "exp": later, "iss": "iss"}), "subject_mismatch"},
		{"garbage", "garbage", "token_invalid"},
		{"wrong issuer", hs256(t, "alice", jwt.MapClaims{"exp": later, "iss": "x"}), "token_invalid"},
		{"expired", hs256(t, "alice", jwt.MapClaims{"exp": exp.Add(-time.Hour).Unix(), "iss": "iss"}), "token_expired"},
		{"alg none", sign(t, jwt.SigningMethodNone, nil, jwt.MapClaims{"sub": "alice", "exp": later, "iss": "iss"}), "method_not_allowed"},
		{"empty", "", "token_missing"},
		{"object without token", map[string]any{"jwt": "x"}, "token_missing"},
		{"number", 12, "token_missing"},
	}
	for _, tt := range tests {
		ans := refresh(t, c, tt.arg)
		if ans.OK || ans.Code != tt.code {
			t.Fatalf("%s: answer %+v, want code %s", tt.name, ans, tt.code)
		}
	}
	if w := ask(t, c); w.Token != tok {
		t.Fatalf("token replaced: %+v", w)
	}
	// The old expiry still applies.
	waitEvent(t, c, "auth:expired")
	<-c.Done()
}

func TestRefreshEventName(t *testing.T) {
	t.Parallel()
	e := newEnv(t, auth.Config{SigningKey: hmacKey, RefreshEvent: "token"}, core.Config{})
	c := e.dial(sioclient.Options{Auth: map[string]any{"token": hs256(t, "alice", nil)}})
	tok := hs256(t, "alice", jwt.MapClaims{"jti": "2"})
	res, err := c.EmitWithAck(ctxT(t), "token", tok)
	var ans refreshAnswer
	if err != nil || len(res) != 1 || json.Unmarshal(res[0], &ans) != nil || !ans.OK {
		t.Fatalf("answer %s %v", res, err)
	}
	if w := ask(t, c); w.Token != tok {
		t.Fatalf("whoami %+v", w)
	}
}

// A token that expires while a later middleware holds the CONNECT: the
// socket is expired as soon as it is connected.
func TestExpiryWhileConnecting(t *testing.T) {
	t.Parallel()
	clock := new(testClock)
	e := newEnv(t, auth.Config{SigningKey: hmacKey, Now: clock.now}, core.Config{},
		func(*core.Socket) error { time.Sleep(700 * time.Millisecond); return nil })
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	for range 2 { // the namespace's first socket, then one the handler sees
		clock.expireIn(exp, 300*time.Millisecond)
		c := e.dial(sioclient.Options{Auth: map[string]any{"token": tokenUntil(t, "alice", exp)}})
		waitEvent(t, c, "auth:expired")
		<-c.Done()
		if !errors.Is(c.Err(), sioclient.ErrServerDisconnect) {
			t.Fatalf("client ended with %v", c.Err())
		}
	}
}

// A socket that a later middleware refuses leaves no session behind.
func TestRefusedLaterNoLeak(t *testing.T) {
	t.Parallel()
	e := newEnv(t, auth.Config{SigningKey: hmacKey}, core.Config{}, func(s *core.Socket) error {
		if s.Handshake().Query.Get("deny") != "" {
			return errors.New("denied")
		}
		return nil
	})
	for range 3 {
		msg, _ := e.refused(sioclient.Options{Auth: map[string]any{"token": hs256(t, "alice", nil)}, Query: url.Values{"deny": {"1"}}})
		if msg != "denied" {
			t.Fatalf("message %q", msg)
		}
	}
	waitFor(t, func() bool {
		runtime.GC()
		return auth.SessionsOf(e.auth) == 0
	})
	c := e.dial(sioclient.Options{Auth: map[string]any{"token": hs256(t, "alice", nil)}})
	if auth.SessionsOf(e.auth) != 1 {
		t.Fatal("no session")
	}
	_ = c.Close()
	waitFor(t, func() bool { return auth.SessionsOf(e.auth) == 0 })
}

// Sockets on two namespaces, each with the middleware.
func TestNamespaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t, auth.Config{SigningKey: hmacKey}, core.Config{})
	chat := e.srv.Of("/chat")
	chat.Use(e.auth.Middleware())
	c := e.dial(sioclient.Options{Namespace: "/chat", Auth: map[string]any{"token": hs256(t, "carol", nil)}})
	waitFor(t, func() bool {
		rss, _ := chat.In("user:carol").FetchSockets(ctxT(t))
		return len(rss) == 1
	})
	if s := chat.Socket(core.SocketID(c.ID)); s == nil || auth.Token(s) == "" {
		t.Fatal("no authenticated socket on /chat")
	}
	_, data := e.refused(sioclient.Options{Namespace: "/chat"})
	if data["code"] != "token_missing" {
		t.Fatalf("data %v", data)
	}

	// A namespace without the middleware: no claims, no token.
	open := e.srv.Of("/open")
	o := e.dial(sioclient.Options{Namespace: "/open"})
	var s *core.Socket
	waitFor(t, func() bool { s = open.Socket(core.SocketID(o.ID)); return s != nil })
	if _, err := auth.Claims[jwt.MapClaims](s); !errors.Is(err, auth.ErrNoClaims) {
		t.Fatalf("claims error %v", err)
	}
	if tok := auth.Token(s); tok != "" {
		t.Fatalf("token %q", tok)
	}
}
