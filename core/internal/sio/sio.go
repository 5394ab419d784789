// Package sio encodes and decodes Socket.IO v5 packets, including the
// placeholders of binary attachments. It follows the validation rules of the
// reference parser (socket.io-parser 4.2.7).
//
// It is a pure codec: no I/O, no goroutines, no clocks.
package sio

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// Type is a Socket.IO packet type.
type Type byte

// Socket.IO packet types.
const (
	Connect      Type = 0
	Disconnect   Type = 1
	Event        Type = 2
	Ack          Type = 3
	ConnectError Type = 4
	BinaryEvent  Type = 5
	BinaryAck    Type = 6
)

// MaxAttachments is the default limit on binary attachments per packet.
const MaxAttachments = 10

// NoID marks a packet without an ack id.
const NoID int64 = -1

// Decoding errors.
var (
	ErrUnknownType        = errors.New("sio: unknown packet type")
	ErrIllegalAttachments = errors.New("sio: illegal attachments")
	ErrTooManyAttachments = errors.New("sio: too many attachments")
	ErrInvalidPayload     = errors.New("sio: invalid payload")
	ErrReservedName       = errors.New("sio: reserved event name")
)

// Packet is a decoded Socket.IO packet. Data is the raw JSON payload (nil
// when absent) and may alias the decoded input.
type Packet struct {
	Type        Type
	Nsp         string
	ID          int64
	Attachments int
	Data        []byte
}

var reserved = map[string]bool{
	"connect":        true,
	"connect_error":  true,
	"disconnect":     true,
	"disconnecting":  true,
	"newListener":    true,
	"removeListener": true,
}

// IsReserved reports whether an event name is reserved by the protocol.
func IsReserved(name string) bool { return reserved[name] }

// Decode decodes the text form of a packet. maxAttachments <= 0 means
// [MaxAttachments].
func Decode(text []byte, maxAttachments int) (Packet, error) {
	if maxAttachments <= 0 {
		maxAttachments = MaxAttachments
	}
	p := Packet{Nsp: "/", ID: NoID}
	if len(text) == 0 || text[0] < '0' || text[0] > '6' {
		return p, ErrUnknownType
	}
	p.Type = Type(text[0] - '0')
	i := 1
	if p.Type == BinaryEvent || p.Type == BinaryAck {
		j := i
		for j < len(text) && text[j] != '-' {
			if text[j] < '0' || text[j] > '9' {
				return p, ErrIllegalAttachments
			}
			j++
		}
		if j == i || j == len(text) || j-i > 6 {
			return p, ErrIllegalAttachments
		}
		n, err := strconv.Atoi(string(text[i:j]))
		if err != nil || n < 1 {
			return p, ErrIllegalAttachments
		}
		if n > maxAttachments {
			return p, ErrTooManyAttachments
		}
		p.Attachments = n
		i = j + 1
	}
	if i < len(text) && text[i] == '/' {
		j := bytes.IndexByte(text[i:], ',')
		if j < 0 {
			p.Nsp = string(text[i:])
			i = len(text)
		} else {
			p.Nsp = string(text[i : i+j])
			i += j + 1
		}
	}
	j := i
	for j < len(text) && text[j] >= '0' && text[j] <= '9' {
		j++
	}
	if j > i {
		if j-i > 15 {
			return p, ErrInvalidPayload
		}
		id, err := strconv.ParseInt(string(text[i:j]), 10, 64)
		if err != nil {
			return p, ErrInvalidPayload
		}
		p.ID = id
		i = j
	}
	if i < len(text) {
		p.Data = text[i:]
		if !json.Valid(p.Data) {
			return p, ErrInvalidPayload
		}
	}
	if err := validate(&p); err != nil {
		return p, err
	}
	return p, nil
}

func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

func validate(p *Packet) error {
	switch p.Type {
	case Connect:
		if p.Data != nil && firstByte(p.Data) != '{' {
			return ErrInvalidPayload
		}
	case Disconnect:
		if p.Data != nil {
			return ErrInvalidPayload
		}
	case Event, BinaryEvent:
		if firstByte(p.Data) != '[' {
			return ErrInvalidPayload
		}
		first, _, err := FirstElement(p.Data)
		if err != nil || first == nil {
			return ErrInvalidPayload
		}
		switch c := firstByte(first); {
		case c == '"':
			// The data is valid JSON, so first is a whole string token;
			// without escapes its bytes are the name.
			tok := bytes.TrimSpace(first)
			if raw := tok[1 : len(tok)-1]; bytes.IndexByte(raw, '\\') < 0 {
				if reserved[string(raw)] {
					return ErrReservedName
				}
				break
			}
			var name string
			if err := json.Unmarshal(first, &name); err != nil {
				return ErrInvalidPayload
			}
			if reserved[name] {
				return ErrReservedName
			}
		case c == '-' || (c >= '0' && c <= '9'):
		default:
			return ErrInvalidPayload
		}
	case Ack, BinaryAck:
		if firstByte(p.Data) != '[' {
			return ErrInvalidPayload
		}
	case ConnectError:
		if c := firstByte(p.Data); c != '"' && c != '{' {
			return ErrInvalidPayload
		}
	}
	return nil
}

// AppendEncode appends the text form of p. Data must already be valid JSON.
func AppendEncode(dst []byte, p *Packet) []byte {
	dst = append(dst, byte('0'+p.Type))
	if p.Type == BinaryEvent || p.Type == BinaryAck {
		dst = strconv.AppendInt(dst, int64(p.Attachments), 10)
		dst = append(dst, '-')
	}
	if p.Nsp != "" && p.Nsp != "/" {
		dst = append(dst, p.Nsp...)
		dst = append(dst, ',')
	}
	if p.ID >= 0 {
		dst = strconv.AppendInt(dst, p.ID, 10)
	}
	return append(dst, p.Data...)
}
