package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"baton/internal/auth"
	"baton/internal/expr"
)

// Source is one configuration file's name and contents. The master reads
// the files once, validates them, and hands the very same bytes to the
// worker, so a file edited in between cannot make them disagree.
type Source struct {
	Name string
	Data []byte
}

// ReadSources reads paths as HAProxy's -f does: each path is a file, or a
// directory whose "*.cfg" files are read in lexical order.
func ReadSources(paths ...string) ([]Source, error) {
	files, err := SourcePaths(paths...)
	if err != nil {
		return nil, err
	}
	srcs := make([]Source, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, Source{Name: f, Data: data})
	}
	return srcs, nil
}

// SourcePaths lists the files ReadSources reads for paths, in order.
func SourcePaths(paths ...string) ([]string, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no configuration file given")
	}
	var out []string
	for _, path := range paths {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		files := []string{path}
		if fi.IsDir() {
			files, err = filepath.Glob(filepath.Join(path, "*.cfg"))
			if err != nil {
				return nil, err
			}
			sort.Strings(files)
		}
		out = append(out, files...)
	}
	return out, nil
}

// Load reads and parses the configuration at paths (see ReadSources). On
// a parse failure the error is an ErrorList.
func Load(paths ...string) (*Config, error) {
	srcs, err := ReadSources(paths...)
	if err != nil {
		return nil, err
	}
	return ParseSources(srcs)
}

// Parse parses one configuration text; name is used in positions.
func Parse(name string, src []byte) (*Config, error) {
	return ParseSources([]Source{{Name: name, Data: src}})
}

// ParseSources parses srcs, in order, as one configuration, with the
// process environment and file system (see ParseSourcesWith).
func ParseSources(srcs []Source) (*Config, error) {
	return ParseSourcesWith(srcs, Options{})
}

// ParseSourcesWith parses srcs, in order, as one configuration. On failure
// the error is an ErrorList holding every error found, in file order.
func ParseSourcesWith(srcs []Source, opt Options) (*Config, error) {
	p := &parser{
		cfg:      &Config{},
		opt:      opt,
		fileIdx:  map[string]int{},
		defaults: map[string]*proxyState{},
	}
	p.cfg.Expr = expr.NewEnv(p.readExprFile)
	p.cfg.Expr.Resolve = func(name string) string { return p.resolvePath(p.linePos, name) }
	p.stickEnv(p.cfg.Expr)
	p.cfg.Expr.Userlist = func(name string) any { return p.userlist(name) }
	p.cfg.Expr.Origin = func() (string, int) { return p.linePos.File, p.linePos.Line }
	for i, s := range srcs {
		if _, ok := p.fileIdx[s.Name]; !ok {
			p.fileIdx[s.Name] = i
		}
		p.readSource(s)
		// A section does not continue across files.
		p.endSection()
	}
	p.validate()
	p.finishTLS()
	p.resolveErrorPages()
	p.resolveReplyPages()
	p.resolvePatternRefs()
	p.setAsideDisabled()
	if p.cfg.Global.ZeroWarning {
		for _, w := range p.warns {
			p.errs = append(p.errs, &Error{Pos: w.Pos, Msg: "warning made fatal by zero-warning: " + w.Msg})
		}
	}
	p.warns = append(p.warns, p.advice...)
	p.sortByPos(p.warns)
	p.sortByPos(p.errs)
	for _, w := range p.warns {
		p.cfg.Warnings = append(p.cfg.Warnings, w.Error())
	}
	if len(p.errs) > 0 {
		return nil, ErrorList(p.errs)
	}
	return p.cfg, nil
}

