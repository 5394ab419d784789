package core

import (
	"fmt"
	"reflect"
)

// Ack answers a client's acknowledgement request. Only the first call
// sends anything; later calls are ignored.
type Ack func(args ...any)

var (
	ackType   = reflect.TypeOf(Ack(nil))
	argsType  = reflect.TypeOf(Args{})
	errorType = reflect.TypeOf((*error)(nil)).Elem()
)

// eventHandler is a user function adapted once, at registration, so that
// each call only decodes arguments.
type eventHandler struct {
	fn       reflect.Value
	params   []reflect.Type // decoded params, Ack excluded
	rawArgs  bool           // func(Args[, Ack])
	wantsAck bool
	// fast paths, no reflection
	fnArgs    func(Args)
	fnArgsAck func(Args, Ack)
	fnNone    func()
}

// newEventHandler checks fn's shape. Accepted: a func whose parameters are
// JSON-decodable types ([]byte for binary), optionally ending with an Ack;
// or func(Args) / func(Args, Ack) for raw access. It returns nothing or an
// error (logged and reported to OnError).
func newEventHandler(fn any) (*eventHandler, error) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return nil, fmt.Errorf("core: handler must be a func, got %T", fn)
	}
	switch f := fn.(type) {
	case func(Args):
		return &eventHandler{fnArgs: f}, nil
	case func(Args, Ack):
		return &eventHandler{fnArgsAck: f, wantsAck: true}, nil
	case func():
		return &eventHandler{fnNone: f}, nil
	}
	t := v.Type()
	if t.IsVariadic() {
		return nil, fmt.Errorf("core: variadic handler %s: use func(core.Args) instead", t)
	}
	if t.NumOut() > 1 || (t.NumOut() == 1 && t.Out(0) != errorType) {
		return nil, fmt.Errorf("core: handler %s must return nothing or an error", t)
	}
	h := &eventHandler{fn: v}
	for i := 0; i < t.NumIn(); i++ {
		p := t.In(i)
		if p == ackType {
			if i != t.NumIn()-1 {
				return nil, fmt.Errorf("core: handler %s: Ack must be the last parameter", t)
			}
			h.wantsAck = true
			continue
		}
		if p == argsType {
			if t.NumIn()-boolInt(h.wantsAck || (i+1 < t.NumIn() && t.In(i+1) == ackType)) != 1 {
				return nil, fmt.Errorf("core: handler %s: Args must be the only argument besides Ack", t)
			}
			h.rawArgs = true
		}
		h.params = append(h.params, p)
	}
	return h, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// call decodes args into the handler's parameters and calls it.
func (h *eventHandler) call(args Args, ack Ack) error {
	switch {
	case h.fnArgs != nil:
		h.fnArgs(args)
		return nil
	case h.fnArgsAck != nil:
		h.fnArgsAck(args, ack)
		return nil
	case h.fnNone != nil:
		h.fnNone()
		return nil
	}
	in := make([]reflect.Value, 0, len(h.params)+1)
	for i, p := range h.params {
		if h.rawArgs {
			in = append(in, reflect.ValueOf(args))
			continue
		}
		ptr := reflect.New(p)
		if i < args.Len() {
			if err := args.decodeOne(i, ptr.Interface()); err != nil {
				return fmt.Errorf("core: cannot decode into %s: %w", p, err)
			}
		}
		in = append(in, ptr.Elem())
	}
	if h.wantsAck {
		in = append(in, reflect.ValueOf(ack))
	}
	out := h.fn.Call(in)
	if len(out) == 1 && !out[0].IsNil() {
		return out[0].Interface().(error)
	}
	return nil
}

// Requested reports whether the client asked for this acknowledgement.
// Calling an Ack that was not requested does nothing.
func (a Ack) Requested() bool {
	return a != nil && reflect.ValueOf(a).Pointer() != reflect.ValueOf(noAck).Pointer()
}
