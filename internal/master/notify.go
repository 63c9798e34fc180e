package master

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// sdNotify sends state to systemd's notification socket ($NOTIFY_SOCKET)
// when there is one. A leading '@' names an abstract socket.
func sdNotify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify %q: %w", state, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify %q: %w", state, err)
	}
	return nil
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds, as systemd wants in
// RELOADING=1 (Type=notify-reload checks it against its own clock).
func monotonicUsec() int64 {
	var ts syscall.Timespec
	// CLOCK_MONOTONIC is 1 on Linux.
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return time.Now().UnixMicro()
	}
	return ts.Sec*1e6 + ts.Nsec/1e3
}

func notifyReloading() string {
	return fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", monotonicUsec())
}
