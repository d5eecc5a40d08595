package parser

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// UnmarshalArg decodes one raw argument (an element of an event's JSON array) into v, which
// must be a non-nil pointer, resolving binary placeholders from attachments.
//
// A placeholder becomes the attachment itself (not a copy) in a []byte target at any depth
// (struct fields, map values, slice elements, through pointers) and in an interface (any)
// target; a placeholder for a json.Unmarshaler target, json.RawMessage included, is handed
// to it as JSON. Everything else decodes as encoding/json does (numbers are float64 in an
// any). A placeholder whose num is not an integer in [0, len(attachments)) is an error
// wrapping [ErrInvalid]; a placeholder for any other target type is a
// *json.UnmarshalTypeError. Without placeholders, UnmarshalArg is json.Unmarshal.
// UnmarshalArg never panics on bad input.
func UnmarshalArg(raw json.RawMessage, attachments [][]byte, v any) error {
	if sp, ok := v.(*string); ok { // the commonest argument, without encoding/json
		if s, ok := plainString(raw); ok {
			*sp = s
			return nil
		}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("parser: UnmarshalArg needs a non-nil pointer, got %T", v)
	}
	var x *index
	if mayHavePlaceholders(raw) && json.Valid(raw) {
		var err error
		if x, err = newIndex(raw); err != nil {
			return err
		}
	}
	if x == nil || !x.has(x.root) {
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("parser: %w", err)
		}
		return nil
	}
	u := unmarshaler{x: x, attachments: attachments}
	return u.value(x.root, rv.Elem())
}

type unmarshaler struct {
	x           *index
	attachments [][]byte
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	byteType            = reflect.TypeFor[byte]()
)

// value decodes the JSON value at i into the settable v.
func (u *unmarshaler) value(i int, v reflect.Value) error {
	raw := u.x.raw[i:u.x.end(i)]
	if !v.CanSet() {
		// A field of an unexported embedded struct with a tag name: reflect cannot set it.
		return fmt.Errorf("parser: cannot decode a binary attachment into unexported embedded %s", v.Type())
	}
	if !u.x.has(i) {
		if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
			return fmt.Errorf("parser: %w", err)
		}
		return nil
	}
	// Follow pointers, and a non-nil pointer in an interface, stopping at an Unmarshaler,
	// as encoding/json does.
	for {
		if v.Kind() == reflect.Interface && !v.IsNil() {
			if e := v.Elem(); e.Kind() == reflect.Pointer && !e.IsNil() {
				v = e
				continue
			}
		}
		if v.Kind() != reflect.Pointer {
			if v.CanAddr() && v.Addr().CanInterface() {
				if m, ok := v.Addr().Interface().(json.Unmarshaler); ok {
					if err := m.UnmarshalJSON(raw); err != nil {
						return fmt.Errorf("parser: %w", err)
					}
					return nil
				}
			}
			break
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	b, isPH, err := u.x.placeholder(i, u.attachments)
	if err != nil {
		return err
	}
	if isPH {
		switch {
		case v.Kind() == reflect.Interface && v.NumMethod() == 0:
			v.Set(reflect.ValueOf(b))
		case isByteSlice(v.Type()) && v.Type().Elem() == byteType:
			v.Set(reflect.ValueOf(b).Convert(v.Type()))
		case isByteSlice(v.Type()): // a slice of a named byte type: copy
			s := reflect.MakeSlice(v.Type(), len(b), len(b))
			for k, c := range b {
				s.Index(k).SetUint(uint64(c))
			}
			v.Set(s)
		default:
			return u.typeError("binary attachment", v.Type())
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.NumMethod() != 0 {
			return u.typeError(kindOf(raw), v.Type())
		}
		a, err := u.any(i)
		if err != nil {
			return err
		}
		if a == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(a))
		}
		return nil
	case reflect.Slice:
		if raw[0] != '[' {
			break
		}
		n := 0
		walkArray(raw, 0, 1, func(int, int) error { n++; return nil })
		s := reflect.MakeSlice(v.Type(), n, n)
		k := 0
		err := u.elements(i, func(j int) error {
			err := u.value(j, s.Index(k))
			k++
			return err
		})
		if err != nil {
			return err
		}
		v.Set(s)
		return nil
	case reflect.Array:
		if raw[0] != '[' {
			break
		}
		k := 0
		err := u.elements(i, func(j int) error {
			if k >= v.Len() {
				return nil
			}
			err := u.value(j, v.Index(k))
			k++
			return err
		})
		if err != nil {
			return err
		}
		for ; k < v.Len(); k++ {
			v.Index(k).SetZero()
		}
		return nil
	case reflect.Map:
		if raw[0] != '{' {
			break
		}
		return u.mapValue(i, v)
	case reflect.Struct:
		if raw[0] != '{' {
			break
		}
		return u.structValue(i, v)
	}
	return u.typeError(kindOf(raw), v.Type())
}

