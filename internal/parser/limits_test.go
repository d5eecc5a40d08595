package parser_test

import (
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/hubkit/hub/internal/parser"
)

// nested returns n opening brackets, inner, and n closing ones.
func nested(n int, inner string) string {
	return strings.Repeat("[", n) + inner + strings.Repeat("]", n)
}

// args returns an event array of n elements: the name and n-1 ones.
func args(n int) string { return `["e"` + strings.Repeat(",1", n-1) + `]` }

func limitIs(t *testing.T, name string, err error, limit string) {
	t.Helper()
	var lim *parser.LimitError
	if !errors.As(err, &lim) || lim.Limit != limit || !errors.Is(err, parser.ErrInvalid) {
		t.Errorf("%s: got error %v; want a *LimitError on %s wrapping ErrInvalid", name, err, limit)
	}
}

// The hostile-case table of what one received packet may cost: every row
// is refused with a *LimitError before it costs more than the limit; the row below each limit
// passes.
func TestLimits(t *testing.T) {
	t.Parallel()
	ok := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	split := func(data string) error {
		_, err := parser.SplitArray(json.RawMessage(data))
		return err
	}
	ok("MaxArgs arguments", split(args(parser.MaxArgs)))
	limitIs(t, "MaxArgs+1 arguments", split(args(parser.MaxArgs+1)), "arguments")
	limitIs(t, "400,000 arguments", split(args(400000)), "arguments")
	ok("depth MaxDepth", split(`["e",`+nested(parser.MaxDepth-1, "")+`]`))
	limitIs(t, "depth MaxDepth+1", split(`["e",`+nested(parser.MaxDepth, "")+`]`), "nesting depth")
	limitIs(t, "depth MaxDepth+1 in an object", split(`["e",`+strings.Repeat(`{"a":`, parser.MaxDepth)+"1"+strings.Repeat("}", parser.MaxDepth)+`]`), "nesting depth")
	limitIs(t, "depth 100,000", split(`["e",`+nested(100000, "")+`]`), "nesting depth")

	text := func(wire string) error {
		var d parser.Decoder
		_, err := d.Text([]byte(wire))
		return err
	}
	ok("CONNECT at depth MaxDepth", text(`0{"a":`+nested(parser.MaxDepth-1, "")+`}`))
	limitIs(t, "CONNECT deeper", text(`0{"a":`+nested(parser.MaxDepth, "")+`}`), "nesting depth")
	limitIs(t, "CONNECT_ERROR deeper", text(`4{"a":`+nested(parser.MaxDepth, "")+`}`), "nesting depth")
	limitIs(t, "11 attachments", text(`511-["e"]`), "attachments")

	binary := func(wire string) error {
		var d parser.Decoder
		if _, err := d.Text([]byte(wire)); err != nil {
			return err
		}
		_, err := d.Binary([]byte{1})
		return err
	}
	ph := `{"_placeholder":true,"num":0}`
	ok("binary at depth MaxDepth", binary(`51-["e",`+nested(parser.MaxDepth-2, ph)+`]`))
	limitIs(t, "binary deeper", binary(`51-["e",`+nested(parser.MaxDepth-1, ph)+`]`), "nesting depth")
	limitIs(t, "binary, deep beside the placeholder", binary(`51-["e",`+ph+`,`+nested(parser.MaxDepth, "")+`]`), "nesting depth")
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Decoding a binary packet costs memory in proportion to its placeholders, not to its
// arrays and objects: 300,000 empty arrays beside one placeholder (900 KB) once cost an
// index of 56 bytes each, 19 bytes per byte received.
func TestBinaryPacketMemoryIsBounded(t *testing.T) {
	data := []byte(`51-["e",[{"_placeholder":true,"num":0}` + strings.Repeat(",[]", 300000) + `]]`)
	var p *parser.Packet
	n := allocated(func() {
		var d parser.Decoder
		_, err := d.Text(data)
		success(t, err)
		p, err = d.Binary([]byte{1})
		success(t, err)
	})
	if n > 64<<10 {
		t.Errorf("decoding a %d-byte binary packet allocated %d bytes; want at most 64 KB", len(data), n)
	}
	// Finding placeholders in an argument costs the same: one with \u escapes is indexed too
	// (they may spell "_placeholder").
	for _, arg := range []string{`[` + strings.Repeat(`[],`, 300000) + `"\u0041"]`, string(p.Data)} {
		raw := json.RawMessage(arg)
		n = allocated(func() { parser.HasPlaceholders(raw) })
		if n > 64<<10 {
			t.Errorf("HasPlaceholders of %d bytes allocated %d bytes; want at most 64 KB", len(raw), n)
		}
	}
}
