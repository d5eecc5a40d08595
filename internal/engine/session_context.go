package engine

import (
	"context"
	"time"
)

// sessionContext is a Session seen as its context.Context: done once the session has
// finished. It implements AfterFunc itself — the context package uses that method for
// context.AfterFunc and for contexts derived from it — so that a session needs no cancelCtx
// of its own, and a transport's context.AfterFunc (the WebSocket's close on session end)
// needs no child registration in one: a few hundred bytes per connection.
type sessionContext Session

func (c *sessionContext) Deadline() (time.Time, bool) { return time.Time{}, false }

// Value looks key up in the handshake request's context. (Its cancellation is not the
// session's: context.WithoutCancel hides it, the context package's lookups included.)
func (c *sessionContext) Value(key any) any {
	if c.values == nil {
		return nil
	}
	return c.values.Value(key)
}

func (c *sessionContext) Done() <-chan struct{} {
	s := (*Session)(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doneChan()
}

func (c *sessionContext) Err() error {
	s := (*Session)(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == stateClosed {
		return context.Canceled
	}
	return nil
}

// closedChan is the Done of a session that finished before anyone asked for it.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// doneChan returns the session's Done channel, made on first use: most sessions are never
// asked for it (a WebSocket's end is an AfterFunc). s.mu must be held.
func (s *Session) doneChan() chan struct{} {
	if s.done == nil {
		if s.state == stateClosed {
			return closedChan
		}
		s.done = make(chan struct{})
	}
	return s.done
}

// afterFunc is one AfterFunc registration; f is nil once it ran or was stopped.
type afterFunc struct{ f func() }

// AfterFunc arranges for f to be called once the session has finished, from the goroutine
// that finishes it — f must not block (the context package's callbacks start their own
// goroutines) — or in a goroutine of its own if the session has finished already. stop
// unregisters f; it reports whether it did so before f was called.
func (c *sessionContext) AfterFunc(f func()) (stop func() bool) {
	s := (*Session)(c)
	s.mu.Lock()
	if s.state == stateClosed {
		s.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f: f}
	s.afters = append(s.afters, a)
	s.mu.Unlock()
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if a.f == nil {
			return false
		}
		a.f = nil
		for i, b := range s.afters {
			if b == a {
				s.afters = append(s.afters[:i], s.afters[i+1:]...)
				break
			}
		}
		return true
	}
}

// takeAfters returns the registered funcs, marking them called. s.mu must be held.
func (s *Session) takeAfters() []func() {
	fs := make([]func(), 0, len(s.afters))
	for _, a := range s.afters {
		if a.f != nil {
			fs = append(fs, a.f)
			a.f = nil
		}
	}
	s.afters = nil
	return fs
}
