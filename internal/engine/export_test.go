package engine

// Parked reports whether a request is waiting in Pull on the session's current transport.
func (s *Session) Parked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pulling.has(s.transport)
}
