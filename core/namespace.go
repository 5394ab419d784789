package core

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sio/sio/core/engineio"
	"github.com/go-sio/sio/core/internal/sio"
)

// Middleware runs for each socket connecting to a namespace, before its
// connection handlers. A non-nil error refuses the connection: the client
// gets a connect_error with the error's text, and with Data when the error
// is a [*ConnectError]. Middlewares run in order on the connection's reader
// goroutine; they may block (a database lookup), which only delays that
// connection.
type Middleware func(s *Socket) error

// Namespace is a communication channel multiplexed on a connection.
// Sockets of one namespace share rooms and broadcasts. It is safe for
// concurrent use.
type Namespace struct {
	srv  *Server
	name string

	mu          sync.RWMutex
	middlewares []Middleware
	onConnect   []func(*Socket)
	sockets     map[SocketID]*Socket
	rooms       map[Room]map[SocketID]*Socket
	serverSide  map[string][]ServerSideHandler
	parent      *ParentNamespace

	ackID atomic.Int64
}

func newNamespace(s *Server, name string) *Namespace {
	return &Namespace{
		srv:     s,
		name:    name,
		sockets: make(map[SocketID]*Socket),
		rooms:   make(map[Room]map[SocketID]*Socket),
	}
}

// Name is the namespace's name, "/" for the main one.
func (n *Namespace) Name() string { return n.name }

// Server is the server the namespace belongs to.
func (n *Namespace) Server() *Server { return n.srv }

// Use adds a middleware.
func (n *Namespace) Use(mw Middleware) {
	n.mu.Lock()
	n.middlewares = append(n.middlewares, mw)
	n.mu.Unlock()
}

// OnConnection adds a handler called for each connected socket, on the
// connection's reader goroutine, after the client got its CONNECT answer.
// Handlers registered on the socket there see every later packet.
func (n *Namespace) OnConnection(fn func(*Socket)) {
	n.mu.Lock()
	n.onConnect = append(n.onConnect, fn)
	n.mu.Unlock()
}

// Sockets returns the sockets of this namespace connected to this server.
func (n *Namespace) Sockets() []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(n.sockets))
	for _, s := range n.sockets {
		out = append(out, s)
	}
	return out
}

// Socket returns the local socket with this id, or nil.
func (n *Namespace) Socket(id SocketID) *Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.sockets[id]
}

func (n *Namespace) operator() BroadcastOperator {
	return BroadcastOperator{nsp: n, flags: BroadcastFlags{Compress: true}}
}

// To selects the sockets in room(s) for a broadcast.
func (n *Namespace) To(rooms ...Room) BroadcastOperator { return n.operator().To(rooms...) }

// In is the same as To.
func (n *Namespace) In(rooms ...Room) BroadcastOperator { return n.operator().To(rooms...) }

// Except excludes the sockets in room(s) from a broadcast.
func (n *Namespace) Except(rooms ...Room) BroadcastOperator { return n.operator().Except(rooms...) }

// Volatile starts a broadcast whose packets may be dropped.
func (n *Namespace) Volatile() BroadcastOperator { return n.operator().Volatile() }

// Local starts a broadcast to this server's sockets only.
func (n *Namespace) Local() BroadcastOperator { return n.operator().Local() }

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error {
	return n.operator().Emit(event, args...)
}

// EmitContext is Emit with a context for the adapter.
func (n *Namespace) EmitContext(ctx context.Context, event string, args ...any) error {
	return n.operator().EmitContext(ctx, event, args...)
}

