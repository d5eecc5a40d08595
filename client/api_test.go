package client_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubkit/hub/client"
)

// newIdle returns a socket of a Manager that never connects (nothing is asked to connect).
func newIdle(t *testing.T, opts *client.Options) *client.Socket {
	t.Helper()
	m, err := client.NewManager("http://127.0.0.1:1", opts)
	must(t, err)
	t.Cleanup(func() { m.Close() })
	return m.Socket("/", nil)
}

func TestBufferBound(t *testing.T) {
	t.Parallel()
	s := newIdle(t, &client.Options{SendQueue: 3})
	for i := range 3 {
		if err := s.Emit("x", i); err != nil {
			t.Fatalf("emit %d: %v", i, err)
		}
	}
	if err := s.Emit("x", 3); !errors.Is(err, client.ErrQueueFull) {
		t.Fatalf("emit past the bound: %v; want ErrQueueFull", err)
	}
	// A volatile emit is dropped while disconnected, without error.
	if err := s.EmitVolatile("x", 4); err != nil {
		t.Fatalf("EmitVolatile: %v", err)
	}
}

func TestEmitErrors(t *testing.T) {
	t.Parallel()
	s := newIdle(t, nil)
	for _, ev := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		if err := s.Emit(ev); !errors.Is(err, client.ErrReservedEvent) {
			t.Errorf("Emit(%q): %v; want ErrReservedEvent", ev, err)
		}
	}
	if err := s.Emit("x", make(chan int)); err == nil || !strings.HasPrefix(err.Error(), `client: emit "x": `) {
		t.Errorf("Emit of a channel: %v", err)
	}
	must(t, s.Close())
	if err := s.Emit("x"); !errors.Is(err, client.ErrClosed) {
		t.Errorf("Emit after Close: %v; want ErrClosed", err)
	}
}

// otherString is a string type a "disconnect" handler may not take.
type otherString string

func TestOnRejectsBadHandlers(t *testing.T) {
	t.Parallel()
	s := newIdle(t, nil)
	for name, h := range map[string]struct {
		event   string
		handler any
	}{
		"not a func":              {"x", 42},
		"nil func":                {"x", (func())(nil)},
		"returns int":             {"x", func() int { return 0 }},
		"connect with argument":   {"connect", func(string) {}},
		"disconnect with int":     {"disconnect", func(int) {}},
		"disconnect other string": {"disconnect", func(otherString) {}},
		"connect_error string":    {"connect_error", func(string) {}},
		"disconnect returns err":  {"disconnect", func(string) error { return nil }},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("On(%q, %T) did not panic", h.event, h.handler)
				}
			}()
			s.On(h.event, h.handler)
		})
	}
	// These are fine.
	s.On("connect", func() {})
	s.On("disconnect", func(reason string) {})
	s.On("disconnect", func(reason client.DisconnectReason) {})
	s.On("connect_error", func(err error) {})
	s.On("x", func(a int, b ...string) error { return nil })
	s.On("x", func(ack func(...any)) {})
	s.On("x", func(a string, ack client.AckFunc) {})
}

func TestNewManagerErrors(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"ftp://x", "http://", "://bad"} {
		if _, err := client.NewManager(u, nil); err == nil || !strings.HasPrefix(err.Error(), "client: ") {
			t.Errorf("NewManager(%q): %v", u, err)
		}
	}
	if _, err := client.NewManager("http://x", &client.Options{Transports: []string{"carrier-pigeon"}}); err == nil {
		t.Error("unknown transport accepted")
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	s := time.Second
	got := client.BackoffDurations(s, 5*s, 0, 6)
	if want := []time.Duration{s, 2 * s, 4 * s, 5 * s, 5 * s, 5 * s}; !slices.Equal(got, want) {
		t.Errorf("without jitter: %v; want %v", got, want)
	}
	// With jitter f, delay d lies in [d(1-f), min(d(1+f), max)], and varies.
	seen := map[time.Duration]bool{}
	for range 50 {
		for i, d := range client.BackoffDurations(s, 5*s, 0.5, 4) {
			base := s << i
			lo, hi := base/2, min(base+base/2, 5*s)
			if d < lo || d > hi {
				t.Fatalf("attempt %d: %v outside [%v, %v]", i, d, lo, hi)
			}
			if i == 0 {
				seen[d] = true
			}
		}
	}
	if len(seen) < 10 {
		t.Errorf("first delays took only %d values in 50 draws: no jitter?", len(seen))
	}
	// Many attempts neither overflow nor pass the cap.
	for _, d := range client.BackoffDurations(s, 5*s, 0.5, 200) {
		if d <= 0 || d > 5*s {
			t.Fatalf("delay %v", d)
		}
	}
}
