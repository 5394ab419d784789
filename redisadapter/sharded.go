package redisadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/redisadapter/internal/msgpack"
)

// SubscriptionMode tells the sharded adapter which channels to listen on.
type SubscriptionMode string

// Subscription modes, as in Node's createShardedAdapter.
const (
	// Static: one channel per namespace (plus responses).
	Static SubscriptionMode = "static"
	// Dynamic: also one channel per public room with local members, so a
	// broadcast to one room only reaches the servers that have it.
	Dynamic SubscriptionMode = "dynamic"
	// DynamicPrivate: a channel per room, private rooms (socket ids)
	// included.
	DynamicPrivate SubscriptionMode = "dynamic-private"
)

// ShardedConfig configures [NewSharded]. The zero value gives the
// defaults of Node's createShardedAdapter.
type ShardedConfig struct {
	// ChannelPrefix prefixes every channel. Zero means "socket.io".
	ChannelPrefix string
	// SubscriptionMode: zero means Dynamic.
	SubscriptionMode SubscriptionMode
	// RequestsTimeout bounds requests to the other servers. Zero means 5s.
	RequestsTimeout time.Duration
	// Logger receives diagnostics. Nil means silent.
	Logger *slog.Logger
}

// NewSharded returns the sharded Redis adapter (SPUBLISH / SSUBSCRIBE,
// Redis 7 or later), wire-compatible with Node's createShardedAdapter.
// On a Redis Cluster each channel lives on the shard that owns its slot;
// the adapter keeps one subscription connection per shard it uses.
func NewSharded(rdb redis.UniversalClient, cfg ShardedConfig) *Adapter {
	if cfg.ChannelPrefix == "" {
		cfg.ChannelPrefix = "socket.io"
	}
	if cfg.SubscriptionMode == "" {
		cfg.SubscriptionMode = Dynamic
	}
	if cfg.RequestsTimeout <= 0 {
		cfg.RequestsTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b := &sharded{rdb: rdb, cfg: cfg, subs: map[string]*shardSub{}, channels: map[string]int{},
		work: make(chan *redis.Message, 4096), ops: make(chan subOp, 1024), stop: make(chan struct{})}
	ca := core.NewClusterAdapter(b, core.ClusterConfig{RequestsTimeout: cfg.RequestsTimeout, Logger: cfg.Logger})
	return &Adapter{ClusterAdapter: ca, b: b}
}

type sharded struct {
	rdb  redis.UniversalClient
	cfg  ShardedConfig
	recv core.ClusterReceiver

	connected atomic.Bool
	work      chan *redis.Message
	ops       chan subOp
	stop      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu       sync.Mutex
	subs     map[string]*shardSub // by shard address ("" for one server)
	channels map[string]int       // subscribed channel -> users
	nsps     map[string]bool
}

type shardSub struct{ ps *redis.PubSub }

type subOp struct {
	channel string
	add     bool
}

func (b *sharded) connectedFlag() *atomic.Bool { return &b.connected }

func (b *sharded) mainChannel(nsp string) string { return b.cfg.ChannelPrefix + "#" + nsp + "#" }
func (b *sharded) roomChannel(nsp string, room core.Room) string {
	return b.cfg.ChannelPrefix + "#" + nsp + "#" + string(room) + "#"
}
func (b *sharded) responseChannel(nsp, uid string) string {
	return b.cfg.ChannelPrefix + "#" + nsp + "#" + uid + "#"
}

func (b *sharded) Start(r core.ClusterReceiver) error {
	b.recv = r
	b.nsps = map[string]bool{}
	b.wg.Add(2)
	go b.opsLoop()
	go b.dispatchLoop()
	return nil
}

func (b *sharded) AddNamespace(ctx context.Context, nsp string) error {
	b.mu.Lock()
	b.nsps[nsp] = true
	b.mu.Unlock()
	if err := b.subscribe(ctx, b.mainChannel(nsp)); err != nil {
		return err
	}
	return b.subscribe(ctx, b.responseChannel(nsp, b.recv.UID()))
}

func (b *sharded) RemoveNamespace(ctx context.Context, nsp string) error {
	b.mu.Lock()
	delete(b.nsps, nsp)
	b.mu.Unlock()
	b.unsubscribe(ctx, b.mainChannel(nsp))
	b.unsubscribe(ctx, b.responseChannel(nsp, b.recv.UID()))
	return nil
}

func (b *sharded) serves(nsp string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nsps[nsp]
}

// RoomCreated implements core.RoomWatcher: in the dynamic modes a room
// gets its own channel.
func (b *sharded) RoomCreated(nsp string, room core.Room, private bool) {
	if b.watches(private) {
		b.queueOp(subOp{channel: b.roomChannel(nsp, room), add: true})
	}
}

// RoomDeleted implements core.RoomWatcher.
func (b *sharded) RoomDeleted(nsp string, room core.Room, private bool) {
	if b.watches(private) {
		b.queueOp(subOp{channel: b.roomChannel(nsp, room)})
	}
}

func (b *sharded) watches(private bool) bool {
	switch b.cfg.SubscriptionMode {
	case DynamicPrivate:
		return true
	case Dynamic:
		return !private
	}
	return false
}

func (b *sharded) queueOp(op subOp) {
	select {
	case b.ops <- op:
	case <-b.stop:
	}
}

// opsLoop applies room subscriptions in order, off the callers.
func (b *sharded) opsLoop() {
	defer b.wg.Done()
	for {
		select {
		case <-b.stop:
			return
		case op := <-b.ops:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if op.add {
				if err := b.subscribe(ctx, op.channel); err != nil {
					b.cfg.Logger.Warn("redisadapter: cannot subscribe", "channel", op.channel, "err", err)
				}
			} else {
				b.unsubscribe(ctx, op.channel)
			}
			cancel()
		}
	}
}

// shardFor returns the client of the shard that owns channel.
func (b *sharded) shardFor(ctx context.Context, channel string) (string, redis.UniversalClient, error) {
	if cc, ok := b.rdb.(*redis.ClusterClient); ok {
		c, err := cc.MasterForKey(ctx, channel)
		if err != nil {
			return "", nil, err
		}
		return c.Options().Addr, c, nil
	}
	return "", b.rdb, nil
}

func (b *sharded) subscribe(ctx context.Context, channel string) error {
	b.mu.Lock()
	b.channels[channel]++
	if b.channels[channel] > 1 {
		b.mu.Unlock()
		return nil
	}
	b.mu.Unlock()
	addr, client, err := b.shardFor(ctx, channel)
	if err != nil {
		return err
	}
	b.mu.Lock()
	sub := b.subs[addr]
	if sub == nil {
		sub = &shardSub{ps: client.SSubscribe(context.Background())}
		b.subs[addr] = sub
		b.wg.Add(1)
		go b.readLoop(sub)
	}
	b.mu.Unlock()
	return sub.ps.SSubscribe(ctx, channel)
}

func (b *sharded) unsubscribe(ctx context.Context, channel string) {
	b.mu.Lock()
	b.channels[channel]--
	if b.channels[channel] > 0 {
		b.mu.Unlock()
		return
	}
	delete(b.channels, channel)
	b.mu.Unlock()
	addr, _, err := b.shardFor(ctx, channel)
	if err != nil {
		return
	}
	b.mu.Lock()
	sub := b.subs[addr]
	b.mu.Unlock()
	if sub != nil {
		_ = sub.ps.SUnsubscribe(ctx, channel)
	}
}

func (b *sharded) readLoop(sub *shardSub) {
	defer b.wg.Done()
	receive(sub.ps, b.stop, &b.connected, b.cfg.Logger, b.work)
}

func (b *sharded) dispatchLoop() {
	defer b.wg.Done()
	for {
		select {
		case <-b.stop:
			return
		case m := <-b.work:
			b.handle(m)
		}
	}
}

func (b *sharded) Close(ctx context.Context) error {
	b.closeOnce.Do(func() { close(b.stop) })
	b.mu.Lock()
	subs := b.subs
	b.subs = map[string]*shardSub{}
	b.mu.Unlock()
	var errs []error
	for _, s := range subs {
		errs = append(errs, s.ps.Close())
	}
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return errors.Join(errs...)
}

func (b *sharded) ServerCount(ctx context.Context, nsp string) (int, error) {
	return countSubscribers(ctx, b.rdb, b.mainChannel(nsp), func(ctx context.Context, c redis.UniversalClient, ch string) (map[string]int64, error) {
		return c.PubSubShardNumSub(ctx, ch).Result()
	})
}

// ---- encoding

// looksLikeSocketID is Node's heuristic for private rooms.
func looksLikeSocketID(r core.Room) bool { return len(r) == 20 }

func (b *sharded) Publish(ctx context.Context, msg *core.ClusterMessage) error {
	channel := b.mainChannel(msg.Nsp)
	if msg.Type == core.MsgBroadcast && msg.RequestID == "" && len(msg.Opts.Rooms) == 1 {
		r := msg.Opts.Rooms[0]
		if b.cfg.SubscriptionMode == DynamicPrivate || (b.cfg.SubscriptionMode == Dynamic && !looksLikeSocketID(r)) {
			channel = b.roomChannel(msg.Nsp, r)
		}
	}
	body, err := encodeClusterMessage(msg)
	if err != nil {
		return err
	}
	if err := b.rdb.SPublish(ctx, channel, body).Err(); err != nil {
		return fmt.Errorf("redisadapter: publish on %s: %w", channel, err)
	}
	return nil
}

func (b *sharded) PublishResponse(ctx context.Context, to string, msg *core.ClusterMessage) error {
	body, err := encodeClusterMessage(msg)
	if err != nil {
		return err
	}
	channel := b.responseChannel(msg.Nsp, to)
	if err := b.rdb.SPublish(ctx, channel, body).Err(); err != nil {
		return fmt.Errorf("redisadapter: publish on %s: %w", channel, err)
	}
	return nil
}

func clusterOpts(o core.BroadcastOptions) msgpack.Map {
	return optsValue(o, true)
}

// encodeClusterMessage writes a ClusterMessage as Node's ClusterAdapter
// does: {type, data, uid, nsp}, JSON unless the data carries binary.
func encodeClusterMessage(msg *core.ClusterMessage) ([]byte, error) {
	var data any
	switch msg.Type {
	case core.MsgBroadcast:
		args, err := argsValues(msg.Packet.Event, msg.Packet.Args)
		if err != nil {
			return nil, err
		}
		d := msgpack.Map{{Key: "packet", Value: msgpack.Map{{Key: "type", Value: 2}, {Key: "data", Value: args}}}}
		if msg.RequestID != "" {
			d = append(d, msgpack.KV{Key: "requestId", Value: msg.RequestID})
		}
		data = append(d, msgpack.KV{Key: "opts", Value: clusterOpts(msg.Opts)})
	case core.MsgSocketsJoin, core.MsgSocketsLeave:
		data = msgpack.Map{{Key: "opts", Value: clusterOpts(msg.Opts)}, {Key: "rooms", Value: anyStrings(rooms(msg.Rooms))}}
	case core.MsgDisconnectSockets:
		data = msgpack.Map{{Key: "opts", Value: clusterOpts(msg.Opts)}, {Key: "close", Value: msg.Close}}
	case core.MsgFetchSockets:
		data = msgpack.Map{{Key: "opts", Value: clusterOpts(msg.Opts)}, {Key: "requestId", Value: msg.RequestID}}
	case core.MsgFetchSocketsResponse:
		socks := make([]any, len(msg.Sockets))
		for i, s := range msg.Sockets {
			v, err := socketValue(s)
			if err != nil {
				return nil, err
			}
			socks[i] = v
		}
		data = msgpack.Map{{Key: "requestId", Value: msg.RequestID}, {Key: "sockets", Value: socks}}
	case core.MsgServerSideEmit:
		args, err := argsValues(msg.Event, msg.Args)
		if err != nil {
			return nil, err
		}
		d := msgpack.Map{}
		if msg.RequestID != "" {
			d = append(d, msgpack.KV{Key: "requestId", Value: msg.RequestID})
		}
		data = append(d, msgpack.KV{Key: "packet", Value: args})
	case core.MsgServerSideEmitResponse, core.MsgBroadcastAck:
		data = msgpack.Map{{Key: "requestId", Value: msg.RequestID}, {Key: "packet", Value: genericValue(msg.Response)}}
	case core.MsgBroadcastClientCount:
		data = msgpack.Map{{Key: "requestId", Value: msg.RequestID}, {Key: "clientCount", Value: msg.ClientCount}}
	default:
		return nil, fmt.Errorf("redisadapter: cannot encode message type %d", msg.Type)
	}
	return encodeJSONOrMsgpack(msgpack.Map{
		{Key: "type", Value: int(msg.Type)}, {Key: "data", Value: data},
		{Key: "uid", Value: msg.UID}, {Key: "nsp", Value: msg.Nsp},
	})
}

func anyStrings(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// socketValue is a fetch answer entry as a generic value (the handshake
// in Node's JSON form).
func socketValue(s core.SocketInfo) (any, error) {
	sj := toSocketJSON(s)
	b, err := json.Marshal(sj.Handshake)
	if err != nil {
		return nil, err
	}
	var hs any
	if err := json.Unmarshal(b, &hs); err != nil {
		return nil, err
	}
	return msgpack.Map{{Key: "id", Value: sj.ID}, {Key: "handshake", Value: hs},
		{Key: "rooms", Value: anyStrings(sj.Rooms)}, {Key: "data", Value: sj.Data}}, nil
}

// ---- receiving

func (b *sharded) handle(m *redis.Message) {
	defer func() {
		if r := recover(); r != nil {
			b.cfg.Logger.Error("redisadapter: message handler panic", "channel", m.Channel, "panic", r)
		}
	}()
	b.dispatch(m)
}

// dispatch decodes and routes a message; handle wraps it in a recover.
func (b *sharded) dispatch(m *redis.Message) {
	v, err := decodeBody([]byte(m.Payload))
	if err != nil {
		b.cfg.Logger.Debug("redisadapter: undecodable message", "channel", m.Channel, "err", err)
		return
	}
	typ, ok := intOf(v["type"])
	if !ok {
		return
	}
	uid, _ := v["uid"].(string)
	nsp, _ := v["nsp"].(string)
	if nsp == "" {
		nsp = "/"
	}
	if !b.serves(nsp) {
		return
	}
	data, _ := v["data"].(map[string]any)
	msg := &core.ClusterMessage{Type: core.MessageType(typ), UID: uid, Nsp: nsp}
	msg.RequestID, _ = data["requestId"].(string)
	isResponse := strings.HasSuffix(m.Channel, "#"+b.recv.UID()+"#") && m.Channel == b.responseChannel(nsp, b.recv.UID())
	switch msg.Type {
	case core.MsgBroadcast:
		pm, _ := data["packet"].(map[string]any)
		pkt, ok := packetFrom(nsp, pm)
		if !ok {
			return
		}
		msg.Packet = pkt
		om, _ := data["opts"].(map[string]any)
		msg.Opts = optsFrom(om)
	case core.MsgSocketsJoin, core.MsgSocketsLeave:
		om, _ := data["opts"].(map[string]any)
		msg.Opts = optsFrom(om)
		msg.Rooms = roomsOf(data["rooms"])
	case core.MsgDisconnectSockets:
		om, _ := data["opts"].(map[string]any)
		msg.Opts = optsFrom(om)
		msg.Close, _ = data["close"].(bool)
	case core.MsgFetchSockets:
		om, _ := data["opts"].(map[string]any)
		msg.Opts = optsFrom(om)
	case core.MsgFetchSocketsResponse:
		list, _ := data["sockets"].([]any)
		for _, e := range list {
			if info, ok := socketFrom(e); ok {
				msg.Sockets = append(msg.Sockets, info)
			}
		}
	case core.MsgServerSideEmit:
		args, _ := data["packet"].([]any)
		if len(args) == 0 {
			return
		}
		msg.Event, _ = args[0].(string)
		msg.Args = args[1:]
	case core.MsgServerSideEmitResponse, core.MsgBroadcastAck:
		msg.Response = data["packet"]
	case core.MsgBroadcastClientCount:
		msg.ClientCount, _ = intOf(data["clientCount"])
	default:
		return
	}
	if isResponse {
		b.recv.OnResponse(msg)
		return
	}
	b.recv.OnMessage(msg)
}
