package core

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

type tstHandlerFunc func(Args)

type tstErr struct{}

func (*tstErr) Error() string { return "tstErr" }

type tstRecv struct{ got []any }

func (r *tstRecv) method(s string, n int) { r.got = append(r.got, s, n) }

func TestNewEventHandlerShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fn      any
		wantErr string // substring; "" means accepted
	}{
		{name: "no parameters", fn: func() {}},
		{name: "raw args", fn: func(Args) {}},
		{name: "raw args and ack", fn: func(Args, Ack) {}},
		{name: "raw args returning error", fn: func(Args) error { return nil }},
		{name: "raw args and ack returning error", fn: func(Args, Ack) error { return nil }},
		{name: "typed args and ack", fn: func(string, int, Ack) {}},
		{name: "only ack", fn: func(Ack) {}},
		{name: "struct returning error", fn: func(tstFile) error { return nil }},
		{name: "binary and any", fn: func([]byte, any, map[string]any, *tstFile, []int) {}},
		{name: "named func type", fn: tstHandlerFunc(func(Args) {})},
		{name: "method value", fn: (&tstRecv{}).method},
		{name: "nil", fn: nil, wantErr: "must be a func"},
		{name: "string", fn: "handler", wantErr: "must be a func"},
		{name: "int", fn: 42, wantErr: "must be a func"},
		{name: "struct", fn: struct{}{}, wantErr: "must be a func"},
		{name: "pointer to func", fn: new(func()), wantErr: "must be a func"},
		{name: "typed nil func(string)", fn: (func(string))(nil), wantErr: "must be a func"},
		{name: "variadic", fn: func(...any) {}, wantErr: "variadic"},
		{name: "variadic after typed", fn: func(string, ...int) {}, wantErr: "variadic"},
		{name: "ack not last", fn: func(Ack, string) {}, wantErr: "Ack must be the last"},
		{name: "two acks", fn: func(Ack, Ack) {}, wantErr: "Ack must be the last"},
		{name: "returns int", fn: func() int { return 0 }, wantErr: "must return nothing or an error"},
		{name: "returns two errors", fn: func() (error, error) { return nil, nil }, wantErr: "must return nothing or an error"},
		{name: "returns concrete error type", fn: func() *tstErr { return nil }, wantErr: "must return nothing or an error"},
		{name: "returns value and error", fn: func(string) (int, error) { return 0, nil }, wantErr: "must return nothing or an error"},
		{name: "args with another parameter", fn: func(Args, string) {}, wantErr: "Args must be the only"},
		{name: "args after another parameter", fn: func(string, Args) {}, wantErr: "Args must be the only"},
		{name: "args twice", fn: func(Args, Args) {}, wantErr: "Args must be the only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := newEventHandler(tt.fn)
			if tt.wantErr == "" {
				if err != nil || h == nil {
					t.Fatalf("newEventHandler(%T) = %v, %v; want accepted", tt.fn, h, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("newEventHandler(%T) accepted, want error containing %q", tt.fn, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("newEventHandler(%T) error %q, want it to contain %q", tt.fn, err, tt.wantErr)
			}
		})
	}
}

// TestNewEventHandlerNilFunc: a nil func of one of the fast-path shapes is
// refused at registration like any other nil func, instead of being
// accepted and panicking ("call of reflect.Value.Call on zero Value") on
// the first event.
func TestNewEventHandlerNilFunc(t *testing.T) {
	t.Parallel()
	for _, fn := range []any{(func())(nil), (func(Args))(nil), (func(Args, Ack))(nil)} {
		h, err := newEventHandler(fn)
		if err != nil {
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("newEventHandler(%T(nil)) accepted; call panics: %v", fn, r)
				}
			}()
			_ = h.call(Args{}, noAck)
			t.Errorf("newEventHandler(%T(nil)) accepted", fn)
		}()
	}
}

