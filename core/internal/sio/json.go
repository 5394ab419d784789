package sio

import (
	"errors"
)

var errSyntax = errors.New("sio: json syntax")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// skipValue returns the index just past the JSON value starting at b[i]
// (after leading space). The input is assumed to be valid JSON as a whole;
// the scanner only tracks strings and nesting.
func skipValue(b []byte, i int) (int, error) {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i >= len(b) {
		return i, errSyntax
	}
	switch b[i] {
	case '"':
		i++
		for i < len(b) {
			switch b[i] {
			case '\\':
				i += 2
				continue
			case '"':
				return i + 1, nil
			}
			i++
		}
		return i, errSyntax
	case '[', '{':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				j, err := skipValue(b, i)
				if err != nil {
					return j, err
				}
				i = j
				continue
			case '[', '{':
				depth++
			case ']', '}':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return i, errSyntax
	default:
		for i < len(b) {
			switch b[i] {
			case ',', ']', '}', ' ', '\t', '\r', '\n':
				return i, nil
			}
			i++
		}
		return i, nil
	}
}

// SplitArray returns the raw elements of a JSON array. data must be valid JSON.
func SplitArray(data []byte) ([][]byte, error) {
	// Room for the usual few arguments in one allocation.
	return appendElements(make([][]byte, 0, 4), data)
}

func appendElements(out [][]byte, data []byte) ([][]byte, error) {
	i := 0
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	if i >= len(data) || data[i] != '[' {
		return nil, errSyntax
	}
	i++
	for {
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i >= len(data) {
			return nil, errSyntax
		}
		if data[i] == ']' {
			return out, nil
		}
		start := i
		end, err := skipValue(data, i)
		if err != nil {
			return nil, err
		}
		if end == start {
			return nil, errSyntax // a delimiter where a value should be
		}
		out = append(out, data[start:end])
		i = end
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i >= len(data) {
			return nil, errSyntax
		}
		switch data[i] {
		case ',':
			i++
		case ']':
		default:
			return nil, errSyntax
		}
	}
}

// FirstElement returns the first element of a JSON array and the raw rest
// of the elements (each still to be split); first is nil for an empty array.
func FirstElement(data []byte) (first []byte, rest []byte, err error) {
	i := 0
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	if i >= len(data) || data[i] != '[' {
		return nil, nil, errSyntax
	}
	i++
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	if i < len(data) && data[i] == ']' {
		return nil, nil, nil
	}
	end, err := skipValue(data, i)
	if err != nil {
		return nil, nil, err
	}
	return data[i:end], data[end:], nil
}
