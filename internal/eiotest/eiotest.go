// Package eiotest holds raw Engine.IO clients for tests: plain HTTP
// long-polling requests and WebSocket connections whose every frame the test
// sees, so that tests can assert exactly what a client receives.
//
// Only tests import it. Every client it returns is released by t.Cleanup,
// and no goroutine of it outlives the test.
package eiotest

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// Wait bounds every wait for something the server should do promptly.
// It is generous because tests run in parallel under the race detector on
// small machines; a passing test never waits this long.
const Wait = 5 * time.Second

// Separator joins the packets of a polling payload.
const Separator = "\x1e"

// Msg is one Engine.IO packet as the client received it: the text of a
// text packet ("4hello", "2"), or the bytes of a binary message.
type Msg struct {
	Binary bool
	Data   []byte
}

// Text returns a text message.
func Text(s string) Msg { return Msg{Data: []byte(s)} }

// Bin returns a binary message.
func Bin(b ...byte) Msg { return Msg{Binary: true, Data: b} }

// String is the text of a text message, or <bin HEX> for a binary one.
func (m Msg) String() string {
	if m.Binary {
		return "<bin " + hex.EncodeToString(m.Data) + ">"
	}
	return string(m.Data)
}

// NewHTTPClient returns an HTTP client with its own connection pool, closed
// when the test ends, so that no idle connection outlives the test.
func NewHTTPClient(t testing.TB) *http.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Response is an HTTP answer, read entirely.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

func (r Response) String() string { return fmt.Sprintf("%d %q", r.Status, r.Body) }

// Do sends one request and reads the whole answer.
func Do(ctx context.Context, c *http.Client, method, url, body string, header http.Header) (Response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return Response{}, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if method == http.MethodPost && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	res, err := c.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: string(b)}, nil
}

// MustDo is Do that fails the test on a transport error.
func MustDo(t testing.TB, c *http.Client, method, url, body string, header http.Header) Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	res, err := Do(ctx, c, method, url, body, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return res
}

// Polling is a long-polling session driven request by request.
type Polling struct {
	t      testing.TB
	Client *http.Client
	// Base is the endpoint URL with its trailing slash, such as
	// http://127.0.0.1:1234/engine.io/.
	Base string
	SID  string
	// Open is the open packet of the handshake.
	Open string
}

// Handshake opens a polling session; it fails the test unless the server
// answers 200 with an open packet.
func Handshake(t testing.TB, c *http.Client, base string) *Polling {
	t.Helper()
	res := MustDo(t, c, http.MethodGet, base+"?EIO=4&transport=polling", "", nil)
	sid, err := openSID(res.Body)
	if res.Status != http.StatusOK || err != nil {
		t.Fatalf("polling handshake: %v (%v)", res, err)
	}
	return &Polling{t: t, Client: c, Base: base, SID: sid, Open: res.Body}
}

// openSID extracts the sid of an open packet.
func openSID(open string) (string, error) {
	const key = `0{"sid":"`
	if !strings.HasPrefix(open, key) {
		return "", fmt.Errorf("not an open packet: %q", open)
	}
	rest := open[len(key):]
	i := strings.IndexByte(rest, '"')
	if i < 0 {
		return "", fmt.Errorf("not an open packet: %q", open)
	}
	return rest[:i], nil
}

// URL is the session's URL for transport.
func (p *Polling) URL(transport string) string {
	return p.Base + "?EIO=4&transport=" + transport + "&sid=" + p.SID
}

// WSURL is the session's WebSocket upgrade URL.
func (p *Polling) WSURL() string { return WSScheme(p.URL("websocket")) }

// Do sends a request of any method on the session.
func (p *Polling) Do(method, body string, header http.Header) Response {
	p.t.Helper()
	return MustDo(p.t, p.Client, method, p.URL("polling"), body, header)
}

// Get sends a GET and waits for its answer.
func (p *Polling) Get() Response {
	p.t.Helper()
	return p.Do(http.MethodGet, "", nil)
}

// Post sends a payload.
func (p *Polling) Post(body string) Response {
	p.t.Helper()
	return p.Do(http.MethodPost, body, nil)
}

