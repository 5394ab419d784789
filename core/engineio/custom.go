package engineio

import (
	"github.com/go-sio/sio/core/internal/eio"
)

// Custom is the transport name of sessions accepted with [Server.Accept].
const Custom = "custom"

// Conn is a transport that the caller provides instead of HTTP: an
// in-process client, a test harness, a transport of another library. The
// session's writer calls WriteFrames, one call at a time, with frames in
// order; Close ends the transport (it may be called more than once).
type Conn interface {
	WriteFrames(frames []Frame) error
	Close() error
}

// Accept opens a session over c, as a WebSocket handshake would (the open
// packet is the first frame written). The caller hands the client's
// packets to [Session.Receive] and calls [Session.CloseTransport] when
// the transport ends.
func (s *Server) Accept(c Conn, req *Request) (*Session, error) {
	if req == nil {
		req = &Request{Method: "GET", URL: "/", Header: map[string][]string{}, Query: map[string][]string{}}
	}
	sess, err := s.newSession(req, Custom, 4)
	if err != nil {
		return nil, err
	}
	sess.mu.Lock()
	sess.custom = c
	sess.queue = append(sess.queue, item{data: s.openPacket(sess, Custom), op: opText})
	sess.mu.Unlock()
	s.cfg.OnSession(sess)
	sess.mu.Lock()
	sess.kickLocked()
	sess.mu.Unlock()
	s.startSession(sess)
	return sess, nil
}

// Receive handles one packet from the client of a custom transport: the
// text of an Engine.IO packet, or binary message data.
func (s *Session) Receive(data []byte, binary bool) {
	if binary {
		s.onPacket(eio.Packet{Type: eio.Message, Data: data, Binary: true})
		return
	}
	p, err := eio.Decode(data)
	if err != nil {
		s.close(ReasonParseError)
		return
	}
	s.onPacket(p)
}

// CloseTransport tells the session that its custom transport is gone.
func (s *Session) CloseTransport() { s.close(ReasonTransportClose) }

// writeCustom writes a burst of items to a custom transport.
func (s *Session) writeCustom(c Conn, items []item) error {
	frames := s.customBuf[:0]
	closing := false
	for _, it := range items {
		switch it.op {
		case opText:
			frames = append(frames, Frame{Data: it.data})
		case opBinary:
			frames = append(frames, Frame{Data: it.data, Binary: true})
		case opClose:
			closing = true
		}
	}
	err := c.WriteFrames(frames)
	clear(frames)
	s.customBuf = frames[:0]
	if closing {
		_ = c.Close()
	}
	return err
}
