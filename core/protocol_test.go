package core_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/eiotest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// fasthttp's process-wide clock, started by the first fasthttp
		// server (fasthttp_test.go) and never stopped.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	)
}

var transports = []string{"polling", "websocket"}

// sioEnv is a Socket.IO server configured like the official test suite's,
// plus a few events that let a test make the server act, and a record of
// every socket's disconnect reason.
type sioEnv struct {
	t    *testing.T
	srv  *core.Server
	hs   *httptest.Server
	Base string // http://host/socket.io/
	HTTP *http.Client

	mu      sync.Mutex
	sockets map[core.SocketID]*core.Socket
	reasons map[core.SocketID]chan string
}

func newSIO(t *testing.T, cfg core.Config) *sioEnv {
	t.Helper()
	srv, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &sioEnv{
		t:       t,
		srv:     srv,
		sockets: make(map[core.SocketID]*core.Socket),
		reasons: make(map[core.SocketID]chan string),
	}
	track := func(s *core.Socket) {
		e.mu.Lock()
		e.sockets[s.ID()] = s
		e.mu.Unlock()
		ch := e.reasonChan(s.ID())
		s.OnDisconnect(func(reason string) {
			select {
			case ch <- reason:
			default:
				t.Errorf("socket %s: second disconnect (%q)", s.ID(), reason)
			}
		})
	}
	srv.Use(func(s *core.Socket) error {
		switch s.Handshake().Auth["token"] {
		case "bad":
			return &core.ConnectError{Message: "not authorized", Data: map[string]any{"reason": "bad token"}}
		case "plain":
			return errors.New("plain refusal")
		}
		return nil
	})
	srv.OnConnection(func(s *core.Socket) {
		track(s)
		_ = s.Emit("auth", s.Handshake().AuthRaw)
		s.On("message", func(args core.Args) { _ = s.Emit("message-back", args) })
		s.On("message-with-ack", func(args core.Args, ack core.Ack) { ack(args) })
		s.On("x", func(ack core.Ack) { ack() })
		s.On("ack-twice", func(ack core.Ack) { ack(1); ack(2) })
		s.On("kick", func() { s.Disconnect(false) })
		s.On("kick-all", func() { s.Disconnect(true) })
		s.On("join", func(room core.Room, ack core.Ack) {
			s.Join(room)
			ack()
		})
		s.On("to-room", func(room core.Room) { _ = s.To(room).Emit("from", string(s.ID())) })
		s.On("flood", func(n int) {
			for i := range n {
				_ = s.Emit("n", i)
			}
		})
		s.On("volatile", func() {
			_ = srv.To(core.Room(s.ID())).Volatile().Emit("v")
			_ = s.Emit("done")
		})
	})
	srv.Of("/custom").OnConnection(func(s *core.Socket) {
		track(s)
		_ = s.Emit("auth", s.Handshake().AuthRaw)
	})
	e.srv = srv
	e.hs = httptest.NewServer(srv)
	e.Base = e.hs.URL + srv.Path()
	e.HTTP = eiotest.NewHTTPClient(t)
	t.Cleanup(e.hs.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), eiotest.Wait)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return e
}

func (e *sioEnv) reasonChan(id core.SocketID) chan string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ch := e.reasons[id]
	if ch == nil {
		ch = make(chan string, 1)
		e.reasons[id] = ch
	}
	return ch
}

// reason waits for the disconnect reason of socket id.
func (e *sioEnv) reason(id core.SocketID) string {
	e.t.Helper()
	select {
	case r := <-e.reasonChan(id):
		return r
	case <-time.After(eiotest.Wait):
		e.t.Fatalf("socket %s not disconnected within %v", id, eiotest.Wait)
		return ""
	}
}

// expectReason fails unless socket id disconnected with reason want.
func (e *sioEnv) expectReason(id core.SocketID, want string) {
	e.t.Helper()
	if got := e.reason(id); got != want {
		e.t.Errorf("socket %s: disconnect reason %q, want %q", id, got, want)
	}
}

func (e *sioEnv) socket(id core.SocketID) *core.Socket {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.sockets[id]
	if s == nil {
		e.t.Fatalf("no socket %s", id)
	}
	return s
}

