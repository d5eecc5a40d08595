package parser

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hubkit/hub/internal/eio"
)

// AppendArgs appends args to dst as one compact JSON array, the way JSON.stringify writes it
// (no HTML escaping), and returns the extended buffer and the binary attachments.
//
// Every []byte found at any depth (an argument, a struct field, a map value, a slice element,
// through pointers and interfaces) is written as {"_placeholder":true,"num":N}, numbered in
// depth-first order, and returned in attachments: the slices themselves, not copies, so the
// caller must not modify them until they are sent. A nil []byte is null, as in encoding/json.
// Struct fields and map keys follow encoding/json (tags, omitempty, omitzero, "-", ",string",
// embedded structs, sorted map keys), and json.Marshaler and encoding.TextMarshaler values
// are written by encoding/json.
//
// Apart from the placeholders, the output is what encoding/json writes with HTML escaping
// off, with one exception: a json.RawMessage argument, or one inside a value that holds a
// []byte, is copied verbatim, without validation or compaction (an empty one is null), so
// relayed JSON keeps its bytes and key order. Values whose type cannot hold a []byte take the
// encoding/json path directly (the answer is cached per type); strings, bools, ints and
// float64 arguments are written without it.
//
// The output is always valid UTF-8, so that it can go out in a WebSocket text frame: strings
// are written as encoding/json writes them (each invalid byte as \ufffd), and the bytes that
// come from json.RawMessage arguments and json.Marshaler values, which encoding/json does not
// check, have each ill-formed sequence replaced by U+FFFD.
//
// On error, out is dst (its spare capacity may have been written) and attachments is nil.
// AppendArgs is safe for concurrent use.
func AppendArgs(dst []byte, args []any) (out []byte, attachments [][]byte, err error) {
	start := len(dst)
	w := argWriter{dst: append(dst, '[')}
	for i, a := range args {
		if i > 0 {
			w.dst = append(w.dst, ',')
		}
		switch a := a.(type) {
		case string:
			w.dst = appendString(w.dst, a)
		case json.RawMessage:
			w.dst = appendRaw(w.dst, a)
			w.unchecked = true
		case nil:
			w.dst = append(w.dst, "null"...)
		case bool:
			w.dst = strconv.AppendBool(w.dst, a)
		case int:
			w.dst = strconv.AppendInt(w.dst, int64(a), 10)
		case int64:
			w.dst = strconv.AppendInt(w.dst, a, 10)
		case float64:
			if math.IsInf(a, 0) || math.IsNaN(a) {
				w.release()
				return dst, nil, fmt.Errorf("parser: %w", &json.UnsupportedValueError{Str: strconv.FormatFloat(a, 'g', -1, 64)})
			}
			w.dst = AppendFloat(w.dst, a)
		case []byte:
			w.bytes(a)
		default:
			if mayHoldBytes(reflect.TypeOf(a)) {
				err = w.value(reflect.ValueOf(a), 0)
			} else {
				err = w.json(a)
			}
			if err != nil {
				w.release()
				return dst, nil, err
			}
		}
	}
	w.release()
	out = append(w.dst, ']')
	if w.unchecked && !utf8.Valid(out[start:]) {
		out = append(out[:start], eio.ToValidUTF8(out[start:])...)
	}
	return out, w.attachments, nil
}

// encoder is a pooled json.Encoder writing into its own buffer.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoderPool = sync.Pool{New: func() any {
	e := new(encoder)
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// argWriter is the state of one AppendArgs call.
type argWriter struct {
	dst         []byte
	attachments [][]byte
	enc         *encoder // taken from encoderPool on first use
	unchecked   bool     // dst holds bytes whose UTF-8 was not checked (raw JSON, encoding/json output)
}

func (w *argWriter) release() {
	if w.enc != nil {
		if w.enc.buf.Cap() <= 64<<10 {
			encoderPool.Put(w.enc)
		}
		w.enc = nil
	}
}

