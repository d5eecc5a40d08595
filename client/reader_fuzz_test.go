package client

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// fuzzLimit is the MaxMessageSize the readers are fuzzed with: small, so that the limit is
// met often.
const fuzzLimit = 64

// FuzzPollingPayload feeds any response body to the polling reader: it never panics, never
// returns a packet longer than the limit allows, and ends with io.EOF or an error.
func FuzzPollingPayload(f *testing.F) {
	for _, s := range []string{"", "40", "40\x1e42[\"a\"]", "\x1e\x1e", "b" + string(bytes.Repeat([]byte("A"), 200)), "6\x1e"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p := newPayloadPackets(bytes.NewReader(body), fuzzLimit)
		total := 0
		for range len(body) + 2 {
			pkt, err := p.next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrMessageTooBig) {
					t.Fatalf("error %v; want io.EOF or ErrMessageTooBig", err)
				}
				return
			}
			if len(pkt) > encodedLimit(fuzzLimit) {
				t.Fatalf("a packet of %d bytes; the limit allows %d", len(pkt), encodedLimit(fuzzLimit))
			}
			if total += len(pkt) + 1; total > len(body)+1 {
				t.Fatalf("read %d bytes of packets from a body of %d", total, len(body))
			}
		}
		t.Fatalf("no end after %d packets from %d bytes", len(body)+2, len(body))
	})
}

// FuzzSSEEvents feeds any stream to the SSE reader: it never panics and never returns an
// event's data longer than the limit allows.
func FuzzSSEEvents(f *testing.F) {
	for _, s := range []string{"data: 40\n\n", ": ping\n\ndata: a\ndata: b\n\n", "data:" + string(bytes.Repeat([]byte("x"), 300)) + "\n\n", "data: x\r\n\r\n", "data: x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		s := &sse{br: bufio.NewReaderSize(bytes.NewReader(stream), 16), limit: fuzzLimit, maxLine: encodedLimit(fuzzLimit)}
		for range len(stream) + 2 {
			data, err := s.next()
			if err != nil {
				return
			}
			if len(data) > s.maxLine {
				t.Fatalf("an event of %d bytes; the limit allows %d", len(data), s.maxLine)
			}
		}
		t.Fatalf("no end after %d events from %d bytes", len(stream)+2, len(stream))
	})
}
