package eio

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// Real captures from the reference server and the official client
// (spec/engine-io-v4.md §3, §4.1, §13).
var (
	captureOpen      = `0{"sid":"NnRqJ2BOOEOlmreTAAAA","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`
	captureOpenWS    = `0{"sid":"6pwlLVe6VEhNutNWAAAA","upgrades":[],"pingInterval":400,"pingTimeout":300,"maxPayload":1000000}`
	captureBinback   = "451-[\"binback\",{\"_placeholder\":true,\"num\":0}]\x1ebAQIDBA=="
	captureBinPost   = "451-[\"bin\",{\"_placeholder\":true,\"num\":0}]\x1ebAQIDBA=="
	captureAckPost   = "421[\"message-with-ack\",1,\"2\",{\"3\":[4]}]\x1e422[\"message-with-ack\"]"
	captureAckGet    = "431[1,\"2\",{\"3\":[4]}]\x1e432[]"
	captureNoopClose = "6\x1e1"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Packet
		wantErr error
	}{
		{name: "open handshake", in: captureOpen, want: Packet{Type: Open, Data: []byte(captureOpen[1:])}},
		{name: "open handshake websocket", in: captureOpenWS, want: Packet{Type: Open, Data: []byte(captureOpenWS[1:])}},
		{name: "close", in: "1", want: Packet{Type: Close, Data: []byte{}}},
		{name: "ping", in: "2", want: Packet{Type: Ping, Data: []byte{}}},
		{name: "ping probe", in: "2probe", want: Packet{Type: Ping, Data: []byte("probe")}},
		{name: "pong", in: "3", want: Packet{Type: Pong, Data: []byte{}}},
		{name: "pong probe", in: "3probe", want: Packet{Type: Pong, Data: []byte("probe")}},
		{name: "message text", in: "4hello", want: Packet{Type: Message, Data: []byte("hello")}},
		{name: "message socket.io connect", in: "40", want: Packet{Type: Message, Data: []byte("0")}},
		{name: "message socket.io event", in: `42["foo"]`, want: Packet{Type: Message, Data: []byte(`2["foo"]`)}},
		{name: "message empty", in: "4", want: Packet{Type: Message, Data: []byte{}}},
		{name: "upgrade", in: "5", want: Packet{Type: Upgrade, Data: []byte{}}},
		{name: "noop", in: "6", want: Packet{Type: Noop, Data: []byte{}}},
		{name: "message with utf8", in: "4héllo \u2028 😀", want: Packet{Type: Message, Data: []byte("héllo \u2028 😀")}},
		{name: "binary base64", in: "bAQIDBA==", want: Packet{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true}},
		{name: "binary base64 empty", in: "b", want: Packet{Type: Message, Data: []byte{}, Binary: true}},
		{name: "binary base64 one byte", in: "b/w==", want: Packet{Type: Message, Data: []byte{0xff}, Binary: true}},
		{name: "binary invalid base64", in: "b!!!!", wantErr: ErrParse},
		{name: "empty", in: "", wantErr: ErrParse},
		{name: "type 7", in: "7", wantErr: ErrParse},
		{name: "type 9 (observed parse error)", in: "9", wantErr: ErrParse},
		{name: "letter", in: "a", wantErr: ErrParse},
		{name: "uppercase B is not binary", in: "BAQIDBA==", wantErr: ErrParse},
		{name: "leading space", in: " 4hello", wantErr: ErrParse},
		{name: "separator", in: "\x1e", wantErr: ErrParse},
		{name: "nul", in: "\x00", wantErr: ErrParse},
		{name: "non ascii", in: "é", wantErr: ErrParse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Decode(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			assertPacket(t, got, tt.want)
		})
	}
}

func assertPacket(t *testing.T, got, want Packet) {
	t.Helper()
	if got.Type != want.Type || got.Binary != want.Binary || !bytes.Equal(got.Data, want.Data) {
		t.Fatalf("packet = {Type:%d Binary:%v Data:%q}, want {Type:%d Binary:%v Data:%q}",
			got.Type, got.Binary, got.Data, want.Type, want.Binary, want.Data)
	}
}

