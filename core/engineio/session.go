package engineio

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sio/sio/core/internal/eio"
)

// Close reasons reported to [Handler.OnClose], with the strings of the
// Node.js reference server.
const (
	ReasonTransportClose = "transport close"
	ReasonTransportError = "transport error"
	ReasonParseError     = "parse error"
	ReasonPingTimeout    = "ping timeout"
	ReasonForcedClose    = "forced close"
)

// Errors returned by [Session.Send].
var (
	ErrClosed       = errors.New("engineio: session closed")
	ErrQueueFull    = errors.New("engineio: write queue full, slow consumer disconnected")
	ErrServerClosed = errors.New("engineio: server closed")
)

// Handler receives what a client sends on one session.
type Handler interface {
	// OnMessage is called for each message packet, in order. data belongs
	// to the handler.
	OnMessage(data []byte, binary bool)
	// OnClose is called once when the session closes, with its reason.
	OnClose(reason string)
}

// Frame is one outgoing message. For a text frame Data is the whole
// encoded Engine.IO packet, type digit first ("4hello"); for a binary frame
// it is the raw bytes. Frames are never modified by the engine, so one
// encoded frame can be shared by many sessions.
type Frame struct {
	Data   []byte
	Binary bool
}

// item kinds in the write queue.
const (
	opText   byte = 1
	opBinary byte = 2
	opClose  byte = 8
	opPong   byte = 10 // WebSocket-level pong (answer to a WebSocket ping)
)

type item struct {
	data []byte
	op   byte
}

const (
	stateOpen = iota
	stateClosing
	stateClosed
)

// Session is one Engine.IO connection. It is safe for concurrent use.
type Session struct {
	srv *Server
	id  string
	req *Request

	protocol       int  // 4, or 3 for socket.io-client v2
	supportsBinary bool // v3 polling: binary payloads allowed (no b64)

	mu        sync.Mutex
	state     int
	transport string
	handler   Handler
	queue     []item
	spare     []item

	// polling
	poll       *pollWait
	posting    bool
	closeTimer *time.Timer
	closeNoop  bool

	// websocket
	ws        *wsConn
	candidate *wsConn // WebSocket being probed for an upgrade
	custom    Conn    // transport given to Server.Accept
	customBuf []Frame
	writeFn   func() // s.writeLoop, made once: starting the writer allocates nothing
	writing   bool
	// batched is set while s.writing belongs to a [Batch] whose flusher
	// has not reached this session yet: Send may then write the queue at
	// once instead.
	batched   bool
	lastWrite int64 // monoNow when the last write from Send or the writer started
	// answering is set while a message of the client's is being handled:
	// what Send queues then is most likely the answer the client waits
	// for, and it is written at once rather than by a writer started for it.
	answering atomic.Bool
	upgrading bool
	// upgradeDone is set while a WebSocket upgrade is under way and
	// closed when it ends, either way.
	upgradeDone   chan struct{}
	probeAnswered bool // 3probe sent on the candidate

	// heartbeat
	timer         *time.Timer
	timerGen      uint64
	awaitingPong  bool
	pongRefreshed bool

	closeOnce sync.Once
}

type pollWait struct {
	wake    chan struct{}
	noop    bool
	overlap bool
}

// ID is the session id sent to the client.
func (s *Session) ID() string { return s.id }

// Request is the HTTP request that opened the session.
func (s *Session) Request() *Request { return s.req }

// Protocol is the Engine.IO protocol revision of the session: 4, or 3
// for socket.io-client v2 (see Config.AllowEIO3).
func (s *Session) Protocol() int { return s.protocol }

// Transport is the name of the current transport.
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transport
}

// SetHandler sets the handler of the session's messages.
func (s *Session) SetHandler(h Handler) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

var idCounter atomic.Uint32

