package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubkit/hub/internal/eio"
)

// This file is the Engine.IO v4 client: one session over one transport at a time, with the
// upgrade from polling or SSE to WebSocket, the heartbeat watchdog and the bounded send queue.
//
// Goroutines of one engine session, all owned by it and counted in wg:
//   - a read loop per transport (one at a time delivers: the WebSocket read loop starts
//     delivering only after the old transport's read loop has ended);
//   - the write loop, the only writer once the session is open;
//   - the upgrade goroutine (probe, pause, switch), which becomes the WebSocket read loop.
// The heartbeat watchdog is a time.AfterFunc timer, stopped on close.

// Transport names, as in the Engine.IO query and Options.Transports.
const (
	TransportPolling   = "polling"
	TransportWebSocket = "websocket"
	TransportSSE       = "sse"
)

const (
	// upgradeTimeout bounds the probe exchange and the wait for an old transport to finish.
	upgradeTimeout = 10 * time.Second
	// closeTimeout bounds how long a client close waits for queued packets to be written.
	closeTimeout = 2 * time.Second
)

// The reasons an engine session ends (the words of engine.io-client).
const (
	reasonForcedClose DisconnectReason = "forced close" // the client closed the session
)

// engineConfig is what a Manager hands each engine session.
type engineConfig struct {
	base       *url.URL // http(s) URL of the engine path, with the user's query
	transports []string
	upgrade    bool
	header     http.Header
	client     *http.Client
	queueSize  int
	maxMessage int64 // Options.MaxMessageSize, set
	logger     *slog.Logger
	afterProbe func() // tests only: see Options.afterProbe
}

// handshake is the open packet's data.
type handshake struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int64    `json:"pingInterval"`
	PingTimeout  int64    `json:"pingTimeout"`
	MaxPayload   int64    `json:"maxPayload"`
}

// transport carries one engine session's packets.
type transport interface {
	name() string
	// read delivers packets in order until the transport ends, ctx is done or deliver
	// returns false. A polling transport also returns errPaused once paused.
	read(ctx context.Context, deliver func(eio.Packet) bool) error
	// write sends packets in order and returns once they are written.
	write(ctx context.Context, pkts []eio.Packet) error
	// pause asks read to stop at the next request boundary before an upgrade (polling; the
	// server ends an SSE stream itself when the probe succeeds).
	pause()
	// closeGracefully tells the server the session is over (close packet or close frame).
	closeGracefully(ctx context.Context) error
	// close releases the transport at once.
	close()
}

// errPaused is returned by a polling read loop that stopped for an upgrade.
var errPaused = errors.New("client: transport paused")

// engine is one Engine.IO client session.
type engine struct {
	cfg          *engineConfig
	sid          string
	pingInterval time.Duration
	pingTimeout  time.Duration
	maxPayload   int
	onMessage    func(*engine, eio.Packet) // called by the delivering read loop, one call at a time

	ctx    context.Context // cancelled when the session ends: aborts every request
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed chan struct{} // closed when the session has ended (goroutines may still be exiting)

	writeMu sync.Mutex // held by the write loop while writing, and by an upgrade while switching

	mu         sync.Mutex
	tr         transport        // guarded by mu: the transport writes go to
	queue      []eio.Packet     // guarded by mu: packets waiting for the write loop
	probing    bool             // guarded by mu: a WebSocket probe is in flight
	upgrading  bool             // guarded by mu: writes are paused for an upgrade
	readDone   chan struct{}    // closed when the first transport's read loop has ended
	closing    bool             // guarded by mu: a client close waits for the queue to drain
	ended      bool             // guarded by mu
	reason     DisconnectReason // guarded by mu: why the session ended
	err        error            // guarded by mu
	probes     []transport      // guarded by mu: transports being probed, closed on end
	wake       chan struct{}    // cap 1: the write loop has work
	watchdog   *time.Timer
	closeTimer *time.Timer // guarded by mu: bounds a client close
	closeOnce  sync.Once
}

