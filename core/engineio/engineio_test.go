package engineio_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-sio/sio/core/engineio"
	"github.com/go-sio/sio/internal/eiotest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Heartbeat settings of the official test suite, for tests where timing
// matters; the others keep the 25s default so that no ping shows up.
const (
	suiteInterval = 300 * time.Millisecond
	suiteTimeout  = 200 * time.Millisecond
)

// env is an Engine.IO server on /engine.io/ whose sessions echo every
// message and record how they closed.
type env struct {
	t    *testing.T
	srv  *engineio.Server
	hs   *httptest.Server
	Base string // http://host/engine.io/
	HTTP *http.Client

	mu       sync.Mutex
	sessions map[string]*rec
	// arrivals receives every request on a session as it enters the server.
	arrivals chan arrival
}

type arrival struct{ method, sid string }

// rec is the handler of one session: it echoes, and records OnClose.
type rec struct {
	sess   *engineio.Session
	closed chan struct{}
	// echo is off for sessions whose test sends by itself.
	mute atomic.Bool

	mu      sync.Mutex
	reasons []string
}

func (r *rec) OnMessage(data []byte, binary bool) {
	if r.mute.Load() {
		return
	}
	if binary {
		_ = r.sess.Send(engineio.Frame{Data: data, Binary: true})
		return
	}
	_ = r.sess.Send(engineio.Frame{Data: append([]byte{'4'}, data...)})
}

func (r *rec) OnClose(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reasons = append(r.reasons, reason)
	if len(r.reasons) == 1 {
		close(r.closed)
	}
}

// waitClose waits for OnClose and returns its reason.
func (r *rec) waitClose(t *testing.T) string {
	t.Helper()
	select {
	case <-r.closed:
	case <-time.After(eiotest.Wait):
		t.Fatalf("session %s not closed within %v", r.sess.ID(), eiotest.Wait)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reasons[0]
}

// isOpen reports whether OnClose has not been called.
func (r *rec) isOpen() bool {
	select {
	case <-r.closed:
		return false
	default:
		return true
	}
}

func newEnv(t *testing.T, cfg engineio.Config) *env {
	t.Helper()
	e := &env{t: t, sessions: make(map[string]*rec), arrivals: make(chan arrival, 64)}
	cfg.OnSession = func(s *engineio.Session) {
		r := &rec{sess: s, closed: make(chan struct{})}
		s.SetHandler(r)
		e.mu.Lock()
		e.sessions[s.ID()] = r
		e.mu.Unlock()
	}
	srv, err := engineio.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sid := r.URL.Query().Get("sid"); sid != "" {
			select {
			case e.arrivals <- arrival{r.Method, sid}:
			default:
			}
		}
		srv.ServeHTTP(w, r)
	}))
	e.hs = httptest.NewServer(mux)
	e.Base = e.hs.URL + "/engine.io/"
	e.HTTP = eiotest.NewHTTPClient(t)
	t.Cleanup(e.hs.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), eiotest.Wait)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		for id, r := range e.sessions {
			r.mu.Lock()
			if len(r.reasons) > 1 {
				t.Errorf("session %s: OnClose called %d times: %q", id, len(r.reasons), r.reasons)
			}
			r.mu.Unlock()
		}
	})
	return e
}

// session returns the handler of the session with this id.
func (e *env) session(sid string) *rec {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.sessions[sid]
	if r == nil {
		e.t.Fatalf("no session %q", sid)
	}
	return r
}

// parkGet sends a GET that the server will park, and returns once the
// request reached the server (it is then about to park: there is no way
// to observe the parking itself, so callers accept a request that lost
// that last race where it matters).
func (e *env) parkGet(p *eiotest.Polling) <-chan eiotest.Result {
	e.t.Helper()
	ch := p.GetAsync()
	e.arrived(http.MethodGet, p.SID)
	return ch
}

// arrived waits until a request reached the server.
func (e *env) arrived(method, sid string) {
	e.t.Helper()
	deadline := time.After(eiotest.Wait)
	for {
		select {
		case a := <-e.arrivals:
			if a == (arrival{method, sid}) {
				return
			}
		case <-deadline:
			e.t.Fatalf("%s did not reach the server", method)
		}
	}
}

func (e *env) handshake() (*eiotest.Polling, *rec) {
	e.t.Helper()
	p := eiotest.Handshake(e.t, e.HTTP, e.Base)
	return p, e.session(p.SID)
}

func (e *env) openWS() (*eiotest.Conn, *rec) {
	e.t.Helper()
	c := eiotest.Open(e.t, e.HTTP, e.Base, engineio.WebSocket)
	return c, e.session(c.SID)
}

