package config

import (
	"fmt"
	"os"

	"baton/internal/expr"
	"baton/internal/logformat"
	"baton/internal/syslog"
)

// addLogKeywords registers the logging keywords (called by the keyword
// tables' init).
func addLogKeywords() {
	globalKeywords["log"] = parseGlobalLog
	globalKeywords["log-tag"] = parseGlobalLogTag
	globalKeywords["log-send-hostname"] = parseLogSendHostname
	for kw, k := range map[string]*proxyKeyword{
		"log global":                 {sections: secAll, parse: parseLogGlobal},
		"log":                        {sections: secAll, negatable: true, parse: parseProxyLog},
		"log-tag":                    {sections: secAll, parse: parseProxyLogTag},
		"log-format":                 {sections: secAll, parse: parseLogFormat},
		"log-format-sd":              {sections: secAll, parse: parseLogFormat},
		"error-log-format":           {sections: secAll, parse: parseLogFormat},
		"option httplog":             {sections: secD | secF | secL, parse: parseLogOption},
		"option tcplog":              {sections: secD | secF | secL, parse: parseLogOption},
		"option logasap":             {sections: secAll, negatable: true, parse: parseLogOption},
		"option dontlog-normal":      {sections: secAll, negatable: true, parse: parseLogOption},
		"option log-separate-errors": {sections: secAll, negatable: true, parse: parseLogOption},
		"option log-health-checks":   {sections: secAll, negatable: true, parse: parseLogOption},
	} {
		proxyKeywords[kw] = k
	}
}

// parseGlobalLog reads a global "log" line (see syslog.ParseTarget).
func parseGlobalLog(p *parser, l line, args []string) {
	if len(args) > 0 && args[0] == "global" {
		p.errorf(l.Pos, "log: 'global' is not supported for a global syslog server")
		return
	}
	t, err := syslog.ParseTarget(args)
	if err != nil {
		p.errorf(l.Pos, "log: %v", err)
		return
	}
	g := &p.cfg.Global
	g.Logs = append(g.Logs, LogTarget{Target: t, Index: len(g.Logs), Pos: l.Pos})
}

// parseLogGlobal reads "log global": the proxy gets a copy of each global
// target it does not have yet, as HAProxy copies them when it reads the
// line.
func parseLogGlobal(p *parser, st *proxyState, l line, args []string, neg bool) {
	if neg || len(args) > 0 {
		p.errorf(l.Pos, "log global: does not expect arguments (nor \"no\": use \"no log\")")
		return
	}
	st.p.LogGlobal = true
next:
	for _, g := range p.cfg.Global.Logs {
		for _, have := range st.p.Logs {
			if have.Global && have.Index == g.Index {
				continue next
			}
		}
		g.Global = true
		st.p.Logs = append(st.p.Logs, g)
	}
}

// parseProxyLog reads a proxy's own "log TARGET ..." line, or "no log",
// which forgets every target the proxy had so far.
func parseProxyLog(p *parser, st *proxyState, l line, args []string, neg bool) {
	if neg {
		if len(args) > 0 {
			p.errorf(l.Pos, "no log: does not expect arguments")
			return
		}
		st.p.Logs, st.p.LogGlobal = nil, false
		return
	}
	t, err := syslog.ParseTarget(args)
	if err != nil {
		p.errorf(l.Pos, "log: %v", err)
		return
	}
	st.p.Logs = append(st.p.Logs, LogTarget{Target: t, Pos: l.Pos})
}

func parseGlobalLogTag(p *parser, l line, args []string) {
	if tag, ok := logTagArg(p, l, args); ok {
		p.cfg.Global.LogTag = tag
	}
}

func parseProxyLogTag(p *parser, st *proxyState, l line, args []string, _ bool) {
	if tag, ok := logTagArg(p, l, args); ok {
		st.p.LogTag = tag
	}
}

func logTagArg(p *parser, l line, args []string) (string, bool) {
	switch {
	case len(args) == 0 || args[0] == "":
		p.errorf(l.Pos, "log-tag: expects a tag for use in syslog")
	case len(args) > 1:
		p.errorf(l.Pos, "log-tag: unexpected argument %q", args[1])
	default:
		return args[0], true
	}
	return "", false
}

// parseLogSendHostname reads "log-send-hostname [NAME]"; without a name,
// the system's host name is sent.
func parseLogSendHostname(p *parser, l line, args []string) {
	name := ""
	if len(args) > 0 {
		name = args[0]
		if len(args) > 1 {
			p.warnf(l.Pos, "log-send-hostname: extra argument %q ignored, as HAProxy ignores it", args[1])
		}
	}
	if name == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			p.errorf(l.Pos, "log-send-hostname: cannot read the host name (%v); give one", err)
			return
		}
		name = h
	}
	p.cfg.Global.LogSendHostname = name
}

// parseLogFormat reads "log-format", "log-format-sd" and
// "error-log-format": one argument, blanks escaped or quoted, checked now
// for syntax and, once the proxy's mode is known, for variables reserved
// for mode http.
func parseLogFormat(p *parser, st *proxyState, l line, args []string, _ bool) {
	kw := l.Words[0]
	switch {
	case len(args) == 0 || args[0] == "":
		p.errorf(l.Pos, "%s: expects an argument", kw)
		return
	case len(args) > 1:
		p.errorf(l.Pos, "%s: expects only one argument, don't forget to escape spaces!", kw)
		return
	}
	nodes, err := logformat.ParseLog(args[0])
	if err != nil {
		p.errorf(l.Pos, "%s: %v", kw, err)
		return
	}
	if msg := p.checkLogSamples(nodes); msg != "" {
		p.errorf(l.Pos, "%s: %s", kw, msg)
		return
	}
	if st.p.Kind == KindBackend {
		p.warnf(l.Pos, "%s: ignored in backend %q: lines are written with the format of the frontend that received the connection", kw, st.p.Name)
		return
	}
	px := st.p
	switch kw {
	case "log-format":
		px.LogFormat, px.LogFormatPos = args[0], l.Pos
		px.HTTPLog, px.TCPLog, px.HTTPLogCLF = false, false, false
	case "log-format-sd":
		px.LogFormatSD, px.LogFormatSDPos = args[0], l.Pos
	case "error-log-format":
		px.ErrorLogFormat, px.ErrorLogFormatPos = args[0], l.Pos
	}
}