// idRandom holds random bytes for ids, read from crypto/rand 64 ids at a
// time: one read costs about as much as 64 ids' worth of bytes, and its
// call grows the stack of the (new) goroutine that serves a connection.
var idRandom struct {
	sync.Mutex
	buf [64 * idRandomBytes]byte
	off int // buf[off:] is unused
}

const idRandomBytes = 11

// newID returns a 20-character id like the reference server's: 11 random
// bytes and a 32-bit counter, base64url encoded.
func newID() string {
	var b [15]byte
	idRandom.Lock()
	if idRandom.off == 0 {
		_, _ = rand.Read(idRandom.buf[:])
	}
	used := idRandom.buf[idRandom.off : idRandom.off+idRandomBytes]
	copy(b[:idRandomBytes], used)
	clear(used) // an id's bytes are not kept
	idRandom.off = (idRandom.off + idRandomBytes) % len(idRandom.buf)
	idRandom.Unlock()
	binary.BigEndian.PutUint32(b[idRandomBytes:], idCounter.Add(1)-1)
	return base64.URLEncoding.EncodeToString(b[:])
}

// NewID returns a fresh 20-character id of the same form as session ids.
func NewID() string { return newID() }

// Send queues frames for the client, in order. It fails when the session is
// closed; when the queue would overflow the session is closed as a slow
// consumer and Send returns [ErrQueueFull].
func (s *Session) Send(frames ...Frame) error {
	s.mu.Lock()
	if err := s.queueLocked(frames); err != nil {
		return err
	}
	if ws := s.ws; s.transport == WebSocket && ws != nil && (!s.writing || s.batched) && ws.fd >= 0 && s.protocol == 4 &&
		queuedBytes(s.queue) <= maxDirectWrite && (s.batched || s.answering.Load() || s.quietSince(directGap)) {
		// Nothing is being written, and nothing was for a while: try to
		// write from here, without blocking, and spare starting a writer.
		// A busier session goes through the writer, where frames that
		// pile up while it starts share one syscall. Frames waiting for
		// the flusher of a batch go now too: it will find nothing to do.
		s.batched = false
		items := s.takeQueueLocked()
		s.writing = true
		s.mu.Unlock()
		s.writeDirect(ws, nil, items)
		return nil
	}
	s.kickLocked()
	s.mu.Unlock()
	return nil
}

// queueLocked appends frames to the queue. On error it has unlocked s.mu
// (and, for a full queue, started closing the session).
func (s *Session) queueLocked(frames []Frame) error {
	if s.state != stateOpen {
		s.mu.Unlock()
		return ErrClosed
	}
	if len(s.queue)+len(frames) > s.srv.cfg.MaxQueuedPackets {
		s.mu.Unlock()
		s.srv.goClose(s, ReasonTransportError)
		return ErrQueueFull
	}
	for _, f := range frames {
		op := opText
		if f.Binary {
			op = opBinary
		}
		s.queue = append(s.queue, item{data: f.Data, op: op})
	}
	return nil
}

// takeQueueLocked returns the queued items and leaves an empty queue on
// the spare array.
func (s *Session) takeQueueLocked() []item {
	items := s.queue
	s.queue = s.spare[:0]
	s.spare = nil
	return items
}

// maxDirectWrite bounds what Send writes from the caller's goroutine.
const maxDirectWrite = 16 << 10

// directGap is how long a session must have written nothing for Send to
// write from the caller's goroutine.
const directGap = 10 * time.Millisecond

// quietSince reports whether the last write started at least d ago, and
// if so records now as the start of the next one.
func (s *Session) quietSince(d time.Duration) bool {
	now := monoNow()
	if now-s.lastWrite < int64(d) {
		return false
	}
	s.lastWrite = now
	return true
}

func queuedBytes(items []item) int {
	n := 0
	for _, it := range items {
		n += len(it.data) + 14
	}
	return n
}

