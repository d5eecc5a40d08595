package eio_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hubkit/hub/internal/eio"
)

// utf8Cases are ill-formed inputs and what Node (socket.io 4.8, a polling POST relayed by
// socket.broadcast.emit) sends on for them: one U+FFFD per maximal subpart.
var utf8Cases = []struct{ in, want string }{
	{"a\xff\xfe", "a\uFFFD\uFFFD"},
	{"\xe2\x82", "\uFFFD"},                           // truncated 3-byte sequence
	{"\xe2\x82x", "\uFFFDx"},                         // truncated, then ASCII
	{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},           // surrogate U+D800
	{"\xf0\x80\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // overlong
	{"\xc0\xaf", "\uFFFD\uFFFD"},                     // overlong '/'
	{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // above U+10FFFF
	{"\xf0\x9f\x98", "\uFFFD"},                       // truncated 4-byte sequence
	{"\xe0\x80\x80", "\uFFFD\uFFFD\uFFFD"},
	{"\xe0\xa0", "\uFFFD"},
	{"\x80\x80", "\uFFFD\uFFFD"}, // stray continuation bytes
	{"\xf5\x80", "\uFFFD\uFFFD"},
	{"\xf0\x9f\x98\x80", "\U0001F600"}, // valid
	{"ok \u00e9\u20ac", "ok \u00e9\u20ac"},
	{"\xf0\x9f\x98\xf0\x9f\x98\x80", "\uFFFD\U0001F600"},
	{"x\xf4\x8f\xbf", "x\uFFFD"}, // truncated U+10FFFF
	{"\xef\xbf\xbd\xff", "\uFFFD\uFFFD"},
}

func TestToValidUTF8(t *testing.T) {
	for _, c := range utf8Cases {
		if got := string(eio.ToValidUTF8([]byte(c.in))); got != c.want {
			t.Errorf("ToValidUTF8(%q): got %q; want %q", c.in, got, c.want)
		}
	}
	valid := []byte("4hello")
	if got := eio.ToValidUTF8(valid); &got[0] != &valid[0] {
		t.Errorf("ToValidUTF8 copied valid input")
	}
}

// A polling body is decoded as UTF-8 with replacement, as Node reads it: the packets handed
// on never hold invalid UTF-8.
func TestDecodePayloadReplacesInvalidUTF8(t *testing.T) {
	pkts, err := eio.DecodePayload([]byte("42[\"chat message\",\"a\xff\xfe\"]\x1e4\xe2\x82\x1ebAQIDBA=="))
	if err != nil || len(pkts) != 3 {
		t.Fatalf("decode: got %v, %v", pkts, err)
	}
	if got, want := string(pkts[0].Data), "2[\"chat message\",\"a\uFFFD\uFFFD\"]"; got != want {
		t.Errorf("packet 0: got %q; want %q", got, want)
	}
	if got, want := string(pkts[1].Data), "\uFFFD"; got != want {
		t.Errorf("packet 1: got %q; want %q", got, want)
	}
	if !pkts[2].Binary || !bytes.Equal(pkts[2].Data, []byte{1, 2, 3, 4}) {
		t.Errorf("packet 2: got %+v; want binary 01020304", pkts[2])
	}
}

func FuzzToValidUTF8(f *testing.F) {
	for _, c := range utf8Cases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out := eio.ToValidUTF8(b)
		if !utf8.Valid(out) {
			t.Fatalf("ToValidUTF8(%q) = %q: not valid UTF-8", b, out)
		}
		if utf8.Valid(b) && !bytes.Equal(out, b) {
			t.Fatalf("ToValidUTF8(%q) = %q: changed valid input", b, out)
		}
		// Only ill-formed bytes are replaced: the valid runes survive, in order.
		if got, want := validRunes(out), validRunes(b); got != want {
			t.Fatalf("ToValidUTF8(%q) = %q: valid runes %q; want %q", b, out, got, want)
		}
		if !utf8.Valid(b) && (!bytes.Contains(out, []byte("\uFFFD")) || len(out) > 3*len(b)) {
			t.Fatalf("ToValidUTF8(%q) = %q: no replacement, or too long", b, out)
		}
	})
}

// validRunes returns the well-formed runes of b but U+FFFD.
func validRunes(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != utf8.RuneError {
			s.WriteRune(r)
		}
		b = b[size:]
	}
	return s.String()
}
