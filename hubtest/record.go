package hubtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/socketio"
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

// recorded is one event's arguments; client Args are immutable and may be kept.
type recorded = client.Args

// Record starts recording the events called event that s receives, from now on; register
// it before the events can arrive (before Connect, for events the server emits on
// connection). The socket's own events can be recorded too: "connect" (no arguments),
// "disconnect" (the reason: decode it into a client.DisconnectReason or a string) and "connect_error" (the error's message, a string,
// and its data, JSON null when there is none).
func Record(s *client.Socket, event string) *Recorder {
	r := &Recorder{event: event, arrived: make(chan struct{})}
	switch event {
	case "connect":
		s.On(event, func() { r.add(client.Args{}) })
	case "disconnect":
		s.On(event, func(reason string) { r.add(argsOf(reason)) })
	case "connect_error":
		s.On(event, func(err error) {
			msg, data := err.Error(), json.RawMessage("null")
			if ce := (*client.ConnectError)(nil); errors.As(err, &ce) {
				msg = ce.Message
				if ce.Data != nil {
					data = bytes.Clone(ce.Data)
				}
			}
			r.add(argsOf(msg, data))
		})
	default:
		s.OnAny(func(ev string, args client.Args) {
			if ev == event {
				r.add(args)
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
			return decode(e, v)
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

// decode decodes args into v, in order; v past the arguments decode JSON null.
func decode(args client.Args, v []any) error {
	for i, p := range v {
		if err := args.Decode(i, p); err != nil {
			return fmt.Errorf("hubtest: %w", err)
		}
	}
	return nil
}

// argsOf returns the Args of values, marshalled as JSON.
func argsOf(values ...any) client.Args {
	data, err := json.Marshal(values)
	if err != nil {
		panic(err)
	}
	args, err := socketio.NewArgs(data, nil)
	if err != nil {
		panic(err)
	}
	return args
}
