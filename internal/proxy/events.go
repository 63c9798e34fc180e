package proxy

import (
	"fmt"
	"os"
	"path/filepath"

	"baton/internal/accesslog"
	"baton/internal/backend"
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

// checkEvents are the health checker's callbacks for backend be: server
// state changes, and with "option log-health-checks" every reported
// check, in HAProxy's words and at its levels.
func (e *Engine) checkEvents(be *backendRT) health.Options {
	name := be.p.Name
	verbose := be.p.LogHealthChecks
	counts := func() (act, bck int) {
		for _, o := range be.b.Servers {
			if o.Healthy() && o.State() != backend.Maint {
				if o.Backup {
					bck++
				} else {
					act++
				}
			}
		}
		return act, bck
	}
	opt := health.Options{
		OnChange: func(s *backend.Server, up bool, r health.Result) {
			kind, reason := "", ""
			if s.Backup {
				kind = "Backup "
			}
			if !verbose {
				reason = ", " + r.Reason()
			}
			act, bck := counts()
			if up {
				e.event(be.log, syslog.Notice, "%sServer %s/%s is UP%s. %d active and %d backup servers online. 0 sessions requeued, %d total in queue.",
					kind, name, s.Name, reason, act, bck, be.b.Queued())
				return
			}
			onBackup := ""
			if act == 0 && bck > 0 {
				onBackup = " Running on backup."
			}
			e.event(be.log, syslog.Alert, "%sServer %s/%s is DOWN%s. %d active and %d backup servers left.%s %d sessions active, 0 requeued, 0 remaining in queue.",
				kind, name, s.Name, reason, act, bck, onBackup, s.Conns())
			if act+bck == 0 {
				e.event(be.log, syslog.Emerg, "backend %s has no server available!", name)
			}
		},
	}
	if verbose {
		opt.OnCheck = func(s *backend.Server, r health.Result, h health.Health) {
			kind, verdict := "", "failed"
			if s.Backup {
				kind = "backup "
			}
			if r.OK {
				verdict = "succeeded"
			}
			e.event(be.log, syslog.Notice, "Health check for %sserver %s/%s %s, %s, status: %s.", kind, name, s.Name, verdict, r.Reason(), h)
		}
	}
	return opt
}
