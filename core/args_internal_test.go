package core

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/go-sio/sio/core/internal/sio"
)

// phJSON is the placeholder the reference writes for attachment n.
// encodeArgs is appendArgs on a new buffer.
func encodeArgs(head *string, args []any) ([]byte, [][]byte, error) {
	return appendArgs(nil, head, args)
}

func phJSON(n int) string { return fmt.Sprintf(`{"_placeholder":true,"num":%d}`, n) }

func strPtr(s string) *string { return &s }

type tstFile struct {
	Name string `json:"name"`
	Body []byte `json:"body"`
}

type TstBase struct {
	Kind  string `json:"kind"`
	Thumb []byte `json:"thumb,omitempty"`
}

type tstUpload struct {
	TstBase                    // embedded: fields promoted
	ID       int               `json:"id"`
	Files    []tstFile         `json:"files"`
	Cover    *tstFile          `json:"cover,omitempty"`
	Note     string            `json:"note,omitempty"`
	Tags     []string          `json:"tags"`
	Meta     map[string][]byte `json:"meta,omitempty"`
	Secret   []byte            `json:"-"`
	Raw      []byte            // no tag: key "Raw"
	internal []byte
}

type tstStamped struct {
	At   time.Time `json:"at"` // json.Marshaler: written by its own method
	Blob []byte    `json:"blob"`
}

var tenth = 0.1 // a variable: 0.1 + 0.2 is not a constant expression

