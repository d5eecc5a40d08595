package eio_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/hubkit/hub/internal/eio"
)

// benchPayload is a polling payload of n 100-byte-string events, a ping and a binary message.
func benchPayload(n int) []eio.Packet {
	event := []byte(`2["bcast","` + string(bytes.Repeat([]byte("x"), 100)) + `"]`)
	pkts := make([]eio.Packet, 0, n+2)
	for range n {
		pkts = append(pkts, eio.Packet{Type: eio.Message, Data: event})
	}
	pkts = append(pkts, eio.Packet{Type: eio.Ping}, eio.Packet{Type: eio.Message, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}, Binary: true})
	return pkts
}

func BenchmarkAppendText(b *testing.B) {
	p := benchPayload(1)[0]
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = eio.AppendText(buf[:0], p)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeText(b *testing.B) {
	data := eio.AppendText(nil, benchPayload(1)[0])
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eio.DecodeText(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendPayload(b *testing.B) {
	for _, n := range []int{1, 16} {
		pkts := benchPayload(n)
		b.Run(strconv.Itoa(n)+"events", func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				buf = eio.AppendPayload(buf[:0], pkts)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func BenchmarkDecodePayload(b *testing.B) {
	for _, n := range []int{1, 16} {
		data := eio.AppendPayload(nil, benchPayload(n))
		b.Run(strconv.Itoa(n)+"events", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := eio.DecodePayload(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
