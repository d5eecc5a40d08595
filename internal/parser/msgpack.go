package parser

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/hubkit/hub/internal/eio"
	"github.com/hubkit/hub/internal/msgpack"
)

// This file is the wire format of socket.io-msgpack-parser 3.0 (notepack.io 2.2 inside): a
// packet is one MessagePack map {type, data, nsp, id} sent as one binary Engine.IO message,
// binary values inline at any depth. The rest of hub speaks the JSON form (Data with
// placeholders, Attachments), so packets are transcoded at the edge: a received one into
// that form, a sent one from it, binary values becoming attachments and back.
//
// What a MessagePack value becomes in JSON, against what Node's server (notepack.io's
// decoder) hands a handler:
//
//	nil, bool, str, array      null, true/false, string, array (as Node)
//	int, uint                  the exact integer (Node rounds past 2^53 to a double)
//	float 32/64                the number as JSON.stringify writes it; NaN and ±Inf null
//	                           (Node hands NaN or Infinity, which JSON.stringify makes null)
//	bin, ext 8/16/32 of type 0 an attachment, its placeholder in the JSON (Node: a Buffer,
//	                           an ArrayBuffer)
//	fixext 1 of type 0         undefined: null in an array, the member left out of a map,
//	                           the field absent at the packet's level (as JSON.stringify)
//	fixext 8 of type 0         a Date: its ISO string, as Date.toJSON; null when invalid
//	other ext                  [type, attachment] (Node: [type, Buffer])
//	map key str, int, uint     the key; an integer as its decimal string (as JavaScript)
//	other map keys             rejected: a float, bool, nil, bin, array, map or ext key has
//	                           no sensible string form (JavaScript makes "[object Object]")
//	{"_placeholder": true}     rejected: a map hub would read as an attachment placeholder
//	invalid UTF-8 in a str     U+FFFD in its place, as Node's Buffer.toString
//
// And back, JSON to MessagePack, as notepack.io writes the JavaScript value JSON.parse would
// make: integers (a number whose value is integral) in the smallest integer format, other
// numbers float 64, placeholders bin. Two differences: an integer literal that fits int64 or
// uint64 is written exactly (JavaScript rounds it to a double first), and an integral value
// beyond them is written as a float 64 (notepack.io writes a wrong uint 64). Map keys keep
// their JSON order; a JavaScript object lists integer-like keys first, which the receiving
// end's object does anyway.

// DefaultMaxMsgpackBinaries is the most binary values (bin and ext values, each an
// attachment) a received msgpack packet may hold when [MsgpackDecoder.MaxBinaries] is
// zero. socket.io-msgpack-parser has no such limit; this one bounds the attachments'
// bookkeeping (a 2-byte empty bin costs some 60 bytes of placeholder and slice) while
// leaving room for any sane payload.
const DefaultMaxMsgpackBinaries = 1000

// MsgpackDecoder decodes the packets of socket.io-msgpack-parser: each binary Engine.IO
// message is one whole packet, which it transcodes into the JSON form of a [Packet] (see
// [MsgpackDecoder.Binary]).
//
// The zero MsgpackDecoder is ready to use. It keeps no state between messages, but like
// [Decoder] it belongs to one connection's read loop.
type MsgpackDecoder struct {
	// MaxBinaries is the most binary values a packet may hold; zero or less means
	// DefaultMaxMsgpackBinaries.
	MaxBinaries int
}

var errMsgpackText = fmt.Errorf("%w: text message with the msgpack parser", ErrInvalid)

// Text rejects a text message: socket.io-msgpack-parser sends only binary ones (Node's
// decoder fails on text as well).
func (d *MsgpackDecoder) Text(b []byte) (*Packet, error) { return nil, errMsgpackText }

