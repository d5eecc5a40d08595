package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/socketio"
)

// oneSocket serves opts, dials a client into "/" and returns it with its server-side socket,
// after setup has run on the socket in its connection handler (before any event).
func oneSocket(t *testing.T, opts *hub.Options, setup func(s *hub.Socket)) (*hub.Server, *wsClient, *hub.Socket) {
	t.Helper()
	srv, url := newServer(t, opts)
	sockets := make(chan *hub.Socket, 1)
	srv.OnConnection(func(s *hub.Socket) {
		if setup != nil {
			setup(s)
		}
		sockets <- s
	})
	c := dial(t, url, "")
	c.connect("/", "")
	return srv, c, recv(t, sockets)
}

// Packet middleware stops an event: no later middleware, no handler, no acknowledgement;
// the socket's error listener gets the middleware's error. The OnAny listeners saw the
// event first, as in Node. Events it lets through go on.
func TestUseRefusesEvent(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var trail []string
	note := func(s string) { mu.Lock(); trail = append(trail, s); mu.Unlock() }
	errs := make(chan error, 4)
	refusal := errors.New("unauthorized event")
	_, c, _ := oneSocket(t, nil, func(s *hub.Socket) {
		s.OnAny(func(event string, _ hub.Args) { note("any " + event) })
		s.Use(func(ev *hub.Event) error {
			note("mw1 " + ev.Name)
			if ev.Name == "secret" {
				return refusal
			}
			return nil
		})
		s.Use(func(ev *hub.Event) error { note("mw2 " + ev.Name); return nil })
		s.OnError(func(err error) { errs <- err })
		s.On("secret", func(ack hub.Ack) { note("handler secret"); ack("leak") })
		s.On("ok", func(ack hub.Ack) { note("handler ok"); ack("fine") })
	})
	c.send(`421["secret"]`)
	if err := recv(t, errs); err != refusal {
		t.Errorf("error listener: got %v; want the middleware's error itself", err)
	}
	c.send(`422["ok"]`)
	c.expect(`432["fine"]`) // and nothing for ack 1 before it
	mu.Lock()
	equal(t, "trail", trail, []string{"any secret", "mw1 secret", "any ok", "mw1 ok", "mw2 ok", "handler ok"})
	mu.Unlock()
}

// Without an error listener, a refusal goes to Options.OnError, wrapping ErrEventRefused.
func TestUseRefusalToOnError(t *testing.T) {
	t.Parallel()
	type report struct {
		event string
		err   error
	}
	reports := make(chan report, 2)
	refusal := errors.New("nope")
	_, c, s := oneSocket(t, &hub.Options{OnError: func(_ *hub.Socket, event string, err error) {
		reports <- report{event, err}
	}}, func(s *hub.Socket) {
		s.Use(func(*hub.Event) error { return refusal })
	})
	c.send(`42["x",1]`)
	r := recv(t, reports)
	equal(t, "event", r.event, "x")
	errorIs(t, r.err, hub.ErrEventRefused)
	errorIs(t, r.err, refusal)
	// An error listener added later takes the refusals instead.
	errs := make(chan error, 1)
	s.OnError(func(err error) { errs <- err })
	c.send(`42["x",2]`)
	equal(t, "listener", recv(t, errs), refusal)
	select {
	case r := <-reports:
		t.Errorf("OnError also got %v", r.err)
	default:
	}
}

