package engineio

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/fasthttp/websocket"

	"github.com/go-sio/sio/core/internal/eio"
)

// Server is an Engine.IO server. It is safe for concurrent use.
type Server struct {
	cfg      Config
	fasthttp websocket.FastHTTPUpgrader

	mu       sync.RWMutex
	sessions map[string]*Session
	closed   bool
	shutdown chan struct{}

	wg sync.WaitGroup

	// idle WebSockets wait in an epoll set (Linux); see netpoll_linux.go
	pollMu  sync.Mutex
	poll    *poller
	pollGen uint32
}

// New returns a server with cfg's defaults filled in; cfg is not modified.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	for _, t := range cfg.Transports {
		if t != Polling && t != WebSocket {
			return nil, errors.New("engineio: unknown transport " + strconv.Quote(t))
		}
	}
	if len(cfg.Transports) == 0 {
		return nil, errors.New("engineio: no transport enabled")
	}
	if cfg.OnSession == nil {
		return nil, errors.New("engineio: Config.OnSession is required")
	}
	s := &Server{
		cfg:      cfg,
		sessions: make(map[string]*Session),
		shutdown: make(chan struct{}),
	}
	s.fasthttp = websocket.FastHTTPUpgrader{
		ReadBufferSize:  256, // unused: frames are read by our own reader
		WriteBufferSize: 256,
		WriteBufferPool: &sync.Pool{},
	}
	return s, nil
}

// Config returns the configuration in force, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

func (s *Server) transportEnabled(t string) bool { return slices.Contains(s.cfg.Transports, t) }

func (s *Server) checkOrigin(r *Request) bool {
	if s.cfg.CheckOrigin != nil {
		return s.cfg.CheckOrigin(r)
	}
	return s.defaultCheckOrigin(r)
}

// Session returns the open session with this id, or nil.
func (s *Server) Session(id string) *Session {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sessions[id]
}

// Len is the number of sessions.
func (s *Server) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}

func (s *Server) newSession(req *Request, transport string, protocol int) (*Session, error) {
	sess := &Session{srv: s, id: newID(), req: req, transport: transport, protocol: protocol,
		supportsBinary: req.Query.Get("b64") == ""}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrServerClosed
	}
	s.sessions[sess.id] = sess
	s.mu.Unlock()
	return sess, nil
}

// startSession starts the heartbeat.
func (s *Server) startSession(sess *Session) {
	sess.mu.Lock()
	if sess.state == stateOpen {
		if sess.protocol == 3 {
			// v3 clients ping; wait for the first.
			sess.armLocked(s.cfg.PingInterval + s.cfg.PingTimeout)
		} else {
			sess.armLocked(s.cfg.PingInterval)
		}
	}
	sess.mu.Unlock()
}

func (s *Server) remove(sess *Session) {
	s.mu.Lock()
	if s.sessions[sess.id] == sess {
		delete(s.sessions, sess.id)
	}
	s.mu.Unlock()
}

// goClose closes a session from a goroutine the server owns, for callers
// that must not run the close handler themselves.
func (s *Server) goClose(sess *Session, reason string) {
	if !s.track() {
		sess.close(reason)
		return
	}
	go func() {
		defer s.wg.Done()
		sess.close(reason)
	}()
}

func (s *Server) openPacket(sess *Session, transport string) []byte {
	b := []byte(`0{"sid":"`)
	b = append(b, sess.id...)
	b = append(b, `","upgrades":[`...)
	if transport == Polling && !s.cfg.DisableUpgrades && s.transportEnabled(WebSocket) {
		b = append(b, `"websocket"`...)
	}
	b = append(b, `],"pingInterval":`...)
	b = strconv.AppendInt(b, s.cfg.PingInterval.Milliseconds(), 10)
	b = append(b, `,"pingTimeout":`...)
	b = strconv.AppendInt(b, s.cfg.PingTimeout.Milliseconds(), 10)
	b = append(b, `,"maxPayload":`...)
	b = strconv.AppendInt(b, int64(s.cfg.MaxPayload), 10)
	return append(b, '}')
}

// route decides what a request is. It returns a response for requests
// answered at once, else the session (nil for a handshake).
type route struct {
	res      *response
	sess     *Session
	upgrade  bool // WebSocket request
	protocol int  // of a handshake: 4, or 3 with AllowEIO3
}

func (s *Server) route(req *Request, isUpgrade bool) route {
	transport := req.Query.Get("transport")
	if !s.transportEnabled(transport) {
		return route{res: errorResponse(codeUnknownTransport, "")}
	}
	wantWS := transport == WebSocket
	if wantWS && isUpgrade && !s.checkOrigin(req) {
		return route{res: errorResponse(codeForbidden, "Origin not allowed")}
	}
	if sid := req.Query.Get("sid"); sid != "" {
		sess := s.Session(sid)
		if sess == nil {
			return route{res: errorResponse(codeUnknownSID, "")}
		}
		if wantWS {
			if !isUpgrade {
				return route{res: errorResponse(codeBadRequest, "")}
			}
			return route{sess: sess, upgrade: true}
		}
		if sess.Transport() != transport {
			return route{res: errorResponse(codeBadRequest, "")}
		}
		return route{sess: sess}
	}
	if req.Method != http.MethodGet {
		return route{res: errorResponse(codeBadHandshakeMethod, "")}
	}
	if wantWS && !isUpgrade {
		return route{res: errorResponse(codeBadRequest, "")}
	}
	if s.cfg.AllowRequest != nil {
		if err := s.cfg.AllowRequest(req); err != nil {
			return route{res: errorResponse(codeForbidden, err.Error())}
		}
	}
	protocol := 4
	if req.Query.Get("EIO") != "4" {
		// Anything but "4" is v3 for the reference server.
		if !s.cfg.AllowEIO3 {
			return route{res: errorResponse(codeUnsupportedProtocol, "")}
		}
		protocol = 3
	}
	return route{upgrade: wantWS, protocol: protocol}
}

