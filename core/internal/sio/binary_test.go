package sio

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestPlaceholder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      any
		wantN   int
		wantOK  bool
		wantErr bool
	}{
		{name: "float num", in: map[string]any{"_placeholder": true, "num": float64(0)}, wantN: 0, wantOK: true},
		{name: "float num 3", in: map[string]any{"_placeholder": true, "num": float64(3)}, wantN: 3, wantOK: true},
		{name: "json.Number num", in: map[string]any{"_placeholder": true, "num": json.Number("2")}, wantN: 2, wantOK: true},
		{name: "negative zero", in: map[string]any{"_placeholder": true, "num": math.Copysign(0, -1)}, wantN: 0, wantOK: true},
		{name: "extra keys", in: map[string]any{"_placeholder": true, "num": float64(1), "x": "y"}, wantN: 1, wantOK: true},
		{name: "fractional num", in: map[string]any{"_placeholder": true, "num": 1.5}, wantOK: true, wantErr: true},
		{name: "huge num", in: map[string]any{"_placeholder": true, "num": 1e300}, wantOK: true, wantErr: true},
		{name: "json.Number fraction", in: map[string]any{"_placeholder": true, "num": json.Number("0.5")}, wantOK: true, wantErr: true},
		{name: "string num", in: map[string]any{"_placeholder": true, "num": "0"}, wantOK: true, wantErr: true},
		{name: "null num", in: map[string]any{"_placeholder": true, "num": nil}, wantOK: true, wantErr: true},
		{name: "missing num", in: map[string]any{"_placeholder": true}, wantOK: true, wantErr: true},
		{name: "placeholder false", in: map[string]any{"_placeholder": false, "num": float64(0)}},
		{name: "placeholder string true", in: map[string]any{"_placeholder": "true", "num": float64(0)}},
		{name: "placeholder 1", in: map[string]any{"_placeholder": float64(1), "num": float64(0)}},
		{name: "no placeholder key", in: map[string]any{"num": float64(0)}},
		{name: "not a map", in: []any{true, float64(0)}},
		{name: "nil", in: nil},
		{name: "string", in: "_placeholder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, ok, err := Placeholder(tt.in)
			if ok != tt.wantOK || (err != nil) != tt.wantErr || (err == nil && n != tt.wantN) {
				t.Fatalf("Placeholder(%v) = %d, %v, %v; want %d, %v, err %v", tt.in, n, ok, err, tt.wantN, tt.wantOK, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrIllegalPlaceholder) {
				t.Fatalf("Placeholder(%v) error %v, want ErrIllegalPlaceholder", tt.in, err)
			}
		})
	}
}

func decodeJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestReconstruct(t *testing.T) {
	t.Parallel()
	a, b, c := []byte{1, 2, 3, 4}, []byte{5}, []byte{}
	tests := []struct {
		name    string
		in      string
		atts    [][]byte
		want    any
		wantErr bool
	}{
		{name: "observed binback", in: `["binback",{"_placeholder":true,"num":0}]`, atts: [][]byte{a},
			want: []any{"binback", a}},
		{name: "spec two attachments", in: `["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, atts: [][]byte{a, b},
			want: []any{"baz", a, b}},
		{name: "reverse order", in: `[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]`, atts: [][]byte{a, b},
			want: []any{b, a}},
		{name: "same attachment twice", in: `[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`, atts: [][]byte{a},
			want: []any{a, a}},
		{name: "nested in object and array", in: `[{"x":[1,{"_placeholder":true,"num":0}],"y":{"z":{"_placeholder":true,"num":1}}}]`, atts: [][]byte{a, c},
			want: []any{map[string]any{"x": []any{float64(1), a}, "y": map[string]any{"z": c}}}},
		{name: "top level placeholder", in: `{"_placeholder":true,"num":0}`, atts: [][]byte{a}, want: a},
		{name: "placeholder with extra keys", in: `[{"_placeholder":true,"num":0,"extra":1}]`, atts: [][]byte{a}, want: []any{a}},
		{name: "no placeholders", in: `["a",1,null,{"b":[true]}]`, atts: nil,
			want: []any{"a", float64(1), nil, map[string]any{"b": []any{true}}}},
		{name: "placeholder false is data", in: `[{"_placeholder":false,"num":9}]`, atts: nil,
			want: []any{map[string]any{"_placeholder": false, "num": float64(9)}}},
		{name: "num out of range", in: `["x",{"_placeholder":true,"num":1}]`, atts: [][]byte{a}, wantErr: true},
		{name: "num without attachments", in: `[{"_placeholder":true,"num":0}]`, atts: nil, wantErr: true},
		{name: "negative num", in: `[{"_placeholder":true,"num":-1}]`, atts: [][]byte{a}, wantErr: true},
		{name: "fractional num", in: `[{"_placeholder":true,"num":0.5}]`, atts: [][]byte{a}, wantErr: true},
		{name: "string num", in: `[{"_placeholder":true,"num":"0"}]`, atts: [][]byte{a}, wantErr: true},
		{name: "missing num", in: `[{"_placeholder":true}]`, atts: [][]byte{a}, wantErr: true},
		{name: "deep out of range", in: `[{"a":[[{"_placeholder":true,"num":10}]]}]`, atts: [][]byte{a}, wantErr: true},
		{name: "huge num", in: `[{"_placeholder":true,"num":1e300}]`, atts: [][]byte{a}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Reconstruct(decodeJSON(t, tt.in), tt.atts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Reconstruct(%s) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrIllegalPlaceholder) {
					t.Fatalf("Reconstruct(%s) error %v, want ErrIllegalPlaceholder", tt.in, err)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Reconstruct(%s) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

// TestReconstructJSONNumber: values decoded with UseNumber work too.
func TestReconstructJSONNumber(t *testing.T) {
	t.Parallel()
	dec := json.NewDecoder(bytes.NewReader([]byte(`["x",{"_placeholder":true,"num":1},2.50]`)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	got, err := Reconstruct(v, [][]byte{{0}, {9}})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"x", []byte{9}, json.Number("2.50")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Reconstruct = %#v, want %#v", got, want)
	}
}

// placeholdersValid checks, independently of Reconstruct, that every
// placeholder reachable the way the reference reconstructs (a placeholder
// replaces its whole object) is an integer in [0, n).
func placeholdersValid(v any, n int) bool {
	switch t := v.(type) {
	case map[string]any:
		if p, _ := t["_placeholder"].(bool); p {
			num, ok := t["num"].(float64)
			return ok && num >= 0 && num < float64(n) && num == float64(int(num))
		}
		for _, e := range t {
			if !placeholdersValid(e, n) {
				return false
			}
		}
	case []any:
		for _, e := range t {
			if !placeholdersValid(e, n) {
				return false
			}
		}
	}
	return true
}

// attachmentsOnly reports whether no placeholder is left in v.
func noPlaceholderLeft(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		if p, _ := t["_placeholder"].(bool); p {
			return false
		}
		for _, e := range t {
			if !noPlaceholderLeft(e) {
				return false
			}
		}
	case []any:
		for _, e := range t {
			if !noPlaceholderLeft(e) {
				return false
			}
		}
	}
	return true
}

func FuzzReconstruct(f *testing.F) {
	for _, s := range []string{
		`["binback",{"_placeholder":true,"num":0}]`,
		`["bin",{"_placeholder":true,"num":0}]`,
		`["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
		`["bar",{"_placeholder":true,"num":0}]`,
		`[{"a":[{"_placeholder":true,"num":2}]},{"_placeholder":true,"num":1}]`,
		`{"_placeholder":true,"num":0}`,
		`[{"_placeholder":true,"num":-1}]`,
		`[{"_placeholder":true,"num":0.5}]`,
		`[{"_placeholder":true,"num":"0"}]`,
		`[{"_placeholder":true,"num":{"_placeholder":true,"num":0}}]`,
		`[1,"2",{"3":[4]}]`,
	} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		var v, check any
		if json.Unmarshal(data, &v) != nil || json.Unmarshal(data, &check) != nil {
			return
		}
		atts := make([][]byte, int(n)%(MaxAttachments+2))
		for i := range atts {
			atts[i] = []byte{byte(i)}
		}
		got, err := Reconstruct(v, atts)
		valid := placeholdersValid(check, len(atts))
		if err != nil {
			if !errors.Is(err, ErrIllegalPlaceholder) {
				t.Fatalf("Reconstruct(%s): unexpected error %v", data, err)
			}
			if valid {
				t.Fatalf("Reconstruct(%s, %d attachments) rejected valid placeholders: %v", data, len(atts), err)
			}
			return
		}
		if !valid {
			t.Fatalf("Reconstruct(%s, %d attachments) accepted an illegal placeholder", data, len(atts))
		}
		if !noPlaceholderLeft(got) {
			t.Fatalf("Reconstruct(%s) left a placeholder: %#v", data, got)
		}
		// Same answer on values decoded with UseNumber.
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var nv any
		if dec.Decode(&nv) == nil {
			if _, nerr := Reconstruct(nv, atts); nerr != nil {
				t.Fatalf("Reconstruct(%s) with json.Number: %v, with float64: ok", data, nerr)
			}
		}
	})
}

// TestPlaceholderNumberForms: JSON.parse reads 0.0, 0e0 and -0 as the number
// 0, so the reference accepts them as placeholder indexes. The decision must
// not depend on whether the value was decoded as float64 or json.Number
// (core validates with float64 and echoes with json.Number).
func TestPlaceholderNumberForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		num     string
		wantN   int
		wantErr bool
	}{
		{name: "integer", num: "1", wantN: 1},
		{name: "decimal zero fraction", num: "1.0", wantN: 1},
		{name: "exponent", num: "1e0", wantN: 1},
		{name: "upper exponent", num: "10E-1", wantN: 1},
		{name: "negative zero", num: "-0", wantN: 0},
		{name: "fraction", num: "0.5", wantErr: true},
		{name: "negative", num: "-1", wantN: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := decodeJSON(t, tt.num).(float64)
			for _, num := range []any{f, json.Number(tt.num)} {
				n, ok, err := Placeholder(map[string]any{"_placeholder": true, "num": num})
				if !ok || (err != nil) != tt.wantErr || (err == nil && n != tt.wantN) {
					t.Errorf("Placeholder(num %T %s) = %d, %v, %v; want %d, err %v", num, tt.num, n, ok, err, tt.wantN, tt.wantErr)
				}
			}
		})
	}
}
