package config

import (
	"strings"
	"time"

	"baton/internal/expr"
	"baton/internal/tlsconf"
)

// TLS keywords: bind and server options, global defaults and tune.ssl.*.
// This file parses their syntax and values (package tlsconf checks cipher
// lists, versions and curves as they are read); the files they name are
// loaded by tlsconf.Load, from the specs Config.TLSSpecs returns.

// bindTLSValue are the bind options with a value Baton parses here rather
// than through tlsconf's option table.
var bindTLSValue = map[string]bool{"crt": true, "crt-list": true, "tls-ticket-keys": true}

// unsupportedBindTLS are HAProxy bind TLS options Baton lacks.
var unsupportedBindTLS = wordSet("generate-certificates ca-sign-file ca-sign-pass ca-ignore-err crt-ignore-err ssl-engine")

// parseBindOptions reads the options after a bind address: "ssl" and the
// TLS options (crt, crt-list, strict-sni, tls-ticket-keys and those of
// tlsconf's table). Any other option is an error.
func (p *parser) parseBindOptions(st *proxyState, l line, b *Bind, raw string, args []string) {
	spec := &tlsconf.BindSpec{Pos: l.Pos.String(), Addr: raw}
	ssl, tlsOpt := false, ""
	warn := func(msg string) { p.advisef(l.Pos, "bind %s: %s", raw, msg) }
	for i := 0; i < len(args); i++ {
		w := args[i]
		value := func() (string, bool) {
			if i+1 >= len(args) {
				p.errorf(l.Pos, "bind %s: %s expects a value", raw, w)
				return "", false
			}
			i++
			return args[i], true
		}
		switch {
		case w == "ssl":
			ssl = true
			continue
		case w == "proto":
			v, ok := value()
			if !ok {
				return
			}
			if !bindProtos[v] {
				p.errorf(l.Pos, "bind %s: proto %q: Baton's HTTP protocols are h1 and h2", raw, v)
				return
			}
			b.Proto = v
			continue
		case w == "strict-sni":
			spec.StrictSNI, tlsOpt = true, w
			continue
		case bindTLSValue[w]:
			v, ok := value()
			if !ok {
				return
			}
			switch w {
			case "crt", "crt-list":
				spec.Crts = append(spec.Crts, tlsconf.CrtRef{Path: v, List: w == "crt-list"})
			case "tls-ticket-keys":
				spec.TicketKeys = v
			}
			tlsOpt = w
			continue
		case unsupportedBindTLS[w]:
			p.errorf(l.Pos, "bind %s: option %q is a HAProxy TLS option that Baton does not support", raw, w)
			return
		case tlsconf.IsOption(w, tlsconf.CtxBind):
			v := ""
			if tlsconf.TakesValue(w) {
				var ok bool
				if v, ok = value(); !ok {
					return
				}
			}
			if err := spec.Opts.Apply(w, v, tlsconf.CtxBind, warn); err != nil {
				p.errorf(l.Pos, "bind %s: %s: %v", raw, w, err)
				return
			}
			tlsOpt = w
			continue
		}
		p.errorf(l.Pos, "bind %s: option %q is not supported (Baton accepts mode, user, uid, group, gid, accept-proxy, name, id, defer-accept, tfo, transparent, v4v6, v6only, interface, backlog, maxconn, process, proto, ssl and the TLS options, see doc/configuration.md)", raw, w)
		return
	}
	switch {
	case ssl && len(spec.Crts) == 0:
		p.errorf(l.Pos, "bind %s: ssl needs a certificate: add crt FILE|DIR or crt-list FILE", raw)
	case ssl:
		b.TLS = spec
	case tlsOpt != "":
		p.advisef(l.Pos, "bind %s: %s has no effect without ssl", raw, tlsOpt)
	}
}

// serverTLSFlags are server options without a value handled here.
var serverTLSFlags = wordSet("ssl no-ssl check-ssl no-check-ssl no-ssl-reuse ssl-reuse no-verifyhost")

var serverTLSValue = wordSet("sni check-sni check-alpn verifyhost crt")