// GetAsync sends a GET from another goroutine; the answer (or the error)
// arrives on the channel. The request is cancelled when the test ends.
func (p *Polling) GetAsync() <-chan Result {
	ch := make(chan Result, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	p.t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	go func() {
		defer wg.Done()
		res, err := Do(ctx, p.Client, http.MethodGet, p.URL("polling"), "", nil)
		ch <- Result{res, err}
	}()
	return ch
}

// Result is the outcome of an asynchronous request.
type Result struct {
	Response
	Err error
}

// Recv waits for an asynchronous answer.
func Recv(t testing.TB, ch <-chan Result) Response {
	t.Helper()
	select {
	case r := <-ch:
		if r.Err != nil {
			t.Fatalf("request failed: %v", r.Err)
		}
		return r.Response
	case <-time.After(Wait):
		t.Fatalf("no answer within %v", Wait)
		return Response{}
	}
}

// WSScheme turns an http(s) URL into a ws(s) one.
func WSScheme(url string) string {
	if rest, ok := strings.CutPrefix(url, "http"); ok {
		return "ws" + rest
	}
	return url
}

// queue is an unbounded FIFO of received messages.
type queue struct {
	mu     sync.Mutex
	items  []Msg
	signal chan struct{}
	done   chan struct{}
	err    error
}

func newQueue() *queue {
	return &queue{signal: make(chan struct{}, 1), done: make(chan struct{})}
}

func (q *queue) push(m Msg) {
	q.mu.Lock()
	q.items = append(q.items, m)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// end records that nothing more will arrive.
func (q *queue) end(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case <-q.done:
	default:
		q.err = err
		close(q.done)
	}
}

// errClosed is returned by next once the connection ended and every
// message was taken.
var errClosed = errors.New("connection closed")

func (q *queue) next(d time.Duration) (Msg, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			m := q.items[0]
			q.items = q.items[1:]
			q.mu.Unlock()
			return m, nil
		}
		q.mu.Unlock()
		select {
		case <-q.signal:
		case <-q.done:
			q.mu.Lock()
			n := len(q.items)
			err := q.err
			q.mu.Unlock()
			if n == 0 {
				return Msg{}, fmt.Errorf("%w: %v", errClosed, err)
			}
		case <-timer.C:
			return Msg{}, fmt.Errorf("nothing received within %v", d)
		}
	}
}

// Conn is an Engine.IO connection over either transport. A background
// reader collects what the server sends; the test reads it in order with
// Next and Expect.
type Conn struct {
	t         testing.TB
	Transport string
	SID       string
	// Open is the open packet.
	Open string

	q *queue

	// websocket
	ws      *websocket.Conn
	writeMu sync.Mutex
	// polling
	polling *Polling
	postMu  sync.Mutex

	rootCtx context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started bool
}

// Options tune Open.
type Options struct {
	// Header is sent with the handshake request.
	Header http.Header
	// Manual, on WebSocket, does not start the background reader: the test
	// calls StartReader when it wants frames read (to let the server's
	// writes back up meanwhile). The open packet is read before Open returns.
	Manual bool
}

