package parser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// This file holds a small JSON scanner. It never allocates on the plain paths, and it bounds
// nesting like encoding/json does, so that hostile input costs linear time.

var errSyntax = fmt.Errorf("%w: malformed JSON", ErrInvalid)

// errDepth reports JSON nested deeper than MaxDepth.
var errDepth = &LimitError{Limit: "nesting depth", Max: MaxDepth}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(d []byte, i int) int {
	for i < len(d) && isSpace(d[i]) {
		i++
	}
	return i
}

// trimSpace returns the bounds of d without the surrounding JSON whitespace.
func trimSpace(d []byte) (int, int) {
	i, j := 0, len(d)
	for i < j && isSpace(d[i]) {
		i++
	}
	for j > i && isSpace(d[j-1]) {
		j--
	}
	return i, j
}

// skipScalar returns the end of the string, number or literal starting at d[i].
func skipScalar(d []byte, i int) (int, error) {
	if i >= len(d) {
		return 0, errSyntax
	}
	switch c := d[i]; {
	case c == '"':
		return skipString(d, i)
	case c == 't':
		return skipLiteral(d, i, "true")
	case c == 'f':
		return skipLiteral(d, i, "false")
	case c == 'n':
		return skipLiteral(d, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(d) && isNumberByte(d[j]) {
			j++
		}
		return j, nil
	}
	return 0, errSyntax
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

func skipLiteral(d []byte, i int, lit string) (int, error) {
	if len(d)-i < len(lit) || string(d[i:i+len(lit)]) != lit {
		return 0, errSyntax
	}
	return i + len(lit), nil
}

// skipString returns the end of the JSON string starting at d[i], which is '"'.
func skipString(d []byte, i int) (int, error) {
	for i++; i < len(d); {
		switch c := d[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			i += 2
		case c < 0x20:
			return 0, errSyntax
		default:
			i++
		}
	}
	return 0, errSyntax
}

// skipValue returns the end of the JSON value starting at d[i].
func skipValue(d []byte, i, depth int) (int, error) {
	if i < len(d) {
		switch d[i] {
		case '[':
			return walkArray(d, i, depth+1, nil)
		case '{':
			return walkObject(d, i, depth+1, nil)
		}
	}
	return skipScalar(d, i)
}

// walkArray walks the array starting at d[i], which is '[', calls fn (if not nil) with the
// bounds of each element and returns the end of the array.
func walkArray(d []byte, i, depth int, fn func(start, end int) error) (int, error) {
	if depth > MaxDepth {
		return 0, errDepth
	}
	return elements(d, i, func(i int) (int, error) {
		end, err := skipValue(d, i, depth)
		if err == nil && fn != nil {
			err = fn(i, end)
		}
		return end, err
	})
}

// walkObject walks the object starting at d[i], which is '{', calls fn (if not nil) with the
// raw key (quotes included) and the bounds of each value, and returns the end of the object.
func walkObject(d []byte, i, depth int, fn func(key []byte, start, end int) error) (int, error) {
	if depth > MaxDepth {
		return 0, errDepth
	}
	return members(d, i, func(key []byte, i int) (int, error) {
		end, err := skipValue(d, i, depth)
		if err == nil && fn != nil {
			err = fn(key, i, end)
		}
		return end, err
	})
}

// elements walks the punctuation of the array starting at d[i], which is '[': elem scans the
// element starting at i and returns its end. It returns the end of the array.
func elements(d []byte, i int, elem func(i int) (end int, err error)) (int, error) {
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := elem(i)
		if err != nil {
			return 0, err
		}
		i = skipSpace(d, end)
		if i >= len(d) {
			return 0, errSyntax
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case ']':
			return i + 1, nil
		default:
			return 0, errSyntax
		}
	}
}

// members walks the keys and punctuation of the object starting at d[i], which is '{':
// member scans the value of key (quotes included) starting at i and returns its end. It
// returns the end of the object.
func members(d []byte, i int, member func(key []byte, i int) (end int, err error)) (int, error) {
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return 0, errSyntax
		}
		keyEnd, err := skipString(d, i)
		if err != nil {
			return 0, err
		}
		key := d[i:keyEnd]
		i = skipSpace(d, keyEnd)
		if i >= len(d) || d[i] != ':' {
			return 0, errSyntax
		}
		end, err := member(key, skipSpace(d, i+1))
		if err != nil {
			return 0, err
		}
		i = skipSpace(d, end)
		if i >= len(d) {
			return 0, errSyntax
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, errSyntax
		}
	}
}