// parser holds the state of one parse.
type parser struct {
	cfg     *Config
	opt     Options
	errs    []*Error
	warns   []*Error
	advice  []*Error // Baton's own warnings (advisef)
	fileIdx map[string]int
	// section names the section being parsed, for $.SECTION: its name,
	// or its kind when it has none ("global"); "" before the first.
	section string
	// defaultPath resolves relative file names ("default-path").
	defaultPath DefaultPath
	// linePos is the line being parsed: map files named inside sample
	// expressions resolve against it (default-path "config").
	linePos Pos
	// httpErrors are the http-errors sections by name; curErrors is the
	// one being read.
	httpErrors map[string]*httpErrors
	curErrors  *httpErrors

	defaults     map[string]*proxyState // named defaults sections
	lastDefaults *proxyState
	proxies      []*proxyState

	// tableRefs are the stick tables rules and expressions name;
	// serverIDTables those stick rules name (they store server_id).
	tableRefs      []tableRef
	serverIDTables []string
	peersRefs      []tableRef
	// curPeers is the peers section being read (peers.go).
	curPeers *Peers
	// userlists are the userlist sections by name, declared or only
	// named so far; curUserlist the one being read (userlist.go).
	userlists    map[string]*auth.Userlist
	userlistRefs []tableRef
	curUserlist  *userlistState
	// curCache is the cache section being read; cacheRefs the caches
	// rules and filters name (cache.go).
	curCache  *CacheSection
	cacheRefs []tableRef

	// predef are the predefined ACLs compiled so far.
	predef map[string]*ACL

	sec  section     // current section; 0 before any or in an unsupported one
	cur  *proxyState // current defaults/proxy section
	skip bool        // inside an unsupported section
	// curResolvers is the resolvers section being read, when sec is
	// secResolvers.
	curResolvers *Resolvers
	// nameserverLines counts its nameserver and parse-resolv-conf lines
	// (a section whose lines all failed gets no second error).
	nameserverLines int
}

// proxyState is a defaults or proxy section while it is being parsed.
type proxyState struct {
	p          *Proxy
	isDefaults bool
	defName    string
	// timeouts are the timeouts set by the section itself or inherited
	// from its defaults, keyed by name ("client", ...).
	timeouts map[string]Timeout
	// acls are the named ACLs declared so far.
	acls map[string][]*ACL
	// terms are named references, resolved when the section ends so that
	// later declarations of the same name join, as in HAProxy.
	terms   []*Term
	anonACL []*ACL
	servers map[string]*Server
	// chk and defServer are the health-check lists and the default-server
	// settings (checks.go, server_opts.go).
	chk       checkState
	defServer *Server
	// errOps are the error-page lines (errorpages.go), the first
	// inheritedErrOps of them from the defaults section.
	errOps          []errOp
	inheritedErrOps int
	// retryOnPos is the section's own retry-on line, for the warning a
	// tcp proxy gets.
	retryOnPos Pos
}