// openStalled opens a WebSocket session whose client never reads.
func (e *env) openStalled() *rec {
	e.t.Helper()
	c, err := eiotest.OpenErr(e.t, e.HTTP, e.Base, engineio.WebSocket, eiotest.Options{Manual: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.session(c.SID)
}

// bigFrame is a 64 KiB message: a few fill a socket that is not read.
func bigFrame() engineio.Frame {
	return engineio.Frame{Data: []byte("4" + strings.Repeat("x", 64<<10))}
}

// bystander opens a polling and a WebSocket session; the returned check
// fails the test unless both still echo. Tests that feed a session bad
// input use it to show that other sessions do not suffer.
func (e *env) bystander() (check func()) {
	e.t.Helper()
	p, pr := e.handshake()
	ws, wr := e.openWS()
	return func() {
		e.t.Helper()
		if res := p.Post("4still here"); res.Status != 200 {
			e.t.Fatalf("bystander POST: %v", res)
		}
		if res := p.Get(); res.Body != "4still here" {
			e.t.Fatalf("bystander GET: %v", res)
		}
		ws.MustSend("4still here")
		ws.Expect("4still here")
		if !pr.isOpen() || !wr.isOpen() {
			e.t.Fatal("a bystander session was closed")
		}
	}
}

func errorBody(code int, msg string) string {
	return fmt.Sprintf(`{"code":%d,"message":%q}`, code, msg)
}

// expectUnknownSID fails unless the session is gone for the server.
func expectUnknownSID(t *testing.T, p *eiotest.Polling) {
	t.Helper()
	res := p.Get()
	if res.Status != 400 || res.Body != errorBody(1, "Session ID unknown") {
		t.Fatalf("GET on a closed session: %v, want 400 code 1", res)
	}
}

func expectResponse(t *testing.T, what string, got eiotest.Response, status int, body string) {
	t.Helper()
	if got.Status != status || got.Body != body {
		t.Fatalf("%s: got %v, want %d %q", what, got, status, body)
	}
}

func openPattern(upgrades string) *regexp.Regexp {
	return regexp.MustCompile(`^0\{"sid":"[A-Za-z0-9_-]{20}","upgrades":` + regexp.QuoteMeta(upgrades) +
		`,"pingInterval":300,"pingTimeout":200,"maxPayload":1000000\}$`)
}

func TestHandshake(t *testing.T) {
	t.Parallel()
	suite := engineio.Config{PingInterval: suiteInterval, PingTimeout: suiteTimeout, MaxPayload: 1e6}
	noUpgrades := suite
	noUpgrades.DisableUpgrades = true
	pollingOnly := suite
	pollingOnly.Transports = []string{engineio.Polling}
	tests := []struct {
		name      string
		cfg       engineio.Config
		transport string
		upgrades  string
	}{
		{"polling offers websocket", suite, engineio.Polling, `["websocket"]`},
		{"websocket offers nothing", suite, engineio.WebSocket, `[]`},
		{"polling without upgrades", noUpgrades, engineio.Polling, `[]`},
		{"polling only server", pollingOnly, engineio.Polling, `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.cfg)
			c := eiotest.Open(t, e.HTTP, e.Base, tc.transport)
			if !openPattern(tc.upgrades).MatchString(c.Open) {
				t.Fatalf("open packet %q: want keys sid, upgrades %s, pingInterval, pingTimeout, maxPayload in that order", c.Open, tc.upgrades)
			}
			if e.srv.Session(c.SID) == nil {
				t.Fatalf("Session(%q) = nil", c.SID)
			}
		})
	}

	t.Run("polling headers", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, suite)
		res := eiotest.MustDo(t, e.HTTP, "GET", e.Base+"?EIO=4&transport=polling", "", nil)
		if res.Status != 200 {
			t.Fatalf("status %d", res.Status)
		}
		for k, want := range map[string]string{
			"Content-Type":   "text/plain; charset=UTF-8",
			"Cache-Control":  "no-store",
			"Content-Length": strconv.Itoa(len(res.Body)),
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("%s: got %q, want %q", k, got, want)
			}
		}
		for k := range res.Header {
			if strings.HasPrefix(k, "Access-Control-") || k == "Set-Cookie" {
				t.Errorf("unexpected header %s: %q", k, res.Header.Get(k))
			}
		}
	})

	t.Run("distinct ids", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{})
		seen := map[string]bool{}
		for range 20 {
			p := eiotest.Handshake(t, e.HTTP, e.Base)
			if seen[p.SID] {
				t.Fatalf("sid %q given twice", p.SID)
			}
			seen[p.SID] = true
		}
	})
}

func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{AllowRequest: func(r *engineio.Request) error {
		if v := r.Header.Get("X-Deny"); v != "" {
			return fmt.Errorf("%s", v)
		}
		return nil
	}})
	check := e.bystander()
	tests := []struct {
		name   string
		method string
		query  string
		header http.Header
		status int
		body   string
	}{
		{"no transport", "GET", "?EIO=4", nil, 400, errorBody(0, "Transport unknown")},
		{"unknown transport", "GET", "?EIO=4&transport=abc", nil, 400, errorBody(0, "Transport unknown")},
		{"unknown transport before version", "GET", "?transport=abc", nil, 400, errorBody(0, "Transport unknown")},
		{"unknown sid", "GET", "?EIO=4&transport=polling&sid=nope", nil, 400, errorBody(1, "Session ID unknown")},
		{"unknown sid on POST", "POST", "?EIO=4&transport=polling&sid=nope", nil, 400, errorBody(1, "Session ID unknown")},
		{"POST handshake", "POST", "?EIO=4&transport=polling", nil, 400, errorBody(2, "Bad handshake method")},
		{"PUT handshake", "PUT", "?EIO=4&transport=polling", nil, 400, errorBody(2, "Bad handshake method")},
		{"websocket transport without upgrade", "GET", "?EIO=4&transport=websocket", nil, 400, errorBody(3, "Bad request")},
		{"refused by AllowRequest", "GET", "?EIO=4&transport=polling", http.Header{"X-Deny": {"denied by test"}}, 403, errorBody(4, "denied by test")},
		{"AllowRequest text is JSON-escaped", "GET", "?EIO=4&transport=polling", http.Header{"X-Deny": {`say "no"`}}, 403, `{"code":4,"message":"say \"no\""}`},
		{"no EIO", "GET", "?transport=polling", nil, 400, errorBody(5, "Unsupported protocol version")},
		{"EIO=3", "GET", "?EIO=3&transport=polling", nil, 400, errorBody(5, "Unsupported protocol version")},
		{"EIO=5", "GET", "?EIO=5&transport=polling", nil, 400, errorBody(5, "Unsupported protocol version")},
		{"EIO=abc", "GET", "?EIO=abc&transport=polling", nil, 400, errorBody(5, "Unsupported protocol version")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := eiotest.MustDo(t, e.HTTP, tc.method, e.Base+tc.query, "", tc.header)
			expectResponse(t, tc.method+" "+tc.query, res, tc.status, tc.body)
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
		})
	}
	if n := e.srv.Len(); n != 2 {
		t.Errorf("%d sessions, want the 2 bystanders only", n)
	}
	check()
}

// TestWebSocketRefusal: a refused WebSocket upgrade gets the reference
// server's raw answer, a text/html 400 with the bare message.
func TestWebSocketRefusal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})
	tests := []struct {
		name  string
		query string
		body  string
	}{
		{"no transport", "?EIO=4", "Transport unknown"},
		{"unknown transport", "?EIO=4&transport=abc", "Transport unknown"},
		{"unknown sid", "?EIO=4&transport=websocket&sid=nope", "Session ID unknown"},
		{"no EIO", "?transport=websocket", "Unsupported protocol version"},
		{"EIO=3", "?EIO=3&transport=websocket", "Unsupported protocol version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, res, err := eiotest.Dial(t, e.Base+tc.query, nil)
			if err == nil {
				w.Close()
				t.Fatal("upgrade accepted")
			}
			if res == nil {
				t.Fatalf("no HTTP answer: %v", err)
			}
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 400 || string(b) != tc.body {
				t.Fatalf("got %d %q, want 400 %q", res.StatusCode, b, tc.body)
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/html" {
				t.Errorf("Content-Type %q, want text/html", ct)
			}
		})
	}
}

func TestPollingMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})
	tests := []struct {
		name string
		post string
		get  string
	}{
		{"one message", "4hello", "4hello"},
		{"batch of three in one GET", "4test1\x1e4test2\x1e4test3", "4test1\x1e4test2\x1e4test3"},
		{"text and base64 binary", "4hello\x1ebAQIDBA==", "4hello\x1ebAQIDBA=="},
		{"empty message and empty binary", "4\x1eb", "4\x1eb"},
		{"utf-8", "4é😀\u2028", "4é😀\u2028"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, _ := e.handshake()
			res := p.Post(tc.post)
			expectResponse(t, "POST", res, 200, "ok")
			if ct := res.Header.Get("Content-Type"); ct != "text/html" {
				t.Errorf("POST Content-Type %q, want text/html", ct)
			}
			res = p.Get()
			expectResponse(t, "GET", res, 200, tc.get)
			if ct := res.Header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
				t.Errorf("GET Content-Type %q", ct)
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("GET Cache-Control %q", cc)
			}
		})
	}

	t.Run("server batch", func(t *testing.T) {
		t.Parallel()
		p, r := e.handshake()
		if err := r.sess.Send(
			engineio.Frame{Data: []byte("4a")},
			engineio.Frame{Data: []byte{1, 2, 3}, Binary: true},
		); err != nil {
			t.Fatal(err)
		}
		if err := r.sess.Send(engineio.Frame{Data: []byte("4b")}); err != nil {
			t.Fatal(err)
		}
		expectResponse(t, "GET", p.Get(), 200, "4a\x1ebAQID\x1e4b")
	})

	t.Run("parked GET released by a send", func(t *testing.T) {
		t.Parallel()
		p, r := e.handshake()
		r.mute.Store(true)
		get := p.GetAsync()
		if err := r.sess.Send(engineio.Frame{Data: []byte("4late")}); err != nil {
			t.Fatal(err)
		}
		expectResponse(t, "GET", eiotest.Recv(t, get), 200, "4late")
	})
}

// TestPollingCompression: like Node's httpCompression, a GET body of 1024
// bytes or more is compressed for a client that accepts it.
func TestPollingCompression(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})
	big := "4" + strings.Repeat("abc", 400)
	tests := []struct {
		name   string
		accept string
		msg    string
		want   string // Content-Encoding
	}{
		{"gzip", "gzip, deflate, br", big, "gzip"},
		{"deflate only", "deflate", big, "deflate"},
		{"gzip refused", "gzip;q=0, deflate", big, "deflate"},
		{"no Accept-Encoding", "", big, ""},
		{"small body", "gzip", "4small", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, _ := e.handshake()
			expectResponse(t, "POST", p.Post(tc.msg), 200, "ok")
			var h http.Header
			if tc.accept != "" {
				h = http.Header{"Accept-Encoding": {tc.accept}}
			}
			res := p.Do("GET", "", h)
			if got := res.Header.Get("Content-Encoding"); got != tc.want {
				t.Fatalf("Content-Encoding %q, want %q", got, tc.want)
			}
			body := res.Body
			switch tc.want {
			case "gzip":
				zr, err := gzip.NewReader(strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(zr)
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			case "deflate":
				b, err := io.ReadAll(flate.NewReader(strings.NewReader(body)))
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			}
			if body != tc.msg {
				t.Fatalf("body %.40q…, want %.40q…", body, tc.msg)
			}
			if cl := res.Header.Get("Content-Length"); cl != strconv.Itoa(len(res.Body)) {
				t.Errorf("Content-Length %s for %d bytes", cl, len(res.Body))
			}
		})
	}
}

// TestPollingBadRequests: each bad request gets the reference answer,
// closes its session or not as the reference does, and leaves other
// sessions alone.
func TestPollingBadRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// do sends the bad request and checks its answer.
		do     func(t *testing.T, p *eiotest.Polling)
		reason string // "" = the session must survive
	}{
		{
			name: "octet-stream POST",
			do: func(t *testing.T, p *eiotest.Polling) {
				res := p.Do("POST", "4hello", http.Header{"Content-Type": {"application/octet-stream"}})
				expectResponse(t, "POST", res, 400, "")
			},
			reason: "transport error",
		},
		{
			name: "invalid packet",
			do: func(t *testing.T, p *eiotest.Polling) {
				expectResponse(t, "POST", p.Post("abc"), 200, "ok")
			},
			reason: "parse error",
		},
		{
			name: "invalid packet after a valid one",
			do: func(t *testing.T, p *eiotest.Polling) {
				expectResponse(t, "POST", p.Post("4a\x1e9\x1e4b"), 200, "ok")
			},
			reason: "parse error",
		},
		{
			name: "invalid base64",
			do: func(t *testing.T, p *eiotest.Polling) {
				expectResponse(t, "POST", p.Post("b!!!"), 200, "ok")
			},
			reason: "parse error",
		},
		{
			name: "ping from the client",
			do: func(t *testing.T, p *eiotest.Polling) {
				expectResponse(t, "POST", p.Post("2"), 200, "ok")
			},
			reason: "transport error",
		},
		{
			name: "PUT on the session",
			do: func(t *testing.T, p *eiotest.Polling) {
				expectResponse(t, "PUT", p.Do("PUT", "4x", nil), 500, "")
			},
		},
		{
			name: "DELETE on the session",
			do: func(t *testing.T, p *eiotest.Polling) {
				expectResponse(t, "DELETE", p.Do("DELETE", "", nil), 500, "")
			},
		},
		{
			name: "POST over MaxPayload",
			do: func(t *testing.T, p *eiotest.Polling) {
				expectResponse(t, "POST", p.Post("4"+strings.Repeat("x", 100)), 413, "")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engineio.Config{MaxPayload: 100})
			check := e.bystander()
			p, r := e.handshake()
			tc.do(t, p)
			if tc.reason == "" {
				expectResponse(t, "POST after", p.Post("4kept"), 200, "ok")
				expectResponse(t, "GET after", p.Get(), 200, "4kept")
				if !r.isOpen() {
					t.Fatal("session closed")
				}
			} else {
				if got := r.waitClose(t); got != tc.reason {
					t.Errorf("close reason %q, want %q", got, tc.reason)
				}
				expectUnknownSID(t, p)
			}
			check()
		})
	}
}

// TestPollingAbortedRequests: a client that drops a request ends its
// session ("transport error"), and so does a POST sent while another is
// still being read (Node: "data request overlap from client").
func TestPollingAbortedRequests(t *testing.T) {
	t.Parallel()

	t.Run("parked GET dropped", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{})
		check := e.bystander()
		p, r := e.handshake()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := eiotest.Do(ctx, e.HTTP, "GET", p.URL("polling"), "", nil)
			done <- err
		}()
		e.arrived(http.MethodGet, p.SID)
		cancel()
		<-done
		if got := r.waitClose(t); got != "transport error" {
			t.Errorf("close reason %q, want transport error", got)
		}
		expectUnknownSID(t, p)
		check()
	})

	t.Run("POST while another is being read", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{})
		check := e.bystander()
		p, r := e.handshake()
		body, feed := io.Pipe()
		first := make(chan eiotest.Result, 1)
		go func() {
			req, err := http.NewRequest("POST", p.URL("polling"), body)
			if err != nil {
				first <- eiotest.Result{Err: err}
				return
			}
			res, err := e.HTTP.Do(req)
			if err != nil {
				first <- eiotest.Result{Err: err}
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			first <- eiotest.Result{Response: eiotest.Response{Status: res.StatusCode, Body: string(b)}}
		}()
		if _, err := feed.Write([]byte("4a")); err != nil {
			t.Fatal(err)
		}
		e.arrived(http.MethodPost, p.SID)
		second := p.Post("4b")
		feed.Close()
		<-first
		expectResponse(t, "overlapping POST", second, 400, "")
		if got := r.waitClose(t); got != "transport error" {
			t.Errorf("close reason %q, want transport error", got)
		}
		expectUnknownSID(t, p)
		check()
	})
}

// TestPollingOverlappingGet: a second GET while one is parked gets 400,
// the parked one gets a close packet, and the session is over.
func TestPollingOverlappingGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})
	check := e.bystander()
	p, r := e.handshake()
	first := e.parkGet(p)
	second := p.GetAsync()
	answers := []eiotest.Response{eiotest.Recv(t, first), eiotest.Recv(t, second)}
	// Which GET the server saw first is up to the network; one must be the
	// parked one answered "1", the other the overlap answered 400.
	slices.SortFunc(answers, func(a, b eiotest.Response) int { return a.Status - b.Status })
	expectResponse(t, "parked GET", answers[0], 200, "1")
	expectResponse(t, "overlapping GET", answers[1], 400, "")
	if got := r.waitClose(t); got != "transport error" {
		t.Errorf("close reason %q, want transport error", got)
	}
	expectUnknownSID(t, p)
	check()
}

// TestPollingClientClose: a close packet releases the parked GET with a
// noop and ends the session.
func TestPollingClientClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})
	check := e.bystander()
	p, r := e.handshake()
	get := e.parkGet(p)
	expectResponse(t, "POST 1", p.Post("1"), 200, "ok")
	expectResponse(t, "parked GET", eiotest.Recv(t, get), 200, "6")
	if got := r.waitClose(t); got != "transport close" {
		t.Errorf("close reason %q, want transport close", got)
	}
	expectUnknownSID(t, p)
	check()
}

// TestPollingServerClose: Session.Close delivers what is queued, then a
// close packet.
func TestPollingServerClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})

	t.Run("parked GET gets 1", func(t *testing.T) {
		t.Parallel()
		p, r := e.handshake()
		get := e.parkGet(p)
		// The GET may not be parked yet when Close runs: then it finds
		// the session closing and gets the deferred "6\x1e1".
		r.sess.Close()
		res := eiotest.Recv(t, get)
		if res.Status != 200 || (res.Body != "1" && res.Body != "6\x1e1") {
			t.Fatalf("GET: %v, want 200 \"1\"", res)
		}
		if got := r.waitClose(t); got != "forced close" {
			t.Errorf("close reason %q", got)
		}
		expectUnknownSID(t, p)
	})
	t.Run("no GET: the next one gets noop and close", func(t *testing.T) {
		t.Parallel()
		p, r := e.handshake()
		r.sess.Close()
		expectResponse(t, "GET", p.Get(), 200, "6\x1e1")
		expectUnknownSID(t, p)
	})
	t.Run("queued packets first", func(t *testing.T) {
		t.Parallel()
		p, r := e.handshake()
		if err := r.sess.Send(engineio.Frame{Data: []byte("4bye")}); err != nil {
			t.Fatal(err)
		}
		r.sess.Close()
		if err := r.sess.Send(engineio.Frame{Data: []byte("4too late")}); err == nil {
			t.Error("Send after Close succeeded")
		}
		expectResponse(t, "GET 1", p.Get(), 200, "4bye")
		expectResponse(t, "GET 2", p.Get(), 200, "6\x1e1")
		expectUnknownSID(t, p)
	})
}

func TestHeartbeatPolling(t *testing.T) {
	t.Parallel()

	t.Run("pings every interval, pongs re-arm", func(t *testing.T) {
		t.Parallel()
		// The next ping is due an interval after the pong, not after the
		// previous ping: with a timeout shorter than the interval, a timer
		// left running from the ping would ping too early. Three rounds
		// outlast interval+timeout, so the session survives only if each
		// pong cancels the timeout.
		const interval, timeout = 400 * time.Millisecond, 300 * time.Millisecond
		e := newEnv(t, engineio.Config{PingInterval: interval, PingTimeout: timeout})
		start := time.Now()
		p, r := e.handshake()
		for i := range 3 {
			res := p.Get()
			expectResponse(t, fmt.Sprintf("GET %d", i), res, 200, "2")
			if d := time.Since(start); d < interval {
				t.Fatalf("ping %d came %v after the handshake or pong, before the interval", i, d)
			}
			start = time.Now()
			expectResponse(t, "POST 3", p.Post("3"), 200, "ok")
		}
		if !r.isOpen() {
			t.Fatal("session closed although every ping got its pong")
		}
	})

	t.Run("no pong closes by interval plus timeout", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{PingInterval: suiteInterval, PingTimeout: suiteTimeout})
		start := time.Now()
		p, r := e.handshake()
		if got := r.waitClose(t); got != "ping timeout" {
			t.Errorf("close reason %q, want ping timeout", got)
		}
		elapsed := time.Since(start)
		if elapsed < suiteInterval+suiteTimeout || elapsed > suiteInterval+suiteTimeout+time.Second {
			t.Errorf("closed after %v, want about %v", elapsed, suiteInterval+suiteTimeout)
		}
		expectUnknownSID(t, p)
	})

	t.Run("parked GET after the ping gets a close packet", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{PingInterval: suiteInterval, PingTimeout: suiteTimeout})
		p, r := e.handshake()
		expectResponse(t, "GET", p.Get(), 200, "2")
		get := e.parkGet(p)
		if got := r.waitClose(t); got != "ping timeout" {
			t.Errorf("close reason %q", got)
		}
		expectResponse(t, "parked GET", eiotest.Recv(t, get), 200, "1")
	})
}

func TestHeartbeatWebSocket(t *testing.T) {
	t.Parallel()

	t.Run("pings every interval, pongs re-arm", func(t *testing.T) {
		t.Parallel()
		const interval, timeout = 400 * time.Millisecond, 300 * time.Millisecond
		e := newEnv(t, engineio.Config{PingInterval: interval, PingTimeout: timeout})
		start := time.Now()
		c, r := e.openWS()
		for i := range 3 {
			c.Expect("2")
			if d := time.Since(start); d < interval {
				t.Fatalf("ping %d came %v after the handshake or pong, before the interval", i, d)
			}
			start = time.Now()
			c.MustSend("3")
		}
		c.MustSend("4alive")
		for m := c.Next(); m.String() != "4alive"; m = c.Next() {
			if m.String() != "2" {
				t.Fatalf("got %v", m)
			}
			c.MustSend("3")
		}
		if !r.isOpen() {
			t.Fatal("session closed")
		}
	})

	t.Run("no pong closes by interval plus timeout", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{PingInterval: suiteInterval, PingTimeout: suiteTimeout})
		start := time.Now()
		c, r := e.openWS()
		if got := r.waitClose(t); got != "ping timeout" {
			t.Errorf("close reason %q, want ping timeout", got)
		}
		elapsed := time.Since(start)
		if elapsed < suiteInterval+suiteTimeout || elapsed > suiteInterval+suiteTimeout+time.Second {
			t.Errorf("closed after %v, want about %v", elapsed, suiteInterval+suiteTimeout)
		}
		if got := c.WaitClosed(); len(got) != 1 || got[0].String() != "2" {
			t.Errorf("frames before the close: %v, want one ping", got)
		}
	})
}

func TestWebSocketMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{MaxPayload: 1000})
	c, _ := e.openWS()
	c.MustSend("4hello")
	c.Expect("4hello")
	c.MustSendBinary([]byte{1, 2, 3, 4})
	c.Expect("<bin 01020304>")
	c.MustSendBinary(nil)
	c.Expect("<bin >")
	c.MustSend("4")
	c.Expect("4")
	c.MustSend("4é😀")
	c.Expect("4é😀")
	c.MustSend("4" + strings.Repeat("x", 999))
	c.Expect("4" + strings.Repeat("x", 999))

	t.Run("server frames", func(t *testing.T) {
		c, r := e.openWS()
		r.mute.Store(true)
		if err := r.sess.Send(
			engineio.Frame{Data: []byte("4a")},
			engineio.Frame{Data: []byte{9}, Binary: true},
			engineio.Frame{Data: []byte("4b")},
		); err != nil {
			t.Fatal(err)
		}
		c.Expect("4a", "<bin 09>", "4b")
	})
}

// TestWebSocketBadInput: input that ends a WebSocket session, and the
// reason its handler sees; other sessions are unaffected.
func TestWebSocketBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		send   func(c *eiotest.Conn)
		reason string
	}{
		{"text frame over MaxPayload", func(c *eiotest.Conn) { c.MustSend("4" + strings.Repeat("x", 1000)) }, "transport error"},
		{"binary frame over MaxPayload", func(c *eiotest.Conn) { c.MustSendBinary(make([]byte, 1001)) }, "transport error"},
		{"invalid packet", func(c *eiotest.Conn) { c.MustSend("abc") }, "parse error"},
		{"empty text frame", func(c *eiotest.Conn) { c.MustSend("") }, "parse error"},
		{"ping from the client", func(c *eiotest.Conn) { c.MustSend("2") }, "transport error"},
		{"close packet", func(c *eiotest.Conn) { c.MustSend("1") }, "transport close"},
		{"client goes away", func(c *eiotest.Conn) { c.Drop() }, "transport close"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engineio.Config{MaxPayload: 1000})
			check := e.bystander()
			c, r := e.openWS()
			tc.send(c)
			if got := r.waitClose(t); got != tc.reason {
				t.Errorf("close reason %q, want %q", got, tc.reason)
			}
			if tc.name != "client goes away" {
				c.WaitClosed()
			}
			if e.srv.Session(c.SID) != nil {
				t.Error("closed session still listed")
			}
			check()
		})
	}
}

// upgrade runs the client side of a polling to WebSocket upgrade up to the
// probe: it returns the candidate WebSocket after 3probe.
func probe(t *testing.T, p *eiotest.Polling) *eiotest.WS {
	t.Helper()
	w := eiotest.MustDial(t, p.WSURL(), nil)
	w.Text("2probe")
	w.Expect("3probe")
	return w
}

func TestUpgrade(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})
	p, r := e.handshake()
	r.mute.Store(true)
	parked := e.parkGet(p)
	w := probe(t, p)
	// The parked GET is released with a noop so the client can pause.
	expectResponse(t, "parked GET", eiotest.Recv(t, parked), 200, "6")
	if tr := r.sess.Transport(); tr != engineio.Polling {
		t.Fatalf("transport %q before the upgrade packet", tr)
	}
	// Queued during the upgrade: delivered on the WebSocket once switched.
	for i := range 3 {
		if err := r.sess.Send(engineio.Frame{Data: []byte("4queued" + strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	w.Text("5")
	w.Expect("4queued0", "4queued1", "4queued2")
	if tr := r.sess.Transport(); tr != engineio.WebSocket {
		t.Fatalf("transport %q after the upgrade", tr)
	}
	r.mute.Store(false)
	w.Text("4hello")
	w.Expect("4hello")

	expectResponse(t, "GET after upgrade", p.Get(), 400, errorBody(3, "Bad request"))
	expectResponse(t, "POST after upgrade", p.Post("4x"), 400, errorBody(3, "Bad request"))

	t.Run("second WebSocket with the same sid is closed", func(t *testing.T) {
		w2, res, err := eiotest.Dial(t, p.WSURL(), nil)
		if err != nil {
			if res == nil {
				t.Fatal(err) // refusing with 400 would be fine too
			}
			return
		}
		if got, _ := w2.WaitClosed(); len(got) != 0 {
			t.Errorf("second WebSocket received %v", got)
		}
		w.Text("4still")
		w.Expect("4still")
	})
	if !r.isOpen() {
		t.Fatal("session closed")
	}
}

// TestUpgradePacketsBackToBack: a client that sends the probe and the
// upgrade packet without waiting, then polls, finds the session upgraded
// (400), as with the reference server; its WebSocket then works.
func TestUpgradePacketsBackToBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})
	for i := range 10 {
		p, _ := e.handshake()
		w := eiotest.MustDial(t, p.WSURL(), nil)
		w.Text("2probe")
		w.Text("5")
		expectResponse(t, fmt.Sprintf("GET right after the upgrade packet (try %d)", i), p.Get(), 400, errorBody(3, "Bad request"))
		w.Expect("3probe")
		w.Text("4hello")
		w.Expect("4hello")
	}
}

// TestUpgradeHandover: packets sent while a client upgrades arrive exactly
// once and in order, part by polling and the rest on the WebSocket, also
// when they race with the upgrade packet.
func TestUpgradeHandover(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})
	p, r := e.handshake()
	r.mute.Store(true)
	next := 0
	send := func(n int) {
		for range n {
			if err := r.sess.Send(engineio.Frame{Data: []byte("4" + strconv.Itoa(next))}); err != nil {
				t.Errorf("send %d: %v", next, err)
				return
			}
			next++
		}
	}
	var got []string
	add := func(res eiotest.Response) {
		t.Helper()
		if res.Status != 200 {
			t.Fatalf("GET: %v", res)
		}
		for _, m := range strings.Split(res.Body, "\x1e") {
			if m != "6" {
				got = append(got, m)
			}
		}
	}

	send(100)
	add(p.Get())
	// A GET in flight during the probe; packets sent meanwhile go to it
	// or stay queued for the WebSocket.
	inflight := p.GetAsync()
	w := probe(t, p)
	send(100)
	add(eiotest.Recv(t, inflight))
	// The client has paused polling; packets race with "5".
	const total = 2000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for next < total {
			send(1)
			runtime.Gosched()
		}
	}()
	w.Text("5")
	<-done
	for len(got) < total {
		got = append(got, w.Next().String())
	}
	for i, m := range got {
		if want := "4" + strconv.Itoa(i); m != want {
			t.Fatalf("message %d is %q, want %q (lost, repeated or reordered across the upgrade)", i, m, want)
		}
	}
	if err := r.sess.Send(engineio.Frame{Data: []byte("4end")}); err != nil {
		t.Fatal(err)
	}
	w.Expect("4end")
}

func TestUpgradeFailures(t *testing.T) {
	t.Parallel()

	t.Run("candidate sends something else than probe or upgrade", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{})
		p, r := e.handshake()
		w := probe(t, p)
		w.Text("4hello")
		if got, _ := w.WaitClosed(); len(got) != 0 {
			t.Errorf("candidate received %v", got)
		}
		// The polling session survives and can still upgrade.
		expectResponse(t, "POST", p.Post("4poll"), 200, "ok")
		expectResponse(t, "GET", p.Get(), 200, "4poll")
		if tr := r.sess.Transport(); tr != engineio.Polling {
			t.Fatalf("transport %q", tr)
		}
		w2 := probe(t, p)
		w2.Text("5")
		w2.Text("4ws")
		w2.Expect("4ws")
		if !r.isOpen() {
			t.Fatal("session closed")
		}
	})

	t.Run("candidate sends binary", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{})
		p, r := e.handshake()
		w := eiotest.MustDial(t, p.WSURL(), nil)
		w.Binary([]byte{1})
		w.WaitClosed()
		expectResponse(t, "POST", p.Post("4poll"), 200, "ok")
		expectResponse(t, "GET", p.Get(), 200, "4poll")
		if !r.isOpen() {
			t.Fatal("session closed")
		}
	})

	t.Run("upgrade timeout closes the candidate", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{UpgradeTimeout: 200 * time.Millisecond})
		p, r := e.handshake()
		w := probe(t, p)
		if got, _ := w.WaitClosed(); len(got) != 0 {
			t.Errorf("candidate received %v", got)
		}
		expectResponse(t, "POST", p.Post("4poll"), 200, "ok")
		expectResponse(t, "GET", p.Get(), 200, "4poll")
		if !r.isOpen() {
			t.Fatal("session closed")
		}
	})

	t.Run("session closing closes the candidate", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{})
		p, r := e.handshake()
		w := probe(t, p)
		// As in Node, a polling session closed by the server ends when the
		// client fetches the close packet; the candidate goes with it.
		r.sess.Close()
		expectResponse(t, "GET", p.Get(), 200, "6\x1e1")
		if got, _ := w.WaitClosed(); len(got) != 0 {
			t.Errorf("candidate received %v", got)
		}
	})

	t.Run("ping timeout closes the candidate", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{PingInterval: suiteInterval, PingTimeout: suiteTimeout})
		p, r := e.handshake()
		w := probe(t, p)
		if got := r.waitClose(t); got != "ping timeout" {
			t.Errorf("close reason %q", got)
		}
		if got, _ := w.WaitClosed(); len(got) != 0 {
			t.Errorf("candidate received %v", got)
		}
	})

	t.Run("second candidate during an upgrade is closed", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{})
		p, _ := e.handshake()
		w := probe(t, p)
		w2, _, err := eiotest.Dial(t, p.WSURL(), nil)
		if err == nil {
			if got, _ := w2.WaitClosed(); len(got) != 0 {
				t.Errorf("second candidate received %v", got)
			}
		}
		w.Text("5")
		w.Text("4ok")
		w.Expect("4ok")
	})

}

func varyTokens(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Vary") {
		for _, tok := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(tok))
		}
	}
	return out
}

func TestCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{CORS: &engineio.CORS{Origins: []string{"https://example.com"}, Credentials: true}})
	origin := http.Header{"Origin": {"https://example.com"}}

	expectCORS := func(t *testing.T, h http.Header) {
		t.Helper()
		if got := h.Get("Access-Control-Allow-Origin"); got != "https://example.com" {
			t.Errorf("Access-Control-Allow-Origin %q", got)
		}
		if got := h.Get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("Access-Control-Allow-Credentials %q", got)
		}
	}

	t.Run("handshake", func(t *testing.T) {
		res := eiotest.MustDo(t, e.HTTP, "GET", e.Base+"?EIO=4&transport=polling", "", origin)
		if res.Status != 200 {
			t.Fatal(res)
		}
		expectCORS(t, res.Header)
		if v := varyTokens(res.Header); !slices.Equal(v, []string{"Origin"}) {
			t.Errorf("Vary %q, want Origin", v)
		}
	})

	t.Run("POST and error answers", func(t *testing.T) {
		p, _ := e.handshake()
		res := p.Do("POST", "4x", origin)
		expectResponse(t, "POST", res, 200, "ok")
		expectCORS(t, res.Header)
		res = eiotest.MustDo(t, e.HTTP, "GET", e.Base+"?EIO=4&transport=abc", "", origin)
		expectResponse(t, "GET", res, 400, errorBody(0, "Transport unknown"))
		expectCORS(t, res.Header)
	})

	t.Run("preflight", func(t *testing.T) {
		h := http.Header{
			"Origin":                         {"https://example.com"},
			"Access-Control-Request-Method":  {"POST"},
			"Access-Control-Request-Headers": {"content-type,x-custom"},
		}
		res := eiotest.MustDo(t, e.HTTP, "OPTIONS", e.Base+"?EIO=4&transport=polling", "", h)
		expectResponse(t, "OPTIONS", res, 204, "")
		expectCORS(t, res.Header)
		for k, want := range map[string]string{
			"Access-Control-Allow-Methods": "GET,HEAD,PUT,PATCH,POST,DELETE",
			"Access-Control-Allow-Headers": "content-type,x-custom",
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("%s %q, want %q", k, got, want)
			}
		}
		if v := varyTokens(res.Header); !slices.Equal(v, []string{"Origin", "Access-Control-Request-Headers"}) {
			t.Errorf("Vary %q, want Origin, Access-Control-Request-Headers", v)
		}
		if cl := res.Header.Get("Content-Length"); cl != "" && cl != "0" {
			t.Errorf("Content-Length %q", cl)
		}
	})

	t.Run("preflight on a session", func(t *testing.T) {
		p, r := e.handshake()
		res := eiotest.MustDo(t, e.HTTP, "OPTIONS", p.URL("polling"), "", http.Header{
			"Origin": {"https://example.com"}, "Access-Control-Request-Method": {"POST"},
		})
		expectResponse(t, "OPTIONS", res, 204, "")
		expectCORS(t, res.Header)
		if !r.isOpen() {
			t.Fatal("session closed by a preflight")
		}
	})

	t.Run("websocket upgrade answer", func(t *testing.T) {
		w, res, err := eiotest.Dial(t, e.Base+"?EIO=4&transport=websocket", origin)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		expectCORS(t, res.Header)
	})
}

func TestNoCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})
	origin := http.Header{"Origin": {"https://example.com"}}
	p, _ := e.handshake()
	for _, res := range []eiotest.Response{
		eiotest.MustDo(t, e.HTTP, "GET", e.Base+"?EIO=4&transport=polling", "", origin),
		p.Do("POST", "4x", origin),
		p.Do("GET", "", origin),
		eiotest.MustDo(t, e.HTTP, "GET", e.Base+"?EIO=4&transport=abc", "", origin),
		eiotest.MustDo(t, e.HTTP, "OPTIONS", e.Base+"?EIO=4&transport=polling", "", http.Header{
			"Origin": {"https://example.com"}, "Access-Control-Request-Method": {"POST"},
		}),
	} {
		for k := range res.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%v: header %s: %q", res, k, res.Header.Get(k))
			}
		}
	}
}

func TestWebSocketOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    engineio.Config
		origin string // "self" = the server's own origin
		ok     bool
	}{
		{"no origin", engineio.Config{}, "", true},
		{"same host", engineio.Config{}, "self", true},
		{"other host", engineio.Config{}, "https://evil.example", false},
		{"other port", engineio.Config{}, "http://127.0.0.1:1", false},
		{"origin allowed by CORS", engineio.Config{CORS: &engineio.CORS{Origins: []string{"https://example.com"}}}, "https://example.com", true},
		{"origin not allowed by CORS", engineio.Config{CORS: &engineio.CORS{Origins: []string{"https://example.com"}}}, "https://evil.example", false},
		{"CheckOrigin accepts", engineio.Config{CheckOrigin: func(r *engineio.Request) bool {
			return r.Header.Get("Origin") == "https://evil.example"
		}}, "https://evil.example", true},
		{"CheckOrigin refuses the same host", engineio.Config{CheckOrigin: func(*engineio.Request) bool { return false }}, "self", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.cfg)
			var h http.Header
			switch tc.origin {
			case "":
			case "self":
				h = http.Header{"Origin": {e.hs.URL}}
			default:
				h = http.Header{"Origin": {tc.origin}}
			}
			// New sessions and upgrades are checked alike.
			p, _ := e.handshake()
			for _, url := range []string{e.Base + "?EIO=4&transport=websocket", p.WSURL()} {
				w, res, err := eiotest.Dial(t, url, h)
				if tc.ok {
					if err != nil {
						t.Fatalf("%s: refused: %v", url, err)
					}
					w.Close()
					continue
				}
				if err == nil {
					w.Close()
					t.Fatalf("%s: accepted", url)
				}
				if res == nil || res.StatusCode != http.StatusForbidden {
					t.Fatalf("%s: %v, want 403", url, err)
				}
			}
			if !tc.ok && e.srv.Len() != 1 {
				t.Errorf("%d sessions, want only the polling one", e.srv.Len())
			}
		})
	}
}

// TestSlowConsumer: a session whose queue overflows is closed, and the
// others keep receiving.
func TestSlowConsumer(t *testing.T) {
	t.Parallel()

	t.Run("polling", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, engineio.Config{MaxQueuedPackets: 4})
		check := e.bystander()
		p, r := e.handshake()
		for i := range 4 {
			if err := r.sess.Send(engineio.Frame{Data: []byte("4m")}); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		if err := r.sess.Send(engineio.Frame{Data: []byte("4m")}); err != engineio.ErrQueueFull {
			t.Fatalf("send over the limit: %v, want ErrQueueFull", err)
		}
		if got := r.waitClose(t); got != "transport error" {
			t.Errorf("close reason %q", got)
		}
		expectUnknownSID(t, p)
		check()
	})

	// On WebSocket, with Send and with a Batch (as a broadcast sends):
	// the fast client keeps up the whole time.
	for _, batched := range []bool{false, true} {
		name := "websocket"
		if batched {
			name += ", batched"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engineio.Config{MaxQueuedPackets: 4})
			fastConn, fast := e.openWS()
			r := e.openStalled()
			var b engineio.Batch
			send := func(s *engineio.Session, f engineio.Frame) error {
				if !batched {
					return s.Send(f)
				}
				return s.SendBatched(&b, f)
			}
			big := bigFrame()
			full := false
			for i := 0; i < 100000 && !full; i++ {
				switch err := send(r.sess, big); err {
				case nil:
				case engineio.ErrQueueFull:
					full = true
				default:
					t.Fatalf("send %d: %v", i, err)
				}
				if batched || i%64 == 0 {
					tick := fmt.Sprintf("4tick%d", i)
					if err := send(fast.sess, engineio.Frame{Data: []byte(tick)}); err != nil {
						t.Fatalf("fast send %d: %v", i, err)
					}
					b.Flush()
					fastConn.Expect(tick)
				}
			}
			if !full {
				t.Fatal("the queue never overflowed")
			}
			if got := r.waitClose(t); got != "transport error" {
				t.Errorf("close reason %q", got)
			}
			if err := fast.sess.Send(engineio.Frame{Data: []byte("4after")}); err != nil {
				t.Fatal(err)
			}
			fastConn.Expect("4after")
		})
	}
}

// TestShutdown: Shutdown ends every session, polling and WebSocket, and
// answers a parked GET.
func TestShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})
	_, ir := e.handshake()
	c, wr := e.openWS()
	p, pr := e.handshake()
	parked := e.parkGet(p)
	ctx, cancel := context.WithTimeout(context.Background(), eiotest.Wait)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// Node answers a parked GET with a close packet. (A GET that reached
	// the server but had not parked yet may find the session gone.)
	res := eiotest.Recv(t, parked)
	if res.Body != errorBody(1, "Session ID unknown") {
		expectResponse(t, "parked GET", res, 200, "1")
	}
	c.WaitClosed()
	for name, r := range map[string]*rec{"parked polling": pr, "idle polling": ir, "websocket": wr} {
		if got := r.waitClose(t); got != "forced close" {
			t.Errorf("%s: close reason %q, want forced close", name, got)
		}
	}
	if n := e.srv.Len(); n != 0 {
		t.Errorf("%d sessions after Shutdown", n)
	}
	res = eiotest.MustDo(t, e.HTTP, "GET", e.Base+"?EIO=4&transport=polling", "", nil)
	if res.Status == 200 {
		t.Errorf("handshake after Shutdown: %v", res)
	}
}

// TestBase64RoundTrip: every byte value survives b+base64 both ways.
func TestBase64RoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engineio.Config{})
	p, _ := e.handshake()
	data := make([]byte, 256)
	for i := range data {
		data[i] = byte(i)
	}
	enc := "b" + base64.StdEncoding.EncodeToString(data)
	expectResponse(t, "POST", p.Post(enc), 200, "ok")
	expectResponse(t, "GET", p.Get(), 200, enc)
}

// TestNewIDs checks ids over several refills of the random bytes: 20
// base64url characters, all different, none with an all-zero random part.
func TestNewIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := engineio.NewID()
		b, err := base64.URLEncoding.DecodeString(id)
		if err != nil || len(id) != 20 || len(b) != 15 {
			t.Fatalf("id %q: %d characters, %v", id, len(id), err)
		}
		if bytes.Equal(b[:11], make([]byte, 11)) {
			t.Fatalf("id %q has no random bytes", id)
		}
		if seen[id] {
			t.Fatalf("id %q given twice", id)
		}
		seen[id] = true
	}
}
