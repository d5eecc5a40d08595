package socketio

import (
	"errors"
	"fmt"
)

var (
	// ErrBadArguments reports event arguments that do not fit the handler's parameter
	// types. Every *[DecodeError] matches it with [errors.Is].
	ErrBadArguments = errors.New("socketio: event arguments do not fit the handler")

	// ErrAckAlreadySent is returned by an [Ack] called a second time: only the first call
	// answers (the Node ends ignore later calls; Go tells the programmer).
	ErrAckAlreadySent = errors.New("socketio: acknowledgement already sent")

	// ErrReservedEvent is returned by an emit of an event name the protocol reserves
	// ("connect", "connect_error", "disconnect", "disconnecting", "newListener",
	// "removeListener").
	ErrReservedEvent = errors.New("socketio: reserved event name")
)

// DecodeError reports an event whose arguments do not fit the parameters of its handler:
// argument Arg could not be decoded into its parameter's type. The handler is not called;
// the error goes to the error hook of the end that received the event. It matches
// [ErrBadArguments] with [errors.Is], and unwraps to the decoding error.
type DecodeError struct {
	Event string // the event name
	Arg   int    // index of the argument that does not fit
	Err   error  // the decoding error
}

// Error returns the event, the argument and the decoding error.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("socketio: event %q: argument %d: %v", e.Event, e.Arg, e.Err)
}

// Unwrap returns e.Err.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrBadArguments].
func (e *DecodeError) Is(target error) bool { return target == ErrBadArguments }

// PanicError is a panic recovered from an event handler (or a listener), reported to the
// error hook of the end that ran it instead of ending the process.
type PanicError struct {
	Event string // the event whose handler panicked
	Value any    // the value passed to panic
	Stack []byte // the handler goroutine's stack when it panicked
}

// Error returns the event and the panic value; the stack is in e.Stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("socketio: handler for %q panicked: %v", e.Event, e.Value)
}

// Unwrap returns the panic value when it is an error (panic(err)), so that errors.Is and
// errors.As see it; nil otherwise.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Ack answers the other end's acknowledgement callback with args, which may hold []byte
// anywhere (sent as binary attachments). Only the first call sends anything; later calls do
// nothing and return [ErrAckAlreadySent]. An Ack is safe to call from any goroutine, also
// after the handler has returned, and never blocks on the network. The Ack given to a
// handler for an event that asked for no acknowledgement does nothing and returns nil.
type Ack func(args ...any) error
