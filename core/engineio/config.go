package engineio

import (
	"log/slog"
	"time"
)

// Transport names.
const (
	Polling   = "polling"
	WebSocket = "websocket"
)

// Config configures a [Server]. The zero value gives the defaults of the
// Node.js reference server.
type Config struct {
	// PingInterval is the time between two pings. Zero means 25s.
	PingInterval time.Duration
	// PingTimeout is how long the server waits for a pong. Zero means 20s.
	PingTimeout time.Duration
	// UpgradeTimeout bounds a polling to WebSocket upgrade. Zero means 10s.
	UpgradeTimeout time.Duration
	// MaxPayload is the largest POST body or WebSocket message accepted,
	// in bytes (Node's maxHttpBufferSize). Zero means 1e6.
	MaxPayload int
	// Transports lists the enabled transports. Nil means polling and websocket.
	Transports []string
	// DisableUpgrades stops polling sessions from upgrading to WebSocket.
	DisableUpgrades bool
	// AllowEIO3 accepts Engine.IO v3 clients (socket.io-client v2). Off by
	// default, as in Node.
	AllowEIO3 bool
	// AllowRequest, when set, is called before a session is created; a
	// non-nil error refuses the handshake with 403 and the error's text.
	AllowRequest func(r *Request) error
	// CORS, when set, adds CORS headers to every request and answers
	// preflight requests, as Node's cors option does. Nil means no CORS headers.
	CORS *CORS
	// CheckOrigin decides whether a WebSocket request with an Origin header
	// is accepted. Browsers do not apply CORS to WebSocket, so this check
	// guards against cross-site WebSocket hijacking. Nil means: accept a
	// missing Origin, an Origin whose host is the request's Host, and the
	// origins that CORS allows.
	CheckOrigin func(r *Request) bool
	// MaxQueuedPackets bounds the packets waiting to be written to one
	// session. A session whose queue overflows is closed with reason
	// "transport error" (a slow consumer never blocks others). Zero means 4096.
	MaxQueuedPackets int
	// WriteTimeout bounds one WebSocket write (a write gets between half
	// of it and all of it). Zero means 10s.
	WriteTimeout time.Duration
	// OnSession is called for each new session before the client receives
	// its id. It must set the session's handler with [Session.SetHandler].
	OnSession func(s *Session)
	// Logger receives diagnostics. Nil means silent.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.PingInterval <= 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = 20 * time.Second
	}
	if c.UpgradeTimeout <= 0 {
		c.UpgradeTimeout = 10 * time.Second
	}
	if c.MaxPayload <= 0 {
		c.MaxPayload = 1e6
	}
	if c.Transports == nil {
		c.Transports = []string{Polling, WebSocket}
	} else {
		c.Transports = append([]string(nil), c.Transports...)
	}
	if c.MaxQueuedPackets <= 0 {
		c.MaxQueuedPackets = 4096
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
