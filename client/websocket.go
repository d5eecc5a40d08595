package client

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/coder/websocket"
	"github.com/hubkit/hub/internal/eio"
)

// wsTransport carries a session over one WebSocket: one packet per frame, binary messages
// as binary frames.
type wsTransport struct {
	c     *websocket.Conn
	limit int64 // Options.MaxMessageSize
}

func (w *wsTransport) name() string { return TransportWebSocket }

func (w *wsTransport) pause() {}

func (w *wsTransport) close() { w.c.CloseNow() }

// dialWebSocket opens the WebSocket of a session: a new one when sid is empty, else the
// upgrade of an existing session.
func (e *engine) dialWebSocket(ctx context.Context, sid string) (*wsTransport, error) {
	u := e.url(TransportWebSocket, sid)
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	c, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPClient: e.cfg.client,
		HTTPHeader: e.cfg.header.Clone(),
	})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, &transportError{"transport error", err}
	}
	c.SetReadLimit(e.cfg.maxMessage) // past it, the connection closes with 1009
	return &wsTransport{c: c, limit: e.cfg.maxMessage}, nil
}

// handshakeWebSocket opens a WebSocket-only session: the open packet is the first frame.
func (e *engine) handshakeWebSocket(ctx context.Context) (*wsTransport, handshake, error) {
	w, err := e.dialWebSocket(ctx, "")
	if err != nil {
		return nil, handshake{}, fmt.Errorf("client: websocket handshake: %w", err)
	}
	p, err := w.readPacket(ctx)
	if err != nil {
		w.close()
		return nil, handshake{}, fmt.Errorf("client: websocket handshake: %w", err)
	}
	hs, err := parseOpen(p)
	if err != nil {
		w.close()
		return nil, hs, err
	}
	return w, hs, nil
}

// probeWebSocket opens a WebSocket for the session and exchanges the 2probe/3probe pair; when
// it returns the WebSocket, the session is upgrading.
func (e *engine) probeWebSocket() (*wsTransport, error) {
	ctx, cancel := context.WithTimeout(e.ctx, upgradeTimeout)
	defer cancel()
	w, err := e.dialWebSocket(ctx, e.sid)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if e.ended {
		e.mu.Unlock()
		w.close()
		return nil, errEngineClosed
	}
	e.probes = append(e.probes, w)
	e.probing = true
	e.mu.Unlock()
	fail := func(err error) (*wsTransport, error) {
		e.mu.Lock()
		e.probing = false
		e.mu.Unlock()
		w.close()
		return nil, err
	}
	if err := w.write(ctx, []eio.Packet{{Type: eio.Ping, Data: []byte("probe")}}); err != nil {
		return fail(err)
	}
	p, err := w.readPacket(ctx)
	if err != nil {
		return fail(err)
	}
	if p.Type != eio.Pong || string(p.Data) != "probe" {
		return fail(fmt.Errorf("client: probe error: got %q", eio.AppendText(nil, p)))
	}
	// The probe succeeded: from now on the session moves to the WebSocket, and a close
	// waits for the move, as engine.io-client's close() does once the probe's pong is in.
	// The server has let go of the old transport already (it ends an SSE stream, answers
	// polls with noop), so the queued packets and the close go out on the WebSocket. A
	// close that gave up the upgrade here instead took the end of the SSE stream for the
	// server's answer to it, and ended the session before its packets were written.
	e.mu.Lock()
	if e.ended {
		e.probing = false
		e.mu.Unlock()
		return nil, errEngineClosed // end closes the probe
	}
	e.probing, e.upgrading = false, true
	e.mu.Unlock()
	return w, nil
}

// readPacket reads one frame as a packet.
func (w *wsTransport) readPacket(ctx context.Context) (eio.Packet, error) {
	typ, b, err := w.c.Read(ctx)
	if errors.Is(err, websocket.ErrMessageTooBig) {
		return eio.Packet{}, &transportError{"transport error", tooBig(w.limit)}
	}
	if err != nil {
		return eio.Packet{}, wsReadError(err)
	}
	if typ == websocket.MessageBinary {
		return eio.Packet{Type: eio.Message, Data: b, Binary: true}, nil
	}
	p, err := eio.DecodeText(b)
	if err != nil {
		return p, &transportError{"transport error", fmt.Errorf("bad packet %q: %w", truncate(b), err)}
	}
	return p, nil
}

// wsReadError maps a read failure to a close reason: the server closing the connection is a
// "transport close", anything else a "transport error".
func wsReadError(err error) error {
	if websocket.CloseStatus(err) != -1 || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &transportError{"transport close", err}
	}
	return &transportError{"transport error", err}
}

func (w *wsTransport) read(ctx context.Context, deliver func(eio.Packet) bool) error {
	for {
		p, err := w.readPacket(ctx)
		if err != nil {
			return err
		}
		if !deliver(p) {
			return nil
		}
	}
}

func (w *wsTransport) write(ctx context.Context, pkts []eio.Packet) error {
	var buf []byte
	for _, p := range pkts {
		var err error
		if p.Binary {
			err = w.c.Write(ctx, websocket.MessageBinary, p.Data)
		} else {
			buf = eio.AppendText(buf[:0], p)
			err = w.c.Write(ctx, websocket.MessageText, buf)
		}
		if err != nil {
			return &transportError{"transport error", err}
		}
	}
	return nil
}

func (w *wsTransport) closeGracefully(ctx context.Context) error {
	return w.c.Close(websocket.StatusNormalClosure, "")
}
