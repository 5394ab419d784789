package engineio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/go-sio/sio/core/internal/eio"
)

// wsConn is one WebSocket connection, after the handshake. Reading and
// writing are ours: frames are read with a buffer borrowed only while
// bytes wait, and a burst of queued frames is framed into one pooled
// buffer and written with one syscall.
type wsConn struct {
	srv     *Server
	netConn net.Conn
	fr      frameReader
	// fd is the socket's descriptor when the connection is pollable (else
	// -1), for writes that must not wait. It stays valid while writeMu is
	// held and closed is false: close takes writeMu to close it.
	fd        int
	poll      *pollState // set while the connection waits in an epoll set
	closeOnce sync.Once
	// writeMu is held for each write, so that close waits for a write in
	// flight: fasthttp reuses a hijacked connection as soon as its handler
	// returns, and the handler returns only after close.
	writeMu sync.Mutex
	closed  bool
	// pending holds bytes a direct write left unwritten; only the session's
	// single writer (s.writing) touches it.
	pending []byte
	// deadline is the write deadline in force (monoNow; 0: none); it is
	// moved only when less than half the timeout is left, which spares a
	// poller update per write and still bounds every write to between
	// timeout/2 and timeout.
	deadline int64
}

// newWSConn takes over the connection of an upgraded WebSocket. With mayPoll, an idle
// connection waits without a goroutine where the platform allows it.
func (s *Server) newWSConn(nc net.Conn, mayPoll bool) *wsConn {
	w := &wsConn{srv: s, netConn: nc, fd: -1}
	w.fr.conn = nc
	w.fr.limit = s.cfg.MaxPayload
	if mayPoll {
		if raw, ok := pollable(nc); ok {
			fd := -1
			if raw.Control(func(f uintptr) { fd = int(f) }) == nil && fd >= 0 {
				w.fr.raw, w.fd = raw, fd
			}
		}
	}
	return w
}

// close ends the connection: a blocked read or write returns at once
// (the deadline also works where Close alone does not, as on fasthttp's
// hijacked connections), then it waits for the write in flight.
func (w *wsConn) close() {
	w.closeOnce.Do(func() {
		w.fr.closing.Store(true)
		_ = w.netConn.SetDeadline(time.Now())
		w.srv.pollRemove(w)
		w.writeMu.Lock()
		w.closed = true
		_ = w.netConn.Close()
		w.writeMu.Unlock()
	})
}

// extendDeadline makes sure a write may take at least timeout/2 from now.
func (w *wsConn) extendDeadline(timeout time.Duration) {
	if now := monoNow(); w.deadline-now < int64(timeout/2) {
		w.deadline = now + int64(timeout)
		_ = w.netConn.SetWriteDeadline(time.Now().Add(timeout))
	}
}

// monoBase anchors monoNow.
var monoBase = time.Now()

// monoNow is the time in nanoseconds on the monotonic clock: one clock
// read, where time.Now takes two.
func monoNow() int64 { return int64(time.Since(monoBase)) }

var writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}

// appendHeader appends an unmasked server frame header.
func appendHeader(b []byte, op byte, n int) []byte {
	b = append(b, 0x80|op)
	switch {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return b
}

// writeItems writes frames in order with as few syscalls as the buffer allows.
func (w *wsConn) writeItems(items []item, timeout time.Duration) error {
	return w.writeItemsProto(items, timeout, 4)
}

func (w *wsConn) writeItemsProto(items []item, timeout time.Duration, protocol int) error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if w.closed {
		return net.ErrClosed
	}
	if w.fd >= 0 && protocol == 4 && queuedBytes(items) <= maxDirectWrite {
		// A burst of small frames: one buffer, written straight to the
		// descriptor; only what the socket does not take waits, with the
		// deadline.
		bp := directPool.Get().(*[]byte)
		b := appendFrames((*bp)[:0], items)
		n, err := fdWrite(w.fd, b)
		if err == nil && n < len(b) {
			w.extendDeadline(timeout)
			_, err = w.netConn.Write(b[n:])
		}
		putDirect(bp, b)
		return err
	}
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(w.netConn)
	defer func() {
		bw.Reset(nil)
		writerPool.Put(bw)
	}()
	w.extendDeadline(timeout)
	var hdr [10]byte
	for _, it := range items {
		if protocol == 3 && it.op == opBinary {
			// v3 binary frames start with the packet type.
			if _, err := bw.Write(appendHeader(hdr[:0], it.op, len(it.data)+1)); err != nil {
				return err
			}
			if err := bw.WriteByte(byte(eio.Message)); err != nil {
				return err
			}
			if _, err := bw.Write(it.data); err != nil {
				return err
			}
			continue
		}
		if _, err := bw.Write(appendHeader(hdr[:0], it.op, len(it.data))); err != nil {
			return err
		}
		if _, err := bw.Write(it.data); err != nil {
			return err
		}
	}
	return bw.Flush()
}

var directPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// putDirect returns b, grown from *bp, to directPool.
func putDirect(bp *[]byte, b []byte) {
	if cap(b) <= maxDirectWrite*2 {
		*bp = b[:0]
		directPool.Put(bp)
	}
}

// appendFrames appends the (v4) frames of items to b.
func appendFrames(b []byte, items []item) []byte {
	for _, it := range items {
		b = appendHeader(b, it.op, len(it.data))
		b = append(b, it.data...)
	}
	return b
}

// tryWrite writes prefix (the handshake answer, if any) and the frames of
// items without waiting for the socket: it returns the bytes the socket
// did not take (nil when it took them all). Only for pollable connections
// (fd set).
func (w *wsConn) tryWrite(prefix []byte, items []item) ([]byte, error) {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if w.closed {
		return nil, net.ErrClosed
	}
	bp := directPool.Get().(*[]byte)
	b := appendFrames(append((*bp)[:0], prefix...), items)
	// Straight to the descriptor: writeMu keeps it open, and the runtime's
	// locking and poller bookkeeping of a raw write are not needed for a
	// write that never waits.
	n, err := fdWrite(w.fd, b)
	var rest []byte
	if err == nil && n < len(b) {
		rest = append([]byte(nil), b[n:]...)
	}
	putDirect(bp, b)
	return rest, err
}

// writePending writes what a direct write left, waiting as any write.
func (w *wsConn) writePending(timeout time.Duration) error {
	p := w.pending
	w.pending = nil
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if w.closed {
		return net.ErrClosed
	}
	if w.fd >= 0 {
		// Most often the socket takes it all: no deadline (and no timer)
		// for a write that does not wait.
		n, err := fdWrite(w.fd, p)
		if err != nil || n == len(p) {
			return err
		}
		p = p[n:]
	}
	w.extendDeadline(timeout)
	_, err := w.netConn.Write(p)
	return err
}

// writeRaw writes one text frame outside the session writer (upgrade probe).
func (w *wsConn) writeRaw(data []byte, timeout time.Duration) error {
	return w.writeItems([]item{{data: data, op: opText}}, timeout)
}

// writeLoop drains the queue onto the WebSocket, then exits; the next Send
// starts it again. There is no idle writer goroutine.
func (s *Session) writeLoop() {
	defer s.srv.wg.Done()
	for {
		s.mu.Lock()
		items := s.queue
		ws, custom := s.ws, s.custom
		pending := ws != nil && ws.pending != nil
		if (len(items) == 0 && !pending) || (ws == nil && custom == nil) {
			s.writing = false
			s.mu.Unlock()
			return
		}
		s.queue = s.spare[:0]
		s.spare = nil
		s.lastWrite = monoNow()
		s.mu.Unlock()

		if pending {
			if err := ws.writePending(s.srv.cfg.WriteTimeout); err != nil {
				clear(items)
				s.mu.Lock()
				s.writing = false
				s.mu.Unlock()
				s.close(ReasonTransportError)
				return
			}
			if len(items) == 0 {
				continue
			}
		}

		closing := false
		for i, it := range items {
			if it.op == opClose {
				items = items[:i+1]
				closing = true
				break
			}
		}
		var err error
		if custom != nil {
			err = s.writeCustom(custom, items)
		} else {
			err = ws.writeItemsProto(items, s.srv.cfg.WriteTimeout, s.protocol)
		}
		clear(items)
		s.mu.Lock()
		s.spare = items[:0]
		s.mu.Unlock()
		if closing {
			s.mu.Lock()
			s.writing = false
			s.mu.Unlock()
			s.finish()
			return
		}
		if err != nil {
			s.mu.Lock()
			s.writing = false
			s.mu.Unlock()
			s.close(ReasonTransportError)
			return
		}
	}
}