func (p *parser) errorf(pos Pos, format string, args ...any) {
	p.errs = append(p.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) warnf(pos Pos, format string, args ...any) {
	p.warns = append(p.warns, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// advisef records a warning of Baton's own, one HAProxy does not give
// (advice, or a keyword that is a no-op in Baton): it is reported like the
// others, but zero-warning, which refuses HAProxy's warnings, lets it
// pass, so a file HAProxy accepts under zero-warning still starts.
func (p *parser) advisef(pos Pos, format string, args ...any) {
	p.advice = append(p.advice, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) sortByPos(l []*Error) {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return p.fileIdx[a.File] < p.fileIdx[b.File]
		}
		return a.Line < b.Line
	})
}

// origin describes pos for Timeout.From and the other *From fields.
func (st *proxyState) origin(pos Pos) string {
	if !st.isDefaults {
		return pos.String()
	}
	if st.defName != "" {
		return "defaults " + st.defName + " at " + pos.String()
	}
	return "defaults at " + pos.String()
}

var sectionKinds = map[string]section{"global": secGlobal, "defaults": secDefaults, "frontend": secFrontend, "listen": secListen, "backend": secBackend, "resolvers": secResolvers}

func (p *parser) line(l line) {
	p.linePos = l.Pos
	w := l.Words
	if _, ok := sectionKinds[w[0]]; ok || unsupportedSections[w[0]] || w[0] == "http-errors" || w[0] == "peers" || w[0] == "userlist" || w[0] == "cache" {
		p.section = w[0]
		if len(w) > 1 && w[1] != "from" {
			p.section = w[1]
		}
	}
	if s, ok := sectionKinds[w[0]]; ok {
		p.endSection()
		p.startSection(s, l)
		return
	}
	if w[0] == "http-errors" {
		p.endSection()
		p.startHTTPErrors(l)
		return
	}
	if w[0] == "peers" {
		p.endSection()
		p.startPeers(l)
		return
	}
	if w[0] == "userlist" {
		p.endSection()
		p.startUserlist(l)
		return
	}
	if w[0] == "cache" {
		p.endSection()
		p.startCache(l)
		return
	}
	if unsupportedSections[w[0]] {
		p.endSection()
		p.errorf(l.Pos, "%q is a HAProxy section that Baton does not support", w[0])
		p.skip = true
		return
	}
	if p.skip {
		return
	}
	if p.curErrors != nil {
		p.httpErrorsLine(l)
		return
	}
	if p.curPeers != nil {
		p.peersLine(l)
		return
	}
	if p.curUserlist != nil {
		p.userlistLine(l)
		return
	}
	if p.curCache != nil {
		p.cacheLine(l)
		return
	}
	switch p.sec {
	case 0:
		p.errorf(l.Pos, "%q is outside of any section (global, defaults, frontend, backend, listen)", w[0])
	case secGlobal:
		p.globalLine(l)
	case secResolvers:
		p.resolversLine(l)
	default:
		p.proxyLine(l)
	}
}

func (p *parser) startSection(s section, l line) {
	p.sec = s
	args := l.Words[1:]
	switch s {
	case secGlobal:
		if len(args) > 0 {
			p.errorf(l.Pos, "global: unexpected argument %q", args[0])
		}
		if p.cfg.Global.Pos.File == "" {
			p.cfg.Global.Pos = l.Pos
		}
		return
	case secResolvers:
		p.startResolvers(l)
		return
	case secDefaults:
		st := &proxyState{isDefaults: true}
		name, from := "", ""
		if len(args) > 0 && args[0] != "from" {
			name, args = args[0], args[1:]
		}
		if len(args) >= 2 && args[0] == "from" {
			from, args = args[1], args[2:]
		}
		if len(args) > 0 {
			p.errorf(l.Pos, "defaults: unexpected argument %q (expected: defaults [NAME] [from DEFAULTS])", args[0])
		}
		st.defName = name
		p.initProxy(st, "", 0, l.Pos, from)
		if name != "" {
			if msg := checkName(name); msg != "" {
				p.errorf(l.Pos, "defaults %q: %s", name, msg)
			}
			if prev, ok := p.defaults[name]; ok {
				p.errorf(l.Pos, "defaults %q: already declared at %s", name, prev.p.Pos)
			}
			p.defaults[name] = st
		}
		p.cur = st
		return
	}
	kind := map[section]Kind{secFrontend: KindFrontend, secListen: KindListen, secBackend: KindBackend}[s]
	if len(args) == 0 {
		p.errorf(l.Pos, "%s: missing name", kind)
		args = []string{""}
	}
	name, from := args[0], ""
	args = args[1:]
	if len(args) >= 2 && args[0] == "from" {
		from, args = args[1], args[2:]
	}
	if len(args) > 0 {
		p.errorf(l.Pos, "%s %q: unexpected argument %q (expected: %s NAME [from DEFAULTS])", kind, name, args[0], kind)
	}
	if msg := checkName(name); msg != "" && name != "" {
		p.errorf(l.Pos, "%s %q: %s", kind, name, msg)
	}
	st := &proxyState{}
	p.initProxy(st, name, kind, l.Pos, from)
	p.proxies = append(p.proxies, st)
	p.cfg.Proxies = append(p.cfg.Proxies, st.p)
	p.cur = st
}

// checkName validates a proxy or defaults name against HAProxy's charset.
func checkName(name string) string {
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return fmt.Sprintf("invalid character %q in name (allowed: letters, digits, '-', '_', '.', ':')", c)
		}
	}
	return ""
}

// initProxy creates st's Proxy with Baton's zero-value defaults and
// applies the defaults section it inherits from.
func (p *parser) initProxy(st *proxyState, name string, kind Kind, pos Pos, from string) {
	st.p = &Proxy{Name: name, Kind: kind, Pos: pos, Retries: 3}
	st.timeouts = map[string]Timeout{}
	st.acls = map[string][]*ACL{}
	st.servers = map[string]*Server{}
	// A proxy takes the last defaults section before it; a defaults
	// section starts afresh unless it names one with "from".
	def := p.lastDefaults
	if kind == 0 {
		def = nil
	}
	if from != "" {
		def = p.defaults[from]
		if def == nil {
			what := "defaults"
			if kind != 0 {
				what = kind.String() + " " + fmt.Sprintf("%q", name)
			}
			p.errorf(pos, "%s: no defaults section named %q declared before", what, from)
		}
	}
	if def != nil {
		inherit(st, def)
		st.errOps = append([]errOp(nil), def.errOps...)
		st.inheritedErrOps = len(st.errOps)
	}
	if st.isDefaults {
		p.lastDefaults = st
	}
}

