package eio

import "testing"

// Parser micro-benchmarks: go test -bench . -benchmem ./core/internal/eio

func BenchmarkDecode(b *testing.B) {
	text := []byte(`42["ping",{"t":1764190000000000000,"seq":12345}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePayload(b *testing.B) {
	body := []byte("42[\"a\",1]\x1e42[\"b\",2]\x1e3\x1ebAQIDBA==\x1e42[\"c\",{\"k\":\"v\"}]")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodePayload(body); err != nil {
			b.Fatal(err)
		}
	}
}