// A panicking middleware is logged and refuses the event; the connection stays, and the
// middleware after it does not run.
func TestUsePanicRefuses(t *testing.T) {
	t.Parallel()
	logs := make(logRecorder, 16)
	errs := make(chan error, 2)
	var after atomic.Int32
	_, c, _ := oneSocket(t, &hub.Options{Logger: slog.New(logs)}, func(s *hub.Socket) {
		s.Use(func(ev *hub.Event) error {
			if ev.Name == "boom" {
				panic("kaboom")
			}
			return nil
		})
		s.Use(func(ev *hub.Event) error { after.Add(1); return nil })
		s.OnError(func(err error) { errs <- err })
		s.On("ping", func(ack hub.Ack) { ack("pong") })
	})
	c.send(`421["boom"]`)
	err := recv(t, errs)
	if err == nil || !strings.Contains(err.Error(), "kaboom") {
		t.Errorf("error: got %v; want one naming the panic", err)
	}
	waitLog(t, logs, "hub: panic in packet middleware")
	c.send(`422["ping"]`)
	c.expect(`432["pong"]`)
	equal(t, "later middleware runs", after.Load(), int32(1)) // for ping only
}

func waitLog(t *testing.T, logs logRecorder, want string) {
	t.Helper()
	for {
		if msg := recv(t, logs); msg == want {
			return
		}
	}
}

// Middleware may rename the event, replace its arguments and wrap its ack; the later
// middleware and the handlers see the changes.
func TestUseChangesEvent(t *testing.T) {
	t.Parallel()
	seen := make(chan string, 2)
	_, c, _ := oneSocket(t, nil, func(s *hub.Socket) {
		s.Use(func(ev *hub.Event) error {
			if ev.Name != "old" {
				return nil
			}
			args, err := socketio.NewArgs([]byte(`["rewritten",2]`), nil)
			if err != nil {
				return err
			}
			ev.Name, ev.Args = "new", args
			ack := ev.Ack
			ev.Ack = func(vals ...any) error { return ack(append([]any{"wrapped"}, vals...)...) }
			return nil
		})
		s.Use(func(ev *hub.Event) error { seen <- ev.Name + " " + ev.Args.String(); return nil })
		s.On("old", func() { t.Error("the old name's handler ran") })
		s.On("new", func(a string, n int, ack hub.Ack) { ack(a, n) })
	})
	c.send(`427["old","x"]`)
	c.expect(`437["wrapped","rewritten",2]`)
	equal(t, "second middleware", recv(t, seen), `new ["rewritten",2]`)
}

// The func Use returns removes that middleware.
func TestUseRemove(t *testing.T) {
	t.Parallel()
	var remove func()
	_, c, _ := oneSocket(t, nil, func(s *hub.Socket) {
		remove = s.Use(func(*hub.Event) error { return errors.New("closed") })
		s.On("ping", func(ack hub.Ack) { ack("pong") })
	})
	remove()
	remove() // again: nothing
	c.send(`421["ping"]`)
	c.expect(`431["pong"]`)
}

// PrependAny listeners run before those already there; the returned funcs remove one,
// OffAny all; ListenersAny lists them in running order.
func TestAnyListenerOrderAndRemoval(t *testing.T) {
	t.Parallel()
	got := make(chan string, 32)
	done := make(chan struct{}, 8)
	mark := func(name string) func(string, hub.Args) {
		return func(event string, _ hub.Args) { got <- name + ":" + event }
	}
	_, c, s := oneSocket(t, nil, func(s *hub.Socket) {
		s.On("e", func() { done <- struct{}{} })
	})
	removeA := s.OnAny(mark("a"))
	s.PrependAny(mark("b"))
	s.OnAny(mark("c"))
	s.PrependAny(mark("d"))
	equal(t, "listeners", len(s.ListenersAny()), 4)
	drain := func() []string {
		recv(t, done)
		var out []string
		for len(got) > 0 {
			out = append(out, <-got)
		}
		return out
	}
	c.send(`42["e"]`)
	equal(t, "order", drain(), []string{"d:e", "b:e", "a:e", "c:e"})
	removeA()
	removeA()
	c.send(`42["e"]`)
	equal(t, "after removing a", drain(), []string{"d:e", "b:e", "c:e"})
	ls := s.ListenersAny()
	equal(t, "listeners", len(ls), 3)
	ls[0]("direct", hub.Args{}) // the funcs listed are the listeners
	equal(t, "first listener", <-got, "d:direct")
	s.OffAny()
	c.send(`42["e"]`)
	equal(t, "after OffAny", drain(), []string(nil))
	equal(t, "listeners", len(s.ListenersAny()), 0)
}

