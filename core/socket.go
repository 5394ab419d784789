package core

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/go-sio/sio/core/engineio"
	"github.com/go-sio/sio/core/internal/sio"
)

// Handshake describes how a socket connected, as Node's socket.handshake.
type Handshake struct {
	// Headers of the first HTTP request of the connection.
	Headers http.Header
	// Time the connection was made (Node's handshake.time; Issued gives
	// handshake.issued).
	Time time.Time
	// Address is the client's IP address.
	Address string
	// XDomain reports an Origin header on the first request.
	XDomain bool
	// Secure reports TLS.
	Secure bool
	// URL is the request URI of the first request.
	URL string
	// Query holds the query parameters of the first request.
	Query url.Values
	// Auth is the CONNECT payload (the client's auth option), {} if none.
	Auth map[string]any
	// AuthRaw is the CONNECT payload as JSON, {} if none.
	AuthRaw json.RawMessage
}

// Issued is the connection time in milliseconds since the epoch (Node's
// handshake.issued).
func (h *Handshake) Issued() int64 { return h.Time.UnixMilli() }

// Socket is a client's connection to one namespace. It is safe for
// concurrent use. Its event handlers run one at a time, in the order the
// client sent the events, on the connection's reader goroutine: a handler
// that blocks delays the next packets of that connection (and only those).
type Socket struct {
	id        SocketID
	nsp       *Namespace
	client    *client
	handshake *Handshake

	// rooms, pendingRooms and joinedOnce are guarded by nsp.mu.
	rooms        map[Room]struct{}
	pendingRooms []Room // joined by middlewares, before the socket connected
	joinedOnce   bool   // the socket has been in the namespace

	mu              sync.Mutex
	connected       bool
	handlers        map[string][]*eventHandler
	onDisconnect    []func(reason string)
	onDisconnecting []func(reason string)
	onError         []func(error)
	acks            map[int64]*pendingAck
	data            any
	pid             string
	recovered       bool
	packetMW        []PacketMiddleware
	anyIn           []func(event string, args Args)
	anyOut          []func(event string, args []any)
	hasAnyOut       atomic.Bool
}

// PacketMiddleware runs for each event a client sends, before the
// listeners; a non-nil error drops the event and goes to the OnError
// handlers (the client is told nothing), as socket.use in Node.
type PacketMiddleware func(event string, args Args) error

// Use adds a per-packet middleware.
func (s *Socket) Use(mw PacketMiddleware) {
	s.mu.Lock()
	s.packetMW = append(s.packetMW, mw)
	s.mu.Unlock()
}

// OnAny registers a listener called for every event the client sends,
// before the per-packet middlewares and the event's own handlers.
func (s *Socket) OnAny(fn func(event string, args Args)) {
	s.mu.Lock()
	s.anyIn = append(s.anyIn, fn)
	s.mu.Unlock()
}

// OnAnyOutgoing registers a listener called for every event sent to the
// client, by Emit or by a broadcast. It runs on the sender's goroutine.
func (s *Socket) OnAnyOutgoing(fn func(event string, args []any)) {
	s.mu.Lock()
	s.anyOut = append(s.anyOut, fn)
	s.mu.Unlock()
	s.hasAnyOut.Store(true)
}

func (s *Socket) notifyOutgoing(event string, args []any) {
	if !s.hasAnyOut.Load() {
		return
	}
	s.mu.Lock()
	fns := slices.Clone(s.anyOut)
	s.mu.Unlock()
	args = expandArgs(args)
	for _, fn := range fns {
		s.nsp.safeCall(s, func() { fn(event, args) })
	}
}

type pendingAck struct {
	cb   func(Args, error)
	stop func() bool
}