// inherit copies into st what its defaults section set, keeping only the
// settings that st's kind of section accepts, as HAProxy does.
func inherit(st, def *proxyState) {
	d, p := def.p, st.p
	sec := kindSection(p.Kind)
	ok := func(kw string) bool { return proxyKeywords[kw].sections&sec != 0 }
	p.Defaults = def.origin(d.Pos)
	p.Mode, p.ModeFrom = d.Mode, d.ModeFrom
	p.LogGlobal = d.LogGlobal
	p.Disabled = d.Disabled
	inheritLogs(p, d)
	p.KeepAlive, p.KeepAliveFrom = d.KeepAlive, d.KeepAliveFrom
	p.ForwardFor = d.ForwardFor
	if ok("default_backend") {
		p.DefaultBackend, p.DefaultPos = d.DefaultBackend, d.DefaultPos
	}
	if ok("retries") {
		p.Retries, p.Balance, p.Redispatch = d.Retries, d.Balance, d.Redispatch
		p.BalanceOpts, p.HashType = d.BalanceOpts, d.HashType
		p.RedispatchInterval, p.RetryOn = d.RedispatchInterval, d.RetryOn
		p.AllBackups = d.AllBackups
		if d.HTTPChk != nil {
			c := *d.HTTPChk
			p.HTTPChk = &c
		}
	}
	if ok("maxconn") {
		p.MaxConn = d.MaxConn
	}
	if ok("http-send-name-header") {
		p.SendNameHeader = d.SendNameHeader
	}
	if ok("backlog") {
		p.Backlog = d.Backlog
	}
	if ok("rate-limit") {
		p.RateLimitSessions = d.RateLimitSessions
	}
	if ok("tcp-request inspect-delay") {
		p.InspectDelay = d.InspectDelay
	}
	if ok("tcp-response inspect-delay") {
		p.ResponseInspectDelay = d.ResponseInspectDelay
	}
	if ok("option httplog") {
		p.HTTPLog, p.TCPLog, p.DontLogNull = d.HTTPLog, d.TCPLog, d.DontLogNull
	}
	if ok("cookie") {
		p.Cookie, p.DynamicCookieKey, p.Persist = d.Cookie, d.DynamicCookieKey, d.Persist
	}
	if ok("unique-id-format") {
		p.UniqueIDFormat, p.UniqueIDHeader = d.UniqueIDFormat, d.UniqueIDHeader
	}
	for _, t := range timeoutNames {
		if v, found := def.timeouts[t.name]; found && t.sections&sec != 0 {
			st.timeouts[t.name] = v
		}
	}
	inheritExtra(st, def)
	inheritCompression(st, def)
	inheritOps(st, def)
}

func (p *parser) endSection() {
	if st := p.cur; st != nil {
		p.finishProxy(st)
	}
	if r := p.curResolvers; r != nil {
		p.finishResolvers(r)
	}
	if ps := p.curPeers; ps != nil {
		p.finishPeers(ps)
	}
	if us := p.curUserlist; us != nil {
		p.finishUserlist(us)
	}
	p.cur, p.curResolvers, p.curPeers, p.curUserlist = nil, nil, nil, nil
	p.curCache = nil
	p.curErrors = nil
	p.sec = 0
	p.skip = false
}

func (p *parser) globalLine(l line) {
	w := l.Words
	if len(w) >= 2 && w[0] == "no" && negatableGlobal[w[1]] {
		globalKeywords[w[1]](p, l, w[2:])
		return
	}
	if len(w) >= 2 && prefixWords[w[0]] {
		if f, ok := globalKeywords[w[0]+" "+w[1]]; ok {
			f(p, l, w[2:])
			return
		}
	}
	if f, ok := globalKeywords[w[0]]; ok {
		f(p, l, w[1:])
		return
	}
	p.unknown(l, w, secGlobal)
}

