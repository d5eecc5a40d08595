package hubtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/internal/parser"
)

// Recorder keeps, in arrival order, the events of one name a client socket receives, for a
// test to take one at a time with [Recorder.Next]. It keeps every event until taken. Its
// methods are safe for concurrent use.
type Recorder struct {
	event string

	mu      sync.Mutex
	events  []recorded    // received, not yet taken; guarded by mu
	arrived chan struct{} // closed and replaced when an event arrives; guarded by mu
}

// recorded is one event's arguments, copied out of the client's buffers.
type recorded struct {
	args        []json.RawMessage // binary values as placeholders
	attachments [][]byte          // what the placeholders refer to
}

// Record starts recording the events called event that s receives, from now on; register
// it before the events can arrive (before Connect, for events the server emits on
// connection). The socket's own events can be recorded too: "connect" (no arguments),
// "disconnect" (the reason, a string) and "connect_error" (the error's message, a string,
// and its data, JSON null when there is none).
func Record(s *client.Socket, event string) *Recorder {
	r := &Recorder{event: event, arrived: make(chan struct{})}
	switch event {
	case "connect":
		s.On(event, func() { r.add(recorded{}) })
	case "disconnect":
		s.On(event, func(reason string) { r.add(recorded{args: []json.RawMessage{mustJSON(reason)}}) })
	case "connect_error":
		s.On(event, func(err error) {
			msg, data := err.Error(), json.RawMessage("null")
			if ce := (*client.ConnectError)(nil); errors.As(err, &ce) {
				msg = ce.Message
				if ce.Data != nil {
					data = bytes.Clone(ce.Data)
				}
			}
			r.add(recorded{args: []json.RawMessage{mustJSON(msg), data}})
		})
	default:
		s.OnAny(func(ev string, args client.Args) {
			if ev == event {
				r.add(keep(args))
			}
		})
	}
	return r
}

// Next waits for the oldest event not yet taken, takes it and decodes its arguments into v,
// in order, as [client.Args.Decode] does: binary values become []byte. Arguments past
// len(v) are ignored; v past the arguments decode JSON null. Next returns an error when ctx
// is done first, and when an argument does not decode (the event is taken all the same).
func (r *Recorder) Next(ctx context.Context, v ...any) error {
	for {
		r.mu.Lock()
		if len(r.events) > 0 {
			e := r.events[0]
			r.events = r.events[1:]
			r.mu.Unlock()
			return e.decode(v)
		}
		arrived := r.arrived
		r.mu.Unlock()
		select {
		case <-arrived:
		case <-ctx.Done():
			return fmt.Errorf("hubtest: waiting for %q: %w", r.event, context.Cause(ctx))
		}
	}
}

// Len returns the number of events received and not yet taken.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *Recorder) add(e recorded) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	close(r.arrived)
	r.arrived = make(chan struct{})
}

func (e recorded) decode(v []any) error {
	for i, p := range v {
		raw := json.RawMessage("null")
		if i < len(e.args) {
			raw = e.args[i]
		}
		if err := parser.UnmarshalArg(raw, e.attachments, p); err != nil {
			return fmt.Errorf("hubtest: argument %d: %w", i, err)
		}
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// keep copies what an event handler is given, which it may not keep: the arguments' JSON,
// and the binary attachments their placeholders refer to, recovered by decoding each
// argument that has placeholders both as it is and with its binary values, side by side.
func keep(args client.Args) recorded {
	e := recorded{args: make([]json.RawMessage, args.Len())}
	for i := range e.args {
		raw := bytes.Clone(args.Raw(i))
		e.args[i] = raw
		if !bytes.Contains(raw, []byte(`"_placeholder"`)) {
			continue
		}
		var shape, values any
		if json.Unmarshal(raw, &shape) != nil || args.Decode(i, &values) != nil {
			continue // Next reports it
		}
		e.attachments = collect(shape, values, e.attachments)
	}
	return e
}

// collect walks shape, an argument decoded with its placeholders, beside values, the same
// argument with the binary data in their place, and sets atts[num] for every placeholder.
func collect(shape, values any, atts [][]byte) [][]byte {
	switch sh := shape.(type) {
	case map[string]any:
		if b, ok := values.([]byte); ok && sh["_placeholder"] == true {
			if n, ok := sh["num"].(float64); ok && n >= 0 && n < 1<<16 && n == float64(int(n)) {
				for len(atts) <= int(n) {
					atts = append(atts, nil)
				}
				atts[int(n)] = bytes.Clone(b)
			}
			return atts
		}
		vm, _ := values.(map[string]any)
		for k, v := range sh {
			atts = collect(v, vm[k], atts)
		}
	case []any:
		vs, _ := values.([]any)
		for i, v := range sh {
			if i < len(vs) {
				atts = collect(v, vs[i], atts)
			}
		}
	}
	return atts
}
