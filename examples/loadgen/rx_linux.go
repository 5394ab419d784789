//go:build linux

package main

import (
	"errors"
	"log"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// On Linux the clients' connections are read by a few pollers, one per
// CPU, rather than by a goroutine each. A poller waits on a level-triggered
// epoll set of its own and reads a ready connection with plain read(2)
// until a read comes back short, which means the socket is drained: a
// received message then costs one read, with no read that finds the socket
// empty and no goroutine switch. Writes are write(2) on the same
// descriptor. The load tool shares the machine with the servers it
// measures, so what it spends per message is taken from them. The pollers
// start with the first connection and live as long as the process.

type rxPoller struct {
	epfd  int
	mu    sync.Mutex
	conns map[int32]*client
}

var (
	pollersOnce sync.Once
	pollers     []*rxPoller
	pollersErr  error
)

func startPollers() {
	n := max(1, runtime.GOMAXPROCS(0))
	for range n {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			pollersErr = err
			return
		}
		p := &rxPoller{epfd: fd, conns: map[int32]*client{}}
		pollers = append(pollers, p)
		go p.loop()
	}
}

// startReading hands the connection to a poller, or to a goroutine of its
// own with -reader goroutine.
func (c *client) startReading() error {
	if c.lg != nil && c.lg.o.reader == "goroutine" {
		go c.readLoop()
		return nil
	}
	pollersOnce.Do(startPollers)
	if pollersErr != nil {
		return pollersErr
	}
	sc, err := c.nc.(syscall.Conn).SyscallConn()
	if err != nil {
		return err
	}
	fd := -1
	var derr error
	// A second descriptor for the socket (not inherited by the servers the
	// tool starts); closing nc then takes the runtime's poller off it.
	if err := sc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return err
	}
	if derr != nil {
		return derr
	}
	_ = c.nc.Close()
	c.fd, c.raw = fd, true
	// Messages that came with the handshake's last read.
	for {
		op, p, ok, err := c.message()
		if err == nil && !ok {
			break
		}
		if err != nil || !c.handle(op, p) {
			c.ended()
			return nil
		}
	}
	p := pollers[max(0, c.id%len(pollers))]
	p.mu.Lock()
	p.conns[int32(fd)] = c
	p.mu.Unlock()
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}); err != nil {
		p.mu.Lock()
		delete(p.conns, int32(fd))
		p.mu.Unlock()
		// A failed dial: not a disconnection to count.
		c.wmu.Lock()
		c.closeRaw()
		c.wmu.Unlock()
		return err
	}
	return nil
}

// loop handles the set's events. It waits in the runtime's poller, on the
// set's own descriptor (readable while the set has events), rather than in
// epoll_wait: a thread blocked in that syscall costs a thread switch on
// each wake-up, where the runtime's poller is checked by threads that
// are running anyway.
func (p *rxPoller) loop() {
	if err := unix.SetNonblock(p.epfd, true); err != nil {
		log.Printf("poller stopped: %v", err)
		return
	}
	f := os.NewFile(uintptr(p.epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		log.Printf("poller stopped: %v", err)
		return
	}
	events := make([]unix.EpollEvent, 256)
	err = rc.Read(func(uintptr) bool {
		for {
			n, err := unix.EpollWait(p.epfd, events, 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				log.Printf("poller stopped: epoll_wait: %v", err)
				return true
			}
			if n == 0 {
				return false // wait for the set to have events
			}
			p.handle(events[:n])
		}
	})
	if err != nil {
		log.Printf("poller stopped: %v", err)
	}
	runtime.KeepAlive(f)
}

func (p *rxPoller) handle(events []unix.EpollEvent) {
	for i := range events {
		fd := events[i].Fd
		p.mu.Lock()
		c := p.conns[fd]
		p.mu.Unlock()
		if c == nil || c.readReady() {
			continue
		}
		p.mu.Lock()
		delete(p.conns, fd)
		p.mu.Unlock()
		_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
		c.ended()
	}
}

// readReady reads what the socket holds and handles the messages in it;
// false when the connection is over.
func (c *client) readReady() bool {
	for {
		if c.r == c.w {
			c.r, c.w = 0, 0
		}
		space := len(c.buf) - c.w
		n, err := unix.Read(c.fd, c.buf[c.w:])
		if n <= 0 {
			switch err {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return true
			}
			return false // end of stream or error
		}
		c.w += n
		for {
			op, p, ok, err := c.message()
			if err != nil {
				return false
			}
			if !ok {
				break
			}
			if !c.handle(op, p) {
				return false
			}
		}
		if n < space {
			return true // drained; the set reports the next bytes
		}
	}
}

// writeRaw writes b on the descriptor (c.wmu held); a full socket is
// waited for, 10 s at most.
func (c *client) writeRaw(b []byte) error {
	for len(b) > 0 {
		if c.fd < 0 {
			return net.ErrClosed
		}
		n, err := unix.Write(c.fd, b)
		if n > 0 {
			b = b[n:]
			continue
		}
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			pfd := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLOUT}}
			k, perr := unix.Poll(pfd, 10_000)
			if perr != nil && perr != unix.EINTR {
				return perr
			}
			if k == 0 {
				return errors.New("write timeout")
			}
		default:
			return err
		}
	}
	return nil
}

// shutdownRaw stops the connection (c.wmu held); its poller sees the end
// and closes the descriptor.
func (c *client) shutdownRaw() {
	if c.fd >= 0 {
		_ = unix.Shutdown(c.fd, unix.SHUT_RDWR)
	}
}

// closeRaw closes the descriptor (c.wmu held), once its poller has let go.
func (c *client) closeRaw() {
	if c.fd >= 0 {
		_ = unix.Close(c.fd)
		c.fd = -1
	}
}
