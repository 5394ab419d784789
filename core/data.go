package core

import (
	"encoding/json"
	"fmt"
)

// SetData stores application data on the socket (Node's socket.data). It
// travels with the socket in FetchSockets answers (as JSON), so keep it
// JSON-encodable.
func (s *Socket) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// Data returns the socket's data, nil if none was set.
func (s *Socket) Data() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// DataAs returns the data of a socket (local or remote) as a T: as it is
// when it already has that type, else converted through JSON (the data of
// a remote socket arrives as decoded JSON).
func DataAs[T any](s interface{ Data() any }) (T, error) {
	var zero T
	v := s.Data()
	if t, ok := v.(T); ok {
		return t, nil
	}
	if v == nil {
		return zero, fmt.Errorf("core: socket has no data")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return zero, fmt.Errorf("core: socket data: %w", err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return zero, fmt.Errorf("core: socket data is not a %T: %w", zero, err)
	}
	return out, nil
}

// info describes the socket for cluster operations.
func (s *Socket) info() SocketInfo {
	return SocketInfo{ID: s.id, Handshake: s.handshake, Rooms: s.Rooms(), Data: s.Data()}
}