func TestEncodeArgs(t *testing.T) {
	t.Parallel()
	upload := tstUpload{
		TstBase: TstBase{Kind: "img", Thumb: []byte{9}},
		ID:      7,
		Files:   []tstFile{{"a", []byte{1}}, {"b", []byte{2}}},
		Cover:   &tstFile{"c", []byte{3}},
		Tags:    []string{"x<y"},
		Meta:    map[string][]byte{"only": {6}},
		Secret:  []byte{8},
		Raw:     []byte{4},
	}
	upload.internal = []byte{5}
	tests := []struct {
		name     string
		head     *string
		args     []any
		wantJSON string
		wantAtts [][]byte
	}{
		{name: "ack without arguments", wantJSON: `[]`},
		{name: "event without arguments", head: strPtr("foo"), wantJSON: `["foo"]`},
		{name: "observed ack arguments", args: []any{1, "2", map[string]any{"3": []any{4}}}, wantJSON: `[1,"2",{"3":[4]}]`},
		{name: "scalars", head: strPtr("ev"), args: []any{"a", 1, int64(-2), 1.5, true, false, nil, uint8(7), float32(0.1), json.Number("1.50")},
			wantJSON: `["ev","a",1,-2,1.5,true,false,null,7,0.1,1.50]`},
		{name: "floats like JSON.stringify", args: []any{1e21, 1e-7, 123456789.125, tenth + 0.2, float64(1 << 53)},
			wantJSON: `[1e+21,1e-7,123456789.125,0.30000000000000004,9007199254740992]`},
		{name: "html characters are not escaped", head: strPtr("<ev>"), args: []any{`<a href="x">&amp;</a>`},
			wantJSON: `["<ev>","<a href=\"x\">&amp;</a>"]`},
		{name: "html characters in nested values", args: []any{map[string]any{"k<>&": []any{"<&>"}}},
			wantJSON: `[{"k<>&":["<&>"]}]`},
		{name: "emoji and accents written as is", head: strPtr("héllo"), args: []any{"😀 ñ 中文", map[string]string{"é": "😀"}},
			wantJSON: `["héllo","😀 ñ 中文",{"é":"😀"}]`},
		{name: "control characters", args: []any{"\x00\b\f\n\r\t\x1f\x7f\"\\/"},
			wantJSON: `["\u0000\b\f\n\r\t\u001f` + "\x7f" + `\"\\/"]`},
		{name: "top-level binary", head: strPtr("binback"), args: []any{[]byte{1, 2, 3, 4}},
			wantJSON: `["binback",` + phJSON(0) + `]`, wantAtts: [][]byte{{1, 2, 3, 4}}},
		{name: "several top-level binaries in order", head: strPtr("ev"), args: []any{[]byte{1}, "x", []byte{2}, []byte{3}},
			wantJSON: `["ev",` + phJSON(0) + `,"x",` + phJSON(1) + `,` + phJSON(2) + `]`, wantAtts: [][]byte{{1}, {2}, {3}}},
		{name: "binary as ack argument", args: []any{"ok", []byte{7}},
			wantJSON: `["ok",` + phJSON(0) + `]`, wantAtts: [][]byte{{7}}},
		{name: "empty binary is an attachment", args: []any{[]byte{}},
			wantJSON: `[` + phJSON(0) + `]`, wantAtts: [][]byte{{}}},
		{name: "nil binary is null", args: []any{[]byte(nil)}, wantJSON: `[null]`},
		{name: "binary nested in slices depth first", args: []any{[]any{"a", []byte{1}, []any{[]byte{2}}, [][]byte{{3}, {4}}}},
			wantJSON: `[["a",` + phJSON(0) + `,[` + phJSON(1) + `],[` + phJSON(2) + `,` + phJSON(3) + `]]]`,
			wantAtts: [][]byte{{1}, {2}, {3}, {4}}},
		{name: "binary nested in a map", args: []any{map[string]any{"file": []byte{1}, "name": "x", "n": 1.5}},
			wantJSON: `[{"file":` + phJSON(0) + `,"n":1.5,"name":"x"}]`, wantAtts: [][]byte{{1}}},
		{name: "typed map of binaries", args: []any{map[string][]byte{"a": {1}}},
			wantJSON: `[{"a":` + phJSON(0) + `}]`, wantAtts: [][]byte{{1}}},
		{name: "int map keys", args: []any{map[int][]byte{12: {1}}},
			wantJSON: `[{"12":` + phJSON(0) + `}]`, wantAtts: [][]byte{{1}}},
		{name: "struct with json tags, omitempty, embedded, skipped fields", head: strPtr("upload"), args: []any{upload},
			wantJSON: `["upload",{"kind":"img","thumb":` + phJSON(0) + `,"id":7,"files":[{"name":"a","body":` + phJSON(1) +
				`},{"name":"b","body":` + phJSON(2) + `}],"cover":{"name":"c","body":` + phJSON(3) + `},"tags":["x<y"],"meta":{"only":` +
				phJSON(4) + `},"Raw":` + phJSON(5) + `}]`,
			wantAtts: [][]byte{{9}, {1}, {2}, {3}, {6}, {4}}},
		{name: "pointer to struct", args: []any{&tstFile{"f", []byte{1}}},
			wantJSON: `[{"name":"f","body":` + phJSON(0) + `}]`, wantAtts: [][]byte{{1}}},
		{name: "slice of structs", args: []any{[]tstFile{{"f", []byte{1}}, {"g", nil}}},
			wantJSON: `[[{"name":"f","body":` + phJSON(0) + `},{"name":"g","body":null}]]`, wantAtts: [][]byte{{1}}},
		{name: "struct without binary uses encoding/json", args: []any{struct {
			A int    `json:"a,omitempty"`
			B string `json:"b"`
		}{B: "<>"}}, wantJSON: `[{"b":"<>"}]`},
		{name: "marshaler field next to binary", args: []any{tstStamped{At: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Blob: []byte{1}}},
			wantJSON: `[{"at":"2024-01-02T03:04:05Z","blob":` + phJSON(0) + `}]`, wantAtts: [][]byte{{1}}},
		{name: "byte array is a JSON array", args: []any{[4]byte{1, 2, 3, 4}}, wantJSON: `[[1,2,3,4]]`},
		{name: "raw message verbatim", args: []any{json.RawMessage(`{"b":1,"a":[1.50,1e3]}`)}, wantJSON: `[{"b":1,"a":[1.50,1e3]}]`},
		{name: "nil values", args: []any{(*tstFile)(nil), map[string]any(nil), []any(nil), json.RawMessage(nil)},
			wantJSON: `[null,null,null,null]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, atts, err := encodeArgs(tt.head, tt.args)
			if err != nil {
				t.Fatalf("encodeArgs: %v", err)
			}
			if string(data) != tt.wantJSON {
				t.Fatalf("encodeArgs JSON\n got %s\nwant %s", data, tt.wantJSON)
			}
			assertAttachments(t, atts, tt.wantAtts)
			if !json.Valid(data) {
				t.Fatalf("encodeArgs wrote invalid JSON %s", data)
			}
		})
	}
}

func assertAttachments(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("attachments = %v, want %v", got, want)
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("attachment %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestEncodeArgsLikeJSONStringify: strings and numbers are written
// byte for byte as JSON.stringify writes them (spec socket-io-v5.md §2: the
// official test-suite compares some frames as exact strings).
func TestEncodeArgsLikeJSONStringify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		arg  any
		want string
	}{
		// JSON.stringify("a\u2028b\u2029c") writes both separators raw.
		{name: "line and paragraph separators", arg: "a\u2028b\u2029c", want: "[\"a\u2028b\u2029c\"]"},
		{name: "separators nested", arg: map[string]any{"k": "\u2028", "b": []byte{1}}, want: "[{\"b\":" + phJSON(0) + ",\"k\":\"\u2028\"}]"},
		// A JS string cannot hold invalid UTF-8: the bytes decode to U+FFFD,
		// which JSON.stringify writes raw.
		{name: "invalid UTF-8", arg: "a\xffb", want: "[\"a\uFFFDb\"]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, _, err := encodeArgs(nil, []any{tt.arg})
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.want {
				t.Fatalf("encodeArgs(%q)\n got %s\nwant %s (JSON.stringify)", tt.arg, data, tt.want)
			}
		})
	}
}

// TestEncodeArgsErrors: values JSON cannot represent give an error, never a
// panic.
func TestEncodeArgsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []any
	}{
		{name: "NaN", args: []any{math.NaN()}},
		{name: "infinity in a map", args: []any{map[string]any{"a": math.Inf(1)}}},
		{name: "NaN next to binary", args: []any{[]any{[]byte{1}, math.NaN()}}},
		{name: "channel", args: []any{make(chan int)}},
		{name: "func", args: []any{func() {}}},
		{name: "func next to binary", args: []any{map[string]any{"f": func() {}, "b": []byte{1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if data, _, err := encodeArgs(strPtr("ev"), tt.args); err == nil {
				t.Fatalf("encodeArgs(%v) = %s, want an error", tt.args, data)
			}
		})
	}
}

// TestEncodeArgsMarshalerBytes: []byte-kinded types that marshal themselves
// (json.RawMessage, net.IP) are JSON, not attachments, wherever they are.
func TestEncodeArgsMarshalerBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		arg      any
		want     string
		wantAtts [][]byte
	}{
		{name: "raw message nested next to binary", arg: map[string]any{"raw": json.RawMessage(`{"a":1}`), "bin": []byte{1}},
			want: `[{"bin":` + phJSON(0) + `,"raw":{"a":1}}]`, wantAtts: [][]byte{{1}}},
		{name: "raw message in a slice", arg: []any{json.RawMessage(`[1.50]`)}, want: `[[[1.50]]]`},
		{name: "net.IP", arg: net.IPv4(1, 2, 3, 4).To4(), want: `["1.2.3.4"]`},
		{name: "net.IP in a struct", arg: struct{ IP net.IP }{net.IPv4(1, 2, 3, 4).To4()}, want: `[{"IP":"1.2.3.4"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, atts, err := encodeArgs(nil, []any{tt.arg})
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.want {
				t.Fatalf("encodeArgs\n got %s (attachments %v)\nwant %s", data, atts, tt.want)
			}
			assertAttachments(t, atts, tt.wantAtts)
		})
	}
}

// TestEncodeArgsMapPlaceholderOrder: with several binaries in a map the
// placeholders are numbered in the order they are written (keys sorted, as
// encoding/json writes them), and the output is the same on every call.
func TestEncodeArgsMapPlaceholderOrder(t *testing.T) {
	t.Parallel()
	arg := map[string]any{"a": []byte{1}, "b": []byte{2}, "c": map[string][]byte{"x": {3}, "y": {4}}}
	want := `[{"a":` + phJSON(0) + `,"b":` + phJSON(1) + `,"c":{"x":` + phJSON(2) + `,"y":` + phJSON(3) + `}}]`
	for range 50 {
		data, atts, err := encodeArgs(nil, []any{arg})
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != want {
			t.Fatalf("encodeArgs\n got %s %v\nwant %s", data, atts, want)
		}
		assertAttachments(t, atts, [][]byte{{1}, {2}, {3}, {4}})
	}
}

// placeholdersToBase64 replaces, in a decoded value, every placeholder by the
// base64 string encoding/json writes for its attachment.
func placeholdersToBase64(t *testing.T, v any, atts [][]byte) any {
	t.Helper()
	if n, ok, err := sio.Placeholder(v); ok {
		if err != nil || n < 0 || n >= len(atts) {
			t.Fatalf("bad placeholder %v", v)
		}
		return base64.StdEncoding.EncodeToString(atts[n])
	}
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = placeholdersToBase64(t, x[i], atts)
		}
	case map[string]any:
		for k := range x {
			x[k] = placeholdersToBase64(t, x[k], atts)
		}
	}
	return v
}

