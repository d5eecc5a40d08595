//go:build unix

package interop_test

// A raw HTTP client for the hostile-input table (hostile_test.go), and the connection the
// WebSocket client (wsclient_test.go) runs on: HTTP requests written byte for byte, and
// Engine.IO polling steps. No library sits between a row and the server, so a row can send
// what a well-behaved client never would.

import (
	"bufio"
	"context"
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
	// Unblock reads and writes when ctx is cancelled before its deadline. At the deadline
	// the one set above has passed already, unless the caller set a later one on purpose
	// (the case table waits past its case deadline for the end of a close handshake).
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			c.SetDeadline(time.Unix(1, 0))
		}
	})
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

// isDropped reports whether err is the server ending the connection before its answer was
// all read: an EOF, or a reset.
func isDropped(err error) bool {
	return isReset(err) || err == io.EOF || err == io.ErrUnexpectedEOF
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
