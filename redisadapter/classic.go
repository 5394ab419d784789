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

// Request types of the classic adapter's request channel.
const (
	reqSockets          = 0
	reqAllRooms         = 1
	reqRemoteJoin       = 2
	reqRemoteLeave      = 3
	reqRemoteDisconnect = 4
	reqRemoteFetch      = 5
	reqServerSideEmit   = 6
	reqBroadcast        = 7
	resClientCount      = 8
	resBroadcastAck     = 9
)

// ErrNotConnected is returned by requests while Redis is unreachable.
var ErrNotConnected = errors.New("redisadapter: not connected to redis")

// classic is the core.ClusterBackend of the classic adapter.
type classic struct {
	rdb  redis.UniversalClient
	cfg  Config
	recv core.ClusterReceiver

	ps        *redis.PubSub
	connected atomic.Bool
	work      chan *redis.Message
	stop      chan struct{}
	wg        sync.WaitGroup

	mu   sync.Mutex
	nsps map[string]bool
}

func newClassic(rdb redis.UniversalClient, cfg Config) *classic {
	return &classic{rdb: rdb, cfg: cfg, nsps: map[string]bool{},
		work: make(chan *redis.Message, 4096), stop: make(chan struct{})}
}

func (b *classic) connectedFlag() *atomic.Bool { return &b.connected }

func (b *classic) broadcastChannel(nsp string) string { return b.cfg.Key + "#" + nsp + "#" }
func (b *classic) requestChannel(nsp string) string   { return b.cfg.Key + "-request#" + nsp + "#" }
func (b *classic) responseChannel(nsp string) string  { return b.cfg.Key + "-response#" + nsp + "#" }
func (b *classic) specificResponseChannel(nsp, uid string) string {
	return b.cfg.Key + "-response#" + nsp + "#" + uid + "#"
}

func (b *classic) Start(r core.ClusterReceiver) error {
	b.recv = r
	b.ps = b.rdb.Subscribe(context.Background())
	b.wg.Add(2)
	go b.readLoop()
	go b.dispatchLoop()
	return nil
}

func (b *classic) AddNamespace(ctx context.Context, nsp string) error {
	b.mu.Lock()
	if b.nsps[nsp] {
		b.mu.Unlock()
		return nil
	}
	b.nsps[nsp] = true
	b.mu.Unlock()
	if err := b.ps.PSubscribe(ctx, b.broadcastChannel(nsp)+"*"); err != nil {
		return err
	}
	return b.ps.Subscribe(ctx, b.requestChannel(nsp), b.responseChannel(nsp),
		b.specificResponseChannel(nsp, b.recv.UID()))
}

func (b *classic) RemoveNamespace(ctx context.Context, nsp string) error {
	b.mu.Lock()
	delete(b.nsps, nsp)
	b.mu.Unlock()
	if err := b.ps.PUnsubscribe(ctx, b.broadcastChannel(nsp)+"*"); err != nil {
		return err
	}
	return b.ps.Unsubscribe(ctx, b.requestChannel(nsp), b.responseChannel(nsp),
		b.specificResponseChannel(nsp, b.recv.UID()))
}

func (b *classic) serves(nsp string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nsps[nsp]
}

func (b *classic) Close(ctx context.Context) error {
	select {
	case <-b.stop:
		return nil
	default:
		close(b.stop)
	}
	err := b.ps.Close()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return err
}

// readLoop receives from Redis and hands messages to the dispatcher.
func (b *classic) readLoop() {
	defer b.wg.Done()
	defer close(b.work)
	receive(b.ps, b.stop, &b.connected, b.cfg.Logger, b.work)
}

// dispatchLoop decodes and applies messages in order, off the reader.
func (b *classic) dispatchLoop() {
	defer b.wg.Done()
	for m := range b.work {
		b.handle(m)
	}
}

