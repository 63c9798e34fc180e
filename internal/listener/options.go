package listener

import (
	"fmt"
	"net"
	"syscall"

	"baton/internal/sockopt"
)

// listenConfig applies the options that must precede bind(2)
// (interface, transparent, v6only) through a Control hook.
func listenConfig(o sockopt.Listen) *net.ListenConfig {
	lc := &net.ListenConfig{}
	if o.Device != "" || o.Transparent || o.V6Only != 0 {
		lc.Control = func(network, address string, c syscall.RawConn) error {
			var err error
			cerr := c.Control(func(fd uintptr) { err = o.BeforeBind(int(fd), network == "tcp6") })
			if cerr != nil {
				return cerr
			}
			return err
		}
	}
	return lc
}

// Reapply brings a kept listening socket to o at a reload: the options
// a listening socket may change (defer-accept, tfo, backlog) are set
// again; a change of those fixed when it was bound (interface,
// transparent, v4v6/v6only) is an error, since it needs the address
// bound anew.
func (l *Listener) Reapply(o sockopt.Listen) error {
	old := l.opts
	if o.Device != old.Device || o.Transparent != old.Transparent || o.V6Only != old.V6Only {
		return fmt.Errorf("bind %s: interface, transparent, v4v6 and v6only are set when an address is bound, and this one stays bound across reloads: remove the address, reload, then add it back with the new options", l.Name)
	}
	if o == old {
		return nil
	}
	fd := int(l.file.Fd()) // never polled: Fd leaves the mode alone
	_, unix := l.addr.(*net.UnixAddr)
	if err := afterListen(o, fd, unix); err != nil {
		return fmt.Errorf("bind %s: %w", l.Name, err)
	}
	l.opts = o
	return nil
}

// afterListen applies o to a listening socket: on a UNIX socket only the
// backlog, the TCP options (defer-accept, tfo) having no meaning there.
func afterListen(o sockopt.Listen, fd int, unix bool) error {
	if !unix {
		return o.AfterListen(fd)
	}
	if o.Backlog > 0 {
		if err := syscall.Listen(fd, o.Backlog); err != nil {
			return fmt.Errorf("backlog: %w", err)
		}
	}
	return nil
}
