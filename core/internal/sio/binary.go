package sio

import (
	"errors"
	"math"
)

// ErrIllegalPlaceholder reports a placeholder whose num is not an
// attachment index.
var ErrIllegalPlaceholder = errors.New("sio: illegal attachments")

// Placeholder reports whether v is a binary placeholder object
// ({"_placeholder":true,"num":N}) and returns N.
func Placeholder(v any) (int, bool, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return 0, false, nil
	}
	if p, _ := m["_placeholder"].(bool); !p {
		return 0, false, nil
	}
	switch n := m["num"].(type) {
	case float64:
		return placeholderIndex(n)
	case interface{ Float64() (float64, error) }: // json.Number
		f, err := n.Float64()
		if err != nil {
			return 0, true, ErrIllegalPlaceholder
		}
		return placeholderIndex(f)
	}
	return 0, true, ErrIllegalPlaceholder
}

// placeholderIndex accepts any JSON number with an integer value, as
// JSON.parse does (1, 1.0, 1e0 and -0 are the same number).
func placeholderIndex(f float64) (int, bool, error) {
	if f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, true, ErrIllegalPlaceholder
	}
	return int(f), true, nil
}

// Reconstruct replaces, in a value decoded from JSON, every placeholder by
// its attachment ([]byte). Maps and slices are modified in place.
func Reconstruct(v any, attachments [][]byte) (any, error) {
	if n, ok, err := Placeholder(v); ok {
		if err != nil || n < 0 || n >= len(attachments) {
			return nil, ErrIllegalPlaceholder
		}
		return attachments[n], nil
	}
	switch t := v.(type) {
	case []any:
		for i, e := range t {
			r, err := Reconstruct(e, attachments)
			if err != nil {
				return nil, err
			}
			t[i] = r
		}
	case map[string]any:
		for k, e := range t {
			r, err := Reconstruct(e, attachments)
			if err != nil {
				return nil, err
			}
			t[k] = r
		}
	}
	return v, nil
}
