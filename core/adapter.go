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
	// Timeout bounds a broadcast's acknowledgements and cluster requests.
	Timeout time.Duration
	// ExpectSingleResponse marks an ack request to one remote socket.
	ExpectSingleResponse bool
}

// BroadcastOptions select the sockets of an operation: those in any of
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
	// Args are the event's arguments, as given to Emit ([]byte for binary,
	// [Args] for arguments received from a client).
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
		p.frames, p.err = encodeEvent(nil, p.Nsp, sio.NoID, p.Event, p.Args)
	})
	return p.frames, p.err
}

// SocketInfo describes a socket for cluster-wide operations: what
// FetchSockets returns for sockets of other servers.
type SocketInfo struct {
	ID        SocketID
	Handshake *Handshake
	Rooms     []Room
	// Data is the socket's data (see [Socket.SetData]); for a socket of
	// another server it is the decoded JSON value.
	Data any
}

// Local is what a server offers its adapter: operations on the sockets
// connected to this server. The adapter calls them for what it receives
// from other servers, and for the local part of its own operations.
type Local interface {
	// Broadcast writes pkt to the local sockets of pkt.Nsp that opts select.
	Broadcast(pkt *Packet, opts BroadcastOptions)
	// BroadcastWithAck writes pkt with an ack request to the selected
	// local sockets and returns how many it reached; onAck is called with
	// each answer, until opts.Flags.Timeout: the first argument of each
	// client's ack, as an [Args] of one raw value.
	BroadcastWithAck(pkt *Packet, opts BroadcastOptions, onAck func(any)) int
	// FetchSockets describes the selected local sockets.
	FetchSockets(nsp string, opts BroadcastOptions) []SocketInfo
	// SocketsJoin makes the selected local sockets join rooms.
	SocketsJoin(nsp string, opts BroadcastOptions, rooms []Room)
	// SocketsLeave makes the selected local sockets leave rooms.
	SocketsLeave(nsp string, opts BroadcastOptions, rooms []Room)
	// DisconnectSockets disconnects the selected local sockets.
	DisconnectSockets(nsp string, opts BroadcastOptions, close bool)
	// ServerSideEmit calls the namespace's server-side listeners of an
	// event emitted by another server. ack is nil when no answer is
	// wanted; otherwise only its first call counts.
	ServerSideEmit(nsp string, event string, args []any, ack func(any))
	// Rooms lists the rooms with local members.
	Rooms(nsp string) []Room
	// HasRoom reports whether a room has local members (a cheap filter
	// for adapters whose channels name rooms).
	HasRoom(nsp string, room Room) bool
}

// Adapter connects a server to the other servers of a cluster. Room
// membership and delivery to local sockets stay in the server; an adapter
// carries what crosses servers and calls [Local] for what arrives. The
// server calls Start once, then AddNamespace for each namespace before its
// first socket, and Close when it shuts down. Methods may be called from
// many goroutines at once.
//
// Most adapters are built with [NewClusterAdapter] over a small
// [ClusterBackend]; the in-memory one is [NewMemoryAdapter].
type Adapter interface {
	Start(local Local) error
	AddNamespace(ctx context.Context, nsp string) error
	RemoveNamespace(ctx context.Context, nsp string) error

	// Broadcast delivers pkt to the sockets opts select on every server,
	// this one included (through Local.Broadcast). With opts.Flags.Local
	// it only delivers locally.
	Broadcast(ctx context.Context, pkt *Packet, opts BroadcastOptions) error
	// BroadcastWithAck is Broadcast with acknowledgements: onClientCount is
	// called once per server with the number of its sockets reached, and
	// onAck with each client's answer, until opts.Flags.Timeout.
	BroadcastWithAck(ctx context.Context, pkt *Packet, opts BroadcastOptions, onClientCount func(int), onAck func(any)) error
	// FetchSockets describes the selected sockets of every server.
	FetchSockets(ctx context.Context, nsp string, opts BroadcastOptions) ([]SocketInfo, error)
	// SocketsJoin, SocketsLeave and DisconnectSockets act on the selected
	// sockets of every server.
	SocketsJoin(ctx context.Context, nsp string, opts BroadcastOptions, rooms []Room) error
	SocketsLeave(ctx context.Context, nsp string, opts BroadcastOptions, rooms []Room) error
	DisconnectSockets(ctx context.Context, nsp string, opts BroadcastOptions, close bool) error
	// ServerSideEmit calls the listeners of the other servers. With
	// wantAck it returns one answer per other server, or an error with the
	// answers received when ctx ends or the adapter's timeout passes.
	ServerSideEmit(ctx context.Context, nsp string, event string, args []any, wantAck bool) ([]any, error)
	// ServerCount is the number of servers of the cluster, this one
	// included.
	ServerCount(ctx context.Context, nsp string) (int, error)
	// AllRooms lists the rooms with members on any server.
	AllRooms(ctx context.Context, nsp string) ([]Room, error)

	Close(ctx context.Context) error
}
