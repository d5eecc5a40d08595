package hub_test

import (
	"reflect"
	"testing"

	"github.com/hubkit/hub"
)

// The Server's and Namespace's broadcast methods are Node's shorthands (io.emit, nsp.to…)
// for an operator over the main namespace or the namespace: they must stay exactly the
// operator's, name and signature, so that there is one broadcast API to learn. Likewise
// the Server's namespace methods are the main namespace's (io.use, io.on("connection")…).
func TestShorthandsMirror(t *testing.T) {
	mirror := func(from, to reflect.Type, names []string) {
		t.Helper()
		for _, name := range names {
			want, ok := from.MethodByName(name)
			if !ok {
				t.Errorf("%v has no method %s", from, name)
				continue
			}
			got, ok := to.MethodByName(name)
			if !ok {
				t.Errorf("%v has no shorthand %s of %v's", to, name, from)
				continue
			}
			// Compare without the receiver.
			w, g := want.Type, got.Type
			same := w.NumIn() == g.NumIn() && w.NumOut() == g.NumOut() && w.IsVariadic() == g.IsVariadic()
			for i := 1; same && i < w.NumIn(); i++ {
				same = w.In(i) == g.In(i)
			}
			for i := 0; same && i < w.NumOut(); i++ {
				same = w.Out(i) == g.Out(i)
			}
			if !same {
				t.Errorf("%v.%s is %v; want %v's %v", to, name, g, from, w)
			}
		}
	}
	op := reflect.TypeFor[hub.BroadcastOperator]()
	var ops []string
	for i := range op.NumMethod() {
		ops = append(ops, op.Method(i).Name)
	}
	if len(ops) == 0 {
		t.Fatal("BroadcastOperator has no methods")
	}
	ns, srv := reflect.TypeFor[*hub.Namespace](), reflect.TypeFor[*hub.Server]()
	mirror(op, ns, ops)
	mirror(op, srv, ops)
	mirror(ns, srv, []string{"Use", "OnConnection", "OnServerSideEmit", "OnServerSideEmitWithAck", "ServerSideEmit", "ServerSideEmitWithAck"})
}
