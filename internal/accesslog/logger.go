package accesslog

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"baton/internal/config"
	"baton/internal/expr"
	"baton/internal/syslog"
)

// Options configure a Logger.
type Options struct {
	// Stdout and Stderr receive the lines of stdout and stderr targets;
	// nil means the process's.
	Stdout, Stderr io.Writer
	// Report receives diagnostics about the targets (lines dropped, a
	// destination refusing lines); nil discards them.
	Report func(msg string)
	// PID is the process id in headers and %pid.
	PID int
	// Program is the default tag ("log-tag"); "" means "baton".
	Program string
	// Hostname is the system's host name, for %H.
	Hostname string
}

// Logger holds the log targets of one configuration (one worker
// generation) and the logging settings of each proxy.
type Logger struct {
	sinks   []*syslog.Sink
	global  *syslog.Logger // the global targets, for events of no proxy
	env     Env
	limit   int // the longest message: the largest target "len", less one
	proxies map[*config.Proxy]*Proxy
}

// New opens the targets cfg names (a destination named by several lines
// gets one sink) and prepares each proxy's settings.
func New(cfg *config.Config, opt Options) (*Logger, error) {
	l := &Logger{env: Env{PID: opt.PID, Hostname: opt.Hostname}, proxies: map[*config.Proxy]*Proxy{}}
	sinks := map[syslog.Address]*syslog.Sink{}
	maxLen := syslog.DefaultLen
	output := func(t config.LogTarget) (*syslog.Output, error) {
		s := sinks[t.Addr]
		if s == nil {
			var err error
			s, err = syslog.Open(t.Addr, syslog.Options{Stdout: opt.Stdout, Stderr: opt.Stderr, Report: opt.Report})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.Pos, err)
			}
			sinks[t.Addr] = s
			l.sinks = append(l.sinks, s)
		}
		maxLen = max(maxLen, t.Len)
		return syslog.NewOutput(t.Target, s), nil
	}
	fail := func(err error) (*Logger, error) {
		l.Close()
		return nil, err
	}
	program := opt.Program
	if program == "" {
		program = "baton"
	}
	meta := &syslog.Meta{Hostname: cfg.Global.LogSendHostname, PID: strconv.Itoa(opt.PID)}
	globalTag := cfg.Global.LogTag
	if globalTag == "" {
		globalTag = program
	}
	var globals []*syslog.Output
	var globalRoutes []*syslog.Route
	for _, t := range cfg.Global.Logs {
		o, err := output(t)
		if err != nil {
			return fail(err)
		}
		globals = append(globals, o)
		globalRoutes = append(globalRoutes, o.NewRoute())
	}
	l.global = syslog.NewLogger(meta, globalTag, globalRoutes...)
	own := map[config.Pos]*syslog.Output{} // a defaults line is shared by its proxies
	for _, p := range cfg.Proxies {
		var routes []*syslog.Route
		for _, t := range p.Logs {
			o := own[t.Pos]
			if t.Global {
				o = globals[t.Index]
			} else if o == nil {
				var err error
				if o, err = output(t); err != nil {
					return fail(err)
				}
				own[t.Pos] = o
			}
			routes = append(routes, o.NewRoute())
		}
		tag := p.LogTag
		if tag == "" {
			tag = globalTag
		}
		px := &Proxy{
			log:            l,
			Sys:            syslog.NewLogger(meta, tag, routes...),
			http:           p.Mode == config.ModeHTTP,
			dontLogNormal:  p.DontLogNormal,
			separateErrors: p.LogSeparateErrors,
			ASAP:           p.LogASAP,
		}
		var err error
		if p.Kind != config.KindBackend {
			if px.format, err = trafficFormat(p, cfg.Expr); err == nil {
				px.errFormat, err = optionalFormat(p.ErrorLogFormat, cfg.Expr)
			}
			if err == nil {
				px.sdFormat, err = optionalFormat(p.LogFormatSD, cfg.Expr)
			}
		}
		if err != nil {
			return fail(fmt.Errorf("proxy %s: %w", p.Name, err))
		}
		l.proxies[p] = px
	}
	l.limit = maxLen - 1
	return l, nil
}

// trafficFormat is the format of a frontend's traffic lines.
func trafficFormat(p *config.Proxy, env *expr.Env) (*Format, error) {
	switch {
	case p.LogFormat != "":
		return CompileEnv(p.LogFormat, env)
	case p.HTTPLogCLF:
		return CLF, nil
	case p.HTTPLog:
		return HTTPLog, nil
	case p.TCPLog:
		return TCPLog, nil
	}
	return Connect, nil
}

func optionalFormat(s string, env *expr.Env) (*Format, error) {
	if s == "" {
		return nil, nil
	}
	return CompileEnv(s, env)
}