// Open connects to base (the endpoint URL with its trailing slash) with
// transport "polling" or "websocket" and reads the open packet.
func Open(t testing.TB, c *http.Client, base, transport string) *Conn {
	t.Helper()
	conn, err := OpenErr(t, c, base, transport, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// OpenErr is Open with options, returning errors instead of failing the
// test, for use from several goroutines.
func OpenErr(t testing.TB, c *http.Client, base, transport string, o Options) (*Conn, error) {
	ctx, cancel := context.WithCancel(context.Background())
	conn := &Conn{t: t, Transport: transport, q: newQueue(), rootCtx: ctx, cancel: cancel}
	t.Cleanup(conn.Close)
	switch transport {
	case "websocket":
		d := websocket.Dialer{HandshakeTimeout: Wait}
		ws, res, err := d.DialContext(ctx, WSScheme(base)+"?EIO=4&transport=websocket", o.Header)
		if err != nil {
			if res != nil {
				b, _ := io.ReadAll(res.Body)
				return nil, fmt.Errorf("websocket handshake: %v: %d %q", err, res.StatusCode, b)
			}
			return nil, fmt.Errorf("websocket handshake: %w", err)
		}
		conn.ws = ws
		_ = ws.SetReadDeadline(time.Now().Add(Wait))
		m, err := readWS(ws)
		_ = ws.SetReadDeadline(time.Time{})
		if err != nil {
			return nil, fmt.Errorf("reading the open packet: %w", err)
		}
		conn.Open = m.String()
		if !o.Manual {
			conn.StartReader()
		}
	case "polling":
		res, err := Do(ctx, c, http.MethodGet, base+"?EIO=4&transport=polling", "", o.Header)
		if err != nil {
			return nil, err
		}
		if res.Status != http.StatusOK {
			return nil, fmt.Errorf("polling handshake: %v", res)
		}
		conn.Open = res.Body
		conn.polling = &Polling{t: t, Client: c, Base: base, Open: res.Body}
	default:
		return nil, fmt.Errorf("unknown transport %q", transport)
	}
	sid, err := openSID(conn.Open)
	if err != nil {
		return nil, err
	}
	conn.SID = sid
	if conn.polling != nil {
		conn.polling.SID = sid
		conn.StartReader()
	}
	return conn, nil
}

func readWS(ws *websocket.Conn) (Msg, error) {
	typ, data, err := ws.ReadMessage()
	if err != nil {
		return Msg{}, err
	}
	return Msg{Binary: typ == websocket.BinaryMessage, Data: data}, nil
}

// Polling is the session's polling handle, nil on WebSocket; with it a
// test sends requests of its own besides the background reader's.
func (c *Conn) Polling() *Polling { return c.polling }

// ReadDirect reads one WebSocket frame in the test's goroutine, before
// StartReader (see Options.Manual).
func (c *Conn) ReadDirect() Msg {
	c.t.Helper()
	if c.ws == nil || c.started {
		c.t.Fatal("ReadDirect needs a WebSocket opened with Options.Manual")
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(Wait))
	defer func() { _ = c.ws.SetReadDeadline(time.Time{}) }()
	m, err := readWS(c.ws)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// StartReader starts the background reader (see Options.Manual).
func (c *Conn) StartReader() {
	if c.started {
		return
	}
	c.started = true
	c.wg.Add(1)
	if c.ws != nil {
		go c.readWS()
		return
	}
	go c.readPolling()
}

func (c *Conn) readWS() {
	defer c.wg.Done()
	for {
		m, err := readWS(c.ws)
		if err != nil {
			c.q.end(err)
			return
		}
		c.q.push(m)
	}
}

// readPolling sends GET after GET until the session ends: a close packet
// or an error answer.
func (c *Conn) readPolling() {
	defer c.wg.Done()
	for {
		res, err := Do(c.rootCtx, c.polling.Client, http.MethodGet, c.polling.URL("polling"), "", nil)
		if err != nil {
			c.q.end(err)
			return
		}
		if res.Status != http.StatusOK {
			c.q.end(fmt.Errorf("GET: %v", res))
			return
		}
		for _, p := range strings.Split(res.Body, Separator) {
			if b64, ok := strings.CutPrefix(p, "b"); ok {
				b, err := base64.StdEncoding.DecodeString(b64)
				if err != nil {
					c.q.end(fmt.Errorf("bad base64 in %q", res.Body))
					return
				}
				c.q.push(Msg{Binary: true, Data: b})
				continue
			}
			c.q.push(Text(p))
			if p == "1" {
				c.q.end(errors.New("close packet"))
				return
			}
		}
	}
}

// Send sends text packets: one frame each on WebSocket, one POST
// payload on polling. It returns the POST's answer on polling.
func (c *Conn) Send(packets ...string) error {
	if c.ws != nil {
		c.writeMu.Lock()
		defer c.writeMu.Unlock()
		for _, p := range packets {
			if err := c.ws.WriteMessage(websocket.TextMessage, []byte(p)); err != nil {
				return err
			}
		}
		return nil
	}
	return c.post(strings.Join(packets, Separator))
}

// SendBinary sends a binary message: a binary frame on WebSocket, a
// b+base64 packet on polling.
func (c *Conn) SendBinary(b []byte) error {
	if c.ws != nil {
		c.writeMu.Lock()
		defer c.writeMu.Unlock()
		return c.ws.WriteMessage(websocket.BinaryMessage, b)
	}
	return c.post("b" + base64.StdEncoding.EncodeToString(b))
}

func (c *Conn) post(body string) error {
	c.postMu.Lock()
	defer c.postMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	res, err := Do(ctx, c.polling.Client, http.MethodPost, c.polling.URL("polling"), body, nil)
	if err != nil {
		return err
	}
	if res.Status != http.StatusOK || res.Body != "ok" {
		return fmt.Errorf("POST %q: %v", body, res)
	}
	return nil
}

// MustSend is Send that fails the test on error.
func (c *Conn) MustSend(packets ...string) {
	c.t.Helper()
	if err := c.Send(packets...); err != nil {
		c.t.Fatalf("send %q: %v", packets, err)
	}
}

// MustSendBinary is SendBinary that fails the test on error.
func (c *Conn) MustSendBinary(b []byte) {
	c.t.Helper()
	if err := c.SendBinary(b); err != nil {
		c.t.Fatalf("send binary: %v", err)
	}
}

// NextErr returns the next message, waiting at most d.
func (c *Conn) NextErr(d time.Duration) (Msg, error) { return c.q.next(d) }

// Next returns the next message; it fails the test after Wait.
func (c *Conn) Next() Msg {
	c.t.Helper()
	m, err := c.q.next(Wait)
	if err != nil {
		c.t.Fatalf("%s %s: %v", c.Transport, c.SID, err)
	}
	return m
}

// Expect fails the test unless the next messages are want, in order.
func (c *Conn) Expect(want ...string) {
	c.t.Helper()
	for _, w := range want {
		if got := c.Next().String(); got != w {
			c.t.Fatalf("%s: got %q, want %q", c.Transport, got, w)
		}
	}
}

// ExpectErr is Expect returning an error, for use from other goroutines.
func (c *Conn) ExpectErr(want ...string) error {
	for _, w := range want {
		m, err := c.q.next(Wait)
		if err != nil {
			return fmt.Errorf("%s: waiting for %q: %w", c.Transport, w, err)
		}
		if got := m.String(); got != w {
			return fmt.Errorf("%s: got %q, want %q", c.Transport, got, w)
		}
	}
	return nil
}

// Done is closed once the server ended the connection (a WebSocket read
// error, a polling close packet or error answer).
func (c *Conn) Done() <-chan struct{} { return c.q.done }

// WaitClosed fails the test unless the server ends the connection within
// Wait. Messages received before the end are returned.
func (c *Conn) WaitClosed() []Msg {
	c.t.Helper()
	var got []Msg
	for {
		m, err := c.q.next(Wait)
		if errors.Is(err, errClosed) {
			return got
		}
		if err != nil {
			c.t.Fatalf("%s %s: not closed: %v (received %v)", c.Transport, c.SID, err, got)
		}
		got = append(got, m)
	}
}

// Drop closes the connection from the client side without a goodbye: the
// TCP connection of a WebSocket, or a close packet on polling.
func (c *Conn) Drop() {
	c.t.Helper()
	if c.ws != nil {
		_ = c.ws.NetConn().Close()
		return
	}
	if err := c.post("1"); err != nil {
		c.t.Fatalf("POST 1: %v", err)
	}
}

// Close releases the client: the WebSocket is closed, a pending GET is
// cancelled, and the reader goroutine has exited when Close returns.
func (c *Conn) Close() {
	c.cancel()
	if c.ws != nil {
		_ = c.ws.NetConn().Close()
	}
	c.q.end(errors.New("closed by the test"))
	c.wg.Wait()
}

// WS is a raw WebSocket client without a session of its own, for upgrade
// and refusal tests.
type WS struct {
	t    testing.TB
	Conn *websocket.Conn
	q    *queue
	wg   sync.WaitGroup
	mu   sync.Mutex
}

// Dial opens a WebSocket to url (ws:// or http://). On a refused handshake
// it returns the HTTP answer with its body and a nil *WS. Every frame is
// read in the background.
func Dial(t testing.TB, url string, header http.Header) (*WS, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: Wait}
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	c, res, err := d.DialContext(ctx, WSScheme(url), header)
	if err != nil {
		return nil, res, err
	}
	w := &WS{t: t, Conn: c, q: newQueue()}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			m, err := readWS(c)
			if err != nil {
				w.q.end(err)
				return
			}
			w.q.push(m)
		}
	}()
	t.Cleanup(w.Close)
	return w, res, nil
}

