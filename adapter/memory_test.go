package adapter

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubkit/hub/socketio"
)

// fakeNS is a Namespace whose sockets are ids: it records what the adapter asks of them.
type fakeNS struct {
	mu        sync.Mutex
	connected map[string]bool // ids of connected sockets; the others are pending or gone
	sends     []sent
	joins     []string // "id+room" for each socket and room
	leaves    []string
	discs     []string // "id close"
	ackCtx    context.Context
	ackTO     time.Duration
	sendErr   error
	countOnly bool // record only the number of ids, for the allocation test
	listen    func(event, room, id string)
	count     int
}

type sent struct {
	ids      string // sorted, comma-separated: the order of a room's members is not kept
	data     string
	id       int64
	volatile bool
}

func newFakeNS(connected ...string) *fakeNS {
	f := &fakeNS{connected: make(map[string]bool)}
	for _, id := range connected {
		f.connected[id] = true
	}
	return f
}

func (f *fakeNS) Name() string { return "/" }

func (f *fakeNS) Connected(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connected[id]
}

func (f *fakeNS) live(ids []string) []string {
	var out []string
	for _, id := range ids {
		if f.connected[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fakeNS) Send(p *socketio.Packet, ids []string, volatile bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.countOnly {
		f.count += len(ids)
		return nil
	}
	f.sends = append(f.sends, sent{strings.Join(f.live(ids), ","), string(p.Data), p.ID, volatile})
	return f.sendErr
}

func (f *fakeNS) SendWithAck(ctx context.Context, p *socketio.Packet, ids []string, volatile bool, timeout time.Duration, ack func(socketio.Args)) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return 0, f.sendErr
	}
	live := f.live(ids)
	f.sends = append(f.sends, sent{strings.Join(live, ","), string(p.Data), 7, volatile})
	f.ackCtx, f.ackTO = ctx, timeout
	for range live {
		ack(socketio.Args{})
	}
	return len(live), nil
}

func (f *fakeNS) Describe(ids []string) []SocketInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	var infos []SocketInfo
	for _, id := range f.live(ids) {
		infos = append(infos, SocketInfo{ID: id})
	}
	return infos
}

func (f *fakeNS) each(ids, rooms []string, into *[]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range f.live(ids) {
		for _, r := range rooms {
			*into = append(*into, id+"+"+r)
		}
	}
}

func (f *fakeNS) Join(ids, rooms []string)  { f.each(ids, rooms, &f.joins) }
func (f *fakeNS) Leave(ids, rooms []string) { f.each(ids, rooms, &f.leaves) }

func (f *fakeNS) Disconnect(ids []string, close bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range f.live(ids) {
		f.discs = append(f.discs, id+" "+map[bool]string{true: "close", false: "leave"}[close])
	}
}

func (f *fakeNS) RoomListener() func(event, room, id string) { return f.listen }

func (f *fakeNS) ReceiveServerSideEmit(p *socketio.Packet, ack socketio.Ack) error {
	return errors.New("fakeNS: no server-side emit expected")
}

// take returns the sends recorded, and forgets them.
func (f *fakeNS) take(t *testing.T) []sent {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.sends
	f.sends = nil
	return out
}

// event returns the EVENT packet [name, args...] of namespace "/".
func event(name string, args ...any) *socketio.Packet {
	data, atts, err := socketio.AppendArgs(nil, append([]any{name}, args...))
	if err != nil {
		panic(err)
	}
	return &socketio.Packet{Type: socketio.PacketEvent, Namespace: "/", ID: socketio.NoAckID, Data: data, Attachments: atts}
}

// members returns a's rooms and their members, as "room:id,id".
func members(a *Memory) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []string
	for room, set := range a.rooms {
		ids := slices.Sorted(set.all())
		out = append(out, room+":"+strings.Join(ids, ","))
	}
	slices.Sort(out)
	return out
}

func TestMemoryRooms(t *testing.T) {
	a := NewMemory(newFakeNS())
	a.AddAll("a", "a", "r1", "r2")
	a.AddAll("b", "b", "r1")
	a.AddAll("a", "r1") // again: nothing changes
	if got, want := a.SocketRooms("a"), []string{"a", "r1", "r2"}; !slices.Equal(got, want) {
		t.Errorf("SocketRooms(a) = %q; want %q", got, want)
	}
	if got := a.SocketRooms("nobody"); got != nil {
		t.Errorf("SocketRooms of an unknown socket = %q; want nil", got)
	}
	a.Del("a", "r2")
	a.Del("a", "never")
	a.Del("nobody", "r1")
	if got, want := members(a), []string{"a:a", "b:b", "r1:a,b"}; !slices.Equal(got, want) {
		t.Errorf("after Del: %q; want %q (an empty room goes)", got, want)
	}
	a.DelAll("a")
	a.DelAll("nobody")
	if got, want := members(a), []string{"b:b", "r1:b"}; !slices.Equal(got, want) {
		t.Errorf("after DelAll: %q; want %q", got, want)
	}
	if got := a.SocketRooms("a"); got != nil {
		t.Errorf("SocketRooms of a gone socket = %q; want nil", got)
	}
}

