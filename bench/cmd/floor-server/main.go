// Command floor-server is a measuring stick for the benchmark harness, not a product: the
// thinnest Go server that answers hubbench's WebSocket scenarios (connect, fanout, echo,
// rooms), so that hub's server CPU per operation can be set against what a Go process on the
// same machine pays at the least for the same traffic.
//
// It speaks just enough Engine.IO 4 / Socket.IO 5 over WebSocket: the open packet, the CONNECT
// of namespace "/", and four events — "fanout" (msg) broadcast as "bcast" to every client,
// "roomcast" (room, msg) to a room's members, "join" (room, ack) and "echo" (msg, ack),
// answered with the same arguments. The WebSocket handshake is done by hand on a hijacked
// net/http connection; then ONE goroutine per connection reads RFC 6455 frames from a
// bufio.Reader and handles each message inline. An ack is written by that goroutine, one
// write(2); a broadcast frame is built once and written by the goroutine that received the
// trigger to every recipient in turn, under each connection's write mutex, one write(2) per
// delivery. No queue, no writer goroutine, no allocation per message.
//
// It has none of hub's guarantees, on purpose: no bounded queues, no back-pressure — a slow
// client blocks the broadcaster (and so every other recipient) for as long as its socket
// buffer is full; no pings or ping timeouts, no polling, no binary, no fragmented messages, no
// other namespace, no validation beyond what the scenarios need. Do not use it for anything
// but measuring.
//
// It prints "listening <port>" once it accepts connections and stops on SIGINT or SIGTERM:
//
//	go run ./bench/cmd/floor-server -port 0
//	go run ./bench/cmd/hubbench -url http://127.0.0.1:<port> -pid <pid> -scenario echo
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hubkit/hub/internal/wsframe"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 (0: any free port)")
	flag.Parse()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatal(err)
	}
	fs := newServer()
	hs := &http.Server{
		Handler:           fs,
		ReadHeaderTimeout: 10 * time.Second, // as README's "Running in production"
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		hs.Close()
		fs.closeAll()
	}()
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	if err := hs.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// maxMessage is the largest message accepted (the maxPayload of the open packet).
const maxMessage = 1_000_000

// set is a copy-on-write list of connections: readers load it without a lock, writers
// (connect, join, disconnect — never a message) replace it under the server's mutex.
type set struct{ p atomic.Pointer[[]*conn] }

func (s *set) load() []*conn {
	if p := s.p.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *set) add(c *conn) {
	old := s.load()
	n := make([]*conn, len(old), len(old)+1)
	copy(n, old)
	n = append(n, c)
	s.p.Store(&n)
}

func (s *set) remove(c *conn) {
	old := s.load()
	n := make([]*conn, 0, len(old))
	for _, o := range old {
		if o != c {
			n = append(n, o)
		}
	}
	s.p.Store(&n)
}

type server struct {
	mu    sync.Mutex // guards the writers of all, rooms and every set
	all   set        // connections that joined namespace "/"
	rooms map[string]*set
	open  map[*conn]struct{} // every hijacked connection, for closeAll
}

func newServer() *server {
	return &server{rooms: make(map[string]*set), open: make(map[*conn]struct{})}
}

// conn is one WebSocket connection. Only its own goroutine reads and uses out; any goroutine
// writes a whole frame to nc under wmu.
type conn struct {
	srv    *server
	nc     net.Conn
	br     *bufio.Reader
	sid    string
	joined []string // rooms, written by the reading goroutine only (under srv.mu)

	hdr [8]byte // a frame header's extended length and masking key
	msg []byte  // the message being read, reused
	out []byte  // frames this goroutine builds: acks, broadcasts; reused

	wmu sync.Mutex
}

