package redisadapter

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/redisadapter/internal/msgpack"
)

// EmitterConfig configures [NewEmitter].
type EmitterConfig struct {
	// Key prefixes every channel; it must match the servers' adapter key.
	// Zero means "socket.io".
	Key string
}

// Emitter sends events and commands to the Socket.IO servers of a cluster
// from any process, without a server of its own, like Node's
// @socket.io/redis-emitter (with which it is wire-compatible). It is a
// value: To, Except, Of… return a new Emitter and leave the receiver as
// it was. It supports no acknowledgements.
type Emitter struct {
	rdb      redis.UniversalClient
	key      string
	nsp      string
	rooms    []core.Room
	except   []core.Room
	volatile bool
	compress *bool
}

// NewEmitter returns an emitter for the main namespace.
func NewEmitter(rdb redis.UniversalClient, cfg EmitterConfig) Emitter {
	if cfg.Key == "" {
		cfg.Key = "socket.io"
	}
	return Emitter{rdb: rdb, key: cfg.Key, nsp: "/"}
}

// Of returns an emitter for another namespace.
func (e Emitter) Of(nsp string) Emitter {
	if !strings.HasPrefix(nsp, "/") {
		nsp = "/" + nsp
	}
	e.nsp = nsp
	e.rooms, e.except = nil, nil
	return e
}

// To targets sockets in any of rooms.
func (e Emitter) To(rooms ...core.Room) Emitter {
	e.rooms = append(slices.Clip(e.rooms), rooms...)
	return e
}

// In is the same as To.
func (e Emitter) In(rooms ...core.Room) Emitter { return e.To(rooms...) }

// Except excludes sockets in any of rooms.
func (e Emitter) Except(rooms ...core.Room) Emitter {
	e.except = append(slices.Clip(e.except), rooms...)
	return e
}

// Volatile lets servers drop the event for clients not ready for it.
func (e Emitter) Volatile() Emitter {
	e.volatile = true
	return e
}

// Compress sets the compression hint.
func (e Emitter) Compress(on bool) Emitter {
	e.compress = &on
	return e
}

func (e Emitter) publish(ctx context.Context, channel string, body []byte) error {
	return e.rdb.Publish(ctx, channel, body).Err()
}

// Emit sends an event to the selected sockets of every server.
func (e Emitter) Emit(ctx context.Context, event string, args ...any) error {
	if core.IsReservedEvent(event) {
		return core.ErrReservedEvent
	}
	data, err := argsValues(event, args)
	if err != nil {
		return err
	}
	flags := msgpack.Map{}
	if e.volatile {
		flags = append(flags, msgpack.KV{Key: "volatile", Value: true})
	}
	if e.compress != nil {
		flags = append(flags, msgpack.KV{Key: "compress", Value: *e.compress})
	}
	body, err := msgpack.Marshal([]any{"emitter",
		msgpack.Map{{Key: "type", Value: 2}, {Key: "data", Value: data}, {Key: "nsp", Value: e.nsp}},
		msgpack.Map{{Key: "rooms", Value: rooms(e.rooms)}, {Key: "flags", Value: flags}, {Key: "except", Value: rooms(e.except)}},
	})
	if err != nil {
		return err
	}
	channel := e.key + "#" + e.nsp + "#"
	if r := rooms(e.rooms); len(r) == 1 {
		channel += r[0] + "#"
	}
	return e.publish(ctx, channel, body)
}

func (e Emitter) request(ctx context.Context, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return e.publish(ctx, e.key+"-request#"+e.nsp+"#", body)
}

// SocketsJoin makes the selected sockets join rooms.
func (e Emitter) SocketsJoin(ctx context.Context, rs ...core.Room) error {
	return e.request(ctx, struct {
		Type  int      `json:"type"`
		Opts  jsonOpts `json:"opts"`
		Rooms []string `json:"rooms"`
	}{reqRemoteJoin, jsonOpts{rooms(e.rooms), rooms(e.except)}, rooms(rs)})
}

// SocketsLeave makes the selected sockets leave rooms.
func (e Emitter) SocketsLeave(ctx context.Context, rs ...core.Room) error {
	return e.request(ctx, struct {
		Type  int      `json:"type"`
		Opts  jsonOpts `json:"opts"`
		Rooms []string `json:"rooms"`
	}{reqRemoteLeave, jsonOpts{rooms(e.rooms), rooms(e.except)}, rooms(rs)})
}

// DisconnectSockets disconnects the selected sockets (and their
// connections with close).
func (e Emitter) DisconnectSockets(ctx context.Context, close bool) error {
	return e.request(ctx, struct {
		Type  int      `json:"type"`
		Opts  jsonOpts `json:"opts"`
		Close bool     `json:"close"`
	}{reqRemoteDisconnect, jsonOpts{rooms(e.rooms), rooms(e.except)}, close})
}

// ServerSideEmit calls the OnServerSideEmit handlers of every server.
func (e Emitter) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	switch event {
	case "connect", "connection", "new_namespace":
		return core.ErrReservedEvent
	}
	data, err := argsValues(event, args)
	if err != nil {
		return err
	}
	body, err := encodeJSONOrMsgpack(msgpack.Map{
		{Key: "uid", Value: "emitter"}, {Key: "type", Value: reqServerSideEmit}, {Key: "data", Value: data},
	})
	if err != nil {
		return err
	}
	return e.publish(ctx, e.key+"-request#"+e.nsp+"#", body)
}
