package transport

import (
	"errors"
	"net/http"
	"time"

	"github.com/hubkit/hub/internal/eio"
)

// SSE is hub's addition to Engine.IO, not part of the protocol: a long-lived GET answered as a
// Server-Sent Events stream (`text/event-stream`) carries packets down, one per event, in their
// text form (binary as `b` + base64); packets go up by POST exactly as with [Polling]. The
// handshake's open packet is the first event. A session on SSE upgrades to WebSocket like a
// polling one. Only one stream per session: a second GET gets 400 and closes the session.
type SSE struct{}

// Name returns "sse".
func (SSE) Name() string { return "sse" }

// Upgradable is false: sessions move from SSE, not to it.
func (SSE) Upgradable() bool { return false }

// Accepts takes GET (the stream) and POST (packets up).
func (SSE) Accepts(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodPost
}

// Serve streams the session's packets (GET) or reads an upload (POST).
func (SSE) Serve(w http.ResponseWriter, r *http.Request, s Session) {
	if r.Method == http.MethodPost {
		servePost(w, r, s)
		return
	}
	s.Stream()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // let nginx-like proxies stream
	started := false
	// A client that stops reading holds the stream only this long per batch; between
	// batches the write deadline is lifted (the stream may idle for a ping interval).
	timeout := s.WriteTimeout()
	defer rc.SetWriteDeadline(time.Time{})
	var buf []byte
	var pkts []eio.Packet
	for {
		var err error
		pkts, err = s.Pull(r.Context(), pkts)
		if errors.Is(err, ErrOverlap) && !started {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if err != nil && !errors.Is(err, ErrClosed) {
			s.Fail(err)
			return
		}
		rc.SetWriteDeadline(time.Now().Add(timeout))
		if !started {
			w.WriteHeader(http.StatusOK)
			started = true
		}
		buf = buf[:0]
		released := false
		for _, p := range pkts {
			if p.Type == eio.Noop {
				// The session is moving to another transport: the stream ends here (a noop
				// releases a poll; a stream is released by its end).
				released = true
				continue
			}
			buf = append(buf, "data: "...)
			buf = eio.AppendText(buf, p)
			buf = append(buf, '\n', '\n')
		}
		if len(buf) > 0 {
			if _, werr := w.Write(buf); werr != nil {
				s.Fail(werr)
				return
			}
			if ferr := rc.Flush(); ferr != nil {
				s.Fail(ferr)
				return
			}
		}
		rc.SetWriteDeadline(time.Time{})
		if err != nil || released { // closed or upgrading: the final packets are out
			return
		}
	}
}