// A handler removed, by its func or by Off, while its event is dispatched still runs for
// that event (as with Node's EventEmitter) and not for the next.
func TestRemoveDuringDispatch(t *testing.T) {
	t.Parallel()
	calls := make(chan string, 16)
	done := make(chan struct{}, 4)
	_, c, _ := oneSocket(t, nil, func(s *hub.Socket) {
		var removeSecond func()
		s.On("e", func() {
			calls <- "first"
			removeSecond()
			s.Off("other")
		})
		removeSecond = s.On("e", func() { calls <- "second" })
		s.On("e", func() { calls <- "third" })
		s.On("other", func() { calls <- "other" })
		s.On("end", func() { done <- struct{}{} })
	})
	c.send(`42["e"]`)
	c.send(`42["e"]`)
	c.send(`42["other"]`)
	c.send(`42["end"]`)
	recv(t, done)
	var got []string
	for len(calls) > 0 {
		got = append(got, <-calls)
	}
	equal(t, "calls", got, []string{"first", "second", "third", "first", "third"})
}

// Once runs at most once, also with events arriving while Once handlers are registered from
// other goroutines; one registered before the events runs exactly once; an event refused by
// middleware does not count; the returned func removes it unfired.
func TestOnce(t *testing.T) {
	t.Parallel()
	const events = 100
	var first, removed atomic.Int32
	var late [20]atomic.Int32
	handled := make(chan struct{}, events)
	_, c, s := oneSocket(t, nil, func(s *hub.Socket) {
		refused := false
		s.Use(func(ev *hub.Event) error {
			if !refused {
				refused = true
				return errors.New("not the first")
			}
			return nil
		})
		s.OnError(func(error) {})
		s.Once("e", func(n int) {
			if n != 1 {
				t.Errorf("once ran for event %d; want 1 (0 was refused)", n)
			}
			first.Add(1)
		})
		remove := s.Once("e", func() { removed.Add(1) })
		remove()
		s.On("e", func() { handled <- struct{}{} })
	})
	var wg sync.WaitGroup
	for i := range late {
		wg.Go(func() { s.Once("e", func() { late[i].Add(1) }) })
	}
	for i := range events {
		c.send(fmt.Sprintf(`42["e",%d]`, i))
	}
	wg.Wait()
	for range events - 1 {
		recv(t, handled)
	}
	equal(t, "first once", first.Load(), int32(1))
	equal(t, "removed once", removed.Load(), int32(0))
	for i := range late {
		if n := late[i].Load(); n > 1 {
			t.Errorf("late once %d ran %d times", i, n)
		}
	}
}