func (b *classic) handle(m *redis.Message) {
	defer func() {
		if r := recover(); r != nil {
			b.cfg.Logger.Error("redisadapter: message handler panic", "channel", m.Channel, "panic", r)
		}
	}()
	b.dispatch(m)
}

// dispatch routes a message by channel; handle wraps it in a recover.
func (b *classic) dispatch(m *redis.Message) {
	switch {
	case m.Pattern != "":
		b.onBroadcast(m.Channel, []byte(m.Payload))
	case strings.HasPrefix(m.Channel, b.cfg.Key+"-request#"):
		b.onRequest(m.Channel, []byte(m.Payload))
	case strings.HasPrefix(m.Channel, b.cfg.Key+"-response#"):
		b.onResponse([]byte(m.Payload))
	}
}

// ---- publishing

func (b *classic) Publish(ctx context.Context, msg *core.ClusterMessage) error {
	var (
		channel string
		body    []byte
		err     error
	)
	switch msg.Type {
	case core.MsgBroadcast:
		if msg.RequestID == "" {
			channel = b.broadcastChannel(msg.Nsp)
			if len(msg.Opts.Rooms) == 1 {
				channel += string(msg.Opts.Rooms[0]) + "#"
			}
			body, err = encodeBroadcast(msg.UID, msg.Packet, msg.Opts)
		} else {
			channel = b.requestChannel(msg.Nsp)
			var pkt any
			if pkt, err = packetValue(msg.Packet); err == nil {
				body, err = msgpack.Marshal(msgpack.Map{
					{Key: "uid", Value: msg.UID},
					{Key: "requestId", Value: msg.RequestID},
					{Key: "type", Value: reqBroadcast},
					{Key: "packet", Value: pkt},
					{Key: "opts", Value: optsValue(msg.Opts, true)},
				})
			}
		}
	case core.MsgSocketsJoin, core.MsgSocketsLeave:
		typ := reqRemoteJoin
		if msg.Type == core.MsgSocketsLeave {
			typ = reqRemoteLeave
		}
		channel = b.requestChannel(msg.Nsp)
		body, err = json.Marshal(struct {
			UID   string   `json:"uid"`
			Type  int      `json:"type"`
			Opts  jsonOpts `json:"opts"`
			Rooms []string `json:"rooms"`
		}{msg.UID, typ, toJSONOpts(msg.Opts), rooms(msg.Rooms)})
	case core.MsgDisconnectSockets:
		channel = b.requestChannel(msg.Nsp)
		body, err = json.Marshal(struct {
			UID   string   `json:"uid"`
			Type  int      `json:"type"`
			Opts  jsonOpts `json:"opts"`
			Close bool     `json:"close"`
		}{msg.UID, reqRemoteDisconnect, toJSONOpts(msg.Opts), msg.Close})
	case core.MsgFetchSockets:
		channel = b.requestChannel(msg.Nsp)
		body, err = json.Marshal(struct {
			UID       string   `json:"uid"`
			RequestID string   `json:"requestId"`
			Type      int      `json:"type"`
			Opts      jsonOpts `json:"opts"`
		}{msg.UID, msg.RequestID, reqRemoteFetch, toJSONOpts(msg.Opts)})
	case core.MsgServerSideEmit:
		channel = b.requestChannel(msg.Nsp)
		var data []any
		if data, err = argsValues(msg.Event, msg.Args); err == nil {
			m := msgpack.Map{{Key: "uid", Value: msg.UID}}
			if msg.RequestID != "" {
				m = append(m, msgpack.KV{Key: "requestId", Value: msg.RequestID})
			}
			m = append(m, msgpack.KV{Key: "type", Value: reqServerSideEmit}, msgpack.KV{Key: "data", Value: data})
			body, err = encodeJSONOrMsgpack(m)
		}
	default:
		return fmt.Errorf("redisadapter: cannot publish message type %d", msg.Type)
	}
	if err != nil {
		return err
	}
	return b.publish(ctx, channel, body)
}

