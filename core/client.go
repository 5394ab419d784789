package core

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-sio/sio/core/engineio"
	"github.com/go-sio/sio/core/internal/sio"
)

// client is one Engine.IO connection and the sockets (one per namespace)
// multiplexed on it. Its OnMessage runs on the connection's reader, one
// packet at a time.
type client struct {
	srv  *Server
	sess *engineio.Session
	v3   bool // socket.io-client v2 (Engine.IO v3)

	mu      sync.Mutex
	sockets map[string]*Socket
	closed  bool

	// binary reconstruction, reader goroutine only
	pending     *sio.Packet
	attachments [][]byte

	connectTimer *time.Timer
}

func newClient(s *Server, sess *engineio.Session) *client {
	c := &client{srv: s, sess: sess, sockets: make(map[string]*Socket), v3: sess.Protocol() == 3}
	c.connectTimer = time.AfterFunc(s.cfg.ConnectTimeout, func() {
		c.mu.Lock()
		idle := len(c.sockets) == 0 && !c.closed
		c.mu.Unlock()
		if idle {
			c.close()
		}
	})
	return c
}

func (c *client) send(frames []engineio.Frame) error {
	return c.sess.Send(frames...)
}

// OnMessage implements [engineio.Handler].
func (c *client) OnMessage(data []byte, binary bool) {
	if binary {
		if c.pending == nil {
			c.onDecodeError(errors.New("core: got binary data when not reconstructing a packet"))
			return
		}
		c.attachments = append(c.attachments, data)
		if len(c.attachments) < c.pending.Attachments {
			return
		}
		p, atts := c.pending, c.attachments
		c.pending, c.attachments = nil, nil
		if err := checkPlaceholders(p.Data, atts); err != nil {
			c.onDecodeError(err)
			return
		}
		c.dispatch(p, atts)
		return
	}
	if c.pending != nil {
		c.onDecodeError(errors.New("core: got plaintext data when reconstructing a packet"))
		return
	}
	p, err := sio.Decode(data, c.srv.cfg.MaxAttachments)
	if err != nil {
		c.onDecodeError(err)
		return
	}
	if p.Type == sio.BinaryEvent || p.Type == sio.BinaryAck {
		pending := p // a copy, so that p itself can stay on the stack
		c.pending = &pending
		c.attachments = make([][]byte, 0, p.Attachments)
		return
	}
	c.dispatch(&p, nil)
}

// checkPlaceholders validates every placeholder against the attachments.
func checkPlaceholders(data []byte, atts [][]byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return sio.ErrInvalidPayload
	}
	_, err := sio.Reconstruct(v, atts)
	return err
}

// onDecodeError: like the reference server, a packet that does not decode
// closes the whole connection; its sockets see "forced close".
func (c *client) onDecodeError(err error) {
	c.srv.cfg.Logger.Debug("sio: closing connection on invalid packet", "sid", c.sess.ID(), "err", err)
	for _, s := range c.socketList() {
		s.reportError(err)
	}
	c.closeSockets(ReasonForcedClose)
	c.sess.Close()
}

func (c *client) socketList() []*Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*Socket, 0, len(c.sockets))
	for _, s := range c.sockets {
		out = append(out, s)
	}
	return out
}

func (c *client) socket(nsp string) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sockets[nsp]
}

func (c *client) dispatch(p *sio.Packet, atts [][]byte) {
	if p.Type == sio.Connect {
		if c.v3 {
			c.connect(p)
			return
		}
		if c.socket(p.Nsp) != nil {
			c.closeWith(ReasonForcedServerClose)
			return
		}
		c.connect(p)
		return
	}
	s := c.socket(p.Nsp)
	if s == nil {
		// A packet for a namespace the client is not in.
		c.closeWith(ReasonForcedServerClose)
		return
	}
	switch p.Type {
	case sio.Disconnect:
		s.onClose(ReasonClientNamespaceDisconnect)
	case sio.Event, sio.BinaryEvent:
		s.onEvent(p, atts)
	case sio.Ack, sio.BinaryAck:
		s.onAck(p, atts)
	default: // CONNECT_ERROR from a client
		c.closeWith(ReasonForcedServerClose)
	}
}

func (c *client) connect(p *sio.Packet) {
	var auth map[string]any
	if len(p.Data) > 0 {
		_ = json.Unmarshal(p.Data, &auth)
	}
	if c.v3 {
		// v2 clients put their auth in the namespace's query string.
		name, query, _ := strings.Cut(p.Nsp, "?")
		if c.socket(name) != nil {
			return
		}
		auth = map[string]any{}
		if q, err := url.ParseQuery(query); err == nil {
			for k, v := range q {
				if len(v) > 0 {
					auth[k] = v[0]
				}
			}
		}
		p = &sio.Packet{Type: sio.Connect, Nsp: name, ID: sio.NoID}
		p.Data, _ = json.Marshal(auth)
	}
	n := c.srv.resolveNamespace(p.Nsp, auth)
	if n == nil {
		ce := &ConnectError{Message: "Invalid namespace"}
		if c.v3 {
			ce.Data = map[string]any{"message": ce.Message}
		}
		c.sendConnectError(p.Nsp, ce)
		return
	}
	n.connect(c, p.Data)
}

func (c *client) sendConnectError(nsp string, ce *ConnectError) {
	if c.v3 {
		// v2 clients get err.data, or else err.message.
		var v any = ce.Message
		if ce.Data != nil {
			v = ce.Data
		}
		data, err := appendJSON(nil, v)
		if err != nil {
			data, _ = appendJSON(nil, ce.Message)
		}
		_ = c.send(encodePacket(sio.ConnectError, nsp, sio.NoID, data, nil))
		return
	}
	body := struct {
		Message string `json:"message"`
		Data    any    `json:"data,omitempty"`
	}{ce.Message, ce.Data}
	data, err := appendJSON(nil, body)
	if err != nil {
		data, _ = appendJSON(nil, struct {
			Message string `json:"message"`
		}{ce.Message})
	}
	_ = c.send(encodePacket(sio.ConnectError, nsp, sio.NoID, data, nil))
}

func (c *client) addSocket(s *Socket) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.sockets[s.nsp.name] = s
	c.connectTimer.Stop()
	return true
}

func (c *client) removeSocket(s *Socket) {
	c.mu.Lock()
	if c.sockets[s.nsp.name] == s {
		delete(c.sockets, s.nsp.name)
	}
	c.mu.Unlock()
}

// closeWith disconnects every socket with reason, then closes the
// connection.
func (c *client) closeWith(reason string) {
	c.closeSockets(reason)
	c.sess.Close()
}

func (c *client) close() { c.closeWith(ReasonForcedServerClose) }

func (c *client) closeSockets(reason string) {
	for _, s := range c.socketList() {
		s.onClose(reason)
	}
}

// OnClose implements [engineio.Handler].
func (c *client) OnClose(reason string) {
	c.closeSockets(reason)
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.connectTimer.Stop()
	c.srv.removeClient(c)
}