func (e *sioEnv) open(transport string) *eiotest.Conn {
	e.t.Helper()
	return eiotest.Open(e.t, e.HTTP, e.Base, transport)
}

var connectReply = regexp.MustCompile(`^40(/[a-z]+,)?\{"sid":"([A-Za-z0-9_-]{20})"\}$`)

// connect sends CONNECT for nsp ("" = main namespace) and checks the
// answer, which must be exactly {"sid":...}, then the fixture's auth event.
func connect(t *testing.T, c *eiotest.Conn, nsp string) core.SocketID {
	t.Helper()
	pkt, prefix := "40", ""
	if nsp != "" {
		pkt, prefix = "40"+nsp+",", nsp+","
	}
	c.MustSend(pkt)
	id := expectConnect(t, c, prefix)
	c.Expect("42" + prefix + `["auth",{}]`)
	return id
}

func expectConnect(t *testing.T, c *eiotest.Conn, prefix string) core.SocketID {
	t.Helper()
	got := c.Next().String()
	m := connectReply.FindStringSubmatch(got)
	if m == nil || m[1] != prefix {
		t.Fatalf("CONNECT answer %q, want 40%s{\"sid\":\"<20 chars>\"}", got, prefix)
	}
	return core.SocketID(m[2])
}

// echoes fails unless the main namespace of c still answers.
func echoes(t *testing.T, c *eiotest.Conn) {
	t.Helper()
	c.MustSend(`42["message","still here"]`)
	c.Expect(`42["message-back","still here"]`)
}

func TestConnect(t *testing.T) {
	t.Parallel()
	e := newSIO(t, core.Config{})
	tests := []struct {
		name    string
		send    string
		prefix  string
		auth    string
		openNew bool
	}{
		{"main namespace", "40", "", `42["auth",{}]`, false},
		{"main namespace with auth", `40{"token":"123"}`, "", `42["auth",{"token":"123"}]`, false},
		{"auth keeps its key order", `40{"z":1,"a":[2]}`, "", `42["auth",{"z":1,"a":[2]}]`, false},
		{"custom namespace", "40/custom,", "/custom,", `42/custom,["auth",{}]`, false},
		{"custom namespace without trailing comma", "40/custom", "/custom,", `42/custom,["auth",{}]`, false},
		{"custom namespace with auth", `40/custom,{"token":"abc"}`, "/custom,", `42/custom,["auth",{"token":"abc"}]`, false},
	}
	for _, tr := range transports {
		for _, tc := range tests {
			t.Run(tr+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				c := e.open(tr)
				c.MustSend(tc.send)
				id := expectConnect(t, c, tc.prefix)
				if string(id) == c.SID {
					t.Error("socket id equals the Engine.IO session id")
				}
				c.Expect(tc.auth)
			})
		}
	}

	for _, tr := range transports {
		t.Run(tr+"/both namespaces on one connection", func(t *testing.T) {
			t.Parallel()
			c := e.open(tr)
			a := connect(t, c, "")
			b := connect(t, c, "/custom")
			if a == b {
				t.Error("same socket id for two namespaces")
			}
			echoes(t, c)
		})
	}
}

func TestConnectRefused(t *testing.T) {
	t.Parallel()
	e := newSIO(t, core.Config{})
	tests := []struct {
		name string
		send string
		want string
	}{
		{"unknown namespace", "40/random", `44/random,{"message":"Invalid namespace"}`},
		{"unknown namespace with comma", "40/random,", `44/random,{"message":"Invalid namespace"}`},
		{"middleware refusal with data", `40{"token":"bad"}`, `44{"message":"not authorized","data":{"reason":"bad token"}}`},
		{"middleware refusal without data", `40{"token":"plain"}`, `44{"message":"plain refusal"}`},
	}
	for _, tr := range transports {
		for _, tc := range tests {
			t.Run(tr+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				c := e.open(tr)
				c.MustSend(tc.send)
				c.Expect(tc.want)
				// The connection stays open: the client may connect again.
				connect(t, c, "")
				echoes(t, c)
			})
		}
	}
}