func newSocket(n *Namespace, c *client, auth []byte) *Socket {
	req := c.sess.Request()
	hs := &Handshake{
		Headers: req.Header,
		Time:    time.Now(),
		Address: req.RemoteIP(),
		XDomain: req.Header.Get("Origin") != "",
		Secure:  req.Secure,
		URL:     req.URL,
		Query:   req.Query,
		AuthRaw: auth,
	}
	if len(auth) > 0 {
		_ = json.Unmarshal(auth, &hs.Auth)
	}
	if hs.Auth == nil {
		hs.Auth = map[string]any{}
	}
	if len(hs.AuthRaw) == 0 {
		hs.AuthRaw = json.RawMessage("{}")
	}
	id := SocketID(engineio.NewID())
	if c.v3 {
		// As Node does for v2 clients: the connection id, prefixed by the
		// namespace outside the main one.
		id = SocketID(c.sess.ID())
		if n.name != "/" {
			id = SocketID(n.name + "#" + c.sess.ID())
		}
	}
	return &Socket{
		id:        id,
		nsp:       n,
		client:    c,
		handshake: hs,
		rooms:     make(map[Room]struct{}),
		handlers:  make(map[string][]*eventHandler),
		acks:      make(map[int64]*pendingAck),
	}
}

// ID is the socket's id, distinct from the connection's id.
func (s *Socket) ID() SocketID { return s.id }

// Namespace is the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake describes the connection.
func (s *Socket) Handshake() *Handshake { return s.handshake }

// Transport is the name of the connection's current transport.
func (s *Socket) Transport() string { return s.client.sess.Transport() }

// ConnID is the id of the underlying Engine.IO connection.
func (s *Socket) ConnID() string { return s.client.sess.ID() }

// Connected reports whether the socket is connected.
func (s *Socket) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected
}

func (s *Socket) setConnected() {
	s.mu.Lock()
	s.connected = true
	s.mu.Unlock()
}

// On registers a handler for an event. fn is a func whose parameters are
// decoded from the event's arguments (JSON into the declared types, binary
// into []byte), optionally ending with an [Ack] to answer the client; or
// func(Args) / func(Args, Ack) for raw access. It may return an error,
// which goes to the OnError handlers. A handler whose arguments do not
// decode is not called; the decode error goes to OnError.
//
// On panics if fn has none of these shapes: that is a programming error.
func (s *Socket) On(event string, fn any) {
	h, err := newEventHandler(fn)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	s.handlers[event] = append(s.handlers[event], h)
	s.mu.Unlock()
}

// OnDisconnect registers a handler called once the socket disconnected,
// with the reason (see the Reason constants).
func (s *Socket) OnDisconnect(fn func(reason string)) {
	s.mu.Lock()
	s.onDisconnect = append(s.onDisconnect, fn)
	s.mu.Unlock()
}

// OnDisconnecting registers a handler called when the socket is about to
// disconnect, while its rooms are still intact.
func (s *Socket) OnDisconnecting(fn func(reason string)) {
	s.mu.Lock()
	s.onDisconnecting = append(s.onDisconnecting, fn)
	s.mu.Unlock()
}

// OnError registers a handler for errors: arguments that do not decode,
// errors returned or panics raised by handlers, invalid packets.
func (s *Socket) OnError(fn func(error)) {
	s.mu.Lock()
	s.onError = append(s.onError, fn)
	s.mu.Unlock()
}

func (s *Socket) reportError(err error) {
	s.mu.Lock()
	hs := slices.Clone(s.onError)
	s.mu.Unlock()
	if len(hs) == 0 {
		s.nsp.srv.cfg.Logger.Warn("sio: socket error", "nsp", s.nsp.name, "socket", s.id, "err", err)
		return
	}
	for _, h := range hs {
		func() {
			defer func() { _ = recover() }()
			h(err)
		}()
	}
}

