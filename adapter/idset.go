package adapter

import "iter"

// idSet is a set of strings that needs no map while it has at most one member — a socket's
// own room, and the room list of a socket that joined nothing else. A Go map is a few hundred
// bytes; two of them per connection were a tenth of an idle connection's memory.
type idSet struct {
	one  string              // the member while there is one and many is nil
	has1 bool                // one is set
	many map[string]struct{} // the members, once there were two at a time
}

func (s *idSet) has(x string) bool {
	if s.many != nil {
		_, ok := s.many[x]
		return ok
	}
	return s.has1 && s.one == x
}

func (s *idSet) add(x string) {
	switch {
	case s.many != nil:
		s.many[x] = struct{}{}
	case !s.has1:
		s.one, s.has1 = x, true
	case s.one != x:
		s.many = map[string]struct{}{s.one: {}, x: {}}
		s.one, s.has1 = "", false
	}
}

func (s *idSet) del(x string) {
	if s.many != nil {
		delete(s.many, x)
		return
	}
	if s.has1 && s.one == x {
		s.one, s.has1 = "", false
	}
}

func (s *idSet) len() int {
	if s.many != nil {
		return len(s.many)
	}
	if s.has1 {
		return 1
	}
	return 0
}

// all yields the members, in no particular order. The set must not change meanwhile.
func (s *idSet) all() iter.Seq[string] {
	return func(yield func(string) bool) {
		if s.many == nil {
			if s.has1 {
				yield(s.one)
			}
			return
		}
		for x := range s.many {
			if !yield(x) {
				return
			}
		}
	}
}