type tstEmbedded struct {
	Level int    `json:"level"`
	Extra []byte `json:"extra"`
}

type TstShadow struct {
	Name string
	Blob []byte
}

// TestEncodeArgsStructFieldsLikeEncodingJSON: once the placeholders are
// replaced by what encoding/json writes for []byte (base64), a struct
// holding binary encodes to the same JSON as json.Marshal: same keys, same
// values, same omissions.
func TestEncodeArgsStructFieldsLikeEncodingJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		arg  any
	}{
		{name: "upload", arg: tstUpload{TstBase: TstBase{Kind: "k"}, ID: 1, Files: []tstFile{{"a", []byte{1}}}, Raw: []byte{2}}},
		{name: "omitempty empty non-nil slice", arg: struct {
			Tags []string `json:"tags,omitempty"`
			B    []byte   `json:"b"`
		}{Tags: []string{}, B: []byte{1}}},
		{name: "omitempty empty non-nil binary", arg: struct {
			B []byte `json:"b,omitempty"`
			C []byte `json:"c"`
		}{B: []byte{}, C: []byte{1}}},
		{name: "omitempty never omits a struct", arg: struct {
			Meta struct{ A int } `json:"meta,omitempty"`
			B    []byte          `json:"b"`
		}{B: []byte{1}}},
		{name: "omitempty zero array is kept", arg: struct {
			A [2]int `json:"a,omitempty"`
			B []byte `json:"b"`
		}{B: []byte{1}}},
		{name: "omitzero", arg: struct {
			At time.Time `json:"at,omitzero"`
			B  []byte    `json:"b"`
		}{B: []byte{1}}},
		{name: "string option", arg: struct {
			N int    `json:"n,string"`
			S string `json:"s,string"`
			B []byte `json:"b"`
		}{N: 5, S: "x", B: []byte{1}}},
		{name: "outer field shadows embedded field", arg: struct {
			TstShadow
			Name string
		}{TstShadow{"in", []byte{1}}, "out"}},
		{name: "binary only in an unexported embedded struct", arg: struct {
			tstEmbedded
			Name string `json:"name"`
		}{tstEmbedded{1, []byte{1}}, "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, atts, err := encodeArgs(nil, []any{tt.arg})
			if err != nil {
				t.Fatal(err)
			}
			if len(atts) == 0 {
				t.Fatalf("encodeArgs wrote %s without attachments: binary sent as base64", data)
			}
			var got []any
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			gotJSON, _ := json.Marshal(placeholdersToBase64(t, got[0], atts))
			wantRaw, err := json.Marshal(tt.arg)
			if err != nil {
				t.Fatal(err)
			}
			var want any
			_ = json.Unmarshal(wantRaw, &want)
			wantJSON, _ := json.Marshal(want)
			if string(gotJSON) != string(wantJSON) {
				t.Fatalf("encodeArgs wrote %s\nwhich is %s\nencoding/json: %s", data, gotJSON, wantJSON)
			}
			// Keys are not duplicated (JSON.parse keeps the last one,
			// json.Marshal writes the dominant field once).
			if strings.Count(string(data), `"Name"`) > 1 {
				t.Fatalf("duplicate key in %s", data)
			}
		})
	}
}