// Outgoing listeners see the events sent to the socket — by Emit, EmitVolatile, EmitWithAck,
// and broadcasts with and without acks — in sending order, with their arguments, binary
// included; not the answers to the client's acks nor what is sent to other sockets.
func TestOutgoingListeners(t *testing.T) {
	t.Parallel()
	seen := make(chan string, 32)
	srv, c, s := oneSocket(t, nil, func(s *hub.Socket) {
		s.On("ask", func(ack hub.Ack) { ack("answer") })
	})
	s.OnAnyOutgoing(func(event string, args hub.Args) {
		var bin []byte
		if args.Len() > 1 && args.Decode(1, &bin) == nil && bin != nil {
			seen <- fmt.Sprintf("%s %s %v", event, args.Raw(0), bin)
			return
		}
		seen <- event + " " + args.String()
	})
	success(t, s.Emit("one", 1, "a"))
	c.expect(`42["one",1,"a"]`)
	success(t, s.EmitVolatile("two")) // dropped if the connection is busy; its listeners see it still
	success(t, s.Emit("bin", "x", []byte{1, 2}))
	f := c.nextText()
	if f == `42["two"]` {
		f = c.nextText()
	}
	hasPrefix(t, "binary event", f, `451-["bin","x",`)
	c.nextBinary()
	c.send(`429["ask"]`)
	c.expect(`439["answer"]`)
	success(t, srv.Emit("all", true))
	c.expect(`42["all",true]`)
	success(t, srv.To("nobody").Emit("none"))
	answered := make(chan hub.Args, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		a, err := s.EmitWithAck(ctx, "mine", 3)
		if err != nil {
			t.Error(err)
		}
		answered <- a
	}()
	f = c.nextText()
	hasPrefix(t, "emit with ack", f, `42`)
	id := strings.TrimPrefix(strings.TrimSuffix(f, `["mine",3]`), "42")
	c.send("43" + id + `["ok"]`)
	recv(t, answered)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if _, err := srv.EmitWithAck(ctx, "everyone"); err != nil {
			t.Error(err)
		}
		answered <- hub.Args{}
	}()
	f = c.nextText()
	id = strings.TrimPrefix(strings.TrimSuffix(f, `["everyone"]`), "42")
	c.send("43" + id + `[1]`)
	recv(t, answered)
	var got []string
	for range 6 {
		got = append(got, recv(t, seen))
	}
	equal(t, "seen", got, []string{`one [1,"a"]`, `two []`, `bin "x" [1 2]`, `all [true]`, `mine [3]`, `everyone []`})
	select {
	case x := <-seen:
		t.Errorf("also seen: %s", x)
	case <-time.After(50 * time.Millisecond):
	}
}

// Prepend, removal, OffAnyOutgoing and ListenersAnyOutgoing; an emit to a disconnected
// socket (which fails) is not seen.
func TestOutgoingListenerManagement(t *testing.T) {
	t.Parallel()
	seen := make(chan string, 16)
	_, c, s := oneSocket(t, nil, nil)
	mark := func(name string) func(string, hub.Args) {
		return func(event string, _ hub.Args) { seen <- name + ":" + event }
	}
	removeA := s.OnAnyOutgoing(mark("a"))
	s.PrependAnyOutgoing(mark("b"))
	s.OnAnyOutgoing(mark("c"))
	equal(t, "listeners", len(s.ListenersAnyOutgoing()), 3)
	s.Emit("e1")
	c.expect(`42["e1"]`)
	equal(t, "order", []string{recv(t, seen), recv(t, seen), recv(t, seen)}, []string{"b:e1", "a:e1", "c:e1"})
	removeA()
	s.Emit("e2")
	c.expect(`42["e2"]`)
	equal(t, "after removal", []string{recv(t, seen), recv(t, seen)}, []string{"b:e2", "c:e2"})
	s.OffAnyOutgoing()
	equal(t, "listeners", len(s.ListenersAnyOutgoing()), 0)
	s.OnAnyOutgoing(mark("d"))
	s.Disconnect(false)
	c.expect("41")
	if err := s.Emit("late"); err == nil {
		t.Error("Emit on a disconnected socket: no error")
	}
	s.Emit("late")
	select {
	case x := <-seen:
		t.Errorf("seen after OffAnyOutgoing or for a failed emit: %s", x)
	case <-time.After(50 * time.Millisecond):
	}
}