// MustDial is Dial that fails the test unless the handshake succeeds.
func MustDial(t testing.TB, url string, header http.Header) *WS {
	t.Helper()
	w, res, err := Dial(t, url, header)
	if err != nil {
		if res != nil {
			b, _ := io.ReadAll(res.Body)
			t.Fatalf("dial %s: %v: %d %q", url, err, res.StatusCode, b)
		}
		t.Fatalf("dial %s: %v", url, err)
	}
	return w
}

// Text sends a text frame.
func (w *WS) Text(s string) {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.Conn.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		w.t.Fatalf("write %q: %v", s, err)
	}
}

// Binary sends a binary frame.
func (w *WS) Binary(b []byte) {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.Conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
		w.t.Fatalf("write binary: %v", err)
	}
}

// Next returns the next frame; it fails the test after Wait.
func (w *WS) Next() Msg {
	w.t.Helper()
	m, err := w.q.next(Wait)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// Expect fails the test unless the next frames are want, in order.
func (w *WS) Expect(want ...string) {
	w.t.Helper()
	for _, s := range want {
		if got := w.Next().String(); got != s {
			w.t.Fatalf("got %q, want %q", got, s)
		}
	}
}

// WaitClosed fails the test unless the server closes the connection
// within Wait; it returns the frames received before, and the read error.
func (w *WS) WaitClosed() ([]Msg, error) {
	w.t.Helper()
	var got []Msg
	for {
		m, err := w.q.next(Wait)
		if errors.Is(err, errClosed) {
			w.q.mu.Lock()
			rerr := w.q.err
			w.q.mu.Unlock()
			return got, rerr
		}
		if err != nil {
			w.t.Fatalf("not closed: %v (received %v)", err, got)
		}
		got = append(got, m)
	}
}

// Close closes the connection and waits for the reader.
func (w *WS) Close() {
	_ = w.Conn.NetConn().Close()
	w.wg.Wait()
}
