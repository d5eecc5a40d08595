package adapter

import (
	"slices"
	"testing"
)

// TestIDSet walks an idSet through its one-member and map forms against a plain map.
func TestIDSet(t *testing.T) {
	var s idSet
	want := map[string]bool{}
	check := func(step string) {
		t.Helper()
		if s.len() != len(want) {
			t.Fatalf("%s: len %d; want %d", step, s.len(), len(want))
		}
		var got []string
		for x := range s.all() {
			got = append(got, x)
			if !s.has(x) {
				t.Fatalf("%s: all yields %q, has says no", step, x)
			}
		}
		var exp []string
		for x := range want {
			exp = append(exp, x)
		}
		slices.Sort(got)
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			t.Fatalf("%s: members %q; want %q", step, got, exp)
		}
		if s.has("absent") {
			t.Fatalf("%s: has(absent)", step)
		}
	}
	check("empty")
	for _, op := range []struct {
		add bool
		x   string
	}{
		{true, "a"}, {true, "a"}, {false, "b"}, {false, "a"}, {true, ""}, {false, ""},
		{true, "a"}, {true, "b"}, {true, "c"}, {false, "a"}, {false, "b"}, {false, "c"}, {true, "d"},
	} {
		if op.add {
			s.add(op.x)
			want[op.x] = true
		} else {
			s.del(op.x)
			delete(want, op.x)
		}
		check(map[bool]string{true: "add ", false: "del "}[op.add] + op.x)
	}
}