// ServeHTTP serves Engine.IO over net/http.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := newRequest(r)
	var pre response
	if c := s.cfg.CORS; c != nil && c.apply(req, &pre) {
		writeResponse(w, &pre)
		return
	}
	for _, h := range pre.header {
		w.Header().Add(h[0], h[1])
	}
	isUpgrade := isUpgradeRequest(r.Header)
	rt := s.route(req, isUpgrade)
	if rt.res != nil {
		if isUpgrade {
			rt.res = upgradeRefusal(rt.res)
		}
		writeResponse(w, rt.res)
		return
	}
	if rt.upgrade {
		if !s.track() {
			writeResponse(w, upgradeRefusal(errorResponse(codeBadRequest, "")))
			return
		}
		// An upgrade starts before the answer: a GET that the client
		// sends after its upgrade packet must find it under way.
		began := rt.sess != nil && rt.sess.beginUpgrade()
		c, answer, ok := acceptWebSocket(w, r, pre.header)
		if !ok {
			if began {
				rt.sess.endUpgrade()
			}
			s.wg.Done()
			return // refused and answered
		}
		// Serve the connection from a goroutine of our own and return:
		// net/http then drops its per-connection buffers (8 KiB), which
		// an idle WebSocket would otherwise keep for its whole life.
		sess, protocol := rt.sess, rt.protocol
		if _, ok := pollable(c); ok && sess == nil {
			// A new session on a connection that will wait in the
			// poller: serving it returns once its first data is
			// handled, so this goroutine, its stack grown already,
			// can do it before returning.
			defer s.wg.Done()
			s.serveNewWebSocket(c, answer, req, protocol, true)
			return
		}
		go func() {
			defer s.wg.Done()
			if sess == nil {
				s.serveNewWebSocket(c, answer, req, protocol, true)
				return
			}
			if _, err := c.Write(answer); err != nil {
				_ = c.Close()
				if began {
					sess.endUpgrade()
				}
				return
			}
			s.serveUpgrade(c, sess, began, true)
		}()
		return
	}
	if rt.sess == nil {
		writeResponse(w, s.handshakePolling(req, rt.protocol))
		return
	}
	switch r.Method {
	case http.MethodGet:
		res := rt.sess.handleGet(r.Context().Done())
		if res != nil {
			compressResponse(res, r.Header.Get("Accept-Encoding"))
			writeResponse(w, res)
		}
	case http.MethodPost:
		if !rt.sess.beginPost() {
			writeResponse(w, emptyResponse(400))
			return
		}
		body, tooLarge, err := readBody(r.Body, s.cfg.MaxPayload)
		if err != nil {
			rt.sess.endPost()
			rt.sess.close(ReasonTransportError)
			writeResponse(w, emptyResponse(400))
			return
		}
		res := rt.sess.handlePost(r.Header.Get("Content-Type"), body, tooLarge)
		rt.sess.endPost()
		writeResponse(w, res)
	default:
		writeResponse(w, emptyResponse(500))
	}
}

// track registers a goroutine the server must wait for; false once the
// server is shut down.
func (s *Server) track() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *Server) handshakePolling(req *Request, protocol int) *response {
	sess, err := s.newSession(req, Polling, protocol)
	if err != nil {
		return &response{status: http.StatusServiceUnavailable}
	}
	s.cfg.OnSession(sess)
	s.startSession(sess)
	if protocol == 3 {
		return textResponse(eio.AppendPayloadV3(nil, []eio.Packet{{Type: eio.Open, Data: s.openPacket(sess, Polling)[1:]}}))
	}
	return textResponse(s.openPacket(sess, Polling))
}

// upgradeRefusal turns an error answer into the plain-text answer the
// reference server gives on a WebSocket upgrade request.
func upgradeRefusal(res *response) *response {
	out := &response{status: res.status, body: []byte(res.message)}
	out.set("Connection", "close")
	out.set("Content-Type", "text/html")
	return out
}

func readBody(r io.Reader, limit int) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, false, err
	}
	if len(b) > limit {
		return nil, true, nil
	}
	return b, false, nil
}

func writeResponse(w http.ResponseWriter, res *response) {
	h := w.Header()
	for _, kv := range res.header {
		h.Set(kv[0], kv[1])
	}
	if res.body != nil || res.status != 204 {
		h.Set("Content-Length", strconv.Itoa(len(res.body)))
	}
	w.WriteHeader(res.status)
	if len(res.body) > 0 {
		_, _ = w.Write(res.body)
	}
}

// Shutdown closes every session and waits for the goroutines the server
// started, or for ctx. It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.shutdown)
	}
	sessions := make([]*Session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	for _, sess := range sessions {
		// Node's engine.close() closes each socket with "forced close";
		// a parked GET gets a close packet.
		sess.close(ReasonForcedClose)
		sess.finish()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