// Emit sends an event to this client. Arguments are encoded as JSON;
// []byte values, at any depth, travel as binary attachments.
func (s *Socket) Emit(event string, args ...any) error {
	if sio.IsReserved(event) {
		return ErrReservedEvent
	}
	if s.nsp.srv.recovery != nil {
		// With recovery on, a private emit is a broadcast to the socket's
		// own room, so that it gets an offset and can be replayed.
		if !s.Connected() {
			return ErrDisconnected
		}
		pkt := NewPacket(s.nsp.name, event, args...)
		if _, err := pkt.encode(); err != nil {
			return err
		}
		s.nsp.deliver(pkt, BroadcastOptions{Rooms: []Room{Room(s.id)}, Flags: BroadcastFlags{Compress: true}})
		return nil
	}
	var one [1]engineio.Frame
	frames, err := encodeEvent(one[:0], s.nsp.name, sio.NoID, event, args)
	if err != nil {
		return err
	}
	s.notifyOutgoing(event, args)
	return s.send(frames)
}

// Recovered reports whether connection state recovery restored this
// socket (same id, rooms and data as before the disconnection).
func (s *Socket) Recovered() bool { return s.recovered }

func (s *Socket) send(frames []engineio.Frame) error {
	if !s.Connected() {
		return ErrDisconnected
	}
	return s.client.send(frames)
}

// EmitAck sends an event that asks the client for an acknowledgement and
// returns at once. cb is called once: with the client's answer, with
// [ErrAckTimeout] when ctx's deadline passes first (ctx.Err() if ctx is
// cancelled), or with [ErrDisconnected]. Without a deadline it waits as
// long as the socket lives. cb runs on the connection's reader goroutine,
// or on a timer's.
func (s *Socket) EmitAck(ctx context.Context, event string, cb func(Args, error), args ...any) error {
	if sio.IsReserved(event) {
		return ErrReservedEvent
	}
	id := s.nsp.ackID.Add(1) - 1
	var one [1]engineio.Frame
	frames, err := encodeEvent(one[:0], s.nsp.name, id, event, args)
	if err != nil {
		return err
	}
	s.notifyOutgoing(event, args)
	pa := &pendingAck{cb: cb}
	s.mu.Lock()
	if !s.connected {
		s.mu.Unlock()
		return ErrDisconnected
	}
	s.acks[id] = pa
	s.mu.Unlock()
	if ctx.Done() != nil {
		pa.stop = context.AfterFunc(ctx, func() {
			if s.takeAck(id) != nil {
				err := ctx.Err()
				if err == context.DeadlineExceeded {
					err = ErrAckTimeout
				}
				cb(Args{}, err)
			}
		})
	}
	if err := s.client.send(frames); err != nil {
		if s.takeAck(id) != nil && pa.stop != nil {
			pa.stop()
		}
		return err
	}
	return nil
}

// EmitWithAck sends an event and waits for the client's acknowledgement,
// or for ctx. Do not call it from a handler of the same connection: the
// answer is read by that handler's goroutine. Use [Socket.EmitAck] there.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	type result struct {
		args Args
		err  error
	}
	ch := make(chan result, 1)
	if err := s.EmitAck(ctx, event, func(a Args, err error) { ch <- result{a, err} }, args...); err != nil {
		return Args{}, err
	}
	r := <-ch
	return r.args, r.err
}

func (s *Socket) takeAck(id int64) *pendingAck {
	s.mu.Lock()
	defer s.mu.Unlock()
	pa := s.acks[id]
	delete(s.acks, id)
	return pa
}

// Join adds the socket to rooms.
func (s *Socket) Join(rooms ...Room) {
	n := s.nsp
	var evs []roomEvent
	n.mu.Lock()
	if n.sockets[s.id] != s {
		if !s.joinedOnce {
			// Not connected yet (a middleware): join when it connects.
			s.pendingRooms = append(s.pendingRooms, rooms...)
		}
		n.mu.Unlock()
		return
	}
	for _, r := range rooms {
		n.joinLocked(s, r, &evs)
	}
	n.mu.Unlock()
	n.sendRoomEvents(evs)
}

