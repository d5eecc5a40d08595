// Package ws is hub's WebSocket server (RFC 6455), end to end: the opening handshake
// ([Upgrade]), the frame reader (limits, UTF-8, control frames), the writer, the close
// handshake, the idle poller that lets an idle connection keep no goroutine (Linux), the
// flushers that write for every connection with a plain socket, and the buffer pools. It
// knows nothing of Engine.IO: the transport package binds a [Session] to it.
package ws

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hubkit/hub/internal/wsframe"
)

// HandshakeError is a refused opening handshake: Upgrade has answered it with Status.
type HandshakeError struct {
	Status int
	Reason string
}

func (e *HandshakeError) Error() string { return "websocket: bad handshake: " + e.Reason }

// handshakeTimeout bounds the write of the 101 response.
const handshakeTimeout = 10 * time.Second

// Upgrade runs the server's side of the opening handshake (RFC 6455 §4.2) for r: it checks the
// request (GET, Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Version 13 — 426 with
// the version supported otherwise —, a Sec-WebSocket-Key of 16 bytes in base64), takes the
// connection from net/http, and writes the 101 response with Sec-WebSocket-Accept and the
// headers already set on w (a cookie). No extension and no subprotocol is negotiated. It
// returns the connection, now the caller's, and the bytes the client sent behind its request
// that net/http had already read. A refused request is answered, and the error is a
// *HandshakeError; after a failed hijack or write the error is that of net/http or the
// connection, and the connection is closed.
//
// Upgrade blocks for as long as the 101 response takes to write (10s at most). It may be called
// from any number of handlers at once.
func Upgrade(w http.ResponseWriter, r *http.Request) (net.Conn, []byte, error) {
	if err := check(w, r); err != nil {
		refuse(w, err)
		return nil, nil, err
	}
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		refuse(w, &HandshakeError{http.StatusInternalServerError, "the connection cannot be taken over"})
		return nil, nil, err
	}
	var pending []byte
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		pending = bytes.Clone(b)
	}
	h := w.Header()
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Accept", wsframe.AcceptKey(r.Header.Get("Sec-WebSocket-Key")))
	bw := bufio.NewWriterSize(nc, 256)
	bw.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	h.Write(bw)
	bw.WriteString("\r\n")
	nc.SetWriteDeadline(time.Now().Add(handshakeTimeout))
	err = bw.Flush()
	nc.SetWriteDeadline(time.Time{})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, pending, nil
}

// check validates the handshake request.
func check(w http.ResponseWriter, r *http.Request) *HandshakeError {
	switch {
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", http.MethodGet)
		return &HandshakeError{http.StatusMethodNotAllowed, "the method must be GET"}
	case !hasToken(r.Header, "Connection", "upgrade"):
		return &HandshakeError{http.StatusBadRequest, "the Connection header must name upgrade"}
	case !hasToken(r.Header, "Upgrade", "websocket"):
		return &HandshakeError{http.StatusBadRequest, "the Upgrade header must be websocket"}
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		w.Header().Set("Sec-WebSocket-Version", "13")
		return &HandshakeError{http.StatusUpgradeRequired, "the Sec-WebSocket-Version header must be 13"}
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return &HandshakeError{http.StatusBadRequest, "one Sec-WebSocket-Key header is needed"}
	}
	if k, err := base64.StdEncoding.DecodeString(keys[0]); err != nil || len(k) != 16 {
		return &HandshakeError{http.StatusBadRequest, "the Sec-WebSocket-Key header must be 16 bytes in base64"}
	}
	return nil
}

// refuse answers a refused handshake.
func refuse(w http.ResponseWriter, err *HandshakeError) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Connection", "close")
	w.WriteHeader(err.Status)
	w.Write([]byte(err.Reason + "\n"))
}

// hasToken reports whether a comma-separated header names token (case-insensitively).
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// Reject completes the opening handshake and closes the connection at once with a close frame
// without a status (ws's close()): what Node answers a WebSocket it will not serve after its
// handshake. It half-closes, then waits closeLinger at most for the client's end; it returns
// once the connection is closed.
func Reject(w http.ResponseWriter, r *http.Request) {
	nc, _, err := Upgrade(w, r)
	if err != nil {
		return // answered
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(closeLinger))
	if _, err := nc.Write([]byte{0x80 | wsframe.OpClose, 0}); err != nil {
		return
	}
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	var b [512]byte
	for total := 0; total < lingerMax; {
		n, err := nc.Read(b[:])
		total += n
		if err != nil {
			return
		}
	}
}
