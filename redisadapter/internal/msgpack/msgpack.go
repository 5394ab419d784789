// Package msgpack encodes and decodes MessagePack the way notepack.io (the
// codec of Node's Redis adapter) does: integers in their smallest form,
// other numbers as float64, byte slices as bin, maps with string keys.
//
// Decoded values are nil, bool, int64, uint64 (above int64), float64,
// string, []byte, []any and map[string]any.
package msgpack

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"time"
)

// KV is one entry of an ordered map; a []KV encodes as a map in order.
type KV struct {
	Key   string
	Value any
}

// Map is a map that encodes its entries in order.
type Map []KV

// Valuer is implemented by values that know their generic form (for
// example received Socket.IO arguments).
type Valuer interface {
	MsgpackValue() (any, error)
}

// Marshal encodes v.
func Marshal(v any) ([]byte, error) { return Append(nil, v) }

// Append appends the encoding of v to b.
func Append(b []byte, v any) ([]byte, error) {
	return appendValue(b, v, 0)
}

const maxDepth = 1000

var errDepth = errors.New("msgpack: nested too deep")

func appendValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, errDepth
	}
	switch t := v.(type) {
	case nil:
		return append(b, 0xc0), nil
	case bool:
		if t {
			return append(b, 0xc3), nil
		}
		return append(b, 0xc2), nil
	case string:
		return appendString(b, t), nil
	case []byte:
		return appendBin(b, t), nil
	case int:
		return appendInt(b, int64(t)), nil
	case int8:
		return appendInt(b, int64(t)), nil
	case int16:
		return appendInt(b, int64(t)), nil
	case int32:
		return appendInt(b, int64(t)), nil
	case int64:
		return appendInt(b, t), nil
	case uint:
		return appendUint(b, uint64(t)), nil
	case uint16:
		return appendUint(b, uint64(t)), nil
	case uint32:
		return appendUint(b, uint64(t)), nil
	case uint64:
		return appendUint(b, t), nil
	case float32:
		return appendFloat(b, float64(t)), nil
	case float64:
		return appendFloat(b, t), nil
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return appendInt(b, i), nil
		}
		f, err := t.Float64()
		if err != nil {
			return b, err
		}
		return appendFloat(b, f), nil
	case json.RawMessage:
		var g any
		if err := json.Unmarshal(t, &g); err != nil {
			return b, err
		}
		return appendValue(b, g, depth+1)
	case []any:
		b = appendArrayHeader(b, len(t))
		for _, e := range t {
			var err error
			if b, err = appendValue(b, e, depth+1); err != nil {
				return b, err
			}
		}
		return b, nil
	case []string:
		b = appendArrayHeader(b, len(t))
		for _, e := range t {
			b = appendString(b, e)
		}
		return b, nil
	case Map:
		b = appendMapHeader(b, len(t))
		for _, kv := range t {
			b = appendString(b, kv.Key)
			var err error
			if b, err = appendValue(b, kv.Value, depth+1); err != nil {
				return b, err
			}
		}
		return b, nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = appendMapHeader(b, len(t))
		for _, k := range keys {
			b = appendString(b, k)
			var err error
			if b, err = appendValue(b, t[k], depth+1); err != nil {
				return b, err
			}
		}
		return b, nil
	case Valuer:
		g, err := t.MsgpackValue()
		if err != nil {
			return b, err
		}
		return appendValue(b, g, depth+1)
	case time.Time:
		return appendTimestamp(b, t), nil
	}
	return appendReflect(b, reflect.ValueOf(v), depth)
}

