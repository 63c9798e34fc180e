package sockopt

import (
	"fmt"
	"syscall"
)

// Linux constants the syscall package lacks.
const (
	tcpFastOpen        = 23 // TCP_FASTOPEN
	tcpFastOpenConnect = 30 // TCP_FASTOPEN_CONNECT
	ipTransparent      = 19 // IP_TRANSPARENT
	ipv6Transparent    = 75 // IPV6_TRANSPARENT
)

// Control returns a net.Dialer Control function applying d, or nil when
// d asks for nothing.
func (d Dial) Control() func(network, address string, c syscall.RawConn) error {
	if d == (Dial{}) {
		return nil
	}
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = d.apply(int(fd), network)
		})
		if err != nil {
			return err
		}
		return serr
	}
}

func (d Dial) apply(fd int, network string) error {
	if d.Device != "" {
		if err := syscall.BindToDevice(fd, d.Device); err != nil {
			return fmt.Errorf("bind to interface %s: %w", d.Device, err)
		}
	}
	if d.Transparent {
		var err error
		if network == "tcp6" {
			err = syscall.SetsockoptInt(fd, syscall.SOL_IPV6, ipv6Transparent, 1)
		} else {
			err = syscall.SetsockoptInt(fd, syscall.SOL_IP, ipTransparent, 1)
		}
		if err != nil {
			return fmt.Errorf("IP_TRANSPARENT: %w (needs root or CAP_NET_ADMIN)", err)
		}
	}
	if d.FastOpen {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, tcpFastOpenConnect, 1); err != nil {
			return fmt.Errorf("TCP_FASTOPEN_CONNECT: %w", err)
		}
	}
	return nil
}

// BeforeBind applies the options that must precede bind(2).
func (l Listen) BeforeBind(fd int, ipv6 bool) error {
	if l.Device != "" {
		if err := syscall.BindToDevice(fd, l.Device); err != nil {
			return fmt.Errorf("interface %s: %w", l.Device, err)
		}
	}
	if l.Transparent {
		lvl, opt := syscall.SOL_IP, ipTransparent
		if ipv6 {
			lvl, opt = syscall.SOL_IPV6, ipv6Transparent
		}
		if err := syscall.SetsockoptInt(fd, lvl, opt, 1); err != nil {
			return fmt.Errorf("transparent: %w (needs root or CAP_NET_ADMIN)", err)
		}
	}
	if ipv6 && l.V6Only != 0 {
		v := 0
		if l.V6Only > 0 {
			v = 1
		}
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, v); err != nil {
			return fmt.Errorf("v6only: %w", err)
		}
	}
	return nil
}

// AfterListen applies the options a listening socket may change at any
// time; a reload applies them again to a kept socket.
func (l Listen) AfterListen(fd int) error {
	v := 0
	if l.DeferAccept {
		v = 1 // seconds: the kernel rounds up to its retransmission steps
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT, v); err != nil {
		return fmt.Errorf("defer-accept: %w", err)
	}
	if l.FastOpen {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, tcpFastOpen, 256); err != nil {
			return fmt.Errorf("tfo: %w", err)
		}
	} else {
		// Off (again, after a reload removed it); a kernel without TCP
		// Fast Open refuses, which is off too.
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, tcpFastOpen, 0)
	}
	backlog := l.Backlog
	if backlog <= 0 {
		backlog = syscall.SOMAXCONN
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return fmt.Errorf("backlog: %w", err)
	}
	return nil
}