// selection: sockets a, b, c (connected) and p (pending: in rooms, not connected), in rooms
// x (a, b, p), y (b, c) and z (c).
func selection() (*Memory, *fakeNS) {
	f := newFakeNS("a", "b", "c")
	a := NewMemory(f)
	a.AddAll("a", "a", "x")
	a.AddAll("b", "b", "x", "y")
	a.AddAll("c", "c", "y", "z")
	a.AddAll("p", "p", "x")
	return a, f
}

func TestMemorySelects(t *testing.T) {
	cases := []struct {
		opts BroadcastOptions
		want string
	}{
		{BroadcastOptions{}, "a,b,c"},
		{BroadcastOptions{Rooms: []string{"x"}}, "a,b"},
		{BroadcastOptions{Rooms: []string{"x", "y"}}, "a,b,c"}, // b once
		{BroadcastOptions{Rooms: []string{"x", "x"}}, "a,b"},
		{BroadcastOptions{Rooms: []string{"nowhere"}}, ""},
		{BroadcastOptions{Except: []string{"y"}}, "a"},
		{BroadcastOptions{Rooms: []string{"y"}, Except: []string{"z"}}, "b"},
		{BroadcastOptions{Rooms: []string{"x", "y"}, Except: []string{"a", "nowhere"}}, "b,c"},
		{BroadcastOptions{Rooms: []string{"c"}}, "c"}, // a socket's own room
		{BroadcastOptions{Rooms: []string{"p"}}, ""},  // pending: the namespace skips it
	}
	a, f := selection()
	for _, c := range cases {
		if err := a.Broadcast(event("e", 1), c.opts); err != nil {
			t.Fatal(err)
		}
		got := f.take(t)
		if len(got) != 1 || got[0].ids != c.want || got[0].data != `["e",1]` || got[0].volatile {
			t.Errorf("Broadcast(%+v) sent %+v; want one send of [\"e\",1] to %q", c.opts, got, c.want)
		}
		ids, _ := a.Sockets(context.Background(), c.opts.Rooms)
		slices.Sort(ids)
		if c.opts.Except == nil && strings.Join(ids, ",") != c.want {
			t.Errorf("Sockets(%q) = %q; want %q", c.opts.Rooms, ids, c.want)
		}
	}
	if err := a.Broadcast(event("v"), BroadcastOptions{Flags: BroadcastFlags{Volatile: true}}); err != nil {
		t.Fatal(err)
	}
	if got := f.take(t); len(got) != 1 || !got[0].volatile {
		t.Errorf("volatile broadcast: %+v; want one volatile send", got)
	}
	f.sendErr = errors.New("encoding failed")
	if err := a.Broadcast(event("e"), BroadcastOptions{}); !errors.Is(err, f.sendErr) {
		t.Errorf("Broadcast with a failing Send: %v; want its error", err)
	}
}

func TestMemorySocketOperations(t *testing.T) {
	a, f := selection()
	opts := BroadcastOptions{Rooms: []string{"x"}}
	infos, err := a.FetchSockets(context.Background(), opts)
	if err != nil || len(infos) != 2 || infos[0].ID != "a" || infos[1].ID != "b" {
		t.Errorf("FetchSockets = %+v, %v; want a and b", infos, err)
	}
	must(t, a.AddSockets(opts, []string{"j1", "j2"}))
	must(t, a.DelSockets(BroadcastOptions{Rooms: []string{"z"}}, []string{"y"}))
	must(t, a.DisconnectSockets(BroadcastOptions{Except: []string{"x"}}, true))
	if want := []string{"a+j1", "a+j2", "b+j1", "b+j2"}; !slices.Equal(f.joins, want) {
		t.Errorf("joins %q; want %q", f.joins, want)
	}
	if want := []string{"c+y"}; !slices.Equal(f.leaves, want) {
		t.Errorf("leaves %q; want %q", f.leaves, want)
	}
	if want := []string{"c close"}; !slices.Equal(f.discs, want) {
		t.Errorf("disconnects %q; want %q", f.discs, want)
	}
}

