package core_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/core/engineio"
)

// countConn is an in-process transport that only counts what it gets.
type countConn struct{ frames atomic.Int64 }

func (c *countConn) WriteFrames(f []engineio.Frame) error {
	c.frames.Add(int64(len(f)))
	return nil
}
func (c *countConn) Close() error { return nil }

// BenchmarkBroadcast measures one broadcast to many connected sockets:
// the packet is encoded once and queued to each socket's writer.
func BenchmarkBroadcast(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			srv, err := core.New(core.Config{PingInterval: time.Hour, PingTimeout: time.Hour, MaxQueuedPackets: 1 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Shutdown(b.Context())
			conns := make([]*countConn, n)
			for i := range conns {
				conns[i] = &countConn{}
				sess, err := srv.Engine().Accept(conns[i], nil)
				if err != nil {
					b.Fatal(err)
				}
				sess.Receive([]byte("40"), false)
			}
			if got := len(srv.Sockets().Sockets()); got != n {
				b.Fatalf("%d sockets connected, want %d", got, n)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := srv.Emit("news", "hello", 42); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/recipient")
		})
	}
}

// BenchmarkConnectWebSocket measures a whole Socket.IO connection over a
// real WebSocket on 127.0.0.1: the upgrade request, the open packet, the
// CONNECT to the main namespace and its answer, three handlers registered
// (as the bench server does), then the close. Client and server share the
// process; the client's side is a few syscalls and no allocation.
func BenchmarkConnectWebSocket(b *testing.B) {
	srv, err := core.New(core.Config{})
	if err != nil {
		b.Fatal(err)
	}
	srv.OnConnection(func(s *core.Socket) {
		s.On("ping", func(args core.Args, ack core.Ack) { ack(args) })
		s.On("join", func(room string, ack core.Ack) { s.Join(core.Room(room)); ack(true) })
		s.On("bcast", func(args core.Args) error { return nil })
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(ln) }()
	defer func() {
		_ = hs.Close()
		_ = srv.Shutdown(context.Background())
	}()
	addr := ln.Addr().String()
	req := []byte("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	connect := []byte{0x81, 0x82, 0, 0, 0, 0, '4', '0'} // masked with a zero key
	buf := make([]byte, 4096)
	// readUntil reads until the bytes read so far contain want.
	readUntil := func(c net.Conn, want string) error {
		n := 0
		for {
			k, err := c.Read(buf[n:])
			if err != nil {
				return err
			}
			n += k
			if bytes.Contains(buf[:n], []byte(want)) {
				return nil
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if err := readUntil(c, `"maxPayload"`); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(connect); err != nil {
			b.Fatal(err)
		}
		if err := readUntil(c, `40{"sid"`); err != nil {
			b.Fatal(err)
		}
		_ = c.Close()
	}
}

// BenchmarkEventAck measures one event with an ack id, handled by a handler
// that acks with the arguments it got (the bench server's "ping"), over
// an in-process transport: parse, dispatch, encode and queue the answer.
func BenchmarkEventAck(b *testing.B) {
	srv, err := core.New(core.Config{PingInterval: time.Hour, PingTimeout: time.Hour, MaxQueuedPackets: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown(b.Context())
	srv.OnConnection(func(s *core.Socket) {
		s.On("ping", func(args core.Args, ack core.Ack) { ack(args) })
	})
	conn := &countConn{}
	sess, err := srv.Engine().Accept(conn, nil)
	if err != nil {
		b.Fatal(err)
	}
	sess.Receive([]byte("40"), false)
	// waitFrames waits until the transport got n frames in all.
	waitFrames := func(n int64) {
		for deadline := time.Now().Add(10 * time.Second); conn.frames.Load() < n; {
			if time.Now().After(deadline) {
				b.Fatalf("%d frames written, want %d", conn.frames.Load(), n)
			}
			runtime.Gosched()
		}
	}
	waitFrames(2) // the open packet and the CONNECT answer
	msg := []byte(`421234["ping",{"t":1764182585123456789,"seq":42,"p":3}]`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sess.Receive(msg, false)
	}
	waitFrames(2 + int64(b.N))
}
