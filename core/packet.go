package core

import (
	"github.com/go-sio/sio/core/engineio"
	"github.com/go-sio/sio/core/internal/sio"
)

// encodePacket builds the Engine.IO frames of a Socket.IO packet: the text
// packet, then one binary frame per attachment.
func encodePacket(typ sio.Type, nsp string, id int64, data []byte, atts [][]byte) []engineio.Frame {
	if len(atts) > 0 {
		switch typ {
		case sio.Event:
			typ = sio.BinaryEvent
		case sio.Ack:
			typ = sio.BinaryAck
		}
	}
	p := sio.Packet{Type: typ, Nsp: nsp, ID: id, Attachments: len(atts), Data: data}
	text := make([]byte, 0, len(data)+len(nsp)+8)
	text = append(text, '4')
	text = sio.AppendEncode(text, &p)
	frames := make([]engineio.Frame, 1, 1+len(atts))
	frames[0] = engineio.Frame{Data: text}
	for _, a := range atts {
		frames = append(frames, engineio.Frame{Data: a, Binary: true})
	}
	return frames
}

func encodeEvent(dst []engineio.Frame, nsp string, id int64, event string, args []any) ([]engineio.Frame, error) {
	return encodeMessage(dst, sio.Event, nsp, id, &event, args)
}

func encodeAck(dst []engineio.Frame, nsp string, id int64, args []any) ([]engineio.Frame, error) {
	return encodeMessage(dst, sio.Ack, nsp, id, nil, args)
}

// argsSizeHint guesses the encoded size of args from what is cheap to
// measure (raw arguments and strings), so that the buffer of a message
// rarely grows.
func argsSizeHint(args []any) int {
	n := 0
	for _, a := range args {
		switch v := a.(type) {
		case Args:
			for _, r := range v.raw {
				n += len(r) + 1
			}
		case string:
			n += len(v) + 3
		default:
			n += 16
		}
	}
	return n
}

// encodeMessage appends the frames of an event or ack to dst (a one-frame
// array of the caller's spares an allocation when the frames are sent at
// once). The text is built in one buffer: the header of the packet without
// attachments, then the arguments. Arguments that turn out to hold binary
// values need another header; encodePacket rebuilds it.
func encodeMessage(dst []engineio.Frame, typ sio.Type, nsp string, id int64, head *string, args []any) ([]engineio.Frame, error) {
	p := sio.Packet{Type: typ, Nsp: nsp, ID: id}
	text := make([]byte, 0, 64+len(nsp)+argsSizeHint(args))
	text = append(text, '4')
	text = sio.AppendEncode(text, &p)
	start := len(text)
	text, atts, err := appendArgs(text, head, args)
	if err != nil {
		return nil, err
	}
	if len(atts) > 0 {
		return append(dst, encodePacket(typ, nsp, id, text[start:], atts)...), nil
	}
	return append(dst, engineio.Frame{Data: text}), nil
}
