package core

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzArgsDecode: random JSON arguments with N attachments decode into
// typed destinations, through Values, through a typed handler and through
// the echo path without panicking; whatever Values accepts can be echoed,
// and the echo decodes to the same values.
func FuzzArgsDecode(f *testing.F) {
	// Arguments of real captures (spec/engine-io-v4.md §13,
	// spec/socket-io-v5.md §6, §8, §10), as received after the event name.
	for _, s := range []struct {
		args string
		n    uint8
	}{
		{`[1,"2",{"3":[4]}]`, 0},
		{`[]`, 0},
		{`[{"_placeholder":true,"num":0}]`, 1},
		{`[1,"Q8OhpL9"]`, 0},
		{`["Q8OhpL9.0"]`, 0},
		{`["x","Q8OhpLA"]`, 0},
		{`[2,"Q8OhpRS"]`, 0},
		{`[1,""]`, 0},
		{`[1,null]`, 0},
		{`[{"name":"f","body":{"_placeholder":true,"num":1},"blob":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":0}]`, 2},
		{`[{"text":"t","blob":{"_placeholder":true,"num":0},"list":[{"_placeholder":true,"num":1}],"any":{"k":{"_placeholder":true,"num":0}}}]`, 2},
		{`[{"z":1.50,"a":2},1e3,-0,"\u00e9"]`, 0},
		{`[{"_placeholder":true,"num":3}]`, 2},
		{`[9007199254740993,"AQIDBA==",true]`, 1},
	} {
		f.Add([]byte(s.args), s.n)
	}
	f.Fuzz(func(t *testing.T, raw []byte, n uint8) {
		if !json.Valid(raw) {
			return // sio.Decode hands only valid JSON to splitArgs
		}
		parts, err := splitArgs(raw)
		if err != nil {
			return // not an array
		}
		atts := make([][]byte, int(n)%12)
		for i := range atts {
			atts[i] = bytes.Repeat([]byte{byte(i)}, i)
		}
		args := Args{raw: parts, attachments: atts}
		for i := range parts {
			var (
				s  string
				in int
				b  []byte
				st tstMsg
				m  map[string]any
				a  any
			)
			for _, dst := range []any{&s, &in, &b, &st, &m, &a} {
				_ = args.decodeOne(i, dst)
			}
		}
		_ = args.Decode(new(string), new(int), new([]byte), new(tstMsg), new(map[string]any), new(any))
		h, err := newEventHandler(func(string, int, []byte, tstMsg, map[string]any, any, Ack) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		_ = h.call(args, noAck)

		vals, verr := args.Values()
		data, eatts, eerr := encodeArgs(strPtr("echo"), []any{args})
		if eerr == nil && !json.Valid(data) {
			t.Fatalf("echo of %s wrote invalid JSON %s", raw, data)
		}
		if verr != nil {
			return
		}
		if eerr != nil {
			t.Fatalf("Values(%s, %d attachments) ok, echo fails: %v", raw, len(atts), eerr)
		}
		if len(atts) == 0 {
			want := append([]byte(`["echo"`), ',')
			want = append(want, bytes.Join(parts, []byte(","))...)
			if len(parts) == 0 {
				want = want[:len(want)-1]
			}
			want = append(want, ']')
			if !bytes.Equal(data, want) {
				t.Fatalf("echo of %s = %s, want the client's bytes %s", raw, data, want)
			}
		}
		eparts, err := splitArgs(data)
		if err != nil || len(eparts) != len(parts)+1 {
			t.Fatalf("echo %s: %d parts, %v", data, len(eparts), err)
		}
		again, err := Args{raw: eparts[1:], attachments: eatts}.Values()
		if err != nil {
			t.Fatalf("echo %s (attachments %v) does not decode: %v", data, eatts, err)
		}
		if !reflect.DeepEqual(again, vals) {
			t.Fatalf("echo changed the values:\n in %s -> %#v\nout %s -> %#v", raw, vals, data, again)
		}
	})
}

// FuzzPlainName: for any valid JSON token, the decoding-free reading of an
// event name agrees with encoding/json whenever it answers.
func FuzzPlainName(f *testing.F) {
	for _, s := range []string{`"ping"`, ` "chat message" `, `"caf\u00e9"`, `"a\"b"`, `"é"`, "\"\xff\"", `""`, `12`, `"\/"`, `"tab	x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		if !json.Valid(tok) {
			return // the packet was checked before
		}
		got, ok := plainName(tok)
		var want string
		err := json.Unmarshal(tok, &want)
		if ok && (err != nil || string(got) != want) {
			t.Fatalf("plainName(%q) = %q; encoding/json: %q, %v", tok, got, want, err)
		}
		if !ok && err == nil && !bytes.Contains(tok, []byte{'\\'}) && utf8.Valid(tok) {
			t.Fatalf("plainName(%q) declined a plain string", tok)
		}
	})
}