func TestEventHandlerCall(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	a1 := []byte{1, 2, 3, 4}
	tests := []struct {
		name    string
		handler func(rec *[]any) any
		args    Args
		want    []any  // what the handler received, in order; nil: not called
		wantErr string // substring
		ackArgs []any  // what the handler passes to its Ack, if it has one
	}{
		{name: "no parameters", handler: func(rec *[]any) any { return func() { *rec = append(*rec, "called") } },
			args: rawArgs(t, `["x",1]`), want: []any{"called"}},
		{name: "raw args", handler: func(rec *[]any) any {
			return func(a Args) { *rec = append(*rec, a.Len(), string(a.Raw(1))) }
		}, args: rawArgs(t, `["x",{"b":1,"a":2}]`), want: []any{2, `{"b":1,"a":2}`}},
		{name: "raw args and ack", handler: func(rec *[]any) any {
			return func(a Args, ack Ack) { *rec = append(*rec, a.Len()); ack("ok") }
		}, args: rawArgs(t, `[1]`), want: []any{1}, ackArgs: []any{"ok"}},
		{name: "raw args returning error", handler: func(rec *[]any) any {
			return func(a Args) error { *rec = append(*rec, a.Len()); return errBoom }
		}, args: rawArgs(t, `[1,2]`), want: []any{2}, wantErr: "boom"},
		{name: "raw args and ack returning error", handler: func(rec *[]any) any {
			return func(a Args, ack Ack) error { *rec = append(*rec, a.Len()); ack(); return nil }
		}, args: rawArgs(t, `[]`), want: []any{0}, ackArgs: []any{}},
		{name: "typed args and ack", handler: func(rec *[]any) any {
			return func(s string, n int, ack Ack) { *rec = append(*rec, s, n); ack(s, n+1) }
		}, args: rawArgs(t, `["a",2]`), want: []any{"a", 2}, ackArgs: []any{"a", 3}},
		{name: "missing args are zero values", handler: func(rec *[]any) any {
			return func(s string, n int, f *tstFile, b []byte, ack Ack) { *rec = append(*rec, s, n, f, b) }
		}, args: rawArgs(t, `["a"]`), want: []any{"a", 0, (*tstFile)(nil), []byte(nil)}},
		{name: "no args at all", handler: func(rec *[]any) any {
			return func(s string, n int) { *rec = append(*rec, s, n) }
		}, args: Args{}, want: []any{"", 0}},
		{name: "extra args are ignored", handler: func(rec *[]any) any {
			return func(s string) { *rec = append(*rec, s) }
		}, args: rawArgs(t, `["a",1,{"x":2},[3]]`), want: []any{"a"}},
		{name: "struct returning nil error", handler: func(rec *[]any) any {
			return func(f tstFile) error { *rec = append(*rec, f); return nil }
		}, args: rawArgs(t, `[{"name":"n","body":"AQIDBA=="}]`), want: []any{tstFile{"n", a1}}},
		{name: "returned error is reported", handler: func(rec *[]any) any {
			return func(f tstFile) error { *rec = append(*rec, f.Name); return errBoom }
		}, args: rawArgs(t, `[{"name":"n"}]`), want: []any{"n"}, wantErr: "boom"},
		{name: "binary args", handler: func(rec *[]any) any {
			return func(b []byte, f tstFile, x any) { *rec = append(*rec, b, f, x) }
		}, args: rawArgs(t, `[`+phJSON(0)+`,{"name":"f","body":`+phJSON(1)+`},`+phJSON(0)+`]`, a1, []byte{5}),
			want: []any{a1, tstFile{"f", []byte{5}}, a1}},
		{name: "pointer param", handler: func(rec *[]any) any {
			return func(f *tstFile, g *tstFile) { *rec = append(*rec, f, *g) }
		}, args: rawArgs(t, `[null,{"name":"g"}]`), want: []any{(*tstFile)(nil), tstFile{Name: "g"}}},
		{name: "numeric params", handler: func(rec *[]any) any {
			return func(f float64, n int64, u uint8) { *rec = append(*rec, f, n, u) }
		}, args: rawArgs(t, `[1.5,-9007199254740993,255]`), want: []any{1.5, int64(-9007199254740993), uint8(255)}},
		{name: "named func type", handler: func(rec *[]any) any {
			return tstHandlerFunc(func(a Args) { *rec = append(*rec, a.Len()) })
		}, args: rawArgs(t, `[1,2,3]`), want: []any{3}},
		{name: "string for int", handler: func(rec *[]any) any {
			return func(n int) { *rec = append(*rec, n) }
		}, args: rawArgs(t, `["x"]`), wantErr: "cannot decode into int"},
		{name: "second arg mismatch", handler: func(rec *[]any) any {
			return func(s string, n int, ack Ack) { *rec = append(*rec, s, n) }
		}, args: rawArgs(t, `["a","b"]`), wantErr: "cannot decode into int"},
		{name: "object for string", handler: func(rec *[]any) any {
			return func(s string) { *rec = append(*rec, s) }
		}, args: rawArgs(t, `[{"a":1}]`), wantErr: "cannot decode into string"},
		{name: "array for struct", handler: func(rec *[]any) any {
			return func(f tstFile) { *rec = append(*rec, f) }
		}, args: rawArgs(t, `[[1]]`), wantErr: "cannot decode into core.tstFile"},
		{name: "overflow", handler: func(rec *[]any) any {
			return func(u uint8) { *rec = append(*rec, u) }
		}, args: rawArgs(t, `[256]`), wantErr: "cannot decode into uint8"},
		{name: "binary for int", handler: func(rec *[]any) any {
			return func(n int) { *rec = append(*rec, n) }
		}, args: rawArgs(t, `[`+phJSON(0)+`]`, a1), wantErr: "cannot decode into int"},
		{name: "placeholder out of range", handler: func(rec *[]any) any {
			return func(b []byte) { *rec = append(*rec, b) }
		}, args: rawArgs(t, `[`+phJSON(5)+`]`, a1), wantErr: "illegal attachments"},
		{name: "channel parameter", handler: func(rec *[]any) any {
			return func(c chan int) { *rec = append(*rec, c) }
		}, args: rawArgs(t, `[1]`), wantErr: "cannot decode into chan int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rec []any
			h, err := newEventHandler(tt.handler(&rec))
			if err != nil {
				t.Fatalf("newEventHandler: %v", err)
			}
			var acked []any
			ackCalled := false
			ack := Ack(func(args ...any) { ackCalled = true; acked = args })
			err = h.call(tt.args, ack)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("call error = %v, want it to contain %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("call: %v", err)
			}
			if tt.want == nil {
				if rec != nil {
					t.Fatalf("handler called with %#v despite the decode error", rec)
				}
				return
			}
			if !reflect.DeepEqual(rec, tt.want) {
				t.Fatalf("handler received %#v, want %#v", rec, tt.want)
			}
			if tt.ackArgs != nil {
				if !ackCalled {
					t.Fatalf("handler did not get a working Ack")
				}
				if len(acked) != len(tt.ackArgs) || (len(acked) > 0 && !reflect.DeepEqual(acked, tt.ackArgs)) {
					t.Fatalf("ack called with %#v, want %#v", acked, tt.ackArgs)
				}
			}
		})
	}
}

func TestAckRequested(t *testing.T) {
	t.Parallel()
	if noAck.Requested() {
		t.Errorf("noAck.Requested() = true")
	}
	if Ack(nil).Requested() {
		t.Errorf("Ack(nil).Requested() = true")
	}
	if !Ack(func(...any) {}).Requested() {
		t.Errorf("a real Ack is not Requested")
	}
}
