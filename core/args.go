package core

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-sio/sio/core/internal/sio"
)

// Args are the arguments of a received event or acknowledgement, kept as
// raw JSON until decoded. Binary attachments decode into []byte.
type Args struct {
	raw         [][]byte
	attachments [][]byte
}

// Len is the number of arguments.
func (a Args) Len() int { return len(a.raw) }

// Raw returns argument i as JSON, binary placeholders included.
func (a Args) Raw(i int) json.RawMessage {
	if i < 0 || i >= len(a.raw) {
		return nil
	}
	return json.RawMessage(a.raw[i])
}

// Decode decodes the arguments, in order, into the values dst points to.
// Missing arguments leave their destination untouched; extra ones are
// ignored. A *[]byte receives a binary attachment; binary nested in a
// struct decodes into its []byte fields.
func (a Args) Decode(dst ...any) error {
	for i, d := range dst {
		if i >= len(a.raw) {
			break
		}
		if err := a.decodeOne(i, d); err != nil {
			return err
		}
	}
	return nil
}

// Values returns the arguments decoded as JSON values (map[string]any,
// []any, float64, string, bool, nil), with attachments as []byte.
func (a Args) Values() ([]any, error) {
	out := make([]any, len(a.raw))
	for i := range a.raw {
		if err := a.decodeOne(i, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (a Args) decodeOne(i int, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("argument %d: %w", i, &json.InvalidUnmarshalError{Type: reflect.TypeOf(dst)})
	}
	raw := a.raw[i]
	if len(a.attachments) == 0 {
		if err := json.Unmarshal(raw, dst); err != nil {
			return fmt.Errorf("argument %d: %w", i, err)
		}
		return nil
	}
	// Binary: decode generically, put the attachments in, then convert.
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("argument %d: %w", i, err)
	}
	v, err := sio.Reconstruct(v, a.attachments)
	if err != nil {
		return fmt.Errorf("argument %d: %w", i, err)
	}
	switch d := dst.(type) {
	case *any:
		*d = v
		return nil
	case *[]byte:
		if b, ok := v.([]byte); ok {
			*d = b
			return nil
		}
	}
	// encoding/json writes []byte as base64 and reads it back into []byte
	// fields, which carries the attachments into typed values. Numbers are
	// kept as written (json.Number) so that integers do not go through
	// float64.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var nv any
	if err := dec.Decode(&nv); err != nil {
		return fmt.Errorf("argument %d: %w", i, err)
	}
	if nv, err = sio.Reconstruct(nv, a.attachments); err != nil {
		return fmt.Errorf("argument %d: %w", i, err)
	}
	b, err := json.Marshal(nv)
	if err != nil {
		return fmt.Errorf("argument %d: %w", i, err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("argument %d: %w", i, err)
	}
	// Interface-typed slots (any, map[string]any, []any) got base64
	// strings: put the attachments themselves there.
	setBinary(rv.Elem(), v, 0)
	return nil
}

// setBinary walks dv (decoded from the same JSON as the generic value gv)
// and stores every attachment of gv that landed in an interface-typed slot.
func setBinary(dv reflect.Value, gv any, depth int) {
	if depth > maxDepth {
		return
	}
	if b, ok := gv.([]byte); ok {
		if dv.Kind() == reflect.Interface && dv.CanSet() {
			dv.Set(reflect.ValueOf(b))
		}
		return
	}
	for dv.Kind() == reflect.Pointer || dv.Kind() == reflect.Interface {
		if dv.IsNil() {
			return
		}
		dv = dv.Elem()
	}
	switch g := gv.(type) {
	case []any:
		if dv.Kind() == reflect.Slice || dv.Kind() == reflect.Array {
			for i := 0; i < dv.Len() && i < len(g); i++ {
				setBinary(dv.Index(i), g[i], depth+1)
			}
		}
	case map[string]any:
		switch dv.Kind() {
		case reflect.Map:
			kt := dv.Type().Key()
			if kt.Kind() != reflect.String {
				return
			}
			for k, e := range g {
				kv := reflect.ValueOf(k).Convert(kt)
				ev := dv.MapIndex(kv)
				if !ev.IsValid() {
					continue
				}
				tmp := reflect.New(dv.Type().Elem()).Elem()
				tmp.Set(ev)
				setBinary(tmp, e, depth+1)
				dv.SetMapIndex(kv, tmp)
			}
		case reflect.Struct:
			for _, f := range structFields(dv.Type()) {
				e, ok := g[f.name]
				if !ok {
					for k, x := range g {
						if strings.EqualFold(k, f.name) {
							e, ok = x, true
							break
						}
					}
				}
				if !ok {
					continue
				}
				if fv, ok := fieldByIndex(dv, f.index); ok {
					setBinary(fv, e, depth+1)
				}
			}
		}
	}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// appendJSON appends v as JSON the way JSON.stringify writes it (no HTML
// escaping, no trailing newline).
func appendJSON(dst []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, t), nil
	case bool:
		return strconv.AppendBool(dst, t), nil
	case int:
		return strconv.AppendInt(dst, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(dst, t, 10), nil
	case json.RawMessage:
		if t == nil {
			return append(dst, "null"...), nil
		}
		return append(dst, t...), nil
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	b := buf.Bytes()
	return appendJSText(dst, b[:len(b)-1]), nil
}

// appendJSText appends JSON written by encoding/json, undoing the escapes
// JSON.stringify does not write: U+2028 and U+2029 are written raw, and
// invalid UTF-8 (\ufffd), which a JS string holds as U+FFFD, too.
func appendJSText(dst, b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u`)) {
		return append(dst, b...)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			dst = append(dst, c)
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) {
			switch string(b[i+2 : i+6]) {
			case "2028":
				dst = append(dst, "\u2028"...)
				i += 5
				continue
			case "2029":
				dst = append(dst, "\u2029"...)
				i += 5
				continue
			case "fffd":
				dst = append(dst, "\ufffd"...)
				i += 5
				continue
			}
		}
		dst = append(dst, c, b[i+1])
		i++
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			// Rare: let encoding/json handle escapes and invalid UTF-8.
			buf := bufPool.Get().(*bytes.Buffer)
			buf.Reset()
			enc := json.NewEncoder(buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s)
			b := buf.Bytes()
			dst = appendJSText(dst, b[:len(b)-1])
			bufPool.Put(buf)
			return dst
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendArgs appends to data a JSON array of the head value (an event
// name, or nothing for an ack) and args. Binary values anywhere in args
// become placeholders and are returned as attachments.
func appendArgs(data []byte, head *string, args []any) ([]byte, [][]byte, error) {
	// The attachments, allocated only for arguments that may hold binary
	// values.
	var atts *[][]byte
	data = append(data, '[')
	n := 0
	if head != nil {
		data = appendString(data, *head)
		n++
	}
	for _, a := range args {
		if raw, ok := a.(Args); ok {
			if len(raw.attachments) > 0 && atts == nil {
				atts = new([][]byte)
			}
			var err error
			if data, err = appendRawArgs(data, raw, n == 0, atts); err != nil {
				return nil, nil, err
			}
			n += raw.Len()
			continue
		}
		if n > 0 {
			data = append(data, ',')
		}
		n++
		var err error
		if needsWalk(a) {
			if atts == nil {
				atts = new([][]byte)
			}
			if w := (&walk{atts: atts}); w.hasBinary(reflect.ValueOf(a), 0) {
				if a, err = w.replaceBinary(reflect.ValueOf(a), 0); err != nil {
					return nil, nil, err
				}
			}
		}
		if data, err = appendJSON(data, a); err != nil {
			return nil, nil, err
		}
	}
	if atts == nil {
		return append(data, ']'), nil, nil
	}
	return append(data, ']'), *atts, nil
}

func needsWalk(v any) bool {
	switch v.(type) {
	case nil, string, bool, int, int64, float64, json.RawMessage:
		return false
	}
	return true
}

var orderedType = reflect.TypeOf(orderedObject(nil))

func valueOf(v any) reflect.Value { return reflect.ValueOf(v) }

// maxDepth bounds the walk of values to send: deeper values are refused
// with an error.
const maxDepth = 1 << 14

// cycleDepth is the depth past which a walk records the pointers on its
// path, to refuse cyclic values like json.Marshal does.
const cycleDepth = 64

var (
	errTooDeep = errors.New("core: value nested too deep")
	errCycle   = errors.New("core: cyclic value")
)

type ptrKey struct {
	p uintptr
	n int
}

// walk is the state of one walk over a value to send.
type walk struct {
	atts *[][]byte       // attachments collected, in placeholder order
	path map[ptrKey]bool // pointers on the current path, past cycleDepth
}

// enter records v on the path; cycle is true if it is already there.
// leave must be called when the walk of v is done.
func (w *walk) enter(v reflect.Value, depth int) (cycle bool, leave func()) {
	if depth <= cycleDepth {
		return false, func() {}
	}
	var k ptrKey
	switch v.Kind() {
	case reflect.Pointer, reflect.Map:
		k = ptrKey{v.Pointer(), 0}
	case reflect.Slice:
		k = ptrKey{v.Pointer(), v.Len()}
	default:
		return false, func() {}
	}
	if v.IsNil() {
		return false, func() {}
	}
	if w.path[k] {
		return true, func() {}
	}
	if w.path == nil {
		w.path = make(map[ptrKey]bool)
	}
	w.path[k] = true
	return false, func() { delete(w.path, k) }
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// selfMarshaled returns the value encoding/json would call MarshalJSON or
// MarshalText on, if v has such a method ([]byte-kinded types like
// json.RawMessage and net.IP included).
func selfMarshaled(v reflect.Value) (any, bool) {
	t := v.Type()
	if t == orderedType || t.Kind() == reflect.Interface {
		return nil, false
	}
	if t.Implements(marshalerType) || t.Implements(textMarshalerType) {
		if t.Kind() == reflect.Pointer && v.IsNil() {
			return nil, true
		}
		return v.Interface(), true
	}
	if v.CanAddr() {
		if pt := reflect.PointerTo(t); pt.Implements(marshalerType) || pt.Implements(textMarshalerType) {
			return v.Addr().Interface(), true
		}
	}
	return nil, false
}

func (w *walk) hasBinary(v reflect.Value, depth int) bool {
	if !v.IsValid() {
		return false
	}
	if depth > maxDepth {
		return true // replaceBinary reports it
	}
	cycle, leave := w.enter(v, depth)
	defer leave()
	if cycle {
		return true // replaceBinary reports it
	}
	if v.Type() == orderedType {
		for _, f := range v.Interface().(orderedObject) {
			if w.hasBinary(valueOf(f.value), depth+1) {
				return true
			}
		}
		return false
	}
	if _, ok := selfMarshaled(v); ok {
		return false
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return false
		}
		return w.hasBinary(v.Elem(), depth+1)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return true
		}
		fallthrough
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if w.hasBinary(v.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if w.hasBinary(it.Value(), depth+1) {
				return true
			}
		}
	case reflect.Struct:
		for _, f := range structFields(v.Type()) {
			if fv, ok := fieldByIndex(v, f.index); ok && w.hasBinary(fv, depth+1) {
				return true
			}
		}
	}
	return false
}

type placeholder struct {
	Placeholder bool `json:"_placeholder"`
	Num         int  `json:"num"`
}

// replaceBinary rebuilds v as plain JSON values with every []byte replaced
// by a placeholder, appending the bytes to atts in placeholder order (the
// order in which they are written).
func (w *walk) replaceBinary(v reflect.Value, depth int) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	if depth > maxDepth {
		return nil, errTooDeep
	}
	cycle, leave := w.enter(v, depth)
	defer leave()
	if cycle {
		return nil, errCycle
	}
	if v.Type() == orderedType {
		in := v.Interface().(orderedObject)
		out := make(orderedObject, len(in))
		for i, f := range in {
			r, err := w.replaceBinary(valueOf(f.value), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = field{f.name, r}
		}
		return out, nil
	}
	if m, ok := selfMarshaled(v); ok {
		return m, nil
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return w.replaceBinary(v.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			if v.IsNil() {
				return nil, nil
			}
			*w.atts = append(*w.atts, v.Bytes())
			return placeholder{true, len(*w.atts) - 1}, nil
		}
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, nil
		}
		out := make([]any, v.Len())
		for i := range out {
			r, err := w.replaceBinary(v.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		// Keys in the order encoding/json writes them (sorted), so that
		// placeholders are numbered in the order they appear.
		type kv struct {
			k string
			v reflect.Value
		}
		kvs := make([]kv, 0, v.Len())
		it := v.MapRange()
		for it.Next() {
			k, err := mapKey(it.Key())
			if err != nil {
				return nil, err
			}
			kvs = append(kvs, kv{k, it.Value()})
		}
		slices.SortFunc(kvs, func(a, b kv) int { return strings.Compare(a.k, b.k) })
		out := make(orderedObject, len(kvs))
		for i, e := range kvs {
			r, err := w.replaceBinary(e.v, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = field{e.k, r}
		}
		return out, nil
	case reflect.Struct:
		if !w.hasBinary(v, depth) {
			return v.Interface(), nil
		}
		return w.appendStructFields(nil, v, depth)
	}
	return v.Interface(), nil
}

// mapKey converts a map key the way encoding/json does.
func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		if k.Kind() == reflect.Pointer && k.IsNil() {
			return "", nil
		}
		b, err := tm.MarshalText()
		return string(b), err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", fmt.Errorf("core: unsupported map key type %s", k.Type())
}

// jsonField is a struct field as encoding/json writes it.
type jsonField struct {
	name      string
	index     []int
	omitEmpty bool
	omitZero  bool
	quoted    bool
}

var fieldCache sync.Map // reflect.Type -> []jsonField

// structFields lists the fields encoding/json writes for t: json tags,
// "-", omitempty, omitzero, string, embedded structs (exported or not) and
// the dominance rules for duplicate names.
func structFields(t reflect.Type) []jsonField {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]jsonField)
	}
	type cand struct {
		jsonField
		tagged bool
	}
	var cands []cand
	var walk func(t reflect.Type, index []int, path map[reflect.Type]bool)
	walk = func(t reflect.Type, index []int, path map[reflect.Type]bool) {
		if path[t] {
			return
		}
		path[t] = true
		defer delete(path, t)
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			ft := sf.Type
			if ft.Name() == "" && ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if sf.Anonymous {
				if !sf.IsExported() && ft.Kind() != reflect.Struct {
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(slices.Clone(index), i)
			if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
				walk(ft, idx, path)
				continue
			}
			f := cand{jsonField: jsonField{name: name, index: idx}, tagged: name != ""}
			if f.name == "" {
				f.name = sf.Name
			}
			for opt := range strings.SplitSeq(opts, ",") {
				switch opt {
				case "omitempty":
					f.omitEmpty = true
				case "omitzero":
					f.omitZero = true
				case "string":
					switch ft.Kind() {
					case reflect.Bool, reflect.String,
						reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64:
						f.quoted = true
					}
				}
			}
			cands = append(cands, f)
		}
	}
	walk(t, nil, map[reflect.Type]bool{})
	// Dominance: the shallowest field of a name wins; at equal depth a
	// single tagged one wins; otherwise the name is dropped.
	var out []jsonField
	for i, c := range cands {
		keep := true
		for j, d := range cands {
			if i == j || c.name != d.name {
				continue
			}
			switch {
			case len(d.index) < len(c.index):
				keep = false
			case len(d.index) == len(c.index) && (d.tagged || !c.tagged):
				keep = false
			}
		}
		if keep {
			out = append(out, c.jsonField)
		}
	}
	fieldCache.Store(t, out)
	return out
}

// fieldByIndex is v.FieldByIndex that reports nil embedded pointers.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// isEmptyValue is encoding/json's test for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZeroField is encoding/json's test for omitzero.
func isZeroField(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	return v.IsZero()
}

// appendStructFields writes the fields of struct v as encoding/json would.
func (w *walk) appendStructFields(out orderedObject, v reflect.Value, depth int) (orderedObject, error) {
	for _, f := range structFields(v.Type()) {
		fv, ok := fieldByIndex(v, f.index)
		if !ok {
			continue
		}
		if (f.omitEmpty && isEmptyValue(fv)) || (f.omitZero && isZeroField(fv)) {
			continue
		}
		if f.quoted {
			for fv.Kind() == reflect.Pointer && !fv.IsNil() {
				fv = fv.Elem()
			}
			b, err := appendJSON(nil, fv.Interface())
			if err != nil {
				return nil, err
			}
			if fv.Kind() != reflect.Pointer {
				b = appendString(nil, string(b))
			}
			out = append(out, field{f.name, json.RawMessage(b)})
			continue
		}
		r, err := w.replaceBinary(fv, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, field{f.name, r})
	}
	return out, nil
}

type field struct {
	name  string
	value any
}

// orderedObject is a JSON object that keeps its keys in order.
type orderedObject []field

func (o orderedObject) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, f := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.name)
		b = append(b, ':')
		var err error
		if b, err = appendJSON(b, f.value); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// splitArgs splits a JSON array into its raw elements.
func splitArgs(data []byte) ([][]byte, error) {
	if len(data) == 0 {
		return nil, nil
	}
	parts, err := sio.SplitArray(data)
	if err != nil {
		return nil, errors.New("core: invalid arguments")
	}
	return parts, nil
}

// Attachments returns the binary attachments the arguments' placeholders
// refer to ({"_placeholder":true,"num":N} in Raw).
func (a Args) Attachments() [][]byte { return a.attachments }
