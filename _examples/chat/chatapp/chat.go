// Package chatapp is the chat room of _examples/chat: the Socket.IO server, its handlers and
// the page. It is a package of its own so that a command in another module can serve the same
// chat with another adapter: _examples/chat/redis runs it as several processes sharing Redis.
//
// What the chat knows about a user lives in the socket's data (a [User], see
// [hub.Socket.SetData]), and the list of who is online is built with FetchSockets, so that with
// an adapter spanning several servers the list, the nickname checks and private messages see
// every server's users.
package chatapp

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hubkit/hub"
)

//go:embed index.html
var indexHTML []byte

// The page's icon, a speech bubble. It is served at /favicon.ico too, for the browsers and
// tools that ask there without reading the page's <link rel="icon">.
//
//go:embed favicon.svg
var faviconSVG []byte

// Limits on what a client may send, in runes.
const (
	MaxNickname = 24
	MaxMessage  = 2000
)

// A User is someone online: one socket of the main namespace. It is the socket's data.
type User struct {
	ID       string `json:"id"`
	Nickname string `json:"nickname"`
}

// A Message is what the server sends with "chat message" after the text (the tutorial's
// single string argument stays first, so a tutorial page keeps working) and with
// "private message".
type Message struct {
	From   string `json:"from"`   // sender's nickname
	FromID string `json:"fromId"` // sender's socket id
	To     string `json:"to,omitempty"`
	ToID   string `json:"toId,omitempty"`
	Text   string `json:"text"`
}

// A Reply answers a client's acknowledgement callback.
type Reply struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	Nickname string `json:"nickname,omitempty"`
	To       *User  `json:"to,omitempty"`
}

// onlineChanged is the server-side event that tells the other servers of a cluster to send
// their clients the online list again.
const onlineChanged = "chat: online changed"

// requestTimeout bounds what a handler waits for the cluster's list of users.
const requestTimeout = 5 * time.Second

// A room is the chat's state on this server. Who is online under which nickname is the sockets'
// data, on every server of the cluster; the room serialises this server's nickname changes and
// its announcements of the online list.
type room struct {
	srv *hub.Server

	mu     sync.Mutex // held from checking a nickname against the list to SetData
	guests int        // guest nicknames handed out here; guarded by mu

	announceMu sync.Mutex
	stale      bool // the list this server's clients last got may be out of date; guarded by announceMu
	announcing bool // an announce goroutine is running; guarded by announceMu
}

// New returns the chat's Socket.IO server, configured by opts (nil means every default; set
// Adapter to share the chat between several servers), and the HTTP handler of the whole app:
// the page at /, its icon at /favicon.svg (and /favicon.ico), the Socket.IO endpoint and the
// browser client at /socket.io/socket.io.js.
// Shutdown or Close the server to stop the chat; the goroutine that sends the online list
// (see announce) exits soon after, once no change is left to announce.
func New(opts *hub.Options) (*hub.Server, http.Handler) {
	srv := hub.New(opts) // serves the browser client at /socket.io/socket.io.js too
	r := &room{srv: srv}
	srv.OnConnection(r.connect)
	srv.Of("/").OnServerSideEmit(func(event string, _ hub.Args) {
		if event == onlineChanged {
			r.announce()
		}
	})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(indexHTML)
	})
	favicon := func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "max-age=86400")
		w.Write(faviconSVG)
	}
	mux.HandleFunc("GET /favicon.svg", favicon)
	mux.HandleFunc("GET /favicon.ico", favicon)
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
	ctx, cancel := context.WithTimeout(s.Context(), requestTimeout)
	defer cancel()
	r.mu.Lock()
	online, err := r.online(ctx)
	if err != nil {
		// A server of the cluster does not answer: better a nickname that may be taken there
		// than no chat.
		log.Printf("chat: %v; the nickname of %s is not checked", err, s.ID())
	}
	name, err := clean(auth.Nickname, MaxNickname)
	if err != nil {
		r.guests++
		name = fmt.Sprintf("Guest %d", r.guests)
	}
	u := User{ID: s.ID(), Nickname: freeNickname(online, name)}
	s.SetData(u)
	r.mu.Unlock()
	s.Emit("welcome", u)
	s.Broadcast().Emit("user joined", u)
	r.changed(ctx)

	// The tutorial's event: a string, broadcast to everyone else (the sender shows its own
	// message at once), with the sender's identity as an extra argument.
	s.On("chat message", func(text string, ack hub.Ack) error {
		text, err := clean(text, MaxMessage)
		if err != nil {
			return ack(Reply{Error: err.Error()})
		}
		from := userOf(s)
		s.Broadcast().Emit("chat message", text, Message{From: from.Nickname, FromID: from.ID, Text: text})
		return ack(Reply{OK: true})
	})

	s.On("set nickname", func(name string, ack hub.Ack) error {
		name, err := clean(name, MaxNickname)
		if err != nil {
			return ack(Reply{Error: err.Error()})
		}
		ctx, cancel := context.WithTimeout(s.Context(), requestTimeout)
		defer cancel()
		r.mu.Lock()
		online, err := r.online(ctx)
		if err != nil {
			r.mu.Unlock()
			return ack(Reply{Error: "cannot tell who is online, try again"})
		}
		u := userOf(s)
		if other, ok := find(online, name); ok && other.ID != u.ID {
			r.mu.Unlock()
			return ack(Reply{Error: fmt.Sprintf("%q is taken", name)})
		}
		old := u.Nickname
		u.Nickname = name
		s.SetData(u)
		r.mu.Unlock()
		if old != name {
			r.srv.Emit("user renamed", map[string]string{"id": u.ID, "from": old, "to": name})
			r.changed(ctx)
		}
		return ack(Reply{OK: true, Nickname: name})
	})

	// "X is typing…": volatile, so a client that cannot take it right now does not get it
	// late. The page sends it again while the user keeps typing.
	s.On("typing", func(typing bool) {
		u := userOf(s)
		s.Broadcast().Volatile().Emit("typing", map[string]any{"id": u.ID, "nickname": u.Nickname, "typing": typing})
	})

	// A private message goes to one user, on any server, named by socket id or nickname.
	s.On("private message", func(to, text string, ack hub.Ack) error {
		text, err := clean(text, MaxMessage)
		if err != nil {
			return ack(Reply{Error: err.Error()})
		}
		ctx, cancel := context.WithTimeout(s.Context(), requestTimeout)
		defer cancel()
		online, err := r.online(ctx)
		if err != nil {
			return ack(Reply{Error: "cannot tell who is online, try again"})
		}
		target, ok := User{}, false
		if i := slices.IndexFunc(online, func(u User) bool { return u.ID == to }); i >= 0 {
			target, ok = online[i], true
		} else {
			target, ok = find(online, to)
		}
		switch {
		case !ok:
			return ack(Reply{Error: fmt.Sprintf("nobody called %q is online", to)})
		case target.ID == s.ID():
			return ack(Reply{Error: "that is you"})
		}
		from := userOf(s)
		s.To(target.ID).Emit("private message", Message{
			From: from.Nickname, FromID: from.ID, To: target.Nickname, ToID: target.ID, Text: text,
		})
		return ack(Reply{OK: true, To: &target})
	})

	// The socket has left its rooms by now: FetchSockets no longer lists it.
	s.OnDisconnect(func(hub.DisconnectReason) {
		r.srv.Emit("user left", userOf(s)) // fails harmlessly once the server is shutting down
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		r.changed(ctx)
	})
}