// TestEncodeArgsDeepBinary: binary deeper than the walk limit must not be
// sent silently as a base64 string.
func TestEncodeArgsDeepBinary(t *testing.T) {
	t.Parallel()
	var v any = []byte{7}
	for range 100 {
		v = []any{v}
	}
	data, atts, err := encodeArgs(nil, []any{v})
	if err != nil {
		return // refusing is fine
	}
	if len(atts) != 1 || bytes.Contains(data, []byte(`"Bw=="`)) {
		t.Fatalf("binary at depth 100 written as %s...%s with %d attachments", data[:10], data[len(data)-120:], len(atts))
	}
}

type tstNode struct {
	Blob        []byte
	Left, Right *tstNode
}

// TestEncodeArgsCycle: a cyclic value gives an error, as json.Marshal
// gives; it must neither overflow the stack (a fatal error that kills the
// whole server) nor walk the cycle's paths for ever. Each case runs in a
// child process with a small stack and a deadline.
func TestEncodeArgsCycle(t *testing.T) {
	cases := map[string]func() any{
		"self pointer holding binary": func() any {
			n := &tstNode{Blob: []byte{1}}
			n.Left = n
			return n
		},
		"two self pointers without binary": func() any {
			n := &tstNode{}
			n.Left, n.Right = n, n
			return n
		},
		"map containing itself next to binary": func() any {
			m := map[string]any{"b": []byte{1}}
			m["m"] = m
			return m
		},
	}
	if name, ok := os.LookupEnv("SIO_CYCLE_CHILD"); ok {
		debug.SetMaxStack(64 << 20)
		_, _, err := encodeArgs(nil, []any{cases[name]()})
		fmt.Println("child: encodeArgs returned", err)
		if err == nil {
			os.Exit(4)
		}
		os.Exit(0)
	}
	t.Parallel()
	for name := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestEncodeArgsCycle$")
			cmd.Env = append(os.Environ(), "SIO_CYCLE_CHILD="+name)
			out, err := cmd.CombinedOutput()
			switch {
			case ctx.Err() != nil:
				t.Fatalf("encodeArgs on a cyclic value does not return")
			case err != nil:
				first, _, _ := strings.Cut(string(out), "\n\n")
				t.Fatalf("encodeArgs on a cyclic value: %v\n%.300s", err, first)
			}
		})
	}
}

func rawArgs(t testing.TB, array string, atts ...[]byte) Args {
	t.Helper()
	raw, err := splitArgs([]byte(array))
	if err != nil {
		t.Fatalf("splitArgs(%s): %v", array, err)
	}
	return Args{raw: raw, attachments: atts}
}

func TestArgsRawAndLen(t *testing.T) {
	t.Parallel()
	a := rawArgs(t, `[1, "2" ,{"3":[4]}]`)
	if a.Len() != 3 {
		t.Fatalf("Len = %d", a.Len())
	}
	for i, want := range []string{`1`, `"2"`, `{"3":[4]}`} {
		if got := string(a.Raw(i)); got != want {
			t.Errorf("Raw(%d) = %s, want %s", i, got, want)
		}
	}
	if a.Raw(-1) != nil || a.Raw(3) != nil {
		t.Errorf("Raw out of range not nil")
	}
	if (Args{}).Len() != 0 {
		t.Errorf("zero Args Len != 0")
	}
}

