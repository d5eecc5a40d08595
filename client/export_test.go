package client

// ConnectWaiters returns how many Connect calls wait for s to connect (for tests that must
// act only once a Connect has begun).
func ConnectWaiters(s *Socket) int {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return len(s.waiters)
}
