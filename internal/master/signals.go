package master

import (
	"os"
	"os/signal"
	"syscall"
)

// Run handles signals until the master has stopped, and returns the exit
// status: 0 after a stop, graceful or not.
//
//	SIGHUP, SIGUSR2   reload (coalesced; the result is logged)
//	SIGTERM, SIGINT   graceful stop; a second one stops at once
//	SIGUSR1           graceful stop (HAProxy's soft stop)
//	SIGQUIT           immediate stop
func (m *Master) Run() int {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR2, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGQUIT)
	defer signal.Stop(sigs)
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
