package client

import (
	"fmt"
	"reflect"

	"github.com/hubkit/hub/socketio"
)

// Args are the arguments of a received event or acknowledgement, decoded on demand. Binary
// values (sent as attachments) decode into []byte, at any depth. An Args is immutable and
// safe to share: it may be kept after the handler it was given to returns. It is hub's
// Args too; see [socketio.Args].
type Args = socketio.Args

// AckFunc answers an event the server sent with an acknowledgement id: the server's ack
// callback receives args. Only the first call sends; later calls return
// [ErrAckAlreadySent]. It is safe to call from any goroutine, and never blocks. When the
// server asked for no acknowledgement, calling it does nothing. It is hub's Ack too; see
// [socketio.Ack].
//
// A handler that takes an AckFunc (or any func(...any) error or func(...any)) as its last
// parameter receives one.
type AckFunc = socketio.Ack

var errorType = reflect.TypeFor[error]()

// reservedHandler adapts the handler of a reserved event: "connect" takes no argument,
// "disconnect" an optional DisconnectReason (or string), "connect_error" an optional error.
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
		want = reflect.TypeFor[DisconnectReason]()
		if t.NumIn() == 1 && t.In(0) == reflect.TypeFor[string]() {
			want = t.In(0)
		}
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
		return "func(), func(reason client.DisconnectReason) or func(reason string)"
	case "connect_error":
		return "func() or func(err error)"
	}
	return "func()"
}