// Leave removes the socket from a room.
func (s *Socket) Leave(room Room) {
	n := s.nsp
	var evs []roomEvent
	n.mu.Lock()
	if n.sockets[s.id] != s {
		n.mu.Unlock()
		return
	}
	n.leaveLocked(s, room, &evs)
	n.mu.Unlock()
	n.sendRoomEvents(evs)
}

// Rooms lists the socket's rooms, its own id's room included.
func (s *Socket) Rooms() []Room {
	n := s.nsp
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]Room, 0, len(s.rooms))
	for r := range s.rooms {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

func (s *Socket) operator() BroadcastOperator {
	return s.nsp.operator().Except(Room(s.id))
}

// Broadcast starts a broadcast to every other socket of the namespace.
func (s *Socket) Broadcast() BroadcastOperator { return s.operator() }

// To starts a broadcast to room(s), this socket excluded.
func (s *Socket) To(rooms ...Room) BroadcastOperator { return s.operator().To(rooms...) }

// In is the same as To.
func (s *Socket) In(rooms ...Room) BroadcastOperator { return s.operator().To(rooms...) }

// Volatile returns an operator that sends to this socket only, dropping
// the packet if the client cannot take it at once (Node's
// socket.volatile.emit).
func (s *Socket) Volatile() BroadcastOperator {
	return s.nsp.operator().To(Room(s.id)).Volatile().Local()
}

// Compress returns an operator that sends to this socket only, with a
// compression hint.
func (s *Socket) Compress(on bool) BroadcastOperator {
	return s.nsp.operator().To(Room(s.id)).Compress(on).Local()
}

// Except starts a broadcast to the other sockets, room(s) excluded.
func (s *Socket) Except(rooms ...Room) BroadcastOperator { return s.operator().Except(rooms...) }

// Disconnect disconnects the socket: the client gets a DISCONNECT packet
// ("io server disconnect") and does not reconnect by itself. With close,
// every socket of the connection is disconnected and the connection is
// closed.
func (s *Socket) Disconnect(close bool) {
	if close {
		for _, o := range s.client.socketList() {
			o.disconnect()
		}
		s.client.sess.Close()
		return
	}
	s.disconnect()
}

func (s *Socket) disconnect() {
	// Claim the close first: once the client has the DISCONNECT it may
	// drop the connection, and its reader must not report another reason.
	s.mu.Lock()
	if !s.connected {
		s.mu.Unlock()
		return
	}
	s.connected = false
	s.mu.Unlock()
	_ = s.client.send(encodePacket(sio.Disconnect, s.nsp.name, sio.NoID, nil, nil))
	s.closed(ReasonServerNamespaceDisconnect)
}

// onClose ends the socket once: disconnecting handlers, rooms left,
// pending acks released, disconnect handlers.
func (s *Socket) onClose(reason string) {
	s.mu.Lock()
	if !s.connected {
		s.mu.Unlock()
		return
	}
	s.connected = false
	s.mu.Unlock()
	s.closed(reason)
}

// closed runs the end of a socket whose close was claimed (connected set
// to false by the caller).
func (s *Socket) closed(reason string) {
	s.mu.Lock()
	disconnecting := slices.Clone(s.onDisconnecting)
	s.mu.Unlock()
	for _, h := range disconnecting {
		s.nsp.safeCall(s, func() { h(reason) })
	}
	if store := s.nsp.srv.recovery; store != nil && recoverableReasons[reason] {
		store.SaveSession(SessionState{SID: s.id, PID: s.pid, Nsp: s.nsp.name, Rooms: s.Rooms(), Data: s.Data()})
	}
	s.nsp.removeSocket(s)
	s.client.removeSocket(s)
	s.mu.Lock()
	acks := s.acks
	s.acks = make(map[int64]*pendingAck)
	disconnect := slices.Clone(s.onDisconnect)
	s.mu.Unlock()
	for _, pa := range acks {
		if pa.stop == nil || pa.stop() {
			pa.cb(Args{}, ErrDisconnected)
		}
	}
	for _, h := range disconnect {
		s.nsp.safeCall(s, func() { h(reason) })
	}
}

func (s *Socket) onEvent(p *sio.Packet, atts [][]byte) {
	raw, err := splitArgs(p.Data)
	if err != nil || len(raw) == 0 {
		s.reportError(err)
		return
	}
	name, plain := plainName(raw[0])
	var event string
	if !plain {
		var decoded string
		if err := json.Unmarshal(raw[0], &decoded); err != nil {
			// The reference parser also accepts a number as event name.
			var num json.Number
			if json.Unmarshal(raw[0], &num) != nil {
				return
			}
			decoded = num.String()
		}
		event = decoded
	}
	args := Args{raw: raw[1:], attachments: atts}
	ack := s.ackFunc(p.ID)
	s.mu.Lock()
	var hs []*eventHandler
	if plain {
		hs = s.handlers[string(name)] // a lookup makes no string
		if len(s.packetMW) > 0 || len(s.anyIn) > 0 {
			event = string(name)
		}
	} else {
		hs = s.handlers[event]
	}
	mws := slices.Clone(s.packetMW)
	anyIn := slices.Clone(s.anyIn)
	s.mu.Unlock()
	// Catch-all listeners see every event, before the per-packet
	// middlewares, as in Node.
	for _, fn := range anyIn {
		s.nsp.safeCall(s, func() { fn(event, args) })
	}
	for _, mw := range mws {
		var err error
		s.nsp.safeCall(s, func() { err = mw(event, args) })
		if err != nil {
			s.reportError(err)
			return
		}
	}
	for _, h := range hs {
		var herr error
		s.nsp.safeCall(s, func() { herr = h.call(args, ack) })
		if herr != nil {
			s.reportError(herr)
		}
	}
}

// plainName returns the bytes of the value of tok, a JSON string token of
// a packet already checked to be valid JSON, when it needs no decoding: no
// escape and valid UTF-8 (which decoding would alter). Event names nearly
// always are.
func plainName(tok []byte) ([]byte, bool) {
	tok = bytes.TrimSpace(tok)
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return nil, false
	}
	raw := tok[1 : len(tok)-1]
	if bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) {
		return nil, false
	}
	return raw, true
}

