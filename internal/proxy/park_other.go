//go:build !linux

package proxy

// Without epoll, idle connections wait in their own goroutine.
type idlePoller struct{}

type pollReg struct{}

func idlePollerFor() *idlePoller { return nil }

func (p *idlePoller) schedule(dl int64) {}

func (p *idlePoller) arm(cc *clientConn, fd int) error { return errNoPoller }

func (cc *clientConn) unpoll()     {}
func (cc *clientConn) forgetPoll() {}
