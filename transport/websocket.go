package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/hubkit/hub/internal/engine/packet"
)

// WebSocket carries one Engine.IO packet per WebSocket frame: text frames in text form, binary
// messages as raw binary frames. A session can open on it directly or upgrade to it from
// polling or SSE.
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

// Serve completes the WebSocket handshake, runs the probe exchange when the request upgrades
// an existing session, then pumps packets both ways until the session or the connection ends.
func (t WebSocket) Serve(w http.ResponseWriter, r *http.Request, s Session) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// Origin checks belong to the server's AllowRequest hook, as in Node.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		if s.Upgrading() {
			s.AbortUpgrade()
		} else {
			s.Fail(err)
		}
		return
	}
	c.SetReadLimit(s.MaxPayload())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // the connection lives as long as the session, not the request
		select {
		case <-s.Done():
		case <-ctx.Done():
		}
		cancel()
	}()
	if s.Upgrading() {
		if !t.probe(ctx, c, s) {
			c.Close(websocket.StatusNormalClosure, "")
			return
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.writeLoop(ctx, c, s)
		cancel()
	}()
	t.readLoop(ctx, c, s)
	// The read side ends when the session closes or the connection breaks; the writer then
	// flushes the final packets and closes, or stops once the session has finished.
	<-done
	c.CloseNow()
}

// probe runs the upgrade handshake: 2probe → 3probe, then 5. Anything else aborts the upgrade
// and leaves the session on its old transport.
func (t WebSocket) probe(ctx context.Context, c *websocket.Conn, s Session) bool {
	timeout := t.UpgradeTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, want := range []packet.PacketType{packet.Ping, packet.Upgrade} {
		typ, data, err := c.Read(ctx)
		if err != nil || typ != websocket.MessageText {
			s.AbortUpgrade()
			return false
		}
		p, err := packet.DecodeText(data)
		if err != nil || p.Type != want || (want == packet.Ping && string(p.Data) != "probe") {
			s.AbortUpgrade()
			return false
		}
		if want == packet.Ping {
			if c.Write(ctx, websocket.MessageText, []byte("3probe")) != nil || s.Probe() != nil {
				s.AbortUpgrade()
				return false
			}
			continue
		}
		if s.Upgrade() != nil {
			return false
		}
	}
	return true
}

func (WebSocket) readLoop(ctx context.Context, c *websocket.Conn, s Session) {
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			switch {
			case ctx.Err() != nil: // the session ended first
			case websocket.CloseStatus(err) != -1:
				if websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
					s.Fail(ErrTooLarge)
				} else {
					s.Fail(ErrPeerClosed)
				}
			case errors.Is(err, websocket.ErrMessageTooBig):
				s.Fail(ErrTooLarge)
			default:
				// The connection dropped without a close frame: Node calls it "transport close".
				s.Fail(fmt.Errorf("%w: %v", ErrPeerClosed, err))
			}
			return
		}
		var p packet.Packet
		if typ == websocket.MessageBinary {
			p = packet.Packet{Type: packet.Message, Data: data, Binary: true}
		} else if p, err = packet.DecodeText(data); err != nil {
			s.Fail(err)
			return
		}
		if s.Receive(p) != nil {
			return
		}
	}
}

func (WebSocket) writeLoop(ctx context.Context, c *websocket.Conn, s Session) {
	for {
		pkts, err := s.Pull(ctx)
		if err != nil && !errors.Is(err, ErrClosed) {
			return // ctx done: the read side saw the end
		}
		for _, p := range pkts {
			if p.Type == packet.Noop {
				continue // never on a WebSocket
			}
			if werr := writePacket(ctx, c, p); werr != nil {
				s.Fail(werr)
				return
			}
		}
		if err != nil { // closed: the final packets are out
			c.Close(websocket.StatusNormalClosure, "")
			return
		}
	}
}

func writePacket(ctx context.Context, c *websocket.Conn, p packet.Packet) error {
	if p.Binary {
		return c.Write(ctx, websocket.MessageBinary, p.Data)
	}
	w, err := c.Writer(ctx, websocket.MessageText)
	if err != nil {
		return err
	}
	w.Write([]byte{byte(p.Type)})
	w.Write(p.Data)
	return w.Close()
}
