package engineio

import (
	"strings"

	"github.com/go-sio/sio/core/internal/eio"
)

// handleGet answers a long-polling GET: at once if something is queued,
// else when something is, when the session closes or upgrades, or never if
// done fires first (the client went away).
func (s *Session) handleGet(done <-chan struct{}) *response {
	s.mu.Lock()
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
	w := &pollWait{wake: make(chan struct{}, 1)}
	s.poll = w
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
	if w != nil && w.overlap {
		return textResponse(closeData), true
	}
	if s.transport != Polling {
		// Released by an upgrade: the queue now belongs to the WebSocket.
		return textResponse(noopData), false
	}
	items := s.queue
	s.queue = nil
	closing := s.state == stateClosing
	var body []byte
	n := 0
	for _, it := range items {
		if it.op == opPong || it.op == opClose {
			continue
		}
		if n > 0 {
			body = append(body, eio.Separator)
		}
		if it.op == opBinary {
			body = eio.AppendText(body, eio.Packet{Type: eio.Message, Data: it.data, Binary: true})
		} else {
			body = append(body, it.data...)
		}
		n++
	}
	if closing && s.closeNoop {
		return textResponse(noopData), true
	}
	if closing {
		if n > 0 {
			// Deliver what is queued first: the client handles a close
			// packet before packets decoded in the same payload, so the
			// close goes in the next response.
			return textResponse(body), false
		}
		if w == nil {
			body = append(body, noopData...)
			body = append(body, eio.Separator)
		}
		body = append(body, closeData...)
		return textResponse(body), true
	}
	if n == 0 {
		// Released for an upgrade (or spuriously): a noop.
		body = append(body, noopData...)
	}
	return textResponse(body), false
}

func textResponse(body []byte) *response {
	res := &response{status: 200, body: body, compressible: true}
	res.set("Content-Type", "text/plain; charset=UTF-8")
	res.set("Cache-Control", "no-store")
	return res
}

// handlePost takes a payload from the client.
func (s *Session) handlePost(contentType string, body []byte, tooLarge bool) *response {
	if strings.HasPrefix(contentType, "application/octet-stream") {
		s.close(ReasonTransportError) // "invalid content"
		return emptyResponse(400)
	}
	s.mu.Lock()
	if s.posting {
		s.mu.Unlock()
		s.close(ReasonTransportError) // "data request overlap from client"
		return emptyResponse(400)
	}
	if tooLarge {
		s.mu.Unlock()
		return emptyResponse(413)
	}
	s.posting = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.posting = false
		s.mu.Unlock()
	}()

	packets, err := eio.DecodePayload(body)
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
