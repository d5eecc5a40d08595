package redis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The messages the Node adapter exchanges are JavaScript values, written with JSON.stringify
// or notepack.io (MessagePack) and read back with JSON.parse or notepack. This file models
// such a value as a Go tree and converts it both ways, byte for byte as Node would:
//
//	JavaScript      Go                      notepack                 JSON
//	null            nil                     nil                      null
//	undefined       undefinedValue{}        nil (skipped in objects) null (skipped in objects)
//	boolean         bool                    true/false               true/false
//	number          int64, uint64, float64  smallest int, float 64   shortest form
//	string          string                  str                      "…"
//	Buffer          []byte                  bin                      {"type":"Buffer","data":[…]}
//	Array           []any                   array                    […]
//	Object          *object (ordered)       map                      {…}
//	Date            time.Time               timestamp ext -1         ISO 8601 string
//
// Objects keep JavaScript's key order: integer-like keys first, ascending, then the others in
// insertion order.

// undefinedValue is JavaScript's undefined, which notepack decodes from fixext 1 type 0.
type undefinedValue struct{}

// object is a JavaScript object: its keys in JavaScript order and their values.
type object struct {
	keys []string
	vals []any
}

// obj builds an object from key, value pairs, in the given order.
func obj(kv ...any) *object {
	o := &object{keys: make([]string, 0, len(kv)/2), vals: make([]any, 0, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		o.keys = append(o.keys, kv[i].(string))
		o.vals = append(o.vals, kv[i+1])
	}
	return o
}

// get returns the value of key, nil when absent.
func (o *object) get(key string) any {
	if o == nil {
		return nil
	}
	for i, k := range o.keys {
		if k == key {
			return o.vals[i]
		}
	}
	return nil
}

// has reports whether key is present (with any value, undefined included).
func (o *object) has(key string) bool {
	if o == nil {
		return false
	}
	return slices.Contains(o.keys, key)
}

// set sets key, keeping its position if present (as JavaScript does for a duplicate key).
func (o *object) set(key string, v any) {
	for i, k := range o.keys {
		if k == key {
			o.vals[i] = v
			return
		}
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
}

// order puts integer-like keys first, ascending, as JavaScript enumerates them.
func (o *object) order() {
	n := 0
	for _, k := range o.keys {
		if _, ok := arrayIndex(k); ok {
			n++
		}
	}
	if n == 0 {
		return
	}
	type kv struct {
		k string
		v any
	}
	idx := make([]kv, 0, n)
	rest := make([]kv, 0, len(o.keys)-n)
	for i, k := range o.keys {
		if _, ok := arrayIndex(k); ok {
			idx = append(idx, kv{k, o.vals[i]})
		} else {
			rest = append(rest, kv{k, o.vals[i]})
		}
	}
	slices.SortStableFunc(idx, func(a, b kv) int {
		x, _ := arrayIndex(a.k)
		y, _ := arrayIndex(b.k)
		return int(x) - int(y)
	})
	for i, e := range append(idx, rest...) {
		o.keys[i], o.vals[i] = e.k, e.v
	}
}

// arrayIndex reports whether k is a canonical array index ("0", "1", … up to 2³²-2).
func arrayIndex(k string) (int64, bool) {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(k, 10, 64)
	if err != nil || n > math.MaxUint32-1 {
		return 0, false
	}
	return int64(n), true
}

// maxDepth bounds the nesting of values read from the network.
const maxDepth = 1000

var errDepth = errors.New("value nested too deeply")

// --- JSON ---

// parseJSON parses data as JSON.parse would.
func parseJSON(data []byte) (any, error) {
	p := jsonParser{data: data}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, p.errorf("unexpected data after the value")
	}
	return v, nil
}

type jsonParser struct {
	data []byte
	pos  int
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("json at offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) literal(word string, v any) (any, error) {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return nil, p.errorf("invalid literal")
	}
	p.pos += len(word)
	return v, nil
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		p.pos++
		o := &object{}
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			return o, nil
		}
		for {
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != '"' {
				return nil, p.errorf("expected a key")
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != ':' {
				return nil, p.errorf("expected ':'")
			}
			p.pos++
			p.skipSpace()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			o.set(k, v)
			p.skipSpace()
			if p.pos >= len(p.data) {
				return nil, p.errorf("unexpected end")
			}
			if p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.data[p.pos] == '}' {
				p.pos++
				o.order()
				return o, nil
			}
			return nil, p.errorf("expected ',' or '}'")
		}
	case c == '[':
		p.pos++
		a := []any{}
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			return a, nil
		}
		for {
			p.skipSpace()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
			p.skipSpace()
			if p.pos >= len(p.data) {
				return nil, p.errorf("unexpected end")
			}
			if p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.data[p.pos] == ']' {
				p.pos++
				return a, nil
			}
			return nil, p.errorf("expected ',' or ']'")
		}
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return nil, p.errorf("unexpected character %q", c)
	}
}