// keyIs reports whether the raw JSON string key (quotes included) decodes to name.
func keyIs(key []byte, name string) bool {
	if bytes.IndexByte(key, '\\') < 0 {
		return string(key[1:len(key)-1]) == name
	}
	return unquote(key) == name
}

// unquote decodes a raw JSON string (quotes included); it returns "" if key is malformed.
func unquote(key []byte) string {
	if bytes.IndexByte(key, '\\') < 0 && utf8.Valid(key) {
		return string(key[1 : len(key)-1])
	}
	// Escapes, or invalid UTF-8 that encoding/json turns into U+FFFD: let it decide.
	var s string
	if json.Unmarshal(key, &s) != nil {
		return ""
	}
	return s
}

// SplitArray splits a JSON array into its raw elements, which are sub-slices of data (no
// copy) without surrounding whitespace. Data that is not a JSON array is an error wrapping
// [ErrInvalid]; the elements themselves are only checked for their structure (brackets and
// strings), [UnmarshalArg] reports anything else.
//
// SplitArray enforces the limits on a received packet: an array of more than [MaxArgs]
// elements, or nested deeper than [MaxDepth], is a [*LimitError] (which wraps ErrInvalid),
// found before anything is allocated.
func SplitArray(data json.RawMessage) ([]json.RawMessage, error) {
	i, j := trimSpace(data)
	if i >= j || data[i] != '[' {
		return nil, fmt.Errorf("%w: not a JSON array", ErrInvalid)
	}
	d := data[:j]
	n := 0
	end, err := walkArray(d, i, 1, func(int, int) error {
		if n++; n > MaxArgs {
			return errArgs
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if end != j {
		return nil, errSyntax
	}
	out := make([]json.RawMessage, 0, n)
	walkArray(d, i, 1, func(s, e int) error {
		out = append(out, json.RawMessage(d[s:e:e]))
		return nil
	})
	return out, nil
}

// HasPlaceholders reports whether raw contains a binary placeholder: an object whose
// "_placeholder" member is true. It is a cheap byte scan for the common case of JSON without
// one; malformed JSON reports false.
func HasPlaceholders(raw json.RawMessage) bool {
	if !mayHavePlaceholders(raw) {
		return false
	}
	x, err := newIndex(raw)
	return err == nil && x.has(x.root)
}

// mayHavePlaceholders is the cheap test: a placeholder needs the key "_placeholder", written
// plainly or with \u escapes.
func mayHavePlaceholders(raw []byte) bool {
	return bytes.Contains(raw, []byte("placeholder")) || bytes.Contains(raw, []byte(`\u`))
}

// node describes one array or object of an indexed JSON value.
type node struct {
	start, end int
	hasPH      bool // it is, or contains, a placeholder
	isPH       bool // it is a placeholder
	num        []byte
}

// index lists the arrays and objects of a JSON value that are or hold a placeholder, in
// document order, so that skipping such a value or asking whether it holds a placeholder
// costs a binary search, not a scan; a value without one is not indexed (its end is found by
// a scan, once per visit), so the index costs memory in proportion to the placeholders, not
// to the input. Like socket.io-parser, it does not look inside a placeholder.
type index struct {
	raw   []byte
	root  int // start of the trimmed value
	nodes []node
}

func newIndex(raw []byte) (*index, error) {
	i, j := trimSpace(raw)
	x := &index{raw: raw[:j], root: i}
	end, _, err := x.scan(i, 1)
	if err != nil {
		return nil, err
	}
	if end != j {
		return nil, errSyntax
	}
	return x, nil
}

func (x *index) scan(i, depth int) (end int, hasPH bool, err error) {
	d := x.raw
	if i >= len(d) || (d[i] != '[' && d[i] != '{') {
		end, err = skipScalar(d, i)
		return end, false, err
	}
	if depth > MaxDepth {
		return 0, false, errDepth
	}
	k := len(x.nodes)
	x.nodes = append(x.nodes, node{start: i})
	if d[i] == '[' {
		end, err = x.array(i, depth, func(h bool) { hasPH = hasPH || h })
		if err != nil {
			return 0, false, err
		}
		if !hasPH {
			x.nodes = x.nodes[:k] // its elements were dropped already: none holds a placeholder
			return end, false, nil
		}
		x.nodes[k].end, x.nodes[k].hasPH = end, hasPH
		return end, hasPH, nil
	}
	isPH := false
	var num []byte
	end, err = x.object(i, depth, func(key []byte, s, e int, h bool) {
		hasPH = hasPH || h
		if keyIs(key, "_placeholder") {
			isPH = string(d[s:e]) == "true"
		} else if keyIs(key, "num") {
			num = d[s:e]
		}
	})
	if err != nil {
		return 0, false, err
	}
	if isPH {
		x.nodes = x.nodes[:k+1]
		hasPH = true
	}
	if !hasPH {
		x.nodes = x.nodes[:k]
		return end, false, nil
	}
	x.nodes[k] = node{start: i, end: end, hasPH: hasPH, isPH: isPH, num: num}
	return end, hasPH, nil
}

// array scans the elements of the array at d[i] in one pass, recursing into them.
func (x *index) array(i, depth int, fn func(hasPH bool)) (int, error) {
	return elements(x.raw, i, func(i int) (int, error) {
		end, h, err := x.scan(i, depth+1)
		if err == nil {
			fn(h)
		}
		return end, err
	})
}

// object scans the members of the object at d[i] in one pass, recursing into the values.
func (x *index) object(i, depth int, fn func(key []byte, s, e int, hasPH bool)) (int, error) {
	return members(x.raw, i, func(key []byte, i int) (int, error) {
		end, h, err := x.scan(i, depth+1)
		if err == nil {
			fn(key, i, end, h)
		}
		return end, err
	})
}

// find returns the node of the array or object starting at i, or nil.
func (x *index) find(i int) *node {
	k := sort.Search(len(x.nodes), func(k int) bool { return x.nodes[k].start >= i })
	if k < len(x.nodes) && x.nodes[k].start == i {
		return &x.nodes[k]
	}
	return nil
}

// end returns the end of the value starting at i.
func (x *index) end(i int) int {
	if n := x.find(i); n != nil {
		return n.end
	}
	e, err := skipValue(x.raw, i, 0)
	if err != nil {
		return len(x.raw) // unreachable: the index was built from valid structure
	}
	return e
}

func (x *index) has(i int) bool {
	n := x.find(i)
	return n != nil && n.hasPH
}

// placeholder returns the attachment the placeholder at i refers to; ok is false when the
// value at i is not a placeholder.
func (x *index) placeholder(i int, attachments [][]byte) (b []byte, ok bool, err error) {
	n := x.find(i)
	if n == nil || !n.isPH {
		return nil, false, nil
	}
	k, err := placeholderNum(n.num, len(attachments))
	if err != nil {
		return nil, true, err
	}
	return attachments[k], true, nil
}

// check verifies that every placeholder refers to one of n attachments.
func (x *index) check(n int) error {
	for k := range x.nodes {
		if x.nodes[k].isPH {
			if _, err := placeholderNum(x.nodes[k].num, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// placeholderNum validates the raw "num" of a placeholder: an integer in [0,n).
func placeholderNum(num []byte, n int) (int, error) {
	if len(num) > 0 && (num[0] == '-' || (num[0] >= '0' && num[0] <= '9')) {
		if f, err := strconv.ParseFloat(string(num), 64); err == nil && f >= 0 && f < float64(n) && f == math.Trunc(f) {
			return int(f), nil
		}
	}
	return 0, fmt.Errorf("%w: placeholder num %.20q out of range [0,%d)", ErrInvalid, num, n)
}