// TestNamespaceDisconnectKeepsConnection: after 41 the connection, now in
// no namespace, stays open; the next thing the client gets is a ping.
func TestNamespaceDisconnectKeepsConnection(t *testing.T) {
	t.Parallel()
	e := newSIO(t, core.Config{PingInterval: 600 * time.Millisecond, PingTimeout: 2 * time.Second})
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			c := e.open(tr)
			id := connect(t, c, "")
			c.MustSend("41")
			e.expectReason(id, "client namespace disconnect")
			c.Expect("2")
			c.MustSend("3")
			connect(t, c, "")
		})
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	e := newSIO(t, core.Config{})
	const (
		ph0 = `{"_placeholder":true,"num":0}`
		ph1 = `{"_placeholder":true,"num":1}`
	)
	tests := []struct {
		name string
		send []string // "<bin HEX>" is a binary message
		want []string
	}{
		{"args byte for byte", []string{`42["message",1,"2",{"3":[true]}]`}, []string{`42["message-back",1,"2",{"3":[true]}]`}},
		{"key order kept", []string{`42["message",{"z":1,"a":2}]`}, []string{`42["message-back",{"z":1,"a":2}]`}},
		{"numbers and escapes as JSON.stringify writes them", []string{`42["message",1.5,-0.001,1e+21,"é\u0000\"\\",[],{}]`}, []string{`42["message-back",1.5,-0.001,1e+21,"é\u0000\"\\",[],{}]`}},
		{"no args", []string{`42["message"]`}, []string{`42["message-back"]`}},
		{"ack with args", []string{`42456["message-with-ack",1,"2",{"3":[false]}]`}, []string{`43456[1,"2",{"3":[false]}]`}},
		{"ack keeps order", []string{`422["message-with-ack",null,{"b":1,"a":[1.5,"é"]}]`}, []string{`432[null,{"b":1,"a":[1.5,"é"]}]`}},
		{"ack with no args", []string{`421["x"]`}, []string{`431[]`}},
		{"echoed ack with no args", []string{`420["message-with-ack"]`}, []string{`430[]`}},
		{"only the first call of an ack answers", []string{`425["ack-twice"]`, `42["message"]`}, []string{`435[1]`, `42["message-back"]`}},
		{"unknown event ignored", []string{`42["nope",1]`, `42["message"]`}, []string{`42["message-back"]`}},
		{"numeric event name ignored", []string{`42[1,"a"]`, `42["message"]`}, []string{`42["message-back"]`}},
		{"unknown ack id ignored", []string{`437["late"]`, `42["message"]`}, []string{`42["message-back"]`}},
		{
			"binary event with two attachments",
			[]string{`452-["message",` + ph0 + `,{"num":1,"_placeholder":true}]`, "<bin 010203>", "<bin 040506>"},
			[]string{`452-["message-back",` + ph0 + `,` + ph1 + `]`, "<bin 010203>", "<bin 040506>"},
		},
		{
			"binary ack",
			[]string{`452-789["message-with-ack",` + ph0 + `,` + ph1 + `]`, "<bin 010203>", "<bin 040506>"},
			[]string{`462-789[` + ph0 + `,` + ph1 + `]`, "<bin 010203>", "<bin 040506>"},
		},
		{
			"nested placeholder",
			[]string{`451-["message",{"a":{"_placeholder":true,"num":0}}]`, "<bin 09>"},
			[]string{`451-["message-back",{"a":` + ph0 + `}]`, "<bin 09>"},
		},
		{
			"empty attachment",
			[]string{`451-["message",` + ph0 + `]`, "<bin >"},
			[]string{`451-["message-back",` + ph0 + `]`, "<bin >"},
		},
		{
			"attachments in placeholder order",
			[]string{`452-["message",` + ph1 + `,` + ph0 + `]`, "<bin 01>", "<bin 02>"},
			[]string{`452-["message-back",` + ph0 + `,` + ph1 + `]`, "<bin 02>", "<bin 01>"},
		},
	}
	for _, tr := range transports {
		for _, tc := range tests {
			t.Run(tr+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				c := e.open(tr)
				connect(t, c, "")
				send(t, c, tc.send...)
				c.Expect(tc.want...)
				echoes(t, c)
			})
		}
	}

	for _, tr := range transports {
		t.Run(tr+"/event on a namespace without handlers", func(t *testing.T) {
			t.Parallel()
			c := e.open(tr)
			connect(t, c, "")
			connect(t, c, "/custom")
			c.MustSend(`42/custom,["message","y"]`, `42/custom,1["message-with-ack","y"]`)
			echoes(t, c)
		})
	}
}

