package adapter

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubkit/hub/socketio"
)

// offsetCases are offsets a client may present: only the canonical form of a sequence
// number names one.
var offsetCases = []struct {
	offset string
	seq    uint64
	ok     bool
}{
	{"0", 0, true},
	{"z", 35, true},
	{"3w5e11264sgsf", 1<<64 - 1, true},
	{"3w5e11264sgsg", 0, false}, // overflows
	{"00", 0, false},
	{"01", 0, false},
	{"A", 0, false},
	{"-1", 0, false},
	{"+1", 0, false},
	{"", 0, false},
	{" 1", 0, false},
	{"1_0", 0, false},
	{"Q8KahW9", 0, false}, // Node's kind of offset: not one of ours
	{strings.Repeat("1", 100), 0, false},
}

func TestParseOffset(t *testing.T) {
	for _, c := range offsetCases {
		seq, ok := parseOffset(c.offset)
		if ok != c.ok || (ok && seq != c.seq) {
			t.Errorf("parseOffset(%q) = %d, %v; want %d, %v", c.offset, seq, ok, c.seq, c.ok)
		}
	}
}

// FuzzRestoreOffset restores with arbitrary offsets as a client may send them: no panic; a
// bad offset never names a log entry; a restore with anything at all finds nothing it
// should not.
func FuzzRestoreOffset(f *testing.F) {
	for _, c := range offsetCases {
		f.Add(c.offset)
	}
	l := newRecoveryLog(time.Minute, 1<<20)
	l.sessions["p"] = persisted{state: &SessionState{SID: "s", PID: "p", Rooms: []string{"s"}}, at: time.Now()}
	l.entries = []logEntry{{at: time.Now(), p: &socketio.Packet{Data: json.RawMessage(`["e","0"]`)}}, {at: time.Now(), p: &socketio.Packet{Data: json.RawMessage(`["e","1"]`)}, rooms: []string{"s"}}}
	f.Fuzz(func(t *testing.T, off string) {
		seq, ok := parseOffset(off)
		if ok && offset(seq) != off {
			t.Fatalf("offset %q read as %d", off, seq)
		}
		st := l.restore("p", off)
		switch {
		case off == "0" && (st == nil || len(st.Missed) != 1):
			t.Fatalf("restore from the first entry: %+v", st)
		case off == "1" && (st == nil || len(st.Missed) != 0):
			t.Fatalf("restore from the last entry: %+v", st)
		case off != "0" && off != "1" && st != nil:
			t.Fatalf("offset %q restored a session", off)
		}
	})
}

// TestRecoveryLogMemoryBound: however much is sent, the log holds at most MaxLogBytes (and
// one entry), and expired sessions go as new ones come.
func TestRecoveryLogMemoryBound(t *testing.T) {
	const max = 64 << 10
	a := NewSessionAware(newFakeNS(), time.Minute, max)
	payload := strings.Repeat("x", 1000)
	for i := range 10000 {
		if err := a.Broadcast(event("e", payload, i), BroadcastOptions{Rooms: []string{"r"}}); err != nil {
			t.Fatal(err)
		}
	}
	l := a.log
	l.mu.Lock()
	n, bytes, capacity := len(l.entries), l.bytes, cap(l.entries)
	l.mu.Unlock()
	if bytes > max+2000 || n > max/1000 || capacity > 4*n+64 {
		t.Errorf("log of %d entries, %d bytes, capacity %d; want at most %d bytes", n, bytes, capacity, max)
	}

	for i := range 10000 { // 2 MB of sessions through the 64 KiB budget: the oldest go
		l.persist(&SessionState{SID: "s", PID: "p" + strconv.Itoa(i), Rooms: []string{"s"}})
	}
	l.mu.Lock()
	if len(l.sessions) > max/sessionOverhead || l.bytes > max+sessionOverhead+64 || len(l.entries) != 0 {
		t.Errorf("%d sessions and %d entries in %d bytes; want the newest sessions in at most %d bytes", len(l.sessions), len(l.entries), l.bytes, max)
	}
	if _, ok := l.sessions["p9999"]; !ok {
		t.Errorf("the newest session went")
	}
	if cap(l.order) > 4*len(l.order)+64 {
		t.Errorf("order: capacity %d for %d sessions", cap(l.order), len(l.order))
	}
	l.mu.Unlock()
	l.mu.Lock()
	old := time.Now().Add(-2 * l.maxAge)
	for i := range l.order {
		st := l.sessions[l.order[i].pid]
		st.at, l.order[i].at = old, old
		l.sessions[l.order[i].pid] = st
	}
	l.mu.Unlock()
	l.persist(&SessionState{SID: "s", PID: "new"})
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.sessions) != 1 || len(l.order) != 1 {
		t.Errorf("%d sessions, %d in order after expiry; want only the new one", len(l.sessions), len(l.order))
	}
}
