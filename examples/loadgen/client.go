package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A client is one Socket.IO connection over a raw WebSocket on a net.Conn:
// Engine.IO v4 (open, ping/pong, message), Socket.IO v5 on the main
// namespace (connect, event, ack). It is deliberately small: one goroutine
// reading per connection, a fixed read buffer, no allocation per received
// message, writes straight to the socket under a mutex.
type client struct {
	id   int
	inst int // which server instance it is connected to

	nc  net.Conn
	buf []byte // read buffer; buf[r:w] is unread
	r   int
	w   int
	// a fragmented message being put together
	frag   []byte
	fragOp byte

	wmu sync.Mutex
	wdl time.Time // write deadline in force (wmu)
	// raw: the connection is read by a poller and written with write(2)
	// on fd (see rx_linux.go); nc is closed then. fd is -1 once closed.
	raw bool
	fd  int

	nextAck atomic.Uint32
	ackCh   chan ackReply
	// pinger, while set, answers each ack with the next ping from the
	// reader goroutine (the acks phase).
	pinger atomic.Pointer[pinger]

	closed atomic.Bool
	done   chan struct{}

	// Fan-out bookkeeping, written by the reader goroutine only, reset by
	// the orchestrator between phases (the phase id filters stale packets).
	recv    atomic.Int64
	lastSeq atomic.Int64
	reorder atomic.Int64

	lg *loadgen
}

type ackReply struct {
	id  uint32
	seq int64
}

const readBufSize = 2048

var errClosedByPeer = errors.New("connection closed by the server")

// dial opens a WebSocket to addr, then the Engine.IO session and the
// Socket.IO connection to the main namespace; it returns once the server
// has acknowledged the namespace connection.
func dial(lg *loadgen, addr string, id, inst int, timeout time.Duration) (*client, error) {
	deadline := time.Now().Add(timeout)
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c := &client{id: id, inst: inst, nc: nc, buf: make([]byte, readBufSize), ackCh: make(chan ackReply, 4),
		done: make(chan struct{}), lg: lg}
	c.lastSeq.Store(-1)
	_ = nc.SetDeadline(deadline)
	if err := c.handshake(addr); err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	if err := c.startReading(); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func (c *client) handshake(addr string) error {
	req := "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
		"Host: " + addr + "\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c.nc, req); err != nil {
		return err
	}
	// Read the HTTP answer; frames may follow it in the same read.
	for {
		if i := bytes.Index(c.buf[c.r:c.w], []byte("\r\n\r\n")); i >= 0 {
			head := c.buf[c.r : c.r+i]
			if !bytes.HasPrefix(head, []byte("HTTP/1.1 101")) {
				line, _, _ := bytes.Cut(head, []byte("\r\n"))
				return fmt.Errorf("websocket upgrade refused: %s", line)
			}
			c.r += i + 4
			break
		}
		if err := c.fill(); err != nil {
			return err
		}
	}
	// Engine.IO open packet.
	op, p, err := c.nextFrame()
	if err != nil {
		return err
	}
	if op != 1 || len(p) == 0 || p[0] != '0' {
		return fmt.Errorf("expected the Engine.IO open packet, got %q", p)
	}
	if err := c.writeText([]byte("40")); err != nil {
		return err
	}
	for {
		op, p, err = c.nextFrame()
		if err != nil {
			return err
		}
		if op != 1 {
			continue
		}
		switch {
		case bytes.HasPrefix(p, []byte("40")):
			return nil
		case bytes.HasPrefix(p, []byte("44")):
			return fmt.Errorf("namespace connection refused: %s", p)
		case len(p) == 1 && p[0] == '2':
			if err := c.writeText([]byte("3")); err != nil {
				return err
			}
		}
	}
}