// Binary decodes one binary Engine.IO message, a whole packet. The packet's Data is JSON and
// each binary value an attachment referred to by a placeholder, so that the rest of the
// server sees what the JSON parser would give it; a packet with attachments is returned as
// [BinaryEvent] or [BinaryAck].
//
// Binary takes ownership of b: attachments alias it. Every error wraps [ErrInvalid];
// the limits are those of the JSON form ([MaxDepth], the arguments' [MaxArgs] checked by
// [SplitArray], MaxBinaries as a [*LimitError]) and every length in b is checked against
// what is left of b before anything is allocated. Binary follows socket.io-msgpack-parser's
// checks: the message is one map with no trailing bytes; "type" an integer 0–4 (CONNECT to
// CONNECT_ERROR: the binary types do not exist here); "nsp" a string; "id", when present, an
// integer; "data" of the shape [Decoder.Text] requires for the type. Other keys (the official
// client sends "options") are skipped. It is stricter where no client goes: a negative id,
// one beyond int64, a repeated field, or a value with no JSON form (see the table in this
// file) is an error.
func (d *MsgpackDecoder) Binary(b []byte) (*Packet, error) {
	max := d.MaxBinaries
	if max <= 0 {
		max = DefaultMaxMsgpackBinaries
	}
	t := transcoder{r: msgpack.NewReader(b), max: max}
	p, err := t.packet()
	if err != nil {
		return nil, err
	}
	if t.r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrInvalid, t.r.Len())
	}
	return p, nil
}