// connect runs the CONNECT flow for a client: middlewares, then the
// CONNECT answer, then the connection handlers.
func (n *Namespace) connect(c *client, auth []byte) {
	s := newSocket(n, c, auth)
	var (
		missed   []*Packet
		restored []Room
	)
	if store := n.srv.recovery; store != nil {
		if pid, off, ok := recoveryAuth(s.handshake.Auth); ok {
			if sess, pkts, ok := store.RestoreSession(n.name, pid, off); ok {
				s.id, s.pid, s.recovered, s.data = sess.SID, sess.PID, true, sess.Data
				restored, missed = sess.Rooms, pkts
			}
		}
		if s.pid == "" {
			s.pid = newPID()
		}
	}
	n.mu.RLock()
	mws := slices.Clone(n.middlewares)
	handlers := slices.Clone(n.onConnect)
	parent := n.parent
	n.mu.RUnlock()
	if parent != nil {
		pmws, phs := parent.handlers()
		mws = append(pmws, mws...)
		handlers = append(phs, handlers...)
	}
	if s.recovered && !n.srv.cfg.Recovery.RunMiddlewares {
		mws = nil
	}
	for _, mw := range mws {
		if err := runMiddleware(mw, s); err != nil {
			var ce *ConnectError
			if !errors.As(err, &ce) {
				ce = &ConnectError{Message: err.Error()}
			}
			c.sendConnectError(n.name, ce)
			return
		}
	}
	if !c.addSocket(s) {
		return
	}
	var ans []byte
	if !c.v3 { // v2 clients get a CONNECT without payload
		// {"sid":…,"pid":…}, written out: no reflection on each connect.
		ans = append(ans, `{"sid":`...)
		ans = appendString(ans, string(s.id))
		if s.pid != "" {
			ans = append(ans, `,"pid":`...)
			ans = appendString(ans, s.pid)
		}
		ans = append(ans, '}')
	}
	connectFrames := encodePacket(sio.Connect, n.name, sio.NoID, ans, nil)

	// The CONNECT answer is queued under the lock, so that no broadcast
	// that sees the new socket can reach the client before it; replayed
	// packets go first, as in Node.
	var evs []roomEvent
	n.mu.Lock()
	n.sockets[s.id] = s
	s.joinedOnce = true
	n.joinLocked(s, Room(s.id), &evs)
	for _, r := range restored {
		n.joinLocked(s, r, &evs)
	}
	for _, r := range s.pendingRooms {
		n.joinLocked(s, r, &evs)
	}
	s.pendingRooms = nil
	s.setConnected()
	for _, p := range missed {
		if frames, err := p.encode(); err == nil {
			_ = c.send(frames)
		}
	}
	_ = c.send(connectFrames)
	n.mu.Unlock()
	n.sendRoomEvents(evs)

	for _, h := range handlers {
		n.safeCall(s, func() { h(s) })
	}
}

// runMiddleware turns a panic in user code into a refusal.
func runMiddleware(mw Middleware, s *Socket) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("core: middleware panicked")
			s.nsp.srv.cfg.Logger.Error("sio: middleware panic", "nsp", s.nsp.name, "panic", r)
		}
	}()
	return mw(s)
}

// safeCall runs a user handler; a panic is logged and reported to the
// socket's error handlers instead of killing the process.
func (n *Namespace) safeCall(s *Socket, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			n.srv.cfg.Logger.Error("sio: handler panic", "nsp", n.name, "socket", s.id, "panic", r)
			s.reportError(errPanic(r))
		}
	}()
	fn()
}

type panicError struct{ v any }

func (p panicError) Error() string { return "core: handler panicked" }

func errPanic(v any) error { return panicError{v} }

// roomEvent records a room created or deleted, for adapters that watch
// rooms (RoomWatcher); events are sent after the namespace lock is
// released.
type roomEvent struct {
	room    Room
	created bool
	private bool
}

func (n *Namespace) joinLocked(s *Socket, r Room, ev *[]roomEvent) {
	m := n.rooms[r]
	if m == nil {
		m = make(map[SocketID]*Socket)
		n.rooms[r] = m
		if ev != nil {
			*ev = append(*ev, roomEvent{room: r, created: true, private: r == Room(s.id)})
		}
	}
	m[s.id] = s
	s.rooms[r] = struct{}{}
}

func (n *Namespace) leaveLocked(s *Socket, r Room, ev *[]roomEvent) {
	if m := n.rooms[r]; m != nil {
		delete(m, s.id)
		if len(m) == 0 {
			delete(n.rooms, r)
			if ev != nil {
				*ev = append(*ev, roomEvent{room: r, private: r == Room(s.id)})
			}
		}
	}
	delete(s.rooms, r)
}