func (p *jsonParser) number() (any, error) {
	start := p.pos
	integer := true
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++ // no leading zeros
	} else if digits() == 0 {
		return nil, p.errorf("invalid number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		integer = false
		p.pos++
		if digits() == 0 {
			return nil, p.errorf("invalid number")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		integer = false
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.errorf("invalid number")
		}
	}
	lit := string(p.data[start:p.pos])
	if integer {
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return n, nil
		}
		if n, err := strconv.ParseUint(lit, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, p.errorf("invalid number")
	}
	return normalizeFloat(f), nil
}

// normalizeFloat returns f as an int64 when it is an integer JavaScript would encode as one.
func normalizeFloat(f float64) any {
	if f == math.Trunc(f) && !math.IsInf(f, 0) && f >= -(1<<63) && f < 1<<63 {
		return int64(f)
	}
	if f == math.Trunc(f) && !math.IsInf(f, 0) && f >= 0 && f < 1<<64 {
		return uint64(f)
	}
	return f
}

func (p *jsonParser) str() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	escaped := false
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			raw := p.data[start:p.pos]
			p.pos++
			if !escaped {
				return string(raw), nil
			}
			return unescape(raw)
		case c == '\\':
			escaped = true
			p.pos += 2
		case c < 0x20:
			return "", p.errorf("control character in string")
		default:
			p.pos++
		}
	}
	return "", p.errorf("unterminated string")
}

// unescape decodes the escapes of a JSON string's contents.
func unescape(raw []byte) (string, error) {
	var b []byte
	var pending rune = -1 // a high surrogate waiting for its low half
	flush := func() {
		if pending >= 0 {
			b = utf8.AppendRune(b, utf8.RuneError)
			pending = -1
		}
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			flush()
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return "", errors.New("json: bad escape")
		}
		e := raw[i+1]
		i += 2
		var r rune
		switch e {
		case '"', '\\', '/':
			r = rune(e)
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		case 'u':
			if i+4 > len(raw) {
				return "", errors.New("json: bad \\u escape")
			}
			n, err := strconv.ParseUint(string(raw[i:i+4]), 16, 32)
			if err != nil {
				return "", errors.New("json: bad \\u escape")
			}
			i += 4
			r = rune(n)
			if utf16.IsSurrogate(r) {
				if r < 0xdc00 { // high
					flush()
					pending = r
					continue
				}
				if pending >= 0 {
					b = utf8.AppendRune(b, utf16.DecodeRune(pending, r))
					pending = -1
					continue
				}
				b = utf8.AppendRune(b, utf8.RuneError)
				continue
			}
		default:
			return "", errors.New("json: bad escape")
		}
		flush()
		b = utf8.AppendRune(b, r)
	}
	flush()
	return string(b), nil
}

// appendJSON appends v as JSON.stringify writes it. With placeholders set, each []byte becomes
// the Socket.IO placeholder {"_placeholder":true,"num":i} and is appended to *atts;
// otherwise it is written as Node's Buffer.toJSON.
func appendJSON(dst []byte, v any, atts *[][]byte) []byte {
	switch v := v.(type) {
	case nil, undefinedValue:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, v)
	case int64:
		return strconv.AppendInt(dst, v, 10)
	case uint64:
		return strconv.AppendUint(dst, v, 10)
	case float64:
		if v == 0 {
			return append(dst, '0') // -0 too, as JavaScript writes it
		}
		return appendFloat(dst, v)
	case string:
		return appendString(dst, v)
	case time.Time:
		return appendString(dst, v.UTC().Format("2006-01-02T15:04:05.000Z"))
	case []byte:
		if atts != nil {
			dst = append(dst, `{"_placeholder":true,"num":`...)
			dst = strconv.AppendInt(dst, int64(len(*atts)), 10)
			*atts = append(*atts, v)
			return append(dst, '}')
		}
		dst = append(dst, `{"type":"Buffer","data":[`...)
		for i, c := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendUint(dst, uint64(c), 10)
		}
		return append(dst, "]}"...)
	case []any:
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, e, atts)
		}
		return append(dst, ']')
	case *object:
		dst = append(dst, '{')
		first := true
		for i, k := range v.keys {
			if _, skip := v.vals[i].(undefinedValue); skip {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendJSON(dst, v.vals[i], atts)
		}
		return append(dst, '}')
	default:
		// Only the types above are ever built; anything else is a bug.
		panic(fmt.Sprintf("redis: cannot write %T as JSON", v))
	}
}

