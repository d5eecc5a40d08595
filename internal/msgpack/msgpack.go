// Package msgpack reads and writes MessagePack values (github.com/msgpack/msgpack spec) the
// way notepack.io 2.2 does, the codec of socket.io-msgpack-parser: a [Reader] that yields one
// value header at a time, every length checked against the input left before anything is
// allocated, and Append functions that choose the same formats notepack.io writes (the
// smallest integer format of the value's sign, float 64 for every non-integer, str 8 for
// strings of 32 bytes and more).
//
// It does no I/O and has no notion of Socket.IO; package parser transcodes packets with it.
package msgpack

import (
	"encoding/binary"
	"errors"
	"math"
)

// ErrSyntax is wrapped by every error a [Reader] returns: the input is not MessagePack, or
// a length goes past its end.
var ErrSyntax = errors.New("msgpack: malformed input")

var (
	errTruncated = errorString("truncated input")
	errLength    = errorString("length past the end of the input")
	errNever     = errorString("byte 0xc1 is never used")
)

type errorString string

func (e errorString) Error() string { return "msgpack: " + string(e) }
func (e errorString) Unwrap() error { return ErrSyntax }

// Kind is the kind of a value read by a [Reader].
type Kind uint8

// The kinds of MessagePack values.
const (
	Nil Kind = iota
	Bool
	Int   // a signed integer format, or a positive fixint
	Uint  // an unsigned integer format (uint 8 to uint 64)
	Float // float 32 or float 64
	Str
	Bin
	Array
	Map
	Ext
)

// Value is the header of one value, or the whole of a scalar one.
type Value struct {
	Kind  Kind
	Bool  bool
	Int   int64   // Int
	Uint  uint64  // Uint
	Float float64 // Float (a float 32 widened)
	Bytes []byte  // Str, Bin and Ext data, a sub-slice of the input (no copy)
	Len   int     // Array and Map: the element or pair count, at most the input left
	Ext   int8    // Ext: the extension type
	Fixed bool    // Ext: a fixext format (fixext 1 to 16), not ext 8, 16 or 32
}

// Reader reads values from one MessagePack buffer. The zero Reader reads nothing; use
// [NewReader]. Arrays and maps are read as a header ([Value.Len]) followed by their
// elements (a map's as key, value, key, value...), which the caller reads in turn.
type Reader struct {
	b   []byte
	off int
}

// NewReader returns a Reader of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Len returns the number of bytes not read yet.
func (r *Reader) Len() int { return len(r.b) - r.off }

// Next reads the next value (the header of an array or map). Every error wraps
// [ErrSyntax]; lengths are checked against the input left before they are used: a string,
// binary or extension longer than what is left, an array with more elements than bytes left
// or a map with more pairs than half the bytes left (every value takes one byte at least)
// is an error.
func (r *Reader) Next() (Value, error) {
	if r.off >= len(r.b) {
		return Value{}, errTruncated
	}
	c := r.b[r.off]
	r.off++
	switch {
	case c <= 0x7f:
		return Value{Kind: Int, Int: int64(c)}, nil
	case c <= 0x8f:
		return r.container(Map, uint64(c&0x0f))
	case c <= 0x9f:
		return r.container(Array, uint64(c&0x0f))
	case c <= 0xbf:
		return r.data(Str, uint64(c&0x1f), 0)
	case c >= 0xe0:
		return Value{Kind: Int, Int: int64(int8(c))}, nil
	}
	switch c {
	case 0xc0:
		return Value{Kind: Nil}, nil
	case 0xc2, 0xc3:
		return Value{Kind: Bool, Bool: c == 0xc3}, nil
	case 0xc4, 0xc5, 0xc6:
		n, err := r.uint(1 << (c - 0xc4))
		if err != nil {
			return Value{}, err
		}
		return r.data(Bin, n, 0)
	case 0xc7, 0xc8, 0xc9:
		n, err := r.uint(1 << (c - 0xc7))
		if err != nil {
			return Value{}, err
		}
		t, err := r.uint(1)
		if err != nil {
			return Value{}, err
		}
		return r.data(Ext, n, int8(t))
	case 0xca:
		n, err := r.uint(4)
		return Value{Kind: Float, Float: float64(math.Float32frombits(uint32(n)))}, err
	case 0xcb:
		n, err := r.uint(8)
		return Value{Kind: Float, Float: math.Float64frombits(n)}, err
	case 0xcc, 0xcd, 0xce, 0xcf:
		n, err := r.uint(1 << (c - 0xcc))
		return Value{Kind: Uint, Uint: n}, err
	case 0xd0, 0xd1, 0xd2, 0xd3:
		size := 1 << (c - 0xd0)
		n, err := r.uint(size)
		shift := 64 - 8*size // sign-extend
		return Value{Kind: Int, Int: int64(n<<shift) >> shift}, err
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		t, err := r.uint(1)
		if err != nil {
			return Value{}, err
		}
		v, err := r.data(Ext, 1<<(c-0xd4), int8(t))
		v.Fixed = true
		return v, err
	case 0xd9, 0xda, 0xdb:
		n, err := r.uint(1 << (c - 0xd9))
		if err != nil {
			return Value{}, err
		}
		return r.data(Str, n, 0)
	case 0xdc, 0xdd:
		n, err := r.uint(2 << (c - 0xdc))
		if err != nil {
			return Value{}, err
		}
		return r.container(Array, n)
	case 0xde, 0xdf:
		n, err := r.uint(2 << (c - 0xde))
		if err != nil {
			return Value{}, err
		}
		return r.container(Map, n)
	}
	return Value{}, errNever // 0xc1
}

