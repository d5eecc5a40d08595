package parser

import (
	"encoding/json"
	"fmt"
)

// DefaultMaxAttachments is the most attachments a binary packet may declare, socket.io-parser's
// maxAttachments default (parser 4.2.6 and later). Like Node, the size of each attachment is
// bounded by the Engine.IO message limit (maxHttpBufferSize) alone, so a binary packet holds
// at most DefaultMaxAttachments times that limit (10 MB by default): a smaller bound on the
// total would refuse packets Node accepts.
const DefaultMaxAttachments = 10

// Decoder reassembles Socket.IO packets from the Engine.IO messages of one connection: the
// text message of a packet, then, for [BinaryEvent] and [BinaryAck], one binary message per
// attachment. It follows socket.io-parser 4.2: see [Decoder.Text] for what it rejects.
//
// The zero Decoder is ready to use. A Decoder is not safe for concurrent use; each
// connection's read loop owns one. After an error, the partial packet (if any) is dropped;
// the protocol expects the caller to close the connection.
type Decoder struct {
	// MaxAttachments is the largest attachment count a binary packet may declare.
	// Zero or less means 10, the socket.io-parser default.
	MaxAttachments int

	pending *Packet // binary packet waiting for attachments
	want    int     // attachment count of pending
}

// Text decodes one Engine.IO text message (without its "4" message prefix). It returns the
// packet, or (nil, nil) when the packet is a binary one that now waits for its attachments.
//
// Text takes ownership of b: the packet's Data aliases it, so the caller must not modify or
// reuse b afterwards (the engine hands each message over).
//
// Every error wraps [ErrInvalid]. Text rejects: a type that is not 0–6; for binary types, an
// attachment count that is missing, not a decimal integer, not followed by '-', below 1 or
// above MaxAttachments (a [*LimitError]); a CONNECT or CONNECT_ERROR payload nested deeper
// than [MaxDepth] (a *LimitError; [SplitArray] checks the arguments of the other packets); an ack id beyond int64; JSON that does not parse; and a payload of
// the wrong shape (CONNECT: absent or an object; DISCONNECT: absent; EVENT and BINARY_EVENT:
// a non-empty array whose first element is a number or a string that is not a reserved
// event name; ACK and BINARY_ACK: an array; CONNECT_ERROR: an object or a string). A text
// message while attachments are pending is an error too.
//
// Where socket.io-parser is looser on input no client sends, Text is strict: it rejects an
// empty message (Node reads CONNECT), spaces or exponents in the count or id (Node applies
// Number), ack ids beyond int64 (Node loses precision), and a missing payload on EVENT,
// ACK and CONNECT_ERROR (Node's decoder lets it through). Like socket.io-parser 4.2.7, and
// unlike older versions, it rejects an attachment count of 0.
//
// The packet keeps its wire type: a binary packet is returned as [BinaryEvent] or
// [BinaryAck] with its Attachments; other packets have nil Attachments.
func (d *Decoder) Text(b []byte) (*Packet, error) {
	if d.pending != nil {
		want := d.want - len(d.pending.Attachments)
		d.reset()
		return nil, fmt.Errorf("%w: got text while waiting for %d binary attachments", ErrInvalid, want)
	}
	p, n, err := d.decode(b)
	if err != nil {
		return nil, err
	}
	if p.Type == BinaryEvent || p.Type == BinaryAck {
		p.Attachments = make([][]byte, 0, n)
		d.pending, d.want = p, n
		return nil, nil
	}
	return p, nil
}

// Binary adds one binary message as the next attachment of the pending packet and returns
// the packet once it has all of its attachments ((nil, nil) before that). The complete
// packet's placeholders are checked: each "num" must be an integer in [0, n) for n
// attachments, so a returned packet is safe to hand to [UnmarshalArg].
//
// Binary takes ownership of b: it becomes one of the packet's Attachments. Every error
// wraps [ErrInvalid]; binary data with no pending packet is an error.
func (d *Decoder) Binary(b []byte) (*Packet, error) {
	p := d.pending
	if p == nil {
		return nil, fmt.Errorf("%w: got binary data with no packet waiting for it", ErrInvalid)
	}
	p.Attachments = append(p.Attachments, b)
	if len(p.Attachments) < d.want {
		return nil, nil
	}
	d.reset()
	x, err := newIndex(p.Data)
	if err != nil {
		return nil, err
	}
	if err := x.check(len(p.Attachments)); err != nil {
		return nil, err
	}
	return p, nil
}

