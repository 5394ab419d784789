package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/go-sio/sio/core/internal/sio"
)

// decodeOrdered decodes JSON keeping object keys in order (as
// orderedObject) and numbers as written (json.Number), so that re-encoding
// gives back the same text. Placeholders are replaced by their attachment.
func decodeOrdered(raw []byte, atts [][]byte) (any, error) {
	if len(atts) > 0 {
		// Check the placeholders top-down, as the reference reconstructs
		// (a placeholder replaces its whole object, whatever it contains).
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, err := sio.Reconstruct(v, atts); err != nil {
			return nil, err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := orderedValue(dec, atts, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("core: trailing data after JSON value")
	}
	return v, nil
}

func orderedValue(dec *json.Decoder, atts [][]byte, depth int) (any, error) {
	if depth > 10000 {
		return nil, errors.New("core: JSON nested too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
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
		case '{':
			obj := orderedObject{}
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
				obj = append(obj, field{k, v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if b, ok, err := orderedPlaceholder(obj, atts); ok {
				return b, err
			}
			return obj, nil
		}
	}
	return tok, nil
}

func orderedPlaceholder(obj orderedObject, atts [][]byte) ([]byte, bool, error) {
	if len(atts) == 0 {
		return nil, false, nil
	}
	m := make(map[string]any, len(obj))
	for _, f := range obj {
		m[f.name] = f.value
	}
	n, ok, err := sio.Placeholder(m)
	if !ok || err != nil || n < 0 || n >= len(atts) {
		// Checked by decodeOrdered: an invalid placeholder can only be
		// inside a valid one, which replaces it.
		return nil, false, nil
	}
	return atts[n], true, nil
}

// appendArgs appends received arguments to an outgoing argument list:
// their JSON is kept as the client wrote it, and their attachments are
// renumbered after those already collected.
func appendRawArgs(data []byte, a Args, first bool, atts *[][]byte) ([]byte, error) {
	for _, raw := range a.raw {
		if !first {
			data = append(data, ',')
		}
		first = false
		if len(a.attachments) == 0 {
			data = append(data, raw...)
			continue
		}
		v, err := decodeOrdered(raw, a.attachments)
		if err != nil {
			return nil, err
		}
		if v, err = (&walk{atts: atts}).replaceBinary(valueOf(v), 0); err != nil {
			return nil, err
		}
		if data, err = appendJSON(data, v); err != nil {
			return nil, err
		}
	}
	return data, nil
}
