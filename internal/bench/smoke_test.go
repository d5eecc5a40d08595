package bench_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/bench"
	"github.com/hubkit/hub/internal/leakcheck"
	"github.com/hubkit/hub/internal/testenv"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestSmoke runs every scenario of the harness tiny against hub and the Node reference
// server, as `hubbench -smoke` does, and fails on any protocol error. Without node and
// js/node_modules it runs against hub only.
func TestSmoke(t *testing.T) {
	root, err := bench.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	targets := []string{"hub", "node"}
	if _, err := testenv.LookNode("socket.io"); err != nil {
		if testenv.Required() {
			t.Fatal(err)
		}
		t.Logf("%v: hub only", err)
		targets = targets[:1]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var log strings.Builder
	rep, err := bench.Run(ctx, bench.RunOptions{Root: root, Scale: bench.SmokeScale, Targets: targets, Log: &log})
	if err == nil {
		err = rep.Err()
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	var table strings.Builder
	rep.WriteTable(&table)
	t.Logf("\n%s", table.String())
	for _, step := range bench.Steps(bench.SmokeScale) {
		for _, name := range targets {
			if step.Targets != nil && !slices.Contains(step.Targets, name) {
				continue
			}
			r, ok := rep.Results[step.Key][name]
			if !ok || r.Count == 0 {
				t.Errorf("%s on %s: nothing measured", step.Key, name)
			}
		}
	}
}
