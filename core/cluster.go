package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// MessageType is the type of a [ClusterMessage]; the values are those of
// the Node.js ClusterAdapter (socket.io-adapter), so that back ends can
// put them on the wire as they are.
type MessageType int

// Cluster message types.
const (
	MsgBroadcast              MessageType = 3
	MsgSocketsJoin            MessageType = 4
	MsgSocketsLeave           MessageType = 5
	MsgDisconnectSockets      MessageType = 6
	MsgFetchSockets           MessageType = 7
	MsgFetchSocketsResponse   MessageType = 8
	MsgServerSideEmit         MessageType = 9
	MsgServerSideEmitResponse MessageType = 10
	MsgBroadcastClientCount   MessageType = 11
	MsgBroadcastAck           MessageType = 12
)

// ClusterMessage is what servers of a cluster exchange. Which fields are
// set depends on Type.
type ClusterMessage struct {
	Type MessageType
	// UID identifies the sending server.
	UID string
	Nsp string
	// RequestID ties responses to their request; empty for messages that
	// expect none.
	RequestID string

	// MsgBroadcast: the event and the selection (Opts also selects for
	// joins, leaves, disconnects and fetches).
	Packet *Packet
	Opts   BroadcastOptions
	// MsgSocketsJoin, MsgSocketsLeave: the rooms to join or leave.
	Rooms []Room
	// MsgDisconnectSockets: close the connections too.
	Close bool
	// MsgFetchSocketsResponse.
	Sockets []SocketInfo
	// MsgBroadcastClientCount.
	ClientCount int
	// MsgServerSideEmit: the event and its arguments.
	Event string
	Args  []any
	// MsgBroadcastAck, MsgServerSideEmitResponse: the answer.
	Response any
}

// ClusterBackend moves [ClusterMessage]s between the servers of a
// cluster; [NewClusterAdapter] builds a full [Adapter] on it.
type ClusterBackend interface {
	// Start binds the backend to the adapter that receives messages.
	Start(r ClusterReceiver) error
	// AddNamespace / RemoveNamespace subscribe and unsubscribe.
	AddNamespace(ctx context.Context, nsp string) error
	RemoveNamespace(ctx context.Context, nsp string) error
	// Publish sends msg to every server of the cluster (a server ignores
	// its own messages).
	Publish(ctx context.Context, msg *ClusterMessage) error
	// PublishResponse sends msg to the server with uid toUID.
	PublishResponse(ctx context.Context, toUID string, msg *ClusterMessage) error
	// ServerCount is the number of servers serving nsp, this one included.
	ServerCount(ctx context.Context, nsp string) (int, error)
	Close(ctx context.Context) error
}

// ClusterReceiver is what a [ClusterBackend] delivers messages to.
type ClusterReceiver interface {
	// UID identifies this server in the cluster.
	UID() string
	// OnMessage handles a message published by a server (own messages are
	// dropped here too).
	OnMessage(msg *ClusterMessage)
	// OnResponse handles a response addressed to this server.
	OnResponse(msg *ClusterMessage)
	// Local gives access to this server's sockets, for back ends whose
	// wire protocol has requests of its own.
	Local() Local
}

// ClusterConfig configures [NewClusterAdapter].
type ClusterConfig struct {
	// RequestsTimeout bounds requests that wait for other servers
	// (FetchSockets, AllRooms, ServerSideEmit with acks). Zero means 5s.
	RequestsTimeout time.Duration
	// UID names this server; empty means 16 random hex characters.
	UID string
	// Logger receives diagnostics. Nil means silent.
	Logger *slog.Logger
}

// Cluster errors.
var (
	// ErrRequestTimeout is matched (errors.Is) by the errors of cluster
	// requests that did not get every server's answer in time; partial
	// results come with them.
	ErrRequestTimeout = errors.New("core: timeout reached while waiting for the other servers")
	ErrAdapterClosed  = errors.New("core: adapter closed")
)

// RequestTimeoutError tells how many servers answered a cluster request
// before its timeout.
type RequestTimeoutError struct {
	Received, Expected int
}

