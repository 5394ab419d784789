package sio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Real Socket.IO packets (Engine.IO "4" prefix removed) captured from the
// reference server and the official client (spec/socket-io-v5.md §2, §5, §6,
// §8, §10 and spec/engine-io-v4.md §13), followed by the spec's table.
var captures = []string{
	`0`,
	`0{"sid":"HSkWyAaVRo2HLaTLAAAA"}`,
	`0{"sid":"bSk1XB--PZE-S1HyAAAA"}`,
	`0{"sid":"QRh41Y0yfz0PtnIfAAAA","pid":"h7LzmvPIBmrvNbVFAAAB"}`,
	`0{"pid":"h7LzmvPIBmrvNbVFAAAB","offset":"Q8OhpL9"}`,
	`0/dyn-12,`,
	`0/dyn-12,{"sid":"wZX3oN0bSVIhsaknAAAI"}`,
	`4/nope,{"message":"Invalid namespace"}`,
	`4{"message":"not authorized","data":{"reason":"bad token"}}`,
	`21["message-with-ack",1,"2",{"3":[4]}]`,
	`22["message-with-ack"]`,
	`31[1,"2",{"3":[4]}]`,
	`32[]`,
	`20["withack"]`,
	`2["e1",1,"Q8OhpL9"]`,
	`2["e2","Q8OhpL9.0"]`,
	`2["direct","x","Q8OhpLA"]`,
	`2["missed",2,"Q8OhpRS"]`,
	`2["hello",1,""]`,
	`2["hello",1,null]`,
	`51-["bin",{"_placeholder":true,"num":0}]`,
	`51-["binback",{"_placeholder":true,"num":0}]`,
	// spec table
	`0/admin,{"token":"123"}`,
	`0{"sid":"wZX3oN0bSVIhsaknAAAI"}`,
	`0/admin,{"sid":"wZX3oN0bSVIhsaknAAAI"}`,
	`4{"message":"Not authorized"}`,
	`1/admin,`,
	`2["foo"]`,
	`212["foo"]`,
	`3/admin,13["bar"]`,
	`51-["baz",{"_placeholder":true,"num":0}]`,
	`52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
	`61-15["bar",{"_placeholder":true,"num":0}]`,
}

var decodeErrors = []error{ErrUnknownType, ErrIllegalAttachments, ErrTooManyAttachments, ErrInvalidPayload, ErrReservedName}

func TestDecode(t *testing.T) {
	t.Parallel()
	pkt := func(typ Type, nsp string, id int64, atts int, data string) Packet {
		p := Packet{Type: typ, Nsp: nsp, ID: id, Attachments: atts}
		if data != "" {
			p.Data = []byte(data)
		}
		return p
	}
	ph := func(n int) string { return fmt.Sprintf(`{"_placeholder":true,"num":%d}`, n) }
	tests := []struct {
		name           string
		in             string
		maxAttachments int
		want           Packet
		wantErr        error
	}{
		// spec table (§2)
		{name: "connect main namespace", in: `0`, want: pkt(Connect, "/", NoID, 0, "")},
		{name: "connect admin with auth", in: `0/admin,{"token":"123"}`, want: pkt(Connect, "/admin", NoID, 0, `{"token":"123"}`)},
		{name: "connect accepted", in: `0{"sid":"wZX3oN0bSVIhsaknAAAI"}`, want: pkt(Connect, "/", NoID, 0, `{"sid":"wZX3oN0bSVIhsaknAAAI"}`)},
		{name: "connect accepted custom nsp", in: `0/admin,{"sid":"x"}`, want: pkt(Connect, "/admin", NoID, 0, `{"sid":"x"}`)},
		{name: "connect error", in: `4{"message":"Not authorized"}`, want: pkt(ConnectError, "/", NoID, 0, `{"message":"Not authorized"}`)},
		{name: "disconnect admin", in: `1/admin,`, want: pkt(Disconnect, "/admin", NoID, 0, "")},
		{name: "event", in: `2["foo"]`, want: pkt(Event, "/", NoID, 0, `["foo"]`)},
		{name: "event with ack 12", in: `212["foo"]`, want: pkt(Event, "/", 12, 0, `["foo"]`)},
		{name: "ack admin 13", in: `3/admin,13["bar"]`, want: pkt(Ack, "/admin", 13, 0, `["bar"]`)},
		{name: "binary event 1 attachment", in: `51-["baz",` + ph(0) + `]`, want: pkt(BinaryEvent, "/", NoID, 1, `["baz",`+ph(0)+`]`)},
		{name: "binary event admin 2 attachments", in: `52-/admin,["baz",` + ph(0) + `,` + ph(1) + `]`,
			want: pkt(BinaryEvent, "/admin", NoID, 2, `["baz",`+ph(0)+`,`+ph(1)+`]`)},
		{name: "binary ack id 15", in: `61-15["bar",` + ph(0) + `]`, want: pkt(BinaryAck, "/", 15, 1, `["bar",`+ph(0)+`]`)},
		// observed
		{name: "ack id 0", in: `20["withack"]`, want: pkt(Event, "/", 0, 0, `["withack"]`)},
		{name: "empty ack", in: `32[]`, want: pkt(Ack, "/", 2, 0, `[]`)},
		{name: "connect dynamic nsp", in: `0/dyn-12,`, want: pkt(Connect, "/dyn-12", NoID, 0, "")},
		{name: "connect error with data", in: `4{"message":"not authorized","data":{"reason":"bad token"}}`,
			want: pkt(ConnectError, "/", NoID, 0, `{"message":"not authorized","data":{"reason":"bad token"}}`)},
		{name: "invalid namespace error", in: `4/nope,{"message":"Invalid namespace"}`, want: pkt(ConnectError, "/nope", NoID, 0, `{"message":"Invalid namespace"}`)},
		// namespace
		{name: "namespace without trailing comma", in: `0/custom`, want: pkt(Connect, "/custom", NoID, 0, "")},
		{name: "disconnect namespace without comma", in: `1/admin`, want: pkt(Disconnect, "/admin", NoID, 0, "")},
		{name: "explicit main namespace", in: `0/,{}`, want: pkt(Connect, "/", NoID, 0, `{}`)},
		{name: "namespace with query-like chars", in: `2/a/b?c=d,["x"]`, want: pkt(Event, "/a/b?c=d", NoID, 0, `["x"]`)},
		{name: "namespace then ack id", in: `2/admin,7["x"]`, want: pkt(Event, "/admin", 7, 0, `["x"]`)},
		{name: "namespace stops at first comma", in: `2/a,["x,y"]`, want: pkt(Event, "/a", NoID, 0, `["x,y"]`)},
		// payload rules
		{name: "connect without payload", in: `0/admin,`, want: pkt(Connect, "/admin", NoID, 0, "")},
		{name: "connect empty object", in: `0{}`, want: pkt(Connect, "/", NoID, 0, `{}`)},
		{name: "connect array rejected", in: `0[1]`, wantErr: ErrInvalidPayload},
		{name: "connect string rejected", in: `0/custom,"x"`, wantErr: ErrInvalidPayload},
		{name: "connect null rejected", in: `0null`, wantErr: ErrInvalidPayload},
		{name: "connect trailing data rejected", in: `0/custom,{}1`, wantErr: ErrInvalidPayload},
		{name: "disconnect main", in: `1`, want: pkt(Disconnect, "/", NoID, 0, "")},
		{name: "disconnect with object rejected", in: `1{}`, wantErr: ErrInvalidPayload},
		{name: "disconnect with array rejected", in: `1/admin,[]`, wantErr: ErrInvalidPayload},
		{name: "disconnect with string rejected", in: `1"bye"`, wantErr: ErrInvalidPayload},
		{name: "event name as number", in: `2[1,"x"]`, want: pkt(Event, "/", NoID, 0, `[1,"x"]`)},
		{name: "event name as negative float", in: `2[-1.5e3]`, want: pkt(Event, "/", NoID, 0, `[-1.5e3]`)},
		{name: "event name with unicode", in: `2["héllo 😀"]`, want: pkt(Event, "/", NoID, 0, `["héllo 😀"]`)},
		{name: "event name is case sensitive", in: `2["Connect"]`, want: pkt(Event, "/", NoID, 0, `["Connect"]`)},
		{name: "event name with whitespace", in: `2[ "foo" , 1 ]`, want: pkt(Event, "/", NoID, 0, `[ "foo" , 1 ]`)},
		{name: "event trailing whitespace", in: "2[\"foo\"]\n", want: pkt(Event, "/", NoID, 0, "[\"foo\"]\n")},
		{name: "event object rejected", in: `2{}`, wantErr: ErrInvalidPayload},
		{name: "event empty array rejected", in: `2[]`, wantErr: ErrInvalidPayload},
		{name: "event name null rejected", in: `2[null]`, wantErr: ErrInvalidPayload},
		{name: "event name bool rejected", in: `2[true,1]`, wantErr: ErrInvalidPayload},
		{name: "event name array rejected", in: `2[["foo"]]`, wantErr: ErrInvalidPayload},
		{name: "event name object rejected", in: `2[{"foo":1}]`, wantErr: ErrInvalidPayload},
		{name: "event string payload rejected", in: `2"foo"`, wantErr: ErrInvalidPayload},
		{name: "non-numeric ack id rejected", in: `2abc["foo"]`, wantErr: ErrInvalidPayload},
		{name: "ack with object rejected", in: `3{}`, wantErr: ErrInvalidPayload},
		{name: "ack with string rejected", in: `31"x"`, wantErr: ErrInvalidPayload},
		{name: "connect error string", in: `4"some error"`, want: pkt(ConnectError, "/", NoID, 0, `"some error"`)},
		{name: "connect error object nsp", in: `4/admin,{"message":"x"}`, want: pkt(ConnectError, "/admin", NoID, 0, `{"message":"x"}`)},
		{name: "connect error array rejected", in: `4["x"]`, wantErr: ErrInvalidPayload},
		{name: "connect error number rejected", in: `4/a, 1`, wantErr: ErrInvalidPayload},
		{name: "connect error null rejected", in: `4null`, wantErr: ErrInvalidPayload},
		// reserved names
		{name: "reserved connect", in: `2["connect"]`, wantErr: ErrReservedName},
		{name: "reserved connect_error", in: `2["connect_error"]`, wantErr: ErrReservedName},
		{name: "reserved disconnect", in: `2["disconnect",1]`, wantErr: ErrReservedName},
		{name: "reserved disconnecting", in: `2/admin,["disconnecting"]`, wantErr: ErrReservedName},
		{name: "reserved newListener", in: `21["newListener"]`, wantErr: ErrReservedName},
		{name: "reserved removeListener", in: `2["removeListener"]`, wantErr: ErrReservedName},
		{name: "reserved name escaped", in: `2["\u0063onnect"]`, wantErr: ErrReservedName},
		{name: "reserved binary event", in: `51-["disconnect",` + ph(0) + `]`, wantErr: ErrReservedName},
		{name: "reserved name inside ack is fine", in: `3["connect"]`, want: pkt(Ack, "/", NoID, 0, `["connect"]`)},
		{name: "reserved name as later argument is fine", in: `2["x","connect"]`, want: pkt(Event, "/", NoID, 0, `["x","connect"]`)},
		// attachments
		{name: "zero attachments rejected", in: `50-["foo"]`, wantErr: ErrIllegalAttachments},
		{name: "zero attachments binary ack rejected", in: `60-1[]`, wantErr: ErrIllegalAttachments},
		{name: "ten attachments accepted", in: `510-["foo"]`, want: pkt(BinaryEvent, "/", NoID, 10, `["foo"]`)},
		{name: "eleven attachments rejected", in: `511-["foo"]`, wantErr: ErrTooManyAttachments},
		{name: "custom max attachments accepted", in: `53-["foo"]`, maxAttachments: 3, want: pkt(BinaryEvent, "/", NoID, 3, `["foo"]`)},
		{name: "custom max attachments exceeded", in: `54-["foo"]`, maxAttachments: 3, wantErr: ErrTooManyAttachments},
		{name: "raised max attachments", in: `511-["foo"]`, maxAttachments: 20, want: pkt(BinaryEvent, "/", NoID, 11, `["foo"]`)},
		{name: "leading zero count", in: `601-2[]`, want: pkt(BinaryAck, "/", 2, 1, `[]`)},
		{name: "count without dash", in: `51["foo"]`, wantErr: ErrIllegalAttachments},
		{name: "empty count", in: `5-["foo"]`, wantErr: ErrIllegalAttachments},
		{name: "non-numeric count", in: `5a-["foo"]`, wantErr: ErrIllegalAttachments},
		{name: "negative count", in: `5-1-["foo"]`, wantErr: ErrIllegalAttachments},
		{name: "header only", in: `5`, wantErr: ErrIllegalAttachments},
		{name: "binary event as object rejected", in: `51-{}`, wantErr: ErrInvalidPayload},
		{name: "binary ack as object rejected", in: `61-{}`, wantErr: ErrInvalidPayload},
		// type
		{name: "empty input", in: ``, wantErr: ErrUnknownType},
		{name: "type 7", in: `7`, wantErr: ErrUnknownType},
		{name: "type 9", in: `9["x"]`, wantErr: ErrUnknownType},
		{name: "letter", in: `x`, wantErr: ErrUnknownType},
		{name: "leading space", in: ` 2["x"]`, wantErr: ErrUnknownType},
		// invalid JSON
		{name: "unterminated array", in: `2["foo"`, wantErr: ErrInvalidPayload},
		{name: "trailing comma", in: `2["foo",]`, wantErr: ErrInvalidPayload},
		{name: "single quotes", in: `2['foo']`, wantErr: ErrInvalidPayload},
		{name: "trailing garbage", in: `2["foo"]x`, wantErr: ErrInvalidPayload},
		{name: "two values", in: `2["foo"]["bar"]`, wantErr: ErrInvalidPayload},
		{name: "connect bad json", in: `0{"token":}`, wantErr: ErrInvalidPayload},
		{name: "connect error bad json", in: `4{"message"`, wantErr: ErrInvalidPayload},
		// ack ids
		{name: "ack id 15 digits", in: `3123456789012345[]`, want: pkt(Ack, "/", 123456789012345, 0, `[]`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode([]byte(tt.in), tt.maxAttachments)
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
	if got.Type != want.Type || got.Nsp != want.Nsp || got.ID != want.ID ||
		got.Attachments != want.Attachments || !bytes.Equal(got.Data, want.Data) || (got.Data == nil) != (want.Data == nil) {
		t.Fatalf("packet = %s, want %s", fmtPacket(got), fmtPacket(want))
	}
}

func fmtPacket(p Packet) string {
	return fmt.Sprintf("{Type:%d Nsp:%q ID:%d Attachments:%d Data:%q nil:%v}", p.Type, p.Nsp, p.ID, p.Attachments, p.Data, p.Data == nil)
}

func TestAppendEncode(t *testing.T) {
	t.Parallel()
	ph0 := `{"_placeholder":true,"num":0}`
	tests := []struct {
		name string
		in   Packet
		want string
	}{
		{name: "connect main", in: Packet{Type: Connect, Nsp: "/", ID: NoID}, want: `0`},
		{name: "connect empty nsp means main", in: Packet{Type: Connect, ID: NoID}, want: `0`},
		{name: "connect admin auth", in: Packet{Type: Connect, Nsp: "/admin", ID: NoID, Data: []byte(`{"token":"123"}`)}, want: `0/admin,{"token":"123"}`},
		{name: "connect accepted", in: Packet{Type: Connect, Nsp: "/", ID: NoID, Data: []byte(`{"sid":"wZX3oN0bSVIhsaknAAAI"}`)}, want: `0{"sid":"wZX3oN0bSVIhsaknAAAI"}`},
		{name: "connect error", in: Packet{Type: ConnectError, Nsp: "/", ID: NoID, Data: []byte(`{"message":"Not authorized"}`)}, want: `4{"message":"Not authorized"}`},
		{name: "invalid namespace", in: Packet{Type: ConnectError, Nsp: "/nope", ID: NoID, Data: []byte(`{"message":"Invalid namespace"}`)}, want: `4/nope,{"message":"Invalid namespace"}`},
		{name: "disconnect admin", in: Packet{Type: Disconnect, Nsp: "/admin", ID: NoID}, want: `1/admin,`},
		{name: "event", in: Packet{Type: Event, Nsp: "/", ID: NoID, Data: []byte(`["foo"]`)}, want: `2["foo"]`},
		{name: "event ack 12", in: Packet{Type: Event, Nsp: "/", ID: 12, Data: []byte(`["foo"]`)}, want: `212["foo"]`},
		{name: "event ack 0", in: Packet{Type: Event, Nsp: "/", ID: 0, Data: []byte(`["withack"]`)}, want: `20["withack"]`},
		{name: "ack admin 13", in: Packet{Type: Ack, Nsp: "/admin", ID: 13, Data: []byte(`["bar"]`)}, want: `3/admin,13["bar"]`},
		{name: "empty ack", in: Packet{Type: Ack, Nsp: "/", ID: 2, Data: []byte(`[]`)}, want: `32[]`},
		{name: "binary event", in: Packet{Type: BinaryEvent, Nsp: "/", ID: NoID, Attachments: 1, Data: []byte(`["binback",` + ph0 + `]`)}, want: `51-["binback",` + ph0 + `]`},
		{name: "binary ack 15", in: Packet{Type: BinaryAck, Nsp: "/", ID: 15, Attachments: 1, Data: []byte(`["bar",` + ph0 + `]`)}, want: `61-15["bar",` + ph0 + `]`},
		{name: "binary event admin", in: Packet{Type: BinaryEvent, Nsp: "/admin", ID: NoID, Attachments: 2, Data: []byte(`["baz"]`)}, want: `52-/admin,["baz"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(AppendEncode([]byte("4"), &tt.in)); got != "4"+tt.want {
				t.Fatalf("AppendEncode = %q, want %q", got, "4"+tt.want)
			}
		})
	}
}

