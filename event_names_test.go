package hub_test

import (
	"encoding/json"
	"testing"

	"github.com/hubkit/hub"
)

// numericEventNames are the names of events whose name is a JSON number, as both ends name
// them: as JavaScript's String(n) does (the Node server uses the number as a property key).
// client's TestEndsNumericEventNames has the same table: keep them in step.
var numericEventNames = []struct{ wire, name string }{
	{`1`, "1"},
	{`1.50`, "1.5"},
	{`-0`, "0"},
	{`1e3`, "1000"},
	{`1e21`, "1e+21"},
	{`1.5e-7`, "1.5e-7"},
	{`"7"`, "7"},
}

// TestNumericEventNames: the server names an event a client sent with a number as the client
// names one the server sent.
func TestNumericEventNames(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	got := make(chan string, len(numericEventNames))
	srv.OnConnection(func(s *hub.Socket) {
		s.OnAny(func(event string, args hub.Args) {
			var wire string
			args.Decode(0, &wire)
			got <- wire + " " + event
		})
	})
	c := dial(t, url, "")
	c.connect("/", "")
	for _, n := range numericEventNames {
		wire, _ := json.Marshal(n.wire)
		c.send(`42[` + n.wire + `,` + string(wire) + `]`)
	}
	for _, n := range numericEventNames {
		equal(t, "event ["+n.wire+", …]", recv(t, got), n.wire+" "+n.name)
	}
}
