package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-sio/sio/core/internal/sio"
)

// ServerSideHandler handles an event emitted by another server with
// ServerSideEmit. ack answers the emitter (only the first call counts); it
// is nil when the emitter asked for no answer.
type ServerSideHandler func(args []any, ack func(any))

var reservedServerSide = map[string]bool{"connect": true, "connection": true, "new_namespace": true}

// OnServerSideEmit registers a handler for events that other servers of
// the cluster emit with ServerSideEmit. Handlers run on the adapter's
// goroutine and must not block.
func (n *Namespace) OnServerSideEmit(event string, fn ServerSideHandler) {
	n.mu.Lock()
	if n.serverSide == nil {
		n.serverSide = make(map[string][]ServerSideHandler)
	}
	n.serverSide[event] = append(n.serverSide[event], fn)
	n.mu.Unlock()
}

func (n *Namespace) onServerSideEmit(event string, args []any, ack func(any)) {
	n.mu.RLock()
	hs := slices.Clone(n.serverSide[event])
	n.mu.RUnlock()
	for _, h := range hs {
		func() {
			defer func() {
				if r := recover(); r != nil {
					n.srv.cfg.Logger.Error("sio: server-side handler panic", "nsp", n.name, "event", event, "panic", r)
				}
			}()
			h(args, ack)
		}()
	}
}

// ServerSideEmit calls the OnServerSideEmit handlers of the other servers
// of the cluster (not this one's).
func (n *Namespace) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	if reservedServerSide[event] {
		return ErrReservedEvent
	}
	_, err := n.srv.adapter.ServerSideEmit(ctx, n.name, event, args, false)
	return err
}

// ServerSideEmitWithAck is ServerSideEmit waiting for one answer from each
// other server. When some do not answer in time, the error comes with the
// answers received.
func (n *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]any, error) {
	if reservedServerSide[event] {
		return nil, ErrReservedEvent
	}
	return n.srv.adapter.ServerSideEmit(ctx, n.name, event, args, true)
}

// ServerCount is the number of servers in the cluster.
func (n *Namespace) ServerCount(ctx context.Context) (int, error) {
	return n.srv.adapter.ServerCount(ctx, n.name)
}

// AllRooms lists the rooms that have members on any server.
func (n *Namespace) AllRooms(ctx context.Context) ([]Room, error) {
	return n.srv.adapter.AllRooms(ctx, n.name)
}

// FetchSockets describes every socket of the namespace, on every server.
func (n *Namespace) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return n.operator().FetchSockets(ctx)
}

// SocketsJoin makes every socket of the namespace join rooms.
func (n *Namespace) SocketsJoin(ctx context.Context, rooms ...Room) error {
	return n.operator().SocketsJoin(ctx, rooms...)
}

// SocketsLeave makes every socket of the namespace leave rooms.
func (n *Namespace) SocketsLeave(ctx context.Context, rooms ...Room) error {
	return n.operator().SocketsLeave(ctx, rooms...)
}

// DisconnectSockets disconnects every socket of the namespace.
func (n *Namespace) DisconnectSockets(ctx context.Context, close bool) error {
	return n.operator().DisconnectSockets(ctx, close)
}

// FetchSockets describes the selected sockets, on every server (unless
// Local).
func (b BroadcastOperator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	infos, err := b.nsp.srv.adapter.FetchSockets(ctx, b.nsp.name, b.Options())
	out := make([]*RemoteSocket, len(infos))
	for i, info := range infos {
		out[i] = &RemoteSocket{info: info, nsp: b.nsp}
	}
	return out, err
}

// SocketsJoin makes the selected sockets join rooms.
func (b BroadcastOperator) SocketsJoin(ctx context.Context, rooms ...Room) error {
	return b.nsp.srv.adapter.SocketsJoin(ctx, b.nsp.name, b.Options(), rooms)
}

// SocketsLeave makes the selected sockets leave rooms.
func (b BroadcastOperator) SocketsLeave(ctx context.Context, rooms ...Room) error {
	return b.nsp.srv.adapter.SocketsLeave(ctx, b.nsp.name, b.Options(), rooms)
}

// DisconnectSockets disconnects the selected sockets (and their
// connections with close).
func (b BroadcastOperator) DisconnectSockets(ctx context.Context, close bool) error {
	return b.nsp.srv.adapter.DisconnectSockets(ctx, b.nsp.name, b.Options(), close)
}

