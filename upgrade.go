package hub

// OnUpgrade registers fn to run when the client's connection moves to another transport —
// from HTTP long-polling (or SSE) to a WebSocket — with the new transport's name (Node's
// socket.conn.on("upgrade")). The connection is shared by the client's sockets in every
// namespace: each socket connected at the time has its fns run. A connection upgrades once
// at most, and usually within moments of its first socket's connection: a socket that
// connects later is not told (its Transport says where it is). fn runs on the socket's
// handler goroutine, like the event handlers, after the events that came on the old
// transport and before those that come on the new one; a panic in it is recovered and
// logged.
func (s *Socket) OnUpgrade(fn func(transport string)) {
	s.mu.Lock()
	s.onUpgrade = append(s.onUpgrade, fn)
	s.mu.Unlock()
}

// upgraded runs the socket's upgrade handlers; on the handler goroutine.
func (s *Socket) upgraded(name string) {
	s.mu.Lock()
	fns := s.onUpgrade
	s.mu.Unlock()
	for _, fn := range fns {
		s.safely("upgrade", func() error { fn(name); return nil })
	}
}

// Upgraded is told by the engine that the session moved to transport name (engine.Upgrader):
// the connected sockets' upgrade handlers run on the handler goroutine, in order with the
// events.
func (c *conn) Upgraded(name string) {
	if c.srv.obs != nil {
		c.srv.obs.upgraded(c.tr.get(), name)
		c.tr.set(name)
	}
	c.push(0, func() {
		for _, s := range c.connected() {
			s.upgraded(name)
		}
	}, true)
}
