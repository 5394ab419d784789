package auth

import (
	"encoding/json"
	"maps"
	"runtime"
	"sync"
	"time"
	"weak"

	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/core"
)

// ClaimsKey is the key of the claims in a socket's data map.
const ClaimsKey = "claims"

// registry maps each authenticated socket (weak.Pointer[core.Socket]) to
// its *session. An entry leaves when the socket disconnects; the entry of
// a socket that never connected (a later middleware refused it) leaves
// when the socket is garbage collected. Nothing in a session points back
// to its socket strongly.
var registry sync.Map

// session is the authentication state of one socket.
type session struct {
	a   *Authenticator
	key weak.Pointer[core.Socket]

	mu     sync.Mutex
	token  string
	claims jwt.Claims
	timer  *time.Timer
	// gen invalidates timers armed before the latest (re)arming.
	gen uint64
	// connected: the after-connect step ran (room joined).
	connected bool
	// early: the token expired before the after-connect step ran.
	early bool
	// expired: the expiry fired; refreshes are refused from then on.
	expired bool
	// closed: the socket disconnected.
	closed bool
}

func lookupSession(s *core.Socket) *session {
	if s == nil {
		return nil
	}
	v, ok := registry.Load(weak.Make(s))
	if !ok {
		return nil
	}
	return v.(*session)
}

// attach makes an authenticated socket's session: claims stored, refresh
// handler and expiry timer set, room joined once the socket is connected.
func (a *Authenticator) attach(s *core.Socket, token string, claims jwt.Claims) {
	key := weak.Make(s)
	sess := &session{a: a, key: key, token: token, claims: claims}
	storeClaims(s, claims)
	if old, loaded := registry.Swap(key, sess); loaded {
		old.(*session).close()
	}
	runtime.AddCleanup(s, func(k weak.Pointer[core.Socket]) {
		sess.close()
		registry.CompareAndDelete(k, sess)
	}, key)
	s.On(a.cfg.RefreshEvent, func(args core.Args, ack core.Ack) {
		a.refresh(s, sess, args, ack)
	})
	s.OnDisconnect(func(string) {
		sess.close()
		registry.CompareAndDelete(key, sess)
	})
	if room, ok := a.Room(claims); ok {
		// Only effective where core honours a join before the socket is
		// connected; afterConnect joins in any case.
		s.Join(room)
	}
	sess.mu.Lock()
	sess.armLocked()
	sess.mu.Unlock()
	a.watchConnect(s, sess)
}

// storeClaims puts the claims in the socket's data when it is nil or a
// map[string]any (copied, never written in place, so that a concurrent
// reader such as FetchSockets never sees a map being written). Other data
// is left alone: the claims then live in the session only.
func storeClaims(s *core.Socket, claims jwt.Claims) {
	switch d := s.Data().(type) {
	case nil:
		s.SetData(map[string]any{ClaimsKey: claims})
	case map[string]any:
		m := maps.Clone(d)
		if m == nil {
			m = make(map[string]any, 1)
		}
		m[ClaimsKey] = claims
		s.SetData(m)
	}
}

// afterConnect runs once the socket is connected: it joins the subject's
// room, and expires the socket if its token expired meanwhile.
func (a *Authenticator) afterConnect(s *core.Socket, sess *session) {
	sess.mu.Lock()
	if sess.connected || sess.closed {
		sess.mu.Unlock()
		return
	}
	sess.connected = true
	early := sess.early
	if early {
		sess.expired = true
	}
	claims := sess.claims
	sess.mu.Unlock()
	if room, ok := a.Room(claims); ok {
		s.Join(room)
	}
	if early {
		a.expire(s, claims)
	}
}

// armLocked (re)arms the expiry timer for the current claims.
func (sess *session) armLocked() {
	if sess.timer != nil {
		sess.timer.Stop()
		sess.timer = nil
	}
	sess.gen++
	cfg := &sess.a.cfg
	if sess.closed || cfg.ExpiryGrace < 0 {
		return
	}
	exp, err := sess.claims.GetExpirationTime()
	if err != nil || exp == nil {
		return
	}
	d := exp.Time.Add(cfg.Leeway + cfg.ExpiryGrace).Sub(cfg.Now())
	gen := sess.gen
	sess.timer = time.AfterFunc(max(d, 0), func() { sess.fire(gen) })
}

// fire runs when the token of the timer's generation expired.
func (sess *session) fire(gen uint64) {
	sess.mu.Lock()
	if gen != sess.gen || sess.closed || sess.expired {
		sess.mu.Unlock()
		return
	}
	sess.timer = nil
	if !sess.connected {
		// The socket is not connected yet: afterConnect expires it.
		sess.early = true
		sess.mu.Unlock()
		return
	}
	sess.expired = true
	claims := sess.claims
	sess.mu.Unlock()
	if s := sess.key.Value(); s != nil {
		sess.a.expire(s, claims)
	}
}

// expire tells the client and disconnects the socket.
func (a *Authenticator) expire(s *core.Socket, claims jwt.Claims) {
	_ = s.Emit(ExpiredEvent, map[string]any{"code": CodeTokenExpired, "exp": expUnix(claims)})
	s.Disconnect(false)
}

// close ends the session: the timer is stopped and no refresh applies.
func (sess *session) close() {
	sess.mu.Lock()
	sess.closed = true
	sess.gen++
	if sess.timer != nil {
		sess.timer.Stop()
		sess.timer = nil
	}
	sess.mu.Unlock()
}

// refresh handles the refresh event: see the package documentation.
func (a *Authenticator) refresh(s *core.Socket, sess *session, args core.Args, ack core.Ack) {
	token := tokenArg(args)
	claims, err := a.Authenticate(token)
	if err == nil {
		err = sess.replace(s, token, claims)
	}
	if err != nil {
		ack(map[string]any{"ok": false, "code": Code(err)})
		return
	}
	ack(map[string]any{"ok": true, "exp": expUnix(claims)})
}

// replace installs a refreshed token.
func (sess *session) replace(s *core.Socket, token string, claims jwt.Claims) error {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.closed || sess.expired {
		return ErrTokenExpired
	}
	if subject(claims) != subject(sess.claims) {
		return ErrSubjectMismatch
	}
	sess.token, sess.claims = token, claims
	storeClaims(s, claims)
	sess.armLocked()
	return nil
}

// tokenArg reads the refresh event's argument: a string, or an object
// with a string field token.
func tokenArg(args core.Args) string {
	raw := args.Raw(0)
	if raw == nil {
		return ""
	}
	var tok string
	if json.Unmarshal(raw, &tok) == nil {
		return tok
	}
	var obj struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.Token
	}
	return ""
}

// expUnix is the claims' exp in Unix seconds, nil if none.
func expUnix(claims jwt.Claims) any {
	if claims == nil {
		return nil
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return nil
	}
	return exp.Unix()
}