func TestMemoryBroadcastWithAck(t *testing.T) {
	a, f := selection()
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "mine")
	var counts []int
	answers := 0
	opts := BroadcastOptions{Rooms: []string{"y"}, Flags: BroadcastFlags{Timeout: time.Second}}
	must(t, a.BroadcastWithAck(ctx, event("q"), opts, func(n int) { counts = append(counts, n) }, func(socketio.Args) { answers++ }))
	if got := f.take(t); len(got) != 1 || got[0].ids != "b,c" {
		t.Errorf("sent %+v; want one send to b and c", got)
	}
	if !slices.Equal(counts, []int{2}) || answers != 2 {
		t.Errorf("clientCount calls %v, %d answers; want [2] and 2", counts, answers)
	}
	if f.ackCtx.Value(key{}) != "mine" || f.ackTO != time.Second {
		t.Errorf("the namespace got another context or timeout %v: the caller's wait must reach it", f.ackTO)
	}
	f.sendErr = errors.New("encoding failed")
	counts = nil
	err := a.BroadcastWithAck(ctx, event("q"), opts, func(n int) { counts = append(counts, n) }, func(socketio.Args) {})
	if !errors.Is(err, f.sendErr) || counts != nil {
		t.Errorf("failing SendWithAck: %v, counts %v; want its error and no count", err, counts)
	}
}

// A broadcast costs no allocation per recipient: the id list is pooled.
func TestMemoryBroadcastAllocations(t *testing.T) {
	f := newFakeNS()
	f.countOnly = true
	a := NewMemory(f)
	for i := range 1000 {
		id := "s" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		a.AddAll(id, id, "room")
	}
	p := event("e")
	opts := BroadcastOptions{Rooms: []string{"room"}}
	allocs := testing.AllocsPerRun(20, func() { must(t, a.Broadcast(p, opts)) })
	if allocs > 2 {
		t.Errorf("%v allocations per broadcast to 1000 sockets; want at most 2", allocs)
	}
	if f.count == 0 {
		t.Fatal("nothing was sent")
	}
}

func TestMemorySingleProcess(t *testing.T) {
	a := NewMemory(newFakeNS())
	ctx := context.Background()
	if n, err := a.ServerCount(ctx); n != 1 || err != nil {
		t.Errorf("ServerCount = %d, %v; want 1", n, err)
	}
	if err := a.ServerSideEmit(ctx, event("e")); err != nil {
		t.Errorf("ServerSideEmit: %v", err)
	}
	if got, err := a.ServerSideEmitWithAck(ctx, event("e")); got != nil || err != nil {
		t.Errorf("ServerSideEmitWithAck = %v, %v; want no answer at once", got, err)
	}
	a.PersistSession(&SessionState{SID: "s", PID: "p"})
	if st, err := a.RestoreSession(ctx, "p", "0"); st != nil || err != nil {
		t.Errorf("a plain Memory restored %+v, %v; want nothing", st, err)
	}
	var more []*socketio.Packet
	called := false
	a.Resume(&SessionState{}, nil, func(m []*socketio.Packet) { called, more = true, m })
	if !called || more != nil {
		t.Errorf("Resume of a plain Memory: called %v with %v; want live(nil)", called, more)
	}
	must(t, a.Close())
}

