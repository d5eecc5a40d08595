package transport

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hubkit/hub/internal/eio"
)

// Polling is HTTP long-polling: a GET waits for packets and returns them `\x1e`-joined; a POST
// carries packets up the same way. Binary travels as `b` + base64.
type Polling struct{}

// Name returns "polling".
func (Polling) Name() string { return "polling" }

// Upgradable is false: sessions move from polling, not to it.
func (Polling) Upgradable() bool { return false }

// Accepts takes GET and POST.
func (Polling) Accepts(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodPost
}

// Serve answers a poll (GET) or an upload (POST).
func (Polling) Serve(w http.ResponseWriter, r *http.Request, s Session) {
	if r.Method == http.MethodPost {
		servePost(w, r, s)
		return
	}
	pkts, err := s.Pull(r.Context(), nil)
	switch {
	case errors.Is(err, ErrOverlap):
		w.WriteHeader(http.StatusBadRequest)
		return
	case err != nil && !errors.Is(err, ErrClosed):
		// The client went away while the poll was parked: Node's "poll connection closed
		// prematurely", a transport error.
		s.Fail(err)
		return
	}
	if len(pkts) == 0 { // closed with nothing left to say
		pkts = []eio.Packet{{Type: eio.Close}}
	}
	body := eio.AppendPayload(make([]byte, 0, payloadSize(pkts)), pkts)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	rc := http.NewResponseController(w)
	// A client that does not read its answer holds the request only this long. Errors are
	// ignored here and below: a ResponseWriter without deadlines (a test recorder) works
	// without them.
	deadline := rc.SetWriteDeadline(time.Now().Add(s.WriteTimeout())) == nil
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	if deadline && rc.Flush() == nil {
		// Written: the next request on the connection may be another handler's.
		rc.SetWriteDeadline(time.Time{})
	}
}

func payloadSize(pkts []eio.Packet) int {
	n := 0
	for _, p := range pkts {
		n += 2 + len(p.Data)
		if p.Binary {
			n += len(p.Data)/3 + 3
		}
	}
	return n
}

// servePost reads a `\x1e`-joined payload, at most MaxPayload bytes, and hands its packets to
// the session before answering "ok". Polling and SSE share it.
func servePost(w http.ResponseWriter, r *http.Request, s Session) {
	end, err := s.BeginReceive()
	if err != nil {
		// Answered at once: net/http would first read what is left of the body.
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	defer end()
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/octet-stream") {
		// An Engine.IO v3 binary payload: v4 rejects it and closes the session.
		s.Fail(errors.New("engine.io: octet-stream payload (Engine.IO v3) is not supported"))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	limit := s.MaxPayload()
	// A body that trickles in, or never ends (a slowloris), holds the request only as long
	// as a write may take: what a heartbeat allows.
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(s.WriteTimeout())) == nil
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if deadline {
		rc.SetReadDeadline(time.Time{})
	}
	if err != nil {
		// The body stopped coming (a deadline, the client gone, or cut by a second upload):
		// the request is dropped without an answer, as Node destroys it.
		s.Fail(err)
		drop(w)
		return
	}
	if int64(len(body)) > limit {
		// Node (engine.io 6.6) answers 413 and keeps the session: the official client reports
		// a transport error and closes it itself.
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	pkts, derr := eio.DecodePayload(body)
	if err := s.Receive(pkts...); err == nil && derr != nil {
		s.Fail(derr) // Node stops at the first bad packet: "parse error"
	}
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "ok")
}

// drop ends a request without an answer: its connection is closed (a 400 where the
// ResponseWriter cannot be hijacked).
func drop(w http.ResponseWriter) {
	if nc, _, err := http.NewResponseController(w).Hijack(); err == nil {
		nc.Close()
		return
	}
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusBadRequest)
}
