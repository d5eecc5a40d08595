package client

import (
	"encoding/json"
	"errors"

	"github.com/hubkit/hub/socketio"
)

// DisconnectReason says why a socket disconnected: one of the Reason constants, the words
// of socket.io-client. A "disconnect" handler takes it as a func(DisconnectReason) or, as in
// JavaScript, a func(reason string).
type DisconnectReason string

// Disconnect reasons, passed to "disconnect" handlers.
const (
	// ReasonServerDisconnect: the server disconnected the socket (socket.disconnect()).
	// The socket does not reconnect by itself.
	ReasonServerDisconnect DisconnectReason = "io server disconnect"
	// ReasonClientDisconnect: the client disconnected the socket ([Socket.Disconnect],
	// [Socket.Close], [Manager.Close]).
	ReasonClientDisconnect DisconnectReason = "io client disconnect"
	// ReasonTransportClose: the connection was closed (the server closed it, for example).
	ReasonTransportClose DisconnectReason = "transport close"
	// ReasonTransportError: the connection failed.
	ReasonTransportError DisconnectReason = "transport error"
	// ReasonPingTimeout: the server sent no ping within pingInterval + pingTimeout.
	ReasonPingTimeout DisconnectReason = "ping timeout"
	// ReasonParseError: the server sent a packet that does not decode.
	ReasonParseError DisconnectReason = "parse error"
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
	// connect_error, disconnect, disconnecting, newListener, removeListener). It is
	// [socketio.ErrReservedEvent], shared with the server.
	ErrReservedEvent = socketio.ErrReservedEvent

	// ErrBadArguments is matched by every *[DecodeError]: event arguments that do not fit
	// the handler. It is [socketio.ErrBadArguments], shared with the server.
	ErrBadArguments = socketio.ErrBadArguments

	// ErrAckAlreadySent is returned by an [AckFunc] called more than once: only the first
	// call answers. It is [socketio.ErrAckAlreadySent], shared with the server.
	ErrAckAlreadySent = socketio.ErrAckAlreadySent
)

// ConnectError is the server's refusal of a namespace connection, a CONNECT_ERROR packet:
// a connection middleware failed (next(err) in Node), or the namespace does not exist.
// "connect_error" handlers receive it, and [Socket.Connect] and [Dial] return it.
type ConnectError struct {
	Message string          // the error's message
	Data    json.RawMessage // the error's data (Node's err.data), nil when absent
}

func (e *ConnectError) Error() string { return "client: connect error: " + e.Message }

// DecodeError reports an event whose arguments do not fit the parameters of its handler.
// It goes to the socket's [Socket.OnError] hook, and the handler is not called; it matches
// [ErrBadArguments]. It is hub's DecodeError too; see [socketio.DecodeError].
type DecodeError = socketio.DecodeError

// PanicError is a panic recovered from a handler, with its value and stack; it goes to the
// socket's [Socket.OnError] hook (logged when there is none). It is hub's PanicError too;
// see [socketio.PanicError].
type PanicError = socketio.PanicError
