package engineio

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Reading WebSocket frames (RFC 6455) from a client. The reader borrows a
// small buffer from a pool while it has bytes to parse and gives it back
// when a message boundary leaves it empty, so an idle connection holds no
// read buffer.

var (
	// errWouldBlock: no byte is waiting at a message boundary (pollable
	// connections only). The caller waits for readiness.
	errWouldBlock = errors.New("engineio: no data waiting")
	// errParked: the poller's sweeper ended the wait of a connection gone
	// idle at a message boundary. The caller hands it back to the poller.
	errParked = errors.New("engineio: idle connection parked")
	// errReadLimit: a message is larger than Config.MaxPayload.
	errReadLimit = errors.New("engineio: websocket message too large")
	// errProtocol: the client broke the WebSocket framing rules.
	errProtocol = errors.New("engineio: websocket protocol error")
)

// WebSocket opcodes the reader reports, besides opText, opBinary,
// opClose and opPong.
const (
	opContinuation byte = 0
	opPing         byte = 9
)

// How next waits when nothing is buffered at a message boundary.
const (
	readBlock  = iota // wait for data
	readNoWait        // errWouldBlock unless data waits on the socket
	readPark          // wait; errParked if the sweeper's deadline ends the wait
)

const readBufSize = 2048

var readBufPool = sync.Pool{New: func() any {
	b := make([]byte, readBufSize)
	return &b
}}

