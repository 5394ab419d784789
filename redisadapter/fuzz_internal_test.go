package redisadapter

import (
	"encoding/hex"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/go-sio/sio/core"
)

// fakeLocal is a server with one socket in room "r".
type fakeLocal struct{}

func (fakeLocal) Broadcast(*core.Packet, core.BroadcastOptions) {}
func (fakeLocal) BroadcastWithAck(p *core.Packet, o core.BroadcastOptions, onAck func(any)) int {
	onAck(nil)
	return 1
}
func (fakeLocal) FetchSockets(string, core.BroadcastOptions) []core.SocketInfo {
	return []core.SocketInfo{{ID: "abc", Rooms: []core.Room{"abc", "r"}, Handshake: &core.Handshake{}}}
}
func (fakeLocal) SocketsJoin(string, core.BroadcastOptions, []core.Room)  {}
func (fakeLocal) SocketsLeave(string, core.BroadcastOptions, []core.Room) {}
func (fakeLocal) DisconnectSockets(string, core.BroadcastOptions, bool)   {}
func (fakeLocal) ServerSideEmit(string, string, []any, func(any))         {}
func (fakeLocal) Rooms(string) []core.Room                                { return []core.Room{"r"} }
func (fakeLocal) HasRoom(_ string, r core.Room) bool                      { return r == "r" }

// recorder receives what the backends decode; it runs the packet encoder
// on broadcasts so that decoded values reach the Socket.IO encoder too.
type recorder struct{ local core.Local }

func (r recorder) UID() string                       { return "me" }
func (r recorder) Local() core.Local                 { return r.local }
func (r recorder) OnResponse(m *core.ClusterMessage) {}
func (r recorder) OnMessage(m *core.ClusterMessage) {
	if m.Packet != nil {
		r.local.Broadcast(m.Packet, m.Opts)
	}
}

// nopClient publishes nowhere: responses to fuzzed requests go to a
// client that is closed, so Publish fails fast without a server.
func nopClient() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 1})
	_ = c.Close()
	return c
}

// FuzzDecodeMessage feeds arbitrary bytes, as they could come from Redis,
// to both back ends' decoders: nothing may panic.
func FuzzDecodeMessage(f *testing.F) {
	for _, h := range []string{
		"93a6707a544d367783a47479706502a46461746193a568656c6c6fa5776f726c6401a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380",
		"93a6707a544d367783a47479706502a46461746193a362696ec4040102030481a66e6573746564c401ffa36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380",
		"85a3756964a6707a544d3677a9726571756573744964a674775f663663a47479706507a67061636b657483a47479706502a46461746192a361736ba171a36e7370a12fa46f70747383a5726f6f6d7390a665786365707490a5666c61677381a774696d656f7574cd07d0",
		"83a47479706509a9726571756573744964a674775f663663a67061636b6574ac61636b2d66726f6d2d634231",
		"84a47479706503a46461746182a67061636b657482a47479706502a46461746193a362696ec4040102030481a66e6573746564c401ffa46f70747383a5726f6f6d7390a665786365707490a5666c61677380a3756964b037376666346135353336366638373962a36e7370a12f",
	} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	for _, s := range []string{
		`{"uid":"pzTM6w","requestId":"MWiwRQ","type":5,"opts":{"rooms":["room1"],"except":[]}}`,
		`{"uid":"pzTM6w","requestId":"9vN-lj","type":6,"data":["sseack","x"]}`,
		`{"uid":"pzTM6w","type":2,"opts":{"rooms":["room1"],"except":[]},"rooms":["room9"]}`,
		`{"uid":"pzTM6w","type":4,"opts":{"rooms":["ACuIdwOQlZ8AZ-b8AAAC"],"except":[]},"close":true}`,
		`{"uid":"x","requestId":"y","type":2,"sid":"abc","room":"r"}`,
		`{"requestId":"cs3U0e","rooms":["a"]}`,
		`{"type":8,"requestId":"tw_f6c","clientCount":2}`,
		`{"requestId":"q","sockets":[{"id":"abc","handshake":{"headers":{"a":"b"},"query":{"x":["1","2"]},"auth":{}},"rooms":["r"],"data":{}}]}`,
		`{"type":3,"data":{"packet":{"type":2,"data":["hello","world",1]},"opts":{"rooms":[],"except":[],"flags":{}}},"uid":"77ff4a55366f879b","nsp":"/"}`,
		`{"type":8,"data":{"requestId":"r","sockets":[{"id":"s","rooms":[],"data":null}]},"uid":"u","nsp":"/"}`,
	} {
		f.Add([]byte(s))
	}
	local := fakeLocal{}
	c := newClassic(nopClient(), Config{Key: "k"}.withDefaults())
	c.recv = recorder{local}
	c.nsps["/"] = true
	sh := &sharded{rdb: nopClient(), cfg: ShardedConfig{ChannelPrefix: "k"}, nsps: map[string]bool{"/": true}}
	sh.recv = recorder{local}
	sh.cfg.Logger = c.cfg.Logger
	channels := []string{"k#/#", "k#/#r#", "k-request#/#", "k-response#/#", "k#/#me#"}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ch := range channels {
			// dispatch, not handle: handle would recover from a panic.
			c.dispatch(&redis.Message{Channel: ch, Pattern: patternFor(ch), Payload: string(body)})
			sh.dispatch(&redis.Message{Channel: ch, Payload: string(body)})
		}
	})
}

func patternFor(ch string) string {
	if ch == "k#/#" || ch == "k#/#r#" {
		return "k#/#*"
	}
	return ""
}