func (b *classic) publish(ctx context.Context, channel string, body []byte) error {
	if err := b.rdb.Publish(ctx, channel, body).Err(); err != nil {
		return fmt.Errorf("redisadapter: publish on %s: %w", channel, err)
	}
	return nil
}

func (b *classic) PublishResponse(ctx context.Context, to string, msg *core.ClusterMessage) error {
	channel := b.responseChannel(msg.Nsp)
	if b.cfg.PublishOnSpecificResponseChannel && msg.Type != core.MsgServerSideEmitResponse && to != "" {
		channel = b.specificResponseChannel(msg.Nsp, to)
	}
	var (
		body []byte
		err  error
	)
	switch msg.Type {
	case core.MsgFetchSocketsResponse:
		socks := make([]socketJSON, len(msg.Sockets))
		for i, s := range msg.Sockets {
			socks[i] = toSocketJSON(s)
		}
		body, err = json.Marshal(struct {
			RequestID string       `json:"requestId"`
			Sockets   []socketJSON `json:"sockets"`
		}{msg.RequestID, socks})
	case core.MsgServerSideEmitResponse:
		body, err = encodeJSONOrMsgpack(msgpack.Map{
			{Key: "type", Value: reqServerSideEmit},
			{Key: "requestId", Value: msg.RequestID},
			{Key: "data", Value: genericValue(msg.Response)},
		})
	case core.MsgBroadcastClientCount:
		body, err = json.Marshal(struct {
			Type        int    `json:"type"`
			RequestID   string `json:"requestId"`
			ClientCount int    `json:"clientCount"`
		}{resClientCount, msg.RequestID, msg.ClientCount})
	case core.MsgBroadcastAck:
		body, err = msgpack.Marshal(msgpack.Map{
			{Key: "type", Value: resBroadcastAck},
			{Key: "requestId", Value: msg.RequestID},
			{Key: "packet", Value: genericValue(msg.Response)},
		})
	default:
		return fmt.Errorf("redisadapter: cannot publish response type %d", msg.Type)
	}
	if err != nil {
		return err
	}
	return b.publish(ctx, channel, body)
}

func (b *classic) ServerCount(ctx context.Context, nsp string) (int, error) {
	return countSubscribers(ctx, b.rdb, b.requestChannel(nsp), func(ctx context.Context, c redis.UniversalClient, ch string) (map[string]int64, error) {
		return c.PubSubNumSub(ctx, ch).Result()
	})
}

// countSubscribers counts the subscribers of channel with count (PUBSUB
// NUMSUB or SHARDNUMSUB), summed over the masters of a Redis Cluster as
// the Node adapters do.
func countSubscribers(ctx context.Context, rdb redis.UniversalClient, channel string,
	count func(context.Context, redis.UniversalClient, string) (map[string]int64, error)) (int, error) {
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		var total atomic.Int64
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			n, err := count(ctx, c, channel)
			if err != nil {
				return err
			}
			total.Add(n[channel])
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("redisadapter: server count: %w", err)
		}
		return int(total.Load()), nil
	}
	n, err := count(ctx, rdb, channel)
	if err != nil {
		return 0, fmt.Errorf("redisadapter: server count: %w", err)
	}
	return int(n[channel]), nil
}

// ---- receiving

func (b *classic) onBroadcast(channel string, body []byte) {
	prefix := b.cfg.Key + "#"
	if !strings.HasPrefix(channel, prefix) {
		return
	}
	// "<key>#<nsp>#" or "<key>#<nsp>#<room>#": a room suffix lets a server
	// without that room skip the message before decoding it.
	rest := channel[len(prefix):]
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		nsp, room := rest[:i], strings.TrimSuffix(rest[i+1:], "#")
		if room != "" && b.serves(nsp) && !b.recv.Local().HasRoom(nsp, core.Room(room)) {
			return
		}
	}
	v, err := msgpack.Unmarshal(body)
	if err != nil {
		b.cfg.Logger.Debug("redisadapter: undecodable broadcast", "channel", channel, "err", err)
		return
	}
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		return
	}
	uid, _ := arr[0].(string)
	if uid == b.recv.UID() {
		return
	}
	pm, _ := arr[1].(map[string]any)
	var om map[string]any
	if len(arr) > 2 {
		om, _ = arr[2].(map[string]any)
	}
	nsp := nspOf(pm)
	if !b.serves(nsp) {
		return
	}
	pkt, ok := packetFrom(nsp, pm)
	if !ok {
		return
	}
	b.recv.OnMessage(&core.ClusterMessage{Type: core.MsgBroadcast, UID: uid, Nsp: nsp, Packet: pkt, Opts: optsFrom(om)})
}