// A listener that blocks holds up neither the broadcaster nor the other recipients; a
// panicking one is logged and the next listener still runs.
func TestOutgoingListenerBlocksNothing(t *testing.T) {
	t.Parallel()
	logs := make(logRecorder, 64)
	srv, url := newServer(t, &hub.Options{Logger: slog.New(logs)})
	sockets := make(chan *hub.Socket, 2)
	srv.OnConnection(func(s *hub.Socket) { sockets <- s })
	slowC := dial(t, url, "")
	slowC.connect("/", "")
	slow := recv(t, sockets)
	otherC := dial(t, url, "")
	otherC.connect("/", "")
	recv(t, sockets)

	release := make(chan struct{})
	seen := make(chan string, 8)
	slow.OnAnyOutgoing(func(event string, _ hub.Args) { <-release })
	slow.OnAnyOutgoing(func(event string, _ hub.Args) { panic("outgoing boom") })
	slow.OnAnyOutgoing(func(event string, _ hub.Args) { seen <- event })
	for i := range 3 {
		success(t, srv.Emit("tick", i)) // returns although the first listener blocks
	}
	for i := range 3 {
		otherC.expect(fmt.Sprintf(`42["tick",%d]`, i))
		slowC.expect(fmt.Sprintf(`42["tick",%d]`, i))
	}
	close(release)
	for range 3 {
		equal(t, "third listener", recv(t, seen), "tick")
	}
	waitLog(t, logs, "hub: panic in handler")
}

// Server-side emits with one server: no other server answers, at once; a dynamic parent
// refuses; reserved names fail. The receiving side answers once, through either kind of
// handler.
func TestServerSideEmitWithAck(t *testing.T) {
	t.Parallel()
	var seams seams
	srv, _ := newServer(t, &hub.Options{Adapter: seams.factory})
	ctx := context.Background()
	got, err := srv.ServerSideEmitWithAck(ctx, "ping", 1)
	success(t, err)
	equal(t, "answers", len(got), 0)
	got, err = srv.Of("/other").ServerSideEmitWithAck(ctx, "ping")
	success(t, err)
	equal(t, "answers", len(got), 0)
	_, err = srv.OfFunc(func(string, json.RawMessage) bool { return true }).ServerSideEmitWithAck(ctx, "ping")
	errorIs(t, err, hub.ErrParentNamespace)
	_, err = srv.ServerSideEmitWithAck(ctx, "disconnect")
	errorIs(t, err, hub.ErrReservedEvent)

	ns := srv.Of("/cluster")
	var order []string
	ns.OnServerSideEmit(func(event string, args hub.Args) { order = append(order, "plain "+event+" "+args.String()) })
	ns.OnServerSideEmitWithAck(func(event string, args hub.Args, ack hub.Ack) {
		order = append(order, "with ack "+event)
		success(t, ack("first"))
	})
	ns.OnServerSideEmitWithAck(func(event string, args hub.Args, ack hub.Ack) { ack("second") })
	var answers []string
	p := &socketio.Packet{Type: socketio.PacketEvent, Namespace: "/cluster", ID: socketio.NoAckID, Data: []byte(`["ask",1]`)}
	seam := seams.of(t, "/cluster")
	success(t, seam.ReceiveServerSideEmit(p, func(vals ...any) error {
		answers = append(answers, fmt.Sprint(vals...))
		return nil
	}))
	equal(t, "answers", answers, []string{"first"})
	success(t, seam.ReceiveServerSideEmit(p, nil)) // no ack asked: ack does nothing
	equal(t, "order", order, []string{"plain ask [1]", "with ack ask", "plain ask [1]", "with ack ask"})
}

// Notifications wait in the client's handler queue: a listener too slow for what is sent
// to its socket fills the queue, and the client is disconnected as one sending too fast.
func TestOutgoingListenerTooSlow(t *testing.T) {
	t.Parallel()
	logs := make(logRecorder, 64)
	release := make(chan struct{})
	defer close(release)
	// The queue's bound is 64 KiB with so small a MaxHTTPBufferSize.
	srv, c, s := oneSocket(t, &hub.Options{Logger: slog.New(logs), MaxHTTPBufferSize: 1000}, nil)
	s.OnAnyOutgoing(func(string, hub.Args) { <-release })
	big := strings.Repeat("x", 1<<15)
	for range 4 {
		success(t, srv.Emit("big", big))
	}
	waitLog(t, logs, "hub: handler queue full; closing the connection")
	c.drainUntilClosed()
}