// dialEngine opens an Engine.IO session with the first configured transport. ctx bounds the
// handshake only. onMessage receives message packets once the session runs.
func dialEngine(ctx context.Context, cfg *engineConfig, onMessage func(*engine, eio.Packet)) (*engine, error) {
	e := &engine{
		cfg:       cfg,
		onMessage: onMessage,
		closed:    make(chan struct{}),
		wake:      make(chan struct{}, 1),
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	var (
		tr      transport
		hs      handshake
		initial []eio.Packet
		err     error
	)
	switch name := cfg.transports[0]; name {
	case TransportWebSocket:
		tr, hs, err = e.handshakeWebSocket(ctx)
	case TransportPolling:
		tr, hs, initial, err = e.handshakePolling(ctx)
	case TransportSSE:
		tr, hs, err = e.handshakeSSE(ctx)
	default:
		err = fmt.Errorf("client: unknown transport %q", name)
	}
	if err != nil {
		e.cancel()
		return nil, err
	}
	e.sid = hs.SID
	e.pingInterval = time.Duration(hs.PingInterval) * time.Millisecond
	e.pingTimeout = time.Duration(hs.PingTimeout) * time.Millisecond
	e.maxPayload = int(hs.MaxPayload)
	e.tr = tr
	e.watchdog = time.AfterFunc(e.heartbeatWindow(), func() { e.end("ping timeout", nil) })

	e.readDone = make(chan struct{})
	e.wg.Add(2)
	go e.writeLoop()
	go func() {
		defer e.wg.Done()
		defer close(e.readDone)
		for _, p := range initial {
			if !e.deliver(p) {
				return
			}
		}
		e.readLoop(tr)
	}()
	if cfg.upgrade && tr.name() != TransportWebSocket &&
		slices.Contains(hs.Upgrades, TransportWebSocket) && slices.Contains(cfg.transports, TransportWebSocket) {
		e.wg.Add(1)
		go e.upgradeLoop()
	}
	return e, nil
}

// heartbeatWindow is how long the client waits for a ping before it gives up on the server.
func (e *engine) heartbeatWindow() time.Duration {
	d := e.pingInterval + e.pingTimeout
	if d <= 0 {
		d = 45 * time.Second
	}
	return d
}

// parseOpen decodes an open packet.
func parseOpen(p eio.Packet) (handshake, error) {
	var hs handshake
	if p.Type != eio.Open || p.Binary {
		return hs, fmt.Errorf("client: handshake: expected an open packet, got %q", eio.AppendText(nil, p))
	}
	if err := json.Unmarshal(p.Data, &hs); err != nil {
		return hs, fmt.Errorf("client: handshake: bad open packet: %w", err)
	}
	if hs.SID == "" {
		return hs, errors.New("client: handshake: open packet without sid")
	}
	return hs, nil
}

// url returns the engine URL for a transport, with the session id once there is one.
func (e *engine) url(transportName, sid string) *url.URL {
	u := *e.cfg.base
	q := u.Query()
	q.Set("EIO", "4")
	q.Set("transport", transportName)
	if sid != "" {
		q.Set("sid", sid)
	}
	if transportName != TransportWebSocket {
		q.Set("t", cacheBuster())
	}
	u.RawQuery = q.Encode()
	return &u
}

var cacheCounter atomic.Uint64

// cacheBuster is the t= value that defeats HTTP caches, unique per request.
func cacheBuster() string {
	return strconv.FormatUint(uint64(time.Now().UnixNano())+cacheCounter.Add(1), 36)
}

// readLoop runs one transport's read loop and ends the session when it fails, unless the
// transport has been replaced or paused by an upgrade.
func (e *engine) readLoop(tr transport) {
	err := tr.read(e.ctx, e.deliver)
	e.mu.Lock()
	// A paused poll, or a stream the server ended for the upgrade, is not the end.
	quiet := e.tr != tr || errors.Is(err, errPaused) || (err == nil && (e.probing || e.upgrading))
	closing := e.closing
	e.mu.Unlock()
	if quiet || e.ctx.Err() != nil {
		return
	}
	if closing {
		// The server ending the transport is its answer to our close.
		e.end(reasonForcedClose, nil)
		return
	}
	var te *transportError
	if errors.As(err, &te) {
		e.end(te.reason, te.err)
		return
	}
	if err == nil {
		e.end("transport close", nil)
		return
	}
	e.end("transport error", err)
}

// transportError carries the close reason a transport failure maps to.
type transportError struct {
	reason DisconnectReason
	err    error
}

func (te *transportError) Error() string {
	if te.err == nil {
		return "client: " + string(te.reason)
	}
	return "client: " + string(te.reason) + ": " + te.err.Error()
}

func (te *transportError) Unwrap() error { return te.err }

// deliver handles one received packet; it returns false once the session has ended.
func (e *engine) deliver(p eio.Packet) bool {
	if e.ctx.Err() != nil {
		return false
	}
	switch p.Type {
	case eio.Ping:
		e.mu.Lock()
		if !e.ended { // a timer re-armed after end would fire after Close
			e.watchdog.Reset(e.heartbeatWindow())
		}
		e.mu.Unlock()
		e.sendControl(eio.Packet{Type: eio.Pong, Data: p.Data})
	case eio.Close:
		e.mu.Lock()
		reason := ReasonTransportClose
		if e.closing {
			reason = reasonForcedClose
		}
		e.mu.Unlock()
		e.end(reason, nil)
		return false
	case eio.Message:
		e.onMessage(e, p)
	}
	return e.ctx.Err() == nil
}

// send queues packets for the write loop without blocking. It fails with ErrQueueFull when
// the queue holds its bound already (unless force), and errEngineClosed once the session is
// closing.
func (e *engine) send(force bool, pkts ...eio.Packet) error {
	e.mu.Lock()
	if e.ended || e.closing {
		e.mu.Unlock()
		return errEngineClosed
	}
	if !force && len(e.queue)+len(pkts) > e.cfg.queueSize {
		e.mu.Unlock()
		return ErrQueueFull
	}
	e.queue = append(e.queue, pkts...)
	e.mu.Unlock()
	e.kick()
	return nil
}

// sendVolatile queues packets only if nothing waits before them and no upgrade holds the
// writes; it reports whether they were queued.
func (e *engine) sendVolatile(pkts ...eio.Packet) bool {
	e.mu.Lock()
	if e.ended || e.closing || e.upgrading || len(e.queue) > 0 {
		e.mu.Unlock()
		return false
	}
	e.queue = append(e.queue, pkts...)
	e.mu.Unlock()
	e.kick()
	return true
}

// errEngineClosed is returned by send once the session is over; callers buffer instead.
var errEngineClosed = errors.New("client: engine session closed")

// sendControl queues an Engine.IO control packet (pong), ignoring the bound, ahead of the
// queued messages, so that a long queue does not make the server time the session out. It
// goes after the attachments at the head of the queue, whose header has been written.
func (e *engine) sendControl(p eio.Packet) {
	e.mu.Lock()
	if !e.ended {
		i := 0
		for i < len(e.queue) && e.queue[i].Binary {
			i++
		}
		e.queue = slices.Insert(e.queue, i, p)
	}
	e.mu.Unlock()
	e.kick()
}

func (e *engine) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// writeLoop writes queued packets on the current transport, one batch at a time.
func (e *engine) writeLoop() {
	defer e.wg.Done()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.wake:
		}
		for {
			e.writeMu.Lock()
			e.mu.Lock()
			if e.ended {
				e.mu.Unlock()
				e.writeMu.Unlock()
				return
			}
			if e.upgrading || len(e.queue) == 0 {
				closeNow := e.closing && !e.upgrading && len(e.queue) == 0
				tr := e.tr
				e.mu.Unlock()
				if closeNow {
					ctx, cancel := context.WithTimeout(e.ctx, closeTimeout)
					tr.closeGracefully(ctx)
					cancel()
					e.writeMu.Unlock()
					e.end(reasonForcedClose, nil)
					return
				}
				e.writeMu.Unlock()
				break
			}
			tr := e.tr
			batch := e.takeBatch(tr)
			e.mu.Unlock()
			err := tr.write(e.ctx, batch)
			e.writeMu.Unlock()
			if err != nil {
				if e.ctx.Err() == nil {
					var te *transportError
					if errors.As(err, &te) {
						e.end(te.reason, te.err)
					} else {
						e.end("transport error", err)
					}
				}
				return
			}
		}
	}
}

