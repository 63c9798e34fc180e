package listener

import (
	"net"
	"reflect"
	"time"
	"unsafe"
)

// tcpListenerConfig is the byte offset of net.TCPListener's ListenConfig
// field, or -1 when this toolchain's net package is not laid out as
// expected (then accepted connections keep Go's defaults).
var tcpListenerConfig = func() uintptr {
	t := reflect.TypeFor[net.TCPListener]()
	for i := range t.NumField() {
		if f := t.Field(i); f.Type == reflect.TypeFor[net.ListenConfig]() {
			return f.Offset
		}
	}
	return ^uintptr(0)
}()

// disableAcceptKeepAlive stops Go from turning TCP keep-alive probes on
// for each connection ln accepts. A listener rebuilt from a descriptor
// (net.FileListener) has a zero ListenConfig, which Go reads as "probes
// every 15 s": four setsockopt calls per accepted connection, and probes
// HAProxy only sends with "option clitcpka" (which the proxy then sets on
// the connection itself). Go offers no setter for an inherited listener,
// so the field is found by reflection and set once, before any Accept.
func disableAcceptKeepAlive(ln net.Listener) bool {
	tl, ok := ln.(*net.TCPListener)
	if !ok || tcpListenerConfig == ^uintptr(0) {
		return false
	}
	lc := (*net.ListenConfig)(unsafe.Add(unsafe.Pointer(tl), tcpListenerConfig))
	lc.KeepAlive = -1 * time.Second
	return true
}
