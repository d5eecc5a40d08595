package client

import "time"

// ConnectWaiters returns how many Connect calls wait for s to connect (for tests that must
// act only once a Connect has begun).
func ConnectWaiters(s *Socket) int {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return len(s.waiters)
}

// BackoffDurations returns the first n reconnection delays for the given settings.
func BackoffDurations(min, max time.Duration, jitter float64, n int) []time.Duration {
	b := backoff{min: min, max: max, jitter: jitter}
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = b.duration()
	}
	return out
}

// SetAfterProbe makes the client call f on its upgrade goroutine once a WebSocket probe has
// succeeded, before the old transport is paused and the session moves to the WebSocket.
func SetAfterProbe(o *Options, f func()) { o.afterProbe = f }