// appendReflect handles other slices and maps by reflection, and anything
// else through its JSON form (structs, json.Marshaler).
func appendReflect(b []byte, v reflect.Value, depth int) ([]byte, error) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, 0xc0), nil
		}
		if _, ok := v.Interface().(json.Marshaler); !ok {
			return appendValue(b, v.Elem().Interface(), depth+1)
		}
	case reflect.Slice, reflect.Array:
		if _, ok := v.Interface().(json.Marshaler); ok {
			break
		}
		if v.Kind() == reflect.Slice && v.IsNil() {
			return append(b, 0xc0), nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			buf := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(buf), v)
			return appendBin(b, buf), nil
		}
		b = appendArrayHeader(b, v.Len())
		for i := 0; i < v.Len(); i++ {
			var err error
			if b, err = appendValue(b, v.Index(i).Interface(), depth+1); err != nil {
				return b, err
			}
		}
		return b, nil
	case reflect.Map:
		if _, ok := v.Interface().(json.Marshaler); ok {
			break
		}
		if v.IsNil() {
			return append(b, 0xc0), nil
		}
		keys := v.MapKeys()
		ks := make([]string, len(keys))
		for i, k := range keys {
			ks[i] = fmt.Sprint(k.Interface())
		}
		idx := make([]int, len(keys))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(i, j int) bool { return ks[idx[i]] < ks[idx[j]] })
		b = appendMapHeader(b, len(keys))
		for _, i := range idx {
			b = appendString(b, ks[i])
			var err error
			if b, err = appendValue(b, v.MapIndex(keys[i]).Interface(), depth+1); err != nil {
				return b, err
			}
		}
		return b, nil
	}
	if !v.IsValid() {
		return append(b, 0xc0), nil
	}
	// Structs and custom types: their JSON form, as JSON.stringify would
	// have made it before notepack saw it.
	j, err := json.Marshal(v.Interface())
	if err != nil {
		return b, err
	}
	var g any
	dec := json.NewDecoder(bytesReader(j))
	dec.UseNumber()
	if err := dec.Decode(&g); err != nil {
		return b, err
	}
	return appendValue(b, g, depth+1)
}

func appendString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xda)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0xdb)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	return append(b, s...)
}

func appendBin(b []byte, p []byte) []byte {
	n := len(p)
	switch {
	case n <= math.MaxUint8:
		b = append(b, 0xc4, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xc5)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0xc6)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	return append(b, p...)
}

func appendArrayHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xdc)
		return binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0xdd)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	}
}

func appendMapHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xde)
		return binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0xdf)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	}
}

func appendUint(b []byte, u uint64) []byte {
	switch {
	case u < 128:
		return append(b, byte(u))
	case u <= math.MaxUint8:
		return append(b, 0xcc, byte(u))
	case u <= math.MaxUint16:
		b = append(b, 0xcd)
		return binary.BigEndian.AppendUint16(b, uint16(u))
	case u <= math.MaxUint32:
		b = append(b, 0xce)
		return binary.BigEndian.AppendUint32(b, uint32(u))
	default:
		b = append(b, 0xcf)
		return binary.BigEndian.AppendUint64(b, u)
	}
}

func appendInt(b []byte, i int64) []byte {
	if i >= 0 {
		return appendUint(b, uint64(i))
	}
	switch {
	case i >= -32:
		return append(b, byte(i))
	case i >= math.MinInt8:
		return append(b, 0xd0, byte(i))
	case i >= math.MinInt16:
		b = append(b, 0xd1)
		return binary.BigEndian.AppendUint16(b, uint16(i))
	case i >= math.MinInt32:
		b = append(b, 0xd2)
		return binary.BigEndian.AppendUint32(b, uint32(i))
	default:
		b = append(b, 0xd3)
		return binary.BigEndian.AppendUint64(b, uint64(i))
	}
}

