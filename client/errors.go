package client

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Disconnect reasons, the words of socket.io-client, passed to "disconnect" handlers.
const (
	// ReasonServerDisconnect: the server disconnected the socket (socket.disconnect()).
	// The socket does not reconnect by itself.
	ReasonServerDisconnect = "io server disconnect"
	// ReasonClientDisconnect: the client disconnected the socket ([Socket.Disconnect],
	// [Socket.Close], [Manager.Close]).
	ReasonClientDisconnect = "io client disconnect"
	// ReasonTransportClose: the connection was closed (the server closed it, for example).
	ReasonTransportClose = "transport close"
	// ReasonTransportError: the connection failed.
	ReasonTransportError = "transport error"
	// ReasonPingTimeout: the server sent no ping within pingInterval + pingTimeout.
	ReasonPingTimeout = "ping timeout"
	// ReasonParseError: the server sent a packet that does not decode.
	ReasonParseError = "parse error"
)

var (
	// ErrQueueFull is returned by an emit that finds the send queue (or, while the socket
	// is not connected, its buffer) full; see [Options.SendQueue]. Nothing was sent.
	ErrQueueFull = errors.New("client: send queue full")

	// ErrClosed is returned by operations on a socket or manager that has been closed.
	ErrClosed = errors.New("client: closed")

	// ErrDisconnected fails an [Socket.EmitWithAck] whose event had been sent when the
	// socket disconnected: the acknowledgement will not come.
	ErrDisconnected = errors.New("client: socket has been disconnected")

	// ErrReconnectFailed is returned by [Socket.Connect] when the reconnection attempts
	// ([Options.ReconnectionAttempts]) are exhausted.
	ErrReconnectFailed = errors.New("client: reconnection attempts exhausted")

	// ErrMessageTooBig fails a connection on which the server sent a message larger than
	// [Options.MaxMessageSize].
	ErrMessageTooBig = errors.New("client: message from the server exceeds Options.MaxMessageSize")

	// ErrReservedEvent is returned by an emit of a reserved event name (connect,
	// connect_error, disconnect, disconnecting, newListener, removeListener).
	ErrReservedEvent = errors.New("client: reserved event name")
)

// ConnectError is the server's refusal of a namespace connection, a CONNECT_ERROR packet:
// a connection middleware failed (next(err) in Node), or the namespace does not exist.
// "connect_error" handlers receive it, and [Socket.Connect] and [Dial] return it.
type ConnectError struct {
	Message string          // the error's message
	Data    json.RawMessage // the error's data (Node's err.data), nil when absent
}

func (e *ConnectError) Error() string { return "client: connect error: " + e.Message }

// DecodeError reports an event whose arguments do not fit the parameters of its handler
// (or a payload that cannot be decoded at all). It goes to the socket's [Socket.OnError]
// hook, and the handler is not called.
type DecodeError struct {
	Event string // the event name
	Arg   int    // index of the argument that does not fit
	Err   error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("client: event %q: argument %d: %v", e.Event, e.Arg, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }
