package fibersio_test

import (
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/fibersio"
	"github.com/go-sio/sio/internal/sioclient"
)

// expiryClock is the auth clock of an expiry test (auth.Config.Now, which
// drives both token validation and the expiry timers). first, the exp of
// the test's first tokens, is an hour ahead on a whole second; start
// shifts the clock so that first comes a chosen real duration later.
type expiryClock struct {
	shift atomic.Int64 // time.Duration
	first time.Time
}

func newExpiryClock() *expiryClock {
	return &expiryClock{first: time.Now().Add(time.Hour).Truncate(time.Second)}
}

// start makes first come in d.
func (c *expiryClock) start(d time.Duration) {
	c.shift.Store(int64(c.first.Add(-d).Sub(time.Now())))
}

func (c *expiryClock) now() time.Time { return time.Now().Add(time.Duration(c.shift.Load())) }

// real is the real time at which the clock reads t.
func (c *expiryClock) real(t time.Time) time.Time {
	return t.Add(-time.Duration(c.shift.Load()))
}

// expiryToken is an HS256 token of secret for sub, expiring at exp.
func expiryToken(t *testing.T, sub string, exp time.Time) string {
	return sign(t, jwt.SigningMethodHS256, secret,
		jwt.RegisteredClaims{Subject: sub, ExpiresAt: jwt.NewNumericDate(exp)})
}

// nextEventBy returns the next event named name, skipping others; it
// fails if none came by deadline or the connection ended first.
func nextEventBy(t *testing.T, c *sioclient.Client, name string, deadline time.Time) sioclient.Event {
	t.Helper()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("waiting for %q: connection ended: %v", name, c.Err())
			}
			if ev.Name == name {
				return ev
			}
		case <-timer.C:
			t.Fatalf("no %q by %v", name, deadline.Format(time.StampMilli))
		}
	}
}

// expectExpiry checks that c gets "auth:expired" for exp, not before the
// clock reads exp and within slack of it, then the server's disconnect.
func expectExpiry(t *testing.T, c *sioclient.Client, clock *expiryClock, exp time.Time, slack time.Duration) {
	t.Helper()
	at := clock.real(exp)
	ev := nextEventBy(t, c, auth.ExpiredEvent, at.Add(slack))
	if early := time.Until(at); early > 0 {
		t.Fatalf("%s %v before exp", auth.ExpiredEvent, early)
	}
	var body struct {
		Code string `json:"code"`
		Exp  int64  `json:"exp"`
	}
	if err := ev.Decode(&body); err != nil || body.Code != auth.CodeTokenExpired || body.Exp != exp.Unix() {
		t.Fatalf("%s %s (%v), want code %s, exp %d", auth.ExpiredEvent, ev.Args, err, auth.CodeTokenExpired, exp.Unix())
	}
	select {
	case <-c.Done():
	case <-time.After(slack):
		t.Fatalf("still connected %v after %s", slack, auth.ExpiredEvent)
	}
	if !errors.Is(c.Err(), sioclient.ErrServerDisconnect) {
		t.Fatalf("connection ended with %v, want a server disconnect", c.Err())
	}
}

// expiryServer serves, through a Fiber app, a server whose sockets
// authenticate with the authenticator converted from the app's
// contrib/jwt config, on clock, and answer "whoami" with their subject.
func expiryServer(t *testing.T, clock *expiryClock) string {
	t.Helper()
	a, err := fibersio.AuthFromFiberJWT(jwtware.Config{
		SigningKey: jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: secret},
		Claims:     &jwt.RegisteredClaims{},
	}, auth.Config{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	return serveAuth(t, a)
}

// TestExpiryAndRefresh: through the Fiber app, with the authenticator of
// fibersio.AuthFromFiberJWT, a socket whose token expires gets
// auth:expired and is disconnected by the server; a socket that hands in a
// later token with auth:refresh before then survives the first exp (an ack
// round trip after it) and is disconnected at the new one.
func TestExpiryAndRefresh(t *testing.T) {
	const slack = 1500 * time.Millisecond
	clock := newExpiryClock()
	base := expiryServer(t, clock)
	first, second := clock.first, clock.first.Add(time.Second)

	// Both sockets start with a token that expires at first, in a second.
	clock.start(time.Second)
	plain := dial(t, base, sioclient.Options{Auth: map[string]any{"token": expiryToken(t, "alice", first)}})
	refreshed := dial(t, base, sioclient.Options{Auth: map[string]any{"token": expiryToken(t, "bob", first)}})
	if sub := whoami(t, plain); sub != "alice" {
		t.Fatalf("subject %q, want alice", sub)
	}

	res, err := refreshed.EmitWithAck(ctxT(t), auth.DefaultRefreshEvent, expiryToken(t, "bob", second))
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	var ans struct {
		OK  bool  `json:"ok"`
		Exp int64 `json:"exp"`
	}
	if len(res) != 1 || json.Unmarshal(res[0], &ans) != nil || !ans.OK || ans.Exp != second.Unix() {
		t.Fatalf("refresh answer %s, want ok and exp %d", res, second.Unix())
	}
	if time.Now().After(clock.real(first)) {
		t.Fatal("the refresh came after the first exp: the machine is too slow for this test")
	}

	// Without a refresh: auth:expired at first, then the disconnect.
	expectExpiry(t, plain, clock, first, slack)

	// The refreshed socket is past the first exp, still connected, with
	// nothing received.
	select {
	case ev, ok := <-refreshed.Events():
		t.Fatalf("refreshed socket got %q (open %v, err %v)", ev.Name, ok, refreshed.Err())
	default:
	}
	if sub := whoami(t, refreshed); sub != "bob" {
		t.Fatalf("refreshed subject %q, want bob", sub)
	}
	if time.Now().Before(clock.real(first)) {
		t.Fatal("the round trip ended before the first exp")
	}

	// ... until the new exp.
	expectExpiry(t, refreshed, clock, second, slack)
}
