package engineio_test

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sio/sio/core/engineio"
	"github.com/go-sio/sio/internal/eiotest"
)

// rawWS is a WebSocket client written out by hand, so that tests control
// every byte and start no goroutine of their own.
type rawWS struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

func dialRaw(t testing.TB, base string) *rawWS {
	t.Helper()
	w, err := dialRawErr(t, base)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// dialRawErr opens a WebSocket session; it may run on any goroutine.
func dialRawErr(t testing.TB, base string) (*rawWS, error) {
	host := strings.TrimPrefix(strings.SplitN(base, "/engine.io/", 2)[0], "http://")
	c, err := net.Dial("tcp", host)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", host)
	w := &rawWS{t: t, conn: c, br: bufio.NewReader(c)}
	_ = c.SetReadDeadline(time.Now().Add(eiotest.Wait))
	res, err := http.ReadResponse(w.br, nil)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		return nil, fmt.Errorf("upgrade answered %s", res.Status)
	}
	op, data, err := w.readErr()
	if err != nil {
		return nil, err
	}
	if op != 1 || len(data) == 0 || data[0] != '0' {
		return nil, fmt.Errorf("first frame %d %q, want the open packet", op, data)
	}
	return w, nil
}

// frame encodes a masked client frame.
func (w *rawWS) frame(fin bool, op byte, payload []byte) []byte {
	var key [4]byte
	_, _ = rand.Read(key[:])
	return eiotest.ClientFrame(fin, op, payload, key)
}

func (w *rawWS) write(b []byte) {
	w.t.Helper()
	if _, err := w.conn.Write(b); err != nil {
		w.t.Fatal(err)
	}
}

// waitLen waits until the server holds at most n sessions.
func waitLen(t *testing.T, srv *engineio.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(eiotest.Wait)
	for srv.Len() > n {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions, want at most %d", srv.Len(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *rawWS) send(text string) { w.write(w.frame(true, 1, []byte(text))) }

// read returns the next server frame (unmasked).
func (w *rawWS) read() (byte, []byte) {
	w.t.Helper()
	op, data, err := w.readErr()
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	return op, data
}

func (w *rawWS) readErr() (byte, []byte, error) {
	_ = w.conn.SetReadDeadline(time.Now().Add(eiotest.Wait))
	var h [2]byte
	if _, err := io.ReadFull(w.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(w.br, l[:]); err != nil {
			return 0, nil, err
		}
		n = int(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(w.br, l[:]); err != nil {
			return 0, nil, err
		}
		n = int(binary.BigEndian.Uint64(l[:]))
	}
	data := make([]byte, n)
	_, err := io.ReadFull(w.br, data)
	return h[0] & 0x0f, data, err
}

func (w *rawWS) expect(text string) {
	w.t.Helper()
	if op, data := w.read(); op != 1 || string(data) != text {
		w.t.Fatalf("got frame %d %q, want %q", op, data, text)
	}
}

// waitGoroutines waits until at most n goroutines run in the process.
func waitGoroutines(t *testing.T, n int, why string) {
	t.Helper()
	deadline := time.Now().Add(eiotest.Wait)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d goroutines, want at most %d", why, runtime.NumGoroutine(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIdleWebSocketsHoldNoGoroutine: on Linux an idle WebSocket waits in
// the server's epoll set, not in a goroutine; it still gets its data, its
// pings and its close.
func TestIdleWebSocketsHoldNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("idle WebSockets keep a reader goroutine off Linux")
	}
	e := newEnv(t, engineio.Config{})
	base := runtime.NumGoroutine()
	const n = 200
	conns := make([]*rawWS, n)
	for i := range conns {
		conns[i] = dialRaw(t, e.Base)
		conns[i].send(fmt.Sprintf("4hello %d", i))
	}
	for i, c := range conns {
		c.expect(fmt.Sprintf("4hello %d", i))
	}
	// The poller's loop and a few of the test server's own.
	waitGoroutines(t, base+3, fmt.Sprintf("%d idle WebSockets", n))

	// Idle connections wake up for a message, a fragmented one, a WebSocket
	// ping, and a message cut in two writes.
	for i, c := range conns {
		switch i % 4 {
		case 0:
			c.send("4again")
			c.expect("4again")
		case 1:
			c.write(append(c.frame(false, 1, []byte("4frag")), c.frame(true, 0, []byte("ment"))...))
			c.expect("4fragment")
		case 2:
			c.write(c.frame(true, 9, []byte("hi")))
			if op, data := c.read(); op != 10 || string(data) != "hi" {
				t.Fatalf("answer to a ping: %d %q, want a pong", op, data)
			}
		case 3:
			f := c.frame(true, 1, []byte("4"+strings.Repeat("z", 3000)))
			c.write(f[:5])
			time.Sleep(time.Millisecond) // let the server see half a frame
			c.write(f[5:])
			c.expect("4" + strings.Repeat("z", 3000))
		}
	}
	waitGoroutines(t, base+3, "after a second round")

	// A close frame and a vanished client each end their session.
	conns[0].write(conns[0].frame(true, 8, []byte{3, 232}))
	conns[1].conn.Close()
	waitLen(t, e.srv, n-2)
	conns[2].send("4still")
	conns[2].expect("4still")
}

// TestBusyWebSocketBackToIdle: a connection with steady traffic keeps its
// goroutine while busy and gives it up once quiet; messages flow all along.
func TestBusyWebSocketBackToIdle(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("idle WebSockets keep a reader goroutine off Linux")
	}
	e := newEnv(t, engineio.Config{})
	base := runtime.NumGoroutine()
	c := dialRaw(t, e.Base)
	c.send("4warm")
	c.expect("4warm")
	for i := range 500 {
		c.send(fmt.Sprintf("4m%d", i))
		c.expect(fmt.Sprintf("4m%d", i))
	}
	// Quiet now: the sweeper sends the reader back to the epoll set; the
	// poller's own loop is the one goroutine left.
	waitGoroutines(t, base+1, "a busy connection gone quiet")
	c.send("4after")
	c.expect("4after")
}

// TestWebSocketChurn: connections come and go while others talk, so that
// descriptor numbers are reused; no message goes astray.
func TestWebSocketChurn(t *testing.T) {
	e := newEnv(t, engineio.Config{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				c, err := dialRawErr(t, e.Base)
				if err != nil {
					t.Error(err)
					return
				}
				msg := fmt.Sprintf("4g%d-%d", g, i)
				_, err = c.conn.Write(c.frame(true, 1, []byte(msg)))
				op, data, rerr := c.readErr()
				if err == nil {
					err = rerr
				}
				if err != nil || op != 1 || string(data) != msg {
					t.Errorf("got %d %q %v, want %q", op, data, err, msg)
					return
				}
				if i%2 == 0 {
					c.conn.Close()
				} else {
					_, _ = c.conn.Write(c.frame(true, 8, nil))
				}
			}
		}()
	}
	wg.Wait()
	waitLen(t, e.srv, 0)
}