func TestIsReserved(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		if !IsReserved(name) {
			t.Errorf("IsReserved(%q) = false", name)
		}
	}
	for _, name := range []string{"", "Connect", "message", "error", "ping", "connection"} {
		if IsReserved(name) {
			t.Errorf("IsReserved(%q) = true", name)
		}
	}
}

// TestCapturesDecode: every captured packet decodes and re-encodes byte for byte.
func TestCapturesDecode(t *testing.T) {
	t.Parallel()
	for _, c := range captures {
		p, err := Decode([]byte(c), 0)
		if err != nil {
			t.Errorf("Decode(%q): %v", c, err)
			continue
		}
		if got := string(AppendEncode(nil, &p)); got != c {
			t.Errorf("AppendEncode(Decode(%q)) = %q", c, got)
		}
	}
}

// validPayloads gives, per type, JSON data the decoder accepts.
var validPayloads = map[Type][]string{
	Connect:      {"", `{}`, `{"token":"123"}`, `{"pid":"a","offset":"b"}`},
	Disconnect:   {""},
	Event:        {`["foo"]`, `[1]`, `["a",1,"2",{"3":[4]},null,true,[]]`, `["x,y","\"]"]`, `["é😀\u2028"]`},
	Ack:          {`[]`, `[1,"2",{"3":[4]}]`, `[null]`, `["connect"]`},
	ConnectError: {`"oops"`, `{"message":"Not authorized"}`, `{"message":"x","data":{"reason":"bad token"}}`},
	BinaryEvent:  {`["bin",{"_placeholder":true,"num":0}]`, `[7,{"a":[{"_placeholder":true,"num":1}]}]`},
	BinaryAck:    {`[]`, `[{"_placeholder":true,"num":0}]`},
}

