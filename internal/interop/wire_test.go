//go:build unix

package interop_test

// Raw wire helpers for the hostile-input table (hostile_test.go): HTTP requests written byte
// for byte, Engine.IO polling steps, and a minimal WebSocket client that sends exactly the
// frames it is given. No library sits between a row and the server, so a row can send what a
// well-behaved client never would.

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxRead bounds what one response or frame may bring into the test.
const maxRead = 4 << 20

// rawConn is one TCP connection to the server under test.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

// dialRaw connects to base's host; ctx's deadline bounds every read and write.
func dialRaw(ctx context.Context, base string) (*rawConn, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	// Unblock reads and writes when ctx ends early, not only at its deadline.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return &rawConn{Conn: &stopConn{Conn: c, stop: stop}, br: bufio.NewReaderSize(c, 64<<10)}, nil
}

type stopConn struct {
	net.Conn
	stop func() bool
}

func (c *stopConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// reply is an HTTP answer as a row sees it.
type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) String() string {
	if r.body == "" {
		return strconv.Itoa(r.status)
	}
	return strconv.Itoa(r.status) + " " + show(r.body)
}

// readReply reads one response; a 101 leaves the connection to the caller.
func (c *rawConn) readReply(method string) (reply, error) {
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		return reply{}, err
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return reply{status: resp.StatusCode, header: resp.Header}, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxRead))
	resp.Body.Close()
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}, err
}

// rawRequest builds a request for path?query on base's host with the extra header lines and
// body; a body gets a Content-Length unless a Content-Length or Transfer-Encoding line is given.
func rawRequest(base, method, query string, header []string, body string) string {
	u, _ := url.Parse(base)
	var b strings.Builder
	fmt.Fprintf(&b, "%s /socket.io/?%s HTTP/1.1\r\nHost: %s\r\n", method, query, u.Host)
	chunked := false
	for _, h := range header {
		b.WriteString(h + "\r\n")
		lh := strings.ToLower(h)
		chunked = chunked || strings.HasPrefix(lh, "transfer-encoding:") || strings.HasPrefix(lh, "content-length:")
	}
	if !chunked && (body != "" || method == "POST" || method == "PUT") {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return b.String()
}

// do sends one request on a fresh connection and reads the answer.
func do(ctx context.Context, base, method, query string, header []string, body string) (reply, error) {
	c, err := dialRaw(ctx, base)
	if err != nil {
		return reply{}, err
	}
	defer c.Close()
	if _, err := io.WriteString(c, rawRequest(base, method, query, append(header, "Connection: close"), body)); err != nil {
		return reply{}, err
	}
	return c.readReply(method)
}

// show prints a body as it is when it is printable text, with the record separator 0x1e
// written ␞, and Go-quoted otherwise.
func show(s string) string {
	if !utf8.ValidString(s) || strings.Contains(s, "␞") {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if (r < 0x20 && r != 0x1e) || r == 0x7f {
			return strconv.Quote(s)
		}
	}
	return strings.ReplaceAll(s, "\x1e", "␞")
}

// Engine.IO polling steps.

const eio = "EIO=4&transport=polling"

// handshake opens a polling session and returns its sid.
func handshake(ctx context.Context, base string) (string, error) {
	r, err := do(ctx, base, "GET", eio, nil, "")
	if err != nil {
		return "", err
	}
	if r.status != 200 || !strings.HasPrefix(r.body, "0{") {
		return "", fmt.Errorf("handshake: %v", r)
	}
	var open struct{ Sid string }
	if err := json.Unmarshal([]byte(r.body[1:]), &open); err != nil || open.Sid == "" {
		return "", fmt.Errorf("handshake: %v", r)
	}
	return open.Sid, nil
}

func poll(ctx context.Context, base, sid string) (reply, error) {
	return do(ctx, base, "GET", eio+"&sid="+sid, nil, "")
}

func post(ctx context.Context, base, sid, body string, header ...string) (reply, error) {
	if header == nil {
		header = []string{"Content-Type: text/plain;charset=UTF-8"}
	}
	return do(ctx, base, "POST", eio+"&sid="+sid, header, body)
}

// connected opens a polling session joined to "/", with the CONNECT reply and the welcome
// event already read.
func connected(ctx context.Context, base string) (string, error) {
	sid, err := handshake(ctx, base)
	if err != nil {
		return "", err
	}
	if r, err := post(ctx, base, sid, "40"); err != nil || r.status != 200 {
		return "", fmt.Errorf("CONNECT: %v %v", r, err)
	}
	got := ""
	for !strings.Contains(got, `42["welcome"`) {
		r, err := poll(ctx, base, sid)
		if err != nil || r.status != 200 {
			return "", fmt.Errorf("after CONNECT: %v %v", r, err)
		}
		got += r.body
	}
	return sid, nil
}

// closedAnswer reads what a GET finds after the server closed the session: Node answers a
// later GET with "1" or, having forgotten the sid, with 400 "Session ID unknown"; both mean
// the session is gone and are written "closed".
func closedAnswer(r reply) string {
	switch {
	case r.status == 200 && (r.body == "1" || strings.HasSuffix(r.body, "\x1e1")):
		return "closed"
	case r.status == 400 && strings.Contains(r.body, `"code":1`):
		return "closed"
	}
	return "GET " + r.String()
}

// A minimal WebSocket client.

type wsConn struct {
	*rawConn
	// pongs, when set, answers Engine.IO pings ("2") inside readMsg.
	pongs bool
}

// wsKey is any 16 bytes, base64; the server's accept value is not checked by rows.
const wsKey = "dGhlIHNhbXBsZSBub25jZQ=="

// wsDial sends a WebSocket handshake for query with the extra header lines. It returns the
// connection on 101, and the answer either way.
func wsDial(ctx context.Context, base, query string, header ...string) (*wsConn, reply, error) {
	c, err := dialRaw(ctx, base)
	if err != nil {
		return nil, reply{}, err
	}
	h := append([]string{"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: " + wsKey, "Sec-WebSocket-Version: 13"}, header...)
	if _, err := io.WriteString(c, rawRequest(base, "GET", query, h, "")); err != nil {
		c.Close()
		return nil, reply{}, err
	}
	r, err := c.readReply("GET")
	if err != nil || r.status != http.StatusSwitchingProtocols {
		c.Close()
		return nil, r, err
	}
	return &wsConn{rawConn: c, pongs: true}, r, nil
}

const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xa
)