var noAck Ack = func(...any) {}

func (s *Socket) ackFunc(id int64) Ack {
	if id < 0 {
		return noAck
	}
	var called atomic.Bool // only the first call answers
	return func(args ...any) {
		if called.Swap(true) {
			return
		}
		var one [1]engineio.Frame
		frames, err := encodeAck(one[:0], s.nsp.name, id, args)
		if err != nil {
			s.reportError(err)
			return
		}
		_ = s.send(frames)
	}
}

func (s *Socket) onAck(p *sio.Packet, atts [][]byte) {
	pa := s.takeAck(p.ID)
	if pa == nil {
		return // unknown ids are ignored
	}
	if pa.stop != nil && !pa.stop() {
		return // the timeout won
	}
	raw, err := splitArgs(p.Data)
	if err != nil {
		pa.cb(Args{}, err)
		return
	}
	pa.cb(Args{raw: raw, attachments: atts}, nil)
}

// Conn is the underlying Engine.IO connection, shared by the client's
// sockets of every namespace.
func (s *Socket) Conn() *engineio.Session { return s.client.sess }

// expandArgs replaces received arguments (Args) by their values, for
// listeners that look at outgoing events.
func expandArgs(args []any) []any {
	has := false
	for _, a := range args {
		if _, ok := a.(Args); ok {
			has = true
			break
		}
	}
	if !has {
		return args
	}
	out := make([]any, 0, len(args))
	for _, a := range args {
		if ra, ok := a.(Args); ok {
			vals, _ := ra.Values()
			out = append(out, vals...)
			continue
		}
		out = append(out, a)
	}
	return out
}
