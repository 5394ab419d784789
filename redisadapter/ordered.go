package redisadapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/redisadapter/internal/msgpack"
)

// orderedArgs decodes received client arguments keeping the key order of
// their objects, as a Node server would forward them, with binary
// attachments back in place of their placeholders.
func orderedArgs(a core.Args) ([]any, error) {
	out := make([]any, a.Len())
	for i := range out {
		v, err := orderedJSON(a.Raw(i), a.Attachments())
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func orderedJSON(raw []byte, atts [][]byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return orderedValue(dec, atts, 0)
}

func orderedValue(dec *json.Decoder, atts [][]byte, depth int) (any, error) {
	if depth > 1000 {
		return nil, errors.New("redisadapter: JSON nested too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			arr := []any{}
			for dec.More() {
				v, err := orderedValue(dec, atts, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		}
		m := msgpack.Map{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := orderedValue(dec, atts, depth+1)
			if err != nil {
				return nil, err
			}
			m = append(m, msgpack.KV{Key: k, Value: v})
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		if b, ok := placeholder(m, atts); ok {
			return b, nil
		}
		return m, nil
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, nil
		}
		f, err := t.Float64()
		if err != nil || math.IsInf(f, 0) {
			return nil, errors.New("redisadapter: bad number")
		}
		return f, nil
	}
	return tok, nil
}

func placeholder(m msgpack.Map, atts [][]byte) ([]byte, bool) {
	if len(atts) == 0 || len(m) != 2 {
		return nil, false
	}
	var isPH bool
	num := -1
	for _, kv := range m {
		switch kv.Key {
		case "_placeholder":
			isPH, _ = kv.Value.(bool)
		case "num":
			if n, ok := kv.Value.(int64); ok {
				num = int(n)
			}
		}
	}
	if !isPH || num < 0 || num >= len(atts) {
		return nil, false
	}
	return atts[num], true
}
