package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/hubkit/hub/internal/eio"
)

// polling is HTTP long-polling: a GET loop receives, POSTs send. The SSE transport reuses its
// POST side.
type polling struct {
	e      *engine
	tname  string // the transport= value of POSTs: "polling" or "sse"
	sid    string
	paused atomic.Bool
}

func (p *polling) name() string { return TransportPolling }

func (p *polling) pause() { p.paused.Store(true) }

func (p *polling) close() {} // requests end with the engine's context

// handshakePolling opens a session with a polling GET. Packets that follow the open packet in
// the same response are returned for delivery.
func (e *engine) handshakePolling(ctx context.Context) (*polling, handshake, []eio.Packet, error) {
	p := &polling{e: e, tname: TransportPolling}
	var body []byte
	err := p.get(ctx, func(r io.Reader) error {
		// The open packet and what may follow it at once: a message's worth.
		limit := int64(encodedLimit(e.cfg.maxMessage))
		b, err := io.ReadAll(io.LimitReader(r, limit+1))
		if int64(len(b)) > limit {
			return tooBig(e.cfg.maxMessage)
		}
		body = b
		return err
	})
	if err != nil {
		return nil, handshake{}, nil, fmt.Errorf("client: polling handshake: %w", err)
	}
	pkts, err := eio.DecodePayload(body)
	if err != nil || len(pkts) == 0 {
		return nil, handshake{}, nil, fmt.Errorf("client: polling handshake: bad payload %q", truncate(body))
	}
	hs, err := parseOpen(pkts[0])
	if err != nil {
		return nil, hs, nil, err
	}
	p.sid = hs.SID
	return p, hs, pkts[1:], nil
}

// get performs one poll and hands its body to read.
func (p *polling) get(ctx context.Context, read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.e.url(TransportPolling, p.sid).String(), nil)
	if err != nil {
		return err
	}
	setHeader(req, p.e.cfg.header)
	resp, err := p.e.cfg.client.Do(req)
	if err != nil {
		return &transportError{ReasonTransportError, err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &transportError{ReasonTransportError, statusError(resp)}
	}
	if err := read(resp.Body); err != nil {
		if _, ok := err.(*transportError); ok {
			return err
		}
		return &transportError{ReasonTransportError, err}
	}
	return nil
}

// read delivers the packets of poll after poll, each read from the body as it comes and
// bounded by Options.MaxMessageSize (a response may hold any number of them).
func (p *polling) read(ctx context.Context, deliver func(eio.Packet) bool) error {
	for {
		if p.paused.Load() {
			return errPaused
		}
		stop := false
		err := p.get(ctx, func(body io.Reader) error {
			pp := newPayloadPackets(body, p.e.cfg.maxMessage)
			for {
				b, err := pp.next()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				pkts, err := eio.DecodePayload(b)
				if err == nil && len(pkts) != 1 {
					err = fmt.Errorf("want one packet")
				}
				if err != nil {
					// engine.io-client turns an undecodable packet into a "server error".
					return &transportError{ReasonTransportError, fmt.Errorf("bad payload %q: %w", truncate(b), err)}
				}
				if pkt := pkts[0]; int64(len(pkt.Data)) > p.e.cfg.maxMessage {
					return tooBig(p.e.cfg.maxMessage)
				}
				if !deliver(pkts[0]) {
					stop = true
					return nil
				}
			}
		})
		if err != nil || stop {
			return err
		}
	}
}

func (p *polling) write(ctx context.Context, pkts []eio.Packet) error {
	return post(ctx, p.e, p.tname, p.sid, eio.AppendPayload(nil, pkts))
}

// post sends one payload with a POST, as polling and SSE do.
func post(ctx context.Context, e *engine, tname, sid string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url(tname, sid).String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	setHeader(req, e.cfg.header)
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	resp, err := e.cfg.client.Do(req)
	if err != nil {
		return &transportError{ReasonTransportError, err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &transportError{ReasonTransportError, statusError(resp)}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	return nil
}

func (p *polling) closeGracefully(ctx context.Context) error {
	return post(ctx, p.e, p.tname, p.sid, []byte{byte(eio.Close)})
}

// setHeader adds the user's extra headers to a request.
func setHeader(req *http.Request, h http.Header) {
	for k, vs := range h {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
}

// statusError describes a non-200 answer with the server's message, such as
// `400 Bad Request: {"code":1,"message":"Session ID unknown"}`.
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	msg := strings.TrimSpace(string(b))
	if msg == "" {
		return fmt.Errorf("unexpected status %s", resp.Status)
	}
	return fmt.Errorf("unexpected status %s: %s", resp.Status, msg)
}

// truncate shortens a body for an error message.
func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
