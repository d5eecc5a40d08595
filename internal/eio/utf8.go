package eio

import "unicode/utf8"

// ToValidUTF8 returns b itself when it is valid UTF-8 (the common case costs one
// utf8.Valid pass and no allocation); otherwise a new slice in which each maximal subpart of
// an ill-formed sequence is replaced by U+FFFD. That is the WHATWG UTF-8 decoder's rule, the
// one Node applies to a polling body (so "\xe2\x82" becomes one U+FFFD and "\xed\xa0\x80", a
// surrogate, three); it is not strings.ToValidUTF8's, which folds a whole run into one.
//
// ToValidUTF8 never modifies b and is safe for concurrent use.
func ToValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			out = append(out, c)
			continue
		}
		if r, size := utf8.DecodeRune(b[i:]); r != utf8.RuneError || size > 1 {
			out = append(out, b[i:i+size]...)
			i += size
			continue
		}
		i += invalidPrefix(b[i:])
		out = append(out, "\uFFFD"...)
	}
	return out
}

// invalidPrefix returns the length of the maximal subpart at the start of b, which starts
// with an ill-formed sequence: the lead byte and the continuation bytes that are still
// allowed after it (Unicode Table 3-7), or 1 when the first byte cannot start a sequence.
func invalidPrefix(b []byte) int {
	lo, hi, need := byte(0x80), byte(0xBF), 0
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		lo, need = 0xA0, 2
	case c == 0xED:
		hi, need = 0x9F, 2
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		lo, need = 0x90, 3
	case c == 0xF4:
		hi, need = 0x8F, 3
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default: // a continuation byte, C0, C1, F5–FF
		return 1
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		if b[n] < lo || b[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}
