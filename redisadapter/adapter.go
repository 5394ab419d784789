package redisadapter

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/go-sio/sio/core"
)

// Config configures [New]. The zero value gives the defaults of Node's
// @socket.io/redis-adapter.
type Config struct {
	// Key prefixes every channel. Zero means "socket.io".
	Key string
	// RequestsTimeout bounds requests to the other servers (FetchSockets,
	// ServerSideEmit with acks, AllRooms). Zero means 5s.
	RequestsTimeout time.Duration
	// PublishOnSpecificResponseChannel sends responses on the requesting
	// server's own channel instead of the shared one.
	PublishOnSpecificResponseChannel bool
	// Logger receives diagnostics (one line when Redis goes away, one when
	// it is back). Nil means silent.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Key == "" {
		c.Key = "socket.io"
	}
	if c.RequestsTimeout <= 0 {
		c.RequestsTimeout = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Adapter is a [core.Adapter] over Redis. Give each server its own.
type Adapter struct {
	*core.ClusterAdapter
	b interface{ connectedFlag() *atomic.Bool }
}

var _ core.Adapter = (*Adapter)(nil)

// New returns the classic Redis adapter over rdb, which may be a
// standalone, Sentinel or Cluster client. The adapter opens one Pub/Sub
// connection of its own; it does not close rdb.
func New(rdb redis.UniversalClient, cfg Config) *Adapter {
	cfg = cfg.withDefaults()
	b := newClassic(rdb, cfg)
	ca := core.NewClusterAdapter(b, core.ClusterConfig{
		RequestsTimeout: cfg.RequestsTimeout,
		Logger:          cfg.Logger,
	})
	return &Adapter{ClusterAdapter: ca, b: b}
}

// Connected reports whether the adapter's subscription to Redis is up.
// While it is down, local delivery goes on, broadcasts do not reach the
// other servers and requests fail.
func (a *Adapter) Connected() bool { return a.b.connectedFlag().Load() }