type tstMsg struct {
	Text string         `json:"text"`
	Blob []byte         `json:"blob"`
	List [][]byte       `json:"list"`
	Sub  *tstFile       `json:"sub"`
	Any  map[string]any `json:"any"`
}

func TestArgsDecode(t *testing.T) {
	t.Parallel()
	a1, a2 := []byte{1, 2, 3, 4}, []byte{5}
	tests := []struct {
		name    string
		args    Args
		dst     func() []any // fresh destinations
		want    []any        // dereferenced values
		wantErr bool
	}{
		{name: "observed message-with-ack", args: rawArgs(t, `[1,"2",{"3":[4]}]`),
			dst:  func() []any { return []any{new(int), new(string), new(map[string][]int)} },
			want: []any{1, "2", map[string][]int{"3": {4}}}},
		{name: "observed binary event", args: rawArgs(t, `[`+phJSON(0)+`]`, a1),
			dst: func() []any { return []any{new([]byte)} }, want: []any{a1}},
		{name: "binary into any", args: rawArgs(t, `[`+phJSON(0)+`]`, a1),
			dst: func() []any { return []any{new(any)} }, want: []any{any(a1)}},
		{name: "binary nested into any", args: rawArgs(t, `[{"a":[1,`+phJSON(1)+`]},"x"]`, a1, a2),
			dst:  func() []any { return []any{new(any), new(string)} },
			want: []any{any(map[string]any{"a": []any{1.0, a2}}), "x"}},
		{name: "binary into map", args: rawArgs(t, `[{"a":`+phJSON(0)+`,"b":"x"}]`, a1),
			dst: func() []any { return []any{new(map[string]any)} }, want: []any{map[string]any{"a": a1, "b": "x"}}},
		{name: "binary into typed map", args: rawArgs(t, `[{"a":`+phJSON(0)+`,"b":`+phJSON(1)+`}]`, a1, a2),
			dst: func() []any { return []any{new(map[string][]byte)} }, want: []any{map[string][]byte{"a": a1, "b": a2}}},
		{name: "binary into struct fields", args: rawArgs(t,
			`[{"text":"<&>","blob":`+phJSON(1)+`,"list":[`+phJSON(0)+`,`+phJSON(1)+`],"sub":{"name":"s","body":`+phJSON(0)+`},"any":{"k":`+phJSON(0)+`}}]`, a1, a2),
			dst:  func() []any { return []any{new(tstMsg)} },
			want: []any{tstMsg{Text: "<&>", Blob: a2, List: [][]byte{a1, a2}, Sub: &tstFile{"s", a1}, Any: map[string]any{"k": a1}}}},
		{name: "plain args in a binary packet", args: rawArgs(t, `["x",12,true,null,`+phJSON(0)+`]`, a1),
			dst:  func() []any { return []any{new(string), new(int), new(bool), new(*int), new([]byte)} },
			want: []any{"x", 12, true, (*int)(nil), a1}},
		{name: "base64 string into []byte without attachments", args: rawArgs(t, `["AQIDBA=="]`),
			dst: func() []any { return []any{new([]byte)} }, want: []any{a1}},
		{name: "unicode", args: rawArgs(t, `["é😀\u2028","\u00e9"]`),
			dst: func() []any { return []any{new(string), new(string)} }, want: []any{"é😀\u2028", "é"}},
		{name: "missing arguments are left untouched", args: rawArgs(t, `["x"]`),
			dst: func() []any { s, n := "keep", 42; return []any{&s, &n} }, want: []any{"x", 42}},
		{name: "extra arguments are ignored", args: rawArgs(t, `["x",1,2,3]`),
			dst: func() []any { return []any{new(string)} }, want: []any{"x"}},
		{name: "no destinations", args: rawArgs(t, `["x"]`), dst: func() []any { return nil }, want: nil},
		{name: "no arguments", args: Args{}, dst: func() []any { return []any{new(string)} }, want: []any{""}},
		{name: "type mismatch", args: rawArgs(t, `["x"]`), dst: func() []any { return []any{new(int)} }, wantErr: true},
		{name: "type mismatch with attachments", args: rawArgs(t, `["x",`+phJSON(0)+`]`, a1),
			dst: func() []any { return []any{new(int)} }, wantErr: true},
		{name: "binary into int", args: rawArgs(t, `[`+phJSON(0)+`]`, a1),
			dst: func() []any { return []any{new(int)} }, wantErr: true},
		{name: "not a base64 string into []byte", args: rawArgs(t, `["!!"]`),
			dst: func() []any { return []any{new([]byte)} }, wantErr: true},
		{name: "placeholder out of range", args: rawArgs(t, `[`+phJSON(1)+`]`, a1),
			dst: func() []any { return []any{new([]byte)} }, wantErr: true},
		{name: "non-pointer destination", args: rawArgs(t, `["x"]`),
			dst: func() []any { return []any{""} }, wantErr: true},
		{name: "non-pointer destination with attachments", args: rawArgs(t, `["x",`+phJSON(0)+`]`, a1),
			dst: func() []any { return []any{""} }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dst := tt.dst()
			err := tt.args.Decode(dst...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			for i, d := range dst {
				if got := reflect.ValueOf(d).Elem().Interface(); !reflect.DeepEqual(got, tt.want[i]) {
					t.Fatalf("argument %d = %#v, want %#v", i, got, tt.want[i])
				}
			}
		})
	}
}