// send sends text packets and "<bin HEX>" binary messages in order.
func send(t *testing.T, c *eiotest.Conn, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		if h, ok := strings.CutPrefix(m, "<bin "); ok {
			h = strings.TrimSuffix(h, ">")
			b := make([]byte, len(h)/2)
			for i := range b {
				v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
				if err != nil {
					t.Fatal(err)
				}
				b[i] = byte(v)
			}
			c.MustSendBinary(b)
			continue
		}
		c.MustSend(m)
	}
}

// TestBadInput: input that the reference server answers by closing the
// whole connection. The sockets of that connection see the given reason;
// other connections on the server do not notice.
func TestBadInput(t *testing.T) {
	t.Parallel()
	const ph0 = `{"_placeholder":true,"num":0}`
	tests := []struct {
		name      string
		connected bool // connect to "/" first
		send      []string
		reason    string
	}{
		{"unknown packet type", true, []string{"4abc"}, "forced close"},
		{"event payload not an array", true, []string{"42{}"}, "forced close"},
		{"non-numeric ack id", true, []string{`42abc["message-with-ack",1]`}, "forced close"},
		{"reserved event name", true, []string{`42["connect"]`}, "forced close"},
		{"reserved event name disconnecting", true, []string{`42["disconnecting"]`}, "forced close"},
		{"empty event array", true, []string{`42[]`}, "forced close"},
		{"zero attachments", true, []string{`450-["message",` + ph0 + `]`}, "forced close"},
		{"eleven attachments", true, []string{`4511-["message"` + strings.Repeat(","+ph0, 11) + `]`}, "forced close"},
		{"placeholder num out of range", true, []string{`451-["message",{"_placeholder":true,"num":1}]`, "<bin 01>"}, "forced close"},
		{"placeholder num not a number", true, []string{`451-["message",{"_placeholder":true,"num":"0"}]`, "<bin 01>"}, "forced close"},
		{"binary when none expected", true, []string{"<bin 0102>"}, "forced close"},
		{"text while attachments are pending", true, []string{`452-["message",` + ph0 + `,{"_placeholder":true,"num":1}]`, "<bin 01>", `42["message","x"]`}, "forced close"},
		{"disconnect with payload", true, []string{`41{}`}, "forced close"},
		{"event for a namespace not joined", true, []string{`42/x,["a"]`}, "forced server close"},
		{"disconnect for a namespace not joined", true, []string{`41/custom,`}, "forced server close"},
		{"second CONNECT for the same namespace", true, []string{"40"}, "forced server close"},
		{"CONNECT_ERROR from the client", true, []string{`44{"message":"x"}`}, "forced server close"},
		{"CONNECT payload not an object", false, []string{"40[1]"}, ""},
		{"CONNECT payload a string", false, []string{`40/custom,"x"`}, ""},
		{"event before CONNECT", false, []string{`42["message",1]`}, ""},
		{"invalid first packet", false, []string{"4abc"}, ""},
	}
	for _, tr := range transports {
		for _, tc := range tests {
			t.Run(tr+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				e := newSIO(t, core.Config{})
				bystanders := []*eiotest.Conn{e.open("polling"), e.open("websocket")}
				for _, b := range bystanders {
					connect(t, b, "")
				}
				c := e.open(tr)
				var id core.SocketID
				if tc.connected {
					id = connect(t, c, "")
				}
				send(t, c, tc.send...)
				if got := c.WaitClosed(); !closingOnly(got) {
					t.Errorf("received %v before the close", got)
				}
				if tc.connected {
					e.expectReason(id, tc.reason)
				}
				for _, b := range bystanders {
					echoes(t, b)
				}
			})
		}
	}
}

// closingOnly reports whether msgs hold nothing but the packets that end a
// polling session ("6", "1").
func closingOnly(msgs []eiotest.Msg) bool {
	for _, m := range msgs {
		if s := m.String(); s != "6" && s != "1" {
			return false
		}
	}
	return true
}