func TestDecodePayload(t *testing.T) {
	t.Parallel()
	msg := func(s string) Packet { return Packet{Type: Message, Data: []byte(s)} }
	tests := []struct {
		name    string
		in      string
		want    []Packet
		wantErr error
	}{
		{name: "single packet", in: "40", want: []Packet{msg("0")}},
		{name: "observed binary event back", in: captureBinback, want: []Packet{
			msg(`51-["binback",{"_placeholder":true,"num":0}]`),
			{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true},
		}},
		{name: "observed binary event post", in: captureBinPost, want: []Packet{
			msg(`51-["bin",{"_placeholder":true,"num":0}]`),
			{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true},
		}},
		{name: "observed acks post", in: captureAckPost, want: []Packet{
			msg(`21["message-with-ack",1,"2",{"3":[4]}]`),
			msg(`22["message-with-ack"]`),
		}},
		{name: "observed acks get", in: captureAckGet, want: []Packet{
			msg(`31[1,"2",{"3":[4]}]`),
			msg(`32[]`),
		}},
		{name: "observed noop then close", in: captureNoopClose, want: []Packet{
			{Type: Noop, Data: []byte{}},
			{Type: Close, Data: []byte{}},
		}},
		{name: "observed handshake", in: captureOpen, want: []Packet{{Type: Open, Data: []byte(captureOpen[1:])}}},
		{name: "pong then message", in: "3\x1e4x", want: []Packet{{Type: Pong, Data: []byte{}}, msg("x")}},
		{name: "empty body", in: "", want: nil, wantErr: ErrParse},
		{name: "parse error alone (observed POST 9)", in: "9", want: nil, wantErr: ErrParse},
		{name: "stops at first error", in: "4a\x1e9\x1e4b", want: []Packet{msg("a")}, wantErr: ErrParse},
		{name: "stops at empty record", in: "4a\x1e\x1e4b", want: []Packet{msg("a")}, wantErr: ErrParse},
		{name: "trailing separator", in: "4a\x1e", want: []Packet{msg("a")}, wantErr: ErrParse},
		{name: "leading separator", in: "\x1e4a", want: nil, wantErr: ErrParse},
		{name: "bad base64 in the middle", in: "4a\x1eb!!\x1e4b", want: []Packet{msg("a")}, wantErr: ErrParse},
		{name: "close in the middle is decoded", in: "4a\x1e1\x1e4b", want: []Packet{msg("a"), {Type: Close, Data: []byte{}}, msg("b")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodePayload([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DecodePayload(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("DecodePayload(%q) = %d packets, want %d: %+v", tt.in, len(got), len(tt.want), got)
			}
			for i := range got {
				assertPacket(t, got[i], tt.want[i])
			}
		})
	}
}

func TestAppendText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Packet
		want string
	}{
		{name: "open", in: Packet{Type: Open, Data: []byte(captureOpen[1:])}, want: captureOpen},
		{name: "ping", in: Packet{Type: Ping}, want: "2"},
		{name: "pong probe", in: Packet{Type: Pong, Data: []byte("probe")}, want: "3probe"},
		{name: "message", in: Packet{Type: Message, Data: []byte(`2["foo"]`)}, want: `42["foo"]`},
		{name: "noop", in: Packet{Type: Noop}, want: "6"},
		{name: "binary", in: Packet{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true}, want: "bAQIDBA=="},
		{name: "binary empty", in: Packet{Type: Message, Binary: true}, want: "b"},
		{name: "binary padding", in: Packet{Type: Message, Data: []byte{0xfb, 0xff}, Binary: true}, want: "b+/8="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := string(AppendText([]byte("prefix:"), tt.in))
			if got != "prefix:"+tt.want {
				t.Fatalf("AppendText = %q, want %q", got, "prefix:"+tt.want)
			}
		})
	}
}

func TestAppendPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []Packet
		want string
	}{
		{name: "none", in: nil, want: ""},
		{name: "one", in: []Packet{{Type: Message, Data: []byte("0")}}, want: "40"},
		{name: "observed binary event back", in: []Packet{
			{Type: Message, Data: []byte(`51-["binback",{"_placeholder":true,"num":0}]`)},
			{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true},
		}, want: captureBinback},
		{name: "observed acks", in: []Packet{
			{Type: Message, Data: []byte(`31[1,"2",{"3":[4]}]`)},
			{Type: Message, Data: []byte(`32[]`)},
		}, want: captureAckGet},
		{name: "observed noop close", in: []Packet{{Type: Noop}, {Type: Close}}, want: captureNoopClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(AppendPayload(nil, tt.in)); got != tt.want {
				t.Fatalf("AppendPayload = %q, want %q", got, tt.want)
			}
		})
	}
}

