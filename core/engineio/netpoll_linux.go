//go:build linux

package engineio

import (
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// On Linux an idle WebSocket has no goroutine: its descriptor waits in an
// epoll set of the server's own (one-shot), and a readable connection gets
// a goroutine that reads what is there, runs the handlers, and hands the
// connection back to the set when the socket is drained. An idle
// connection costs no stack and no read buffer.
//
// A busy connection (hotWakes wake-ups within hotWindow) keeps its
// goroutine instead and waits in the runtime's poller like any Go reader,
// which spares an epoll_ctl and a goroutine start per message. The loop's
// sweeper sends it back to the set once it has been quiet for idleAfter.
const (
	hotWakes   = 4
	hotWindow  = int64(250 * time.Millisecond)
	idleAfter  = int64(time.Second)
	sweepEvery = 250 // ms
)

// poller is one epoll set and the goroutine that waits on it. It lives
// while it has connections; the server starts a new one after that.
type poller struct {
	srv   *Server
	epfd  int
	pipe  [2]int // the loop stops when pipe[0] is readable
	conns map[int32]*wsConn
	hot   map[*wsConn]struct{} // busy connections waiting in their goroutine
	now   atomic.Int64         // unix ns, updated by the loop at least every sweepEvery
}

type pollState struct {
	p     *poller
	fd    int32
	gen   uint32
	added bool // in the epoll set (else registered, not yet armed)
	done  bool // removed; never armed again
	wake  func()

	// reader side (one reader at a time)
	window int64 // start of the current hotWindow
	wakes  int
	// busy side
	hot      bool // in p.hot (pollMu)
	lastSeen atomic.Int64
	kicked   atomic.Bool // the sweeper has set the read deadline
}

// pollWoken counts a wake-up of ws; true when ws is busy and its reader
// should wait for more data rather than go back to the set.
func (s *Server) pollWoken(ws *wsConn) bool {
	ps := ws.poll
	now := ps.p.now.Load()
	if now-ps.window > hotWindow {
		ps.window, ps.wakes = now, 0
	}
	ps.wakes++
	if ps.wakes < hotWakes {
		return false
	}
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	if ps.done {
		return false
	}
	ps.hot = true
	ps.lastSeen.Store(now)
	ps.kicked.Store(false)
	ps.p.hot[ws] = struct{}{}
	return true
}

// pollSeen notes traffic on a busy connection.
func (s *Server) pollSeen(ws *wsConn) {
	ps := ws.poll
	ps.lastSeen.Store(ps.p.now.Load())
	ps.kicked.Store(false)
}

// sweep ends the wait of busy connections gone quiet: their reader sees an
// expired deadline at a message boundary and re-arms.
func (p *poller) sweep(now int64) {
	p.srv.pollMu.Lock()
	defer p.srv.pollMu.Unlock()
	for ws := range p.hot {
		ps := ws.poll
		if now-ps.lastSeen.Load() > idleAfter && !ps.kicked.Load() {
			ps.kicked.Store(true)
			_ = ws.netConn.SetReadDeadline(time.Unix(1, 0))
		}
	}
}

// pollable reports whether c can wait in an epoll set: a plain TCP or Unix
// connection (not TLS, not a wrapper).
func pollable(c net.Conn) (syscall.RawConn, bool) {
	var sc syscall.Conn
	switch c := c.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, false
	}
	return raw, true
}

// pollRegister enrols ws; wake runs on a new goroutine each time the
// armed connection becomes readable. False when it cannot be polled.
func (s *Server) pollRegister(ws *wsConn, wake func()) bool {
	fd := -1
	if err := ws.fr.raw.Control(func(f uintptr) { fd = int(f) }); err != nil || fd < 0 {
		return false
	}
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	p := s.poll
	if p == nil {
		var err error
		if p, err = newPoller(s); err != nil {
			return false
		}
		if !s.track() {
			p.closeFDs()
			return false
		}
		s.poll = p
		go p.loop()
	}
	s.pollGen++
	ws.poll = &pollState{p: p, fd: int32(fd), gen: s.pollGen, wake: wake}
	p.conns[int32(fd)] = ws
	return true
}

