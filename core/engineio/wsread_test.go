package engineio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/go-sio/sio/internal/eiotest"
)

// clientFrame encodes one client frame (masked with key).
var clientFrame = eiotest.ClientFrame

type readerConn struct{ io.Reader }

func (readerConn) SetReadDeadline(time.Time) error { return nil }

type gotFrame struct {
	op   byte
	data string
}

// readAll runs the reader over input until it fails.
func readAll(input []byte, limit int, oneByte bool) ([]gotFrame, error) {
	var r io.Reader = bytes.NewReader(input)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	f := &frameReader{conn: readerConn{r}, limit: limit}
	var out []gotFrame
	for {
		op, data, err := f.next(readBlock)
		if err != nil {
			return out, err
		}
		out = append(out, gotFrame{op, string(data)})
	}
}

func TestFrameReader(t *testing.T) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	cat := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }
	long := strings.Repeat("abcdefghij", 7000) // 70,000 bytes: 64-bit length
	mid := strings.Repeat("x", 300)            // 16-bit length
	tests := []struct {
		name  string
		input []byte
		want  []gotFrame
		err   error
	}{
		{"text", clientFrame(true, opText, []byte("4hello"), key), []gotFrame{{opText, "4hello"}}, io.EOF},
		{"empty binary", clientFrame(true, opBinary, nil, key), []gotFrame{{opBinary, ""}}, io.EOF},
		{"16-bit length", clientFrame(true, opText, []byte(mid), key), []gotFrame{{opText, mid}}, io.EOF},
		{"64-bit length", clientFrame(true, opBinary, []byte(long), key), []gotFrame{{opBinary, long}}, io.EOF},
		{"fragments with a ping between", cat(
			clientFrame(false, opText, []byte("4he"), key),
			clientFrame(true, opPing, []byte("p"), key),
			clientFrame(false, opContinuation, []byte("ll"), key),
			clientFrame(true, opContinuation, []byte("o"), key),
			clientFrame(true, opText, []byte("4next"), key),
		), []gotFrame{{opPing, "p"}, {opText, "4hello"}, {opText, "4next"}}, io.EOF},
		{"close and pong", cat(
			clientFrame(true, opPong, nil, key),
			clientFrame(true, opClose, []byte{3, 232}, key),
		), []gotFrame{{opPong, ""}, {opClose, "\x03\xe8"}}, io.EOF},
		{"unmasked", []byte{0x81, 0x01, '4'}, nil, errProtocol},
		{"reserved bit", append([]byte{0xc1}, clientFrame(true, opText, []byte("4"), key)[1:]...), nil, errProtocol},
		{"unknown opcode", clientFrame(true, 3, []byte("4"), key), nil, errProtocol},
		{"continuation first", clientFrame(true, opContinuation, []byte("4"), key), nil, errProtocol},
		{"data frame inside a fragmented message", cat(
			clientFrame(false, opText, []byte("4a"), key),
			clientFrame(true, opBinary, []byte("b"), key),
		), nil, errProtocol},
		{"fragmented control frame", clientFrame(false, opPing, []byte("p"), key), nil, errProtocol},
		{"control frame over 125 bytes", clientFrame(true, opPing, make([]byte, 126), key), nil, errProtocol},
		{"over the limit", clientFrame(true, opText, []byte(mid), key), nil, errReadLimit},
		{"over the limit in fragments", cat(
			clientFrame(false, opText, []byte(strings.Repeat("y", 200)), key),
			clientFrame(true, opContinuation, []byte(strings.Repeat("y", 57)), key),
		), nil, errReadLimit},
		{"length with the top bit set", append([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1}, key[:]...), nil, errReadLimit},
		{"truncated payload", clientFrame(true, opText, []byte("4hello"), key)[:8], nil, io.ErrUnexpectedEOF},
		{"truncated header", []byte{0x81, 0xfe, 0x01}, nil, io.EOF},
	}
	for _, tc := range tests {
		limit := 100_000
		if errors.Is(tc.err, errReadLimit) {
			limit = 256
		}
		for _, oneByte := range []bool{false, true} {
			got, err := readAll(tc.input, limit, oneByte)
			if !errors.Is(err, tc.err) {
				t.Errorf("%s (one byte at a time: %v): error %v, want %v", tc.name, oneByte, err, tc.err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("%s (one byte at a time: %v): %d frames, want %d", tc.name, oneByte, len(got), len(tc.want))
				continue
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("%s (one byte at a time: %v): frame %d = %v %q, want %v %q", tc.name, oneByte, i,
						got[i].op, trim(got[i].data), tc.want[i].op, trim(tc.want[i].data))
				}
			}
		}
	}
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// TestFrameReaderPayloadsOwned: a payload stays intact while the reader
// goes on (it does not point into the reader's pooled buffer).
func TestFrameReaderPayloadsOwned(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	var in []byte
	for i := range 50 {
		in = append(in, clientFrame(true, opText, []byte(strings.Repeat(string(rune('a'+i%26)), 10+i)), key)...)
	}
	f := &frameReader{conn: readerConn{bytes.NewReader(in)}, limit: 1000}
	var kept [][]byte
	for {
		_, data, err := f.next(readBlock)
		if err != nil {
			break
		}
		f.release()
		kept = append(kept, data)
	}
	for i, d := range kept {
		if want := strings.Repeat(string(rune('a'+i%26)), 10+i); string(d) != want {
			t.Fatalf("payload %d changed to %q", i, d)
		}
	}
}

