package hub

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hubkit/hub/internal/eio"
	"github.com/hubkit/hub/internal/engine"
	"github.com/hubkit/hub/internal/parser"
	"github.com/hubkit/hub/internal/sio"
	"github.com/hubkit/hub/socketio"
)

// Args are the arguments of an event or of an acknowledgement, as received: each one's raw
// JSON, and the binary attachments the JSON's placeholders stand for. An Args is immutable
// and safe to share; see [socketio.Args].
type Args = socketio.Args

// Ack answers a client's acknowledgement callback: the client's callback is called with
// args, which may hold []byte anywhere (sent as binary attachments). Only the first call
// sends anything; later calls do nothing and return [ErrAckAlreadySent]. An Ack is safe to
// call from any goroutine, also after the handler has returned. The Ack given to a handler
// for an event that asked for no acknowledgement does nothing.
type Ack = socketio.Ack

// newEventPacket builds the EVENT packet [event, args...] of namespace nsp. It is the one
// place emitted events are built.
func newEventPacket(nsp, name string, args []any) (*socketio.Packet, error) {
	data, att, err := sio.AppendEvent(nil, "hub", name, args)
	if err != nil {
		return nil, err
	}
	return &socketio.Packet{Type: socketio.PacketEvent, Namespace: nsp, ID: socketio.NoAckID, Data: data, Attachments: att}, nil
}

// newAckPacket builds the ACK packet answering id with args.
func newAckPacket(nsp string, id int64, args []any) (*socketio.Packet, error) {
	data, att, err := sio.AppendAck(nil, "hub", args)
	if err != nil {
		return nil, err
	}
	return &socketio.Packet{Type: socketio.PacketAck, Namespace: nsp, ID: id, Data: data, Attachments: att}, nil
}

// encodePacket returns the engine packets of p in the server's Parser, to be sent in one
// Session.Send call: with JSON the text packet, then one binary packet per attachment; with
// msgpack one binary packet. It is the one place packets are encoded, once per broadcast.
func (srv *Server) encodePacket(p *socketio.Packet) ([]engine.Packet, error) {
	pp := parser.Packet{Namespace: p.Namespace, ID: p.ID, Data: p.Data, Attachments: p.Attachments}
	binary := len(p.Attachments) > 0
	switch p.Type {
	case socketio.PacketConnect:
		pp.Type = parser.Connect
	case socketio.PacketDisconnect:
		pp.Type = parser.Disconnect
	case socketio.PacketEvent, socketio.PacketBinaryEvent:
		pp.Type = parser.Event
		if binary {
			pp.Type = parser.BinaryEvent
		}
	case socketio.PacketAck, socketio.PacketBinaryAck:
		pp.Type = parser.Ack
		if binary {
			pp.Type = parser.BinaryAck
		}
	case socketio.PacketConnectError:
		pp.Type = parser.ConnectError
	default:
		return nil, fmt.Errorf("hub: cannot encode packet type %d", p.Type)
	}
	if p.Namespace == "" {
		pp.Namespace = "/"
	}
	if sio.Msgpack(srv.opts.Parser) {
		m, err := sio.EncodeMsgpack(&pp)
		if err != nil {
			return nil, fmt.Errorf("hub: encoding a packet: %w", err)
		}
		return []engine.Packet{m}, nil
	}
	text := pp.Append(make([]byte, 0, len(p.Data)+len(p.Namespace)+24))
	pkts := make([]engine.Packet, 1+len(p.Attachments))
	pkts[0] = engine.Packet{Type: engine.Message, Data: text}
	for i, att := range p.Attachments {
		pkts[1+i] = engine.Packet{Type: engine.Message, Data: att, Binary: true}
	}
	return pkts, nil
}

// marshalJSON is json.Marshal without HTML escaping (JavaScript does not escape <, > and &),
// and with valid UTF-8 guaranteed (encoding/json does not check a json.Marshaler's output).
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return eio.ToValidUTF8(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}
