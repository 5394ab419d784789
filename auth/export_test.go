package auth

import "github.com/go-sio/sio/core"

// SessionsOf counts the live sessions of an Authenticator.
func SessionsOf(a *Authenticator) int {
	n := 0
	registry.Range(func(_, v any) bool {
		if v.(*session).a == a {
			n++
		}
		return true
	})
	return n
}

// ValidMethodsOf returns the pinned algorithms.
func ValidMethodsOf(a *Authenticator) []string { return a.cfg.ValidMethods }

// LookupToken runs the token lookup on a handshake.
func LookupToken(a *Authenticator, h *core.Handshake) string { return a.lookup(h) }