// appendFloat writes f as JavaScript's Number.prototype.toString does (the same rule
// encoding/json follows); NaN and ±Infinity are null, as in JSON.stringify.
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	b, _ := json.Marshal(f) // finite: encoding/json writes it as Number.prototype.toString does
	return append(dst, b...)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as JSON.stringify does: only '"', '\\' and control characters are
// escaped; invalid UTF-8 becomes U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// --- MessagePack (notepack.io) ---

// appendMsgpack appends v encoded as notepack.io encodes the JavaScript value.
func appendMsgpack(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	enc := msgpack.NewEncoder(buf)
	if err := encodeValue(enc, buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodeValue(enc *msgpack.Encoder, buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil, undefinedValue:
		return enc.EncodeNil()
	case bool:
		return enc.EncodeBool(v)
	case int64:
		return enc.EncodeInt(v)
	case uint64:
		return enc.EncodeUint(v)
	case float64:
		if n, ok := normalizeFloat(v).(int64); ok {
			return enc.EncodeInt(n)
		}
		if n, ok := normalizeFloat(v).(uint64); ok {
			return enc.EncodeUint(n)
		}
		return enc.EncodeFloat64(v)
	case string:
		return enc.EncodeString(v)
	case []byte:
		if err := enc.EncodeBytesLen(len(v)); err != nil {
			return err
		}
		_, err := buf.Write(v)
		return err
	case time.Time:
		buf.Write(appendTimestamp(nil, v))
		return nil
	case []any:
		if err := enc.EncodeArrayLen(len(v)); err != nil {
			return err
		}
		for _, e := range v {
			if err := encodeValue(enc, buf, e); err != nil {
				return err
			}
		}
		return nil
	case *object:
		n := 0
		for _, e := range v.vals {
			if _, skip := e.(undefinedValue); !skip {
				n++
			}
		}
		if err := enc.EncodeMapLen(n); err != nil {
			return err
		}
		for i, k := range v.keys {
			if _, skip := v.vals[i].(undefinedValue); skip {
				continue
			}
			if err := enc.EncodeString(k); err != nil {
				return err
			}
			if err := encodeValue(enc, buf, v.vals[i]); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("cannot encode %T", v)
	}
}

// appendTimestamp writes t as notepack writes a Date: millisecond precision, in the
// smallest MessagePack timestamp that holds it.
func appendTimestamp(dst []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	s := ms / 1000
	if ms < 0 && ms%1000 != 0 {
		s-- // floor
	}
	ns := uint32((ms - s*1000) * 1e6)
	switch {
	case s >= 0 && s <= 1<<34-1 && ns == 0 && s <= math.MaxUint32:
		return append(dst, 0xd6, 0xff, byte(s>>24), byte(s>>16), byte(s>>8), byte(s))
	case s >= 0 && s <= 1<<34-1:
		v := uint64(ns)<<34 | uint64(s)
		return append(dst, 0xd7, 0xff, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		u := uint64(s)
		return append(dst, 0xc7, 12, 0xff, byte(ns>>24), byte(ns>>16), byte(ns>>8), byte(ns),
			byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32), byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
	}
}

// parseMsgpack decodes data as notepack.io decodes it.
func parseMsgpack(data []byte) (any, error) {
	r := bytes.NewReader(data)
	dec := msgpack.NewDecoder(r)
	v, err := decodeValue(dec, r, 0)
	if err != nil {
		return nil, fmt.Errorf("msgpack: %w", err)
	}
	if r.Len() != 0 {
		return nil, errors.New("msgpack: unexpected data after the value")
	}
	return v, nil
}

func decodeValue(dec *msgpack.Decoder, r *bytes.Reader, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	c, err := dec.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case c == msgpcode.Nil:
		return nil, dec.DecodeNil()
	case c == msgpcode.True || c == msgpcode.False:
		return dec.DecodeBool()
	case msgpcode.IsFixedNum(c), c == msgpcode.Int8, c == msgpcode.Int16, c == msgpcode.Int32, c == msgpcode.Int64,
		c == msgpcode.Uint8, c == msgpcode.Uint16, c == msgpcode.Uint32:
		return dec.DecodeInt64()
	case c == msgpcode.Uint64:
		n, err := dec.DecodeUint64()
		if err != nil {
			return nil, err
		}
		if n <= math.MaxInt64 {
			return int64(n), nil
		}
		return n, nil
	case c == msgpcode.Float:
		f, err := dec.DecodeFloat32()
		return float64(f), err
	case c == msgpcode.Double:
		return dec.DecodeFloat64()
	case msgpcode.IsString(c):
		return dec.DecodeString()
	case msgpcode.IsBin(c):
		n, err := dec.DecodeBytesLen()
		if err != nil {
			return nil, err
		}
		return readN(r, n)
	case msgpcode.IsFixedArray(c), c == msgpcode.Array16, c == msgpcode.Array32:
		n, err := dec.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		if n < 0 || n > r.Len() {
			return nil, errors.New("array longer than its message")
		}
		a := make([]any, n)
		for i := range a {
			if a[i], err = decodeValue(dec, r, depth+1); err != nil {
				return nil, err
			}
		}
		return a, nil
	case msgpcode.IsFixedMap(c), c == msgpcode.Map16, c == msgpcode.Map32:
		n, err := dec.DecodeMapLen()
		if err != nil {
			return nil, err
		}
		if n < 0 || 2*n > r.Len() {
			return nil, errors.New("map longer than its message")
		}
		o := &object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
		for range n {
			k, err := decodeValue(dec, r, depth+1)
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec, r, depth+1)
			if err != nil {
				return nil, err
			}
			o.set(keyString(k), v)
		}
		o.order()
		return o, nil
	case msgpcode.IsExt(c):
		id, n, err := dec.DecodeExtHeader()
		if err != nil {
			return nil, err
		}
		b, err := readN(r, n)
		if err != nil {
			return nil, err
		}
		switch {
		case c == msgpcode.FixExt1 && id == 0:
			return undefinedValue{}, nil
		case c == msgpcode.FixExt8 && id == 0: // notepack's old Date: int64 milliseconds
			ms := int64(uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
				uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7]))
			return time.UnixMilli(ms).UTC(), nil
		case id == -1 && n == 4:
			s := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			return time.Unix(int64(s), 0).UTC(), nil
		case id == -1 && n == 8:
			v := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
				uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
			return time.UnixMilli(int64(v&(1<<34-1))*1000 + int64(v>>34)/1e6).UTC(), nil
		case id == -1 && n == 12:
			ns := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			s := int64(uint64(b[4])<<56 | uint64(b[5])<<48 | uint64(b[6])<<40 | uint64(b[7])<<32 |
				uint64(b[8])<<24 | uint64(b[9])<<16 | uint64(b[10])<<8 | uint64(b[11]))
			return time.UnixMilli(s*1000 + int64(ns)/1e6).UTC(), nil
		}
		return []any{int64(id), b}, nil // notepack's [type, Buffer]
	default:
		return nil, fmt.Errorf("unknown code %#x", c)
	}
}

func readN(r *bytes.Reader, n int) ([]byte, error) {
	if n < 0 || n > r.Len() {
		return nil, errors.New("value longer than its message")
	}
	b := make([]byte, n)
	if n == 0 {
		return b, nil
	}
	_, err := r.Read(b)
	return b, err
}

// keyString converts a decoded map key to a property name, as JavaScript would.
func keyString(k any) string {
	switch k := k.(type) {
	case string:
		return k
	case nil:
		return "null"
	case undefinedValue:
		return "undefined"
	case float64:
		if math.IsNaN(k) {
			return "NaN"
		}
		if math.IsInf(k, 0) {
			if k > 0 {
				return "Infinity"
			}
			return "-Infinity"
		}
	case *object:
		return "[object Object]"
	}
	return string(appendJSON(nil, k, nil))
}