// takeBatch removes the next batch from the queue; the caller holds mu. Like
// engine.io-client, a polling POST carries packets while their estimated size stays within
// the server's maxPayload, and always at least one.
func (e *engine) takeBatch(tr transport) []eio.Packet {
	n := len(e.queue)
	if tr.name() != TransportWebSocket && e.maxPayload > 0 && n > 1 {
		size := 1
		for i, p := range e.queue {
			if p.Binary {
				size += 1 + (len(p.Data)+2)/3*4
			} else {
				size += len(p.Data)
			}
			if i > 0 && size > e.maxPayload {
				n = i
				break
			}
			size += 2
		}
	}
	batch := slices.Clone(e.queue[:n])
	e.queue = slices.Delete(e.queue, 0, n)
	if len(e.queue) == 0 {
		e.queue = nil
	} else {
		e.kick()
	}
	return batch
}

// upgradeLoop probes a WebSocket for the session, moves the session onto it and then runs
// its read loop. A failed probe leaves the session on its transport.
func (e *engine) upgradeLoop() {
	defer e.wg.Done()
	ws, err := e.probeWebSocket()
	if err != nil {
		if e.ctx.Err() != nil {
			return
		}
		e.cfg.logger.Debug("client: upgrade failed", "err", err)
		select {
		case <-e.readDone:
			// The server already let go of the old transport (an SSE stream ends when
			// the probe succeeds): the session cannot go on.
			e.end("transport error", err)
		default:
		}
		return
	}
	if e.cfg.afterProbe != nil {
		e.cfg.afterProbe()
	}
	e.mu.Lock()
	old := e.tr
	e.mu.Unlock()

	// Pause: wait for the write in flight, then for the old transport's read loop, which
	// ends with the poll in flight (answered with a noop by now) or when the server ends
	// the stream. Whatever it carried is delivered before anything from the WebSocket.
	e.writeMu.Lock()
	old.pause()
	t := time.NewTimer(upgradeTimeout)
	select {
	case <-e.readDone:
	case <-t.C:
		old.close()
		e.writeMu.Unlock()
		t.Stop()
		e.end("transport error", errors.New("client: upgrade: the old transport did not pause"))
		return
	case <-e.ctx.Done():
	}
	t.Stop()
	if e.ctx.Err() != nil {
		e.writeMu.Unlock()
		return
	}
	if err := ws.write(e.ctx, []eio.Packet{{Type: eio.Upgrade}}); err != nil {
		e.writeMu.Unlock()
		e.end("transport error", err)
		return
	}
	e.mu.Lock()
	e.tr = ws
	e.upgrading = false
	e.probes = slices.DeleteFunc(e.probes, func(t transport) bool { return t == ws })
	e.mu.Unlock()
	e.writeMu.Unlock()
	old.close()
	e.kick()
	e.cfg.logger.Debug("client: upgraded", "from", old.name(), "to", ws.name())
	e.readLoop(ws)
}

