package transport

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hubkit/hub/internal/eio"
	"github.com/hubkit/hub/internal/ws"
	"github.com/hubkit/hub/internal/wsframe"
)

// WebSocket carries one Engine.IO packet per WebSocket frame: text frames in text form, binary
// messages as raw binary frames. A session can open on it directly or upgrade to it from
// polling or SSE. The frames of packets queued together leave in one write.
type WebSocket struct {
	// UpgradeTimeout bounds the probe exchange of an upgrade; zero means 10s.
	UpgradeTimeout time.Duration
}

// Name returns "websocket".
func (WebSocket) Name() string { return "websocket" }

// Upgradable is true: polling and SSE sessions move to WebSocket.
func (WebSocket) Upgradable() bool { return true }

// Accepts takes GET requests that carry the WebSocket upgrade headers.
func (WebSocket) Accepts(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Serve completes the WebSocket handshake and hands the connection to internal/ws, which
// reads and writes its frames (see ws.Serve: the reading goroutine, the process's flushers,
// the idle poller), and returns. This file binds the two: the probe exchange of an upgrade,
// Engine.IO packets in and out. Server.Close waits for the connection's goroutines (see
// Session.Detach).
func (t WebSocket) Serve(w http.ResponseWriter, r *http.Request, s Session) {
	nc, pending, err := ws.Upgrade(w, r)
	if err != nil {
		if s.Upgrading() {
			s.AbortUpgrade()
		} else {
			s.Fail(err)
		}
		return
	}
	b := &wsSession{Session: s, probeTimeout: t.UpgradeTimeout}
	ws.Serve(nc, pending, b, ws.Options{MaxMessage: s.MaxPayload(), WriteTimeout: s.WriteTimeout(), Done: s.Detach()})
}

// Reject completes the WebSocket handshake and closes the connection at once with a close
// frame without a status, as ws's close() does: what Node answers a second WebSocket for a
// session that has one. It half-closes, then waits a second at most for the client's end.
func (WebSocket) Reject(w http.ResponseWriter, r *http.Request) { ws.Reject(w, r) }

// wsSession binds an Engine.IO session to a WebSocket connection (ws.Session).
type wsSession struct {
	Session
	probeTimeout time.Duration
	// pkts is the array of the last batch, handed back to TryPull: the writer's (Frames
	// calls never overlap), and cleared before TryPull, after which another writer may run.
	pkts []eio.Packet
}

// Fail gives the engine the transport's errors for the connection's.
func (b *wsSession) Fail(err error) { b.Session.Fail(sessionError(err)) }

// FailSettled is Fail once the messages received before the failure are handled: their
// replies go out before the close frame.
func (b *wsSession) FailSettled(err error) { b.Session.FailSettled(sessionError(err)) }

// sessionError is the transport's error for the connection's.
func sessionError(err error) error {
	switch {
	case errors.Is(err, ws.ErrTooBig):
		return ErrTooLarge
	case errors.Is(err, ws.ErrPeerClosed):
		return fmt.Errorf("%w: %v", ErrPeerClosed, err)
	}
	return err
}

// Begin runs the probe exchange if the request upgrades a session.
func (b *wsSession) Begin(c *ws.Conn) bool {
	return !b.Upgrading() || b.probe(c)
}

// probe runs the upgrade handshake: 2probe → 3probe, then 5. Anything else aborts the upgrade
// and leaves the session on its old transport.
func (b *wsSession) probe(c *ws.Conn) bool {
	timeout := b.probeTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	c.SetReadDeadline(time.Now().Add(timeout))
	defer c.SetReadDeadline(time.Time{})
	for _, want := range []eio.PacketType{eio.Ping, eio.Upgrade} {
		op, data, err := c.ReadMessage()
		if err != nil || op != wsframe.OpText {
			b.AbortUpgrade()
			return false
		}
		p, err := eio.DecodeText(data)
		if err != nil || p.Type != want || (want == eio.Ping && string(p.Data) != "probe") {
			b.AbortUpgrade()
			return false
		}
		if want == eio.Ping {
			answer := func() error { return c.Write(append(wsframe.AppendHeader(nil, wsframe.OpText, 6), "3probe"...)) }
			if b.Probe(answer) != nil {
				b.AbortUpgrade()
				return false
			}
			continue
		}
		if b.Upgrade() != nil {
			return false
		}
	}
	return true
}

// Message hands the client's message to the session as a packet.
func (b *wsSession) Message(op byte, data []byte) error {
	if op == wsframe.OpBinary {
		b.Receive(eio.Packet{Type: eio.Message, Data: data, Binary: true})
		return nil
	}
	p, err := eio.DecodeText(data)
	if err != nil {
		return err
	}
	b.Receive(p)
	return nil
}

// Frames pulls what the session has ready and appends its frames to buf: one frame per
// packet, text packets in text form, binary ones as binary frames.
func (b *wsSession) Frames(buf []byte) ([]byte, bool, bool) {
	reuse := b.pkts
	b.pkts = nil
	pkts, err := b.TryPull(reuse)
	if (err != nil && !errors.Is(err, ErrClosed)) || (err == nil && len(pkts) == 0) {
		return buf, false, false
	}
	for _, p := range pkts {
		if p.Type == eio.Noop || p.Type == eio.Close {
			// Never a noop on a WebSocket; and a close is the close frame, as in Node (a
			// client reading a close packet right behind "41" would see the transport
			// close before the namespace disconnect).
			continue
		}
		if p.Binary {
			buf = wsframe.AppendHeader(buf, wsframe.OpBinary, len(p.Data))
			buf = append(buf, p.Data...)
		} else {
			buf = wsframe.AppendHeader(buf, wsframe.OpText, 1+len(p.Data))
			buf = eio.AppendText(buf, p)
		}
	}
	b.pkts = pkts
	return buf, err != nil, true
}
