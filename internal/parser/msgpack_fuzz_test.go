package parser_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/hubkit/hub/internal/parser"
)

// FuzzMsgpackDecoder feeds one binary message to a MsgpackDecoder. It must never panic; an
// error wraps ErrInvalid; a decoded packet has valid UTF-8 JSON whose placeholders name its
// attachments, re-encodes, and decodes again to the same packet.
func FuzzMsgpackDecoder(f *testing.F) {
	if b, err := os.ReadFile("testdata/msgpack_vectors.json"); err == nil {
		var vs []vector
		json.Unmarshal(b, &vs)
		for _, v := range vs {
			if w, err := hex.DecodeString(v.Hex); err == nil && len(w) < 4096 {
				f.Add(w)
			}
		}
	}
	for _, s := range []string{"", "80", "dfffffffff", "91a165", "92 a165 c1", "92a165d40000", "92a165d7000000000000000000", "92a165d5050102",
		"92a165c70100ff", "92a16581ac5f706c616365686f6c646572c3", "92a1658101c3", "92a165cb7ff8000000000000", "92a165ca3fc00000", "92a165a361ff62"} {
		f.Add(eventHex(s))
	}
	f.Fuzz(func(t *testing.T, wire []byte) {
		var d parser.MsgpackDecoder
		p, err := d.Binary(bytes.Clone(wire))
		if err != nil {
			if !errors.Is(err, parser.ErrInvalid) {
				t.Fatalf("Binary(%x): error %v does not wrap ErrInvalid", wire, err)
			}
			return
		}
		if p.Data != nil && (!json.Valid(p.Data) || !utf8.Valid(p.Data)) {
			t.Fatalf("Binary(%x): data %q is not valid JSON", wire, p.Data)
		}
		if !utf8.ValidString(p.Namespace) {
			t.Fatalf("Binary(%x): namespace %q is not valid UTF-8", wire, p.Namespace)
		}
		if p.Type == parser.Event || p.Type == parser.BinaryEvent || p.Type == parser.Ack || p.Type == parser.BinaryAck {
			raw, err := parser.SplitArray(p.Data)
			if err != nil {
				if !errors.Is(err, parser.ErrInvalid) {
					t.Fatalf("SplitArray(%s): %v", p.Data, err)
				}
				return
			}
			for _, r := range raw {
				var v any
				if err := parser.UnmarshalArg(r, p.Attachments, &v); err != nil {
					t.Fatalf("UnmarshalArg(%s): %v", r, err)
				}
			}
		}
		again, err := p.AppendMsgpack(nil)
		if err != nil {
			t.Fatalf("AppendMsgpack of %x's packet (%s): %v", wire, p.Data, err)
		}
		q, err := d.Binary(again)
		if err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", again, err)
		}
		equal(t, "type", q.Type, p.Type)
		equal(t, "namespace", q.Namespace, p.Namespace)
		equal(t, "id", q.ID, p.ID)
		equal(t, "attachments", len(q.Attachments), len(p.Attachments))
		var a, b any
		json.Unmarshal(p.Data, &a)
		json.Unmarshal(q.Data, &b)
		equal(t, "data", b, a)
	})
}