// userOf returns the user of socket s.
func userOf(s *hub.Socket) User {
	u, _ := s.Data().(User)
	u.ID = s.ID()
	return u
}

// online returns who is online on every server, sorted by nickname. Sockets still connecting,
// whose data is not set yet, are left out.
func (r *room) online(ctx context.Context) ([]User, error) {
	sockets, err := r.srv.FetchSockets(ctx)
	if err != nil {
		return nil, fmt.Errorf("who is online: %w", err)
	}
	list := make([]User, 0, len(sockets))
	for _, rs := range sockets {
		// Another server's socket data arrives decoded from JSON, not as a User.
		u, ok := rs.Data.(User)
		if !ok && rs.Data != nil {
			b, _ := json.Marshal(rs.Data)
			ok = json.Unmarshal(b, &u) == nil && u.Nickname != ""
		}
		if ok {
			u.ID = rs.ID
			list = append(list, u)
		}
	}
	slices.SortFunc(list, func(a, b User) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Nickname), strings.ToLower(b.Nickname)), cmp.Compare(a.ID, b.ID))
	})
	return list, nil
}

// changed announces the online list to this server's clients and tells the other servers to
// announce it to theirs. It blocks until the adapter has sent the news (at once for one
// process).
func (r *room) changed(ctx context.Context) {
	r.announce()
	if err := r.srv.Of("/").ServerSideEmit(ctx, onlineChanged); err != nil {
		log.Printf("chat: telling the other servers: %v", err)
	}
}

// announce sends this server's clients the online list, from a goroutine of its own: it never
// blocks, so it may run on the adapter's goroutine, which answers FetchSockets. The lists go
// out one at a time, each fetched after the changes announced before it started, so the last
// list a client gets is up to date.
func (r *room) announce() {
	r.announceMu.Lock()
	defer r.announceMu.Unlock()
	r.stale = true
	if r.announcing {
		return // the running goroutine fetches the list again
	}
	r.announcing = true
	go func() {
		for {
			r.announceMu.Lock()
			if !r.stale {
				r.announcing = false
				r.announceMu.Unlock()
				return
			}
			r.stale = false
			r.announceMu.Unlock()

			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			list, err := r.online(ctx)
			cancel()
			if err != nil {
				log.Printf("chat: %v", err)
				continue
			}
			r.srv.Local().Emit("online", list) // fails harmlessly once the server is shutting down
		}
	}()
}

// find returns the user of list whose nickname is name, ignoring case.
func find(list []User, name string) (User, bool) {
	i := slices.IndexFunc(list, func(u User) bool { return strings.EqualFold(u.Nickname, name) })
	if i < 0 {
		return User{}, false
	}
	return list[i], true
}

// freeNickname returns name, or name with a suffix if someone in list has it.
func freeNickname(list []User, name string) string {
	for i, n := 2, name; ; i++ {
		if _, taken := find(list, n); !taken {
			return n
		}
		n = fmt.Sprintf("%s (%d)", name, i)
	}
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