// TestArgsDecodeNumbersWithAttachments: a binary attachment elsewhere in the
// packet must not change how numbers decode (no detour through float64).
func TestArgsDecodeNumbersWithAttachments(t *testing.T) {
	t.Parallel()
	for _, atts := range [][][]byte{nil, {{1}}} {
		a := rawArgs(t, `[9007199254740993,{"id":9007199254740993,"blob":`+phJSON(0)+`},12345678901234567890]`, atts...)
		var n int64
		var s struct {
			ID int64 `json:"id"`
		}
		var num json.Number
		if err := a.Decode(&n, &s, &num); err != nil {
			t.Fatalf("%d attachments: %v", len(atts), err)
		}
		if n != 9007199254740993 || s.ID != 9007199254740993 || num != "12345678901234567890" {
			t.Errorf("%d attachments: decoded %d, %d, %s; want 9007199254740993, 9007199254740993, 12345678901234567890", len(atts), n, s.ID, num)
		}
	}
}

// TestArgsDecodeNilPointer: a nil destination is an error, as with
// json.Unmarshal, also when the packet has attachments.
func TestArgsDecodeNilPointer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args Args
		dst  any
	}{
		{name: "nil *any without attachments", args: rawArgs(t, `[1]`), dst: (*any)(nil)},
		{name: "nil *any with attachments", args: rawArgs(t, `[`+phJSON(0)+`]`, []byte{1}), dst: (*any)(nil)},
		{name: "nil *[]byte with attachments", args: rawArgs(t, `[`+phJSON(0)+`]`, []byte{1}), dst: (*[]byte)(nil)},
		{name: "nil *string with attachments", args: rawArgs(t, `["x",`+phJSON(0)+`]`, []byte{1}), dst: (*string)(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("Decode(%T(nil)) panics: %v", tt.dst, r)
				}
			}()
			if err := tt.args.Decode(tt.dst); err == nil {
				t.Fatalf("Decode(%T(nil)) = nil error", tt.dst)
			}
		})
	}
}

