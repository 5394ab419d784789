package core

import (
	"errors"
	"slices"
	"sync"
	"time"
)

// serverLocal gives the adapter access to this server's sockets; it keeps
// these methods off the Server's own API.
type serverLocal struct{ s *Server }

var _ Local = serverLocal{}

func (l serverLocal) nsp(name string) *Namespace { return l.s.lookupNamespace(name) }

func (l serverLocal) Broadcast(pkt *Packet, opts BroadcastOptions) {
	if n := l.nsp(pkt.Nsp); n != nil {
		n.deliver(pkt, opts)
	}
}

func (l serverLocal) BroadcastWithAck(pkt *Packet, opts BroadcastOptions, onAck func(any)) int {
	n := l.nsp(pkt.Nsp)
	if n == nil {
		return 0
	}
	return n.deliverWithAck(pkt, opts, onAck)
}

func (l serverLocal) FetchSockets(nsp string, opts BroadcastOptions) []SocketInfo {
	n := l.nsp(nsp)
	if n == nil {
		return nil
	}
	socks := n.selectSockets(opts)
	out := make([]SocketInfo, len(socks))
	for i, s := range socks {
		out[i] = s.info()
	}
	return out
}

func (l serverLocal) SocketsJoin(nsp string, opts BroadcastOptions, rooms []Room) {
	if n := l.nsp(nsp); n != nil {
		for _, s := range n.selectSockets(opts) {
			s.Join(rooms...)
		}
	}
}

func (l serverLocal) SocketsLeave(nsp string, opts BroadcastOptions, rooms []Room) {
	if n := l.nsp(nsp); n != nil {
		for _, s := range n.selectSockets(opts) {
			for _, r := range rooms {
				s.Leave(r)
			}
		}
	}
}

func (l serverLocal) DisconnectSockets(nsp string, opts BroadcastOptions, close bool) {
	if n := l.nsp(nsp); n != nil {
		for _, s := range n.selectSockets(opts) {
			s.Disconnect(close)
		}
	}
}

func (l serverLocal) ServerSideEmit(nsp string, event string, args []any, ack func(any)) {
	if n := l.nsp(nsp); n != nil {
		n.onServerSideEmit(event, args, ack)
	}
}

func (l serverLocal) Rooms(nsp string) []Room {
	n := l.nsp(nsp)
	if n == nil {
		return nil
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]Room, 0, len(n.rooms))
	for r := range n.rooms {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

func (l serverLocal) HasRoom(nsp string, room Room) bool {
	n := l.nsp(nsp)
	if n == nil {
		return false
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.rooms[room]) > 0
}

// selectSockets returns the local sockets opts select.
func (n *Namespace) selectSockets(opts BroadcastOptions) []*Socket {
	return n.collect(nil, opts)
}

// deliverWithAck writes pkt, with one ack id for all recipients, to the
// selected sockets and routes their answers to onAck until the timeout.
func (n *Namespace) deliverWithAck(pkt *Packet, opts BroadcastOptions, onAck func(any)) int {
	id := n.ackID.Add(1) - 1
	frames, err := encodeEvent(nil, n.name, id, pkt.Event, pkt.Args)
	if err != nil {
		n.srv.cfg.Logger.Error("sio: cannot encode packet", "event", pkt.Event, "err", err)
		return 0
	}
	targets := n.selectSockets(opts)
	reached := make([]*Socket, 0, len(targets))
	var mu sync.Mutex
	done := false
	cb := func(a Args, err error) {
		if err != nil {
			return
		}
		mu.Lock()
		over := done
		mu.Unlock()
		if over {
			return
		}
		// The first answer argument, still raw: adapters forward it as the
		// client wrote it (key order included).
		first := Args{attachments: a.attachments}
		if a.Len() > 0 {
			first.raw = a.raw[:1]
		}
		onAck(first)
	}
	for _, s := range targets {
		if !s.addAck(id, &pendingAck{cb: cb}) {
			continue
		}
		var sendErr error
		if opts.Flags.Volatile {
			if !s.client.sess.SendVolatile(frames...) {
				sendErr = errDropped
			}
		} else {
			sendErr = s.client.send(frames)
		}
		if sendErr != nil {
			s.takeAck(id)
			continue
		}
		reached = append(reached, s)
	}
	timeout := opts.Flags.Timeout
	if timeout <= 0 {
		timeout = time.Millisecond // Node arms the timer with an undefined delay
	}
	time.AfterFunc(timeout, func() {
		mu.Lock()
		done = true
		mu.Unlock()
		for _, s := range reached {
			s.takeAck(id)
		}
	})
	return len(reached)
}

var errDropped = errors.New("core: volatile packet dropped")

func (s *Socket) addAck(id int64, pa *pendingAck) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.connected {
		return false
	}
	s.acks[id] = pa
	return true
}
