package sio

import (
	"encoding/json"
	"testing"

	"github.com/hubkit/hub/socketio"
)

// FuzzEventHandler feeds arbitrary argument arrays to typed handlers: whatever a client
// sends, decoding reports an error or calls the handler, and never panics.
func FuzzEventHandler(f *testing.F) {
	f.Add(`["a",1,{"X":2}]`, uint8(0))
	f.Add(`[{"_placeholder":true,"num":0},{"m":{"k":{"_placeholder":true,"num":1}}}]`, uint8(2))
	f.Add(`[{"_placeholder":true,"num":5}]`, uint8(1))
	f.Add(`[1e400,"\ud800",null,[[[]]]]`, uint8(0))
	type point struct {
		X, Y int
		B    []byte
	}
	handlers := []Handler{
		mustHandler(func(a string, b int, c point) {}),
		mustHandler(func(args ...any) {}),
		mustHandler(func(b []byte, m map[string]map[string][]byte, ack socketio.Ack) error { return nil }),
		mustHandler(func(p *point, f float64, rest ...json.RawMessage) {}),
		mustHandler(func(args socketio.Args) { args.Values(); _ = args.String() }),
	}
	f.Fuzz(func(t *testing.T, data string, n uint8) {
		att := make([][]byte, n%4)
		for i := range att {
			att[i] = []byte{byte(i)}
		}
		args, err := socketio.NewArgs(json.RawMessage(data), att)
		if err != nil {
			return
		}
		for _, h := range handlers {
			_ = h("ev", args, NoAck)
		}
		args.Values()
	})
}

func mustHandler(fn any) Handler {
	h, err := NewHandler(fn)
	if err != nil {
		panic(err)
	}
	return h
}
