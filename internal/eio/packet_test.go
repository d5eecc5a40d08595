package eio_test

import (
	"bytes"
	"testing"

	"github.com/hubkit/hub/internal/eio"
)

func TestPayloadExamples(t *testing.T) {
	cases := []struct {
		wire string
		pkts []eio.Packet
	}{
		{"4hello", []eio.Packet{{Type: eio.Message, Data: []byte("hello")}}},
		{"4hello\x1e2\x1e4world", []eio.Packet{{Type: eio.Message, Data: []byte("hello")}, {Type: eio.Ping, Data: []byte{}}, {Type: eio.Message, Data: []byte("world")}}},
		{"4hello\x1ebAQIDBA==", []eio.Packet{{Type: eio.Message, Data: []byte("hello")}, {Type: eio.Message, Data: []byte{1, 2, 3, 4}, Binary: true}}},
		{"2probe", []eio.Packet{{Type: eio.Ping, Data: []byte("probe")}}},
		{"6", []eio.Packet{{Type: eio.Noop, Data: []byte{}}}},
	}
	for _, c := range cases {
		got, err := eio.DecodePayload([]byte(c.wire))
		if err != nil || len(got) != len(c.pkts) {
			t.Fatalf("decode %q: got %v, %v", c.wire, got, err)
		}
		for i := range got {
			if got[i].Type != c.pkts[i].Type || got[i].Binary != c.pkts[i].Binary || !bytes.Equal(got[i].Data, c.pkts[i].Data) {
				t.Errorf("decode %q packet %d: got %+v; want %+v", c.wire, i, got[i], c.pkts[i])
			}
		}
		if enc := string(eio.AppendPayload(nil, c.pkts)); enc != c.wire {
			t.Errorf("encode: got %q; want %q", enc, c.wire)
		}
	}
}

func TestDecodeLenient(t *testing.T) {
	// Unpadded base64, as some clients send it.
	p, err := eio.DecodeText([]byte("bAQIDBA"))
	if err != nil || !bytes.Equal(p.Data, []byte{1, 2, 3, 4}) {
		t.Fatalf("unpadded base64: %v %v", p.Data, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, s := range []string{"", "abc", "7", "b!!!", "4ok\x1e\x1e4x"} {
		if _, err := eio.DecodePayload([]byte(s)); err == nil {
			t.Errorf("decode %q: no error", s)
		}
	}
}
