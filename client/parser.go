package client

import "github.com/hubkit/hub/socketio"

// Parser is the wire format of Socket.IO packets, set by [Options.Parser]; see
// [socketio.Parser].
type Parser = socketio.Parser

// MsgpackParser returns the parser of the npm package socket.io-msgpack-parser, for
// [Options.Parser]: for a server configured with it (hub's MsgpackParser, or Node's parser
// option). See [socketio.MsgpackParser].
func MsgpackParser() Parser { return socketio.MsgpackParser() }