// ErrNoAckTimeout refuses a broadcast with acks that has neither a
// Timeout nor a ctx deadline: it could wait forever.
var ErrNoAckTimeout = errors.New("core: broadcast with acks needs Timeout or a context deadline")

// EmitWithAck sends an event to the selected sockets of every server and
// collects one answer (the first ack argument) per reached client. It
// returns when every server has reported and every client answered, or at
// the timeout (Timeout, else ctx's deadline) with [ErrAckTimeout] and the
// answers received so far.
func (b BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]any, error) {
	if sio.IsReserved(event) {
		return nil, ErrReservedEvent
	}
	timeout := b.flags.Timeout
	if dl, ok := ctx.Deadline(); ok && (timeout <= 0 || time.Until(dl) < timeout) {
		timeout = time.Until(dl)
	}
	if timeout <= 0 {
		return nil, ErrNoAckTimeout
	}
	opts := b.Options()
	opts.Flags.Timeout = timeout
	pkt := NewPacket(b.nsp.name, event, args...)
	if _, err := pkt.encode(); err != nil {
		return nil, err
	}

	var (
		mu        sync.Mutex
		responses []any
		reported  int
		clients   int
		expected  = -1
		done      = make(chan struct{})
		closed    bool
	)
	check := func() { // with mu held
		if !closed && expected >= 0 && reported >= expected && len(responses) >= clients {
			closed = true
			close(done)
		}
	}
	onCount := func(c int) {
		mu.Lock()
		reported++
		clients += c
		check()
		mu.Unlock()
	}
	onAck := func(v any) {
		if a, ok := v.(Args); ok {
			v = nil
			if a.Len() > 0 {
				_ = a.decodeOne(0, &v)
			}
		}
		mu.Lock()
		if !closed {
			responses = append(responses, v)
			check()
		}
		mu.Unlock()
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := b.nsp.srv.adapter.BroadcastWithAck(tctx, pkt, opts, onCount, onAck); err != nil {
		return nil, err
	}
	n := 1
	if !opts.Flags.Local {
		var err error
		if n, err = b.nsp.srv.adapter.ServerCount(tctx, b.nsp.name); err != nil {
			return nil, err
		}
	}
	mu.Lock()
	expected = n
	check()
	mu.Unlock()
	select {
	case <-done:
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(responses), nil
	case <-tctx.Done():
		mu.Lock()
		defer mu.Unlock()
		closed = true
		return slices.Clone(responses), ErrAckTimeout
	}
}

// RemoteSocket is a socket of any server of the cluster, as FetchSockets
// describes it. Its methods act through the adapter, wherever the socket
// lives.
type RemoteSocket struct {
	info SocketInfo
	nsp  *Namespace
}

// ID is the socket's id.
func (r *RemoteSocket) ID() SocketID { return r.info.ID }

// Handshake describes how the socket connected.
func (r *RemoteSocket) Handshake() *Handshake { return r.info.Handshake }

// Rooms lists the socket's rooms when it was fetched.
func (r *RemoteSocket) Rooms() []Room { return slices.Clone(r.info.Rooms) }

// Data is the socket's data when it was fetched.
func (r *RemoteSocket) Data() any { return r.info.Data }

func (r *RemoteSocket) operator() BroadcastOperator { return r.nsp.operator().To(Room(r.info.ID)) }

// Emit sends an event to the socket.
func (r *RemoteSocket) Emit(event string, args ...any) error {
	return r.operator().Emit(event, args...)
}

// EmitWithAck sends an event to the socket and waits for its answer (the
// first ack argument) until ctx's deadline.
func (r *RemoteSocket) EmitWithAck(ctx context.Context, event string, args ...any) (any, error) {
	op := r.operator()
	op.flags.ExpectSingleResponse = true
	resp, err := op.EmitWithAck(ctx, event, args...)
	if len(resp) > 0 {
		return resp[0], nil
	}
	if err == nil {
		err = fmt.Errorf("core: socket %s is gone", r.info.ID)
	}
	return nil, err
}

// Join makes the socket join rooms.
func (r *RemoteSocket) Join(ctx context.Context, rooms ...Room) error {
	return r.operator().SocketsJoin(ctx, rooms...)
}

// Leave makes the socket leave rooms.
func (r *RemoteSocket) Leave(ctx context.Context, rooms ...Room) error {
	return r.operator().SocketsLeave(ctx, rooms...)
}

// Disconnect disconnects the socket (and its connection with close).
func (r *RemoteSocket) Disconnect(ctx context.Context, close bool) error {
	return r.operator().DisconnectSockets(ctx, close)
}