func (d *Decoder) reset() { d.pending, d.want = nil, 0 }

// decode parses the text form of a packet; n is the attachment count of binary packets.
func (d *Decoder) decode(b []byte) (p *Packet, n int, err error) {
	if len(b) == 0 {
		return nil, 0, fmt.Errorf("%w: empty packet", ErrInvalid)
	}
	t := Type(b[0] - '0')
	if t > BinaryAck {
		return nil, 0, fmt.Errorf("%w: unknown packet type %q", ErrInvalid, b[0])
	}
	i := 1
	if t == BinaryEvent || t == BinaryAck {
		max := d.MaxAttachments
		if max <= 0 {
			max = DefaultMaxAttachments
		}
		max = min(max, 1<<30) // n*10+9 cannot overflow below it
		for ; i < len(b) && b[i] != '-'; i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return nil, 0, fmt.Errorf("%w: illegal attachments", ErrInvalid)
			}
			if n > max/10 {
				return nil, 0, &LimitError{Limit: "attachments", Max: max}
			}
			if n = n*10 + int(c-'0'); n > max {
				return nil, 0, &LimitError{Limit: "attachments", Max: max}
			}
		}
		if i == len(b) || i == 1 || n < 1 {
			return nil, 0, fmt.Errorf("%w: illegal attachments", ErrInvalid)
		}
		i++ // '-'
	}
	nsp := "/"
	if i < len(b) && b[i] == '/' {
		j := i
		for j < len(b) && b[j] != ',' {
			j++
		}
		if j-i > 1 {
			nsp = string(b[i:j])
		}
		i = j
		if i < len(b) {
			i++ // ','
		}
	}
	id := NoID
	if i < len(b) && b[i] >= '0' && b[i] <= '9' {
		id = 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			c := int64(b[i] - '0')
			if id > (1<<63-1-c)/10 {
				return nil, 0, fmt.Errorf("%w: ack id out of range", ErrInvalid)
			}
			id = id*10 + c
		}
	}
	var data json.RawMessage
	if i < len(b) {
		data = json.RawMessage(b[i:len(b):len(b)])
		if !json.Valid(data) {
			return nil, 0, fmt.Errorf("%w: invalid JSON payload", ErrInvalid)
		}
	}
	if err := checkPayload(t, data); err != nil {
		return nil, 0, err
	}
	if t == Connect || t == ConnectError {
		// Their payload goes to the application whole: check its depth here. (The arguments
		// of events and acks are checked by SplitArray, binary packets by Binary.)
		if i, _ := trimSpace(data); i < len(data) {
			if _, err := skipValue(data, i, 0); err != nil {
				return nil, 0, err
			}
		}
	}
	return &Packet{Type: t, Namespace: nsp, ID: id, Data: data}, n, nil
}

// reserved lists the event names a peer may not send (socket.io-parser RESERVED_EVENTS).
var reserved = [...]string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}

// checkPayload validates the shape of a packet's valid JSON data (nil when absent).
func checkPayload(t Type, data []byte) error {
	var first byte // first byte of the value, 0 when absent
	i, j := trimSpace(data)
	if i < j {
		first = data[i]
	}
	ok := false
	switch t {
	case Connect:
		ok = data == nil || first == '{'
	case Disconnect:
		ok = data == nil
	case ConnectError:
		ok = first == '{' || first == '"'
	case Ack, BinaryAck:
		ok = first == '['
	case Event, BinaryEvent:
		ok = first == '[' && validEventName(data[:j], i)
	}
	if !ok {
		return fmt.Errorf("%w: invalid payload for %v", ErrInvalid, t)
	}
	return nil
}

// validEventName reports whether the array at d[i] starts with a number or with a string
// that is not a reserved event name.
func validEventName(d []byte, i int) bool {
	i = skipSpace(d, i+1)
	if i >= len(d) {
		return false
	}
	switch c := d[i]; {
	case c == '-' || (c >= '0' && c <= '9'):
		return true
	case c == '"':
		end, err := skipString(d, i)
		if err != nil {
			return false
		}
		name := d[i:end]
		for _, r := range reserved {
			if keyIs(name, r) {
				return false
			}
		}
		return true
	}
	return false
}
