package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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
	// fields, which carries the attachments into typed values.
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("argument %d: %w", i, err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("argument %d: %w", i, err)
	}
	return nil
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
	return append(dst, b[:len(b)-1]...), nil
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
			dst = append(dst, b[:len(b)-1]...)
			bufPool.Put(buf)
			return dst
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// encodeArgs writes a JSON array of the head value (an event name, or
// nothing for an ack) and args. Binary values anywhere in args become
// placeholders and are returned as attachments.
func encodeArgs(head *string, args []any) ([]byte, [][]byte, error) {
	var atts [][]byte
	data := make([]byte, 0, 64)
	data = append(data, '[')
	n := 0
	if head != nil {
		data = appendString(data, *head)
		n++
	}
	for _, a := range args {
		if raw, ok := a.(Args); ok {
			var err error
			if data, err = appendRawArgs(data, raw, n == 0, &atts); err != nil {
				return nil, nil, err
			}
			n += raw.Len()
			continue
		}
		if n > 0 {
			data = append(data, ',')
		}
		n++
		if needsWalk(a) && hasBinary(reflect.ValueOf(a), 0) {
			a = replaceBinary(reflect.ValueOf(a), &atts)
		}
		var err error
		if data, err = appendJSON(data, a); err != nil {
			return nil, nil, err
		}
	}
	return append(data, ']'), atts, nil
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

const maxDepth = 64

func hasBinary(v reflect.Value, depth int) bool {
	if depth > maxDepth || !v.IsValid() {
		return false
	}
	if v.Type() == orderedType {
		for _, f := range v.Interface().(orderedObject) {
			if hasBinary(valueOf(f.value), depth+1) {
				return true
			}
		}
		return false
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return false
		}
		return hasBinary(v.Elem(), depth+1)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return true
		}
		fallthrough
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if hasBinary(v.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if hasBinary(it.Value(), depth+1) {
				return true
			}
		}
	case reflect.Struct:
		if _, ok := v.Interface().(json.Marshaler); ok {
			return false
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && hasBinary(v.Field(i), depth+1) {
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
// by a placeholder, appending the bytes to atts in placeholder order.
func replaceBinary(v reflect.Value, atts *[][]byte) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type() == orderedType {
		in := v.Interface().(orderedObject)
		out := make(orderedObject, len(in))
		for i, f := range in {
			out[i] = field{f.name, replaceBinary(valueOf(f.value), atts)}
		}
		return out
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return replaceBinary(v.Elem(), atts)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			if v.IsNil() {
				return nil
			}
			*atts = append(*atts, v.Bytes())
			return placeholder{true, len(*atts) - 1}
		}
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = replaceBinary(v.Index(i), atts)
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			out[fmt.Sprint(it.Key().Interface())] = replaceBinary(it.Value(), atts)
		}
		return out
	case reflect.Struct:
		if !hasBinary(v, 0) {
			return v.Interface()
		}
		out := make(orderedObject, 0, v.NumField())
		appendStructFields(&out, v, atts)
		return out
	}
	return v.Interface()
}

// appendStructFields follows encoding/json's field rules for the common
// cases: tags with a name, "-", omitempty, embedded structs.
func appendStructFields(out *orderedObject, v reflect.Value, atts *[][]byte) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fv := v.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ev := fv
			if ev.Kind() == reflect.Pointer {
				if ev.IsNil() {
					continue
				}
				ev = ev.Elem()
			}
			if ev.Kind() == reflect.Struct {
				appendStructFields(out, ev, atts)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(opts, "omitempty") && fv.IsZero() {
			continue
		}
		*out = append(*out, field{name, replaceBinary(fv, atts)})
	}
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
