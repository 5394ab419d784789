package core

import (
	"context"
	"slices"
	"time"

	"github.com/go-sio/sio/core/internal/sio"
)

// BroadcastOperator selects sockets and flags for a broadcast. It is a
// value: each method returns a new operator and leaves its receiver as it
// was, so operators can be shared and derived freely.
type BroadcastOperator struct {
	nsp    *Namespace
	rooms  []Room
	except []Room
	flags  BroadcastFlags
}

// To adds rooms to the targets: a socket in any target room is reached.
func (b BroadcastOperator) To(rooms ...Room) BroadcastOperator {
	b.rooms = append(slices.Clip(b.rooms), rooms...)
	return b
}

// In is the same as To.
func (b BroadcastOperator) In(rooms ...Room) BroadcastOperator { return b.To(rooms...) }

// Except excludes the sockets in any of rooms.
func (b BroadcastOperator) Except(rooms ...Room) BroadcastOperator {
	b.except = append(slices.Clip(b.except), rooms...)
	return b
}

// Volatile lets the packet be dropped for clients not ready to take it.
func (b BroadcastOperator) Volatile() BroadcastOperator {
	b.flags.Volatile = true
	return b
}

// Local restricts the broadcast to this server's sockets.
func (b BroadcastOperator) Local() BroadcastOperator {
	b.flags.Local = true
	return b
}

// Compress sets the compression hint.
func (b BroadcastOperator) Compress(on bool) BroadcastOperator {
	b.flags.Compress = on
	return b
}

// Timeout sets how long acknowledgements are awaited.
func (b BroadcastOperator) Timeout(d time.Duration) BroadcastOperator {
	b.flags.Timeout = d
	return b
}

// Options are the operator's targets and flags.
func (b BroadcastOperator) Options() BroadcastOptions {
	return BroadcastOptions{Rooms: slices.Clone(b.rooms), Except: slices.Clone(b.except), Flags: b.flags}
}

// Emit sends an event to the selected sockets. The packet is encoded once
// for all recipients.
func (b BroadcastOperator) Emit(event string, args ...any) error {
	return b.EmitContext(context.Background(), event, args...)
}

// EmitContext is Emit with a context for the adapter (which may publish
// over the network).
func (b BroadcastOperator) EmitContext(ctx context.Context, event string, args ...any) error {
	if sio.IsReserved(event) {
		return ErrReservedEvent
	}
	pkt := NewPacket(b.nsp.name, event, args...)
	if _, err := pkt.encode(); err != nil {
		return err
	}
	return b.nsp.srv.adapter.Broadcast(ctx, pkt, b.Options())
}