// randomPacket returns a packet the encoder can represent: binary data is
// arbitrary, text data never contains the record separator (it is JSON or
// a probe in practice).
func randomPacket(r *rand.Rand) Packet {
	data := make([]byte, r.IntN(40))
	for i := range data {
		data[i] = byte(r.IntN(256))
	}
	if r.IntN(3) == 0 {
		return Packet{Type: Message, Data: data, Binary: true}
	}
	data = bytes.ReplaceAll(data, []byte{Separator}, []byte("x"))
	return Packet{Type: Type(r.IntN(7)), Data: data}
}

// TestRoundTrip: Decode(AppendText(p)) == p and DecodePayload(AppendPayload(ps)) == ps.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		ps := make([]Packet, 1+r.IntN(5))
		for i := range ps {
			ps[i] = randomPacket(r)
		}
		for _, p := range ps {
			got, err := Decode(AppendText(nil, p))
			if err != nil {
				t.Fatalf("Decode(AppendText(%+v)): %v", p, err)
			}
			assertPacket(t, got, p)
		}
		body := AppendPayload(nil, ps)
		got, err := DecodePayload(body)
		if err != nil {
			t.Fatalf("DecodePayload(%q): %v", body, err)
		}
		if len(got) != len(ps) {
			t.Fatalf("DecodePayload(%q) = %d packets, want %d", body, len(got), len(ps))
		}
		for i := range got {
			assertPacket(t, got[i], ps[i])
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		captureOpen, captureOpenWS, "1", "2", "2probe", "3", "3probe", "40", "4hello",
		`42["foo"]`, `451-["binback",{"_placeholder":true,"num":0}]`, "bAQIDBA==", "b", "5", "6",
		"9", "", "b!!", "\x1e",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := Decode(in)
		if err != nil {
			if !errors.Is(err, ErrParse) {
				t.Fatalf("Decode(%q): unexpected error %v", in, err)
			}
			return
		}
		if p.Type > Noop {
			t.Fatalf("Decode(%q): type %d out of range", in, p.Type)
		}
		if p.Binary && p.Type != Message {
			t.Fatalf("Decode(%q): binary packet of type %d", in, p.Type)
		}
		if !p.Binary && !bytes.Equal(AppendText(nil, p), in) {
			t.Fatalf("text packet %q re-encodes as %q", in, AppendText(nil, p))
		}
		again, err := Decode(AppendText(nil, p))
		if err != nil {
			t.Fatalf("Decode(AppendText(Decode(%q))): %v", in, err)
		}
		assertPacket(t, again, p)
	})
}

func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{
		captureBinback, captureBinPost, captureAckPost, captureAckGet, captureNoopClose,
		captureOpen, "40", "4a\x1e9\x1e4b", "4a\x1e", "", "\x1e\x1e",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ps, err := DecodePayload(body)
		records := bytes.Split(body, []byte{Separator})
		if len(ps) > len(records) {
			t.Fatalf("DecodePayload(%q): %d packets from %d records", body, len(ps), len(records))
		}
		// Every record before the first bad one decodes exactly as Decode does.
		for i, p := range ps {
			want, derr := Decode(records[i])
			if derr != nil {
				t.Fatalf("record %d (%q) was accepted but Decode fails: %v", i, records[i], derr)
			}
			assertPacket(t, p, want)
		}
		if err != nil {
			if _, derr := Decode(records[len(ps)]); derr == nil {
				t.Fatalf("DecodePayload(%q) stopped at record %d (%q) which decodes", body, len(ps), records[len(ps)])
			}
			return
		}
		if len(ps) != len(records) {
			t.Fatalf("DecodePayload(%q) = %d packets, want %d", body, len(ps), len(records))
		}
		again, err := DecodePayload(AppendPayload(nil, ps))
		if err != nil || len(again) != len(ps) {
			t.Fatalf("round trip of %q: %d packets, %v", body, len(again), err)
		}
		for i := range ps {
			assertPacket(t, again[i], ps[i])
		}
	})
}
