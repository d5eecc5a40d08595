package hub_test

import (
	"log/slog"
	"regexp"
	"testing"

	"github.com/hubkit/hub"
)

// A socket's life as the namespace's room change handlers see it: its own room and a room it
// joins and leaves, created and deleted around it, as Node's adapter events.
func TestOnRoomChange(t *testing.T) {
	t.Parallel()
	logs := make(logRecorder, 64)
	srv, url := newServer(t, &hub.Options{Logger: slog.New(logs)})
	changes := make(chan string, 32)
	srv.Of("/").OnRoomChange(func(event, room, id string) { changes <- event + " " + room + " " + id })
	srv.Of("/").OnRoomChange(func(event, room, id string) { panic("room handler bug") })
	sockets := make(chan *hub.Socket, 1)
	srv.OnConnection(func(s *hub.Socket) {
		s.Join("x")
		s.Leave("x")
		sockets <- s
	})
	c := dial(t, url, "")
	c.connect("/", "")
	s := recv(t, sockets)
	id := s.ID()
	c.close()
	want := []string{
		"create-room " + id + " ", "join-room " + id + " " + id,
		"create-room x ", "join-room x " + id, "leave-room x " + id, "delete-room x ",
		"leave-room " + id + " " + id, "delete-room " + id + " ",
	}
	for i, w := range want {
		if got := recv(t, changes); got != w {
			t.Fatalf("change %d: %q; want %q", i, got, w)
		}
	}
	for msg := ""; msg != "hub: panic in a room change handler"; {
		msg = recv(t, (<-chan string)(logs))
	}
}

// A dynamic parent's handlers are told of the changes in its children.
func TestOnRoomChangeDynamicParent(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	parent := srv.OfPattern(regexp.MustCompile(`^/d-[0-9]+$`))
	changes := make(chan string, 32)
	parent.OnRoomChange(func(event, room, id string) {
		if room == "y" {
			changes <- event
		}
	})
	parent.OnConnection(func(s *hub.Socket) { s.Join("y") })
	c := dial(t, url, "")
	c.connect("/d-7", "")
	equal(t, "first change", recv(t, changes), "create-room")
	equal(t, "second change", recv(t, changes), "join-room")
}

// New namespaces are told, by Of and as dynamic children, the main one and parents not.
func TestOnNewNamespace(t *testing.T) {
	t.Parallel()
	logs := make(logRecorder, 16)
	srv, url := newServer(t, &hub.Options{Logger: slog.New(logs)})
	made := make(chan string, 8)
	srv.OnNewNamespace(func(ns *hub.Namespace) { made <- ns.Name() })
	srv.OnNewNamespace(func(ns *hub.Namespace) { panic("new namespace bug") })
	srv.OnNewNamespace(func(ns *hub.Namespace) {
		ns.OnConnection(func(s *hub.Socket) { s.Emit("hello", ns.Name()) }) // handlers set here apply
	})
	srv.OfPattern(regexp.MustCompile(`^/d-[0-9]+$`)) // a parent: not told
	srv.Of("/admin")
	srv.Of("/admin") // exists: not told again
	equal(t, "made by Of", recv(t, made), "/admin")
	c := dial(t, url, "")
	c.connect("/d-3", "")
	equal(t, "made as a child", recv(t, made), "/d-3")
	c.expect(`42/d-3,["hello","/d-3"]`)
	select {
	case name := <-made:
		t.Errorf("told of %q too", name)
	default:
	}
	for msg := ""; msg != "hub: panic in a new namespace handler"; {
		msg = recv(t, (<-chan string)(logs))
	}
}
