// Package eio encodes and decodes Engine.IO v4 packets and polling payloads.
//
// It is a pure codec: no I/O, no goroutines, no clocks.
package eio

import (
	"bytes"
	"encoding/base64"
	"errors"
)

// Type is an Engine.IO packet type.
type Type byte

// Engine.IO packet types, as their wire digit minus '0'.
const (
	Open    Type = 0
	Close   Type = 1
	Ping    Type = 2
	Pong    Type = 3
	Message Type = 4
	Upgrade Type = 5
	Noop    Type = 6
)

// Separator joins packets in a v4 polling payload.
const Separator = 0x1e

// ErrParse is returned for input that is not an Engine.IO packet.
var ErrParse = errors.New("eio: parse error")

// Packet is one Engine.IO packet. Binary is only meaningful for Message.
type Packet struct {
	Type   Type
	Data   []byte
	Binary bool
}

// Decode decodes one text packet (as received in a WebSocket text frame or as
// one record of a polling payload). A leading 'b' marks base64 binary.
// The returned Data may alias text.
func Decode(text []byte) (Packet, error) {
	if len(text) == 0 {
		return Packet{}, ErrParse
	}
	c := text[0]
	if c == 'b' {
		dst := make([]byte, base64.StdEncoding.DecodedLen(len(text)-1))
		n, err := base64.StdEncoding.Decode(dst, text[1:])
		if err != nil {
			return Packet{}, ErrParse
		}
		return Packet{Type: Message, Data: dst[:n], Binary: true}, nil
	}
	if c < '0' || c > '6' {
		return Packet{}, ErrParse
	}
	return Packet{Type: Type(c - '0'), Data: text[1:]}, nil
}

// DecodePayload splits a v4 polling payload into packets. Like the
// reference parser it stops at the first packet that fails to decode and
// reports the error after the packets decoded before it.
func DecodePayload(body []byte) ([]Packet, error) {
	var out []Packet
	for {
		i := bytes.IndexByte(body, Separator)
		rec := body
		if i >= 0 {
			rec = body[:i]
		}
		p, err := Decode(rec)
		if err != nil {
			return out, err
		}
		out = append(out, p)
		if i < 0 {
			return out, nil
		}
		body = body[i+1:]
	}
}

// AppendText appends the text encoding of p (binary as 'b' + base64).
func AppendText(dst []byte, p Packet) []byte {
	if p.Binary {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, byte('0'+p.Type))
	return append(dst, p.Data...)
}

// AppendPayload appends a v4 polling payload made of packets.
func AppendPayload(dst []byte, packets []Packet) []byte {
	for i, p := range packets {
		if i > 0 {
			dst = append(dst, Separator)
		}
		dst = AppendText(dst, p)
	}
	return dst
}
