package hub

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hubkit/hub/internal/engine"
	"github.com/hubkit/hub/internal/engine/packet"
	"github.com/hubkit/hub/internal/parser"
)

// Args are the arguments of an event or of an acknowledgement, as received: each one's raw
// JSON, and the binary attachments the JSON's placeholders stand for. Decode converts them
// to Go values, binary data becoming []byte. An Args is immutable and safe to share.
type Args struct {
	raw         []json.RawMessage
	attachments [][]byte
}

// NewArgs returns the Args of data, a JSON array whose binary values are placeholders
// {"_placeholder":true,"num":i} for attachments[i] (the form of [Packet.Data]). Adapters
// use it to hand other servers' acknowledgements to [Adapter.BroadcastWithAck]'s callback.
func NewArgs(data json.RawMessage, attachments [][]byte) (Args, error) {
	raw, err := parser.SplitArray(data)
	if err != nil {
		return Args{}, fmt.Errorf("hub: arguments: %w", err)
	}
	return Args{raw: raw, attachments: attachments}, nil
}

// Len returns the number of arguments.
func (a Args) Len() int { return len(a.raw) }

// Raw returns the JSON of argument i (nil when i is out of range). Binary values in it are
// placeholders: use Decode to get them as []byte.
func (a Args) Raw(i int) json.RawMessage {
	if i < 0 || i >= len(a.raw) {
		return nil
	}
	return a.raw[i]
}

// Attachments returns the binary attachments the placeholders in the arguments refer to.
func (a Args) Attachments() [][]byte { return a.attachments }

// Decode decodes argument i into v, a pointer, as encoding/json would, with binary values
// becoming []byte. An argument that is absent decodes as JSON null (v is left alone for most
// types), as a missing argument is undefined in JavaScript.
func (a Args) Decode(i int, v any) error {
	if err := parser.UnmarshalArgAt(a.raw, a.attachments, i, v); err != nil {
		return fmt.Errorf("hub: argument %d: %w", i, err)
	}
	return nil
}

// Values returns the arguments ready to emit again: each argument without binary data as
// its json.RawMessage (bytes and key order kept), the others decoded into any, binary data
// as []byte. It is the way to relay what a client sent: s.Emit("echo", args.Values()...).
func (a Args) Values() []any { return parser.ArgValues(a.raw, a.attachments) }

// String returns the arguments as a JSON array, binary values as placeholders; for logs.
func (a Args) String() string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, raw := range a.raw {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(raw)
	}
	b.WriteByte(']')
	return b.String()
}

// Ack answers a client's acknowledgement callback: the client's callback is called with
// args, which may hold []byte anywhere (sent as binary attachments). Only the first call
// sends anything; later calls do nothing and return nil. An Ack is safe to call from any
// goroutine, also after the handler has returned. The Ack given to a handler for an event
// that asked for no acknowledgement does nothing.
type Ack func(args ...any) error

func checkEvent(event string) error {
	if parser.ReservedEvent(event) {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	return nil
}

// newEventPacket builds the EVENT packet [event, args...] of namespace nsp. It is the one
// place emitted events are built.
func newEventPacket(nsp, event string, args []any) (*Packet, error) {
	if err := checkEvent(event); err != nil {
		return nil, err
	}
	all := make([]any, 0, 1+len(args))
	all = append(all, event)
	all = append(all, args...)
	data, att, err := parser.AppendArgs(nil, all)
	if err != nil {
		return nil, fmt.Errorf("hub: emit %q: %w", event, err)
	}
	return &Packet{Type: PacketEvent, Namespace: nsp, ID: NoAckID, Data: data, Attachments: att}, nil
}

// newAckPacket builds the ACK packet answering id with args.
func newAckPacket(nsp string, id int64, args []any) (*Packet, error) {
	if args == nil {
		args = []any{}
	}
	data, att, err := parser.AppendArgs(nil, args)
	if err != nil {
		return nil, fmt.Errorf("hub: ack: %w", err)
	}
	return &Packet{Type: PacketAck, Namespace: nsp, ID: id, Data: data, Attachments: att}, nil
}

// encodePacket returns the engine packets of p: the text packet, then one binary packet per
// attachment, to be sent in one Session.Send call.
func encodePacket(p *Packet) ([]engine.Packet, error) {
	pp := parser.Packet{Namespace: p.Namespace, ID: p.ID, Data: p.Data, Attachments: p.Attachments}
	binary := len(p.Attachments) > 0
	switch p.Type {
	case PacketConnect:
		pp.Type = parser.Connect
	case PacketDisconnect:
		pp.Type = parser.Disconnect
	case PacketEvent, PacketBinaryEvent:
		pp.Type = parser.Event
		if binary {
			pp.Type = parser.BinaryEvent
		}
	case PacketAck, PacketBinaryAck:
		pp.Type = parser.Ack
		if binary {
			pp.Type = parser.BinaryAck
		}
	case PacketConnectError:
		pp.Type = parser.ConnectError
	default:
		return nil, fmt.Errorf("hub: cannot encode packet type %d", p.Type)
	}
	if p.Namespace == "" {
		pp.Namespace = "/"
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
	return packet.ToValidUTF8(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}
