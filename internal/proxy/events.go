package proxy

import (
	"fmt"
	"os"
	"path/filepath"

	"baton/internal/accesslog"
	"baton/internal/config"
	"baton/internal/health"
	"baton/internal/syslog"
)

// openLogs opens cfg's log targets and gives each proxy its logging.
func (e *Engine) openLogs(cfg *config.Config, opt Options) error {
	host, _ := os.Hostname()
	program := opt.Program
	if program == "" {
		program = filepath.Base(os.Args[0])
		if program == "" || program == "." || program == "/" {
			program = "baton"
		}
	}
	l, err := accesslog.New(cfg, accesslog.Options{
		Stdout: opt.Log, Stderr: e.diag, PID: opt.PID, Program: program, Hostname: host,
		Report: func(msg string) { e.diagf("%s", msg) },
	})
	if err != nil {
		return err
	}
	e.log = l
	for _, be := range e.backends {
		be.log = l.Proxy(be.p)
	}
	for _, fe := range e.frontends {
		fe.log = l.Proxy(fe.p)
		fe.logging = fe.log.Traffic()
	}
	return nil
}

// diagf writes one diagnostic line of the engine on its stderr.
func (e *Engine) diagf(format string, args ...any) {
	fmt.Fprintf(e.diag, "%s%s\n", e.diagPrefix, fmt.Sprintf(format, args...))
}

// event sends a proxy's event to its log targets, and as a diagnostic,
// as HAProxy also prints these on its standard error.
func (e *Engine) event(p *accesslog.Proxy, lvl syslog.Level, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	e.diagf("%s", msg)
	p.Eventf(lvl, "%s", msg)
}

// CloseLogs writes the queued log lines, waiting a bounded time for a
// stuck target, and closes the targets; later lines are dropped.
func (e *Engine) CloseLogs() { e.log.Close() }

// DroppedLogs returns how many log lines the engine's targets dropped.
func (e *Engine) DroppedLogs() uint64 { return e.log.Dropped() }

// logStopped logs, for every proxy, HAProxy's line of a soft stop.
func (e *Engine) logStopped() {
	for _, p := range e.cfg.Proxies {
		var feCum, beCum int64
		var lp *accesslog.Proxy
		for _, fe := range e.frontends {
			if fe.p == p {
				feCum, lp = fe.feCum.Load(), fe.log
				break
			}
		}
		if be := e.backends[p.Name]; be != nil && be.p == p {
			beCum, lp = be.beCum.Load(), be.log
		}
		if lp == nil {
			lp = e.log.Proxy(p)
		}
		e.event(lp, syslog.Warning, "Proxy %s stopped (cumulated conns: FE: %d, BE: %d).", p.Name, feCum, beCum)
	}
}

// checkEvents are the health checker's callbacks for backend be: the
// engine's hooks (healthOptions), and its events logged in HAProxy's
// words and at its levels, every reported check too with "option
// log-health-checks".
func (e *Engine) checkEvents(be *backendRT) health.Options {
	opt := e.healthOptions(be.p)
	verbose := be.p.LogHealthChecks
	opt.LogHealthChecks = verbose
	opt.OnEvent = func(ev health.Event) {
		if ev.Kind == health.EventCheck && !verbose {
			return
		}
		e.event(be.log, healthLevel(ev), "%s", ev.Line())
	}
	return opt
}

// healthLevel is the syslog level HAProxy logs a health event at.
func healthLevel(ev health.Event) syslog.Level {
	switch ev.Kind {
	case health.EventDown:
		return syslog.Alert
	case health.EventMaint:
		if !ev.Down {
			return syslog.Alert // a running server going down
		}
	case health.EventNoServer:
		return syslog.Emerg
	}
	return syslog.Notice
}