func (u *unmarshaler) typeError(what string, t reflect.Type) error {
	return fmt.Errorf("parser: %w", &json.UnmarshalTypeError{Value: what, Type: t})
}

func kindOf(raw []byte) string {
	if raw[0] == '[' {
		return "array"
	}
	return "object"
}

// elements calls fn with the start of each element of the array at i.
func (u *unmarshaler) elements(i int, fn func(j int) error) error {
	d := u.x.raw
	j := skipSpace(d, i+1)
	if j < len(d) && d[j] == ']' {
		return nil
	}
	for {
		if err := fn(j); err != nil {
			return err
		}
		j = skipSpace(d, u.x.end(j))
		if j >= len(d) || d[j] != ',' {
			return nil
		}
		j = skipSpace(d, j+1)
	}
}

// members calls fn with the raw key and the start of each member of the object at i.
func (u *unmarshaler) members(i int, fn func(key []byte, j int) error) error {
	d := u.x.raw
	j := skipSpace(d, i+1)
	if j < len(d) && d[j] == '}' {
		return nil
	}
	for {
		keyEnd, err := skipString(d, j)
		if err != nil {
			return err
		}
		key := d[j:keyEnd]
		j = skipSpace(d, skipSpace(d, keyEnd)+1) // past ':'
		if err := fn(key, j); err != nil {
			return err
		}
		j = skipSpace(d, u.x.end(j))
		if j >= len(d) || d[j] != ',' {
			return nil
		}
		j = skipSpace(d, j+1)
	}
}

// any builds the generic value (as json.Unmarshal into an any) of the value at i.
func (u *unmarshaler) any(i int) (any, error) {
	raw := u.x.raw[i:u.x.end(i)]
	if a, ok := scalar(raw); ok {
		return a, nil
	}
	if !u.x.has(i) {
		var a any
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("parser: %w", err)
		}
		return a, nil
	}
	if b, isPH, err := u.x.placeholder(i, u.attachments); isPH || err != nil {
		return b, err
	}
	if raw[0] == '[' {
		var a []any
		err := u.elements(i, func(j int) error {
			e, err := u.any(j)
			a = append(a, e)
			return err
		})
		if a == nil {
			a = []any{}
		}
		return a, err
	}
	m := map[string]any{}
	err := u.members(i, func(key []byte, j int) error {
		e, err := u.any(j)
		m[unquote(key)] = e
		return err
	})
	return m, err
}

// scalar decodes the common scalars the way json.Unmarshal into an any does, without its
// per-call cost; ok is false for anything else (escaped or non-ASCII strings included).
func scalar(raw []byte) (a any, ok bool) {
	switch c := raw[0]; {
	case c == 'n':
		return nil, string(raw) == "null"
	case c == 't':
		return true, string(raw) == "true"
	case c == 'f':
		return false, string(raw) == "false"
	case c == '-' || (c >= '0' && c <= '9'):
		f, err := strconv.ParseFloat(string(raw), 64)
		return f, err == nil
	case c == '"' && len(raw) >= 2:
		for _, c := range raw[1 : len(raw)-1] {
			if c < 0x20 || c == '\\' || c == '"' || c >= utf8.RuneSelf {
				return nil, false
			}
		}
		return string(raw[1 : len(raw)-1]), true
	}
	return nil, false
}