// TestConnectTimeout: a connection that joins no namespace in time is
// closed; a refused CONNECT does not count as joining, a successful one
// followed by DISCONNECT does.
func TestConnectTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	e := newSIO(t, core.Config{ConnectTimeout: timeout})
	for _, tr := range transports {
		t.Run(tr+"/no CONNECT", func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			c := e.open(tr)
			if got := c.WaitClosed(); !closingOnly(got) {
				t.Errorf("received %v", got)
			}
			if d := time.Since(start); d < timeout {
				t.Errorf("closed after %v, before the connect timeout", d)
			}
		})
		t.Run(tr+"/refused CONNECT", func(t *testing.T) {
			t.Parallel()
			c := e.open(tr)
			c.MustSend("40/random")
			c.Expect(`44/random,{"message":"Invalid namespace"}`)
			if got := c.WaitClosed(); !closingOnly(got) {
				t.Errorf("received %v", got)
			}
		})
		t.Run(tr+"/connected then left", func(t *testing.T) {
			t.Parallel()
			c := e.open(tr)
			id := connect(t, c, "")
			c.MustSend("41")
			e.expectReason(id, "client namespace disconnect")
			// Still open well after the connect timeout: a later CONNECT works.
			select {
			case <-c.Done():
				t.Fatal("connection closed")
			case <-time.After(2 * timeout):
			}
			connect(t, c, "")
		})
	}
}

// TestDisconnectReasons: the reason a server-side socket sees for each way
// a connection ends, on both transports.
func TestDisconnectReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    core.Config
		act    func(t *testing.T, e *sioEnv, c *eiotest.Conn)
		reason string
		// closes: the Engine.IO connection ends; otherwise a new CONNECT
		// must still work on it.
		closes bool
		// frames the client receives before the end, in any order.
		frames []string
	}{
		{
			name:   "client namespace disconnect",
			act:    func(t *testing.T, e *sioEnv, c *eiotest.Conn) { c.MustSend("41") },
			reason: "client namespace disconnect",
		},
		{
			name: "server namespace disconnect",
			act: func(t *testing.T, e *sioEnv, c *eiotest.Conn) {
				c.MustSend(`42["kick"]`)
				c.Expect("41")
			},
			reason: "server namespace disconnect",
		},
		{
			name: "server disconnect with close",
			act: func(t *testing.T, e *sioEnv, c *eiotest.Conn) {
				c.MustSend(`42["kick-all"]`)
			},
			reason: "server namespace disconnect",
			closes: true,
			frames: []string{"41", "41/custom,"},
		},
		{
			name:   "transport close",
			act:    func(t *testing.T, e *sioEnv, c *eiotest.Conn) { c.Drop() },
			reason: "transport close",
			closes: true,
		},
		{
			name:   "forced close",
			act:    func(t *testing.T, e *sioEnv, c *eiotest.Conn) { c.MustSend("4abc") },
			reason: "forced close",
			closes: true,
		},
		{
			name:   "ping timeout",
			cfg:    core.Config{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond},
			act:    func(t *testing.T, e *sioEnv, c *eiotest.Conn) {},
			reason: "ping timeout",
			closes: true,
			frames: []string{"2"},
		},
		{
			name: "transport error",
			cfg:  core.Config{MaxHTTPBufferSize: 1000},
			act: func(t *testing.T, e *sioEnv, c *eiotest.Conn) {
				if p := c.Polling(); p != nil {
					// Two GETs at once: this one and the reader's.
					p.Get()
					return
				}
				c.MustSend("42" + strings.Repeat("x", 1000))
			},
			reason: "transport error",
			closes: true,
		},
		{
			name:   "forced server close",
			act:    func(t *testing.T, e *sioEnv, c *eiotest.Conn) { c.MustSend(`42/x,["a"]`) },
			reason: "forced server close",
			closes: true,
		},
		{
			name: "server shutting down",
			act: func(t *testing.T, e *sioEnv, c *eiotest.Conn) {
				ctx, cancel := context.WithTimeout(context.Background(), eiotest.Wait)
				defer cancel()
				if err := e.srv.Shutdown(ctx); err != nil {
					t.Error(err)
				}
			},
			reason: "server shutting down",
			closes: true,
		},
	}
	for _, tr := range transports {
		for _, tc := range tests {
			t.Run(tr+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				e := newSIO(t, tc.cfg)
				c := e.open(tr)
				main := connect(t, c, "")
				custom := connect(t, c, "/custom")
				var bystander *eiotest.Conn
				if tc.name != "ping timeout" && tc.name != "server shutting down" {
					bystander = e.open(tr)
					connect(t, bystander, "")
				}
				tc.act(t, e, c)
				e.expectReason(main, tc.reason)
				if tc.closes {
					e.expectReason(custom, tc.reason)
					if tc.name != "transport close" {
						var got []string
						for _, m := range c.WaitClosed() {
							if s := m.String(); s != "6" && s != "1" {
								got = append(got, s)
							}
						}
						slices.Sort(got)
						if !slices.Equal(got, tc.frames) && (len(got) > 0 || len(tc.frames) > 0) {
							t.Errorf("frames before the close: %q, want %q", got, tc.frames)
						}
					}
				} else {
					// Only "/" left; "/custom" and the connection remain.
					c.MustSend(`42/custom,["message"]`)
					connect(t, c, "")
					echoes(t, c)
				}
				if bystander != nil {
					echoes(t, bystander)
				}
			})
		}
	}
}

