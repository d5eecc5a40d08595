package adapter

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hubkit/hub/socketio"
)

// recoveryLog is what a session-aware Memory keeps for connection state recovery (Node's
// SessionAwareAdapter): the events sent within maxAge, each with its
// offset and the rooms it went to, and the state of the sockets that disconnected for a
// recoverable reason. It needs no timer: expired entries go as new ones arrive.
type recoveryLog struct {
	maxAge   time.Duration
	maxBytes int

	// mu is held by a logged broadcast from the moment it takes its offset until it is
	// queued on every recipient, and by a recovering socket while it catches up and goes
	// live: an event is either logged before (and replayed) or delivered live, never both.
	mu       sync.Mutex
	first    uint64     // sequence number of entries[0]; guarded by mu
	entries  []logEntry // guarded by mu
	bytes    int        // what entries and sessions hold; guarded by mu
	sessions map[string]persisted
	order    []pidTime // sessions in the order persisted, for expiry (some overwritten since)
}

type logEntry struct {
	at     time.Time
	p      *socketio.Packet // the event, its offset appended
	rooms  []string
	except []string
	size   int
}

type persisted struct {
	state *SessionState
	at    time.Time
	size  int
}

type pidTime struct {
	pid string
	at  time.Time
}

// logEntryOverhead is what an entry costs besides its payload and attachments; a session
// costs sessionOverhead besides its ids and rooms (its Data is the app's, not counted).
const (
	logEntryOverhead = 160
	sessionOverhead  = 200
)

func newRecoveryLog(maxAge time.Duration, maxBytes int) *recoveryLog {
	return &recoveryLog{maxAge: maxAge, maxBytes: maxBytes, sessions: make(map[string]persisted)}
}

// offset names sequence number seq; parseOffset reads it back.
func offset(seq uint64) string { return strconv.FormatUint(seq, 36) }

func parseOffset(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > 13 {
		return 0, false
	}
	seq, err := strconv.ParseUint(s, 36, 64)
	return seq, err == nil && offset(seq) == s
}

// loggable reports whether a broadcast gets an offset and is kept: events asking for no
// acknowledgement and not volatile, as in Node.
func loggable(p *socketio.Packet, opts BroadcastOptions) bool {
	return (p.Type == socketio.PacketEvent || p.Type == socketio.PacketBinaryEvent) && p.ID == socketio.NoAckID && !opts.Flags.Volatile
}

// broadcast logs p with a new offset and delivers it through a, holding l.mu throughout.
func (l *recoveryLog) broadcast(a *Memory, p *socketio.Packet, opts BroadcastOptions) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.expire(now)
	seq := l.first + uint64(len(l.entries))
	q := *p
	q.Data = appendArg(p.Data, offset(seq))
	if len(p.Attachments) > 0 { // the caller may reuse its buffers: the log keeps its own
		q.Attachments = make([][]byte, len(p.Attachments))
		for i, b := range p.Attachments {
			q.Attachments[i] = bytes.Clone(b)
		}
	}
	size := logEntryOverhead + len(q.Data) + roomsSize(opts.Rooms) + roomsSize(opts.Except)
	for _, b := range q.Attachments {
		size += len(b)
	}
	l.entries = append(l.entries, logEntry{at: now, p: &q, rooms: opts.Rooms, except: opts.Except, size: size})
	l.bytes += size
	return a.deliver(&q, opts) // with its offset, as Node's outgoing listeners see it
}

// roomsSize is what a list of room names costs in the log.
func roomsSize(rooms []string) int {
	n := 0
	for _, r := range rooms {
		n += len(r) + 16
	}
	return n
}

// appendArg returns a copy of the JSON array data with the string s appended.
func appendArg(data json.RawMessage, s string) json.RawMessage {
	body := bytes.TrimRight(data, " \t\r\n")
	body = body[:len(body)-1] // the closing bracket
	out := make(json.RawMessage, 0, len(body)+len(s)+4)
	out = append(out, body...)
	if len(bytes.TrimSpace(body)) > 1 {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, s...) // base 36: nothing to escape
	return append(out, '"', ']')
}