// parseLogOption reads the logging options; each replaces the format the
// previous ones (or "log-format") set.
func parseLogOption(p *parser, st *proxyState, l line, args []string, neg bool) {
	opt := l.Words[1+b2i(neg)]
	px := st.p
	if opt == "httplog" && len(args) == 1 && args[0] == "clf" {
		px.HTTPLog, px.TCPLog, px.HTTPLogCLF, px.LogFormat = !neg, false, !neg, ""
		return
	}
	if len(args) > 0 {
		p.errorf(l.Pos, "option %s: unexpected argument %q", opt, args[0])
		return
	}
	on := !neg
	frontOnly := map[string]bool{"logasap": true, "dontlog-normal": true, "log-separate-errors": true}
	if px.Kind == KindBackend && frontOnly[opt] || px.Kind == KindFrontend && opt == "log-health-checks" {
		p.warnf(l.Pos, "option %s: ignored because %s %q cannot use it (%s)", opt, px.Kind, px.Name,
			map[bool]string{true: "it applies to the connections a frontend receives", false: "it applies to a backend's health checks"}[frontOnly[opt]])
		return
	}
	switch opt {
	case "httplog":
		px.HTTPLog, px.TCPLog, px.HTTPLogCLF, px.LogFormat = on, false, false, ""
	case "tcplog":
		px.TCPLog, px.HTTPLog, px.HTTPLogCLF, px.LogFormat = on, false, false, ""
	case "logasap":
		px.LogASAP = on
	case "dontlog-normal":
		px.DontLogNormal = on
	case "log-separate-errors":
		px.LogSeparateErrors = on
	case "log-health-checks":
		px.LogHealthChecks = on
	}
}

// inheritLogs copies the logging settings of defaults section d into p.
func inheritLogs(p, d *Proxy) {
	p.Logs = append([]LogTarget(nil), d.Logs...)
	p.LogTag = d.LogTag
	p.LogFormat, p.LogFormatPos = d.LogFormat, d.LogFormatPos
	p.LogFormatSD, p.LogFormatSDPos = d.LogFormatSD, d.LogFormatSDPos
	p.ErrorLogFormat, p.ErrorLogFormatPos = d.ErrorLogFormat, d.ErrorLogFormatPos
	p.HTTPLogCLF = d.HTTPLogCLF
	p.LogASAP, p.DontLogNormal, p.LogSeparateErrors = d.LogASAP, d.DontLogNormal, d.LogSeparateErrors
	p.LogHealthChecks = d.LogHealthChecks
	if p.Kind == KindBackend {
		p.LogFormat, p.LogFormatSD, p.ErrorLogFormat, p.HTTPLogCLF = "", "", "", false
		p.LogASAP, p.DontLogNormal, p.LogSeparateErrors = false, false, false
	}
	if p.Kind == KindFrontend {
		p.LogHealthChecks = false
	}
}

// finishLogs checks a proxy's log formats against its final mode, and
// warns, as HAProxy does, about a format that has nowhere to go.
func (p *parser) finishLogs(st *proxyState) {
	px := st.p
	if px.Mode == ModeTCP {
		for _, f := range []struct {
			kw, s string
			pos   Pos
		}{{"log-format", px.LogFormat, px.LogFormatPos}, {"log-format-sd", px.LogFormatSD, px.LogFormatSDPos},
			{"error-log-format", px.ErrorLogFormat, px.ErrorLogFormatPos}} {
			nodes, _ := logformat.ParseLog(f.s) // checked when the line was read
			for _, n := range nodes {
				if n.Kind == logformat.Variable && n.Var.HTTPOnly() {
					p.errorf(f.pos, "%s: format variable '%%%s' is reserved for mode http (%s is in mode tcp)", f.kw, n.Var.Name(), st.what())
					break
				}
			}
		}
		px.HTTPLogCLF = false
	}
	if px.Kind != KindBackend && len(px.Logs) == 0 && (px.HTTPLog || px.TCPLog || px.LogFormat != "") {
		p.warnf(px.Pos, "%s: log format ignored: the proxy has no log target (add \"log global\" or a \"log\" line)", st.what())
	}
}

// logKeywordArgs splits a proxy "log ..." line into the keyword it is
// ("log global" or "log") and its arguments.
func logKeywordArgs(w []string) (string, []string) {
	if len(w) >= 2 && w[1] == "global" {
		return "log global", w[2:]
	}
	return "log", w[1:]
}

// checkLogSamples compiles the sample expressions of a log format, so
// that a bad one fails with its line (package accesslog compiles them
// again for the lines).
func (p *parser) checkLogSamples(nodes []logformat.Node) string {
	for _, n := range nodes {
		if n.Kind != logformat.Sample {
			continue
		}
		e, err := expr.Compile(n.Text, p.cfg.Expr)
		if err == nil {
			err = e.CheckWhere(expr.LogFormat)
		}
		if err != nil {
			return fmt.Sprintf("failed to parse sample expression <%s>: %v", n.Text, err)
		}
	}
	return ""
}