// json appends v as encoding/json writes it.
func (w *argWriter) json(v any) error {
	if w.enc == nil {
		w.enc = encoderPool.Get().(*encoder)
	}
	w.enc.buf.Reset()
	if err := w.enc.enc.Encode(v); err != nil {
		return fmt.Errorf("parser: %w", err)
	}
	b := w.enc.buf.Bytes()
	w.dst = append(w.dst, b[:len(b)-1]...) // without Encode's trailing newline
	w.unchecked = true                     // a json.Marshaler's output is not checked for UTF-8
	return nil
}

func (w *argWriter) bytes(b []byte) {
	if b == nil {
		w.dst = append(w.dst, "null"...)
		return
	}
	w.dst = append(w.dst, `{"_placeholder":true,"num":`...)
	w.dst = strconv.AppendInt(w.dst, int64(len(w.attachments)), 10)
	w.dst = append(w.dst, '}')
	w.attachments = append(w.attachments, b)
}

// maxValueDepth bounds the walk, as encoding/json's cycle detection does.
const maxValueDepth = 1000

// value appends v, whose type may hold a []byte.
func (w *argWriter) value(v reflect.Value, depth int) error {
	if depth > maxValueDepth {
		return fmt.Errorf("parser: value nested too deep (a cycle?) at %s", v.Type())
	}
	if !v.IsValid() {
		w.dst = append(w.dst, "null"...)
		return nil
	}
	t := v.Type()
	if t == rawMessageType {
		w.dst = appendRaw(w.dst, v.Bytes())
		w.unchecked = true
		return nil
	}
	if !v.CanInterface() {
		// An unexported embedded struct with a tag name, which encoding/json writes: walk
		// its exported fields, which reflect does let us read.
		if t.Kind() == reflect.Struct {
			return w.structValue(v, depth)
		}
		return fmt.Errorf("parser: cannot encode unexported %s", t)
	}
	if !mayHoldBytes(t) {
		return w.json(v.Interface())
	}
	switch t.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			w.dst = append(w.dst, "null"...)
			return nil
		}
		return w.value(v.Elem(), depth+1)
	case reflect.Slice:
		if v.IsNil() {
			w.dst = append(w.dst, "null"...)
			return nil
		}
		if isByteSlice(t) {
			w.bytes(v.Bytes())
			return nil
		}
		fallthrough
	case reflect.Array:
		w.dst = append(w.dst, '[')
		for i := range v.Len() {
			if i > 0 {
				w.dst = append(w.dst, ',')
			}
			if err := w.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
		w.dst = append(w.dst, ']')
		return nil
	case reflect.Map:
		return w.mapValue(v, depth)
	case reflect.Struct:
		return w.structValue(v, depth)
	}
	return w.json(v.Interface())
}

func (w *argWriter) mapValue(v reflect.Value, depth int) error {
	if v.IsNil() {
		w.dst = append(w.dst, "null"...)
		return nil
	}
	type entry struct {
		key string
		val reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		k, err := mapKeyString(it.Key())
		if err != nil {
			return err
		}
		entries = append(entries, entry{k, it.Value()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	w.dst = append(w.dst, '{')
	for i, e := range entries {
		if i > 0 {
			w.dst = append(w.dst, ',')
		}
		w.dst = appendString(w.dst, e.key)
		w.dst = append(w.dst, ':')
		if err := w.value(e.val, depth+1); err != nil {
			return err
		}
	}
	w.dst = append(w.dst, '}')
	return nil
}

// mapKeyString resolves a map key as encoding/json does.
func mapKeyString(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		if k.Kind() == reflect.Pointer && k.IsNil() {
			return "", nil
		}
		b, err := tm.MarshalText()
		if err != nil {
			return "", fmt.Errorf("parser: map key: %w", err)
		}
		return string(b), nil
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", fmt.Errorf("parser: unsupported map key type %s", k.Type())
}

func (w *argWriter) structValue(v reflect.Value, depth int) error {
	w.dst = append(w.dst, '{')
	first := true
	fields := fieldsOf(v.Type())
	for i := range fields {
		f := &fields[i]
		fv, ok := fieldByIndex(v, f.index)
		if !ok || (f.omitEmpty && isEmptyValue(fv)) || (f.omitZero && isZeroValue(fv)) {
			continue
		}
		if !first {
			w.dst = append(w.dst, ',')
		}
		first = false
		w.dst = append(w.dst, f.key...)
		if f.quoted {
			if err := w.quoted(fv); err != nil {
				return err
			}
			continue
		}
		if err := w.value(fv, depth+1); err != nil {
			return err
		}
	}
	w.dst = append(w.dst, '}')
	return nil
}

// quoted appends a scalar field with the ",string" option: its JSON inside a JSON string.
func (w *argWriter) quoted(v reflect.Value) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			w.dst = append(w.dst, "null"...)
			return nil
		}
		v = v.Elem()
	}
	start := len(w.dst)
	if err := w.json(v.Interface()); err != nil {
		return err
	}
	s := string(w.dst[start:])
	w.dst = appendString(w.dst[:start], s)
	return nil
}

