package main

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hubkit/hub"
)

//go:embed index.html
var indexHTML []byte

// Limits on what a client may send.
const (
	maxNickname = 24   // runes
	maxMessage  = 2000 // runes
)

// A user is someone online: one socket of the main namespace.
type user struct {
	ID       string `json:"id"`
	Nickname string `json:"nickname"`
}

// A message is what the server sends with "chat message" after the text (the tutorial's
// single string argument stays first, so a tutorial page keeps working) and with
// "private message".
type message struct {
	From   string `json:"from"`   // sender's nickname
	FromID string `json:"fromId"` // sender's socket id
	To     string `json:"to,omitempty"`
	ToID   string `json:"toId,omitempty"`
	Text   string `json:"text"`
}

// A reply answers a client's acknowledgement callback.
type reply struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	Nickname string `json:"nickname,omitempty"`
	To       *user  `json:"to,omitempty"`
}

// A room is the chat's state: who is online under which nickname.
//
// Every change of the set of users, and the "online" list that announces it, happens under mu:
// Emit never blocks, so holding mu while emitting is cheap, and it keeps the lists every client
// receives in the order of the changes.
type room struct {
	srv *hub.Server

	mu     sync.Mutex
	users  map[string]user // by socket id; guarded by mu
	guests int             // guest nicknames handed out; guarded by mu
}

// newServer returns the chat's Socket.IO server and the HTTP handler of the whole app: the
// page at /, the Socket.IO endpoint and the browser client at /socket.io/socket.io.js.
func newServer() (*hub.Server, http.Handler) {
	srv := hub.New(nil) // serves the browser client at /socket.io/socket.io.js too
	r := &room{srv: srv, users: map[string]user{}}
	srv.OnConnection(r.connect)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(indexHTML)
	})
	return srv, srv.Handler(mux)
}

// connect greets a new socket and registers its handlers.
func (r *room) connect(s *hub.Socket) {
	// A page that reconnects gives its nickname in the auth payload ({"nickname": "…"}), so
	// that it comes back under its name rather than as a new guest.
	var auth struct {
		Nickname string `json:"nickname"`
	}
	json.Unmarshal(s.Handshake().Auth, &auth)
	r.mu.Lock()
	name, err := clean(auth.Nickname, maxNickname)
	if err != nil {
		r.guests++
		name = fmt.Sprintf("Guest %d", r.guests)
	}
	u := user{ID: s.ID(), Nickname: r.freeNickname(name)}
	r.users[u.ID] = u
	s.Emit("welcome", u)
	s.Broadcast().Emit("user joined", u)
	r.announce()
	r.mu.Unlock()

	// The tutorial's event: a string, broadcast to everyone else (the sender shows its own
	// message at once), with the sender's identity as an extra argument.
	s.On("chat message", func(text string, ack hub.Ack) error {
		text, err := clean(text, maxMessage)
		if err != nil {
			return ack(reply{Error: err.Error()})
		}
		from := r.user(s.ID())
		s.Broadcast().Emit("chat message", text, message{From: from.Nickname, FromID: from.ID, Text: text})
		return ack(reply{OK: true})
	})

	s.On("set nickname", func(name string, ack hub.Ack) error {
		name, err := clean(name, maxNickname)
		if err != nil {
			return ack(reply{Error: err.Error()})
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		u, ok := r.users[s.ID()]
		if !ok {
			return nil // disconnected meanwhile
		}
		if other, ok := r.find(name); ok && other.ID != u.ID {
			return ack(reply{Error: fmt.Sprintf("%q is taken", name)})
		}
		if u.Nickname != name {
			old := u.Nickname
			u.Nickname = name
			r.users[u.ID] = u
			r.srv.Emit("user renamed", map[string]string{"id": u.ID, "from": old, "to": name})
			r.announce()
		}
		return ack(reply{OK: true, Nickname: name})
	})

	// "X is typing…": volatile, so a client that cannot take it right now does not get it
	// late. The page sends it again while the user keeps typing.
	s.On("typing", func(typing bool) {
		u := r.user(s.ID())
		s.Broadcast().Volatile().Emit("typing", map[string]any{"id": u.ID, "nickname": u.Nickname, "typing": typing})
	})

	// A private message goes to one user, named by socket id or nickname.
	s.On("private message", func(to, text string, ack hub.Ack) error {
		text, err := clean(text, maxMessage)
		if err != nil {
			return ack(reply{Error: err.Error()})
		}
		r.mu.Lock()
		from := r.users[s.ID()]
		target, ok := r.users[to]
		if !ok {
			target, ok = r.find(to)
		}
		r.mu.Unlock()
		switch {
		case !ok:
			return ack(reply{Error: fmt.Sprintf("nobody called %q is online", to)})
		case target.ID == s.ID():
			return ack(reply{Error: "that is you"})
		}
		s.To(target.ID).Emit("private message", message{
			From: from.Nickname, FromID: s.ID(), To: target.Nickname, ToID: target.ID, Text: text,
		})
		return ack(reply{OK: true, To: &target})
	})

	s.OnDisconnect(func(string) {
		r.mu.Lock()
		defer r.mu.Unlock()
		u, ok := r.users[s.ID()]
		if !ok {
			return
		}
		delete(r.users, s.ID())
		r.srv.Emit("user left", u) // fails harmlessly once the server is shutting down
		r.announce()
	})
}

// user returns the user of socket id (with no nickname once it has gone).
func (r *room) user(id string) user {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u, ok := r.users[id]; ok {
		return u
	}
	return user{ID: id}
}

// find returns the user whose nickname is name, ignoring case. r.mu must be held.
func (r *room) find(name string) (user, bool) {
	for _, u := range r.users {
		if strings.EqualFold(u.Nickname, name) {
			return u, true
		}
	}
	return user{}, false
}

// freeNickname returns name, or name with a suffix if someone has it. r.mu must be held.
func (r *room) freeNickname(name string) string {
	for i, n := 2, name; ; i++ {
		if _, taken := r.find(n); !taken {
			return n
		}
		n = fmt.Sprintf("%s (%d)", name, i)
	}
}

// announce sends everyone the list of users online, sorted by nickname. r.mu must be held.
func (r *room) announce() {
	list := make([]user, 0, len(r.users))
	for _, u := range r.users {
		list = append(list, u)
	}
	slices.SortFunc(list, func(a, b user) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Nickname), strings.ToLower(b.Nickname)), cmp.Compare(a.ID, b.ID))
	})
	r.srv.Emit("online", list)
}

// clean trims s and checks that it is neither empty nor longer than max runes.
func clean(s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", fmt.Errorf("empty")
	case !utf8.ValidString(s):
		return "", fmt.Errorf("not UTF-8")
	case utf8.RuneCountInString(s) > max:
		return "", fmt.Errorf("longer than %d characters", max)
	}
	return s, nil
}