func (e *RequestTimeoutError) Error() string {
	return fmt.Sprintf("core: timeout reached: only %d responses received out of %d", e.Received, e.Expected)
}

// Unwrap makes the error match [ErrRequestTimeout].
func (e *RequestTimeoutError) Unwrap() error { return ErrRequestTimeout }

// ClusterAdapter implements [Adapter] over a [ClusterBackend], with the
// semantics of Node's ClusterAdapter: it is written once, so every back
// end behaves the same.
type ClusterAdapter struct {
	cfg     ClusterConfig
	backend ClusterBackend
	local   Local

	mu       sync.Mutex
	requests map[string]*pendingRequest
	closed   bool
}

var _ Adapter = (*ClusterAdapter)(nil)

type pendingRequest struct {
	onResponse func(*ClusterMessage)
}

// NewClusterAdapter returns an adapter that exchanges messages through
// backend.
func NewClusterAdapter(backend ClusterBackend, cfg ClusterConfig) *ClusterAdapter {
	if cfg.RequestsTimeout <= 0 {
		cfg.RequestsTimeout = 5 * time.Second
	}
	if cfg.UID == "" {
		cfg.UID = randomHex(8)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &ClusterAdapter{cfg: cfg, backend: backend, requests: make(map[string]*pendingRequest)}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// UID identifies this server in the cluster.
func (a *ClusterAdapter) UID() string { return a.cfg.UID }

// Local implements [ClusterReceiver].
func (a *ClusterAdapter) Local() Local { return a.local }

// Start implements [Adapter].
func (a *ClusterAdapter) Start(local Local) error {
	a.local = local
	return a.backend.Start(a)
}

// AddNamespace implements [Adapter].
func (a *ClusterAdapter) AddNamespace(ctx context.Context, nsp string) error {
	return a.backend.AddNamespace(ctx, nsp)
}

// RemoveNamespace implements [Adapter].
func (a *ClusterAdapter) RemoveNamespace(ctx context.Context, nsp string) error {
	return a.backend.RemoveNamespace(ctx, nsp)
}

// Close implements [Adapter]: pending requests end with ErrAdapterClosed.
func (a *ClusterAdapter) Close(ctx context.Context) error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	return a.backend.Close(ctx)
}

func (a *ClusterAdapter) publish(ctx context.Context, msg *ClusterMessage) error {
	msg.UID = a.cfg.UID
	return a.backend.Publish(ctx, msg)
}

func (a *ClusterAdapter) respond(ctx context.Context, to string, msg *ClusterMessage) {
	msg.UID = a.cfg.UID
	if err := a.backend.PublishResponse(ctx, to, msg); err != nil {
		a.cfg.Logger.Warn("sio: cannot publish response", "type", msg.Type, "err", err)
	}
}

// Broadcast implements [Adapter]: publish first, so that other servers
// start delivering while this one does.
func (a *ClusterAdapter) Broadcast(ctx context.Context, pkt *Packet, opts BroadcastOptions) error {
	var err error
	if !opts.Flags.Local {
		err = a.publish(ctx, &ClusterMessage{Type: MsgBroadcast, Nsp: pkt.Nsp, Packet: pkt, Opts: opts})
	}
	a.local.Broadcast(pkt, opts)
	return err
}

// BroadcastWithAck implements [Adapter].
func (a *ClusterAdapter) BroadcastWithAck(ctx context.Context, pkt *Packet, opts BroadcastOptions, onClientCount func(int), onAck func(any)) error {
	var err error
	if !opts.Flags.Local {
		id := randomHex(8)
		timeout := opts.Flags.Timeout
		if timeout <= 0 {
			timeout = a.cfg.RequestsTimeout
		}
		a.track(id, timeout, func(m *ClusterMessage) {
			switch m.Type {
			case MsgBroadcastClientCount:
				onClientCount(m.ClientCount)
			case MsgBroadcastAck:
				onAck(m.Response)
			}
		}, nil)
		err = a.publish(ctx, &ClusterMessage{Type: MsgBroadcast, Nsp: pkt.Nsp, RequestID: id, Packet: pkt, Opts: opts})
	}
	onClientCount(a.local.BroadcastWithAck(pkt, opts, onAck))
	return err
}

// track registers a pending request for d; onEnd runs once when it ends.
func (a *ClusterAdapter) track(id string, d time.Duration, onResponse func(*ClusterMessage), onEnd func()) {
	a.mu.Lock()
	a.requests[id] = &pendingRequest{onResponse: onResponse}
	a.mu.Unlock()
	time.AfterFunc(d, func() {
		a.mu.Lock()
		delete(a.requests, id)
		a.mu.Unlock()
		if onEnd != nil {
			onEnd()
		}
	})
}

func (a *ClusterAdapter) untrack(id string) {
	a.mu.Lock()
	delete(a.requests, id)
	a.mu.Unlock()
}

// collect publishes a request and gathers one response per other server.
func (a *ClusterAdapter) collect(ctx context.Context, msg *ClusterMessage, timeout time.Duration) ([]*ClusterMessage, error) {
	n, err := a.backend.ServerCount(ctx, msg.Nsp)
	if err != nil {
		return nil, err
	}
	expected := n - 1
	if expected <= 0 {
		return nil, nil
	}
	if timeout <= 0 {
		timeout = a.cfg.RequestsTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := randomHex(8)
	msg.RequestID = id
	ch := make(chan *ClusterMessage, expected)
	a.mu.Lock()
	a.requests[id] = &pendingRequest{onResponse: func(m *ClusterMessage) {
		select {
		case ch <- m:
		default:
		}
	}}
	a.mu.Unlock()
	defer a.untrack(id)
	if err := a.publish(ctx, msg); err != nil {
		return nil, err
	}
	out := make([]*ClusterMessage, 0, expected)
	for len(out) < expected {
		select {
		case m := <-ch:
			out = append(out, m)
		case <-ctx.Done():
			return out, &RequestTimeoutError{Received: len(out), Expected: expected}
		}
	}
	return out, nil
}

// FetchSockets implements [Adapter].
func (a *ClusterAdapter) FetchSockets(ctx context.Context, nsp string, opts BroadcastOptions) ([]SocketInfo, error) {
	out := a.local.FetchSockets(nsp, opts)
	if opts.Flags.Local {
		return out, nil
	}
	resps, err := a.collect(ctx, &ClusterMessage{Type: MsgFetchSockets, Nsp: nsp, Opts: opts}, opts.Flags.Timeout)
	for _, r := range resps {
		out = append(out, r.Sockets...)
	}
	return out, err
}

// SocketsJoin implements [Adapter].
func (a *ClusterAdapter) SocketsJoin(ctx context.Context, nsp string, opts BroadcastOptions, rooms []Room) error {
	a.local.SocketsJoin(nsp, opts, rooms)
	if opts.Flags.Local {
		return nil
	}
	return a.publish(ctx, &ClusterMessage{Type: MsgSocketsJoin, Nsp: nsp, Opts: opts, Rooms: rooms})
}

// SocketsLeave implements [Adapter].
func (a *ClusterAdapter) SocketsLeave(ctx context.Context, nsp string, opts BroadcastOptions, rooms []Room) error {
	a.local.SocketsLeave(nsp, opts, rooms)
	if opts.Flags.Local {
		return nil
	}
	return a.publish(ctx, &ClusterMessage{Type: MsgSocketsLeave, Nsp: nsp, Opts: opts, Rooms: rooms})
}

// DisconnectSockets implements [Adapter].
func (a *ClusterAdapter) DisconnectSockets(ctx context.Context, nsp string, opts BroadcastOptions, close bool) error {
	var err error
	if !opts.Flags.Local {
		err = a.publish(ctx, &ClusterMessage{Type: MsgDisconnectSockets, Nsp: nsp, Opts: opts, Close: close})
	}
	a.local.DisconnectSockets(nsp, opts, close)
	return err
}

// ServerSideEmit implements [Adapter].
func (a *ClusterAdapter) ServerSideEmit(ctx context.Context, nsp string, event string, args []any, wantAck bool) ([]any, error) {
	msg := &ClusterMessage{Type: MsgServerSideEmit, Nsp: nsp, Event: event, Args: args}
	if !wantAck {
		return nil, a.publish(ctx, msg)
	}
	resps, err := a.collect(ctx, msg, 0)
	out := make([]any, len(resps))
	for i, r := range resps {
		out[i] = r.Response
	}
	return out, err
}

// ServerCount implements [Adapter].
func (a *ClusterAdapter) ServerCount(ctx context.Context, nsp string) (int, error) {
	return a.backend.ServerCount(ctx, nsp)
}

// AllRooms implements [Adapter]. The Node ClusterAdapter has no cluster
// request for rooms; this one asks every server through FetchSockets.
func (a *ClusterAdapter) AllRooms(ctx context.Context, nsp string) ([]Room, error) {
	socks, err := a.FetchSockets(ctx, nsp, BroadcastOptions{})
	seen := map[Room]struct{}{}
	var out []Room
	for _, r := range a.local.Rooms(nsp) {
		if _, ok := seen[r]; !ok {
			seen[r] = struct{}{}
			out = append(out, r)
		}
	}
	for _, s := range socks {
		for _, r := range s.Rooms {
			if _, ok := seen[r]; !ok {
				seen[r] = struct{}{}
				out = append(out, r)
			}
		}
	}
	return out, err
}

// OnMessage implements [ClusterReceiver].
func (a *ClusterAdapter) OnMessage(msg *ClusterMessage) {
	if msg.UID == a.cfg.UID {
		return
	}
	ctx := context.Background()
	switch msg.Type {
	case MsgBroadcast:
		if msg.Packet == nil {
			return
		}
		if msg.RequestID == "" {
			a.local.Broadcast(msg.Packet, msg.Opts)
			return
		}
		to, id := msg.UID, msg.RequestID
		n := a.local.BroadcastWithAck(msg.Packet, msg.Opts, func(v any) {
			a.respond(ctx, to, &ClusterMessage{Type: MsgBroadcastAck, Nsp: msg.Nsp, RequestID: id, Response: v})
		})
		a.respond(ctx, to, &ClusterMessage{Type: MsgBroadcastClientCount, Nsp: msg.Nsp, RequestID: id, ClientCount: n})
	case MsgSocketsJoin:
		a.local.SocketsJoin(msg.Nsp, msg.Opts, msg.Rooms)
	case MsgSocketsLeave:
		a.local.SocketsLeave(msg.Nsp, msg.Opts, msg.Rooms)
	case MsgDisconnectSockets:
		a.local.DisconnectSockets(msg.Nsp, msg.Opts, msg.Close)
	case MsgFetchSockets:
		socks := a.local.FetchSockets(msg.Nsp, msg.Opts)
		a.respond(ctx, msg.UID, &ClusterMessage{Type: MsgFetchSocketsResponse, Nsp: msg.Nsp, RequestID: msg.RequestID, Sockets: socks})
	case MsgServerSideEmit:
		var ack func(any)
		if msg.RequestID != "" {
			to, id := msg.UID, msg.RequestID
			var once sync.Once
			ack = func(v any) {
				once.Do(func() {
					a.respond(ctx, to, &ClusterMessage{Type: MsgServerSideEmitResponse, Nsp: msg.Nsp, RequestID: id, Response: v})
				})
			}
		}
		a.local.ServerSideEmit(msg.Nsp, msg.Event, msg.Args, ack)
	}
}

// OnResponse implements [ClusterReceiver].
func (a *ClusterAdapter) OnResponse(msg *ClusterMessage) {
	a.mu.Lock()
	p := a.requests[msg.RequestID]
	a.mu.Unlock()
	if p != nil {
		p.onResponse(msg)
	}
}

// RoomCreated implements [RoomWatcher] for back ends that watch rooms.
func (a *ClusterAdapter) RoomCreated(nsp string, room Room, private bool) {
	if rw, ok := a.backend.(RoomWatcher); ok {
		rw.RoomCreated(nsp, room, private)
	}
}

// RoomDeleted implements [RoomWatcher] for back ends that watch rooms.
func (a *ClusterAdapter) RoomDeleted(nsp string, room Room, private bool) {
	if rw, ok := a.backend.(RoomWatcher); ok {
		rw.RoomDeleted(nsp, room, private)
	}
}
