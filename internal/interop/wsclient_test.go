//go:build unix

package interop_test

// A raw WebSocket client for the RFC 6455 case table (wscases_test.go) and the hostile-input
// table (hostile_test.go): it writes whatever frames a row asks for, malformed ones included,
// and reads the server's frames one by one or as whole messages. No WebSocket library would
// let a client send what the tables send. It runs over rawConn (httpclient_test.go), so a
// row's context bounds every read and write.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/hubkit/hub/internal/wsframe"
)

// frame describes one client frame; the constructors below build the usual ones, and bytes()
// its wire bytes.
type frame struct {
	fin      bool
	rsv      byte // RSV1..RSV3, as the 0x70 bits of the first byte
	op       byte // opcode
	payload  []byte
	length   uint64 // the declared payload length, if not 0; else len(payload)
	lenForm  byte   // 126 or 127 forces that extended length form; 0 picks the shortest
	unmasked bool   // send without a mask (clients must mask)
}

// text, binaryFrame, ping, pong, closeFrame and cont build whole, masked frames.
func text(p string) frame        { return frame{fin: true, op: wsframe.OpText, payload: []byte(p)} }
func binaryFrame(p []byte) frame { return frame{fin: true, op: wsframe.OpBinary, payload: p} }
func ping(p string) frame        { return frame{fin: true, op: wsframe.OpPing, payload: []byte(p)} }
func pong(p string) frame        { return frame{fin: true, op: wsframe.OpPong, payload: []byte(p)} }
func cont(p string, fin bool) frame {
	return frame{fin: fin, op: wsframe.OpContinuation, payload: []byte(p)}
}

// first is the first frame of a fragmented message (FIN clear).
func first(op byte, p string) frame { return frame{op: op, payload: []byte(p)} }

// closeFrame is a close frame with a status code and a reason; code 0 sends an empty body.
func closeFrame(code uint16, reason string) frame {
	var p []byte
	if code != 0 {
		p = binary.BigEndian.AppendUint16(nil, code)
		p = append(p, reason...)
	}
	return frame{fin: true, op: wsframe.OpClose, payload: p}
}

// bytes encodes f with a random masking key.
func (f frame) bytes() []byte {
	n := f.length
	if n == 0 {
		n = uint64(len(f.payload))
	}
	b0 := f.rsv&0x70 | f.op&0x0f
	if f.fin {
		b0 |= 0x80
	}
	var mask byte = 0x80
	if f.unmasked {
		mask = 0
	}
	out := []byte{b0}
	switch {
	case f.lenForm == 126:
		out = append(out, mask|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	case f.lenForm == 127:
		out = append(out, mask|127)
		out = binary.BigEndian.AppendUint64(out, n)
	case n < 126:
		out = append(out, mask|byte(n))
	case n <= 0xffff:
		out = append(out, mask|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, mask|127)
		out = binary.BigEndian.AppendUint64(out, n)
	}
	if f.unmasked {
		return append(out, f.payload...)
	}
	var key [4]byte
	rand.Read(key[:])
	out = append(out, key[:]...)
	out = append(out, f.payload...)
	wsframe.Mask(out[len(out)-len(f.payload):], binary.BigEndian.Uint32(key[:]))
	return out
}

// frames concatenates the wire bytes of fs.
func frames(fs ...frame) []byte {
	var b []byte
	for _, f := range fs {
		b = append(b, f.bytes()...)
	}
	return b
}

// serverFrame is a frame read from the server.
type serverFrame struct {
	fin     bool
	rsv     byte
	op      byte
	payload []byte
}

// wsConn is one raw WebSocket connection, past its WebSocket handshake. Its writes are
// serialised, so a goroutine may write a row's frames while another reads and answers pings;
// reads belong to one goroutine.
type wsConn struct {
	*rawConn
	// pongs, when set, answers Engine.IO pings ("2") inside readMsg.
	pongs bool

	wmu sync.Mutex // serialises writes: a row's bytes and the answers to the server's pings
}

// wsDial sends a WebSocket handshake for query with the extra header lines. It returns the
// connection on a 101 with the right Sec-WebSocket-Accept, and the answer either way.
func wsDial(ctx context.Context, base, query string, header ...string) (*wsConn, reply, error) {
	c, err := dialRaw(ctx, base)
	if err != nil {
		return nil, reply{}, err
	}
	var key [16]byte
	rand.Read(key[:])
	k := base64.StdEncoding.EncodeToString(key[:])
	h := append([]string{"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: " + k, "Sec-WebSocket-Version: 13"}, header...)
	if _, err := io.WriteString(c, rawRequest(base, "GET", query, h, "")); err != nil {
		c.Close()
		return nil, reply{}, err
	}
	r, err := c.readReply("GET")
	if err != nil || r.status != http.StatusSwitchingProtocols {
		c.Close()
		return nil, r, err
	}
	if got := r.header.Get("Sec-WebSocket-Accept"); got != wsframe.AcceptKey(k) {
		c.Close()
		return nil, r, fmt.Errorf("handshake: Sec-WebSocket-Accept %q", got)
	}
	return &wsConn{rawConn: c, pongs: true}, r, nil
}

// write writes b whole, serialised with the other writes.
func (w *wsConn) write(b []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_, err := w.Write(b)
	return err
}

// writeChunks writes b in writes of n bytes, serialised with the other writes as one unit.
func (w *wsConn) writeChunks(b []byte, n int) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	for len(b) > 0 {
		k := min(n, len(b))
		if _, err := w.Write(b[:k]); err != nil {
			return err
		}
		b = b[k:]
	}
	return nil
}

