package auth

import (
	"sync/atomic"
	"time"

	"github.com/go-sio/sio/core"
)

// A middleware runs before its socket is connected. What must happen once
// it is connected (the user's room, an expiry that fell while later
// middlewares ran) is done by a connection handler that the Authenticator
// registers on each namespace the first time its middleware runs there.
// The sockets whose CONNECT began before that registration (core copies
// the handler list first) do not get the handler: for those, a short
// timer chain waits for the socket to be connected.

// nspHook records when the connection handler was registered on a
// namespace.
type nspHook struct {
	ready atomic.Bool
	at    time.Time // written before ready is set
}

// watchConnect makes sure that afterConnect runs once s is connected.
func (a *Authenticator) watchConnect(s *core.Socket, sess *session) {
	if a.hooked(s) {
		return
	}
	key := sess.key
	var poll func(d time.Duration)
	poll = func(d time.Duration) {
		time.AfterFunc(d, func() {
			s := key.Value()
			if s == nil || sess.done() {
				return // collected (never connected), or handled
			}
			if s.Connected() {
				a.afterConnect(s, sess)
				return
			}
			poll(min(2*d, 250*time.Millisecond))
		})
	}
	poll(100 * time.Microsecond)
}

// hooked reports whether the namespace's connection handler will run for
// s, registering it on first use.
func (a *Authenticator) hooked(s *core.Socket) bool {
	n := s.Namespace()
	v, loaded := a.nsps.LoadOrStore(n, new(nspHook))
	h := v.(*nspHook)
	if !loaded {
		n.OnConnection(a.onConnection)
		h.at = time.Now()
		h.ready.Store(true)
		return false
	}
	// The socket is made (and its handshake time taken) before core copies
	// the namespace's handlers: a socket made after the registration gets
	// the handler.
	return h.ready.Load() && s.Handshake().Time.After(h.at)
}

func (a *Authenticator) onConnection(s *core.Socket) {
	if sess := lookupSession(s); sess != nil && sess.a == a {
		a.afterConnect(s, sess)
	}
}

func (sess *session) done() bool {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	return sess.connected || sess.closed
}