func TestUnmask(t *testing.T) {
	for n := range 40 {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i * 7)
		}
		key := [4]byte{0xa1, 0xb2, 0xc3, 0xd4}
		got := append([]byte(nil), p...)
		unmask(got, key)
		for i := range p {
			if got[i] != p[i]^key[i%4] {
				t.Fatalf("len %d: byte %d = %#x, want %#x", n, i, got[i], p[i]^key[i%4])
			}
		}
	}
}

// FuzzFrameReader: any input ends in a clean error, never a panic, and no
// message over the limit comes out; messages encoded by a client, cut in
// any fragments, come out whole.
func FuzzFrameReader(f *testing.F) {
	key := [4]byte{9, 8, 7, 6}
	f.Add(clientFrame(true, opText, []byte("42[\"ping\",1]"), key), uint64(1))
	f.Add(append(clientFrame(false, opBinary, []byte{1, 2}, key), clientFrame(true, opContinuation, []byte{3}, key)...), uint64(2))
	f.Add(clientFrame(true, opClose, []byte{3, 232}, key), uint64(3))
	f.Add([]byte{0x81, 0xfe, 0xff, 0xff}, uint64(4))
	f.Fuzz(func(t *testing.T, input []byte, seed uint64) {
		const limit = 512
		frames, _ := readAll(input, limit, false)
		for _, fr := range frames {
			if len(fr.data) > limit {
				t.Fatalf("message of %d bytes over the limit %d", len(fr.data), limit)
			}
		}
		// Round trip: the input as one message, cut into fragments.
		rng := rand.New(rand.NewPCG(seed, seed>>7))
		msg := input
		if len(msg) > limit {
			msg = msg[:limit]
		}
		var wire []byte
		op := opText
		for first := true; ; first = false {
			n := rng.IntN(len(msg) + 1)
			var k [4]byte
			binary.LittleEndian.PutUint32(k[:], rng.Uint32())
			fop := opContinuation
			if first {
				fop = op
			}
			fin := n == len(msg)
			wire = append(wire, clientFrame(fin, fop, msg[:n], k)...)
			msg = msg[n:]
			if fin {
				break
			}
			if rng.IntN(3) == 0 {
				wire = append(wire, clientFrame(true, opPing, []byte("x"), k)...)
			}
		}
		got, err := readAll(wire, limit, rng.IntN(2) == 0)
		if !errors.Is(err, io.EOF) {
			t.Fatalf("error %v", err)
		}
		var data []gotFrame
		for _, g := range got {
			if g.op != opPing {
				data = append(data, g)
			}
		}
		want := input
		if len(want) > limit {
			want = want[:limit]
		}
		if len(data) != 1 || data[0].op != op || data[0].data != string(want) {
			t.Fatalf("got %v, want one text message %q", data, want)
		}
	})
}

// BenchmarkFrameReader: client frames as the server reads them, 100 per
// pass (go test -bench FrameReader -benchmem ./core/engineio).
func BenchmarkFrameReader(b *testing.B) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	one := clientFrame(true, opText, []byte(`42["ping",{"t":1764190000000000000,"seq":12345}]`), key)
	var in []byte
	for range 100 {
		in = append(in, one...)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	r := bytes.NewReader(in)
	f := &frameReader{conn: readerConn{r}, limit: 1 << 20}
	for b.Loop() {
		r.Reset(in)
		for range 100 {
			if _, _, err := f.next(readBlock); err != nil {
				b.Fatal(err)
			}
		}
		f.release()
	}
}
