package core

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sio/sio/core/engineio"
)

// RecoveryConfig turns on connection state recovery (Socket.IO 4.6+): a
// client that lost its connection gets back, within the window, its id,
// rooms and data, and the events broadcast meanwhile.
type RecoveryConfig struct {
	// MaxDisconnectionDuration is how long a session is kept. Zero means
	// 2 minutes.
	MaxDisconnectionDuration time.Duration
	// RunMiddlewares runs the namespace middlewares again on a recovered
	// connection. By default (false) they are skipped, as in Node.
	RunMiddlewares bool
}

// Reasons after which a session is kept for recovery.
var recoverableReasons = map[string]bool{
	ReasonTransportError:     true,
	ReasonTransportClose:     true,
	ReasonForcedClose:        true,
	ReasonPingTimeout:        true,
	ReasonServerShuttingDown: true,
	ReasonForcedServerClose:  true,
}

// SessionState is what connection state recovery keeps of a socket.
type SessionState struct {
	SID   SocketID
	PID   string
	Nsp   string
	Rooms []Room
	Data  any
}

// SessionStore keeps what connection state recovery needs: the broadcast
// packets (each gets an offset) and the sessions of disconnected sockets.
// An [Adapter] may implement it to keep them in a shared store; otherwise
// the server keeps them in memory.
type SessionStore interface {
	// PersistPacket stores a broadcast packet and returns the packet to
	// deliver: the same event with its offset appended as last argument.
	PersistPacket(pkt *Packet, opts BroadcastOptions) *Packet
	// SaveSession keeps a session for the recovery window.
	SaveSession(s SessionState)
	// RestoreSession takes a session back and the packets it missed after
	// offset; ok is false when the session or the offset is unknown or
	// expired.
	RestoreSession(nsp, pid, offset string) (s SessionState, missed []*Packet, ok bool)
}

type savedSession struct {
	SessionState
	expires time.Time
}

type savedPacket struct {
	offset string
	pkt    *Packet // with the offset as its last argument
	opts   BroadcastOptions
	at     time.Time
}

// recoveryStore keeps sessions and broadcast packets in memory, like
// Node's in-memory SessionAwareAdapter. Old entries are dropped as new
// ones come, so no timer runs.
type recoveryStore struct {
	max time.Duration

	mu       sync.Mutex
	sessions map[string]*savedSession
	packets  map[string][]savedPacket // by namespace
	lastMs   int64
	seed     int
}

func newRecoveryStore(max time.Duration) *recoveryStore {
	return &recoveryStore{max: max, sessions: map[string]*savedSession{}, packets: map[string][]savedPacket{}}
}

const yeastAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"

func yeastEncode(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append(b, yeastAlphabet[n%64])
		n /= 64
	}
	slices.Reverse(b)
	return string(b)
}

// nextOffset returns a unique offset in the form of Node's in-memory
// adapter: the time in radix 64, plus ".seed" within one millisecond.
func (r *recoveryStore) nextOffsetLocked(now time.Time) string {
	ms := now.UnixMilli()
	id := yeastEncode(ms)
	if ms == r.lastMs {
		r.seed++
		return id + "." + yeastEncode(int64(r.seed))
	}
	r.lastMs, r.seed = ms, 0
	return id
}

var _ SessionStore = (*recoveryStore)(nil)

// PersistPacket implements [SessionStore].
func (r *recoveryStore) PersistPacket(pkt *Packet, opts BroadcastOptions) *Packet {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	off := r.nextOffsetLocked(now)
	args := make([]any, 0, len(pkt.Args)+1)
	args = append(append(args, pkt.Args...), off)
	out := &Packet{Nsp: pkt.Nsp, Event: pkt.Event, Args: args}
	list := r.packets[pkt.Nsp]
	// Drop what is older than the window.
	i := 0
	for i < len(list) && now.Sub(list[i].at) > r.max {
		i++
	}
	if i > 0 {
		list = slices.Delete(list, 0, i)
	}
	r.packets[pkt.Nsp] = append(list, savedPacket{offset: off, pkt: out, opts: opts, at: now})
	return out
}

// SaveSession implements [SessionStore].
func (r *recoveryStore) SaveSession(st SessionState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	for k, v := range r.sessions {
		if now.After(v.expires) {
			delete(r.sessions, k)
		}
	}
	r.sessions[st.PID] = &savedSession{SessionState: st, expires: now.Add(r.max)}
}

// RestoreSession implements [SessionStore].
func (r *recoveryStore) RestoreSession(nsp, pid, offset string) (SessionState, []*Packet, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sessions[pid]
	if s == nil || s.Nsp != nsp {
		return SessionState{}, nil, false
	}
	delete(r.sessions, pid)
	if time.Now().After(s.expires) {
		return SessionState{}, nil, false
	}
	list := r.packets[nsp]
	idx := slices.IndexFunc(list, func(p savedPacket) bool { return p.offset == offset })
	if idx < 0 {
		return SessionState{}, nil, false
	}
	var missed []*Packet
	for _, p := range list[idx+1:] {
		if sessionMatches(s.Rooms, p.opts) {
			missed = append(missed, p.pkt)
		}
	}
	return s.SessionState, missed, true
}

// sessionMatches applies a broadcast's selection to a session's rooms.
func sessionMatches(rooms []Room, o BroadcastOptions) bool {
	for _, r := range o.Except {
		if slices.Contains(rooms, r) {
			return false
		}
	}
	if len(o.Rooms) == 0 {
		return true
	}
	for _, r := range o.Rooms {
		if slices.Contains(rooms, r) {
			return true
		}
	}
	return false
}

func newPID() string { return engineio.NewID() }

// recoveryAuth reads pid and offset from a CONNECT payload.
func recoveryAuth(auth map[string]any) (pid, offset string, ok bool) {
	pid, ok1 := auth["pid"].(string)
	offset, ok2 := auth["offset"].(string)
	return pid, offset, ok1 && ok2 && pid != "" && !strings.ContainsAny(offset, "\x00")
}
