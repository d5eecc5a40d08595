package hub

// Test hooks: internal state the black-box tests check.

// PendingAcks returns how many acknowledgements the server awaits from s.
func PendingAcks(s *Socket) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acks)
}

// Namespaces returns how many namespaces srv holds (dynamic parents aside), and how many
// children parent has.
func Namespaces(srv *Server, parent *Namespace) (all, children int) {
	srv.mu.RLock()
	all = len(srv.nsps)
	srv.mu.RUnlock()
	return all, len(parent.childList())
}

// HasChild reports whether child is one of parent's children and the server's namespace of
// its name.
func HasChild(parent, child *Namespace) bool {
	srv := parent.srv
	srv.mu.RLock()
	ok := srv.nsps[child.name] == child
	srv.mu.RUnlock()
	for _, c := range parent.childList() {
		if c == child {
			return ok
		}
	}
	return false
}