// pollArm hands ws back to the epoll set until it is readable again.
func (s *Server) pollArm(ws *wsConn) bool {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	ps := ws.poll
	if ps == nil || ps.done {
		return false
	}
	if ps.hot {
		// Back from a busy spell: count wake-ups afresh.
		ps.hot = false
		delete(ps.p.hot, ws)
		ps.wakes = 0
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollOneShot, Fd: ps.fd, Pad: int32(ps.gen)}
	op := syscall.EPOLL_CTL_MOD
	if !ps.added {
		op = syscall.EPOLL_CTL_ADD
	}
	if syscall.EpollCtl(ps.p.epfd, op, int(ps.fd), &ev) != nil {
		return false
	}
	ps.added = true
	return true
}

// pollRemove takes ws out for good; it runs before the descriptor is
// closed, so a reused descriptor number never meets a stale entry.
func (s *Server) pollRemove(ws *wsConn) {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	ps := ws.poll
	if ps == nil || ps.done {
		return
	}
	ps.done = true
	p := ps.p
	if ps.added {
		_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(ps.fd), nil)
	}
	if p.conns[ps.fd] == ws {
		delete(p.conns, ps.fd)
	}
	if ps.hot {
		ps.hot = false
		delete(p.hot, ws)
	}
	if len(p.conns) == 0 {
		// Nothing left to wait for: stop the loop; the next connection
		// starts another set.
		if s.poll == p {
			s.poll = nil
		}
		_, _ = syscall.Write(p.pipe[1], []byte{0})
	}
}

const epollOneShot = 1 << 30 // EPOLLONESHOT

func newPoller(s *Server) (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	p := &poller{srv: s, epfd: epfd, conns: make(map[int32]*wsConn), hot: make(map[*wsConn]struct{})}
	p.now.Store(time.Now().UnixNano())
	if err := syscall.Pipe2(p.pipe[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		_ = syscall.Close(epfd)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.pipe[0])}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.pipe[0], &ev); err != nil {
		p.closeFDs()
		return nil, err
	}
	return p, nil
}

func (p *poller) closeFDs() {
	_ = syscall.Close(p.epfd)
	_ = syscall.Close(p.pipe[0])
	_ = syscall.Close(p.pipe[1])
}

func (p *poller) loop() {
	s := p.srv
	defer s.wg.Done()
	defer p.closeFDs()
	events := make([]syscall.EpollEvent, 128)
	lastSweep := p.now.Load()
	for {
		n, err := syscall.EpollWait(p.epfd, events, sweepEvery)
		now := time.Now().UnixNano()
		p.now.Store(now)
		if now-lastSweep >= int64(sweepEvery)*int64(time.Millisecond) {
			lastSweep = now
			p.sweep(now)
		}
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		for _, ev := range events[:n] {
			if ev.Fd == int32(p.pipe[0]) {
				return
			}
			s.pollMu.Lock()
			ws := p.conns[ev.Fd]
			var wake func()
			if ws != nil && !ws.poll.done && ws.poll.gen == uint32(ev.Pad) {
				wake = ws.poll.wake
			}
			s.pollMu.Unlock()
			if wake != nil {
				// The loop itself is counted in s.wg, so this Add never
				// races with Shutdown's Wait.
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					wake()
				}()
			}
		}
	}
}

// rawRead reads what waits on the socket without waiting: errWouldBlock
// when nothing does, io.EOF when the peer has closed.
func rawRead(raw syscall.RawConn, p []byte) (int, error) {
	var (
		n    int
		rerr error
	)
	err := raw.Read(func(fd uintptr) bool {
		for {
			n, rerr = syscall.Read(int(fd), p)
			if rerr != syscall.EINTR {
				return true
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case rerr == syscall.EAGAIN:
		return 0, errWouldBlock
	case rerr != nil:
		return 0, rerr
	case n <= 0:
		return 0, io.EOF
	}
	return n, nil
}

// fdWrite writes what the socket takes without waiting; a full socket is
// not an error (n < len(p)). The caller keeps fd open.
func fdWrite(fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Write(fd, p)
		switch err {
		case nil:
			return n, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, nil
		}
		return 0, err
	}
}
