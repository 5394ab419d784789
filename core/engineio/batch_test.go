package engineio_test

import (
	"fmt"
	"testing"

	"github.com/go-sio/sio/core/engineio"
	"github.com/go-sio/sio/internal/eiotest"
)

// TestBatch: frames queued with SendBatched reach every session, in order
// with what Send queued in between, on WebSocket and on polling, and a
// session closed before the flush still gets them. (A recipient that does
// not read: TestSlowConsumer.)
func TestBatch(t *testing.T) {
	t.Parallel()

	t.Run("order", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{})
		var conns []*eiotest.Conn
		var recs []*rec
		for range 4 {
			c, r := e.openWS()
			conns, recs = append(conns, c), append(recs, r)
		}
		p := eiotest.Open(t, e.HTTP, e.Base, engineio.Polling)
		conns, recs = append(conns, p), append(recs, e.session(p.SID))
		const rounds = 50
		var b engineio.Batch
		for i := range rounds {
			for j, r := range recs {
				if err := r.sess.SendBatched(&b, engineio.Frame{Data: fmt.Appendf(nil, "4b%d", i)}); err != nil {
					t.Fatalf("session %d, round %d: %v", j, i, err)
				}
				if i%3 == 0 {
					continue // the flusher writes it
				}
				// Send writes what waits for the flusher, or queues
				// after it.
				if err := r.sess.Send(engineio.Frame{Data: fmt.Appendf(nil, "4s%d", i)}); err != nil {
					t.Fatalf("session %d, round %d: %v", j, i, err)
				}
			}
			if i%7 != 0 { // sometimes two batches' frames wait together
				b.Flush()
			}
		}
		b.Flush()
		if b.Len() != 0 {
			t.Fatalf("Len after Flush = %d", b.Len())
		}
		for j, c := range conns {
			for i := range rounds {
				want := []string{fmt.Sprintf("4b%d", i)}
				if i%3 != 0 {
					want = append(want, fmt.Sprintf("4s%d", i))
				}
				if err := c.ExpectErr(want...); err != nil {
					t.Fatalf("session %d (%s), round %d: %v", j, c.Transport, i, err)
				}
			}
		}
	})

	t.Run("a closed session", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{})
		c1, r1 := e.openWS()
		c2, r2 := e.openWS()
		var b engineio.Batch
		for _, r := range []*rec{r1, r2} {
			if err := r.sess.SendBatched(&b, engineio.Frame{Data: []byte("4last")}); err != nil {
				t.Fatal(err)
			}
		}
		// Closed by the server before the flush: the queued frame still
		// goes out, then the connection ends.
		r1.sess.Close()
		if err := r1.sess.SendBatched(&b, engineio.Frame{Data: []byte("4late")}); err != engineio.ErrClosed {
			t.Fatalf("SendBatched after Close: %v, want ErrClosed", err)
		}
		b.Flush()
		if got := c1.WaitClosed(); len(got) != 1 || got[0].String() != "4last" {
			t.Fatalf("closed session received %v, want [4last]", got)
		}
		if got := r1.waitClose(t); got != engineio.ReasonForcedClose {
			t.Errorf("close reason %q", got)
		}
		c2.Expect("4last")
		c2.MustSend("4still here")
		c2.Expect("4still here")
	})
}
