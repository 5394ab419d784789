package frameworktest

import (
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/internal/sioclient"
)

// ExpiryClock is the auth clock of an expiry test (auth.Config.Now, which
// drives both token validation and the expiry timers). First, the exp of
// the test's first tokens, is an hour ahead on a whole second; Start
// shifts the clock so that First comes a chosen real duration later.
type ExpiryClock struct {
	shift atomic.Int64 // time.Duration
	First time.Time
}

// NewExpiryClock returns a clock that reads the real time until Start.
func NewExpiryClock() *ExpiryClock {
	return &ExpiryClock{First: time.Now().Add(time.Hour).Truncate(time.Second)}
}

// Start makes First come in d.
func (c *ExpiryClock) Start(d time.Duration) {
	c.shift.Store(int64(time.Until(c.First.Add(-d))))
}

// Now reads the clock: pass it as auth.Config.Now.
func (c *ExpiryClock) Now() time.Time { return time.Now().Add(time.Duration(c.shift.Load())) }

// Real is the real time at which the clock reads t.
func (c *ExpiryClock) Real(t time.Time) time.Time {
	return t.Add(-time.Duration(c.shift.Load()))
}

// ExpiryToken is an HS256 token of [Secret] for sub, expiring at exp.
func ExpiryToken(t *testing.T, sub string, exp time.Time) string {
	return Sign(t, jwt.SigningMethodHS256, Secret,
		jwt.RegisteredClaims{Subject: sub, ExpiresAt: jwt.NewNumericDate(exp)})
}

// NextEventBy returns the next event named name, skipping others; it
// fails if none came by deadline or the connection ended first.
func NextEventBy(t *testing.T, c *sioclient.Client, name string, deadline time.Time) sioclient.Event {
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

// ExpectExpiry checks that c gets "auth:expired" for exp, not before the
// clock reads exp and within slack of it, then the server's disconnect.
func ExpectExpiry(t *testing.T, c *sioclient.Client, clock *ExpiryClock, exp time.Time, slack time.Duration) {
	t.Helper()
	at := clock.Real(exp)
	ev := NextEventBy(t, c, auth.ExpiredEvent, at.Add(slack))
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

// ExpiryAndRefresh checks the expiry of sockets' tokens. serve serves,
// through the framework's router, a server whose sockets authenticate,
// with an authenticator on the clock now that accepts HS256 tokens of
// [Secret], and answer "whoami" with their subject (see [ServeAuth]).
//
// A socket whose token expires gets auth:expired and is disconnected by
// the server; a socket that hands in a later token with auth:refresh
// before then survives the first exp (an ack round trip after it) and is
// disconnected at the new one.
func ExpiryAndRefresh(t *testing.T, serve func(t *testing.T, now func() time.Time) string) {
	const slack = 1500 * time.Millisecond
	clock := NewExpiryClock()
	base := serve(t, clock.Now)
	first, second := clock.First, clock.First.Add(time.Second)

	// Both sockets start with a token that expires at first, in a second.
	clock.Start(time.Second)
	plain := Dial(t, base, WithToken(ExpiryToken(t, "alice", first)))
	refreshed := Dial(t, base, WithToken(ExpiryToken(t, "bob", first)))
	if sub := Whoami(t, plain); sub != "alice" {
		t.Fatalf("subject %q, want alice", sub)
	}

	res, err := refreshed.EmitWithAck(Ctx(t), auth.DefaultRefreshEvent, ExpiryToken(t, "bob", second))
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
	if time.Now().After(clock.Real(first)) {
		t.Fatal("the refresh came after the first exp: the machine is too slow for this test")
	}

	// Without a refresh: auth:expired at first, then the disconnect.
	ExpectExpiry(t, plain, clock, first, slack)

	// The refreshed socket is past the first exp, still connected, with
	// nothing received.
	select {
	case ev, ok := <-refreshed.Events():
		t.Fatalf("refreshed socket got %q (open %v, err %v)", ev.Name, ok, refreshed.Err())
	default:
	}
	if sub := Whoami(t, refreshed); sub != "bob" {
		t.Fatalf("refreshed subject %q, want bob", sub)
	}
	if time.Now().Before(clock.Real(first)) {
		t.Fatal("the round trip ended before the first exp")
	}

	// ... until the new exp.
	ExpectExpiry(t, refreshed, clock, second, slack)
}