// serverTLSOption handles a TLS option word of a server line. It returns
// how many of opts (which follow the word) it consumed, and false when o
// is not a TLS option. Errors are reported through errf.
func serverTLSOption(s *Server, o string, opts []string, errf func(string, ...any), warn func(string)) (int, bool) {
	spec := s.TLS
	if spec == nil && (serverTLSFlags[o] || serverTLSValue[o] || tlsconf.IsOption(o, tlsconf.CtxServer)) {
		spec = &tlsconf.ServerSpec{Pos: s.Pos.String(), Name: s.Name}
		s.TLS = spec
	}
	switch {
	case serverTLSFlags[o]:
		switch o {
		case "ssl":
			spec.SSL = true
		case "no-ssl":
			spec.SSL = false
		case "check-ssl":
			spec.CheckSSL = true
		case "no-check-ssl":
			spec.CheckSSL, spec.NoCheckSSL = false, true
		case "no-ssl-reuse":
			spec.NoReuse = true
		case "ssl-reuse":
			spec.NoReuse = false
		case "no-verifyhost":
			spec.VerifyHost = ""
		}
		return 0, true
	case serverTLSValue[o]:
		if len(opts) == 0 {
			errf("%s expects a value", o)
			return 0, true
		}
		v := opts[0]
		switch o {
		case "sni":
			spec.SNI = v
		case "check-sni":
			spec.CheckSNI = v
		case "check-alpn":
			spec.CheckALPN = strings.Split(v, ",")
		case "verifyhost":
			spec.VerifyHost = v
		case "crt":
			spec.Crt = v
		}
		return 1, true
	case tlsconf.IsOption(o, tlsconf.CtxServer):
		v, n := "", 0
		if tlsconf.TakesValue(o) {
			if len(opts) == 0 {
				errf("%s expects a value", o)
				return 0, true
			}
			v, n = opts[0], 1
		}
		if o == "verify" && v == "optional" {
			errf("verify: %q: a server line accepts none or required", v)
			return n, true
		}
		if err := spec.Opts.Apply(o, v, tlsconf.CtxServer, warn); err != nil {
			errf("%s: %v", o, err)
		}
		return n, true
	}
	return 0, false
}

// Global TLS keywords.

func parseCrtBase(p *parser, l line, args []string) {
	if len(args) != 1 || args[0] == "" {
		p.errorf(l.Pos, "%s: expects one directory", l.Words[0])
		return
	}
	if l.Words[0] == "crt-base" {
		p.cfg.Global.TLS.CrtBase = args[0]
	} else {
		p.cfg.Global.TLS.CABase = args[0]
	}
}

// parseSSLDefault reads ssl-default-bind-* and ssl-default-server-*.
func parseSSLDefault(p *parser, l line, args []string) {
	kw := l.Words[0]
	g := &p.cfg.Global.TLS
	opts, ctx := &g.DefaultBind, tlsconf.CtxDefaultBind
	if strings.HasPrefix(kw, "ssl-default-server-") {
		opts, ctx = &g.DefaultServer, tlsconf.CtxDefaultServer
	}
	warn := func(msg string) { p.advisef(l.Pos, "%s: %s", kw, msg) }
	what := strings.TrimPrefix(strings.TrimPrefix(kw, "ssl-default-bind-"), "ssl-default-server-")
	if what != "options" {
		// ciphers, ciphersuites, curves: one list.
		if len(args) != 1 {
			p.errorf(l.Pos, "%s: expects one list", kw)
			return
		}
		if err := opts.Apply(what, args[0], tlsconf.CtxBind|tlsconf.CtxServer, warn); err != nil {
			p.errorf(l.Pos, "%s: %v", kw, err)
		}
		return
	}
	for i := 0; i < len(args); i++ {
		w := args[i]
		if !tlsconf.IsOption(w, ctx) {
			p.errorf(l.Pos, "%s: %q is not an option Baton supports here (supported: %s)", kw, w, strings.Join(tlsconf.OptionNames(ctx), ", "))
			return
		}
		v := ""
		if tlsconf.TakesValue(w) {
			if i+1 >= len(args) {
				p.errorf(l.Pos, "%s: %s expects a value", kw, w)
				return
			}
			i++
			v = args[i]
		}
		if err := opts.Apply(w, v, ctx, warn); err != nil {
			p.errorf(l.Pos, "%s: %s: %v", kw, w, err)
			return
		}
	}
}

func parseSSLServerVerify(p *parser, l line, args []string) {
	if len(args) != 1 || args[0] != "none" && args[0] != "required" {
		p.errorf(l.Pos, "ssl-server-verify: expects none or required")
		return
	}
	p.cfg.Global.TLS.ServerVerify = args[0]
}

// tuneSSLIgnored are the numeric tune.ssl.* keywords that change nothing
// in Go's TLS: their range and why.
var tuneSSLIgnored = map[string]struct {
	lo, hi int
	why    string
}{
	"tune.ssl.default-dh-param":        {1024, 1 << 16, "Go's TLS has no DHE key exchange (ECDHE only), so there are no DH parameters"},
	"tune.ssl.cachesize":               {0, 1 << 30, "Go's TLS server has no session-ID cache; sessions resume with tickets (see no-tls-tickets)"},
	"tune.ssl.capture-buffer-size":     {0, 1 << 16, "Baton does not provide the ssl_fc_cipherlist_* fetches that read the capture"},
	"tune.ssl.capture-cipherlist-size": {0, 1 << 16, "Baton does not provide the ssl_fc_cipherlist_* fetches that read the capture"},
	"tune.ssl.hard-maxrecord":          {0, 1 << 14, "Go's TLS sizes its records itself (up to 16 KB)"},
	"tune.ssl.ssl-ctx-cache-size":      {0, 1 << 30, "Baton does not generate certificates (generate-certificates)"},
}