func mpError(err error) error {
	if errors.Is(err, ErrInvalid) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

// transcoder turns a msgpack packet into its JSON form.
type transcoder struct {
	r    *msgpack.Reader
	max  int      // most attachments
	atts [][]byte // attachments so far
}

func (t *transcoder) next() (msgpack.Value, error) {
	v, err := t.r.Next()
	if err != nil {
		return v, mpError(err)
	}
	return v, nil
}

// isUndefined reports whether v is notepack.io's undefined: fixext 1 of type 0.
func isUndefined(v msgpack.Value) bool {
	return v.Kind == msgpack.Ext && v.Ext == 0 && v.Fixed && len(v.Bytes) == 1
}

// packet reads the packet map.
func (t *transcoder) packet() (*Packet, error) {
	v, err := t.next()
	if err != nil {
		return nil, err
	}
	if v.Kind != msgpack.Map {
		return nil, fmt.Errorf("%w: a msgpack packet is a map", ErrInvalid)
	}
	p := &Packet{Type: 255, ID: NoID}
	var seen [4]bool // type, nsp, id, data
	haveNsp := false
	for range v.Len {
		k, err := t.next()
		if err != nil {
			return nil, err
		}
		field := -1
		if k.Kind == msgpack.Str {
			switch string(k.Bytes) {
			case "type":
				field = 0
			case "nsp":
				field = 1
			case "id":
				field = 2
			case "data":
				field = 3
			}
		}
		if field < 0 {
			if err := t.skip(1); err != nil {
				return nil, err
			}
			continue
		}
		if seen[field] {
			return nil, fmt.Errorf("%w: repeated field %q", ErrInvalid, k.Bytes)
		}
		seen[field] = true
		if field == 3 {
			data, undef, err := t.value(nil, 1)
			if err != nil {
				return nil, err
			}
			if !undef {
				p.Data = data
			}
			continue
		}
		x, err := t.next()
		if err != nil {
			return nil, err
		}
		if field != 1 && isUndefined(x) {
			continue // as absent
		}
		switch field {
		case 0:
			n, ok := integer(x)
			if !ok || n < 0 || n > int64(ConnectError) {
				return nil, fmt.Errorf("%w: invalid packet type", ErrInvalid)
			}
			p.Type = Type(n)
		case 1:
			if x.Kind != msgpack.Str {
				return nil, fmt.Errorf("%w: invalid namespace", ErrInvalid)
			}
			p.Namespace = string(eio.ToValidUTF8(x.Bytes))
			haveNsp = true
		case 2:
			n, ok := integer(x)
			if !ok || n < 0 {
				return nil, fmt.Errorf("%w: invalid packet id", ErrInvalid)
			}
			p.ID = n
		}
	}
	if p.Type == 255 {
		return nil, fmt.Errorf("%w: invalid packet type", ErrInvalid)
	}
	if !haveNsp {
		return nil, fmt.Errorf("%w: invalid namespace", ErrInvalid)
	}
	if len(t.atts) > 0 {
		p.Attachments = t.atts
		switch p.Type {
		case Event:
			p.Type = BinaryEvent
		case Ack:
			p.Type = BinaryAck
		}
	}
	if err := checkPayload(p.Type, p.Data); err != nil {
		return nil, err
	}
	return p, nil
}

// integer returns the value of an int, a uint up to int64, or an integral float (JavaScript's
// Number.isInteger), as socket.io-msgpack-parser accepts for type and id.
func integer(v msgpack.Value) (int64, bool) {
	switch v.Kind {
	case msgpack.Int:
		return v.Int, true
	case msgpack.Uint:
		return int64(v.Uint), v.Uint <= math.MaxInt64
	case msgpack.Float:
		f := v.Float
		if f == math.Trunc(f) && f >= math.MinInt64 && f < math.MaxInt64 {
			return int64(f), true
		}
	}
	return 0, false
}

// skip reads and drops the next value, nested ones included, within MaxDepth.
func (t *transcoder) skip(depth int) error {
	v, err := t.next()
	if err != nil {
		return err
	}
	switch v.Kind {
	case msgpack.Array, msgpack.Map:
		if depth > MaxDepth {
			return errDepth
		}
		n := v.Len
		if v.Kind == msgpack.Map {
			n *= 2
		}
		for range n {
			if err := t.skip(depth + 1); err != nil {
				return err
			}
		}
	}
	return nil
}

// value appends the JSON of the next value, at nesting depth depth (the data itself is at
// 1), to dst; undef reports notepack.io's undefined, for which nothing is appended.
func (t *transcoder) value(dst []byte, depth int) (out []byte, undef bool, err error) {
	v, err := t.next()
	if err != nil {
		return nil, false, err
	}
	switch v.Kind {
	case msgpack.Nil:
		return append(dst, "null"...), false, nil
	case msgpack.Bool:
		return strconv.AppendBool(dst, v.Bool), false, nil
	case msgpack.Int:
		return strconv.AppendInt(dst, v.Int, 10), false, nil
	case msgpack.Uint:
		return strconv.AppendUint(dst, v.Uint, 10), false, nil
	case msgpack.Float:
		if math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
			return append(dst, "null"...), false, nil
		}
		if v.Float == 0 {
			return append(dst, '0'), false, nil // -0 too, as JSON.stringify
		}
		return AppendFloat(dst, v.Float), false, nil
	case msgpack.Str:
		return appendString(dst, unsafe.String(unsafe.SliceData(v.Bytes), len(v.Bytes))), false, nil
	case msgpack.Bin:
		dst, err = t.binary(dst, v.Bytes, depth)
		return dst, false, err
	case msgpack.Ext:
		return t.ext(dst, v, depth)
	case msgpack.Array:
		if depth > MaxDepth {
			return nil, false, errDepth
		}
		dst = append(dst, '[')
		for i := range v.Len {
			if i > 0 {
				dst = append(dst, ',')
			}
			var undef bool
			if dst, undef, err = t.value(dst, depth+1); err != nil {
				return nil, false, err
			}
			if undef {
				dst = append(dst, "null"...)
			}
		}
		return append(dst, ']'), false, nil
	case msgpack.Map:
		if depth > MaxDepth {
			return nil, false, errDepth
		}
		dst = append(dst, '{')
		first := true
		for range v.Len {
			mark := len(dst)
			if !first {
				dst = append(dst, ',')
			}
			k, err := t.next()
			if err != nil {
				return nil, false, err
			}
			switch k.Kind {
			case msgpack.Str:
				dst = appendString(dst, unsafe.String(unsafe.SliceData(k.Bytes), len(k.Bytes)))
			case msgpack.Int:
				dst = append(strconv.AppendInt(append(dst, '"'), k.Int, 10), '"')
			case msgpack.Uint:
				dst = append(strconv.AppendUint(append(dst, '"'), k.Uint, 10), '"')
			default:
				return nil, false, fmt.Errorf("%w: a msgpack map key that is not a string or an integer", ErrInvalid)
			}
			dst = append(dst, ':')
			valStart := len(dst)
			var undef bool
			if dst, undef, err = t.value(dst, depth+1); err != nil {
				return nil, false, err
			}
			if undef {
				dst = dst[:mark] // JSON.stringify leaves the member out
				continue
			}
			if k.Kind == msgpack.Str && string(k.Bytes) == "_placeholder" && string(dst[valStart:]) == "true" {
				return nil, false, fmt.Errorf("%w: a map with \"_placeholder\": true, which hub reads as a binary placeholder", ErrInvalid)
			}
			first = false
		}
		return append(dst, '}'), false, nil
	}
	return nil, false, fmt.Errorf("%w: unknown msgpack value", ErrInvalid)
}

