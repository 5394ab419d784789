package core_test

import (
	"fmt"
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
