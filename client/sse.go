package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/hubkit/hub/internal/eio"
)

// sse is hub's SSE transport: one long GET streams packets down as Server-Sent Events (one
// text-form packet per event's data), and POSTs carry packets up as in polling. It is not
// part of Engine.IO, so only hub servers speak it.
type sse struct {
	post *polling // the upward half
	body io.ReadCloser
	br   *bufio.Reader

	limit   int64 // Options.MaxMessageSize
	maxLine int   // the longest event data the limit allows (encodedLimit)
}

func (s *sse) name() string { return TransportSSE }

func (s *sse) pause() {} // the server ends the stream when the upgrade starts

func (s *sse) close() { s.body.Close() }

// handshakeSSE opens a session with the stream; the open packet is its first event.
func (e *engine) handshakeSSE(ctx context.Context) (*sse, handshake, error) {
	// The stream outlives ctx (which bounds the handshake only): it runs on the engine's
	// context, and a timer on ctx aborts it while the handshake is still going on.
	req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, e.url(TransportSSE, "").String(), nil)
	if err != nil {
		return nil, handshake{}, err
	}
	setHeader(req, e.cfg.header)
	req.Header.Set("Accept", "text/event-stream")
	stop := context.AfterFunc(ctx, e.cancel)
	resp, err := e.cfg.client.Do(req)
	if err != nil {
		stop()
		return nil, handshake{}, fmt.Errorf("client: sse handshake: %w", &transportError{ReasonTransportError, err})
	}
	if resp.StatusCode != http.StatusOK {
		stop()
		err := statusError(resp)
		resp.Body.Close()
		return nil, handshake{}, fmt.Errorf("client: sse handshake: %w", &transportError{ReasonTransportError, err})
	}
	s := &sse{body: resp.Body, br: bufio.NewReader(resp.Body), limit: e.cfg.maxMessage, maxLine: encodedLimit(e.cfg.maxMessage)}
	data, err := s.next()
	if !stop() {
		err = errors.Join(err, ctx.Err())
	}
	if err != nil {
		s.close()
		return nil, handshake{}, fmt.Errorf("client: sse handshake: %w", err)
	}
	p, err := eio.DecodeText(data)
	if err != nil {
		s.close()
		return nil, handshake{}, fmt.Errorf("client: sse handshake: bad event %q", truncate(data))
	}
	hs, err := parseOpen(p)
	if err != nil {
		s.close()
		return nil, hs, err
	}
	s.post = &polling{e: e, tname: TransportSSE, sid: hs.SID}
	return s, hs, nil
}

// next returns the data of the next event; io.EOF when the stream ends cleanly.
func (s *sse) next() ([]byte, error) {
	var data []byte
	have := false
	for {
		line, err := s.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long line: gather it whole, within the limit.
			full := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				if len(full)+len(data) > s.maxLine {
					return nil, &transportError{ReasonTransportError, tooBig(s.limit)}
				}
				line, err = s.br.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) == 0 && !have {
				return nil, io.EOF
			}
			return nil, &transportError{ReasonTransportError, err}
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			if have {
				return data, nil
			}
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		if string(field) != "data" {
			continue // comments (":..."), event, id, retry
		}
		value = bytes.TrimPrefix(value, []byte(" "))
		if have {
			data = append(data, '\n')
		}
		if len(data)+len(value) > s.maxLine {
			return nil, &transportError{ReasonTransportError, tooBig(s.limit)}
		}
		data = append(data, value...)
		have = true
	}
}

// read delivers the stream's events; a clean end of the stream returns nil.
func (s *sse) read(ctx context.Context, deliver func(eio.Packet) bool) error {
	for {
		data, err := s.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p, err := eio.DecodeText(data)
		if err != nil {
			return &transportError{ReasonTransportError, fmt.Errorf("bad event %q: %w", truncate(data), err)}
		}
		if int64(len(p.Data)) > s.limit {
			return &transportError{ReasonTransportError, tooBig(s.limit)}
		}
		if !deliver(p) {
			return nil
		}
	}
}

func (s *sse) write(ctx context.Context, pkts []eio.Packet) error { return s.post.write(ctx, pkts) }

func (s *sse) closeGracefully(ctx context.Context) error {
	return s.post.closeGracefully(ctx)
}
