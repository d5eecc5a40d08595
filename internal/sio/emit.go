package sio

import (
	"fmt"
	"runtime/debug"

	"github.com/hubkit/hub/internal/parser"
	"github.com/hubkit/hub/socketio"
)

// Reserved reports whether name is one of the event names neither end may emit: connect,
// connect_error, disconnect, disconnecting, newListener, removeListener.
func Reserved(name string) bool { return parser.ReservedEvent(name) }

// CheckName returns an error wrapping socketio.ErrReservedEvent when name may not be
// emitted.
func CheckName(name string) error {
	if Reserved(name) {
		return fmt.Errorf("%w: %q", socketio.ErrReservedEvent, name)
	}
	return nil
}

// AppendEvent checks event's name and appends the payload [event, args...] of an emit to
// dst: the JSON array with placeholders, and the attachments (the caller's slices, not
// copies). prefix ("hub", "client") starts the error text.
func AppendEvent(dst []byte, prefix, event string, args []any) ([]byte, [][]byte, error) {
	if err := CheckName(event); err != nil {
		return dst, nil, err
	}
	all := make([]any, 0, 1+len(args))
	all = append(all, event)
	all = append(all, args...)
	data, att, err := parser.AppendArgs(dst, all)
	if err != nil {
		return dst, nil, fmt.Errorf("%s: emit %q: %w", prefix, event, err)
	}
	return data, att, nil
}

// AppendAck appends the payload of an acknowledgement answering with args: their JSON array
// (an empty one for none) and the attachments.
func AppendAck(dst []byte, prefix string, args []any) ([]byte, [][]byte, error) {
	if args == nil {
		args = []any{}
	}
	data, att, err := parser.AppendArgs(dst, args)
	if err != nil {
		return dst, nil, fmt.Errorf("%s: ack: %w", prefix, err)
	}
	return data, att, nil
}

// Call runs fn, a handler's invocation for event, and returns its error, or a
// *socketio.PanicError carrying the value and the stack if it panics.
func Call(event string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &socketio.PanicError{Event: event, Value: r, Stack: debug.Stack()}
		}
	}()
	return fn()
}
