package engine_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/engine"
)

// probeGate holds the server's write of the probe's answer (3probe) until the test opens it.
type probeGate struct {
	entered chan struct{} // closed when the server starts writing 3probe
	open    chan struct{} // closed by openGate: the write goes on
	once    sync.Once     // closes entered
	opened  sync.Once     // closes open
}

func (g *probeGate) openGate() { g.opened.Do(func() { close(g.open) }) }

// gatedConn is a server connection whose writes of 3probe wait for its gate. It hides the
// socket (as a TLS connection does), so that every write goes through it.
type gatedConn struct {
	net.Conn
	g *probeGate
}

func (c gatedConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("3probe")) {
		c.g.once.Do(func() { close(c.g.entered) })
		<-c.g.open
	}
	return c.Conn.Write(p)
}

func (c gatedConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

type gatedListener struct {
	net.Listener
	g *probeGate
}

func (l gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return gatedConn{c, l.g}, nil
}

// The poll parked on the old transport is released with its noop only once the probe's
// answer (3probe) is written, never before: a client that got the noop first would poll again
// before it paused for the upgrade, and that poll, sent before the client had 3probe, would
// hold the upgrade up. While the answer is being written, what the session sends waits for
// the new transport. (Before, the probe released the parked poll, then wrote 3probe.)
func TestUpgradeNoopAfterProbeAnswer(t *testing.T) {
	t.Parallel()
	e := &echo{}
	srv := engine.NewServer(e, &engine.Options{PingInterval: time.Hour})
	ts := httptest.NewUnstartedServer(srv)
	g := &probeGate{entered: make(chan struct{}), open: make(chan struct{})}
	ts.Listener = gatedListener{ts.Listener, g}
	ts.Start()
	t.Cleanup(func() {
		g.openGate()
		srv.Close()
		ts.Close()
	})
	o := handshake(t, ts.URL)
	parked := make(chan string, 1)
	go func() {
		res, err := http.Get(ts.URL + "/?EIO=4&transport=polling&sid=" + o.SID)
		if err != nil {
			parked <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		parked <- string(b)
	}()
	s := e.last()
	waitFor(t, "the poll to park", s.Parked)

	c := dialWS(t, ts.URL, "&sid="+o.SID)
	write(t, c, "2probe")
	select {
	case <-g.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not answer the probe")
	}
	if err := s.Send(engine.Packet{Type: engine.Message, Data: []byte("meanwhile")}); err != nil {
		t.Fatal(err)
	}
	// Nothing can say that the poll will not be answered: give it the time it would take.
	select {
	case body := <-parked:
		t.Fatalf("the parked poll was answered (%q) before 3probe was written", body)
	case <-time.After(200 * time.Millisecond):
	}
	g.openGate()
	if got := read(t, c); got != "3probe" {
		t.Fatalf("got %q; want 3probe", got)
	}
	if got := <-parked; got != "6" {
		t.Fatalf("parked poll: got %q; want 6 (noop)", got)
	}
	write(t, c, "5")
	if got := read(t, c); got != "4meanwhile" {
		t.Fatalf("after the upgrade: got %q; want 4meanwhile", got)
	}
}
