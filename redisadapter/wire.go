package redisadapter

import (
	"encoding/json"
	"math"
	"time"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/redisadapter/internal/msgpack"
)

// argsValues turns an event and its arguments into the generic values
// that travel in msgpack or JSON: received client arguments (core.Args)
// expand into their values, binary stays []byte.
func argsValues(event string, args []any) ([]any, error) {
	out := make([]any, 0, len(args)+1)
	out = append(out, event)
	for _, a := range args {
		if ca, ok := a.(core.Args); ok {
			vals, err := orderedArgs(ca)
			if err != nil {
				return nil, err
			}
			out = append(out, vals...)
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// packetValue is the adapter's packet map: type EVENT (2), even with
// binary (the receiving server's encoder makes it a BINARY_EVENT), data,
// nsp.
func packetValue(p *core.Packet) (any, error) {
	data, err := argsValues(p.Event, p.Args)
	if err != nil {
		return nil, err
	}
	return msgpack.Map{{Key: "type", Value: 2}, {Key: "data", Value: data}, {Key: "nsp", Value: p.Nsp}}, nil
}

// optsValue writes the selection and only the flags that are set, as the
// Node adapter does.
func optsValue(o core.BroadcastOptions, withTimeout bool) msgpack.Map {
	flags := msgpack.Map{}
	if o.Flags.Volatile {
		flags = append(flags, msgpack.KV{Key: "volatile", Value: true})
	}
	if !o.Flags.Compress {
		flags = append(flags, msgpack.KV{Key: "compress", Value: false})
	}
	if o.Flags.ExpectSingleResponse {
		flags = append(flags, msgpack.KV{Key: "expectSingleResponse", Value: true})
	}
	if withTimeout && o.Flags.Timeout > 0 {
		flags = append(flags, msgpack.KV{Key: "timeout", Value: o.Flags.Timeout.Milliseconds()})
	}
	return msgpack.Map{
		{Key: "rooms", Value: rooms(o.Rooms)},
		{Key: "except", Value: rooms(o.Except)},
		{Key: "flags", Value: flags},
	}
}

func encodeBroadcast(uid string, p *core.Packet, o core.BroadcastOptions) ([]byte, error) {
	pkt, err := packetValue(p)
	if err != nil {
		return nil, err
	}
	return msgpack.Marshal([]any{uid, pkt, optsValue(o, false)})
}

type jsonOpts struct {
	Rooms  []string `json:"rooms"`
	Except []string `json:"except"`
}

func toJSONOpts(o core.BroadcastOptions) jsonOpts {
	return jsonOpts{Rooms: rooms(o.Rooms), Except: rooms(o.Except)}
}

// rooms de-duplicates in order, as a JavaScript Set does.
func rooms(rs []core.Room) []string {
	out := make([]string, 0, len(rs))
	seen := make(map[core.Room]bool, len(rs))
	for _, r := range rs {
		if !seen[r] {
			seen[r] = true
			out = append(out, string(r))
		}
	}
	return out
}

// hasBinary reports []byte anywhere in a generic value.
func hasBinary(v any) bool {
	switch t := v.(type) {
	case []byte:
		return true
	case []any:
		for _, e := range t {
			if hasBinary(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range t {
			if hasBinary(e) {
				return true
			}
		}
	case msgpack.Map:
		for _, kv := range t {
			if hasBinary(kv.Value) {
				return true
			}
		}
	}
	return false
}

// encodeJSONOrMsgpack writes JSON unless the value carries binary, which
// only msgpack can: receivers tell them apart by the first byte.
func encodeJSONOrMsgpack(m msgpack.Map) ([]byte, error) {
	if hasBinary(m) {
		return msgpack.Marshal(m)
	}
	return appendJSONValue(nil, m)
}

// appendJSONValue writes JSON keeping the order of msgpack.Map entries.
func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case msgpack.Map:
		b = append(b, '{')
		for i, kv := range t {
			if i > 0 {
				b = append(b, ',')
			}
			k, _ := json.Marshal(kv.Key)
			b = append(b, k...)
			b = append(b, ':')
			var err error
			if b, err = appendJSONValue(b, kv.Value); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSONValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// jsonSafe converts msgpack.Map values for encoding/json.
func jsonSafe(v any) any {
	switch t := v.(type) {
	case msgpack.Map:
		m := make(map[string]any, len(t))
		for _, kv := range t {
			m[kv.Key] = jsonSafe(kv.Value)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = jsonSafe(e)
		}
		return out
	}
	return v
}

// genericValue makes an ack answer or a server-side answer encodable.
func genericValue(v any) any {
	if a, ok := v.(core.Args); ok {
		vals, err := orderedArgs(a)
		if err != nil || len(vals) == 0 {
			return nil
		}
		return vals[0]
	}
	return v
}

// socketJSON is a REMOTE_FETCH answer entry, as Node writes it.
type socketJSON struct {
	ID        string          `json:"id"`
	Handshake *core.Handshake `json:"handshake"`
	Rooms     []string        `json:"rooms"`
	Data      any             `json:"data"`
}

func toSocketJSON(s core.SocketInfo) socketJSON {
	data := s.Data
	if data == nil {
		data = map[string]any{}
	}
	return socketJSON{ID: string(s.ID), Handshake: s.Handshake, Rooms: rooms(s.Rooms), Data: data}
}

func socketFrom(v any) (core.SocketInfo, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return core.SocketInfo{}, false
	}
	id, _ := m["id"].(string)
	if id == "" {
		return core.SocketInfo{}, false
	}
	info := core.SocketInfo{ID: core.SocketID(id), Rooms: roomsOf(m["rooms"]), Data: m["data"]}
	if hs, ok := m["handshake"]; ok {
		b, err := json.Marshal(jsonSafe(hs))
		if err == nil {
			h := &core.Handshake{}
			if h.UnmarshalJSON(b) == nil {
				info.Handshake = h
			}
		}
	}
	return info, true
}

func nspOf(pm map[string]any) string {
	if s, ok := pm["nsp"].(string); ok && s != "" {
		return s
	}
	return "/"
}

// packetFrom reads an adapter packet map ({type, data:[event, ...args], nsp}).
func packetFrom(nsp string, pm map[string]any) (*core.Packet, bool) {
	data, ok := pm["data"].([]any)
	if !ok || len(data) == 0 {
		return nil, false
	}
	event, ok := data[0].(string)
	if !ok {
		return nil, false
	}
	return core.NewPacket(nsp, event, data[1:]...), true
}

func optsFrom(om map[string]any) core.BroadcastOptions {
	o := core.BroadcastOptions{Rooms: roomsOf(om["rooms"]), Except: roomsOf(om["except"])}
	o.Flags.Compress = true
	if f, ok := om["flags"].(map[string]any); ok {
		o.Flags.Volatile, _ = f["volatile"].(bool)
		if c, ok := f["compress"].(bool); ok {
			o.Flags.Compress = c
		}
		o.Flags.ExpectSingleResponse, _ = f["expectSingleResponse"].(bool)
		if ms, ok := intOf(f["timeout"]); ok && ms > 0 {
			o.Flags.Timeout = time.Duration(ms) * time.Millisecond
		}
	}
	return o
}

func roomsOf(v any) []core.Room {
	list, _ := v.([]any)
	out := make([]core.Room, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, core.Room(s))
		}
	}
	return out
}

func intOf(v any) (int, bool) {
	switch t := v.(type) {
	case int64:
		return int(t), true
	case uint64:
		return int(t), t <= math.MaxInt32
	case float64:
		if t == math.Trunc(t) {
			return int(t), true
		}
	case json.Number:
		i, err := t.Int64()
		return int(i), err == nil
	}
	return 0, false
}

// normalizeJSON turns json.Number into int64 or float64, like msgpack
// decoding gives.
func normalizeJSON(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	case []any:
		for i, e := range t {
			t[i] = normalizeJSON(e)
		}
	case map[string]any:
		for k, e := range t {
			t[k] = normalizeJSON(e)
		}
	}
	return v
}