// TestEmitOrder: a socket receives the events emitted to it in order.
func TestEmitOrder(t *testing.T) {
	t.Parallel()
	e := newSIO(t, core.Config{})
	const n = 1000
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			c := e.open(tr)
			connect(t, c, "")
			c.MustSend(fmt.Sprintf(`42["flood",%d]`, n))
			for i := range n {
				c.Expect(fmt.Sprintf(`42["n",%d]`, i))
			}
			echoes(t, c)
		})
	}
}

// TestBroadcast: a broadcast to a room, with rooms excepted, reaches
// exactly the sockets in the room and not in the excepted ones.
func TestBroadcast(t *testing.T) {
	t.Parallel()
	e := newSIO(t, core.Config{})
	type client struct {
		c     *eiotest.Conn
		id    core.SocketID
		rooms []string
	}
	clients := []*client{
		{rooms: []string{"r"}},
		{rooms: []string{"r"}},
		{rooms: []string{"r", "x"}},
		{rooms: []string{"x"}},
		{},
		{rooms: []string{"r"}},
	}
	for i, cl := range clients {
		cl.c = e.open(transports[i%2])
		cl.id = connect(t, cl.c, "")
		for _, r := range cl.rooms {
			cl.c.MustSend(fmt.Sprintf(`421["join",%q]`, r))
			cl.c.Expect("431[]")
		}
	}
	// expect checks that exactly the clients for which want is true got
	// the broadcast; an "end" sent to everyone after it shows that the
	// others got nothing.
	expect := func(t *testing.T, bcast string, want func(i int, cl *client) bool) {
		t.Helper()
		if err := e.srv.Emit("end"); err != nil {
			t.Fatal(err)
		}
		for i, cl := range clients {
			if want(i, cl) {
				cl.c.Expect(bcast)
			}
			cl.c.Expect(`42["end"]`)
		}
	}
	in := func(cl *client, r string) bool { return slices.Contains(cl.rooms, r) }

	t.Run("to r except x", func(t *testing.T) {
		if err := e.srv.To("r").Except("x").Emit("hi", 1); err != nil {
			t.Fatal(err)
		}
		expect(t, `42["hi",1]`, func(_ int, cl *client) bool { return in(cl, "r") && !in(cl, "x") })
	})
	t.Run("to r and x", func(t *testing.T) {
		if err := e.srv.To("r", "x").Emit("hi", 2); err != nil {
			t.Fatal(err)
		}
		expect(t, `42["hi",2]`, func(_ int, cl *client) bool { return in(cl, "r") || in(cl, "x") })
	})
	t.Run("except a socket id", func(t *testing.T) {
		if err := e.srv.Except(core.Room(clients[0].id), "x").Emit("hi", 3); err != nil {
			t.Fatal(err)
		}
		expect(t, `42["hi",3]`, func(i int, cl *client) bool { return i != 0 && !in(cl, "x") })
	})
	t.Run("from a socket to its room", func(t *testing.T) {
		sender := clients[1]
		sender.c.MustSend(`42["to-room","r"]`)
		want := fmt.Sprintf(`42["from",%q]`, sender.id)
		// The event is handled on the sender's reader; its "end" comes
		// after the broadcast once the sender echoed a message.
		echoes(t, sender.c)
		expect(t, want, func(i int, cl *client) bool { return i != 1 && in(cl, "r") })
	})
	t.Run("to a socket id", func(t *testing.T) {
		if err := e.srv.To(core.Room(clients[3].id)).Emit("hi", 4); err != nil {
			t.Fatal(err)
		}
		expect(t, `42["hi",4]`, func(i int, _ *client) bool { return i == 3 })
	})
}

