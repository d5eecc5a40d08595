package hub

// Test hooks: internal state the black-box tests check.

// PendingAcks returns how many acknowledgements the server awaits from s.
func PendingAcks(s *Socket) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acks)
}