// text and binary write one whole data frame.
func (w *wsConn) text(s string) error   { return w.write(text(s).bytes()) }
func (w *wsConn) binary(b []byte) error { return w.write(binaryFrame(b).bytes()) }

// readFrame reads one frame from the server, which must not mask it.
func (w *wsConn) readFrame() (serverFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(w.br, h[:]); err != nil {
		return serverFrame{}, err
	}
	f := serverFrame{fin: h[0]&0x80 != 0, rsv: h[0] & 0x70, op: h[0] & 0x0f}
	if h[1]&0x80 != 0 {
		return f, errors.New("the server masked a frame")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(w.br, b[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(w.br, b[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > maxRead {
		return f, fmt.Errorf("a frame of %d bytes from the server", n)
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(w.br, f.payload); err != nil {
		return f, err
	}
	return f, nil
}

// msg is one thing read from a WebSocket: a text or binary message, a close frame, or the end
// of the connection.
type msg struct {
	op   byte
	data []byte
	code int   // close frames: the status code, 1005 when absent
	err  error // the connection ended (EOF, reset) or the row's deadline passed
}

func (m msg) closed() bool { return m.op == wsframe.OpClose || m.err != nil }

func (m msg) String() string {
	switch {
	case m.op == wsframe.OpClose:
		return "close " + strconv.Itoa(m.code)
	case errors.Is(m.err, io.EOF) || errors.Is(m.err, io.ErrUnexpectedEOF) || errors.Is(m.err, net.ErrClosed) || isReset(m.err):
		return "EOF"
	case m.err != nil:
		if isTimeout(m.err) {
			return "no answer"
		}
		return "error: " + m.err.Error()
	case m.op == wsframe.OpBinary:
		return fmt.Sprintf("binary(%d)", len(m.data))
	}
	return show(string(m.data))
}

// readMsg reads the next message, reassembling fragments, answering WebSocket pings and,
// when w.pongs is set, Engine.IO pings. A close frame is answered with its status code.
func (w *wsConn) readMsg() msg {
	var data []byte
	var op byte
	for {
		f, err := w.readFrame()
		if err != nil {
			return msg{err: err}
		}
		switch f.op {
		case wsframe.OpPing:
			w.write(pong(string(f.payload)).bytes())
			continue
		case wsframe.OpPong:
			continue
		case wsframe.OpClose:
			code := 1005
			if len(f.payload) >= 2 {
				code = int(binary.BigEndian.Uint16(f.payload))
			}
			w.write(frame{fin: true, op: wsframe.OpClose, payload: f.payload[:min(len(f.payload), 2)]}.bytes())
			return msg{op: wsframe.OpClose, code: code}
		case wsframe.OpText, wsframe.OpBinary:
			op = f.op
		}
		data = append(data, f.payload...)
		if !f.fin {
			continue
		}
		if op == wsframe.OpText && w.pongs && string(data) == "2" {
			if err := w.text("3"); err != nil {
				return msg{err: err}
			}
			data = nil
			continue
		}
		return msg{op: op, data: data}
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

// wsConnected opens a WebSocket-only session and connects it to "/": after the open packet
// it sends "40", and reads the CONNECT answer and then the app's "welcome" event, nothing
// else in between but Engine.IO pings, which it answers.
func wsConnected(ctx context.Context, base string) (*wsConn, error) {
	w, err := wsOpen(ctx, base)
	if err != nil {
		return nil, err
	}
	if err := w.text("40"); err != nil {
		w.Close()
		return nil, err
	}
	for _, want := range []string{`40{"sid":`, `42["welcome",`} {
		m := w.readMsg()
		if m.op != wsframe.OpText || !strings.HasPrefix(string(m.data), want) {
			w.Close()
			return nil, fmt.Errorf("after CONNECT, waiting for %q: %v", want, m)
		}
	}
	return w, nil
}

// oversize sends a text message too big for the server while reading its answer: a server
// may refuse the frame from its header and stop reading, so the write must not block the read.
func (w *wsConn) oversize(s string) msg {
	go w.text(s) // ends with an error once the connection closes, at the latest when the row ends
	return w.readMsg()
}

// isReset reports whether err is the connection being reset by its peer, or a write to a
// connection the peer has closed.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// isTimeout reports whether err is a deadline passing.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
