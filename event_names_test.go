package hub_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/hubkit/hub"
)

// TestNumericEventNames: the server names an event a client sent with a number as the client
// names one the server sent (client's TestEndsNumericEventNames reads the same table): as
// JavaScript's String(n) does, the Node server using the number as a property key.
func TestNumericEventNames(t *testing.T) {
	t.Parallel()
	var names [][2]string // wire form, name
	b, err := os.ReadFile("socketio/testdata/numeric_event_names.json")
	if err == nil {
		err = json.Unmarshal(b, &names)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv, url := newServer(t, nil)
	got := make(chan string, len(names))
	srv.OnConnection(func(s *hub.Socket) {
		s.OnAny(func(event string, args hub.Args) {
			var wire string
			args.Decode(0, &wire)
			got <- wire + " " + event
		})
	})
	c := dial(t, url, "")
	c.connect("/", "")
	for _, n := range names {
		wire, _ := json.Marshal(n[0])
		c.send(`42[` + n[0] + `,` + string(wire) + `]`)
	}
	for _, n := range names {
		equal(t, "event ["+n[0]+", …]", recv(t, got), n[0]+" "+n[1])
	}
}