// writeDirect writes prefix and items from the caller's goroutine if the
// socket takes them without blocking. What it does not take goes first
// when the writer starts. The caller has set s.writing.
func (s *Session) writeDirect(ws *wsConn, prefix []byte, items []item) {
	rest, err := ws.tryWrite(prefix, items)
	clear(items)
	s.mu.Lock()
	if s.spare == nil {
		s.spare = items[:0]
	}
	if err != nil {
		s.writing = false
		s.mu.Unlock()
		s.close(ReasonTransportError)
		return
	}
	ws.pending = rest
	if rest == nil && len(s.queue) == 0 {
		s.writing = false
		s.mu.Unlock()
		return
	}
	// More to write: hand over to the writer (s.writing stays set).
	s.startWriterLocked()
	s.mu.Unlock()
}

// startWriterLocked starts the writer for a session whose s.writing the
// caller has set.
func (s *Session) startWriterLocked() {
	s.srv.wg.Add(1)
	if s.writeFn == nil {
		s.writeFn = s.writeLoop
	}
	go s.writeFn()
}

// SendVolatile queues frames only if the transport can write them at once
// (nothing queued, no write in flight), and reports whether it did. Like
// volatile packets in the reference server, they are otherwise dropped.
func (s *Session) SendVolatile(frames ...Frame) bool {
	s.mu.Lock()
	if s.state != stateOpen || len(s.queue) > 0 {
		s.mu.Unlock()
		return false
	}
	switch s.transport {
	case Polling:
		if s.poll == nil {
			s.mu.Unlock()
			return false
		}
	case WebSocket, Custom:
		if s.writing || (s.ws == nil && s.custom == nil) {
			s.mu.Unlock()
			return false
		}
	}
	s.mu.Unlock()
	return s.Send(frames...) == nil
}

func (s *Session) enqueueLocked(it item) {
	s.queue = append(s.queue, it)
	s.kickLocked()
}

// kickLocked gets the queue moving: it releases a parked poll or starts the
// WebSocket writer.
func (s *Session) kickLocked() {
	switch {
	case s.transport == Polling && s.poll != nil:
		s.poll.notify()
	case (s.transport == WebSocket && s.ws != nil || s.transport == Custom) && !s.writing:
		s.writing = true
		s.startWriterLocked()
	}
}

func (w *pollWait) notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// beginUpgrade marks the session as upgrading, before the WebSocket
// handshake is answered; false if it cannot upgrade now.
func (s *Session) beginUpgrade() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen || s.upgrading || s.transport != Polling {
		return false
	}
	s.upgrading = true
	s.upgradeDone = make(chan struct{})
	return true
}

// endUpgrade ends an upgrade that began, done or not.
func (s *Session) endUpgrade() {
	s.mu.Lock()
	s.endUpgradeLocked()
	s.mu.Unlock()
}

// endUpgradeLocked ends an upgrade, done or not.
func (s *Session) endUpgradeLocked() {
	s.upgrading = false
	s.probeAnswered = false
	if s.upgradeDone != nil {
		close(s.upgradeDone)
		s.upgradeDone = nil
	}
}

// Close closes the session with reason [ReasonForcedClose]: queued packets
// are still delivered, then the transport is closed.
func (s *Session) Close() { s.close(ReasonForcedClose) }