// TestWebSocketHandshake: the opening handshake answer (RFC 6455 §4.2.2,
// with the RFC's own sample key) and the refusals of malformed requests.
func TestWebSocketHandshake(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{CORS: &engineio.CORS{Origins: []string{"http://app.example"}}})
	host := strings.TrimPrefix(strings.TrimSuffix(e.Base, "/engine.io/"), "http://")
	do := func(t *testing.T, method string, header map[string]string) *http.Response {
		t.Helper()
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		req := method + " /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + host + "\r\n"
		for k, v := range header {
			req += k + ": " + v + "\r\n"
		}
		if _, err := io.WriteString(c, req+"\r\n"); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(eiotest.Wait))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	valid := func() map[string]string {
		return map[string]string{
			"Upgrade": "websocket", "Connection": "keep-alive, Upgrade", "Sec-WebSocket-Version": "13",
			"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "http://app.example",
		}
	}

	t.Run("accepted", func(t *testing.T) {
		res := do(t, "GET", valid())
		if res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("status %d", res.StatusCode)
		}
		for k, want := range map[string]string{
			"Upgrade": "websocket", "Connection": "Upgrade",
			"Sec-Websocket-Accept":        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
			"Access-Control-Allow-Origin": "http://app.example",
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("%s: %q, want %q", k, got, want)
			}
		}
	})
	for _, tc := range []struct {
		name   string
		method string
		edit   func(h map[string]string)
		status int
	}{
		{"wrong version", "GET", func(h map[string]string) { h["Sec-WebSocket-Version"] = "8" }, 400},
		{"no key", "GET", func(h map[string]string) { delete(h, "Sec-WebSocket-Key") }, 400},
		{"key not 16 bytes", "GET", func(h map[string]string) { h["Sec-WebSocket-Key"] = "c2hvcnQ=" }, 400},
		{"key not base64", "GET", func(h map[string]string) { h["Sec-WebSocket-Key"] = "!!!!!!!!!!!!!!!!!!!!!!==" }, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := valid()
			tc.edit(h)
			res := do(t, tc.method, h)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if v := res.Header.Get("Sec-Websocket-Version"); v != "13" {
				t.Errorf("Sec-WebSocket-Version %q, want 13", v)
			}
		})
	}
}

// TestWriteAfterWriterDeadline: a session whose writer once set a write
// deadline, idle past it, still gets what is sent later.
func TestWriteAfterWriterDeadline(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	e := newEnv(t, engineio.Config{WriteTimeout: timeout})
	c := dialRaw(t, e.Base)
	big := "4" + strings.Repeat("b", 40<<10) // too big to be written from Send: the writer does it
	c.send(big)
	c.expect(big)
	time.Sleep(2 * timeout) // the writer's deadline passes
	c.send("4small")
	c.expect("4small")
	c.send(big)
	c.expect(big)
	c.send("4again")
	c.expect("4again")
}

// TestWriteToFullSocket: frames sent while the client reads nothing fill
// its socket; a write the socket takes only in part waits for room, and
// every frame arrives, in order. The frames go out one by one at first,
// so that the writer meets the full socket with a small burst in hand;
// the rest pile up behind it.
func TestWriteToFullSocket(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{MaxQueuedPackets: 1 << 20})
	c := dialRaw(t, e.Base)
	c.send("4hi")
	c.expect("4hi")
	var r *rec
	e.mu.Lock()
	for _, x := range e.sessions {
		r = x
	}
	e.mu.Unlock()
	pad := strings.Repeat("x", 12<<10)
	const n = 800 // 10 MB, more than the socket buffers of both ends hold
	for i := range n {
		if err := r.sess.Send(engineio.Frame{Data: fmt.Appendf(nil, "4%d %s", i, pad)}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		if i < n/2 {
			time.Sleep(200 * time.Microsecond) // pacing only: the writer keeps up
		}
	}
	for i := range n {
		c.expect(fmt.Sprintf("4%d %s", i, pad))
	}
}
