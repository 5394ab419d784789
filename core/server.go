package core

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/go-sio/sio/core/engineio"
	"github.com/go-sio/sio/core/internal/sio"
)

// Server is a Socket.IO server. It is an [http.Handler] for its path (by
// default /socket.io/) and serves fasthttp through [Server.ServeFastHTTP].
// It is safe for concurrent use.
type Server struct {
	cfg      Config
	engine   *engineio.Server
	adapter  Adapter
	recovery SessionStore

	mu             sync.RWMutex
	namespaces     map[string]*Namespace
	parents        []*ParentNamespace
	onNewNamespace []func(*Namespace)
	clients        map[*client]struct{}
	closed         bool
	closeOnce      sync.Once
	closeErr       error
}

// New returns a server configured by cfg; cfg is not modified.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:        cfg,
		adapter:    cfg.Adapter,
		namespaces: make(map[string]*Namespace),
		clients:    make(map[*client]struct{}),
	}
	if cfg.Recovery != nil {
		// An adapter that keeps sessions in a shared store does it;
		// otherwise they stay in this server's memory.
		if st, ok := cfg.Adapter.(SessionStore); ok {
			s.recovery = st
		} else {
			s.recovery = newRecoveryStore(cfg.Recovery.MaxDisconnectionDuration)
		}
	}
	eng, err := engineio.New(engineio.Config{
		PingInterval:     cfg.PingInterval,
		PingTimeout:      cfg.PingTimeout,
		UpgradeTimeout:   cfg.UpgradeTimeout,
		MaxPayload:       cfg.MaxHTTPBufferSize,
		Transports:       cfg.Transports,
		DisableUpgrades:  cfg.DisableUpgrades,
		AllowEIO3:        cfg.AllowEIO3,
		AllowRequest:     cfg.AllowRequest,
		CORS:             cfg.CORS,
		CheckOrigin:      cfg.CheckOrigin,
		MaxQueuedPackets: cfg.MaxQueuedPackets,
		OnSession:        s.onSession,
		Logger:           cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	s.engine = eng
	if err := s.adapter.Start(serverLocal{s}); err != nil {
		return nil, err
	}
	s.Of("/")
	return s, nil
}

// Path is the URL path prefix the server answers, with a trailing slash.
func (s *Server) Path() string { return s.cfg.Path }

// Engine is the underlying Engine.IO server.
func (s *Server) Engine() *engineio.Server { return s.engine }

// ServeHTTP implements [http.Handler]. Requests outside [Server.Path] get 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, s.cfg.Path) {
		http.NotFound(w, r)
		return
	}
	s.engine.ServeHTTP(w, r)
}

// ServeFastHTTP serves a fasthttp request natively, WebSocket included.
func (s *Server) ServeFastHTTP(ctx *fasthttp.RequestCtx) {
	if !strings.HasPrefix(string(ctx.Path()), s.cfg.Path) {
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		return
	}
	s.engine.ServeFastHTTP(ctx)
}

// Of returns the namespace with this name, creating it if needed; "chat"
// and "/chat" are the same namespace.
func (s *Server) Of(name string) *Namespace {
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	s.mu.Lock()
	n, ok := s.namespaces[name]
	if !ok {
		n = newNamespace(s, name)
		s.namespaces[name] = n
	}
	parents := slices.Clone(s.parents)
	hooks := slices.Clone(s.onNewNamespace)
	s.mu.Unlock()
	if !ok {
		// A name that a regexp parent matches becomes its child.
		for _, p := range parents {
			if p.re != nil && p.re.MatchString(name) {
				n.parent = p
				p.mu.Lock()
				p.children[name] = n
				p.mu.Unlock()
				break
			}
		}
		if err := s.adapter.AddNamespace(context.Background(), name); err != nil {
			s.cfg.Logger.Error("sio: adapter cannot serve namespace", "nsp", name, "err", err)
		}
		if name != "/" {
			for _, h := range hooks {
				h(n)
			}
		}
	}
	return n
}

func (s *Server) lookupNamespace(name string) *Namespace {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.namespaces[name]
}

// Sockets is the main namespace, the same as Of("/").
func (s *Server) Sockets() *Namespace { return s.Of("/") }

// Use adds a middleware to the main namespace.
func (s *Server) Use(mw Middleware) { s.Sockets().Use(mw) }

// OnConnection adds a connection handler to the main namespace.
func (s *Server) OnConnection(fn func(*Socket)) { s.Sockets().OnConnection(fn) }

// To starts a broadcast of the main namespace to room(s).
func (s *Server) To(rooms ...Room) BroadcastOperator { return s.Sockets().To(rooms...) }

// In is the same as To.
func (s *Server) In(rooms ...Room) BroadcastOperator { return s.Sockets().To(rooms...) }

// Except starts a broadcast of the main namespace excluding room(s).
func (s *Server) Except(rooms ...Room) BroadcastOperator { return s.Sockets().Except(rooms...) }

// Volatile starts a broadcast of the main namespace whose packets may be
// dropped.
func (s *Server) Volatile() BroadcastOperator { return s.Sockets().Volatile() }

// Local starts a broadcast of the main namespace to this server's sockets.
func (s *Server) Local() BroadcastOperator { return s.Sockets().Local() }

// Timeout starts a broadcast of the main namespace whose acknowledgements
// are awaited for d.
func (s *Server) Timeout(d time.Duration) BroadcastOperator { return s.Sockets().Timeout(d) }

// Compress starts a broadcast of the main namespace with a compression hint.
func (s *Server) Compress(on bool) BroadcastOperator { return s.Sockets().Compress(on) }

// Emit sends an event to every socket of the main namespace.
func (s *Server) Emit(event string, args ...any) error { return s.Sockets().Emit(event, args...) }

func (s *Server) onSession(sess *engineio.Session) {
	c := newClient(s, sess)
	sess.SetHandler(c)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sess.Close()
		return
	}
	s.clients[c] = struct{}{}
	s.mu.Unlock()
	if c.v3 {
		// v2 clients are in the main namespace from the start.
		c.connect(&sio.Packet{Type: sio.Connect, Nsp: "/", ID: sio.NoID})
	}
}

func (s *Server) removeClient(c *client) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
}

// Shutdown stops accepting connections, disconnects every socket with
// reason "server shutting down", closes the adapter and waits for the
// server's goroutines or for ctx. It is safe to call more than once.
//
// http.Server.Shutdown does not close hijacked WebSocket connections;
// call this too (for example from http.Server.RegisterOnShutdown).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	clients := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	for _, c := range clients {
		c.closeSockets(ReasonServerShuttingDown)
	}
	var errs []error
	s.closeOnce.Do(func() {
		s.closeErr = s.adapter.Close(ctx)
	})
	errs = append(errs, s.closeErr)
	errs = append(errs, s.engine.Shutdown(ctx))
	return errors.Join(errs...)
}