// close ends the session once. Server-initiated closes ("forced close")
// flush the queue first; the others drop the transport at once.
func (s *Session) close(reason string) {
	first := false
	s.closeOnce.Do(func() { first = true })
	if !first {
		return
	}
	s.mu.Lock()
	h := s.handler
	s.stopTimerLocked()
	graceful := reason == ReasonForcedClose
	switch s.transport {
	case Polling:
		if s.poll != nil {
			// A parked GET gets the close packet, or a noop when the
			// client itself closed.
			s.state = stateClosing
			s.closeNoop = reason == ReasonTransportClose
			s.poll.notify()
		} else if graceful || reason == ReasonTransportClose {
			// The next GET gets the close packet (a noop if the client
			// closed: its GET may have raced with its close); give up
			// after 30s.
			s.state = stateClosing
			s.closeNoop = !graceful
			s.closeTimer = time.AfterFunc(30*time.Second, s.finish)
		} else {
			s.state = stateClosed
		}
	case Custom:
		if graceful {
			s.state = stateClosing
			s.enqueueLocked(item{op: opClose})
		} else {
			s.state = stateClosed
			_ = s.custom.Close()
		}
	case WebSocket:
		if graceful && s.ws != nil {
			s.state = stateClosing
			s.enqueueLocked(item{op: opClose})
		} else {
			s.state = stateClosed
			if s.ws != nil {
				s.ws.close()
			}
		}
	}
	done := s.state == stateClosed
	s.mu.Unlock()
	if done {
		s.finish()
	}
	if h != nil {
		h.OnClose(reason)
	}
}

// finish drops the session from the server once nothing more is to be sent.
func (s *Session) finish() {
	s.mu.Lock()
	s.state = stateClosed
	s.queue = nil
	if s.closeTimer != nil {
		s.closeTimer.Stop()
	}
	ws, cand, custom := s.ws, s.candidate, s.custom
	s.mu.Unlock()
	if ws != nil {
		ws.close()
	}
	if custom != nil {
		_ = custom.Close()
	}
	if cand != nil {
		cand.close()
	}
	s.srv.remove(s)
}

// onPacket handles one packet received from the client on the current
// transport.
func (s *Session) onPacket(p eio.Packet) {
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	if s.protocol == 4 && p.Type != eio.Pong && s.awaitingPong && !s.pongRefreshed {
		// A busy client may have its pong queued behind data.
		s.pongRefreshed = true
		s.armLocked(s.srv.cfg.PingTimeout)
	}
	h := s.handler
	switch p.Type {
	case eio.Pong:
		if s.protocol == 3 {
			s.mu.Unlock()
			s.close(ReasonTransportError)
			return
		}
		if s.awaitingPong {
			s.awaitingPong = false
			s.armLocked(s.srv.cfg.PingInterval)
		}
		s.mu.Unlock()
	case eio.Message:
		s.mu.Unlock()
		if h != nil {
			h.OnMessage(p.Data, p.Binary)
		}
	case eio.Ping:
		if s.protocol == 3 {
			// v3 clients ping; the server answers and waits for the next.
			s.enqueueLocked(item{data: append([]byte{'3'}, p.Data...), op: opText})
			s.armLocked(s.srv.cfg.PingInterval + s.srv.cfg.PingTimeout)
			s.mu.Unlock()
			return
		}
		// A v4 client never pings: invalid heartbeat direction.
		s.mu.Unlock()
		s.close(ReasonTransportError)
	case eio.Close:
		s.mu.Unlock()
		s.close(ReasonTransportClose)
	default:
		s.mu.Unlock()
	}
}

// Heartbeat: one timer, re-armed for the ping interval or the pong timeout.

func (s *Session) armLocked(d time.Duration) {
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timerGen++
	gen := s.timerGen
	s.timer = time.AfterFunc(d, func() { s.onTimer(gen) })
}

func (s *Session) stopTimerLocked() {
	s.timerGen++
	if s.timer != nil {
		s.timer.Stop()
	}
}

func (s *Session) onTimer(gen uint64) {
	s.mu.Lock()
	if gen != s.timerGen || s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	if s.awaitingPong || s.protocol == 3 {
		s.mu.Unlock()
		s.close(ReasonPingTimeout)
		return
	}
	s.awaitingPong = true
	s.pongRefreshed = false
	s.enqueueLocked(item{data: pingData, op: opText})
	s.armLocked(s.srv.cfg.PingTimeout)
	s.mu.Unlock()
}

var (
	pingData  = []byte("2")
	closeData = []byte("1")
)
