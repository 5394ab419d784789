package auth

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/core"
)

// Claims returns the claims of an authenticated socket as a T: on a
// *core.Socket, the value the middleware stored (T is then the type
// Config.NewClaims returns, e.g. jwt.MapClaims or *MyClaims); on a
// *core.RemoteSocket from FetchSockets, the claims the socket's data
// carries, decoded from JSON into T when another server sent them. T may
// be jwt.MapClaims, a pointer to a struct, a struct with value-receiver
// methods such as jwt.RegisteredClaims, or jwt.Claims itself.
//
// It looks at data["claims"] first, then, for a local socket whose data is
// not a map, at the claims kept beside it. It returns [ErrNoClaims] when
// there are none (the socket was not authenticated, or it is remote and
// its data is not a map).
func Claims[T jwt.Claims](s interface{ Data() any }) (T, error) {
	var zero T
	if m, ok := s.Data().(map[string]any); ok {
		if v, ok := m[ClaimsKey]; ok && v != nil {
			return convert[T](v)
		}
	}
	if sock, ok := s.(*core.Socket); ok {
		if sess := lookupSession(sock); sess != nil {
			sess.mu.Lock()
			c := sess.claims
			sess.mu.Unlock()
			return convert[T](c)
		}
	}
	return zero, ErrNoClaims
}

// convert returns v as a T: as it is when it has that type, else through
// JSON (claims of a remote socket arrive as decoded JSON).
func convert[T jwt.Claims](v any) (T, error) {
	if t, ok := v.(T); ok {
		return t, nil
	}
	var zero T
	b, err := json.Marshal(v)
	if err != nil {
		return zero, fmt.Errorf("auth: claims: %w", err)
	}
	rt := reflect.TypeFor[T]()
	var dst any
	switch rt.Kind() {
	case reflect.Pointer:
		dst = reflect.New(rt.Elem()).Interface()
	case reflect.Interface:
		dst = &jwt.MapClaims{}
	default:
		dst = reflect.New(rt).Interface()
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return zero, fmt.Errorf("auth: claims are not a %v: %w", rt, err)
	}
	switch rt.Kind() {
	case reflect.Pointer:
		return dst.(T), nil
	case reflect.Interface:
		t, ok := any(*dst.(*jwt.MapClaims)).(T)
		if !ok {
			return zero, fmt.Errorf("auth: claims are not a %v", rt)
		}
		return t, nil
	}
	return reflect.ValueOf(dst).Elem().Interface().(T), nil
}

// Token returns the token in force on an authenticated socket of this
// server: the one it connected with, or the latest accepted refresh. It
// returns "" for another socket.
func Token(s *core.Socket) string {
	sess := lookupSession(s)
	if sess == nil {
		return ""
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	return sess.token
}