// uint reads a big-endian unsigned integer of size bytes (1, 2, 4 or 8).
func (r *Reader) uint(size int) (uint64, error) {
	if len(r.b)-r.off < size {
		return 0, errTruncated
	}
	b := r.b[r.off : r.off+size]
	r.off += size
	switch size {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	return binary.BigEndian.Uint64(b), nil
}

// data takes n bytes of str, bin or ext data.
func (r *Reader) data(k Kind, n uint64, ext int8) (Value, error) {
	if n > uint64(len(r.b)-r.off) {
		return Value{}, errLength
	}
	end := r.off + int(n)
	v := Value{Kind: k, Bytes: r.b[r.off:end:end], Ext: ext}
	r.off = end
	return v, nil
}

// container checks the element count n of an array or a map against the input left.
func (r *Reader) container(k Kind, n uint64) (Value, error) {
	left := uint64(len(r.b) - r.off)
	if k == Map {
		left /= 2
	}
	if n > left {
		return Value{}, errLength
	}
	return Value{Kind: k, Len: int(n)}, nil
}

// AppendNil appends nil.
func AppendNil(dst []byte) []byte { return append(dst, 0xc0) }

// AppendBool appends true or false.
func AppendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 0xc3)
	}
	return append(dst, 0xc2)
}

// AppendInt appends n as notepack.io writes an integer: a fixint when it fits, else, for
// n >= 0, the smallest of uint 8, 16, 32 and 64, and for n < 0 the smallest of int 8, 16,
// 32 and 64.
func AppendInt(dst []byte, n int64) []byte {
	if n >= 0 {
		return AppendUint(dst, uint64(n))
	}
	switch {
	case n >= -32:
		return append(dst, byte(n))
	case n >= math.MinInt8:
		return append(dst, 0xd0, byte(n))
	case n >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(dst, 0xd1), uint16(n))
	case n >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(dst, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(n))
}

// AppendUint appends n as a positive fixint or the smallest of uint 8, 16, 32 and 64.
func AppendUint(dst []byte, n uint64) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n <= math.MaxUint8:
		return append(dst, 0xcc, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xcd), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, 0xce), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xcf), n)
}

// AppendFloat appends f as a float 64 (notepack.io never writes float 32).
func AppendFloat(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(f))
}

// AppendStrHeader appends the header of a string of n bytes: fixstr, str 8, 16 or 32.
func AppendStrHeader(dst []byte, n int) []byte {
	switch {
	case n < 32:
		return append(dst, 0xa0|byte(n))
	case n <= math.MaxUint8:
		return append(dst, 0xd9, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xda), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdb), uint32(n))
}

// AppendString appends s as a str value. s should be valid UTF-8.
func AppendString(dst []byte, s string) []byte {
	return append(AppendStrHeader(dst, len(s)), s...)
}

// AppendBin appends b as a bin value: bin 8, 16 or 32.
func AppendBin(dst, b []byte) []byte {
	n := len(b)
	switch {
	case n <= math.MaxUint8:
		dst = append(dst, 0xc4, byte(n))
	case n <= math.MaxUint16:
		dst = binary.BigEndian.AppendUint16(append(dst, 0xc5), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xc6), uint32(n))
	}
	return append(dst, b...)
}

// AppendArrayHeader appends the header of an array of n elements: fixarray, array 16 or 32.
func AppendArrayHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x90|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdd), uint32(n))
}

// AppendMapHeader appends the header of a map of n pairs: fixmap, map 16 or 32.
func AppendMapHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x80|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xde), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdf), uint32(n))
}
