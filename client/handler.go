package client

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/hubkit/hub/internal/parser"
)

// Args are the arguments of a received event or acknowledgement, decoded on demand. Binary
// values (sent as attachments) decode into []byte, at any depth. An Args must not be used
// after the handler it was given to returns unless the handler owns it (an [Socket.EmitWithAck]
// result is the caller's to keep).
type Args struct {
	raw         []json.RawMessage
	attachments [][]byte
}

// Len returns the number of arguments.
func (a Args) Len() int { return len(a.raw) }

// Raw returns argument i as JSON, binary values still as {"_placeholder":true,"num":N}
// objects; nil when i is out of range.
func (a Args) Raw(i int) json.RawMessage {
	if i < 0 || i >= len(a.raw) {
		return nil
	}
	return a.raw[i]
}

// Decode decodes argument i into v, a non-nil pointer, as encoding/json does, with binary
// values decoded into []byte (or, in an any, as []byte). An absent argument decodes as JSON
// null (v is left alone for most types), as a missing argument is undefined in JavaScript.
func (a Args) Decode(i int, v any) error {
	if err := parser.UnmarshalArgAt(a.raw, a.attachments, i, v); err != nil {
		return fmt.Errorf("client: argument %d: %w", i, err)
	}
	return nil
}

// Values returns the arguments ready to emit again: each argument without binary data as
// its json.RawMessage (bytes and key order kept), the others decoded into an any with binary
// data as []byte. It is the way to relay what the server sent.
func (a Args) Values() []any { return parser.ArgValues(a.raw, a.attachments) }

// AckFunc answers an event the server sent with an acknowledgement id: the server's ack
// callback receives args. Only the first call sends; later calls return an error. It is
// safe to call from any goroutine, and never blocks. When the server asked for no
// acknowledgement, calling it does nothing.
//
// A handler that takes an AckFunc (or any func(...any) error or func(...any)) as its last
// parameter receives one.
type AckFunc func(args ...any) error

// handler is an event handler adapted by reflection.
type handler struct {
	fn       reflect.Value
	params   []reflect.Type // the argument parameters, excluding the ack
	variadic bool           // the last of params is a ...T: it takes the remaining arguments
	ack      reflect.Type   // type of the trailing ack parameter, nil if none
	retErr   bool           // fn returns an error
}

var (
	errorType   = reflect.TypeFor[error]()
	ackFuncType = reflect.TypeFor[func(...any) error]()
	ackProcType = reflect.TypeFor[func(...any)]()
)

// newHandler checks that fn is a func whose parameters can take decoded arguments.
func newHandler(fn any) (*handler, error) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return nil, fmt.Errorf("client: handler must be a non-nil func, not %T", fn)
	}
	t := v.Type()
	h := &handler{fn: v, variadic: t.IsVariadic()}
	n := t.NumIn()
	if n > 0 && !h.variadic && isAckType(t.In(n-1)) {
		h.ack = t.In(n - 1)
		n--
	}
	for i := range n {
		h.params = append(h.params, t.In(i))
	}
	switch {
	case t.NumOut() == 1 && t.Out(0) == errorType:
		h.retErr = true
	case t.NumOut() != 0:
		return nil, fmt.Errorf("client: handler %T may only return an error", fn)
	}
	return h, nil
}

func isAckType(t reflect.Type) bool {
	return t.Kind() == reflect.Func && (t.ConvertibleTo(ackFuncType) || t.ConvertibleTo(ackProcType))
}

// call decodes args into the handler's parameters and calls it. Missing arguments are zero
// values and extra ones are ignored, as in JavaScript. An argument that does not fit is a
// *DecodeError, and the handler is not called.
func (h *handler) call(event string, args Args, ack AckFunc) error {
	in := make([]reflect.Value, 0, len(h.params)+1)
	fixed := len(h.params)
	if h.variadic {
		fixed--
	}
	for i := range fixed {
		p := reflect.New(h.params[i])
		if i < args.Len() {
			if err := parser.UnmarshalArg(args.raw[i], args.attachments, p.Interface()); err != nil {
				return &DecodeError{Event: event, Arg: i, Err: err}
			}
		}
		in = append(in, p.Elem())
	}
	if h.variadic {
		elem := h.params[fixed].Elem()
		for i := fixed; i < args.Len(); i++ {
			p := reflect.New(elem)
			if err := parser.UnmarshalArg(args.raw[i], args.attachments, p.Interface()); err != nil {
				return &DecodeError{Event: event, Arg: i, Err: err}
			}
			in = append(in, p.Elem())
		}
	}
	if h.ack != nil {
		in = append(in, ackValue(h.ack, ack))
	}
	out := h.fn.Call(in)
	if h.retErr && !out[0].IsNil() {
		return out[0].Interface().(error)
	}
	return nil
}

// ackValue makes a value of the handler's ack parameter type that calls ack.
func ackValue(t reflect.Type, ack AckFunc) reflect.Value {
	if ack == nil {
		ack = func(...any) error { return nil }
	}
	if t.ConvertibleTo(ackFuncType) {
		return reflect.ValueOf((func(...any) error)(ack)).Convert(t)
	}
	return reflect.ValueOf(func(args ...any) { ack(args...) }).Convert(t)
}

// reservedHandler adapts the handler of a reserved event: "connect" takes no argument,
// "disconnect" an optional reason string, "connect_error" an optional error.
func reservedHandler(event string, fn any) (func(arg any), error) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return nil, fmt.Errorf("client: handler must be a non-nil func, not %T", fn)
	}
	t := v.Type()
	if t.NumOut() != 0 || t.IsVariadic() {
		return nil, fmt.Errorf("client: %q handler %T: want %s", event, fn, reservedSignature(event))
	}
	var want reflect.Type
	switch event {
	case "connect":
	case "disconnect":
		want = reflect.TypeFor[string]()
	case "connect_error":
		want = errorType
	default:
		return nil, fmt.Errorf("client: %q is a reserved event name", event)
	}
	switch {
	case t.NumIn() == 0:
		return func(any) { v.Call(nil) }, nil
	case t.NumIn() == 1 && want != nil && t.In(0) == want:
		return func(arg any) { v.Call([]reflect.Value{reflect.ValueOf(&arg).Elem().Elem().Convert(want)}) }, nil
	}
	return nil, fmt.Errorf("client: %q handler %T: want %s", event, fn, reservedSignature(event))
}

func reservedSignature(event string) string {
	switch event {
	case "disconnect":
		return "func() or func(reason string)"
	case "connect_error":
		return "func() or func(err error)"
	}
	return "func()"
}
