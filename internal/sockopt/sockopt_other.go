//go:build !linux

package sockopt

import (
	"errors"
	"syscall"
)

var errUnsupported = errors.New("socket option not supported on this system")

// Control returns a Control function that refuses every option: only
// Linux applies them.
func (d Dial) Control() func(network, address string, c syscall.RawConn) error {
	if d == (Dial{}) {
		return nil
	}
	return func(string, string, syscall.RawConn) error { return errUnsupported }
}

// BeforeBind refuses the options that need Linux.
func (l Listen) BeforeBind(fd int, ipv6 bool) error {
	if l.Device != "" || l.Transparent {
		return errUnsupported
	}
	return nil
}

// AfterListen does nothing outside Linux.
func (l Listen) AfterListen(fd int) error { return nil }
