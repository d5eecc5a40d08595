package hub

import (
	"encoding/json"
	"testing"
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
	handlers := []eventHandler{
		newEventHandler(func(a string, b int, c point) {}),
		newEventHandler(func(args ...any) {}),
		newEventHandler(func(b []byte, m map[string]map[string][]byte, ack Ack) error { return nil }),
		newEventHandler(func(p *point, f float64, rest ...json.RawMessage) {}),
		newEventHandler(func(args Args) { args.Values(); _ = args.String() }),
	}
	f.Fuzz(func(t *testing.T, data string, n uint8) {
		att := make([][]byte, n%4)
		for i := range att {
			att[i] = []byte{byte(i)}
		}
		args, err := NewArgs(json.RawMessage(data), att)
		if err != nil {
			return
		}
		for _, h := range handlers {
			h(args, noAck)
		}
		args.Values()
	})
}