// A session-aware Memory gives each logged event an offset, keeps the sessions it is
// given, and restores them with what their rooms missed, as often as asked.
func TestSessionAware(t *testing.T) {
	f := newFakeNS("a", "b")
	a := NewSessionAware(f, time.Minute, 1<<20)
	ctx := context.Background()
	a.AddAll("a", "a", "r")
	a.AddAll("b", "b")
	must(t, a.Broadcast(event("first"), BroadcastOptions{}))
	must(t, a.Broadcast(event("to-r", 1), BroadcastOptions{Rooms: []string{"r"}}))
	must(t, a.Broadcast(event("volatile"), BroadcastOptions{Flags: BroadcastFlags{Volatile: true}}))
	acked := event("acked")
	acked.ID = 3
	must(t, a.Broadcast(acked, BroadcastOptions{}))
	must(t, a.Broadcast(event("not-r"), BroadcastOptions{Except: []string{"r"}}))
	must(t, a.Broadcast(event("to-b"), BroadcastOptions{Rooms: []string{"b"}}))
	var data []string
	for _, s := range f.take(t) {
		data = append(data, s.data)
	}
	want := []string{`["first","0"]`, `["to-r",1,"1"]`, `["volatile"]`, `["acked"]`, `["not-r","2"]`, `["to-b","3"]`}
	if !slices.Equal(data, want) {
		t.Fatalf("sent %q; want %q (offsets on logged events only)", data, want)
	}

	a.PersistSession(&SessionState{SID: "a", PID: "pa", Rooms: []string{"a", "r"}, Data: "d"})
	for range 2 { // restoring does not consume the session
		st, err := a.RestoreSession(ctx, "pa", "0")
		if err != nil || st == nil {
			t.Fatalf("RestoreSession = %+v, %v", st, err)
		}
		var missed []string
		for _, p := range st.Missed {
			missed = append(missed, string(p.Data))
		}
		if st.SID != "a" || st.Data != "d" || !slices.Equal(missed, []string{`["to-r",1,"1"]`}) {
			t.Errorf("restored %+v, missed %q; want socket a and [to-r]", st, missed)
		}
	}
	for _, c := range []struct{ pid, off string }{{"pa", "4"}, {"pa", "x"}, {"nobody", "0"}} {
		if st, _ := a.RestoreSession(ctx, c.pid, c.off); st != nil {
			t.Errorf("RestoreSession(%q, %q) = %+v; want nil", c.pid, c.off, st)
		}
	}

	// Between RestoreSession and Resume, events go on: Resume hands the events to the
	// socket's rooms that it has not seen yet, and nothing else.
	st, _ := a.RestoreSession(ctx, "pa", "3")
	if len(st.Missed) != 0 {
		t.Fatalf("missed %d events after the last offset; want 0", len(st.Missed))
	}
	must(t, a.Broadcast(event("late-r"), BroadcastOptions{Rooms: []string{"r"}}))
	must(t, a.Broadcast(event("late-b"), BroadcastOptions{Rooms: []string{"b"}}))
	var more []string
	a.Resume(st, st.Rooms, func(m []*socketio.Packet) {
		for _, p := range m {
			more = append(more, string(p.Data))
		}
	})
	if !slices.Equal(more, []string{`["late-r","4"]`}) {
		t.Errorf("Resume handed %q; want [late-r]", more)
	}
}

// The log does not keep the caller's attachment buffers: a broadcaster may reuse them.
func TestSessionAwareCopiesAttachments(t *testing.T) {
	a := NewSessionAware(newFakeNS(), time.Minute, 1<<20)
	buf := []byte("abc")
	must(t, a.Broadcast(event("bin", buf), BroadcastOptions{}))
	copy(buf, "xyz")
	a.PersistSession(&SessionState{SID: "s", PID: "p", Rooms: []string{"s"}})
	must(t, a.Broadcast(event("bin", []byte("def")), BroadcastOptions{}))
	st, _ := a.RestoreSession(context.Background(), "p", "0")
	if len(st.Missed) != 1 || string(st.Missed[0].Attachments[0]) != "def" {
		t.Fatalf("missed %+v; want the second event", st.Missed)
	}
	a.log.mu.Lock()
	first := string(a.log.entries[0].p.Attachments[0])
	a.log.mu.Unlock()
	if first != "abc" {
		t.Errorf("the log holds %q; want the bytes as sent, abc", first)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Room changes are told as Node's in-memory adapter emits them, after the change and
// without the adapter's lock: a listener may call back into the adapter.
func TestMemoryRoomChanges(t *testing.T) {
	f := newFakeNS()
	a := NewMemory(f)
	var got []string
	f.listen = func(event, room, id string) {
		got = append(got, event+" "+room+" "+id)
		a.SocketRooms(id) // no deadlock: the lock is released
	}
	a.AddAll("a", "a", "r")
	a.AddAll("b", "b", "r", "r")
	a.AddAll("a", "r") // already there: nothing
	a.Del("a", "r")
	a.Del("a", "never")
	want := []string{
		"create-room a ", "join-room a a", "create-room r ", "join-room r a",
		"create-room b ", "join-room b b", "join-room r b",
		"leave-room r a",
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes\n%q\nwant\n%q", got, want)
	}
	got = nil
	a.DelAll("b") // the order of a socket's rooms is not kept: compare sorted
	slices.Sort(got)
	if want := []string{"delete-room b ", "delete-room r ", "leave-room b b", "leave-room r b"}; !slices.Equal(got, want) {
		t.Errorf("DelAll told %q; want %q", got, want)
	}
	f.listen = nil
	a.AddAll("c", "c") // nobody listens: nothing gathered
	if got := members(a); !slices.Contains(got, "c:c") {
		t.Errorf("rooms %q after AddAll without a listener", got)
	}
}
