package sio

import "testing"

// Parser micro-benchmarks: go test -bench . -benchmem ./core/internal/sio

func BenchmarkDecodeEvent(b *testing.B) {
	text := []byte(`2["ping",{"t":1764190000000000000,"seq":12345,"p":"fanout"}]`)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(text, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBinaryEvent(b *testing.B) {
	text := []byte(`51-/chat,7["upload",{"name":"a.png","data":{"_placeholder":true,"num":0}}]`)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(text, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitArray(b *testing.B) {
	data := []byte(`["bcast","bench",{"t":1764190000000000000,"seq":12345,"p":"fanout","tags":["a","b"]}]`)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SplitArray(data); err != nil {
			b.Fatal(err)
		}
	}
}