// binary appends the placeholder of a new attachment b, an object at depth.
func (t *transcoder) binary(dst, b []byte, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, errDepth
	}
	if len(t.atts) >= t.max {
		return nil, &LimitError{Limit: "binary values", Max: t.max}
	}
	dst = append(dst, `{"_placeholder":true,"num":`...)
	dst = strconv.AppendInt(dst, int64(len(t.atts)), 10)
	t.atts = append(t.atts, b)
	return append(dst, '}'), nil
}

// ext appends the JSON of an extension value as notepack.io decodes it.
func (t *transcoder) ext(dst []byte, v msgpack.Value, depth int) ([]byte, bool, error) {
	var err error
	if v.Ext == 0 {
		switch {
		case isUndefined(v):
			return dst, true, nil
		case len(v.Bytes) == 8 && v.Fixed:
			return appendDate(dst, int64(binary.BigEndian.Uint64(v.Bytes))), false, nil
		case !v.Fixed: // ext 8, 16, 32: an ArrayBuffer
			dst, err = t.binary(dst, v.Bytes, depth)
			return dst, false, err
		}
	}
	if depth > MaxDepth {
		return nil, false, errDepth
	}
	dst = strconv.AppendInt(append(dst, '['), int64(v.Ext), 10)
	if dst, err = t.binary(append(dst, ','), v.Bytes, depth+1); err != nil {
		return nil, false, err
	}
	return append(dst, ']'), false, nil
}

// maxDate is the largest magnitude of a JavaScript Date, in milliseconds.
const maxDate = 8.64e15

// appendDate appends the JSON of new Date(ms): Date.prototype.toJSON's ISO string, or null
// for an invalid date.
func appendDate(dst []byte, ms int64) []byte {
	if ms > maxDate || ms < -maxDate {
		return append(dst, "null"...)
	}
	tm := time.UnixMilli(ms).UTC()
	dst = append(dst, '"')
	switch y := tm.Year(); {
	case y >= 0 && y <= 9999:
		dst = appendPadded(dst, y, 4)
	case y < 0:
		dst = appendPadded(append(dst, '-'), -y, 6)
	default:
		dst = appendPadded(append(dst, '+'), y, 6)
	}
	dst = appendPadded(append(dst, '-'), int(tm.Month()), 2)
	dst = appendPadded(append(dst, '-'), tm.Day(), 2)
	dst = appendPadded(append(dst, 'T'), tm.Hour(), 2)
	dst = appendPadded(append(dst, ':'), tm.Minute(), 2)
	dst = appendPadded(append(dst, ':'), tm.Second(), 2)
	dst = appendPadded(append(dst, '.'), tm.Nanosecond()/1e6, 3)
	return append(dst, 'Z', '"')
}