// write sends one whole frame with one Write (one write(2) unless the socket buffer is full).
func (c *conn) write(frame []byte) error {
	c.wmu.Lock()
	_, err := c.nc.Write(frame)
	c.wmu.Unlock()
	return err
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.URL.Path != "/socket.io/" || q.Get("EIO") != "4" || q.Get("transport") != "websocket" || q.Get("sid") != "" {
		http.Error(w, "floor-server: only new Engine.IO 4 sessions over WebSocket", http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || key == "" || r.Header.Get("Sec-WebSocket-Version") != "13" {
		http.Error(w, "floor-server: not a WebSocket upgrade", http.StatusBadRequest)
		return
	}
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		wsframe.AcceptKey(key) + "\r\n\r\n"
	var id [15]byte
	rand.Read(id[:])
	c := &conn{srv: s, nc: nc, br: brw.Reader, sid: base64.RawURLEncoding.EncodeToString(id[:]),
		msg: make([]byte, 0, 512), out: make([]byte, 0, 512)}
	// The 101 response and the open packet in one write.
	c.out = append(c.out, resp...)
	c.out = appendFrame(c.out, `0{"sid":"`, c.sid, `","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
	if err := c.write(c.out); err != nil {
		nc.Close()
		return
	}
	s.mu.Lock()
	s.open[c] = struct{}{}
	s.mu.Unlock()
	go c.serve()
}

// closeAll closes every connection (on SIGINT/SIGTERM).
func (s *server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.open {
		c.nc.Close()
	}
}

func (c *conn) serve() {
	defer c.close()
	for {
		p, err := c.readMessage()
		if err != nil {
			return
		}
		if p == nil { // a control frame, handled
			continue
		}
		if err := c.engine(p); err != nil {
			return
		}
	}
}

func (c *conn) close() {
	s := c.srv
	s.mu.Lock()
	s.all.remove(c)
	for _, name := range c.joined {
		if r := s.rooms[name]; r != nil {
			r.remove(c)
			if len(r.load()) == 0 {
				delete(s.rooms, name)
			}
		}
	}
	delete(s.open, c)
	s.mu.Unlock()
	c.nc.Close()
}

var errProtocol = errors.New("floor-server: unsupported or malformed frame")

// readMessage reads the next frame, unmasked in c.msg. A text frame's payload is returned
// (valid until the next call); a ping is answered and a pong ignored (nil, nil); a close
// frame, a binary or fragmented frame, or an unmasked one ends the connection.
func (c *conn) readMessage() ([]byte, error) {
	hdr := c.hdr[:]
	if _, err := io.ReadFull(c.br, hdr[:2]); err != nil {
		return nil, err
	}
	b0, b1 := hdr[0], hdr[1]
	if b0&0x80 == 0 || b0&0x70 != 0 || b1&0x80 == 0 {
		return nil, errProtocol // fragmented, reserved bits, unmasked
	}
	op := b0 & 0x0f
	n := uint64(b1 & 0x7f)
	switch n {
	case 126:
		if _, err := io.ReadFull(c.br, hdr[:2]); err != nil {
			return nil, err
		}
		n = uint64(binary.BigEndian.Uint16(hdr[:2]))
	case 127:
		if _, err := io.ReadFull(c.br, hdr[:8]); err != nil {
			return nil, err
		}
		n = binary.BigEndian.Uint64(hdr[:8])
	}
	if n > maxMessage {
		return nil, errProtocol
	}
	if _, err := io.ReadFull(c.br, hdr[:4]); err != nil {
		return nil, err
	}
	key := binary.BigEndian.Uint32(hdr[:4])
	if int(n) > cap(c.msg) {
		c.msg = make([]byte, n)
	}
	p := c.msg[:n]
	if _, err := io.ReadFull(c.br, p); err != nil {
		return nil, err
	}
	wsframe.Mask(p, key)
	switch op {
	case wsframe.OpText:
		return p, nil
	case wsframe.OpPing:
		c.out = appendFrameOp(c.out[:0], wsframe.OpPong, string(p))
		return nil, c.write(c.out)
	case wsframe.OpPong:
		return nil, nil
	case wsframe.OpClose: // echo the status, then end
		c.out = appendFrameOp(c.out[:0], wsframe.OpClose, string(p[:min(len(p), 2)]))
		c.write(c.out)
		return nil, io.EOF
	}
	return nil, errProtocol
}

// appendFrame appends one final, unmasked text frame whose payload is the parts joined.
func appendFrame[T ~string | ~[]byte](b []byte, a string, mid T, z string) []byte {
	n := len(a) + len(mid) + len(z)
	b = wsframe.AppendHeader(b, wsframe.OpText, n)
	b = append(b, a...)
	b = append(b, mid...)
	return append(b, z...)
}

func appendFrameOp(b []byte, op byte, p string) []byte {
	return append(wsframe.AppendHeader(b, op, len(p)), p...)
}

// engine handles one Engine.IO packet.
func (c *conn) engine(p []byte) error {
	if len(p) == 0 {
		return errProtocol
	}
	switch p[0] {
	case '4':
		return c.socketIO(p[1:])
	case '2': // ping (the server never sends one, but answer it)
		c.out = appendFrame(c.out[:0], "3", p[1:], "")
		return c.write(c.out)
	case '3', '6': // pong, noop
		return nil
	}
	return errProtocol // close, upgrade, anything else: end the session
}

var (
	evFanout   = []byte(`"fanout",`)
	evRoomcast = []byte(`"roomcast",`)
	evJoin     = []byte(`"join",`)
	evEcho     = []byte(`"echo",`)
)

// socketIO handles one Socket.IO packet of namespace "/" (the text after the engine '4').
func (c *conn) socketIO(p []byte) error {
	if len(p) == 0 {
		return errProtocol
	}
	switch p[0] {
	case '0': // CONNECT "/", with or without auth: answer, and receive broadcasts
		// Added before the answer is out (a client that has its answer may trigger a
		// broadcast at once, and expects every connected client to get it), under the write
		// mutex (no broadcast goes out before the answer).
		c.out = appendFrame(c.out[:0], `40{"sid":"`, c.sid, `"}`)
		c.wmu.Lock()
		defer c.wmu.Unlock()
		s := c.srv
		s.mu.Lock()
		s.all.add(c)
		s.mu.Unlock()
		_, err := c.nc.Write(c.out)
		return err
	case '1': // DISCONNECT
		return io.EOF
	case '2': // EVENT: 2[<id>][ "name", args... ]
	default:
		return nil // acks from the client, binary: ignored
	}
	p = p[1:]
	i := 0
	for i < len(p) && p[i] >= '0' && p[i] <= '9' {
		i++
	}
	id, body := p[:i], p[i:]
	if len(body) < 2 || body[0] != '[' || body[len(body)-1] != ']' {
		return errProtocol
	}
	body = body[1 : len(body)-1] // `"name",args`
	switch {
	case bytes.HasPrefix(body, evEcho) && len(id) > 0:
		// 43<id>[args]: the same arguments back.
		args := body[len(evEcho):]
		b := wsframe.AppendHeader(c.out[:0], wsframe.OpText, 2+len(id)+1+len(args)+1)
		b = append(b, "43"...)
		b = append(b, id...)
		b = append(b, '[')
		b = append(b, args...)
		c.out = append(b, ']')
		return c.write(c.out)
	case bytes.HasPrefix(body, evFanout):
		c.broadcast(c.srv.all.load(), body[len(evFanout):])
	case bytes.HasPrefix(body, evRoomcast):
		room, msg, ok := cutString(body[len(evRoomcast):])
		if !ok || len(msg) < 2 || msg[0] != ',' {
			return errProtocol
		}
		c.srv.mu.Lock()
		r := c.srv.rooms[string(room)]
		c.srv.mu.Unlock()
		if r != nil {
			c.broadcast(r.load(), msg[1:])
		}
	case bytes.HasPrefix(body, evJoin) && len(id) > 0:
		room, rest, ok := cutString(body[len(evJoin):])
		if !ok || len(rest) != 0 {
			return errProtocol
		}
		c.join(string(room))
		c.out = appendFrame(c.out[:0], "43", id, "[]")
		return c.write(c.out)
	}
	return nil
}

// cutString cuts the JSON string at the start of p (without escapes, as room names are) and
// returns its contents and what follows.
func cutString(p []byte) (s, rest []byte, ok bool) {
	if len(p) < 2 || p[0] != '"' {
		return nil, nil, false
	}
	end := bytes.IndexByte(p[1:], '"')
	if end < 0 || bytes.IndexByte(p[1:1+end], '\\') >= 0 {
		return nil, nil, false
	}
	return p[1 : 1+end], p[2+end:], true
}

var bcastHead = `42["bcast",`

// broadcast builds the frame 42["bcast",<args>] once and writes it to every connection in
// to, in turn, from this goroutine. A write error is ignored: that connection's own
// goroutine will see it end.
func (c *conn) broadcast(to []*conn, args []byte) {
	c.out = appendFrame(c.out[:0], bcastHead, args, "]")
	for _, r := range to {
		r.write(c.out)
	}
}

// join adds c to room name (once).
func (c *conn) join(name string) {
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range c.joined {
		if j == name {
			return
		}
	}
	r := s.rooms[name]
	if r == nil {
		r = &set{}
		s.rooms[name] = r
	}
	r.add(c)
	c.joined = append(c.joined, name)
}
