package socketio

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hubkit/hub/internal/parser"
)

// Args are the arguments of an event or of an acknowledgement, as received: each one's raw
// JSON, and the binary attachments the JSON's placeholders stand for. Decode converts them
// to Go values, binary data becoming []byte. An Args is immutable and safe to share: it may
// be kept after the handler it was given to returns, and used from any goroutine. The zero
// Args holds no argument.
type Args struct {
	raw         []json.RawMessage
	attachments [][]byte
}

// NewArgs returns the Args of data, a JSON array whose binary values are placeholders
// {"_placeholder":true,"num":i} for attachments[i] (the form of [Packet.Data] for an
// acknowledgement). Adapters use it to hand other servers' acknowledgements to the server.
// The Args refer to data and attachments, which must not be modified afterwards.
func NewArgs(data json.RawMessage, attachments [][]byte) (Args, error) {
	raw, err := parser.SplitArray(data)
	if err != nil {
		return Args{}, fmt.Errorf("socketio: arguments: %w", err)
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
// The slices are shared: do not modify them.
func (a Args) Attachments() [][]byte { return a.attachments }

// Decode decodes argument i into v, a non-nil pointer, as encoding/json would, with binary
// values becoming []byte (at any depth, and in an any). An argument that is absent decodes
// as JSON null (v is left alone for most types), as a missing argument is undefined in
// JavaScript.
func (a Args) Decode(i int, v any) error {
	if err := parser.UnmarshalArgAt(a.raw, a.attachments, i, v); err != nil {
		return fmt.Errorf("socketio: argument %d: %w", i, err)
	}
	return nil
}

// Values returns the arguments ready to emit again: each argument without binary data as
// its json.RawMessage (bytes and key order kept), the others decoded into any, binary data
// as []byte. It is the way to relay what the other end sent: s.Emit("echo", args.Values()...).
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

// AppendArgs appends args to dst as one compact JSON array, the way JSON.stringify writes
// it, and returns the extended buffer and the binary attachments: every []byte at any depth
// is written as a placeholder {"_placeholder":true,"num":i} and returned as attachments[i]
// (the slices themselves, not copies). The result is the Data and Attachments of a
// [Packet]; for an event, args[0] is the event name. Values are marshalled as encoding/json
// does (without HTML escaping), a json.RawMessage is copied verbatim, and the output is
// valid UTF-8. On error, out is dst. AppendArgs is safe for concurrent use.
func AppendArgs(dst []byte, args []any) (out []byte, attachments [][]byte, err error) {
	out, attachments, err = parser.AppendArgs(dst, args)
	if err != nil {
		err = fmt.Errorf("socketio: %w", err)
	}
	return out, attachments, err
}