// end ends the session (once): it records why, stops the heartbeat, aborts every request
// and closes the transports. It does not wait for the goroutines; see wait.
func (e *engine) end(reason DisconnectReason, err error) {
	e.mu.Lock()
	if e.ended {
		e.mu.Unlock()
		return
	}
	e.ended = true
	e.reason, e.err = reason, err
	if e.closeTimer != nil {
		e.closeTimer.Stop()
	}
	tr, probes := e.tr, e.probes
	e.probes = nil
	e.queue = nil
	e.mu.Unlock()
	if e.watchdog != nil {
		e.watchdog.Stop()
	}
	e.cancel()
	if tr != nil {
		tr.close()
	}
	for _, p := range probes {
		p.close()
	}
	close(e.closed)
}

// close closes the session from the client side: queued packets are written first (for at
// most closeTimeout), then the server is told. It does not wait; see wait.
func (e *engine) close() {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		if e.ended {
			e.mu.Unlock()
			return
		}
		e.closing = true
		// The write loop ends the session once the queue is written; this bounds the wait.
		e.closeTimer = time.AfterFunc(closeTimeout+time.Second, func() { e.end(reasonForcedClose, nil) })
		e.mu.Unlock()
		e.kick()
	})
}

// wait returns once the session has ended and all its goroutines have exited, with the
// reason it ended.
func (e *engine) wait() (DisconnectReason, error) {
	<-e.closed
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reason, e.err
}