// mapValue decodes the object at i, which holds placeholders, into the map v.
func (u *unmarshaler) mapValue(i int, v reflect.Value) error {
	t := v.Type()
	kt := t.Key()
	switch kt.Kind() {
	case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
	default:
		if !reflect.PointerTo(kt).Implements(textUnmarshalerType) {
			return u.typeError("object", t)
		}
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	return u.members(i, func(key []byte, j int) error {
		k, err := mapKey(kt, unquote(key))
		if err != nil {
			return err
		}
		e := reflect.New(t.Elem()).Elem()
		if err := u.value(j, e); err != nil {
			return err
		}
		v.SetMapIndex(k, e)
		return nil
	})
}

// mapKey converts a JSON object key to a map key of type kt, as encoding/json does.
func mapKey(kt reflect.Type, key string) (reflect.Value, error) {
	if reflect.PointerTo(kt).Implements(textUnmarshalerType) {
		k := reflect.New(kt)
		if err := k.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(key)); err != nil {
			return reflect.Value{}, fmt.Errorf("parser: map key %q: %w", key, err)
		}
		return k.Elem(), nil
	}
	k := reflect.New(kt).Elem()
	switch kt.Kind() {
	case reflect.String:
		k.SetString(key)
		return k, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(key, 10, 64)
		if err != nil || k.OverflowInt(n) {
			break
		}
		k.SetInt(n)
		return k, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, err := strconv.ParseUint(key, 10, 64)
		if err != nil || k.OverflowUint(n) {
			break
		}
		k.SetUint(n)
		return k, nil
	}
	return reflect.Value{}, fmt.Errorf("parser: %w", &json.UnmarshalTypeError{Value: "number " + key, Type: kt})
}

// structValue decodes the object at i, which holds placeholders, into the struct v: members
// without placeholders go through json.Unmarshal together (so every encoding/json rule
// applies to them), the others are matched to fields here.
func (u *unmarshaler) structValue(i int, v reflect.Value) error {
	d := u.x.raw
	rest := []byte{'{'}
	type member struct {
		key string
		j   int
	}
	var binary []member
	err := u.members(i, func(key []byte, j int) error {
		if u.x.has(j) {
			binary = append(binary, member{unquote(key), j})
			return nil
		}
		if len(rest) > 1 {
			rest = append(rest, ',')
		}
		rest = append(rest, key...)
		rest = append(rest, ':')
		rest = append(rest, d[j:u.x.end(j)]...)
		return nil
	})
	if err != nil {
		return err
	}
	rest = append(rest, '}')
	if err := json.Unmarshal(rest, v.Addr().Interface()); err != nil {
		return fmt.Errorf("parser: %w", err)
	}
	fields := fieldsOf(v.Type())
	for _, m := range binary {
		f := lookupField(fields, m.key)
		if f == nil {
			continue // unknown keys are ignored, as in encoding/json
		}
		fv, err := settableField(v, f.index)
		if err != nil {
			return err
		}
		if err := u.value(m.j, fv); err != nil {
			return err
		}
	}
	return nil
}

// settableField follows a field index, allocating nil embedded pointers on the way.
func settableField(v reflect.Value, index []int) (reflect.Value, error) {
	for k, x := range index {
		if k > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, fmt.Errorf("parser: cannot set embedded pointer to unexported struct %s", v.Type().Elem())
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}

// PlainString returns the value of raw when it is a JSON string with nothing to unescape,
// as UnmarshalArg would decode it into a string; false for anything else, which is left to
// UnmarshalArg. It allocates only the string.
func PlainString(raw []byte) (string, bool) { return plainString(raw) }

// plainString returns the value of a JSON string with nothing to unescape: quotes around valid
// UTF-8 without a backslash or a control character. Anything else is left to encoding/json.
func plainString(raw []byte) (string, bool) {
	n := len(raw)
	if n < 2 || raw[0] != '"' || raw[n-1] != '"' {
		return "", false
	}
	body := raw[1 : n-1]
	for _, b := range body {
		if b < 0x20 || b == '"' || b == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(body) {
		return "", false // encoding/json replaces invalid bytes with U+FFFD
	}
	return string(body), true
}

// UnmarshalArgAt decodes argument i of args into v as UnmarshalArg does; an argument that is
// absent (i out of range) decodes as JSON null, as a missing argument is undefined in
// JavaScript. It is the Decode of hub.Args and client.Args.
func UnmarshalArgAt(args []json.RawMessage, attachments [][]byte, i int, v any) error {
	raw := json.RawMessage("null")
	if i >= 0 && i < len(args) {
		raw = args[i]
	}
	return UnmarshalArg(raw, attachments, v)
}

// ArgValues returns args ready to emit again: each argument without binary placeholders as
// its json.RawMessage (bytes and key order kept), the others decoded into an any with binary
// data as []byte (the raw JSON if that fails). It is the Values of hub.Args and client.Args.
func ArgValues(args []json.RawMessage, attachments [][]byte) []any {
	vals := make([]any, len(args))
	for i, raw := range args {
		vals[i] = raw
		if len(attachments) == 0 || !HasPlaceholders(raw) {
			continue
		}
		var v any
		if UnmarshalArg(raw, attachments, &v) == nil {
			vals[i] = v
		}
	}
	return vals
}