// RoomWatcher is an optional interface of an [Adapter]: it is told when
// a room gets its first local member and when it loses its last one (for
// example to subscribe to a channel per room). Private rooms are the
// rooms named after a socket's own id.
type RoomWatcher interface {
	RoomCreated(nsp string, room Room, private bool)
	RoomDeleted(nsp string, room Room, private bool)
}

func (n *Namespace) sendRoomEvents(evs []roomEvent) {
	if len(evs) == 0 {
		return
	}
	rw, ok := n.srv.adapter.(RoomWatcher)
	if !ok {
		return
	}
	for _, e := range evs {
		if e.created {
			rw.RoomCreated(n.name, e.room, e.private)
		} else {
			rw.RoomDeleted(n.name, e.room, e.private)
		}
	}
}

func (n *Namespace) removeSocket(s *Socket) {
	var evs []roomEvent
	n.mu.Lock()
	for r := range s.rooms {
		n.leaveLocked(s, r, &evs)
	}
	if n.sockets[s.id] == s {
		delete(n.sockets, s.id)
	}
	n.mu.Unlock()
	n.sendRoomEvents(evs)
}

var targetPool = sync.Pool{New: func() any { s := make([]*Socket, 0, 64); return &s }}

// deliver writes an encoded packet to the local sockets opts select. The
// namespace lock is held only while collecting the targets.
func (n *Namespace) deliver(pkt *Packet, opts BroadcastOptions) {
	if store := n.srv.recovery; store != nil && !opts.Flags.Volatile {
		pkt = store.PersistPacket(pkt, opts)
	}
	frames, err := pkt.encode()
	if err != nil {
		n.srv.cfg.Logger.Error("sio: cannot encode packet", "event", pkt.Event, "err", err)
		return
	}
	tp := targetPool.Get().(*[]*Socket)
	targets := n.collect((*tp)[:0], opts)
	// To many recipients: queue everywhere first, write after, away from
	// this goroutine.
	batched := len(targets) >= batchMin && !opts.Flags.Volatile
	var b engineio.Batch
	for _, s := range targets {
		s.notifyOutgoing(pkt.Event, pkt.Args)
		switch {
		case batched:
			_ = s.client.sess.SendBatched(&b, frames...)
		case opts.Flags.Volatile:
			s.client.sess.SendVolatile(frames...)
		default:
			_ = s.client.send(frames)
		}
	}
	b.Flush()
	clear(targets)
	*tp = targets[:0]
	targetPool.Put(tp)
}

// batchMin is the number of recipients from which a broadcast queues its
// frame to all of them before any write, and leaves the writes to another
// goroutine ([engineio.Batch]). Below it each recipient is written to in
// turn, from the broadcaster's goroutine when its socket is idle.
const batchMin = 16

func (n *Namespace) collect(dst []*Socket, opts BroadcastOptions) []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	excluded := func(s *Socket) bool {
		for _, r := range opts.Except {
			if _, ok := n.rooms[r][s.id]; ok {
				return true
			}
		}
		return false
	}
	switch len(opts.Rooms) {
	case 0:
		for _, s := range n.sockets {
			if !excluded(s) {
				dst = append(dst, s)
			}
		}
	case 1:
		for _, s := range n.rooms[opts.Rooms[0]] {
			if !excluded(s) {
				dst = append(dst, s)
			}
		}
	default:
		seen := make(map[SocketID]struct{})
		for _, r := range opts.Rooms {
			for id, s := range n.rooms[r] {
				if _, dup := seen[id]; dup || excluded(s) {
					continue
				}
				seen[id] = struct{}{}
				dst = append(dst, s)
			}
		}
	}
	return dst
}

// Compress starts a broadcast with a compression hint.
func (n *Namespace) Compress(on bool) BroadcastOperator { return n.operator().Compress(on) }

// Timeout starts a broadcast whose acknowledgements are awaited for d.
func (n *Namespace) Timeout(d time.Duration) BroadcastOperator { return n.operator().Timeout(d) }
