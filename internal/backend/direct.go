package backend

// Requests a rule sends to a named server (use-server) bypass the balance
// algorithm.

// ServerByName returns the server named name, or nil.
func (b *Backend) ServerByName(name []byte) *Server {
	for _, s := range b.Servers {
		if s.Name == string(name) {
			return s
		}
	}
	return nil
}

// TakeServer takes a connection slot on s for a use-server rule: the
// server must be in service (ready or draining: a rule, like persistence,
// still reaches a draining server, and its weight does not matter) and
// healthy, unless force (a force-persist rule held), and below its
// maxconn. It reports whether the slot was taken; Release gives it back.
func (b *Backend) TakeServer(s *Server, force bool) bool {
	if st := s.State(); st != Ready && st != Drain {
		return false
	}
	if !s.Healthy() && !force {
		return false
	}
	return s.tryTake()
}

// UsableServers counts the servers load balancing may pick.
func (b *Backend) UsableServers() int {
	n := 0
	for _, s := range b.Servers {
		if s.Usable() {
			n++
		}
	}
	return n
}