func (p *parser) proxyLine(l line) {
	st := p.cur
	w := l.Words
	if len(w) >= 2 && strings.HasPrefix(w[0], "http-") && strings.Contains(w[1], "(") {
		// "http-request set-var(txn.x)": the action is looked up without
		// its argument; the rule parser reads l.Words.
		action, _, _ := strings.Cut(w[1], "(")
		w = append([]string{w[0], action}, w[2:]...)
	}
	neg := false
	if w[0] == "no" {
		neg = true
		w = w[1:]
		if len(w) == 0 {
			p.errorf(l.Pos, "no: missing keyword")
			return
		}
	}
	var kw *proxyKeyword
	var key string
	var args []string
	if w[0] == "log" {
		key, args = logKeywordArgs(w)
		kw = proxyKeywords[key]
	} else if len(w) >= 2 && prefixWords[w[0]] && proxyKeywords[w[0]+" "+callName(w[1])] != nil {
		key, args = w[0]+" "+callName(w[1]), w[2:]
		kw = proxyKeywords[key]
	} else if !prefixWords[w[0]] && proxyKeywords[w[0]] != nil {
		key, args = w[0], w[1:]
		kw = proxyKeywords[key]
	}
	if kw == nil {
		p.unknown(l, w, p.sec)
		return
	}
	if kw.sections&p.sec == 0 {
		p.errorf(l.Pos, "%q is not allowed in a %s section; it is allowed in %s", key, p.sec, kw.sections)
		return
	}
	if neg && !kw.negatable {
		p.errorf(l.Pos, "%q cannot be negated with \"no\"", key)
		return
	}
	kw.parse(p, st, l, args, neg)
}

// callName is a keyword's name without its "(ARGS)" part, for actions
// written as calls: "set-var(check.port)" is the set-var keyword.
func callName(w string) string {
	if i := strings.IndexByte(w, '('); i > 0 {
		return w[:i]
	}
	return w
}

// unknown reports a keyword that no table of the current section holds,
// telling apart wrong sections, HAProxy keywords Baton lacks, and typos.
func (p *parser) unknown(l line, w []string, sec section) {
	if msg := scriptingMessage(w); msg != "" {
		p.errorf(l.Pos, "%s", msg)
		return
	}
	two := ""
	if len(w) >= 2 {
		two = w[0] + " " + w[1]
	}
	unsupported := unsupportedProxy
	if sec == secGlobal {
		unsupported = unsupportedGlobal
	}
	if two != "" && unsupported[two] {
		p.errorf(l.Pos, "%q is a HAProxy keyword that Baton does not support", two)
		return
	}
	// Wrong section: a global keyword in a proxy, or the reverse.
	if sec == secGlobal {
		if kw := proxyKeywords[w[0]]; kw != nil {
			p.errorf(l.Pos, "%q is not allowed in the global section; it is allowed in %s", w[0], kw.sections)
			return
		}
		if two != "" && proxyKeywords[two] != nil {
			p.errorf(l.Pos, "%q is not allowed in the global section; it is allowed in %s", two, proxyKeywords[two].sections)
			return
		}
	} else if globalKeywords[w[0]] != nil || two != "" && globalKeywords[two] != nil {
		k := w[0]
		if globalKeywords[k] == nil {
			k = two
		}
		p.errorf(l.Pos, "%q is only allowed in the global section", k)
		return
	}
	// A supported prefix with an unknown second word.
	var subs []string
	var firsts []string
	seen := map[string]bool{}
	add := func(k string) {
		first, rest, _ := strings.Cut(k, " ")
		if first == w[0] && rest != "" {
			subs = append(subs, rest)
		}
		if !seen[first] {
			seen[first] = true
			firsts = append(firsts, first)
		}
	}
	if sec == secGlobal {
		for k := range globalKeywords {
			add(k)
		}
	} else {
		for k, kw := range proxyKeywords {
			if kw.sections&sec != 0 {
				add(k)
			}
		}
	}
	if len(subs) > 0 {
		sort.Strings(subs)
		if len(w) < 2 {
			p.errorf(l.Pos, "%s: missing argument, one of: %s", w[0], strings.Join(subs, ", "))
			return
		}
		msg := fmt.Sprintf("unknown %s %q", w[0], w[1])
		if s := suggest(w[1], subs); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", w[0]+" "+s)
		} else {
			msg += " (supported: " + strings.Join(subs, ", ") + ")"
		}
		p.errorf(l.Pos, "%s", msg)
		return
	}
	if unsupported[w[0]] {
		p.errorf(l.Pos, "%q is a HAProxy keyword that Baton does not support", w[0])
		return
	}
	for k := range sectionKinds {
		firsts = append(firsts, k)
	}
	sort.Strings(firsts)
	msg := fmt.Sprintf("unknown keyword %q in %s section", w[0], sec)
	if s := suggest(w[0], firsts); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	p.errorf(l.Pos, "%s", msg)
}
