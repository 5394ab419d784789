package eio

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// Engine.IO v3 (socket.io-client v2) payloads: packets prefixed by their
// length and a colon, the length counted in UTF-16 code units; binary
// packets as "b<type><base64>" in text payloads, or a binary payload.

// utf16Len counts the UTF-16 code units of s.
func utf16Len(s []byte) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		s = s[size:]
	}
	return n
}

// utf16Prefix returns the byte length of the first n UTF-16 code units of
// s, or -1 if s is shorter.
func utf16Prefix(s []byte, n int) int {
	i, units := 0, 0
	for units < n {
		if i >= len(s) {
			return -1
		}
		r, size := utf8.DecodeRune(s[i:])
		if r >= 0x10000 {
			units += 2
		} else {
			units++
		}
		i += size
	}
	if units != n {
		return -1
	}
	return i
}

// AppendTextV3 appends one packet as v3 text ("b4<base64>" for binary).
func AppendTextV3(dst []byte, p Packet) []byte {
	if p.Binary {
		dst = append(dst, 'b', '4')
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, byte('0'+p.Type))
	return append(dst, p.Data...)
}

// AppendPayloadV3 appends a v3 text payload.
func AppendPayloadV3(dst []byte, packets []Packet) []byte {
	if len(packets) == 0 {
		return append(dst, "0:"...)
	}
	var tmp []byte
	for _, p := range packets {
		tmp = AppendTextV3(tmp[:0], p)
		dst = strconv.AppendInt(dst, int64(utf16Len(tmp)), 10)
		dst = append(dst, ':')
		dst = append(dst, tmp...)
	}
	return dst
}

// AppendBinaryPayloadV3 appends a v3 binary payload: per packet a marker
// (0 text, 1 binary), the length as one byte per decimal digit, 255, then
// the packet (binary packets start with their type as a byte).
func AppendBinaryPayloadV3(dst []byte, packets []Packet) []byte {
	for _, p := range packets {
		var body []byte
		if p.Binary {
			body = append([]byte{byte(Message)}, p.Data...)
			dst = append(dst, 1)
		} else {
			body = append([]byte{byte('0' + p.Type)}, p.Data...)
			dst = append(dst, 0)
		}
		for _, d := range strconv.Itoa(len(body)) {
			dst = append(dst, byte(d-'0'))
		}
		dst = append(dst, 255)
		dst = append(dst, body...)
	}
	return dst
}

// decodeTextV3 decodes one v3 text packet.
func decodeTextV3(text []byte) (Packet, error) {
	if len(text) > 0 && text[0] == 'b' {
		if len(text) < 2 {
			return Packet{}, ErrParse
		}
		dst := make([]byte, base64.StdEncoding.DecodedLen(len(text)-2))
		n, err := base64.StdEncoding.Decode(dst, text[2:])
		if err != nil {
			return Packet{}, ErrParse
		}
		return Packet{Type: Message, Data: dst[:n], Binary: true}, nil
	}
	return Decode(text)
}

// DecodePayloadV3 decodes a v3 text payload. Like the reference parser,
// it reports an error for any malformed part.
func DecodePayloadV3(body []byte) ([]Packet, error) {
	var out []Packet
	for len(body) > 0 {
		i := 0
		for i < len(body) && body[i] != ':' {
			if body[i] < '0' || body[i] > '9' || i > 9 {
				return out, ErrParse
			}
			i++
		}
		if i == 0 || i >= len(body) {
			return out, ErrParse
		}
		n, _ := strconv.Atoi(string(body[:i]))
		body = body[i+1:]
		end := utf16Prefix(body, n)
		if end < 0 {
			return out, ErrParse
		}
		if n > 0 {
			p, err := decodeTextV3(body[:end])
			if err != nil {
				return out, err
			}
			out = append(out, p)
		}
		body = body[end:]
	}
	return out, nil
}

// DecodeBinaryPayloadV3 decodes a v3 binary payload.
func DecodeBinaryPayloadV3(body []byte) ([]Packet, error) {
	var out []Packet
	for len(body) > 0 {
		marker := body[0]
		if marker > 1 {
			return out, ErrParse
		}
		i, n := 1, 0
		for ; i < len(body) && body[i] != 255; i++ {
			if body[i] > 9 || i > 10 {
				return out, ErrParse
			}
			n = n*10 + int(body[i])
		}
		if i >= len(body) || i == 1 {
			return out, ErrParse
		}
		body = body[i+1:]
		if n > len(body) {
			return out, ErrParse
		}
		pkt := body[:n]
		body = body[n:]
		if marker == 1 {
			if len(pkt) == 0 {
				return out, ErrParse
			}
			out = append(out, Packet{Type: Message, Data: append([]byte(nil), pkt[1:]...), Binary: true})
			continue
		}
		p, err := decodeTextV3(pkt)
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}