// fill reads more bytes into the buffer, moving the unread ones to its start.
func (c *client) fill() error {
	if c.r > 0 {
		c.w = copy(c.buf, c.buf[c.r:c.w])
		c.r = 0
	}
	if c.w == len(c.buf) {
		return errors.New("read buffer full")
	}
	n, err := c.nc.Read(c.buf[c.w:])
	c.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// nextFrame reads until the next complete data message (opcode 1 or 2) and
// returns it, answering WebSocket pings on the way. The payload is valid
// until the next call.
func (c *client) nextFrame() (byte, []byte, error) {
	for {
		op, p, ok, err := c.message()
		if err != nil || ok {
			return op, p, err
		}
		if err := c.fill(); err != nil {
			return 0, nil, err
		}
	}
}

// message returns the next complete data message in buf[r:w], handling
// the control frames and fragments before it; ok is false when the buffer
// does not hold a whole message yet. It then makes room for the frame it
// waits for, growing the buffer for one larger than it. The payload is
// valid until the buffer is filled again.
func (c *client) message() (op byte, p []byte, ok bool, err error) {
	for {
		avail := c.buf[c.r:c.w]
		if len(avail) < 2 {
			return c.room(2)
		}
		b0, b1 := avail[0], avail[1]
		fin, fop := b0&0x80 != 0, b0&0x0f
		hl := 2
		switch b1 & 0x7f {
		case 126:
			hl = 4
		case 127:
			hl = 10
		}
		masked := b1&0x80 != 0
		if masked {
			hl += 4
		}
		if len(avail) < hl {
			return c.room(hl)
		}
		n := int(b1 & 0x7f)
		switch n {
		case 126:
			n = int(binary.BigEndian.Uint16(avail[2:]))
		case 127:
			n64 := binary.BigEndian.Uint64(avail[2:])
			if n64 > 1<<30 {
				return 0, nil, false, errors.New("frame too large")
			}
			n = int(n64)
		}
		if len(avail) < hl+n {
			return c.room(hl + n)
		}
		payload := avail[hl : hl+n]
		if masked {
			mask := avail[hl-4 : hl]
			for i := range payload {
				payload[i] ^= mask[i&3]
			}
		}
		c.r += hl + n
		switch fop {
		case 8: // close
			return 0, nil, false, errClosedByPeer
		case 9: // ping
			_ = c.writeFrame(10, payload)
		case 10: // pong
		case 0: // continuation
			c.frag = append(c.frag, payload...)
			if fin {
				return c.fragOp, c.frag, true, nil
			}
		case 1, 2:
			if fin {
				return fop, payload, true, nil
			}
			c.frag = append(c.frag[:0], payload...)
			c.fragOp = fop
		default:
			return 0, nil, false, fmt.Errorf("unexpected opcode %d", fop)
		}
	}
}

// room makes space after the unread bytes for a frame of size bytes (its
// header included): the unread bytes move to the start of the buffer, or
// into a larger one.
func (c *client) room(size int) (byte, []byte, bool, error) {
	if size > len(c.buf) {
		b := make([]byte, size)
		c.w = copy(b, c.buf[c.r:c.w])
		c.r = 0
		c.buf = b
	} else if c.r > 0 && c.r+size > len(c.buf) {
		c.w = copy(c.buf, c.buf[c.r:c.w])
		c.r = 0
	}
	return 0, nil, false, nil
}

func (c *client) writeText(p []byte) error { return c.writeFrame(1, p) }

// writeFrame writes one masked client frame with one syscall.
func (c *client) writeFrame(op byte, p []byte) error {
	var small [256]byte
	var b []byte
	if len(p)+14 <= len(small) {
		b = small[:0]
	} else {
		b = make([]byte, 0, len(p)+14)
	}
	b = append(b, 0x80|op)
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	key := rand.Uint32()
	mask := [4]byte{byte(key), byte(key >> 8), byte(key >> 16), byte(key >> 24)}
	b = append(b, mask[:]...)
	start := len(b)
	b = append(b, p...)
	for i := range p {
		b[start+i] ^= mask[i&3]
	}
	c.wmu.Lock()
	var err error
	if c.raw {
		err = c.writeRaw(b)
	} else {
		// A write may take 5 to 10 s; the deadline moves only when less
		// than half is left, which spares a timer update per write.
		if now := time.Now(); c.wdl.Sub(now) < 5*time.Second {
			c.wdl = now.Add(10 * time.Second)
			_ = c.nc.SetWriteDeadline(c.wdl)
		}
		_, err = c.nc.Write(b)
	}
	c.wmu.Unlock()
	return err
}

// close ends the connection; its reader then stops.
func (c *client) close() {
	c.closed.Store(true)
	c.wmu.Lock()
	if c.raw {
		c.shutdownRaw()
	} else {
		_ = c.nc.Close()
	}
	c.wmu.Unlock()
}

// readLoop reads the connection in a goroutine of its own (where the
// connection is not read by a poller).
func (c *client) readLoop() {
	defer c.ended()
	for {
		op, p, err := c.nextFrame()
		if err != nil || !c.handle(op, p) {
			return
		}
	}
}

// ended runs once, when the connection is over.
func (c *client) ended() {
	c.closed.Store(true)
	c.wmu.Lock()
	if c.raw {
		c.closeRaw()
	} else {
		_ = c.nc.Close()
	}
	c.wmu.Unlock()
	c.lg.disconnected(c)
	if pg := c.pinger.Swap(nil); pg != nil {
		pg.finish(true)
	}
	close(c.done)
}

// handle takes one data message; false ends the connection.
func (c *client) handle(op byte, p []byte) bool {
	if op != 1 || len(p) == 0 {
		return true
	}
	switch p[0] {
	case '2': // Engine.IO ping
		return c.writeText([]byte("3")) == nil
	case '1': // Engine.IO close
		return false
	case '4':
		if len(p) < 2 {
			return true
		}
		switch p[1] {
		case '2':
			c.lg.onEvent(c, p[2:])
		case '3':
			c.onAck(p[2:])
		case '1': // namespace disconnect
			return false
		}
	}
	return true
}

// onAck handles `<id>[...]`.
func (c *client) onAck(p []byte) {
	var id uint64
	i := 0
	for ; i < len(p) && p[i] >= '0' && p[i] <= '9'; i++ {
		id = id*10 + uint64(p[i]-'0')
	}
	seq, _ := jsonInt(p[i:], `"seq":`)
	if pg := c.pinger.Load(); pg != nil {
		pg.onReply(c, uint32(id), seq)
		return
	}
	select {
	case c.ackCh <- ackReply{id: uint32(id), seq: seq}:
	default:
	}
}

// emitAck sends `42<id>[args]` and waits for the answer's sequence number.
func (c *client) emitAck(args []byte, timeout time.Duration) (ackReply, error) {
	id := c.nextAck.Add(1)
	b := make([]byte, 0, len(args)+16)
	b = append(b, "42"...)
	b = strconv.AppendUint(b, uint64(id), 10)
	b = append(b, args...)
	// Drop a late answer of an earlier call.
	select {
	case <-c.ackCh:
	default:
	}
	if err := c.writeText(b); err != nil {
		return ackReply{}, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case r := <-c.ackCh:
			if r.id != id {
				continue
			}
			return r, nil
		case <-c.done:
			return ackReply{}, errClosedByPeer
		case <-t.C:
			return ackReply{}, errors.New("ack timeout")
		}
	}
}

