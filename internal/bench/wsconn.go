package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hubkit/hub/internal/wsframe"
)

// The load tool's WebSocket client: the HTTP Upgrade handshake, then RFC 6455 frames read and
// written directly on the net.Conn. It exists because a general-purpose client library
// (coder/websocket) allocates the message and takes a lock and a context per Read, which at
// 1,000 clients made the tool costlier per delivered message than the server it measures.
// Reading is allocation-free: a message is assembled in a buffer owned by the connection and
// valid until the next read.

// defaultMaxMessage bounds a message's size unless wsConn.maxMessage says otherwise.
const defaultMaxMessage = 1 << 20

// wsCloseError is what a read returns after the server's close frame.
type wsCloseError struct {
	Code   int // 1005 when the frame had no status code
	Reason string
}

func (e *wsCloseError) Error() string {
	return fmt.Sprintf("websocket closed by the server: status %d reason %q", e.Code, e.Reason)
}

// wsConn is the client end of a WebSocket connection. One goroutine reads (readMessage); any
// number may write (a mutex serialises the frames, one write(2) each).
type wsConn struct {
	conn       net.Conn
	br         *bufio.Reader
	maxMessage int

	// Read side: owned by the reading goroutine.
	msg  []byte    // the message being assembled; returned by readMessage, reused
	ctrl [125]byte // a control frame's payload (kept apart: it may come mid-message)
	hdr  [8]byte   // extended payload lengths

	wmu  sync.Mutex
	wbuf []byte // the frame being written, under wmu
}

// dialWS opens a WebSocket connection to rawURL (ws:// or http://) and does the opening
// handshake. ctx bounds the dial and the handshake only.
func dialWS(ctx context.Context, rawURL string) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "ws", "http":
	default:
		return nil, fmt.Errorf("websocket: unsupported scheme %q", u.Scheme)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	c, err := handshake(ctx, conn, u)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func handshake(ctx context.Context, conn net.Conn, u *url.URL) (*wsConn, error) {
	// Abort the handshake's reads and writes when ctx ends.
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\n" +
		"Host: " + u.Host + "\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n"
	br := bufio.NewReaderSize(conn, 4096)
	err := func() error {
		if _, err := io.WriteString(conn, req); err != nil {
			return err
		}
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet, URL: u})
		if err != nil {
			return fmt.Errorf("websocket handshake: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSwitchingProtocols {
			return fmt.Errorf("websocket handshake: status %d, want 101", resp.StatusCode)
		}
		if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
			return fmt.Errorf("websocket handshake: Upgrade %q", resp.Header.Get("Upgrade"))
		}
		if !headerHasToken(resp.Header, "Connection", "upgrade") {
			return fmt.Errorf("websocket handshake: Connection %q", resp.Header.Get("Connection"))
		}
		if got, want := resp.Header.Get("Sec-WebSocket-Accept"), wsframe.AcceptKey(key); got != want {
			return fmt.Errorf("websocket handshake: Sec-WebSocket-Accept %q, want %q", got, want)
		}
		if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
			return fmt.Errorf("websocket handshake: extension %q not asked for", ext)
		}
		return nil
	}()
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(err, ctx.Err())
		}
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return &wsConn{conn: conn, br: br, maxMessage: defaultMaxMessage}, nil
}

