package hub

import (
	"encoding/json"
	"errors"

	"github.com/hubkit/hub/socketio"
)

// Errors returned by the Socket.IO layer. Compare with [errors.Is]; the returned errors wrap
// them with detail.
var (
	// ErrReservedEvent is returned by Emit for the event names the protocol reserves
	// ("connect", "connect_error", "disconnect", "disconnecting", "newListener",
	// "removeListener"). It is [socketio.ErrReservedEvent], shared with the client.
	ErrReservedEvent = socketio.ErrReservedEvent
	// ErrDisconnected is returned by operations on a socket that has disconnected; the
	// wrapping error names the disconnect reason.
	ErrDisconnected = errors.New("hub: socket disconnected")
	// ErrBadArguments reports event arguments that do not fit the handler's parameter types:
	// every *[DecodeError] matches it. It reaches [Options.OnError], never the client. It is
	// [socketio.ErrBadArguments], shared with the client.
	ErrBadArguments = socketio.ErrBadArguments
	// ErrAckAlreadySent is returned by an [Ack] called more than once: only the first call
	// answers. It is [socketio.ErrAckAlreadySent], shared with the client.
	ErrAckAlreadySent = socketio.ErrAckAlreadySent
	// ErrParentNamespace is returned by operations a dynamic parent namespace cannot do
	// (FetchSockets), as in the Node server.
	ErrParentNamespace = errors.New("hub: not supported on a dynamic parent namespace")
	// ErrServerClosed is returned by the operations of a namespace — emits, broadcasts,
	// FetchSockets, SocketsJoin…, ServerSideEmit — once Shutdown or Close has closed its
	// adapter. (Handlers running during Shutdown, such as disconnect handlers, may still
	// broadcast: to the other servers of a cluster, say.)
	ErrServerClosed = errors.New("hub: server closed")
)

// DecodeError reports an event whose arguments do not fit the parameters of its handler; it
// goes to [Options.OnError] and matches [ErrBadArguments]. See [socketio.DecodeError].
type DecodeError = socketio.DecodeError

// PanicError is a panic recovered from an event handler or listener, with its value and
// stack; it goes to [Options.OnError] (logged when OnError is not set). See
// [socketio.PanicError].
type PanicError = socketio.PanicError

// ConnectError is the error a connection middleware returns to refuse a socket with data the
// client receives: the client's "connect_error" listener gets an Error whose message is
// Message and whose data is Data (marshalled as JSON). Any other error refuses the socket
// with its text as the message and no data.
type ConnectError struct {
	Message string
	Data    any // optional; must marshal to JSON
}

// Error returns e.Message.
func (e *ConnectError) Error() string { return e.Message }

// connectErrorPayload builds the CONNECT_ERROR payload {"message":…,"data":…} for err.
func connectErrorPayload(err error) json.RawMessage {
	var payload struct {
		Message string `json:"message"`
		Data    any    `json:"data,omitempty"`
	}
	payload.Message = err.Error()
	if ce := (*ConnectError)(nil); errors.As(err, &ce) {
		payload.Message = ce.Message
		payload.Data = ce.Data
	}
	b, mErr := marshalJSON(payload)
	if mErr != nil {
		payload.Data = nil
		b, _ = marshalJSON(payload)
	}
	return b
}
