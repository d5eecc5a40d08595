package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubkit/hub/internal/wsframe"
)

// Transports the load tool speaks.
const (
	WebSocket = "websocket"
	Polling   = "polling"
	SSE       = "sse"
)

// errorLog counts protocol errors and keeps the first few messages.
type errorLog struct {
	n     atomic.Int64
	mu    sync.Mutex
	first []string
}

func (e *errorLog) add(err error) {
	if e.n.Add(1) <= 5 {
		e.mu.Lock()
		e.first = append(e.first, err.Error())
		e.mu.Unlock()
	}
}

func (e *errorLog) err() error {
	n := e.n.Load()
	if n == 0 {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return fmt.Errorf("%d protocol errors, first: %s", n, strings.Join(e.first, "; "))
}

// client is one raw Socket.IO client on the main namespace, speaking Engine.IO v4 directly.
// Its read loop (one goroutine) answers pings and hands every Socket.IO packet after the
// namespace CONNECT to onPacket, on that goroutine.
type client struct {
	kind string
	base string // http://127.0.0.1:port
	hc   *http.Client
	errs *errorLog
	// onPacket gets each Socket.IO packet's text (the engine "4" stripped). p is only valid
	// during the call (over WebSocket it is the read buffer): copy what must be kept.
	onPacket func(p []byte)

	ctx    context.Context
	cancel context.CancelFunc
	ws     *wsConn
	sid    string
	postMu sync.Mutex // one POST at a time per session (polling, SSE)

	connected chan struct{}
	closing   atomic.Bool
	done      chan struct{} // closed when the read loop exits

	stalled atomic.Bool   // WebSocket: the read loop stops reading (a client that stopped reading)
	unstall chan struct{} // closed to resume reading
}

// newHTTPClient returns an HTTP client for many concurrent sessions to one host.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 8192,
		IdleConnTimeout:     30 * time.Second,
	}}
}

// dial opens a session over kind and joins namespace "/"; it returns once the server's
// CONNECT arrived. onPacket may be nil until then only if no event can arrive before.
func dial(ctx context.Context, kind, base string, hc *http.Client, errs *errorLog, onPacket func([]byte)) (*client, error) {
	c := &client{kind: kind, base: base, hc: hc, errs: errs, onPacket: onPacket,
		connected: make(chan struct{}), done: make(chan struct{}), unstall: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(ctx)
	if err := c.open(); err != nil {
		c.cancel()
		return nil, err
	}
	if err := c.write("0"); err != nil {
		c.close()
		return nil, err
	}
	select {
	case <-c.connected:
		return c, nil
	case <-c.done:
		c.close()
		return nil, fmt.Errorf("%s: session ended before the namespace CONNECT", kind)
	case <-ctx.Done():
		c.close()
		return nil, fmt.Errorf("%s: waiting for the namespace CONNECT: %w", kind, ctx.Err())
	}
}

func (c *client) url(withSid bool) string {
	u := c.base + "/socket.io/?EIO=4&transport=" + c.kind
	if withSid {
		u += "&sid=" + c.sid
	}
	return u
}

// open does the Engine.IO handshake and starts the read loop.
func (c *client) open() error {
	switch c.kind {
	case WebSocket:
		u := "ws" + strings.TrimPrefix(c.url(false), "http")
		conn, err := dialWS(c.ctx, u)
		if err != nil {
			return err
		}
		// The end of the session's context ends the connection (and so its read loop).
		context.AfterFunc(c.ctx, func() { conn.close() })
		typ, b, err := conn.readMessage()
		if err != nil {
			conn.close()
			return err
		}
		if typ != wsframe.OpText {
			conn.close()
			return errors.New("websocket: first frame is binary")
		}
		if err := c.parseOpen(string(b)); err != nil {
			conn.close()
			return err
		}
		c.ws = conn
		go c.wsLoop()
	case Polling:
		body, err := c.get(c.ctx, c.url(false))
		if err != nil {
			return err
		}
		if err := c.parseOpen(string(body)); err != nil {
			return err
		}
		go c.pollLoop()
	case SSE:
		req, _ := http.NewRequestWithContext(c.ctx, http.MethodGet, c.url(false), nil)
		resp, err := c.hc.Do(req)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return fmt.Errorf("sse: handshake status %d", resp.StatusCode)
		}
		r := bufio.NewReaderSize(resp.Body, 8192)
		first, err := readEvent(r)
		if err != nil {
			resp.Body.Close()
			return fmt.Errorf("sse: reading the open event: %w", err)
		}
		if err := c.parseOpen(string(first)); err != nil {
			resp.Body.Close()
			return err
		}
		go c.sseLoop(resp.Body, r)
	default:
		return fmt.Errorf("unknown transport %q", c.kind)
	}
	return nil
}

