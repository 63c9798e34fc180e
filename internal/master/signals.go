package master

import (
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Run starts the master (see Start) and handles signals until it has
// stopped. It returns the exit status: 0 after a stop, graceful or not, 1
// if it could not start (the error is logged). Signals are caught before
// starting, so one arriving during the start is handled right after it.
//
//	SIGHUP, SIGUSR2   reload (coalesced; the result is logged)
//	SIGTERM, SIGINT   graceful stop; a second one stops at once
//	SIGUSR1           graceful stop (HAProxy's soft stop)
//	SIGQUIT           immediate stop
func (m *Master) Run() int {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR2, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := m.Start(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			m.logf("start failed: %s", line)
		}
		return 1
	}
	graceful := false
	for {
		select {
		case <-m.done:
			return 0
		case s := <-sigs:
			switch s {
			case syscall.SIGHUP, syscall.SIGUSR2:
				m.logf("%v: reloading", s)
				go m.Reload()
			case syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1:
				if graceful && s != syscall.SIGUSR1 {
					m.logf("%v again: stopping now", s)
					go m.Stop(false)
					continue
				}
				graceful = true
				m.logf("%v: graceful stop", s)
				go m.Stop(true)
			case syscall.SIGQUIT:
				m.logf("%v: stopping now", s)
				go m.Stop(false)
			}
		}
	}
}