// expire drops the entries and sessions older than maxAge, then, while they hold more than
// maxBytes, the oldest of either kind. l.mu must be held.
func (l *recoveryLog) expire(now time.Time) {
	threshold := now.Add(-l.maxAge)
	n, m := 0, 0 // entries and sessions (in order) dropped
	for n < len(l.entries) || m < len(l.order) {
		event := n < len(l.entries) && (m == len(l.order) || !l.order[m].at.Before(l.entries[n].at))
		var at time.Time
		if event {
			at = l.entries[n].at
		} else {
			at = l.order[m].at
		}
		if !at.Before(threshold) && l.bytes <= l.maxBytes {
			break
		}
		if event {
			l.bytes -= l.entries[n].size
			l.entries[n] = logEntry{}
			n++
			continue
		}
		if s, ok := l.sessions[l.order[m].pid]; ok && s.at == l.order[m].at { // not overwritten since
			l.bytes -= s.size
			delete(l.sessions, l.order[m].pid)
		}
		l.order[m] = pidTime{}
		m++
	}
	l.first += uint64(n)
	l.entries = shrink(l.entries[n:])
	l.order = shrink(l.order[m:])
}

// shrink returns list, in a smaller array once it uses a quarter of its own.
func shrink[T any](list []T) []T {
	if cap(list) > 64 && len(list) < cap(list)/4 {
		return slices.Clone(list)
	}
	return list
}

func (l *recoveryLog) persist(st *SessionState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if old, ok := l.sessions[st.PID]; ok {
		l.bytes -= old.size
	}
	size := sessionOverhead + len(st.SID) + len(st.PID) + roomsSize(st.Rooms)
	l.sessions[st.PID] = persisted{state: st, at: now, size: size}
	l.order = append(l.order, pidTime{st.PID, now})
	l.bytes += size
	l.expire(now)
}

// restore returns the session persisted under pid with the events after offset that went
// to its rooms; nil if the session is unknown or expired, or offset is not in the log.
func (l *recoveryLog) restore(pid, off string) *SessionState {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.expire(now)
	sess, ok := l.sessions[pid]
	if !ok {
		return nil
	}
	seq, ok := parseOffset(off)
	if !ok || seq < l.first || seq >= l.first+uint64(len(l.entries)) {
		return nil
	}
	st := *sess.state
	st.Rooms = slices.Clone(st.Rooms)
	st.Missed = l.since(seq+1, st.Rooms)
	st.through = l.first + uint64(len(l.entries)) - 1
	return &st
}

// since returns the logged events from sequence number start on that went to any of rooms.
// l.mu must be held.
func (l *recoveryLog) since(start uint64, rooms []string) []*socketio.Packet {
	var out []*socketio.Packet
	for i := int(max(start, l.first) - l.first); i < len(l.entries); i++ {
		if e := &l.entries[i]; includes(e, rooms) {
			out = append(out, e.p)
		}
	}
	return out
}

// includes reports whether e went to a socket in rooms (Node's shouldIncludePacket).
func includes(e *logEntry, rooms []string) bool {
	in := len(e.rooms) == 0
	for _, r := range rooms {
		if slices.Contains(e.except, r) {
			return false
		}
		if !in && slices.Contains(e.rooms, r) {
			in = true
		}
	}
	return in
}

// catchUp calls live with the events logged after st was restored that went to rooms,
// holding l.mu: no logged broadcast runs until live has returned. An entry gone meanwhile
// (expired) is not replayed: too late for that socket.
func (l *recoveryLog) catchUp(st *SessionState, rooms []string, live func(more []*socketio.Packet)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	live(l.since(st.through+1, rooms))
}

// PersistSession keeps st for the adapter's maxAge, on a session-aware adapter
// ([NewSessionAware]); otherwise it does nothing, as Node's in-memory Adapter. (An adapter
// embedding Memory recovers nothing unless it implements PersistSession, RestoreSession
// and Resume itself.)
func (a *Memory) PersistSession(st *SessionState) {
	if a.log != nil {
		a.log.persist(st)
	}
}

// RestoreSession returns the session persisted under pid with the events its rooms missed
// after offset; nil when the adapter is not session-aware, the session unknown or expired,
// or offset no longer kept.
func (a *Memory) RestoreSession(ctx context.Context, pid, offset string) (*SessionState, error) {
	if a.log == nil {
		return nil, nil
	}
	return a.log.restore(pid, offset), nil
}

// Resume runs live, which connects a recovered socket, with the events sent to rooms since
// st was restored, holding the log's lock: every event is either among them or delivered
// to the socket live. An adapter that is not session-aware has nothing more.
func (a *Memory) Resume(st *SessionState, rooms []string, live func(more []*socketio.Packet)) {
	if a.log == nil {
		live(nil)
		return
	}
	a.log.catchUp(st, rooms, live)
}