func appendPadded(dst []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// AppendMsgpack appends p in socket.io-msgpack-parser's form to dst: the map
// {type, data, nsp, id} (data and id only when present, the keys in that order), the
// placeholders in Data replaced by their attachments as bin values. [BinaryEvent] and
// [BinaryAck] are written as EVENT and ACK, which is what they are in this format.
//
// Data must be valid JSON, as [AppendArgs] writes it; an error (Data that is not, a
// placeholder whose num is not one of the attachments, nesting past 1000) leaves dst as it
// was. AppendMsgpack is safe for concurrent use: the same packet may be encoded by several
// goroutines.
func (p *Packet) AppendMsgpack(dst []byte) ([]byte, error) {
	typ := p.Type
	switch typ {
	case BinaryEvent:
		typ = Event
	case BinaryAck:
		typ = Ack
	}
	n := 2
	if p.Data != nil {
		n++
	}
	if p.ID >= 0 {
		n++
	}
	out := msgpack.AppendMapHeader(dst, n)
	out = msgpack.AppendString(out, "type")
	out = msgpack.AppendInt(out, int64(typ))
	if p.Data != nil {
		out = msgpack.AppendString(out, "data")
		var err error
		if out, err = appendMsgpackJSON(out, p.Data, p.Attachments); err != nil {
			return dst, err
		}
	}
	out = msgpack.AppendString(out, "nsp")
	nsp := p.Namespace
	if nsp == "" {
		nsp = "/"
	}
	if utf8.ValidString(nsp) {
		out = msgpack.AppendString(out, nsp)
	} else {
		v := eio.ToValidUTF8([]byte(nsp))
		out = append(msgpack.AppendStrHeader(out, len(v)), v...)
	}
	if p.ID >= 0 {
		out = msgpack.AppendString(out, "id")
		out = msgpack.AppendInt(out, p.ID)
	}
	return out, nil
}

// jsonEncoder writes a JSON value as msgpack in two passes: the first counts the elements of
// each array and object (msgpack writes them first) and finds the placeholders, the second
// writes.
type jsonEncoder struct {
	d    []byte
	atts [][]byte
	recs []container // arrays and objects in document order, none inside a placeholder
	next int         // the next rec of the second pass
}

type container struct {
	n   int // elements, or members
	ph  int // the attachment of a placeholder, -1 for anything else
	end int // end of the value in d
}

func appendMsgpackJSON(dst, data []byte, atts [][]byte) ([]byte, error) {
	i, j := trimSpace(data)
	e := jsonEncoder{d: data[:j], atts: atts}
	end, err := e.scan(i, 1)
	if err != nil {
		return nil, err
	}
	if end != j {
		return nil, errSyntax
	}
	out, _, err := e.write(dst, i)
	return out, err
}

var errEncodeDepth = fmt.Errorf("%w: JSON nested deeper than %d", ErrInvalid, maxValueDepth)

func (e *jsonEncoder) scan(i, depth int) (int, error) {
	d := e.d
	if i >= len(d) || (d[i] != '[' && d[i] != '{') {
		return skipScalar(d, i)
	}
	if depth > maxValueDepth {
		return 0, errEncodeDepth
	}
	k := len(e.recs)
	e.recs = append(e.recs, container{ph: -1})
	n := 0
	var end int
	var err error
	if d[i] == '[' {
		end, err = elements(d, i, func(j int) (int, error) {
			n++
			return e.scan(j, depth+1)
		})
		if err != nil {
			return 0, err
		}
		e.recs[k].n, e.recs[k].end = n, end
		return end, nil
	}
	isPH := false
	var num []byte
	end, err = members(d, i, func(key []byte, j int) (int, error) {
		n++
		end, err := e.scan(j, depth+1)
		if err == nil {
			if keyIs(key, "_placeholder") {
				isPH = string(d[j:end]) == "true"
			} else if keyIs(key, "num") {
				num = d[j:end]
			}
		}
		return end, err
	})
	if err != nil {
		return 0, err
	}
	e.recs[k].n, e.recs[k].end = n, end
	if isPH {
		a, err := placeholderNum(num, len(e.atts))
		if err != nil {
			return 0, err
		}
		e.recs = e.recs[:k+1] // what is inside is not written
		e.recs[k].ph = a
	}
	return end, nil
}

// write appends the value at d[i] and returns the end of it in d.
func (e *jsonEncoder) write(dst []byte, i int) ([]byte, int, error) {
	d := e.d
	switch c := d[i]; c {
	case '[', '{':
		r := e.recs[e.next]
		e.next++
		if r.ph >= 0 {
			return msgpack.AppendBin(dst, e.atts[r.ph]), r.end, nil
		}
		var err error
		if c == '[' {
			dst = msgpack.AppendArrayHeader(dst, r.n)
			_, err = elements(d, i, func(j int) (end int, err error) {
				dst, end, err = e.write(dst, j)
				return end, err
			})
		} else {
			dst = msgpack.AppendMapHeader(dst, r.n)
			_, err = members(d, i, func(key []byte, j int) (end int, err error) {
				dst = e.appendString(dst, key)
				dst, end, err = e.write(dst, j)
				return end, err
			})
		}
		return dst, r.end, err
	}
	end, err := skipScalar(d, i)
	if err != nil {
		return nil, 0, err
	}
	switch d[i] {
	case '"':
		dst = e.appendString(dst, d[i:end])
	case 't':
		dst = msgpack.AppendBool(dst, true)
	case 'f':
		dst = msgpack.AppendBool(dst, false)
	case 'n':
		dst = msgpack.AppendNil(dst)
	default:
		dst, err = appendMsgpackNumber(dst, d[i:end])
	}
	return dst, end, err
}

// appendString appends the raw JSON string s (quotes included) as a msgpack str.
func (e *jsonEncoder) appendString(dst, s []byte) []byte {
	body := s[1 : len(s)-1]
	if bytes.IndexByte(body, '\\') >= 0 {
		var str string
		if json.Unmarshal(s, &str) == nil {
			return msgpack.AppendString(dst, str)
		}
	}
	body = eio.ToValidUTF8(body)
	return append(msgpack.AppendStrHeader(dst, len(body)), body...)
}

// appendMsgpackNumber appends the JSON number num as notepack.io writes the JavaScript
// number JSON.parse makes of it, integers exactly (see the table at the top of the file).
func appendMsgpackNumber(dst, num []byte) ([]byte, error) {
	s := unsafe.String(unsafe.SliceData(num), len(num))
	if bytes.IndexAny(num, ".eE") < 0 {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return msgpack.AppendInt(dst, n), nil
		}
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return msgpack.AppendUint(dst, n), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, errSyntax
	}
	switch {
	case math.IsInf(f, 0) || f != math.Trunc(f):
		return msgpack.AppendFloat(dst, f), nil
	case f >= math.MinInt64 && f < math.MaxInt64:
		return msgpack.AppendInt(dst, int64(f)), nil
	case f >= 0 && f < math.MaxUint64:
		return msgpack.AppendUint(dst, uint64(f)), nil
	}
	return msgpack.AppendFloat(dst, f), nil
}

// PacketDecoder decodes the Engine.IO messages of one connection into packets: a [*Decoder]
// (the JSON parser) or a [*MsgpackDecoder]. Text and Binary return (nil, nil) while a
// packet waits for more messages.
type PacketDecoder interface {
	Text(b []byte) (*Packet, error)
	Binary(b []byte) (*Packet, error)
}
