package core

import (
	"context"
	"sync"
	"time"

	"github.com/go-sio/sio/core/engineio"
	"github.com/go-sio/sio/core/internal/sio"
)

// Room names a group of sockets within a namespace. Every socket is in the
// room named after its own id.
type Room string

// SocketID identifies a socket; it is 20 characters long, like Node's.
type SocketID string

// BroadcastFlags modify a broadcast.
type BroadcastFlags struct {
	// Volatile packets are dropped for clients that cannot take them at
	// once.
	Volatile bool
	// Local packets reach this server's sockets only.
	Local bool
	// Compress is a hint for transports that compress. Operators start with
	// it true, as in Node.
	Compress bool
	// Timeout bounds a broadcast's acknowledgements.
	Timeout time.Duration
}

// BroadcastOptions select the sockets of a broadcast: those in any of
// Rooms (every socket when Rooms is empty) and in none of Except.
type BroadcastOptions struct {
	Rooms  []Room
	Except []Room
	Flags  BroadcastFlags
}

// Packet is an event on its way to clients. It is encoded once, whatever
// the number of recipients. Adapters may read its fields to carry it to
// other servers; they must not modify it.
type Packet struct {
	// Nsp is the namespace name ("/" for the main one).
	Nsp string
	// Event is the event name.
	Event string
	// Args are the event's arguments, as given to Emit ([]byte for binary).
	Args []any

	once   sync.Once
	frames []engineio.Frame
	err    error
}

// NewPacket returns an event packet for namespace nsp.
func NewPacket(nsp, event string, args ...any) *Packet {
	return &Packet{Nsp: nsp, Event: event, Args: args}
}

// encode returns the packet's frames, encoded on first use.
func (p *Packet) encode() ([]engineio.Frame, error) {
	p.once.Do(func() {
		p.frames, p.err = encodeEvent(p.Nsp, sio.NoID, p.Event, p.Args)
	})
	return p.frames, p.err
}

// LocalServer is what a server offers its adapter: delivery to the
// sockets connected to this server.
type LocalServer interface {
	// DeliverLocal writes pkt to this server's sockets that opts select.
	DeliverLocal(pkt *Packet, opts BroadcastOptions)
}

// Adapter connects a server to the others of a cluster. Room membership
// and delivery to local sockets stay in the server; an adapter carries
// what crosses servers. The server calls Start once before any other
// method, and Close when it shuts down.
//
// Methods may be called from many goroutines at once.
type Adapter interface {
	// Start binds the adapter to its server.
	Start(local LocalServer) error
	// Broadcast delivers pkt to the sockets opts select on every server
	// of the cluster, this one included (through local.DeliverLocal).
	// With opts.Flags.Local it only delivers locally.
	Broadcast(ctx context.Context, pkt *Packet, opts BroadcastOptions) error
	// Close releases the adapter's resources.
	Close(ctx context.Context) error
}

// MemoryAdapter is the default adapter: one server, nothing to carry.
type MemoryAdapter struct {
	local LocalServer
}

var _ Adapter = (*MemoryAdapter)(nil)

// NewMemoryAdapter returns an adapter for a single server.
func NewMemoryAdapter() *MemoryAdapter { return &MemoryAdapter{} }

// Start implements [Adapter].
func (a *MemoryAdapter) Start(local LocalServer) error {
	a.local = local
	return nil
}

// Broadcast implements [Adapter]: local delivery only.
func (a *MemoryAdapter) Broadcast(_ context.Context, pkt *Packet, opts BroadcastOptions) error {
	a.local.DeliverLocal(pkt, opts)
	return nil
}

// Close implements [Adapter].
func (a *MemoryAdapter) Close(context.Context) error { return nil }