func decodeBody(body []byte) (map[string]any, error) {
	if len(body) > 0 && body[0] == '{' {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
		return normalizeJSON(m).(map[string]any), nil
	}
	v, err := msgpack.Unmarshal(body)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("redisadapter: message is not a map")
	}
	return m, nil
}

func (b *classic) nspOfChannel(channel, prefix string) string {
	rest := strings.TrimPrefix(channel, prefix)
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		return rest[:i]
	}
	return rest
}

func (b *classic) onRequest(channel string, body []byte) {
	nsp := b.nspOfChannel(channel, b.cfg.Key+"-request#")
	if !b.serves(nsp) {
		return
	}
	m, err := decodeBody(body)
	if err != nil {
		b.cfg.Logger.Debug("redisadapter: undecodable request", "err", err)
		return
	}
	typ, ok := intOf(m["type"])
	if !ok {
		return
	}
	uid, _ := m["uid"].(string)
	if uid != "" && uid == b.recv.UID() {
		return
	}
	reqID, _ := m["requestId"].(string)
	local := b.recv.Local()
	ctx := context.Background()
	switch typ {
	case reqSockets:
		opts := core.BroadcastOptions{Rooms: roomsOf(m["rooms"])}
		var ids []string
		for _, s := range local.FetchSockets(nsp, opts) {
			ids = append(ids, string(s.ID))
		}
		b.respondJSON(ctx, nsp, uid, map[string]any{"requestId": reqID, "sockets": nonNil(ids)})
	case reqAllRooms:
		rs := []string{}
		for _, r := range local.Rooms(nsp) {
			rs = append(rs, string(r))
		}
		b.respondJSON(ctx, nsp, uid, map[string]any{"requestId": reqID, "rooms": rs})
	case reqRemoteJoin, reqRemoteLeave, reqRemoteDisconnect:
		if om, ok := m["opts"].(map[string]any); ok {
			opts := optsFrom(om)
			msg := &core.ClusterMessage{UID: uid, Nsp: nsp, Opts: opts, Rooms: roomsOf(m["rooms"])}
			switch typ {
			case reqRemoteJoin:
				msg.Type = core.MsgSocketsJoin
			case reqRemoteLeave:
				msg.Type = core.MsgSocketsLeave
			default:
				msg.Type = core.MsgDisconnectSockets
				msg.Close, _ = m["close"].(bool)
			}
			b.recv.OnMessage(msg)
			return
		}
		// Legacy form: one socket by sid, answered by its server.
		sid, _ := m["sid"].(string)
		if sid == "" || len(local.FetchSockets(nsp, core.BroadcastOptions{Rooms: []core.Room{core.Room(sid)}})) == 0 {
			return
		}
		opts := core.BroadcastOptions{Rooms: []core.Room{core.Room(sid)}}
		switch typ {
		case reqRemoteJoin:
			room, _ := m["room"].(string)
			local.SocketsJoin(nsp, opts, []core.Room{core.Room(room)})
		case reqRemoteLeave:
			room, _ := m["room"].(string)
			local.SocketsLeave(nsp, opts, []core.Room{core.Room(room)})
		default:
			cl, _ := m["close"].(bool)
			local.DisconnectSockets(nsp, opts, cl)
		}
		b.respondJSON(ctx, nsp, uid, map[string]any{"requestId": reqID})
	case reqRemoteFetch:
		om, _ := m["opts"].(map[string]any)
		b.recv.OnMessage(&core.ClusterMessage{Type: core.MsgFetchSockets, UID: uid, Nsp: nsp, RequestID: reqID, Opts: optsFrom(om)})
	case reqServerSideEmit:
		data, _ := m["data"].([]any)
		if len(data) == 0 {
			return
		}
		event, _ := data[0].(string)
		b.recv.OnMessage(&core.ClusterMessage{Type: core.MsgServerSideEmit, UID: uid, Nsp: nsp, RequestID: reqID, Event: event, Args: data[1:]})
	case reqBroadcast:
		pm, _ := m["packet"].(map[string]any)
		om, _ := m["opts"].(map[string]any)
		pkt, ok := packetFrom(nsp, pm)
		if !ok || reqID == "" {
			return
		}
		b.recv.OnMessage(&core.ClusterMessage{Type: core.MsgBroadcast, UID: uid, Nsp: nsp, RequestID: reqID, Packet: pkt, Opts: optsFrom(om)})
	}
}