// parseTuneSSL reads the tune.ssl.* keywords: lifetime and maxrecord map
// onto Go's TLS; the others are accepted with a warning saying why they
// change nothing.
func parseTuneSSL(p *parser, l line, args []string) {
	kw := l.Words[0]
	if kw == "tune.ssl.force-private-cache" {
		if len(args) != 0 {
			p.errorf(l.Pos, "%s: takes no argument", kw)
			return
		}
		p.advisef(l.Pos, "%s: ignored: each worker keeps its own state and session tickets need no shared cache", kw)
		return
	}
	if len(args) != 1 {
		p.errorf(l.Pos, "%s: expects one value", kw)
		return
	}
	v := args[0]
	number := func(lo, hi int) (int, bool) {
		n, err := parseInt(v, lo, hi)
		if err != nil {
			p.errorf(l.Pos, "%s: %v", kw, err)
			return 0, false
		}
		return n, true
	}
	switch kw {
	case "tune.ssl.lifetime":
		d, err := parseTimeUnit(v, time.Second)
		if err != nil {
			p.errorf(l.Pos, "%s: %v", kw, err)
			return
		}
		p.cfg.Global.TLS.Lifetime = d
	case "tune.ssl.cachesize":
		n, ok := number(0, 1<<30)
		if !ok {
			return
		}
		p.cfg.Global.TLS.CacheSize, p.cfg.Global.TLS.CacheSizeSet = n, true
	case "tune.ssl.maxrecord":
		n, ok := number(0, 1<<14)
		if !ok {
			return
		}
		p.cfg.Global.TLS.MaxRecord = n
		if n > 0 {
			p.advisef(l.Pos, "%s: Go's TLS cannot cap records at %d bytes; it starts with small records (about 1 KB) and grows them to 16 KB, as this setting intends", kw, n)
		}
	default:
		ig := tuneSSLIgnored[kw]
		if _, ok := number(ig.lo, ig.hi); ok {
			p.advisef(l.Pos, "%s: ignored: %s", kw, ig.why)
		}
	case "tune.ssl.keylog":
		if v != "on" && v != "off" {
			p.errorf(l.Pos, "%s: expects on or off", kw)
			return
		}
		p.advisef(l.Pos, "%s: ignored: Baton does not provide the key-log fetches", kw)
	}
}

// finishTLS completes the TLS specs once every file is read: defaults
// from the global section, modes, and ssl-server-verify.
func (p *parser) finishTLS() {
	g := &p.cfg.Global.TLS
	seen := map[*tlsconf.BindSpec]bool{} // the sockets of one bind line share its spec
	for _, st := range p.proxies {
		px := st.p
		for i := range px.Binds {
			b := &px.Binds[i]
			if b.TLS == nil || seen[b.TLS] {
				continue
			}
			seen[b.TLS] = true
			b.TLS.Opts = b.TLS.Opts.Merge(g.DefaultBind)
			b.TLS.TCP = px.Mode == ModeTCP
		}
		for _, s := range px.Servers {
			if s.TLS == nil {
				continue
			}
			s.TLS.Backend = px.Name
			s.TLS.TCP = px.Mode == ModeTCP
			if s.TLS.SNI != "" {
				p.compileSNI(s)
			}
			if s.TLS.SSL && !s.TLS.NoCheckSSL {
				s.TLS.CheckSSL = true // checks follow the traffic, as in HAProxy
			}
			s.TLS.Opts = s.TLS.Opts.Merge(g.DefaultServer)
			explicit := s.TLS.Opts.Verify != ""
			if !explicit {
				s.TLS.Opts.Verify = "required"
				if g.ServerVerify == "none" {
					s.TLS.Opts.Verify = "none"
				}
			}
			if (s.TLS.SSL || s.TLS.CheckSSL) && s.TLS.Opts.Verify == "required" && s.TLS.Opts.CAFile == "" {
				what := "verify is required"
				if !explicit {
					what = "verify is enabled by default (ssl-server-verify)"
				}
				p.errorf(s.Pos, "server %q: %s but no ca-file is set; add ca-file FILE, or verify none on the server line (or ssl-server-verify none in global) if the server's certificate need not be checked", s.Name, what)
			}
		}
	}
}

// compileSNI compiles a server's "sni" expression: any fetch and
// converter that the request, backend or server provide, as in HAProxy.
func (p *parser) compileSNI(s *Server) {
	e, err := expr.Compile(s.TLS.SNI, p.cfg.Expr)
	if err == nil {
		err = e.CheckWhere(expr.ServerConnect)
	}
	if err != nil {
		p.errorf(s.Pos, "server %q: sni: failed to parse sample expression <%s>: %v", s.Name, s.TLS.SNI, err)
		return
	}
	s.SNI = e
}

// TLSSpecs returns every TLS bind and server of the configuration (servers
// with ssl or check-ssl), for tlsconf.Load.
func (c *Config) TLSSpecs() *tlsconf.Specs {
	specs := &tlsconf.Specs{Global: c.Global.TLS}
	for _, px := range c.Proxies {
		for i := range px.Binds {
			// The sockets of one bind line share its spec: one entry.
			if t := px.Binds[i].TLS; t != nil && (i == 0 || px.Binds[i-1].TLS != t) {
				specs.Binds = append(specs.Binds, t)
			}
		}
		for _, s := range px.Servers {
			if s.TLS != nil && (s.TLS.SSL || s.TLS.CheckSSL) {
				specs.Servers = append(specs.Servers, s.TLS)
			}
		}
	}
	return specs
}
