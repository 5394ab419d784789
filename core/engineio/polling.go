package engineio

import (
	"strings"
	"time"

	"github.com/go-sio/sio/core/internal/eio"
)

// handleGet answers a long-polling GET: at once if something is queued,
// else when something is, when the session closes or upgrades, or never if
// done fires first (the client went away).
func (s *Session) handleGet(done <-chan struct{}) *response {
	s.mu.Lock()
	for waited := false; ; waited = true {
		if s.poll != nil {
			// Two GETs at once: the first gets a close packet, the second a
			// 400, and the session ends.
			s.poll.overlap = true
			s.poll.notify()
			s.mu.Unlock()
			s.close(ReasonTransportError)
			return emptyResponse(400)
		}
		if s.state == stateClosed {
			s.mu.Unlock()
			return errorResponse(codeUnknownSID, "")
		}
		if s.transport != Polling {
			s.mu.Unlock()
			return errorResponse(codeBadRequest, "")
		}
		if len(s.queue) > 0 || s.state == stateClosing {
			res, finished := s.pollResponseLocked(nil)
			s.mu.Unlock()
			if finished {
				s.finish()
			}
			return res
		}
		if ch := s.upgradeDone; ch != nil && !waited {
			// A WebSocket upgrade is under way: a GET now may have been sent
			// right behind the upgrade packet. Give the upgrade a moment
			// before parking, so that such a GET meets the WebSocket
			// transport (400), as with the reference server's event loop. A
			// GET parked during an upgrade gets a noop anyway.
			s.mu.Unlock()
			t := time.NewTimer(upgradeGrace)
			select {
			case <-ch:
			case <-t.C:
			}
			t.Stop()
			s.mu.Lock()
			continue
		}
		break
	}
	w := &pollWait{wake: make(chan struct{}, 1)}
	s.poll = w
	if s.upgrading && s.probeAnswered {
		// The client pauses polling for the upgrade: release at once.
		w.noop = true
		w.notify()
	}
	s.mu.Unlock()

	select {
	case <-w.wake:
	case <-s.srv.shutdown:
		s.mu.Lock()
		if s.poll == w {
			s.poll = nil
		}
		s.mu.Unlock()
		return textResponse(closeData)
	case <-done:
		s.mu.Lock()
		if s.poll == w {
			s.poll = nil
		}
		s.mu.Unlock()
		// "poll connection closed prematurely"
		s.close(ReasonTransportError)
		return nil
	}
	s.mu.Lock()
	if s.poll == w {
		s.poll = nil
	}
	res, finished := s.pollResponseLocked(w)
	s.mu.Unlock()
	if finished {
		s.finish()
	}
	return res
}

// pollResponseLocked builds the body for a GET from the queue. It reports
// whether the session is over once this body is sent.
func (s *Session) pollResponseLocked(w *pollWait) (*response, bool) {
	var (
		noop  = eio.Packet{Type: eio.Noop}
		close = eio.Packet{Type: eio.Close}
	)
	if w != nil && w.overlap {
		return s.payloadResponse([]eio.Packet{close}), true
	}
	if s.transport != Polling {
		// Released by an upgrade: the queue now belongs to the WebSocket.
		return s.payloadResponse([]eio.Packet{noop}), false
	}
	items := s.queue
	s.queue = nil
	closing := s.state == stateClosing
	pkts := make([]eio.Packet, 0, len(items)+2)
	for _, it := range items {
		switch {
		case it.op == opPong || it.op == opClose:
		case it.op == opBinary:
			pkts = append(pkts, eio.Packet{Type: eio.Message, Data: it.data, Binary: true})
		case len(it.data) > 0:
			pkts = append(pkts, eio.Packet{Type: eio.Type(it.data[0] - '0'), Data: it.data[1:]})
		}
	}
	if closing && s.closeNoop {
		return s.payloadResponse([]eio.Packet{noop}), true
	}
	if closing {
		if len(pkts) > 0 {
			// Deliver what is queued first: the client handles a close
			// packet before packets decoded in the same payload, so the
			// close goes in the next response.
			return s.payloadResponse(pkts), false
		}
		if w == nil {
			pkts = append(pkts, noop)
		}
		return s.payloadResponse(append(pkts, close)), true
	}
	if len(pkts) == 0 {
		// Released for an upgrade (or spuriously): a noop.
		pkts = append(pkts, noop)
	}
	return s.payloadResponse(pkts), false
}

// payloadResponse encodes packets for a GET in the session's protocol.
func (s *Session) payloadResponse(pkts []eio.Packet) *response {
	if s.protocol == 4 {
		return textResponse(eio.AppendPayload(nil, pkts))
	}
	if s.supportsBinary {
		for _, p := range pkts {
			if p.Binary {
				res := &response{status: 200, body: eio.AppendBinaryPayloadV3(nil, pkts), compressible: true}
				res.set("Content-Type", "application/octet-stream")
				res.set("Cache-Control", "no-store")
				return res
			}
		}
	}
	return textResponse(eio.AppendPayloadV3(nil, pkts))
}

func textResponse(body []byte) *response {
	res := &response{status: 200, body: body, compressible: true}
	res.set("Content-Type", "text/plain; charset=UTF-8")
	res.set("Cache-Control", "no-store")
	return res
}

// beginPost marks the session as receiving a POST, from its first byte
// until handlePost returned. A second POST meanwhile ends the session, as
// in Node ("data request overlap from client"): beginPost then reports
// false and the caller answers 400.
func (s *Session) beginPost() bool {
	s.mu.Lock()
	if s.posting {
		s.mu.Unlock()
		s.close(ReasonTransportError)
		return false
	}
	s.posting = true
	s.mu.Unlock()
	return true
}

// endPost ends what beginPost started.
func (s *Session) endPost() {
	s.mu.Lock()
	s.posting = false
	s.mu.Unlock()
}

// handlePost takes a payload from the client, between beginPost and endPost.
func (s *Session) handlePost(contentType string, body []byte, tooLarge bool) *response {
	binaryBody := strings.HasPrefix(contentType, "application/octet-stream")
	if binaryBody && s.protocol == 4 {
		s.close(ReasonTransportError) // "invalid content"
		return emptyResponse(400)
	}
	if tooLarge {
		return emptyResponse(413)
	}

	var (
		packets []eio.Packet
		err     error
	)
	switch {
	case s.protocol == 4:
		packets, err = eio.DecodePayload(body)
	case binaryBody:
		packets, err = eio.DecodeBinaryPayloadV3(body)
	default:
		packets, err = eio.DecodePayloadV3(body)
	}
	for _, p := range packets {
		s.onPacket(p)
	}
	if err != nil {
		s.close(ReasonParseError)
	}
	res := &response{status: 200, body: okBody}
	res.set("Content-Type", "text/html")
	return res
}

var okBody = []byte("ok")
