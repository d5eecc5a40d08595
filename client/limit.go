package client

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// tooBig is the error of a message over limit bytes.
func tooBig(limit int64) error {
	return fmt.Errorf("%w (%d bytes)", ErrMessageTooBig, limit)
}

// encodedLimit is how long the text form of a message of limit bytes may be: binary data
// travels base64 (a third larger) behind a "b" over polling and SSE.
func encodedLimit(limit int64) int {
	return int(min(limit/3*4+16, 1<<62))
}

// payloadPackets splits a polling response body on the record separator, each packet at
// most limit bytes once decoded (see encodedLimit), without reading an oversized one whole.
type payloadPackets struct {
	sc    *bufio.Scanner
	limit int64
}

func newPayloadPackets(r io.Reader, limit int64) *payloadPackets {
	sc := bufio.NewScanner(r)
	max := encodedLimit(limit)
	sc.Buffer(make([]byte, 0, min(max, 4096)), max)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, 0x1e); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	return &payloadPackets{sc: sc, limit: limit}
}

// next returns the next packet's text form, a copy; io.EOF at the end of the body.
func (p *payloadPackets) next() ([]byte, error) {
	if p.sc.Scan() {
		return bytes.Clone(p.sc.Bytes()), nil
	}
	switch err := p.sc.Err(); err {
	case nil:
		return nil, io.EOF
	case bufio.ErrTooLong:
		return nil, tooBig(p.limit)
	default:
		return nil, err
	}
}
