package hub

import "github.com/hubkit/hub/socketio"

// Parser is the wire format of Socket.IO packets, set by [Options.Parser]; see
// [socketio.Parser].
type Parser = socketio.Parser

// MsgpackParser returns the parser of the npm package socket.io-msgpack-parser, for
// [Options.Parser]: each packet is one MessagePack message, binary values inline. Clients
// must use it too (the official client's parser option, client.Options.Parser, or the served
// socket.io.msgpack.min.js). See [socketio.MsgpackParser] for how values JSON cannot hold
// arrive.
func MsgpackParser() Parser { return socketio.MsgpackParser() }