func TestArgsValues(t *testing.T) {
	t.Parallel()
	a1 := []byte{1, 2}
	tests := []struct {
		name    string
		args    Args
		want    []any
		wantErr bool
	}{
		{name: "none", args: Args{}, want: []any{}},
		{name: "observed", args: rawArgs(t, `[1,"2",{"3":[4]}]`), want: []any{1.0, "2", map[string]any{"3": []any{4.0}}}},
		{name: "binary", args: rawArgs(t, `["x",`+phJSON(0)+`,[`+phJSON(0)+`]]`, a1), want: []any{"x", a1, []any{a1}}},
		{name: "placeholder without attachments stays an object", args: rawArgs(t, `[`+phJSON(0)+`]`),
			want: []any{map[string]any{"_placeholder": true, "num": 0.0}}},
		{name: "placeholder out of range", args: rawArgs(t, `[`+phJSON(3)+`]`, a1), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.args.Values()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Values error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Values = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestEncodeDecodeRoundTrip: Go values encoded by encodeArgs (as the server
// sends them) decode back with Args.Decode (as the server receives them)
// into equal values.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    any
	}{
		{name: "bytes", v: []byte{1, 2, 3}},
		{name: "empty bytes", v: []byte{}},
		{name: "string", v: "<a>&é😀\x1e\"\\"},
		{name: "int", v: -42},
		{name: "float", v: 1.5e-7},
		{name: "slice of bytes", v: [][]byte{{1}, {}, {2, 3}}},
		{name: "map of bytes", v: map[string][]byte{"a": {1}, "b": {2}, "c": {3}}},
		{name: "map of any", v: map[string]any{"a": []byte{1}, "n": 1.5, "s": "x", "l": []any{[]byte{2}, "y"}}},
		{name: "struct", v: tstMsg{Text: "t", Blob: []byte{1}, List: [][]byte{{2}, {3}}, Sub: &tstFile{"f", []byte{4}}, Any: map[string]any{"k": []byte{5}}}},
		{name: "struct with embedded and tags", v: tstUpload{
			TstBase: TstBase{Kind: "img", Thumb: []byte{9}}, ID: 7,
			Files: []tstFile{{"a", []byte{1}}, {"b", []byte{2}}}, Cover: &tstFile{"c", []byte{3}},
			Tags: []string{"t"}, Meta: map[string][]byte{"m": {6}, "n": {7}}, Raw: []byte{4},
		}},
		{name: "slice of structs", v: []tstFile{{"a", []byte{1}}, {"b", []byte{2}}}},
		{name: "binary free struct", v: tstFile{Name: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, atts, err := encodeArgs(strPtr("ev"), []any{"before", tt.v, []byte{0xff}})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := splitArgs(data)
			if err != nil {
				t.Fatal(err)
			}
			args := Args{raw: raw[1:], attachments: atts}
			var before string
			var after []byte
			got := reflect.New(reflect.TypeOf(tt.v))
			if err := args.Decode(&before, got.Interface(), &after); err != nil {
				t.Fatalf("Decode(%s): %v", data, err)
			}
			if before != "before" || !bytes.Equal(after, []byte{0xff}) {
				t.Fatalf("neighbours decoded as %q, %v", before, after)
			}
			if !reflect.DeepEqual(got.Elem().Interface(), tt.v) {
				t.Fatalf("round trip through %s\n got %#v\nwant %#v", data, got.Elem().Interface(), tt.v)
			}
		})
	}
}

// TestEchoArgs: received Args passed back to encodeArgs keep the client's
// JSON byte for byte, and their placeholders are renumbered after the other
// binary arguments.
func TestEchoArgs(t *testing.T) {
	t.Parallel()
	a, b, c := []byte{1, 2, 3, 4}, []byte{5}, []byte{6}
	tests := []struct {
		name     string
		head     *string
		args     func() []any
		wantJSON string
		wantAtts [][]byte
	}{
		{name: "observed message-with-ack echo", args: func() []any { return []any{rawArgs(t, `[1,"2",{"3":[4]}]`)} },
			wantJSON: `[1,"2",{"3":[4]}]`},
		{name: "key order and number formats kept", head: strPtr("echo"),
			args: func() []any {
				return []any{rawArgs(t, `[{"z":1,"a":2,"m":[1.50,1e3,-0,1E+2,0.1]},1.50,1e3,"\u00e9\/",{"b":1,"b":2}]`)}
			},
			wantJSON: `["echo",{"z":1,"a":2,"m":[1.50,1e3,-0,1E+2,0.1]},1.50,1e3,"\u00e9\/",{"b":1,"b":2}]`},
		{name: "whitespace kept", args: func() []any { return []any{rawArgs(t, `[ { "a" : 1 } , [ 2 ] ]`)} },
			wantJSON: `[{ "a" : 1 },[ 2 ]]`},
		{name: "empty args", head: strPtr("e"), args: func() []any { return []any{Args{}, "x", Args{}} }, wantJSON: `["e","x"]`},
		{name: "around other arguments", head: strPtr("e"), args: func() []any { return []any{"x", rawArgs(t, `[1.50,{"b":1,"a":2}]`), 2} },
			wantJSON: `["e","x",1.50,{"b":1,"a":2},2]`},
		{name: "observed binary echo", head: strPtr("binback"), args: func() []any { return []any{rawArgs(t, `[`+phJSON(0)+`]`, a)} },
			wantJSON: `["binback",` + phJSON(0) + `]`, wantAtts: [][]byte{a}},
		{name: "binary echo keeps key order and numbers", head: strPtr("e"),
			args:     func() []any { return []any{rawArgs(t, `[{"z":1.50,"a":`+phJSON(0)+`,"m":1e3},2.0]`, a)} },
			wantJSON: `["e",{"z":1.50,"a":` + phJSON(0) + `,"m":1e3},2.0]`, wantAtts: [][]byte{a}},
		{name: "renumbered after a binary argument", head: strPtr("e"),
			args: func() []any {
				return []any{[]byte{9}, rawArgs(t, `[{"x":`+phJSON(1)+`},`+phJSON(0)+`]`, a, b)}
			},
			wantJSON: `["e",` + phJSON(0) + `,{"x":` + phJSON(1) + `},` + phJSON(2) + `]`, wantAtts: [][]byte{{9}, b, a}},
		{name: "two binary Args combined", head: strPtr("e"),
			args: func() []any {
				return []any{rawArgs(t, `[`+phJSON(0)+`,`+phJSON(1)+`]`, a, b), map[string]any{"k": []byte{9}}, rawArgs(t, `[[`+phJSON(0)+`]]`, c)}
			},
			wantJSON: `["e",` + phJSON(0) + `,` + phJSON(1) + `,{"k":` + phJSON(2) + `},[` + phJSON(3) + `]]`, wantAtts: [][]byte{a, b, {9}, c}},
		{name: "same attachment referenced twice", args: func() []any { return []any{rawArgs(t, `[`+phJSON(0)+`,`+phJSON(0)+`]`, a)} },
			wantJSON: `[` + phJSON(0) + `,` + phJSON(1) + `]`, wantAtts: [][]byte{a, a}},
		{name: "plain args of a binary packet", head: strPtr("e"), args: func() []any { return []any{rawArgs(t, `["x",{"b":1,"a":[1.50]},`+phJSON(0)+`]`, a)} },
			wantJSON: `["e","x",{"b":1,"a":[1.50]},` + phJSON(0) + `]`, wantAtts: [][]byte{a}},
		{name: "unicode in a binary packet", head: strPtr("e"), args: func() []any { return []any{rawArgs(t, "[\"é😀<&>\u2028\","+phJSON(0)+"]", a)} },
			wantJSON: "[\"e\",\"é😀<&>\u2028\"," + phJSON(0) + "]", wantAtts: [][]byte{a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, atts, err := encodeArgs(tt.head, tt.args())
			if err != nil {
				t.Fatalf("encodeArgs: %v", err)
			}
			if string(data) != tt.wantJSON {
				t.Fatalf("echo\n got %s\nwant %s", data, tt.wantJSON)
			}
			assertAttachments(t, atts, tt.wantAtts)
		})
	}
}

// TestEchoArgsAcceptedPlaceholders: every placeholder the receive path
// accepts (checkPlaceholders, Args.Values) can be echoed; the reference
// reads "num":1.0 as 1, replaces an outer placeholder object without
// looking inside it, and JSON.parse keeps only the last of duplicate keys.
func TestEchoArgsAcceptedPlaceholders(t *testing.T) {
	t.Parallel()
	a, b := []byte{1}, []byte{2}
	tests := []struct {
		name     string
		array    string
		atts     [][]byte
		wantJSON string
	}{
		{name: "num written 1.0", array: `[{"_placeholder":true,"num":1.0}]`, atts: [][]byte{a, b}, wantJSON: `[` + phJSON(0) + `]`},
		{name: "num written 0e0", array: `[{"_placeholder":true,"num":0e0}]`, atts: [][]byte{a}, wantJSON: `[` + phJSON(0) + `]`},
		{name: "invalid placeholder under a duplicate key", array: `[{"a":{"_placeholder":true},"a":1},` + phJSON(0) + `]`,
			atts: [][]byte{a}, wantJSON: `[{"a":{"_placeholder":true},"a":1},` + phJSON(0) + `]`},
		{name: "invalid placeholder inside a placeholder", array: `[{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":99}}]`,
			atts: [][]byte{a}, wantJSON: `[` + phJSON(0) + `]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := checkPlaceholders([]byte(tt.array), tt.atts); err != nil {
				t.Fatalf("checkPlaceholders rejects %s: %v", tt.array, err)
			}
			args := rawArgs(t, tt.array, tt.atts...)
			if _, err := args.Values(); err != nil {
				t.Fatalf("Values(%s): %v", tt.array, err)
			}
			data, _, err := encodeArgs(nil, []any{args})
			if err != nil {
				t.Fatalf("echo of %s (accepted on receive) fails: %v", tt.array, err)
			}
			if string(data) != tt.wantJSON {
				t.Fatalf("echo of %s = %s, want %s", tt.array, data, tt.wantJSON)
			}
		})
	}
}

func TestDecodeOrdered(t *testing.T) {
	t.Parallel()
	a := []byte{1}
	tests := []struct {
		name    string
		raw     string
		atts    [][]byte
		want    any
		wantErr bool
	}{
		{name: "object keeps key order and duplicates", raw: `{"b":1,"a":2,"b":3}`,
			want: orderedObject{{"b", json.Number("1")}, {"a", json.Number("2")}, {"b", json.Number("3")}}},
		{name: "numbers as written", raw: `[1.50,1e3,-0]`, want: []any{json.Number("1.50"), json.Number("1e3"), json.Number("-0")}},
		{name: "scalars", raw: `["x",true,null]`, want: []any{"x", true, nil}},
		{name: "empty containers", raw: `[[],{}]`, want: []any{[]any{}, orderedObject{}}},
		{name: "placeholder replaced", raw: `{"a":` + phJSON(0) + `}`, atts: [][]byte{a}, want: orderedObject{{"a", a}}},
		{name: "placeholder kept without attachments", raw: phJSON(0),
			want: orderedObject{{"_placeholder", true}, {"num", json.Number("0")}}},
		{name: "placeholder out of range", raw: `[` + phJSON(1) + `]`, atts: [][]byte{a}, wantErr: true},
		{name: "trailing data", raw: `1 2`, wantErr: true},
		{name: "invalid JSON", raw: `{"a":}`, wantErr: true},
		{name: "empty", raw: ``, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeOrdered([]byte(tt.raw), tt.atts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeOrdered(%s) error = %v, wantErr %v", tt.raw, err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("decodeOrdered(%s) = %#v, want %#v", tt.raw, got, tt.want)
			}
		})
	}
}
