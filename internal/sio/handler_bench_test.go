package sio

import (
	"encoding/json"
	"testing"

	"github.com/hubkit/hub/socketio"
)

// handlerShapes are the handler shapes of BenchmarkHandler and TestFastPathAllocations:
// the first ones take the fast paths.
var handlerShapes = []struct {
	name string
	fn   any
	fast bool
}{
	{"string", func(string) {}, true},
	{"string-ack", func(string, socketio.Ack) {}, true},
	{"args", func(socketio.Args) {}, true},
	{"reflect-string-int", func(string, int) {}, false},
	{"reflect-struct", func(struct{ A, B int }) {}, false},
}

func benchArgs(tb testing.TB) socketio.Args {
	a, err := socketio.NewArgs(json.RawMessage(`["hello",2]`), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func BenchmarkHandler(b *testing.B) {
	args := benchArgs(b)
	for _, c := range handlerShapes {
		h, err := NewHandler(c.fn)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h("ev", args, NoAck)
			}
		})
	}
}

// TestFastPathAllocations: the commonest handler shapes are called without reflection
// and without allocating, but for the string a string parameter receives.
func TestFastPathAllocations(t *testing.T) {
	args := benchArgs(t)
	for _, c := range handlerShapes {
		if !c.fast {
			continue
		}
		h, err := NewHandler(c.fn)
		if err != nil {
			t.Fatal(err)
		}
		want := 0.0
		if c.name != "args" {
			want = 1 // the string
		}
		if n := testing.AllocsPerRun(100, func() { h("ev", args, NoAck) }); n != want {
			t.Errorf("%s: %v allocations per call; want %v", c.name, n, want)
		}
	}
}