func (b *classic) respondJSON(ctx context.Context, nsp, to string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		return
	}
	channel := b.responseChannel(nsp)
	if b.cfg.PublishOnSpecificResponseChannel && to != "" {
		channel = b.specificResponseChannel(nsp, to)
	}
	if err := b.publish(ctx, channel, body); err != nil {
		b.cfg.Logger.Warn("redisadapter: cannot answer request", "err", err)
	}
}

func (b *classic) onResponse(body []byte) {
	m, err := decodeBody(body)
	if err != nil {
		return
	}
	reqID, _ := m["requestId"].(string)
	if reqID == "" {
		return
	}
	msg := &core.ClusterMessage{RequestID: reqID}
	typ, hasType := intOf(m["type"])
	switch {
	case hasType && typ == reqServerSideEmit:
		msg.Type = core.MsgServerSideEmitResponse
		msg.Response = m["data"]
	case hasType && typ == resClientCount:
		msg.Type = core.MsgBroadcastClientCount
		n, _ := intOf(m["clientCount"])
		msg.ClientCount = n
	case hasType && typ == resBroadcastAck:
		msg.Type = core.MsgBroadcastAck
		msg.Response = m["packet"]
	case m["sockets"] != nil:
		list, _ := m["sockets"].([]any)
		msg.Type = core.MsgFetchSocketsResponse
		for _, e := range list {
			if info, ok := socketFrom(e); ok {
				msg.Sockets = append(msg.Sockets, info)
			}
		}
	default:
		return
	}
	b.recv.OnResponse(msg)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// receive reads a Pub/Sub connection until stop, handing messages to
// work. The go-redis Pub/Sub client reconnects and resubscribes by itself
// after an error; receive tracks the state in connected and logs once per
// outage.
func receive(ps *redis.PubSub, stop <-chan struct{}, connected *atomic.Bool, log *slog.Logger, work chan<- *redis.Message) {
	down := false
	backoff := 50 * time.Millisecond
	for {
		select {
		case <-stop:
			return
		default:
		}
		msg, err := ps.Receive(context.Background())
		if err != nil {
			select {
			case <-stop:
				return
			default:
			}
			if errors.Is(err, redis.ErrClosed) {
				return
			}
			connected.Store(false)
			if !down {
				down = true
				log.Warn("redisadapter: lost connection to redis, retrying", "err", err)
			}
			select {
			case <-stop:
				return
			case <-time.After(backoff):
			}
			if backoff < 2*time.Second {
				backoff *= 2
			}
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			connected.Store(true)
			if down {
				down = false
				log.Info("redisadapter: connection to redis restored")
			}
		case *redis.Message:
			connected.Store(true)
			select {
			case work <- m:
			case <-stop:
				return
			}
		}
	}
}