// connReader is what the frame reader needs of a connection.
type connReader interface {
	Read(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
}

type frameReader struct {
	conn  connReader
	raw   syscall.RawConn // for reads that must not block; nil when not pollable
	limit int
	// closing is set before close moves the deadline; any other expired
	// deadline is the poller's sweeper.
	closing atomic.Bool

	bufp *[]byte // borrowed from readBufPool, nil when empty
	r, w int
	// drained: the last non-blocking read returned less than it had room
	// for, so it left the socket empty.
	drained bool

	// a fragmented message being assembled
	frag   []byte
	fragOp byte
	inFrag bool
}

// next returns the next data message (opText or opBinary, fragments
// joined) or control frame (opPing, opPong, opClose). The payload is a
// fresh slice that belongs to the caller. mode says how to wait at a
// message boundary with nothing buffered; in the middle of a message it
// always waits.
func (f *frameReader) next(mode int) (byte, []byte, error) {
	for {
		if mode != readBlock && f.r == f.w && !f.inFrag {
			var err error
			if mode == readNoWait {
				err = f.fillNonblocking()
			} else {
				err = f.fillPark()
			}
			if err != nil {
				return 0, nil, err
			}
		}
		if err := f.ensure(2); err != nil {
			return 0, nil, err
		}
		buf := *f.bufp
		b0, b1 := buf[f.r], buf[f.r+1]
		fin, rsv, op := b0&0x80 != 0, b0&0x70, b0&0x0f
		masked, n7 := b1&0x80 != 0, int(b1&0x7f)
		hlen := 2
		switch n7 {
		case 126:
			hlen += 2
		case 127:
			hlen += 8
		}
		hlen += 4 // clients always mask
		if rsv != 0 || !masked {
			return 0, nil, errProtocol
		}
		if err := f.ensure(hlen); err != nil {
			return 0, nil, err
		}
		buf = *f.bufp
		h := buf[f.r : f.r+hlen]
		var n uint64
		switch n7 {
		case 126:
			n = uint64(binary.BigEndian.Uint16(h[2:]))
		case 127:
			n = binary.BigEndian.Uint64(h[2:])
		default:
			n = uint64(n7)
		}
		var key [4]byte
		copy(key[:], h[hlen-4:])
		switch op {
		case opContinuation:
			if !f.inFrag {
				return 0, nil, errProtocol
			}
		case opText, opBinary:
			if f.inFrag {
				return 0, nil, errProtocol
			}
		case opClose, opPing, opPong:
			if !fin || n > 125 {
				return 0, nil, errProtocol
			}
		default:
			return 0, nil, errProtocol
		}
		if n > uint64(f.limit) || uint64(len(f.frag))+n > uint64(f.limit) {
			return 0, nil, errReadLimit
		}
		f.r += hlen
		payload := make([]byte, int(n))
		if err := f.readFull(payload); err != nil {
			return 0, nil, err
		}
		unmask(payload, key)
		switch {
		case op >= opClose:
			return op, payload, nil
		case fin && !f.inFrag:
			return op, payload, nil
		case !f.inFrag:
			f.inFrag, f.fragOp, f.frag = true, op, payload
		default:
			f.frag = append(f.frag, payload...)
			if fin {
				msg, mop := f.frag, f.fragOp
				f.inFrag, f.frag = false, nil
				return mop, msg, nil
			}
		}
	}
}

// ensure blocks until k bytes (k ≤ readBufSize) are buffered.
func (f *frameReader) ensure(k int) error {
	for f.w-f.r < k {
		f.compact()
		n, err := f.conn.Read((*f.bufp)[f.w:])
		if n > 0 {
			f.w += n
			continue
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		if f.retry(err) {
			continue
		}
		return err
	}
	return nil
}

// retry reports whether err is the sweeper's deadline hitting a read in
// the middle of a message; it clears the deadline so the read can go on.
func (f *frameReader) retry(err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) || f.closing.Load() {
		return false
	}
	_ = f.conn.SetReadDeadline(time.Time{})
	return true
}

// fillPark waits for data at a message boundary.
func (f *frameReader) fillPark() error {
	f.compact()
	n, err := f.conn.Read((*f.bufp)[f.w:])
	if n > 0 {
		f.w += n
		return nil
	}
	if err == nil {
		return io.ErrNoProgress
	}
	if errors.Is(err, os.ErrDeadlineExceeded) && !f.closing.Load() {
		_ = f.conn.SetReadDeadline(time.Time{})
		return errParked
	}
	return err
}

// readFull fills p from the buffer, then from the connection.
func (f *frameReader) readFull(p []byte) error {
	if f.bufp != nil {
		m := copy(p, (*f.bufp)[f.r:f.w])
		f.r += m
		p = p[m:]
	}
	for len(p) > 0 {
		n, err := f.conn.Read(p)
		p = p[n:]
		if n > 0 || err == nil {
			continue
		}
		if f.retry(err) {
			continue
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// compact makes room at the end of the buffer, borrowing one if needed.
func (f *frameReader) compact() {
	if f.bufp == nil {
		f.bufp = readBufPool.Get().(*[]byte)
		f.r, f.w = 0, 0
		return
	}
	if f.r == f.w {
		f.r, f.w = 0, 0
	} else if f.r > 0 {
		f.w = copy(*f.bufp, (*f.bufp)[f.r:f.w])
		f.r = 0
	}
}

// fillNonblocking reads what waits on the socket without waiting. After
// a read that left the socket empty it answers errWouldBlock without
// asking the socket again: the poller's one-shot set is level-triggered,
// so re-arming it reports at once anything that arrived since.
func (f *frameReader) fillNonblocking() error {
	if f.drained {
		f.drained = false
		return errWouldBlock
	}
	f.compact()
	room := len(*f.bufp) - f.w
	n, err := rawRead(f.raw, (*f.bufp)[f.w:])
	if err != nil {
		return err
	}
	f.w += n
	f.drained = n < room
	return nil
}

// release gives the buffer back when it holds nothing.
func (f *frameReader) release() {
	if f.bufp != nil && f.r == f.w {
		readBufPool.Put(f.bufp)
		f.bufp, f.r, f.w = nil, 0, 0
	}
}

// unmask applies the client's masking key to p in place.
func unmask(p []byte, key [4]byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k |= k << 32
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k)
	}
	for ; i < len(p); i++ {
		p[i] ^= key[i&3]
	}
}