// Proxy returns p's settings; nil (which logs nothing) for a proxy of
// another configuration.
func (l *Logger) Proxy(p *config.Proxy) *Proxy { return l.proxies[p] }

// Eventf sends a process event to the global targets.
func (l *Logger) Eventf(lvl syslog.Level, format string, args ...any) {
	l.global.Logf(lvl, format, args...)
}

// Flush waits until every line sent so far has been written or dropped.
func (l *Logger) Flush() {
	for _, s := range l.sinks {
		s.Flush()
	}
}

// Close writes what is queued (waiting a bounded time for a stuck
// destination) and closes the targets.
func (l *Logger) Close() {
	for _, s := range l.sinks {
		s.Close()
	}
}

// Dropped returns how many lines this logger's targets dropped.
func (l *Logger) Dropped() uint64 {
	var n uint64
	for _, s := range l.sinks {
		n += s.Dropped()
	}
	return n
}

// Proxy is one proxy's logging: its targets, and for a frontend the
// format of its traffic lines and the options that choose them.
type Proxy struct {
	log *Logger
	// Sys sends the proxy's lines (traffic, and events such as server
	// state changes) to its targets.
	Sys *syslog.Logger
	// format is nil for a backend; Connect for a frontend without one.
	format, errFormat, sdFormat *Format
	http                        bool
	dontLogNormal               bool
	separateErrors              bool
	// ASAP is "option logasap": the proxy logs a request once the
	// response head is sent, a TCP connection once it reached a server.
	ASAP bool
	// count is how many traffic lines the proxy sent (%lc).
	count atomic.Uint64
}

// Traffic reports whether the proxy writes a line per request or
// connection (it has targets and a format).
func (p *Proxy) Traffic() bool {
	return p != nil && p.format != nil && !p.format.connect && p.Sys.Enabled()
}

// Connects reports whether the proxy writes HAProxy's default line when
// it accepts a connection (it has targets and no format).
func (p *Proxy) Connects() bool {
	return p != nil && p.format != nil && p.format.connect && p.Sys.Enabled()
}

// bufs are the message buffers lines are formatted in.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Log writes the traffic line of e, unless "option dontlog-normal" skips
// it. Requests with an error, a timeout, a retry, a redispatch or a 5xx
// status are logged at level err with "option log-separate-errors", info
// otherwise. It does not block and, once warm, does not allocate.
func (p *Proxy) Log(e *Entry) {
	if !p.Traffic() {
		return
	}
	failed := e.Redispatched || e.Retries > 0 || e.HTTP && e.Status >= 500 ||
		e.State[0] != 0 && e.State[0] != '-' && e.State[0] != 'L'
	if !failed && p.dontLogNormal {
		return
	}
	lvl := syslog.Info
	if failed && p.separateErrors {
		lvl = syslog.Err
	}
	if e.LevelSet {
		lvl = e.Level
	}
	p.send(p.format, e, lvl)
}

// LogError writes the line of a connection that failed before a request
// was read (HAProxy's session log): with "error-log-format" when set, at
// level err with "option log-separate-errors".
func (p *Proxy) LogError(e *Entry) {
	if !p.Traffic() {
		return
	}
	f := p.format
	if p.errFormat != nil {
		f = p.errFormat
	}
	lvl := syslog.Info
	if p.separateErrors {
		lvl = syslog.Err
	}
	p.send(f, e, lvl)
}

// ErrorLevel is the level of a connection's error line (a failed TLS handshake):
// err with "option log-separate-errors", info otherwise, as HAProxy.
func (p *Proxy) ErrorLevel() syslog.Level {
	if p != nil && p.separateErrors {
		return syslog.Err
	}
	return syslog.Info
}

// LogConnect writes the "Connect from" line of an accepted connection.
func (p *Proxy) LogConnect(e *Entry) {
	if p.Connects() {
		p.send(Connect, e, syslog.Info)
	}
}

func (p *Proxy) send(f *Format, e *Entry, lvl syslog.Level) {
	if !p.Sys.Wants(lvl) {
		return
	}
	bp := bufs.Get().(*[]byte)
	e.LogCount = p.count.Load()
	b := f.Append((*bp)[:0], e, &p.log.env, p.log.limit)
	n := len(b)
	if n == 0 {
		*bp = b
		bufs.Put(bp)
		return
	}
	if p.sdFormat != nil && p.Sys.WantsSD() {
		b = p.sdFormat.Append(b, e, &p.log.env, p.log.limit)
	}
	p.Sys.Log(lvl, b[:n], b[n:])
	p.count.Add(1)
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		bufs.Put(bp) // a huge buffer is left to the collector
	}
}

// Eventf sends an event of this proxy (a server going down, the proxy
// stopping) to its targets.
func (p *Proxy) Eventf(lvl syslog.Level, format string, args ...any) {
	if p != nil {
		p.Sys.Logf(lvl, format, args...)
	}
}