// jsonInt finds key (such as `"seq":`) in p and parses the integer after
// it. Numbers written by JavaScript past 2^53 may come in exponent form;
// they are parsed as floats.
func jsonInt(p []byte, key string) (int64, bool) {
	i := bytes.Index(p, []byte(key))
	if i < 0 {
		return 0, false
	}
	p = p[i+len(key):]
	for len(p) > 0 && p[0] == ' ' {
		p = p[1:]
	}
	var v int64
	j := 0
	neg := false
	if j < len(p) && p[j] == '-' {
		neg = true
		j++
	}
	start := j
	for ; j < len(p) && p[j] >= '0' && p[j] <= '9'; j++ {
		v = v*10 + int64(p[j]-'0')
	}
	if j == start {
		return 0, false
	}
	if j < len(p) && (p[j] == '.' || p[j] == 'e' || p[j] == 'E') {
		k := j
		for ; k < len(p) && (p[k] == '.' || p[k] == 'e' || p[k] == 'E' || p[k] == '+' || p[k] == '-' || (p[k] >= '0' && p[k] <= '9')); k++ {
		}
		f, err := strconv.ParseFloat(string(p[:k]), 64)
		if err != nil {
			return 0, false
		}
		return int64(f), true
	}
	if neg {
		v = -v
	}
	return v, true
}

// A pinger keeps one "ping" with an ack in flight on a client until its
// deadline: the reader goroutine sends the next ping as soon as it has the
// answer, so that a round trip costs the load tool no goroutine switch.
type pinger struct {
	deadline time.Time
	h        *hist
	count    *atomic.Int64
	errs     *atomic.Int64
	buf      []byte
	// the ping in flight; written by whoever sends it, before the send
	id   uint32
	seq  int
	t0   time.Time
	once sync.Once
	done chan struct{}
}

// start sends the first ping; the client's reader sends the others.
func (pg *pinger) start(c *client) {
	pg.done = make(chan struct{})
	pg.prepare(c)
	c.pinger.Store(pg)
	if err := c.writeText(pg.buf); err != nil {
		c.pinger.CompareAndSwap(pg, nil)
		pg.finish(true)
	}
}

// prepare fills pg.buf with the next ping.
func (pg *pinger) prepare(c *client) {
	pg.seq++
	pg.id = c.nextAck.Add(1)
	pg.t0 = time.Now()
	pg.buf = append(pg.buf[:0], "42"...)
	pg.buf = strconv.AppendUint(pg.buf, uint64(pg.id), 10)
	pg.buf = append(pg.buf, `["ping",`...)
	pg.buf = appendPayload(pg.buf, pg.t0, pg.seq, 0, true)
}

// onReply runs on the reader goroutine for each ack the client gets.
func (pg *pinger) onReply(c *client, id uint32, seq int64) {
	if id != pg.id {
		return // a late answer of an earlier call
	}
	now := time.Now()
	pg.h.Record(now.Sub(pg.t0).Microseconds())
	if seq == int64(pg.seq) {
		pg.count.Add(1)
	} else {
		pg.errs.Add(1)
	}
	if !now.Before(pg.deadline) {
		c.pinger.CompareAndSwap(pg, nil)
		pg.finish(false)
		return
	}
	pg.prepare(c)
	if err := c.writeText(pg.buf); err != nil {
		c.pinger.CompareAndSwap(pg, nil)
		pg.finish(true)
	}
}

// finish ends the pinger once; failed counts the ping in flight as an error.
func (pg *pinger) finish(failed bool) {
	pg.once.Do(func() {
		if failed {
			pg.errs.Add(1)
		}
		close(pg.done)
	})
}