// fieldByIndex follows a field index through embedded structs; ok is false when it crosses
// a nil embedded pointer.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

type isZeroer interface{ IsZero() bool }

func isZeroValue(v reflect.Value) bool {
	if !v.CanInterface() {
		return v.IsZero()
	}
	if z, ok := v.Interface().(isZeroer); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	return v.IsZero()
}

var (
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// isByteSlice reports whether encoding/json would write t as a base64 string.
func isByteSlice(t reflect.Type) bool {
	if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Uint8 {
		return false
	}
	p := reflect.PointerTo(t.Elem())
	return !p.Implements(marshalerType) && !p.Implements(textMarshalerType)
}

var holdsBytesCache sync.Map // reflect.Type -> bool

// mayHoldBytes reports whether a value of type t may contain a []byte that must become a
// placeholder. Interfaces may; types encoding/json hands to a marshaler may not.
func mayHoldBytes(t reflect.Type) bool {
	if b, ok := holdsBytesCache.Load(t); ok {
		return b.(bool)
	}
	b, _ := holdsBytes(t, map[reflect.Type]bool{})
	holdsBytesCache.Store(t, b)
	return b
}

// holdsBytes computes mayHoldBytes. A type met again while it is being examined counts as
// false for now; results that relied on such a guess (cyclic) are not cached.
func holdsBytes(t reflect.Type, visiting map[reflect.Type]bool) (holds, cyclic bool) {
	if b, ok := holdsBytesCache.Load(t); ok {
		return b.(bool), false
	}
	if visiting[t] {
		return false, true
	}
	if t.Implements(marshalerType) || t.Implements(textMarshalerType) {
		return false, false
	}
	visiting[t] = true
	defer delete(visiting, t)
	switch t.Kind() {
	case reflect.Interface:
		return true, false
	case reflect.Slice:
		if isByteSlice(t) {
			return true, false
		}
		holds, cyclic = holdsBytes(t.Elem(), visiting)
	case reflect.Pointer, reflect.Array, reflect.Map:
		holds, cyclic = holdsBytes(t.Elem(), visiting)
	case reflect.Struct:
		for _, f := range fieldsOf(t) {
			h, c := holdsBytes(f.typ, visiting)
			cyclic = cyclic || c
			if h {
				holds = true
				break
			}
		}
	}
	if holds || !cyclic {
		holdsBytesCache.Store(t, holds)
	}
	return holds, cyclic && !holds
}

// appendRaw appends a json.RawMessage verbatim; an empty one is null.
func appendRaw(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, raw...)
}

// AppendFloat appends f, a finite number, as encoding/json (and JSON.stringify) writes a
// float64. The Redis adapter's JSON writer shares it.
func AppendFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-07 becomes e-7
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string exactly as encoding/json does with HTML escaping
// off: control characters, '"' and '\\' escaped, invalid UTF-8 as \ufffd, and U+2028 and
// U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
