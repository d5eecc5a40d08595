package eio_test

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/hubkit/hub/internal/eio"
)

func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{"4hello", "4hello\x1e2\x1e4world", "4hello\x1ebAQIDBA==", "2probe", "bAQIDBA", "", "abc", "b!!", "\x1e\x1e", "6", "4a\x1e4b", "4a\xff\xfe", "42[\"m\",\"\xed\xa0\x80\"]\x1e4\xe2\x82"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pkts, err := eio.DecodePayload(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to a payload that decodes to the same packets.
		again, err := eio.DecodePayload(eio.AppendPayload(nil, pkts))
		if err != nil || len(again) != len(pkts) {
			t.Fatalf("round trip of %q: %v, %d vs %d packets", b, err, len(again), len(pkts))
		}
		for i := range pkts {
			if !pkts[i].Binary && !utf8.Valid(pkts[i].Data) {
				t.Fatalf("packet %d of %q: invalid UTF-8 %q", i, b, pkts[i].Data)
			}
			if again[i].Type != pkts[i].Type || again[i].Binary != pkts[i].Binary || !bytes.Equal(again[i].Data, pkts[i].Data) {
				t.Fatalf("packet %d of %q: %+v became %+v", i, b, pkts[i], again[i])
			}
		}
	})
}
