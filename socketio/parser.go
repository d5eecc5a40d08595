package socketio

// Parser is the wire format of Socket.IO packets, Node's parser option. The zero Parser is
// the default one, socket.io-parser's JSON text with binary attachments; [MsgpackParser]
// is the other. Both ends of a connection must use the same one: a server with one parser
// cannot talk to clients of the other.
//
// A Parser is a comparable value, safe to copy and share.
type Parser struct {
	msgpack bool
}

// MsgpackParser returns the parser of the npm package socket.io-msgpack-parser: each packet
// is one MessagePack map {type, data, nsp, id} sent as one binary Engine.IO message, binary
// values inline at any depth. Handlers, acknowledgements and adapters see the same
// arguments as with the default parser (the packets are transcoded to and from JSON at the
// connection), so an application changes parser by changing this option alone.
//
// MessagePack values JSON cannot hold arrive as JavaScript's JSON.stringify would write them
// (undefined as null or left out, a Date as its ISO string, NaN and Infinity as null); an
// extension type other than notepack.io's as [type, bytes]; integers exactly, also past
// 2^53. A packet with a map key that is not a string or an integer, or with a map
// {"_placeholder": true}, is refused as one that does not decode.
func MsgpackParser() Parser { return Parser{msgpack: true} }

// String returns the parser's name: "json" or "msgpack".
func (p Parser) String() string {
	if p.msgpack {
		return "msgpack"
	}
	return "json"
}