// headerHasToken reports whether the comma-separated header name holds token (any case).
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// readMessage returns the next data message (wsframe.OpText or wsframe.OpBinary) with its fragments joined.
// p is valid until the next call. Pings are answered with a pong, pongs ignored; the server's
// close frame is answered and ends the connection with a *wsCloseError.
func (c *wsConn) readMessage() (op byte, p []byte, err error) {
	c.msg = c.msg[:0]
	op = 0 // the message's opcode once its first frame is in
	for {
		b0, err := c.br.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		b1, err := c.br.ReadByte()
		if err != nil {
			return 0, nil, eofIsUnexpected(err)
		}
		fin, opcode := b0&0x80 != 0, b0&0x0f
		if b0&0x70 != 0 {
			return 0, nil, c.protocolError("reserved bits set in frame header %#02x", b0)
		}
		if b1&0x80 != 0 {
			return 0, nil, c.protocolError("masked frame from the server")
		}
		n := int64(b1 & 0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(c.br, c.hdr[:2]); err != nil {
				return 0, nil, eofIsUnexpected(err)
			}
			n = int64(binary.BigEndian.Uint16(c.hdr[:2]))
		case 127:
			if _, err := io.ReadFull(c.br, c.hdr[:8]); err != nil {
				return 0, nil, eofIsUnexpected(err)
			}
			u := binary.BigEndian.Uint64(c.hdr[:8])
			if u>>63 != 0 {
				return 0, nil, c.protocolError("64-bit payload length with its top bit set")
			}
			n = int64(u)
		}
		if opcode >= wsframe.OpClose { // a control frame
			if !fin || n > 125 {
				return 0, nil, c.protocolError("control frame %#x fragmented or longer than 125 bytes", opcode)
			}
			ctrl := c.ctrl[:n]
			if _, err := io.ReadFull(c.br, ctrl); err != nil {
				return 0, nil, eofIsUnexpected(err)
			}
			switch opcode {
			case wsframe.OpPing:
				if err := c.writeFrame(wsframe.OpPong, ctrl); err != nil {
					return 0, nil, fmt.Errorf("websocket pong: %w", err)
				}
			case wsframe.OpPong:
			case wsframe.OpClose:
				return 0, nil, c.closed(ctrl)
			default:
				return 0, nil, c.protocolError("unknown control opcode %#x", opcode)
			}
			continue
		}
		switch opcode {
		case wsframe.OpText, wsframe.OpBinary:
			if op != 0 {
				return 0, nil, c.protocolError("new message (opcode %#x) before the previous one's last fragment", opcode)
			}
			op = opcode
		case wsframe.OpContinuation:
			if op == 0 {
				return 0, nil, c.protocolError("continuation frame without a message")
			}
		default:
			return 0, nil, c.protocolError("unknown data opcode %#x", opcode)
		}
		have := len(c.msg)
		if n > int64(c.maxMessage-have) {
			return 0, nil, c.protocolError("message longer than %d bytes", c.maxMessage)
		}
		total := have + int(n)
		if total > cap(c.msg) {
			c.msg = append(c.msg[:cap(c.msg)], make([]byte, total-cap(c.msg))...)
		}
		c.msg = c.msg[:total]
		if _, err := io.ReadFull(c.br, c.msg[have:]); err != nil {
			return 0, nil, eofIsUnexpected(err)
		}
		if fin {
			return op, c.msg, nil
		}
	}
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// protocolError closes the connection with status 1002 and returns the error.
func (c *wsConn) protocolError(format string, args ...any) error {
	err := fmt.Errorf("websocket protocol error: "+format, args...)
	c.sendClose(1002)
	c.conn.Close()
	return err
}

// closed answers the server's close frame (payload ctrl) with one of the same status and
// closes the connection.
func (c *wsConn) closed(ctrl []byte) error {
	e := &wsCloseError{Code: 1005}
	switch {
	case len(ctrl) == 1:
		c.sendClose(1002)
		c.conn.Close()
		return errors.New("websocket protocol error: close frame with a 1-byte payload")
	case len(ctrl) >= 2:
		e.Code = int(binary.BigEndian.Uint16(ctrl))
		e.Reason = string(ctrl[2:])
		c.sendClose(e.Code)
	default:
		c.writeFrame(wsframe.OpClose, nil)
	}
	c.conn.Close()
	return e
}

func (c *wsConn) sendClose(code int) {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], uint16(code))
	c.writeFrame(wsframe.OpClose, b[:])
}

// writeMessage sends p as one unfragmented message of type op (wsframe.OpText or wsframe.OpBinary).
func (c *wsConn) writeMessage(op byte, p []byte) error { return c.writeFrame(op, p) }

// writeText sends prefix+s as one text message without joining them first.
func (c *wsConn) writeText(prefix, s string) error {
	return writeFrame(c, wsframe.OpText, prefix, s)
}

func (c *wsConn) writeFrame(op byte, p []byte) error { return writeFrame(c, op, "", p) }

// writeFrame writes one final, masked frame of opcode op whose payload is prefix followed by p,
// with one Write on the connection.
func writeFrame[T ~string | ~[]byte](c *wsConn, op byte, prefix string, p T) error {
	n := len(prefix) + len(p)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	key := mathrand.Uint32() // the masking key (RFC 6455, 5.3)
	b := wsframe.AppendMaskedHeader(c.wbuf[:0], true, op, n, key)
	start := len(b)
	b = append(b, prefix...)
	b = append(b, p...)
	wsframe.Mask(b[start:], key)
	_, err := c.conn.Write(b)
	if cap(b) <= 64<<10 { // keep a small buffer, not the largest frame ever sent
		c.wbuf = b[:0]
	} else {
		c.wbuf = nil
	}
	return err
}

// close closes the connection at once, without a closing handshake.
func (c *wsConn) close() error { return c.conn.Close() }