// serveWS reads the client's frames until the connection ends. A
// pollable connection is read only while data waits: serveWS then returns
// and the server's poller resumes reading when more arrives.
func (s *Session) serveWS(ws *wsConn) {
	if ws.fr.raw != nil && s.srv.pollRegister(ws, func() { s.readAvailable(ws) }) {
		s.readAvailable(ws)
		return
	}
	ws.fr.raw = nil
	for {
		op, data, err := ws.fr.next(readBlock)
		if !s.onFrame(ws, op, data, err) {
			ws.close()
			return
		}
	}
}

// readAvailable handles the frames that wait, then re-arms the poller. A
// busy connection instead keeps its goroutine and waits for data, until
// the poller's sweeper finds it idle.
func (s *Session) readAvailable(ws *wsConn) {
	mode := readNoWait
	if s.srv.pollWoken(ws) {
		mode = readPark
	}
	for {
		op, data, err := ws.fr.next(mode)
		if err == errWouldBlock || err == errParked {
			ws.fr.release()
			if !s.srv.pollArm(ws) {
				s.close(ReasonTransportClose)
				ws.close()
			}
			return
		}
		if !s.onFrame(ws, op, data, err) {
			ws.close()
			return
		}
		if mode == readPark {
			s.srv.pollSeen(ws)
		}
	}
}

// onFrame handles one frame read from the session's WebSocket; false ends
// reading.
func (s *Session) onFrame(ws *wsConn, op byte, data []byte, err error) bool {
	if err != nil {
		reason := ReasonTransportClose
		if errors.Is(err, errReadLimit) || errors.Is(err, errProtocol) {
			reason = ReasonTransportError
		}
		s.close(reason)
		return false
	}
	if op == opText || op == opBinary {
		s.answering.Store(true)
		defer s.answering.Store(false)
	}
	switch op {
	case opPing:
		s.mu.Lock()
		if s.state == stateOpen && s.ws == ws {
			s.enqueueLocked(item{data: data, op: opPong})
		}
		s.mu.Unlock()
	case opClose:
		s.close(ReasonTransportClose)
		return false
	case opBinary:
		if s.protocol == 3 {
			// v3 binary frames start with the packet type.
			if len(data) == 0 {
				s.close(ReasonParseError)
				return false
			}
			data = data[1:]
		}
		s.onPacket(eio.Packet{Type: eio.Message, Data: data, Binary: true})
	case opText:
		p, perr := eio.Decode(data)
		if perr != nil {
			s.close(ReasonParseError)
			return false
		}
		s.onPacket(p)
	}
	return true
}

// serveNewWebSocket runs a session created over WebSocket.
// answer, when set, is the handshake's 101 answer, still to be written.
func (s *Server) serveNewWebSocket(c net.Conn, answer []byte, req *Request, protocol int, mayPoll bool) {
	ws := s.newWSConn(c, mayPoll)
	sess, err := s.newSession(req, WebSocket, protocol)
	if err != nil {
		if answer != nil {
			_, _ = c.Write(answer)
		}
		ws.close()
		return
	}
	// The open packet is queued first but only written once the owner
	// knows the session (it may queue packets of its own behind it). The
	// first write is ours (s.writing): the answer and what is queued.
	sess.mu.Lock()
	sess.ws = ws
	sess.writing = true
	sess.queue = append(sess.queue, item{data: s.openPacket(sess, WebSocket), op: opText})
	sess.mu.Unlock()
	s.cfg.OnSession(sess)
	sess.mu.Lock()
	items := sess.queue
	plain := sess.state == stateOpen && protocol == 4 && ws.fd >= 0
	for _, it := range items {
		plain = plain && it.op != opClose
	}
	if !plain {
		// Closing already, v3 framing, or a connection that only takes
		// writes that wait: leave it all to the writer.
		ws.pending = answer
		sess.writing = false
		sess.kickLocked()
		sess.mu.Unlock()
	} else {
		// The answer and the open packet in one write, from here.
		sess.queue = sess.spare[:0]
		sess.spare = nil
		sess.mu.Unlock()
		sess.writeDirect(ws, answer, items)
	}
	s.startSession(sess)
	sess.serveWS(ws)
}

