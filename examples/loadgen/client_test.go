package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fakeServer accepts one WebSocket, answers the Engine.IO and Socket.IO
// handshakes, then lets the test talk to the client frame by frame.
type fakeServer struct {
	t  *testing.T
	ln net.Listener
	nc net.Conn
	br *bufio.Reader
}

func newFakeServer(t *testing.T) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeServer{t: t, ln: ln}
}

// accept takes the client's connection and completes the handshakes.
func (f *fakeServer) accept() {
	nc, err := f.ln.Accept()
	if err != nil {
		f.t.Error(err)
		return
	}
	f.t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	f.nc, f.br = nc, bufio.NewReader(nc)
	req, err := http.ReadRequest(f.br)
	if err != nil || !strings.EqualFold(req.Header.Get("Upgrade"), "websocket") {
		f.t.Errorf("upgrade request: %v", err)
		return
	}
	f.write(append([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
		serverFrame(1, []byte(`0{"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`))...))
	if p := f.read(); string(p) != "40" {
		f.t.Errorf("expected the CONNECT packet, got %q", p)
	}
	f.write(serverFrame(1, []byte(`40{"sid":"y"}`)))
}

func (f *fakeServer) write(b []byte) {
	if _, err := f.nc.Write(b); err != nil {
		f.t.Errorf("write: %v", err)
	}
}

// read returns the payload of the next client frame, unmasked.
func (f *fakeServer) read() []byte {
	var h [2]byte
	if _, err := io.ReadFull(f.br, h[:]); err != nil {
		f.t.Errorf("read: %v", err)
		return nil
	}
	if h[1]&0x80 == 0 {
		f.t.Errorf("client frame not masked")
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var x [2]byte
		_, _ = io.ReadFull(f.br, x[:])
		n = int(binary.BigEndian.Uint16(x[:]))
	case 127:
		var x [8]byte
		_, _ = io.ReadFull(f.br, x[:])
		n = int(binary.BigEndian.Uint64(x[:]))
	}
	var mask [4]byte
	_, _ = io.ReadFull(f.br, mask[:])
	p := make([]byte, n)
	if _, err := io.ReadFull(f.br, p); err != nil {
		f.t.Errorf("read: %v", err)
	}
	for i := range p {
		p[i] ^= mask[i&3]
	}
	return p
}

// dialFake connects a client, read the given way, to a new fake server.
func dialFake(t *testing.T, reader string) (*fakeServer, *client, *loadgen) {
	t.Helper()
	f := newFakeServer(t)
	accepted := make(chan struct{})
	go func() { f.accept(); close(accepted) }()
	lg := &loadgen{o: options{reader: reader}}
	c, err := dial(lg, f.ln.Addr().String(), 7, 0, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	<-accepted
	if t.Failed() {
		t.FailNow()
	}
	return f, c, lg
}

// TestClientReaders runs a client through its handshake and messages with
// each way of reading: a goroutine per connection, and the pollers.
func TestClientReaders(t *testing.T) {
	for _, reader := range []string{"goroutine", "poll"} {
		t.Run(reader, func(t *testing.T) {
			f, c, lg := dialFake(t, reader)

			// An Engine.IO ping is answered with a pong.
			f.write(serverFrame(1, []byte("2")))
			if p := f.read(); string(p) != "3" {
				t.Fatalf("answer to a ping: %q", p)
			}

			// Acks, one small, one larger than the read buffer; the first in
			// one write with a WebSocket ping and an Engine.IO ping.
			big := bytes.Repeat([]byte("z"), 3*readBufSize)
			done := make(chan ackReply, 2)
			go func() {
				for range 2 {
					r, err := c.emitAck([]byte(`["ping",{"seq":1}]`), 10*time.Second)
					if err != nil {
						t.Error(err)
					}
					done <- r
				}
			}()
			if p := f.read(); !bytes.HasPrefix(p, []byte(`421["ping"`)) {
				t.Fatalf("first ping: %q", p)
			}
			var all []byte
			all = append(all, serverFrame(9, []byte("hi"))...)
			all = append(all, serverFrame(1, []byte("2"))...)
			all = append(all, serverFrame(1, []byte(`431[{"seq":11}]`))...)
			f.write(all)
			if p := f.read(); string(p) != "hi" {
				t.Fatalf("answer to a WebSocket ping: %q", p)
			}
			if p := f.read(); string(p) != "3" {
				t.Fatalf("answer to an Engine.IO ping: %q", p)
			}
			if r := <-done; r.id != 1 || r.seq != 11 {
				t.Fatalf("first ack: %+v", r)
			}
			if p := f.read(); !bytes.HasPrefix(p, []byte(`422["ping"`)) {
				t.Fatalf("second ping: %q", p)
			}
			f.write(serverFrame(1, append(append([]byte(`432[{"seq":12,"pad":"`), big...), `"}]`...)))
			if r := <-done; r.id != 2 || r.seq != 12 {
				t.Fatalf("second ack: %+v", r)
			}

			// The server's namespace disconnect ends the client.
			f.write(serverFrame(1, []byte("41")))
			select {
			case <-c.done:
			case <-time.After(10 * time.Second):
				t.Fatal("the client did not end on a namespace disconnect")
			}
			if !c.closed.Load() || lg.disconnects.Load() != 1 {
				t.Fatalf("closed %v, disconnects %d", c.closed.Load(), lg.disconnects.Load())
			}
			// Its connection is closed.
			_ = f.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := f.br.ReadByte(); err != io.EOF {
				t.Fatalf("server side read after the end: %v, want EOF", err)
			}
			if err := c.writeText([]byte("3")); err == nil {
				t.Fatal("a write after the end succeeded")
			}
		})
	}
}

// TestClientClose checks that close ends a client whose server says nothing.
func TestClientClose(t *testing.T) {
	for _, reader := range []string{"goroutine", "poll"} {
		t.Run(reader, func(t *testing.T) {
			f, c, _ := dialFake(t, reader)
			c.close()
			select {
			case <-c.done:
			case <-time.After(10 * time.Second):
				t.Fatal("close did not end the client")
			}
			_ = f.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := f.br.ReadByte(); err != io.EOF {
				t.Fatalf("server side read after close: %v, want EOF", err)
			}
		})
	}
}