// appendFloat writes integral values as integers, as JavaScript numbers
// are written by notepack.
func appendFloat(b []byte, f float64) []byte {
	if f == math.Trunc(f) && !math.IsInf(f, 0) && math.Abs(f) <= 1<<53 && !(f == 0 && math.Signbit(f)) {
		return appendInt(b, int64(f))
	}
	b = append(b, 0xcb)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

func appendTimestamp(b []byte, t time.Time) []byte {
	// Timestamp 96: ext8, length 12, type -1, nanoseconds, seconds.
	b = append(b, 0xc7, 12, 0xff)
	b = binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
	return binary.BigEndian.AppendUint64(b, uint64(t.Unix()))
}

// Errors of Unmarshal.
var (
	ErrShort    = errors.New("msgpack: unexpected end of data")
	ErrTrailing = errors.New("msgpack: trailing data")
	ErrInvalid  = errors.New("msgpack: invalid data")
)

// Unmarshal decodes one value that must span all of data.
func Unmarshal(data []byte) (any, error) {
	d := decoder{b: data}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.i != len(d.b) {
		return nil, ErrTrailing
	}
	return v, nil
}

type decoder struct {
	b []byte
	i int
}

func (d *decoder) need(n int) ([]byte, error) {
	if n < 0 || len(d.b)-d.i < n {
		return nil, ErrShort
	}
	p := d.b[d.i : d.i+n]
	d.i += n
	return p, nil
}

func (d *decoder) byte1() (byte, error) {
	p, err := d.need(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

func (d *decoder) uintN(n int) (uint64, error) {
	p, err := d.need(n)
	if err != nil {
		return 0, err
	}
	switch n {
	case 1:
		return uint64(p[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(p)), nil
	default:
		return binary.BigEndian.Uint64(p), nil
	}
}

func (d *decoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	c, err := d.byte1()
	if err != nil {
		return nil, err
	}
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c&0xf0 == 0x80:
		return d.mapN(int(c&0x0f), depth)
	case c&0xf0 == 0x90:
		return d.arrayN(int(c&0x0f), depth)
	case c&0xe0 == 0xa0:
		return d.str(int(c & 0x1f))
	}
	switch c {
	case 0xc0:
		return nil, nil
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	case 0xc4, 0xc5, 0xc6:
		n, err := d.uintN(1 << (c - 0xc4))
		if err != nil {
			return nil, err
		}
		p, err := d.need(int(n))
		if err != nil {
			return nil, err
		}
		return append([]byte{}, p...), nil
	case 0xc7, 0xc8, 0xc9:
		n, err := d.uintN(1 << (c - 0xc7))
		if err != nil {
			return nil, err
		}
		return d.ext(int(n))
	case 0xca:
		u, err := d.uintN(4)
		if err != nil {
			return nil, err
		}
		return float64(math.Float32frombits(uint32(u))), nil
	case 0xcb:
		u, err := d.uintN(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(u), nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		u, err := d.uintN(1 << (c - 0xcc))
		if err != nil {
			return nil, err
		}
		if u > math.MaxInt64 {
			return u, nil
		}
		return int64(u), nil
	case 0xd0, 0xd1, 0xd2, 0xd3:
		n := 1 << (c - 0xd0)
		u, err := d.uintN(n)
		if err != nil {
			return nil, err
		}
		switch n {
		case 1:
			return int64(int8(u)), nil
		case 2:
			return int64(int16(u)), nil
		case 4:
			return int64(int32(u)), nil
		}
		return int64(u), nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return d.ext(1 << (c - 0xd4))
	case 0xd9, 0xda, 0xdb:
		n, err := d.uintN(1 << (c - 0xd9))
		if err != nil {
			return nil, err
		}
		return d.str(int(n))
	case 0xdc, 0xdd:
		n, err := d.uintN(2 << (c - 0xdc))
		if err != nil {
			return nil, err
		}
		return d.arrayN(int(n), depth)
	case 0xde, 0xdf:
		n, err := d.uintN(2 << (c - 0xde))
		if err != nil {
			return nil, err
		}
		return d.mapN(int(n), depth)
	}
	return nil, ErrInvalid
}

func (d *decoder) str(n int) (any, error) {
	p, err := d.need(n)
	if err != nil {
		return nil, err
	}
	return string(p), nil
}

func (d *decoder) arrayN(n int, depth int) (any, error) {
	if n > len(d.b)-d.i { // each element takes at least one byte
		return nil, ErrShort
	}
	out := make([]any, n)
	for i := range out {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (d *decoder) mapN(n int, depth int) (any, error) {
	if 2*n > len(d.b)-d.i || n < 0 {
		return nil, ErrShort
	}
	out := make(map[string]any, n)
	for i := 0; i < n; i++ {
		k, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		switch kt := k.(type) {
		case string:
			out[kt] = v
		case int64:
			out[strconv.FormatInt(kt, 10)] = v
		default:
			out[fmt.Sprint(kt)] = v
		}
	}
	return out, nil
}

func (d *decoder) ext(n int) (any, error) {
	t, err := d.byte1()
	if err != nil {
		return nil, err
	}
	p, err := d.need(n)
	if err != nil {
		return nil, err
	}
	switch int8(t) {
	case -1: // timestamp
		switch n {
		case 4:
			return time.Unix(int64(binary.BigEndian.Uint32(p)), 0).UTC(), nil
		case 8:
			v := binary.BigEndian.Uint64(p)
			return time.Unix(int64(v&0x3ffffffff), int64(v>>34)).UTC(), nil
		case 12:
			return time.Unix(int64(binary.BigEndian.Uint64(p[4:])), int64(binary.BigEndian.Uint32(p[:4]))).UTC(), nil
		}
		return nil, ErrInvalid
	case 0:
		return nil, nil // notepack's legacy undefined
	}
	return []any{int64(int8(t)), append([]byte{}, p...)}, nil
}
