package parser_test

import (
	"encoding/json"
	"testing"

	"github.com/hubkit/hub/internal/parser"
)

func BenchmarkAppend(b *testing.B) {
	p := parser.Packet{Type: parser.Event, Namespace: "/chat", ID: 42, Data: json.RawMessage(`["message",{"user":"ada","text":"hello, world"}]`)}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = p.Append(buf[:0])
	}
}

func BenchmarkAppendArgs(b *testing.B) {
	type message struct {
		User string `json:"user"`
		Text string `json:"text"`
	}
	type file struct {
		Name string `json:"name"`
		Data []byte `json:"data"`
	}
	for _, bm := range []struct {
		name string
		args []any
	}{
		{"strings", []any{"message", "ada", "hello, world"}},
		{"numbers", []any{"tick", 1, 2.5, int64(3)}},
		{"map", []any{"message", map[string]any{"user": "ada", "text": "hello", "n": 1}}},
		{"struct", []any{"message", message{"ada", "hello"}}},
		{"raw", []any{"message", json.RawMessage(`{"user":"ada","text":"hello"}`)}},
		{"binary", []any{"upload", file{"a.bin", make([]byte, 1024)}}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				buf, _, err = parser.AppendArgs(buf[:0], bm.args)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecoderText(b *testing.B) {
	for _, bm := range []struct{ name, wire string }{
		{"event", `2["message",{"user":"ada","text":"hello, world"}]`},
		{"namespace ack", `2/chat,42["message",{"user":"ada","text":"hello, world"}]`},
	} {
		b.Run(bm.name, func(b *testing.B) {
			msg := []byte(bm.wire)
			var d parser.Decoder
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Text(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUnmarshalArg(b *testing.B) {
	atts := [][]byte{make([]byte, 1024)}
	for _, bm := range []struct{ name, raw string }{
		{"plain", `{"name":"a.bin","size":1024}`},
		{"placeholder", `{"name":"a.bin","data":{"_placeholder":true,"num":0}}`},
	} {
		b.Run(bm.name, func(b *testing.B) {
			raw := json.RawMessage(bm.raw)
			b.ReportAllocs()
			for b.Loop() {
				var v struct {
					Name string `json:"name"`
					Size int    `json:"size"`
					Data []byte `json:"data"`
				}
				if err := parser.UnmarshalArg(raw, atts, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The hot paths do not allocate once dst has room.
func TestAllocs(t *testing.T) {
	p := parser.Packet{Type: parser.BinaryEvent, Namespace: "/chat", ID: 42, Data: json.RawMessage(`["m",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1}}}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = p.Append(buf[:0]) }); n != 0 {
		t.Errorf("Append: %v allocations; want 0", n)
	}
	args := []any{"message", "ada", 1, 2.5, true, nil, json.RawMessage(`{"a":1}`)}
	if n := testing.AllocsPerRun(100, func() { buf, _, _ = parser.AppendArgs(buf[:0], args) }); n != 0 {
		t.Errorf("AppendArgs: %v allocations; want 0", n)
	}
}
