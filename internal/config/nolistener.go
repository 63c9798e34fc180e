package config

import (
	"errors"
	"strings"
)

// NoListener is HAProxy's verdict on a configuration that has no error
// but would accept nothing; `baton -c` prints it and exits 2, as
// `haproxy -c` does.
const NoListener = "Configuration file has no error but will not start (no listener) => exit(2)."

// ErrNoListener is returned by CheckListeners. A reload with such a
// configuration would close every listening socket: a file caught
// half-written (only its global and defaults sections) looks like this.
var ErrNoListener = errors.New("configuration has no error but will not start (no listener): no frontend or listen section has a bind line and global has no stats socket")

// HasListener reports whether c accepts connections: a frontend or
// listen section with a bind line, or a stats socket (HAProxy counts its
// CLI as a listener too, so Debian's stock file with only a stats socket
// is valid).
func (c *Config) HasListener() bool {
	if len(c.Global.StatsSockets) > 0 {
		return true
	}
	for _, p := range c.Frontends() {
		if len(p.Binds) > 0 {
			return true
		}
	}
	return false
}

// CheckListeners returns ErrNoListener, naming the files, when c has no
// listener.
func CheckListeners(c *Config, files []string) error {
	if c.HasListener() {
		return nil
	}
	return &noListenerError{files: files}
}

type noListenerError struct{ files []string }

func (e *noListenerError) Error() string {
	return strings.Join(e.files, ", ") + ": " + ErrNoListener.Error()
}

func (e *noListenerError) Unwrap() error { return ErrNoListener }
