package core

import (
	"log/slog"
	"strings"
	"time"

	"github.com/go-sio/sio/core/engineio"
)

// CORS configures the CORS answers of the polling transport; see
// [engineio.CORS].
type CORS = engineio.CORS

// Request is an HTTP request to the engine; see [engineio.Request].
type Request = engineio.Request

// Config configures a [Server]. The zero value gives the defaults of the
// Node.js reference server (socket.io 4.8).
type Config struct {
	// Path is where the server answers. Zero means "/socket.io/".
	Path string
	// PingInterval is the time between two heartbeats. Zero means 25s.
	PingInterval time.Duration
	// PingTimeout is how long a pong may take. Zero means 20s.
	PingTimeout time.Duration
	// UpgradeTimeout bounds a polling to WebSocket upgrade. Zero means 10s.
	UpgradeTimeout time.Duration
	// MaxHTTPBufferSize is the largest message or POST body, in bytes
	// (announced to clients as maxPayload). Zero means 1e6.
	MaxHTTPBufferSize int
	// ConnectTimeout closes a connection that joined no namespace in time.
	// Zero means 45s.
	ConnectTimeout time.Duration
	// Transports lists the enabled transports ("polling", "websocket").
	// Nil means both.
	Transports []string
	// DisableUpgrades keeps polling sessions on polling.
	DisableUpgrades bool
	// AllowEIO3 also serves socket.io-client v2 (Engine.IO v3, Socket.IO
	// protocol v4). Off by default, as in Node.
	AllowEIO3 bool
	// AllowRequest, when set, may refuse a handshake: the client gets 403
	// with the error's text.
	AllowRequest func(r *Request) error
	// CORS, when set, answers CORS requests on the polling transport.
	// Nil means no CORS headers, as in Node.
	CORS *CORS
	// CheckOrigin decides whether a WebSocket request with an Origin header
	// is accepted. Nil means: no Origin, the request's own host, or an
	// origin that CORS allows. Browsers do not apply CORS to WebSocket, so
	// this check is what stops cross-site WebSocket hijacking.
	CheckOrigin func(r *Request) bool
	// MaxQueuedPackets bounds the packets waiting for one client; a client
	// that falls further behind is disconnected ("transport error").
	// Zero means 4096.
	MaxQueuedPackets int
	// MaxAttachments bounds the binary attachments of one packet. Zero
	// means 10, as in socket.io-parser.
	MaxAttachments int
	// Recovery, when set, turns on connection state recovery. Nil means
	// off, as in Node.
	Recovery *RecoveryConfig
	// Adapter carries broadcasts and cluster-wide operations. Nil means an
	// in-memory adapter: a single server.
	Adapter Adapter
	// Logger receives diagnostics. Nil means silent.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = "/socket.io/"
	}
	if !strings.HasPrefix(c.Path, "/") {
		c.Path = "/" + c.Path
	}
	if !strings.HasSuffix(c.Path, "/") {
		c.Path += "/"
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 45 * time.Second
	}
	if c.MaxAttachments <= 0 {
		c.MaxAttachments = 10
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Recovery != nil {
		r := *c.Recovery
		if r.MaxDisconnectionDuration <= 0 {
			r.MaxDisconnectionDuration = 2 * time.Minute
		}
		c.Recovery = &r
	}
	if c.Adapter == nil {
		c.Adapter = NewMemoryAdapter()
	}
	return c
}
