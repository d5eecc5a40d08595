// Package socketio is the vocabulary the server ([github.com/hubkit/hub]) and the Go client
// ([github.com/hubkit/hub/client]) share: the arguments of an event ([Args]), the
// acknowledgement callback ([Ack]), the errors of both ends' handlers ([DecodeError],
// [PanicError], [ErrBadArguments], [ErrAckAlreadySent], [ErrReservedEvent]), the wire format
// of packets ([Parser], [MsgpackParser]), and the packet an adapter sees and forwards
// ([Packet], with [SplitEvent] and [AppendArgs] to read and build its payload, and the
// [Handshake] of the socket it describes).
//
// Applications rarely import it: hub and client name the same types (hub.Args, client.Args,
// hub.Ack, hub.Handshake, client.AckFunc are aliases of these). Adapter writers use it to handle packets
// without importing the server's internals.
//
// Everything here is safe for concurrent use: Args are immutable, and an Ack may be called
// from any goroutine.
package socketio
