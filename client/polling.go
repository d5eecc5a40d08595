package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/hubkit/hub/internal/engine/packet"
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
func (e *engine) handshakePolling(ctx context.Context) (*polling, handshake, []packet.Packet, error) {
	p := &polling{e: e, tname: TransportPolling}
	body, err := p.get(ctx)
	if err != nil {
		return nil, handshake{}, nil, fmt.Errorf("client: polling handshake: %w", err)
	}
	pkts, err := packet.DecodePayload(body)
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

// get performs one poll and returns its body.
func (p *polling) get(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.e.url(TransportPolling, p.sid).String(), nil)
	if err != nil {
		return nil, err
	}
	setHeader(req, p.e.cfg.header)
	resp, err := p.e.cfg.client.Do(req)
	if err != nil {
		return nil, &transportError{"transport error", err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &transportError{"transport error", statusError(resp)}
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &transportError{"transport error", err}
	}
	return body, nil
}

func (p *polling) read(ctx context.Context, deliver func(packet.Packet) bool) error {
	for {
		if p.paused.Load() {
			return errPaused
		}
		body, err := p.get(ctx)
		if err != nil {
			return err
		}
		pkts, derr := packet.DecodePayload(body)
		for _, pkt := range pkts {
			if !deliver(pkt) {
				return nil
			}
		}
		if derr != nil {
			// engine.io-client turns an undecodable packet into a "server error".
			return &transportError{"transport error", fmt.Errorf("bad payload %q: %w", truncate(body), derr)}
		}
	}
}

func (p *polling) write(ctx context.Context, pkts []packet.Packet) error {
	return post(ctx, p.e, p.tname, p.sid, packet.AppendPayload(nil, pkts))
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
		return &transportError{"transport error", err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &transportError{"transport error", statusError(resp)}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	return nil
}

func (p *polling) closeGracefully(ctx context.Context) error {
	return post(ctx, p.e, p.tname, p.sid, []byte{byte(packet.Close)})
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