// TestBroadcastMany: a broadcast to more sockets than are written to one
// by one (the frame is queued everywhere, then written) reaches each of
// them once, in order with what is emitted to each socket alone.
func TestBroadcastMany(t *testing.T) {
	t.Parallel()
	e := newSIO(t, core.Config{})
	const clients, rounds = 40, 30
	conns := make([]*eiotest.Conn, clients)
	socks := make([]*core.Socket, clients)
	for i := range conns {
		conns[i] = e.open(transports[i%2])
		id := connect(t, conns[i], "")
		conns[i].MustSend(`421["join","many"]`)
		conns[i].Expect("431[]")
		socks[i] = e.socket(id)
	}
	for r := range rounds {
		if err := e.srv.To("many").Emit("b", r); err != nil {
			t.Fatal(err)
		}
		for i, s := range socks {
			if err := s.Emit("d", r, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, c := range conns {
		for r := range rounds {
			if err := c.ExpectErr(fmt.Sprintf(`42["b",%d]`, r), fmt.Sprintf(`42["d",%d,%d]`, r, i)); err != nil {
				t.Fatalf("client %d (%s), round %d: %v", i, c.Transport, r, err)
			}
		}
		echoes(t, c)
	}
}

// TestVolatile: a volatile packet is dropped for a client whose transport
// cannot take it at once, and normal packets are never lost.
func TestVolatile(t *testing.T) {
	t.Parallel()
	e := newSIO(t, core.Config{})

	t.Run("polling without a pending GET", func(t *testing.T) {
		t.Parallel()
		p := eiotest.Handshake(t, e.HTTP, e.Base)
		if res := p.Post("40"); res.Status != 200 {
			t.Fatal(res)
		}
		res := p.Get()
		parts := strings.Split(res.Body, "\x1e")
		if len(parts) != 2 || parts[1] != `42["auth",{}]` {
			t.Fatalf("GET: %v", res)
		}
		m := connectReply.FindStringSubmatch(parts[0])
		if m == nil {
			t.Fatalf("GET: %v", res)
		}
		s := e.socket(core.SocketID(m[2]))
		_ = s.Emit("a")
		_ = e.srv.To(core.Room(s.ID())).Volatile().Emit("v")
		_ = s.Emit("b")
		if res := p.Get(); res.Body != `42["a"]`+"\x1e"+`42["b"]` {
			t.Fatalf("GET: %v, want a and b only", res)
		}
	})

	t.Run("websocket while a write is in flight", func(t *testing.T) {
		t.Parallel()
		c, err := eiotest.OpenErr(t, e.HTTP, e.Base, "websocket", eiotest.Options{Manual: true})
		if err != nil {
			t.Fatal(err)
		}
		c.MustSend("40")
		m := connectReply.FindStringSubmatch(c.ReadDirect().String())
		if m == nil {
			t.Fatal("no CONNECT answer")
		}
		if got := c.ReadDirect().String(); got != `42["auth",{}]` {
			t.Fatalf("got %q", got)
		}
		s := e.socket(core.SocketID(m[2]))
		// More than the socket buffers hold: the write stays in flight
		// until the client reads.
		big := strings.Repeat("x", 32<<20)
		_ = s.Emit("big", big)
		_ = e.srv.To(core.Room(s.ID())).Volatile().Emit("v")
		_ = s.Emit("c")
		c.StartReader()
		if got := c.Next().String(); got != `42["big","`+big+`"]` {
			t.Fatalf("got %d bytes: %.60q…", len(got), got)
		}
		c.Expect(`42["c"]`)
		echoes(t, c)
	})

	for _, tr := range transports {
		t.Run(tr+"/delivered to an idle client", func(t *testing.T) {
			t.Parallel()
			c := e.open(tr)
			connect(t, c, "")
			// The client may be busy by chance (a GET not parked yet, a
			// write finishing); an idle moment comes within a few tries.
			for try := 0; ; try++ {
				c.MustSend(`42["volatile"]`)
				got := c.Next().String()
				if got == `42["v"]` {
					c.Expect(`42["done"]`)
					return
				}
				if got != `42["done"]` {
					t.Fatalf("got %q", got)
				}
				if try == 100 {
					t.Fatal("volatile packet never delivered")
				}
				// Back off a little more each time: on a loaded machine the
				// client's next GET may need a moment to be parked.
				time.Sleep(time.Duration(try) * time.Millisecond)
			}
		})
	}
}

// TestShutdownManySockets: Shutdown disconnects 1000 sockets on both
// transports with "server shutting down" and leaves no goroutine of the
// server behind. It runs alone, to see the server's goroutines.
func TestShutdownManySockets(t *testing.T) {
	before := goleak.IgnoreCurrent()
	const n = 1000
	e := newSIO(t, core.Config{})
	conns := make([]*eiotest.Conn, n)
	ids := make([]core.SocketID, n)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	work := make(chan int)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c, err := eiotest.OpenErr(t, e.HTTP, e.Base, transports[i%2], eiotest.Options{})
				if err == nil {
					err = c.Send("40")
				}
				if err == nil {
					var m eiotest.Msg
					if m, err = c.NextErr(eiotest.Wait); err == nil {
						if sm := connectReply.FindStringSubmatch(m.String()); sm != nil {
							ids[i] = core.SocketID(sm[2])
						} else {
							err = fmt.Errorf("CONNECT answer %v", m)
						}
					}
				}
				if err == nil {
					err = c.ExpectErr(`42["auth",{}]`)
				}
				conns[i] = c
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("client %d: %w", i, err))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d clients failed, first: %v", len(errs), errs[0])
	}
	if got := len(e.srv.Sockets().Sockets()); got != n {
		t.Fatalf("%d sockets connected, want %d", got, n)
	}

	// The parked GETs of the polling half are server goroutines, so the
	// check after Shutdown can see such goroutines (idle WebSockets have
	// none on Linux; a few polls may be between two requests).
	if g := serverGoroutines(); len(g) < n/4 {
		t.Fatalf("%d server goroutines before Shutdown, want at least %d", len(g), n/4)
	}

	ctx, cancel := context.WithTimeout(context.Background(), eiotest.Wait)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, id := range ids {
		counts[e.reason(id)]++
	}
	if counts["server shutting down"] != n {
		t.Errorf("disconnect reasons %v, want %d × server shutting down", counts, n)
	}
	if err := waitNoServerGoroutine(); err != nil {
		t.Error(err)
	}
	for _, c := range conns {
		select {
		case <-c.Done():
		case <-time.After(eiotest.Wait):
			t.Fatalf("%s client %s still open after Shutdown", c.Transport, c.SID)
		}
		c.Close()
	}
	e.hs.Close()
	e.HTTP.CloseIdleConnections()
	if err := goleak.Find(before); err != nil {
		t.Error(err)
	}
}

var serverFunc = regexp.MustCompile(`^github\.com/go-sio/sio/core(/engineio)?\.`)

// inServerCode reports whether a goroutine's stack has a frame in a
// non-test file of the server packages.
func inServerCode(stack string) bool {
	lines := strings.Split(stack, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !serverFunc.MatchString(lines[i]) {
			continue
		}
		file, _, _ := strings.Cut(strings.TrimSpace(lines[i+1]), ":")
		if !strings.HasSuffix(file, "_test.go") {
			return true
		}
	}
	return false
}

// serverGoroutines returns the stacks of the goroutines in server code.
func serverGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if inServerCode(g) {
			out = append(out, g)
		}
	}
	return out
}

// waitNoServerGoroutine waits, up to a deadline, until no goroutine runs
// code of the server packages.
func waitNoServerGoroutine() error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		left := serverGoroutines()
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d server goroutines left after Shutdown, first:\n%s", len(left), left[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