func (c *client) parseOpen(p string) error {
	if !strings.HasPrefix(p, "0{") {
		return fmt.Errorf("%s: open packet: got %.60q", c.kind, p)
	}
	var hs struct{ Sid string }
	if err := json.Unmarshal([]byte(p[1:]), &hs); err != nil || hs.Sid == "" {
		return fmt.Errorf("%s: open packet: %.60q", c.kind, p)
	}
	c.sid = hs.Sid
	return nil
}

// fail records err as a protocol error unless the client is closing.
func (c *client) fail(err error) {
	if !c.closing.Load() && c.ctx.Err() == nil {
		c.errs.add(fmt.Errorf("%s: %w", c.kind, err))
	}
}

// packet handles one Engine.IO text packet; p is only valid during the call.
func (c *client) packet(p []byte) {
	if len(p) == 0 {
		c.fail(errors.New("empty packet"))
		return
	}
	switch p[0] {
	case '2': // ping
		if err := c.write3(); err != nil {
			c.fail(fmt.Errorf("pong: %w", err))
		}
	case '4':
		sio := p[1:]
		select {
		case <-c.connected:
			if c.onPacket != nil {
				c.onPacket(sio)
			}
		default:
			if !bytes.HasPrefix(sio, []byte("0{")) {
				c.fail(fmt.Errorf("namespace CONNECT: got %.60q", sio))
				return
			}
			close(c.connected)
		}
	case '1': // close
		c.fail(errors.New("server closed the session"))
	case '6': // noop
	default:
		c.fail(fmt.Errorf("unexpected packet %.40q", p))
	}
}

func (c *client) write3() error { return c.writeEngine("3") }

// write sends a Socket.IO packet (as an Engine.IO message).
func (c *client) write(sio string) error {
	if c.kind == WebSocket {
		return c.ws.writeText("4", sio)
	}
	return c.writeEngine("4" + sio)
}

func (c *client) writeEngine(p string) error {
	if c.kind == WebSocket {
		return c.ws.writeText("", p)
	}
	c.postMu.Lock()
	defer c.postMu.Unlock()
	req, _ := http.NewRequestWithContext(c.ctx, http.MethodPost, c.url(true), strings.NewReader(p))
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(b) != "ok" {
		return fmt.Errorf("POST: status %d body %.60q", resp.StatusCode, b)
	}
	return nil
}

func (c *client) get(ctx context.Context, u string) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET: status %d body %.60q", resp.StatusCode, b)
	}
	return b, nil
}

func (c *client) wsLoop() {
	defer close(c.done)
	for {
		if c.stalled.Load() {
			select {
			case <-c.unstall:
			case <-c.ctx.Done():
				return
			}
		}
		typ, b, err := c.ws.readMessage()
		if err != nil {
			c.fail(fmt.Errorf("read: %w", err))
			return
		}
		if typ != wsframe.OpText {
			c.fail(errors.New("unexpected binary frame"))
			continue
		}
		c.packet(b)
	}
}

func (c *client) pollLoop() {
	defer close(c.done)
	for {
		body, err := c.get(c.ctx, c.url(true))
		if err != nil {
			c.fail(err)
			return
		}
		for p := range bytes.SplitSeq(body, []byte("\x1e")) {
			c.packet(p)
		}
	}
}

func (c *client) sseLoop(body io.ReadCloser, r *bufio.Reader) {
	defer close(c.done)
	defer body.Close()
	for {
		p, err := readEvent(r)
		if err != nil {
			c.fail(fmt.Errorf("sse stream: %w", err))
			return
		}
		c.packet(p)
	}
}

// readEvent reads one SSE event's data (its "data:" lines joined by "\n").
func readEvent(r *bufio.Reader) ([]byte, error) {
	var data []byte
	have := false
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if have {
				return data, nil
			}
			continue
		}
		if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			v = bytes.TrimPrefix(v, []byte(" "))
			if have {
				data = append(data, '\n')
			}
			data = append(data, v...)
			have = true
		}
	}
}

// close ends the session from the client side without waiting for the server.
func (c *client) close() {
	c.closing.Store(true)
	if c.ws != nil {
		c.ws.close()
	}
	c.cancel()
}
