package msgpack

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"
)

// Captured from Node's Redis adapter: io.emit("hello","world",1).
const helloCapture = "93a6707a544d367783a47479706502a46461746193a568656c6c6fa5776f726c6401a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380"

func TestEncodeMatchesNode(t *testing.T) {
	msg := []any{"pzTM6w",
		Map{{"type", 2}, {"data", []any{"hello", "world", 1.0}}, {"nsp", "/"}},
		Map{{"rooms", []any{}}, {"except", []any{}}, {"flags", Map{}}},
	}
	got, err := Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != helloCapture {
		t.Fatalf("got  %x\nwant %s", got, helloCapture)
	}
}

func TestDecodeCaptures(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want any
	}{
		{"hello", helloCapture, []any{"pzTM6w",
			map[string]any{"type": int64(2), "data": []any{"hello", "world", int64(1)}, "nsp": "/"},
			map[string]any{"rooms": []any{}, "except": []any{}, "flags": map[string]any{}}}},
		{"room with float", "93a6707a544d367783a47479706502a46461746192a2723182a16101a16293c3c0cb3ff8000000000000a36e7370a12f83a5726f6f6d7391a5726f6f6d31a665786365707490a5666c61677380",
			[]any{"pzTM6w",
				map[string]any{"type": int64(2), "data": []any{"r1", map[string]any{"a": int64(1), "b": []any{true, nil, 1.5}}}, "nsp": "/"},
				map[string]any{"rooms": []any{"room1"}, "except": []any{}, "flags": map[string]any{}}}},
		{"binary", "93a6707a544d367783a47479706502a46461746193a362696ec4040102030481a66e6573746564c401ffa36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380",
			[]any{"pzTM6w",
				map[string]any{"type": int64(2), "data": []any{"bin", []byte{1, 2, 3, 4}, map[string]any{"nested": []byte{0xff}}}, "nsp": "/"},
				map[string]any{"rooms": []any{}, "except": []any{}, "flags": map[string]any{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tc.hex)
			got, err := Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestIntegers(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{0, "00"}, {127, "7f"}, {128, "cc80"}, {256, "cd0100"}, {65536, "ce00010000"},
		{int64(1) << 40, "cf0000010000000000"}, {-1, "ff"}, {-32, "e0"}, {-33, "d0df"},
		{-129, "d1ff7f"}, {2000.0, "cd07d0"}, {1.5, "cb3ff8000000000000"},
	}
	for _, tc := range tests {
		got, err := Marshal(tc.in)
		if err != nil || hex.EncodeToString(got) != tc.want {
			t.Errorf("%v: got %x (%v), want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	v := []any{nil, true, false, int64(-5), int64(300), 2.25, "é", bytes.Repeat([]byte{7}, 300),
		map[string]any{"k": []any{"x", int64(1)}}, string(bytes.Repeat([]byte("s"), 70000))}
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip changed the value")
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, h := range []string{helloCapture,
		"85a3756964a6707a544d3677a9726571756573744964a674775f663663a47479706507a67061636b657483a47479706502a46461746192a361736ba171a36e7370a12fa46f70747383a5726f6f6d7390a665786365707490a5666c61677381a774696d656f7574cd07d0",
		"83a47479706509a9726571756573744964a674775f663663a67061636b6574ac61636b2d66726f6d2d634231",
	} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Unmarshal(data)
		if err != nil {
			return
		}
		// Whatever decodes must encode again and decode to the same value.
		b, err := Marshal(v)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		v2, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("decode of re-encoded: %v", err)
		}
		if !reflect.DeepEqual(normalize(v), normalize(v2)) {
			t.Fatalf("round trip: %#v != %#v", v, v2)
		}
	})
}

// normalize maps numbers to float64 where the encoder folds integral
// floats into integers.
func normalize(v any) any {
	switch t := v.(type) {
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	case float64:
		if t != t {
			return "NaN"
		}
		return t
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}
