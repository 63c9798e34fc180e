package procenv

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"baton/internal/config"
)

// Settings are what Apply changes. The zero value changes nothing.
type Settings struct {
	// Threads is GOMAXPROCS; 0 leaves Go's default (one per CPU).
	Threads int
	// NoFile is how many files the worker must be able to open: the soft
	// RLIMIT_NOFILE is raised to it when lower, never above the hard
	// limit and never lowered (HAProxy 2.6 does the same; Go already
	// raises the soft limit to the hard one). 0 checks nothing.
	NoFile uint64
	// StrictLimits makes a failure to set NoFile an error; otherwise it
	// is a warning.
	StrictLimits bool
	// Chroot is the new root directory; "" means none.
	Chroot string
	// UID and GID are switched to when HasUID/HasGID.
	UID, GID       int
	HasUID, HasGID bool
}

// fdsPerConn is how many descriptors a proxied connection may hold
// (client and server); fdReserve covers listeners, channels, health
// checks and logs. They size the open-files limit for maxconn when
// ulimit-n is not set.
const (
	fdsPerConn = 2
	fdReserve  = 200
)

// FromConfig derives the settings of a worker from the global section.
func FromConfig(g *config.Global) Settings {
	p := &g.Process
	s := Settings{
		Threads:      g.NbThread,
		StrictLimits: !p.NoStrictLimits,
		Chroot:       p.Chroot,
		UID:          p.UID, GID: p.GID, HasUID: p.HasUID, HasGID: p.HasGID,
	}
	switch {
	case p.UlimitN > 0:
		s.NoFile = uint64(p.UlimitN)
	case g.MaxConn > 0:
		s.NoFile = uint64(fdsPerConn*g.MaxConn + fdReserve)
	}
	return s
}

// Apply changes the calling process as Settings say (see the package
// documentation for the order). Non-fatal problems come back as warnings.
// It is meant for a worker about to serve: a chroot and a uid change
// cannot be undone.
func Apply(s Settings) (warnings []string, err error) {
	if s.Threads > 0 {
		runtime.GOMAXPROCS(s.Threads)
	}
	if s.NoFile > 0 {
		if err := raiseNoFile(s.NoFile); err != nil {
			if s.StrictLimits {
				return warnings, fmt.Errorf("%v (strict-limits; \"no strict-limits\" makes this a warning)", err)
			}
			warnings = append(warnings, err.Error())
		}
	}
	if s.Chroot != "" {
		// time.Local is read from /etc/localtime on first use; load it
		// while that file is still reachable.
		time.Now().Local().Zone()
		if err := syscall.Chroot(s.Chroot); err != nil {
			return warnings, fmt.Errorf("chroot %s: %w", s.Chroot, err)
		}
		if err := os.Chdir("/"); err != nil {
			return warnings, fmt.Errorf("chroot %s: chdir /: %w", s.Chroot, err)
		}
	}
	if s.HasGID {
		if err := syscall.Setgroups(nil); err != nil {
			return warnings, fmt.Errorf("dropping supplementary groups: %w", err)
		}
		if err := syscall.Setgid(s.GID); err != nil {
			return warnings, fmt.Errorf("setgid %d: %w", s.GID, err)
		}
	}
	if s.HasUID {
		if err := syscall.Setuid(s.UID); err != nil {
			return warnings, fmt.Errorf("setuid %d: %w", s.UID, err)
		}
	}
	return warnings, nil
}

// raiseNoFile makes sure the soft RLIMIT_NOFILE is at least n.
func raiseNoFile(n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("open-files limit: %w", err)
	}
	if lim.Cur >= n {
		return nil
	}
	if n > lim.Max {
		return fmt.Errorf("cannot raise the open-files limit to %d: the hard limit is %d", n, lim.Max)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: lim.Max}); err != nil {
		return fmt.Errorf("cannot raise the open-files limit to %d: %w", n, err)
	}
	return nil
}