var namespaces = []string{"/", "/admin", "/dyn-12", "/a/b", "/é", "/x y"}

// TestRoundTrip: Decode(AppendEncode(p)) == p for every representable packet.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		typ := Type(r.IntN(7))
		data := validPayloads[typ][r.IntN(len(validPayloads[typ]))]
		p := Packet{Type: typ, Nsp: namespaces[r.IntN(len(namespaces))], ID: NoID}
		if data != "" {
			p.Data = []byte(data)
		}
		if typ == BinaryEvent || typ == BinaryAck {
			p.Attachments = 1 + r.IntN(MaxAttachments)
		}
		if r.IntN(2) == 0 && typ != Connect && typ != Disconnect && typ != ConnectError {
			p.ID = r.Int64N(1 << 40)
		}
		text := AppendEncode(nil, &p)
		got, err := Decode(text, 0)
		if err != nil {
			t.Fatalf("Decode(AppendEncode(%s)) = %q: %v", fmtPacket(p), text, err)
		}
		assertPacket(t, got, p)
	}
}

// checkDecoded verifies, with encoding/json and independently of the
// decoder, that an accepted packet satisfies the reference rules.
func checkDecoded(t *testing.T, in []byte, p Packet, maxAttachments int) {
	t.Helper()
	if p.Type > BinaryAck {
		t.Fatalf("Decode(%q): type %d", in, p.Type)
	}
	if !strings.HasPrefix(p.Nsp, "/") || strings.Contains(p.Nsp, ",") {
		t.Fatalf("Decode(%q): namespace %q", in, p.Nsp)
	}
	binary := p.Type == BinaryEvent || p.Type == BinaryAck
	if binary && (p.Attachments < 1 || p.Attachments > maxAttachments) {
		t.Fatalf("Decode(%q): %d attachments", in, p.Attachments)
	}
	if !binary && p.Attachments != 0 {
		t.Fatalf("Decode(%q): %d attachments on type %d", in, p.Attachments, p.Type)
	}
	if p.ID < NoID {
		t.Fatalf("Decode(%q): id %d", in, p.ID)
	}
	var v any
	if p.Data == nil && p.Type != Connect && p.Type != Disconnect {
		// EVENT, ACK and CONNECT_ERROR without payload: socket.io-parser
		// 4.2.7 skips the payload check when there is no payload; sio
		// refuses them. Either is fine here.
		return
	}
	if p.Data != nil {
		dec := json.NewDecoder(bytes.NewReader(p.Data))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("Decode(%q): accepted invalid JSON %q: %v", in, p.Data, err)
		}
	}
	switch p.Type {
	case Connect:
		if _, ok := v.(map[string]any); p.Data != nil && !ok {
			t.Fatalf("Decode(%q): CONNECT payload %T", in, v)
		}
	case Disconnect:
		if p.Data != nil {
			t.Fatalf("Decode(%q): DISCONNECT with payload", in)
		}
	case Event, BinaryEvent:
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			t.Fatalf("Decode(%q): EVENT payload %T", in, v)
		}
		switch name := arr[0].(type) {
		case json.Number:
		case string:
			if IsReserved(name) {
				t.Fatalf("Decode(%q): reserved name %q accepted", in, name)
			}
		default:
			t.Fatalf("Decode(%q): event name %T", in, arr[0])
		}
	case Ack, BinaryAck:
		if _, ok := v.([]any); !ok {
			t.Fatalf("Decode(%q): ACK payload %T", in, v)
		}
	case ConnectError:
		switch v.(type) {
		case string, map[string]any:
		default:
			t.Fatalf("Decode(%q): CONNECT_ERROR payload %T", in, v)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, c := range captures {
		f.Add([]byte(c), 0)
	}
	for _, s := range []string{`0/custom`, `2abc["foo"]`, `2{}`, `1{}`, `0[1]`, `0/custom,"x"`, `50-["x"]`,
		`510-["x"]`, `511-["x"]`, `2["connect"]`, `2[1]`, `4"x"`, `2["foo"`, `2["\u0063onnect"]`, ``, `9`} {
		f.Add([]byte(s), 0)
	}
	f.Add([]byte(`53-["x"]`), 2)
	f.Fuzz(func(t *testing.T, in []byte, maxAttachments int) {
		maxAttachments %= 100
		p, err := Decode(in, maxAttachments)
		if maxAttachments <= 0 {
			maxAttachments = MaxAttachments
		}
		if err != nil {
			for _, e := range decodeErrors {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("Decode(%q): unexpected error %v", in, err)
		}
		checkDecoded(t, in, p, maxAttachments)
		// Round trip: re-encoding may normalise (a namespace without its
		// trailing comma, "/" written explicitly, leading zeros), so the
		// decoded packets are compared, not the bytes.
		text := AppendEncode(nil, &p)
		again, err := Decode(text, maxAttachments)
		if err != nil {
			t.Fatalf("Decode(%q) ok, but its re-encoding %q fails: %v", in, text, err)
		}
		assertPacket(t, again, p)
	})
}

func TestSplitArray(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr bool
	}{
		{name: "empty array", in: `[]`, want: nil},
		{name: "empty array with space", in: " [ \n\t] ", want: nil},
		{name: "one element", in: `["foo"]`, want: []string{`"foo"`}},
		{name: "observed ack args", in: `[1,"2",{"3":[4]}]`, want: []string{`1`, `"2"`, `{"3":[4]}`}},
		{name: "all kinds", in: `["a",-1.5e3,true,false,null,[],{},[1,[2]],{"a":{"b":[]}}]`,
			want: []string{`"a"`, `-1.5e3`, `true`, `false`, `null`, `[]`, `{}`, `[1,[2]]`, `{"a":{"b":[]}}`}},
		{name: "whitespace between elements", in: "[ 1 ,\n\"x\"\t, {\"a\" : 1} ]", want: []string{`1`, `"x"`, `{"a" : 1}`}},
		{name: "delimiters in strings", in: `["a,b","]","[","}","{",":"]`, want: []string{`"a,b"`, `"]"`, `"["`, `"}"`, `"{"`, `":"`}},
		{name: "escapes in strings", in: `["a\"b","\\","\\\"",{"k\"]":"v\\"}]`, want: []string{`"a\"b"`, `"\\"`, `"\\\""`, `{"k\"]":"v\\"}`}},
		{name: "placeholder", in: `["bin",{"_placeholder":true,"num":0}]`, want: []string{`"bin"`, `{"_placeholder":true,"num":0}`}},
		{name: "unicode", in: `["é😀","\u2028"]`, want: []string{`"é😀"`, `"\u2028"`}},
		{name: "object", in: `{}`, wantErr: true},
		{name: "string", in: `"[1]"`, wantErr: true},
		{name: "empty", in: ``, wantErr: true},
		{name: "unterminated", in: `[1,2`, wantErr: true},
		{name: "unterminated string", in: `["abc`, wantErr: true},
		{name: "unterminated nested", in: `[[1,2]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := SplitArray([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("SplitArray(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("SplitArray(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for i := range got {
				if string(got[i]) != tt.want[i] {
					t.Fatalf("SplitArray(%q)[%d] = %q, want %q", tt.in, i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestFirstElement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		wantFirst string
		wantNil   bool
		wantRest  string
		wantErr   bool
	}{
		{name: "event", in: `["foo",1,2]`, wantFirst: `"foo"`, wantRest: `,1,2]`},
		{name: "only element", in: `["foo"]`, wantFirst: `"foo"`, wantRest: `]`},
		{name: "number", in: `[ 12 , "x"]`, wantFirst: `12`, wantRest: ` , "x"]`},
		{name: "nested", in: `[["a",{"b":"]"}],1]`, wantFirst: `["a",{"b":"]"}]`, wantRest: `,1]`},
		{name: "escaped quote", in: `["a\"],",1]`, wantFirst: `"a\"],"`, wantRest: `,1]`},
		{name: "empty", in: `[]`, wantNil: true},
		{name: "empty with space", in: ` [ ] `, wantNil: true},
		{name: "not an array", in: `{"a":1}`, wantErr: true},
		{name: "nothing", in: ``, wantErr: true},
		{name: "unterminated string", in: `["abc`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			first, rest, err := FirstElement([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("FirstElement(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if tt.wantNil {
				if first != nil {
					t.Fatalf("FirstElement(%q) = %q, want nil", tt.in, first)
				}
				return
			}
			if string(first) != tt.wantFirst || string(rest) != tt.wantRest {
				t.Fatalf("FirstElement(%q) = %q, %q; want %q, %q", tt.in, first, rest, tt.wantFirst, tt.wantRest)
			}
		})
	}
}

