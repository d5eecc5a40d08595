package packet_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/hubkit/hub/internal/engine/packet"
)

// benchPayload is a polling payload of n 100-byte-string events, a ping and a binary message.
func benchPayload(n int) []packet.Packet {
	event := []byte(`2["bcast","` + string(bytes.Repeat([]byte("x"), 100)) + `"]`)
	pkts := make([]packet.Packet, 0, n+2)
	for range n {
		pkts = append(pkts, packet.Packet{Type: packet.Message, Data: event})
	}
	pkts = append(pkts, packet.Packet{Type: packet.Ping}, packet.Packet{Type: packet.Message, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}, Binary: true})
	return pkts
}

func BenchmarkAppendText(b *testing.B) {
	p := benchPayload(1)[0]
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = packet.AppendText(buf[:0], p)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeText(b *testing.B) {
	data := packet.AppendText(nil, benchPayload(1)[0])
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := packet.DecodeText(data); err != nil {
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
				buf = packet.AppendPayload(buf[:0], pkts)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func BenchmarkDecodePayload(b *testing.B) {
	for _, n := range []int{1, 16} {
		data := packet.AppendPayload(nil, benchPayload(n))
		b.Run(strconv.Itoa(n)+"events", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := packet.DecodePayload(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