// writeFrame writes one masked frame.
func (w *wsConn) writeFrame(fin bool, op byte, payload []byte) error {
	hdr := make([]byte, 0, 14)
	b0 := op
	if fin {
		b0 |= 0x80
	}
	hdr = append(hdr, b0)
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 1<<16:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	mask := [4]byte{0x12, 0x34, 0x56, 0x78}
	hdr = append(hdr, mask[:]...)
	buf := append(hdr, payload...)
	for i := range payload {
		buf[len(hdr)+i] ^= mask[i%4]
	}
	_, err := w.Write(buf)
	return err
}

func (w *wsConn) text(s string) error   { return w.writeFrame(true, opText, []byte(s)) }
func (w *wsConn) binary(b []byte) error { return w.writeFrame(true, opBinary, b) }

// readFrame reads one frame from the server.
func (w *wsConn) readFrame() (fin bool, op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(w.br, h[:]); err != nil {
		return
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err = io.ReadFull(w.br, e[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err = io.ReadFull(w.br, e[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	if h[1]&0x80 != 0 {
		return fin, op, nil, errors.New("masked frame from the server")
	}
	if n > maxRead {
		return fin, op, nil, fmt.Errorf("frame of %d bytes", n)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(w.br, payload)
	return
}

// msg is one thing read from a WebSocket: a text or binary message, a close frame, or the end
// of the connection.
type msg struct {
	op   byte
	data []byte
	code int   // close frames: the status code, 1005 when absent
	err  error // the connection ended (EOF, reset) or the row's deadline passed
}

func (m msg) closed() bool { return m.op == opClose || m.err != nil }

func (m msg) String() string {
	switch {
	case m.op == opClose:
		return "close " + strconv.Itoa(m.code)
	case errors.Is(m.err, io.EOF) || errors.Is(m.err, io.ErrUnexpectedEOF) || errors.Is(m.err, net.ErrClosed) || isReset(m.err):
		return "EOF"
	case m.err != nil:
		var ne net.Error
		if errors.As(m.err, &ne) && ne.Timeout() {
			return "no answer"
		}
		return "error: " + m.err.Error()
	case m.op == opBinary:
		return fmt.Sprintf("binary(%d)", len(m.data))
	}
	return show(string(m.data))
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

// readMsg reads the next message, reassembling fragments, answering WebSocket pings and,
// when w.pongs is set, Engine.IO pings.
func (w *wsConn) readMsg() msg {
	var data []byte
	var first byte
	for {
		fin, op, p, err := w.readFrame()
		if err != nil {
			return msg{err: err}
		}
		switch op {
		case opPing:
			w.writeFrame(true, opPong, p)
			continue
		case opPong:
			continue
		case opClose:
			code := 1005
			if len(p) >= 2 {
				code = int(binary.BigEndian.Uint16(p))
			}
			w.writeFrame(true, opClose, p[:min(len(p), 2)])
			return msg{op: opClose, code: code}
		case opText, opBinary:
			first = op
		}
		data = append(data, p...)
		if !fin {
			continue
		}
		if first == opText && w.pongs && string(data) == "2" {
			if err := w.text("3"); err != nil {
				return msg{err: err}
			}
			data = nil
			continue
		}
		return msg{op: first, data: data}
	}
}

// wsOpen opens a WebSocket-only session and reads the open packet.
func wsOpen(ctx context.Context, base string) (*wsConn, error) {
	w, r, err := wsDial(ctx, base, "EIO=4&transport=websocket")
	if err != nil {
		return nil, err
	}
	if w == nil {
		return nil, fmt.Errorf("websocket handshake: %v", r)
	}
	if m := w.readMsg(); !strings.HasPrefix(m.String(), "0{") {
		w.Close()
		return nil, fmt.Errorf("open packet: %v", m)
	}
	return w, nil
}

// wsConnected opens a WebSocket-only session joined to "/", with the CONNECT reply and the
// welcome event read.
func wsConnected(ctx context.Context, base string) (*wsConn, error) {
	w, err := wsOpen(ctx, base)
	if err != nil {
		return nil, err
	}
	if err := w.text("40"); err != nil {
		w.Close()
		return nil, err
	}
	for {
		m := w.readMsg()
		if m.closed() {
			w.Close()
			return nil, fmt.Errorf("after CONNECT: %v", m)
		}
		if strings.HasPrefix(string(m.data), `42["welcome"`) {
			return w, nil
		}
	}
}

// alive sends an echo and reads up to it: the answer is the messages seen before it,
// then "alive" when the echo came back, or how the connection ended.
func (w *wsConn) alive() string {
	var seen []string
	if err := w.text(`42["echo","alive"]`); err != nil {
		return "closed"
	}
	for {
		m := w.readMsg()
		switch {
		case m.err != nil && m.String() == "no answer":
			return strings.Join(append(seen, "no answer"), "; ")
		case m.closed():
			return strings.Join(append(seen, "closed"), "; ")
		case string(m.data) == `42["echo","alive"]`:
			return strings.Join(append(seen, "alive"), "; ")
		}
		seen = append(seen, m.String())
	}
}

// oversize sends a text message too big for the server while reading its answer: a server
// may refuse the frame from its header and stop reading, so the write must not block the read.
func (w *wsConn) oversize(s string) msg {
	go w.text(s) // ends with an error once the connection closes, at the latest when the row ends
	return w.readMsg()
}