func FuzzSplitArray(f *testing.F) {
	for _, c := range captures {
		if i := strings.IndexByte(c, '['); i >= 0 {
			f.Add([]byte(c[i:]))
		}
	}
	for _, s := range []string{`[]`, ` [ ] `, `["a,b","]",{"k\"]":"v\\"}]`, `[[[[]]]]`, `[1,`, `["\`, `{}`, `[1 2]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := SplitArray(data)
		first, _, ferr := FirstElement(data)
		var want []json.RawMessage
		if json.Unmarshal(data, &want) != nil {
			return // invalid JSON, or not an array: only "no panic, no hang"
		}
		if err != nil || ferr != nil {
			t.Fatalf("valid array %q: SplitArray error %v, FirstElement error %v", data, err, ferr)
		}
		if len(got) != len(want) {
			t.Fatalf("SplitArray(%q) = %d elements, encoding/json finds %d", data, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("SplitArray(%q)[%d] = %q, encoding/json finds %q", data, i, got[i], want[i])
			}
		}
		if len(want) == 0 {
			if first != nil {
				t.Fatalf("FirstElement(%q) = %q, want nil", data, first)
			}
		} else if !bytes.Equal(first, want[0]) {
			t.Fatalf("FirstElement(%q) = %q, want %q", data, first, want[0])
		}
	})
}
