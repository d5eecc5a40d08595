package wsframe

import (
	"bytes"
	"testing"
)

// The example of RFC 6455 §1.3.
func TestAcceptKey(t *testing.T) {
	if got := AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("AcceptKey = %q", got)
	}
}

// The examples of RFC 6455 §5.7: "Hello" unmasked and masked with 37 fa 21 3d.
func TestFrames(t *testing.T) {
	if got := append(AppendHeader(nil, OpText, 5), "Hello"...); !bytes.Equal(got, []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}) {
		t.Fatalf("unmasked frame % x", got)
	}
	p := []byte("Hello")
	Mask(p, 0x37fa213d)
	if !bytes.Equal(p, []byte{0x7f, 0x9f, 0x4d, 0x51, 0x58}) {
		t.Fatalf("masked payload % x", p)
	}
	long := bytes.Repeat([]byte("0123456789"), 7)
	masked := bytes.Clone(long)
	Mask(masked, 0x01020304)
	for i := range long {
		if masked[i] != long[i]^[4]byte{1, 2, 3, 4}[i%4] {
			t.Fatalf("byte %d masked wrong", i)
		}
	}
	for _, tc := range []struct {
		n    int
		want []byte
	}{
		{125, []byte{0x82, 125}},
		{126, []byte{0x82, 126, 0, 126}},
		{65535, []byte{0x82, 126, 0xff, 0xff}},
		{65536, []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		if got := AppendHeader(nil, OpBinary, tc.n); !bytes.Equal(got, tc.want) {
			t.Fatalf("header for %d: % x; want % x", tc.n, got, tc.want)
		}
	}
}

// RFC 6455 §5.7's masked "Hello", and the three length forms of a client header.
func TestMaskedHeader(t *testing.T) {
	got := AppendMaskedHeader(nil, true, OpText, 5, 0x37fa213d)
	p := []byte("Hello")
	Mask(p, 0x37fa213d)
	if got = append(got, p...); !bytes.Equal(got, []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}) {
		t.Fatalf("masked frame % x", got)
	}
	for _, tc := range []struct {
		fin  bool
		n    int
		want []byte
	}{
		{false, 0, []byte{0x02, 0x80, 1, 2, 3, 4}},
		{true, 125, []byte{0x82, 0x80 | 125, 1, 2, 3, 4}},
		{true, 126, []byte{0x82, 0x80 | 126, 0, 126, 1, 2, 3, 4}},
		{false, 65536, []byte{0x02, 0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4}},
	} {
		if got := AppendMaskedHeader(nil, tc.fin, OpBinary, tc.n, 0x01020304); !bytes.Equal(got, tc.want) {
			t.Errorf("fin %v, %d bytes: % x; want % x", tc.fin, tc.n, got, tc.want)
		}
	}
}

// ReadServerFrame reads back what AppendHeader writes, in each length form, and refuses a
// masked or unfinished frame and one over its bound.
func TestReadServerFrame(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		p := bytes.Repeat([]byte{'x'}, n)
		op, got, err := ReadServerFrame(bytes.NewReader(append(AppendHeader(nil, OpBinary, n), p...)), 1<<20)
		if err != nil || op != OpBinary || !bytes.Equal(got, p) {
			t.Errorf("%d bytes: op %#x, %d bytes, %v", n, op, len(got), err)
		}
	}
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"masked", append(AppendMaskedHeader(nil, true, OpText, 1, 1), 'x')},
		{"not final", append(AppendMaskedHeader(nil, false, OpText, 0, 1)[:1], 0)},
		{"over the bound", AppendHeader(nil, OpText, 1<<21)},
		{"truncated", AppendHeader(nil, OpText, 10)},
	} {
		if _, _, err := ReadServerFrame(bytes.NewReader(tc.frame), 1<<20); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