// upgradeGrace is how long a GET that would park during an upgrade
// waits for the upgrade packet first.
const upgradeGrace = 20 * time.Millisecond

// serveUpgrade runs a candidate WebSocket for a polling session: probe,
// then switch on the upgrade packet.
func (s *Server) serveUpgrade(c net.Conn, sess *Session, began, mayPoll bool) {
	ws := s.newWSConn(c, mayPoll)
	if !began {
		ws.close()
		return
	}
	sess.mu.Lock()
	if sess.state != stateOpen {
		sess.endUpgradeLocked()
		sess.mu.Unlock()
		ws.close()
		return
	}
	sess.candidate = ws
	sess.mu.Unlock()

	upgraded := false
	defer func() {
		sess.mu.Lock()
		sess.candidate = nil
		if !upgraded {
			sess.endUpgradeLocked()
		}
		sess.mu.Unlock()
		if !upgraded {
			ws.close()
		}
	}()
	timeout := time.AfterFunc(s.cfg.UpgradeTimeout, ws.close)
	defer timeout.Stop()

	stopTicker := make(chan struct{})
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(func() { close(stopTicker) }) }
	defer stop()
	tickerStarted := false
	// Release a pending poll so the client can pause polling; the check
	// runs every 100ms until the upgrade completes, as in the reference.
	releasePoll := func() {
		sess.mu.Lock()
		if sess.upgrading && sess.transport == Polling && sess.poll != nil && len(sess.queue) == 0 {
			sess.poll.noop = true
			sess.poll.notify()
		}
		sess.mu.Unlock()
	}
	// switchOver completes the upgrade.
	switchOver := func() {
		timeout.Stop()
		stop()
		sess.mu.Lock()
		if sess.state == stateClosed {
			sess.mu.Unlock()
			return
		}
		sess.ws = ws
		sess.candidate = nil
		sess.transport = WebSocket
		sess.endUpgradeLocked()
		if sess.poll != nil {
			sess.poll.noop = true
			sess.poll.notify()
		}
		if sess.state == stateClosing {
			sess.enqueueLocked(item{op: opClose})
		} else if len(sess.queue) > 0 {
			sess.kickLocked()
		}
		sess.mu.Unlock()
		upgraded = true
		sess.serveWS(ws)
	}
	for {
		op, data, err := ws.fr.next(readBlock)
		if err != nil {
			return
		}
		switch op {
		case opPing:
			if ws.writeItems([]item{{data: data, op: opPong}}, s.cfg.WriteTimeout) != nil {
				return
			}
			continue
		case opPong:
			continue
		case opText:
		default:
			return
		}
		switch string(data) {
		case "2probe":
			if ws.writeRaw([]byte("3probe"), s.cfg.WriteTimeout) != nil {
				return
			}
			sess.mu.Lock()
			sess.probeAnswered = true
			sess.mu.Unlock()
			releasePoll()
			if !tickerStarted {
				tickerStarted = true
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					t := time.NewTicker(100 * time.Millisecond)
					defer t.Stop()
					for {
						select {
						case <-stopTicker:
							return
						case <-t.C:
							releasePoll()
						}
					}
				}()
			}
		case "5":
			switchOver()
			return
		default:
			return
		}
	}
}
