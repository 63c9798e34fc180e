package config

import (
	"sort"
	"strings"
)

// section is a bit set of section kinds, used to say where a keyword may
// appear.
type section uint8

const (
	secGlobal section = 1 << iota
	secDefaults
	secFrontend
	secListen
	secBackend
	secResolvers

	secD   = secDefaults
	secF   = secFrontend
	secL   = secListen
	secB   = secBackend
	secAll = secD | secF | secL | secB
)

var sectionNames = []struct {
	s    section
	name string
}{{secGlobal, "global"}, {secDefaults, "defaults"}, {secFrontend, "frontend"}, {secListen, "listen"}, {secBackend, "backend"}, {secResolvers, "resolvers"}}

func (s section) String() string {
	var names []string
	for _, n := range sectionNames {
		if s&n.s != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ", ")
}

func kindSection(k Kind) section {
	switch k {
	case KindFrontend:
		return secFrontend
	case KindListen:
		return secListen
	case KindBackend:
		return secBackend
	}
	return secDefaults
}

// proxyKeyword describes one supported proxy keyword. Multi-word keywords
// ("timeout client", "http-request deny") are keyed by all their words.
type proxyKeyword struct {
	sections section
	// negatable keywords accept the "no" prefix ("no option redispatch").
	negatable bool
	parse     func(p *parser, st *proxyState, l line, args []string, neg bool)
}

// prefixWords are keywords whose second word selects the real keyword.
var prefixWords = map[string]bool{"stick": true, "filter": true, "option": true, "timeout": true, "http-request": true, "http-response": true, "stats": true, "log": true,
	"http-after-response": true, "tcp-request": true, "tcp-response": true, "capture": true, "declare": true,
	"http-check": true, "tcp-check": true, "external-check": true}

var proxyKeywords map[string]*proxyKeyword

var globalKeywords map[string]func(p *parser, l line, args []string)

func init() {
	proxyKeywords = map[string]*proxyKeyword{
		"mode":            {sections: secAll, parse: parseMode},
		"log global":      {sections: secAll, parse: parseLogGlobal},
		"bind":            {sections: secF | secL, parse: parseBind},
		"default_backend": {sections: secD | secF | secL, parse: parseDefaultBackend},
		"use_backend":     {sections: secF | secL, parse: parseUseBackend},
		"acl":             {sections: secF | secL | secB, parse: parseACLLine},
		"retries":         {sections: secD | secL | secB, parse: parseRetries},
		"description":     {sections: secF | secL | secB, parse: parseProxyDescription},
		"disabled":        {sections: secAll, parse: parseDisabled},
		"rate-limit":      {sections: secD | secF | secL, parse: parseRateLimit},
		"enabled":         {sections: secAll, parse: parseDisabled},
		"balance":         {sections: secD | secL | secB, parse: parseBalance},
		"maxconn":         {sections: secD | secF | secL, parse: parseProxyMaxConn},
		"server":          {sections: secL | secB, parse: parseServer},
		"server-template": {sections: secL | secB, parse: parseServerTemplate},
		"retry-on":        {sections: secD | secL | secB, parse: parseRetryOn},

		"errorfile":   {sections: secAll, parse: parseErrorFile},
		"errorfiles":  {sections: secAll, parse: parseErrorFiles},
		"errorloc":    {sections: secAll, parse: parseErrorLoc},
		"errorloc302": {sections: secAll, parse: parseErrorLoc},
		"errorloc303": {sections: secAll, parse: parseErrorLoc},
		"http-error":  {sections: secAll, parse: parseHTTPError},

		"option http-keep-alive":   {sections: secAll, negatable: true, parse: parseKeepAliveOption},
		"option http-server-close": {sections: secAll, negatable: true, parse: parseKeepAliveOption},
		"option httpclose":         {sections: secAll, negatable: true, parse: parseKeepAliveOption},
		"option forwardfor":        {sections: secAll, parse: parseHeaderOption},
		"option originalto":        {sections: secAll, parse: parseHeaderOption},
		"http-reuse":               {sections: secD | secL | secB, parse: parseHTTPReuse},
		"fullconn":                 {sections: secD | secL | secB, parse: parseFullConn},
		"source":                   {sections: secD | secL | secB, parse: parseProxySource},
		"option dontlognull":       {sections: secD | secF | secL, negatable: true, parse: parseFlagOption},
		"option redispatch":        {sections: secD | secL | secB, negatable: true, parse: parseRedispatch},
		"option allbackups":        {sections: secD | secL | secB, negatable: true, parse: parseAllBackups},
		"default-server":           {sections: secD | secL | secB, parse: parseDefaultServer},
	}
	for _, o := range checkOptions {
		proxyKeywords["option "+o] = &proxyKeyword{sections: secD | secL | secB, parse: parseCheckOption}
	}
	for _, a := range []string{"connect", "send", "expect", "comment", "send-state", "disable-on-404", "set-var", "set-var-fmt", "unset-var"} {
		proxyKeywords["http-check "+a] = &proxyKeyword{sections: secD | secL | secB, parse: parseHTTPCheck}
	}
	for _, a := range []string{"connect", "send", "send-lf", "send-binary", "send-binary-lf", "expect", "comment", "set-var", "set-var-fmt", "unset-var"} {
		proxyKeywords["tcp-check "+a] = &proxyKeyword{sections: secD | secL | secB, parse: parseTCPCheck}
	}
	for _, o := range connFlagOptions {
		proxyKeywords["option "+o.name] = &proxyKeyword{sections: o.sections, negatable: true, parse: parseConnFlagOption}
	}
	for _, k := range []string{"clitcpka-idle", "clitcpka-cnt", "clitcpka-intvl"} {
		proxyKeywords[k] = &proxyKeyword{sections: secD | secF | secL, parse: parseTCPKAParam}
	}
	for _, k := range []string{"srvtcpka-idle", "srvtcpka-cnt", "srvtcpka-intvl"} {
		proxyKeywords[k] = &proxyKeyword{sections: secD | secL | secB, parse: parseTCPKAParam}
	}
	for _, a := range []string{"command", "path"} {
		proxyKeywords["external-check "+a] = &proxyKeyword{sections: secD | secL | secB, parse: parseExternalCheck}
	}
	for _, k := range ruleActionKeywords() {
		if strings.HasPrefix(k, "http-") {
			proxyKeywords[k] = &proxyKeyword{sections: secF | secL | secB, parse: parseRule}
		}
	}
	for k, secs := range map[string]section{
		"tcp-request connection": secF | secL, "tcp-request session": secF | secL,
		"tcp-request content": secF | secL | secB, "tcp-response content": secL | secB,
	} {
		proxyKeywords[k] = &proxyKeyword{sections: secs, parse: parseRule}
	}
	proxyKeywords["tcp-request inspect-delay"] = &proxyKeyword{sections: secAll, parse: parseInspectDelay}
	proxyKeywords["tcp-response inspect-delay"] = &proxyKeyword{sections: secD | secL | secB, parse: parseInspectDelay}
	proxyKeywords["capture request"] = &proxyKeyword{sections: secF | secL, parse: parseCaptureHeader}
	proxyKeywords["capture response"] = &proxyKeyword{sections: secF | secL, parse: parseCaptureHeader}
	proxyKeywords["declare capture"] = &proxyKeyword{sections: secF | secL, parse: parseDeclareCapture}
	proxyKeywords["unique-id-format"] = &proxyKeyword{sections: secD | secF | secL, parse: parseUniqueIDFormat}
	proxyKeywords["unique-id-header"] = &proxyKeyword{sections: secD | secF | secL, parse: parseUniqueIDHeader}
	proxyKeywords["use-server"] = &proxyKeyword{sections: secL | secB, parse: parseUseServer}
	proxyKeywords["force-persist"] = &proxyKeyword{sections: secL | secB, parse: parsePersistRule}
	proxyKeywords["ignore-persist"] = &proxyKeyword{sections: secL | secB, parse: parsePersistRule}
	for _, t := range timeoutNames {
		proxyKeywords["timeout "+t.name] = &proxyKeyword{sections: t.sections, parse: parseTimeout}
	}
	globalKeywords = map[string]func(p *parser, l line, args []string){
		"maxconn":         parseGlobalMaxConn,
		"hard-stop-after": parseHardStopAfter,
		"stats socket":    parseStatsSocket,
		"stats timeout":   parseStatsTimeout,
		"nbthread":        parseNbThread,
		"pidfile":         parsePidFile,
		"daemon":          parseDaemon,

		"expose-experimental-directives": parseExperimental,
		"user":                           parseIdentity,
		"uid":                            parseIdentity,
		"group":                          parseIdentity,
		"gid":                            parseIdentity,
		"chroot":                         parseChroot,
		"ulimit-n":                       parseUlimitN,
		"strict-limits":                  parseGlobalFlag,
		"zero-warning":                   parseGlobalFlag,
		"insecure-fork-wanted":           parseGlobalFlag,
		"spread-checks":                  parseSpreadChecks,
		"max-spread-checks":              parseMaxSpreadChecks,
		"external-check":                 parseGlobalCheckFlag,
		"master-worker":                  parseMasterWorker,
		"cpu-map":                        parseCPUMap,
		"unix-bind":                      parseUnixBind,
		"default-path":                   parseDefaultPath,
		"description":                    parseGlobalDescription,
		"tune.bufsize":                   parseTuneBufSize,

		"crt-base":                        parseCrtBase,
		"ca-base":                         parseCrtBase,
		"ssl-default-bind-ciphers":        parseSSLDefault,
		"ssl-default-bind-ciphersuites":   parseSSLDefault,
		"ssl-default-bind-curves":         parseSSLDefault,
		"ssl-default-bind-options":        parseSSLDefault,
		"ssl-default-server-ciphers":      parseSSLDefault,
		"ssl-default-server-ciphersuites": parseSSLDefault,
		"ssl-default-server-options":      parseSSLDefault,
		"ssl-server-verify":               parseSSLServerVerify,
	}
	for _, k := range []string{"lifetime", "maxrecord", "default-dh-param", "cachesize", "capture-buffer-size",
		"capture-cipherlist-size", "hard-maxrecord", "ssl-ctx-cache-size", "keylog", "force-private-cache"} {
		globalKeywords["tune.ssl."+k] = parseTuneSSL
	}
	for _, k := range []string{"header-table-size", "initial-window-size", "max-concurrent-streams", "max-frame-size"} {
		globalKeywords["tune.h2."+k] = parseTuneH2
	}
	addLogKeywords()
	registerOpsKeywords()
}

// negatableGlobal are the global keywords that take the "no" prefix.
var negatableGlobal = wordSet("strict-limits insecure-fork-wanted")

// timeoutNames lists the supported timeouts and where each is allowed,
// in the order Explain prints them.
var timeoutNames = []struct {
	name     string
	sections section
}{
	{"client", secD | secF | secL},
	{"http-request", secAll},
	{"http-keep-alive", secAll},
	{"client-fin", secD | secF | secL},
	{"connect", secD | secL | secB},
	{"server", secD | secL | secB},
	{"queue", secD | secL | secB},
	{"server-fin", secD | secL | secB},
	{"tunnel", secD | secL | secB},
	{"check", secD | secL | secB},
	{"tarpit", secAll},
}

// Keywords lists every supported keyword as "SECTION KEYWORD", e.g.
// "global stats socket", "frontend bind", "backend timeout server",
// "listen http-request deny", sorted. The "no" prefix of negatable
// options is not listed separately.
func Keywords() []string {
	var out []string
	for k := range globalKeywords {
		out = append(out, "global "+k)
	}
	for k := range resolversKeywords {
		out = append(out, "resolvers "+k)
	}
	for k, kw := range proxyKeywords {
		for _, n := range sectionNames {
			if kw.sections&n.s != 0 {
				out = append(out, n.name+" "+k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// unsupportedSections are HAProxy sections Baton does not implement.
var unsupportedSections = wordSet("mailers program ring fcgi-app log-forward crt-store traces acme dynamic-update")

// unsupportedGlobal are global keywords of HAProxy that Baton rejects.
var unsupportedGlobal = wordSet(`nbproc
	ssl-dh-param-file ssl-engine ssl-mode-async ssl-propquery ssl-provider ssl-provider-path
	ssl-load-extra-files ssl-load-extra-del-ext ssl-skip-self-issued-ca issuers-chain-path
	lua-load lua-prepend-path setenv presetenv resetenv unsetenv maxsslconn maxconnrate maxsessrate
	server-state-file server-state-base localpeer node quiet
	h1-case-adjust h1-case-adjust-file stats bind-process set-dumpable
	busy-polling noepoll nopoll nosplice
	tune.maxrewrite tune.http.maxhdr tune.maxaccept tune.idletimer`)

// unsupportedProxy are proxy keywords of HAProxy that Baton rejects; the
// multi-word ones are matched on their first two words.
var unsupportedProxy = wordSet(`redirect
	stats
	monitor-uri monitor id hash-balance-factor
	dispatch email-alert filter\ fcgi-app filter\ bwlim-in filter\ bwlim-out
	persist load-server-state-from-file
	server-state-file-name grace backlog bind-process max-keep-alive-queue
	http-send-name-header reqadd rspadd reqrep rsprep reqdel rspdel block contimeout clitimeout srvtimeout
	timeout\ client-hs timeout\ server-hs
	option\ checkcache option\ accept-invalid-http-request
	option\ accept-invalid-http-response option\ contstats
	option\ http-use-proxy-header option\ spop-check
	option\ http-use-htx option\ h1-case-adjust-bogus-client
	option\ h1-case-adjust-bogus-server option\ disable-h2-upgrade option\ transparent
	option\ http-restrict-req-hdr-names option\ idle-close-on-response
	http-request\ lua http-request\ use-service
	http-request\ set-priority-class http-request\ set-priority-offset http-request\ send-spoe-group
	http-request\ wait-for-handshake
	http-response\ lua http-response\ send-spoe-group`)

// wordSet splits s on blanks; "\ " joins two words into one entry.
func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	s = strings.ReplaceAll(s, `\ `, "\x00")
	for _, w := range strings.Fields(s) {
		m[strings.ReplaceAll(w, "\x00", " ")] = true
	}
	return m
}

// suggest returns the candidate nearest to word by edit distance, or ""
// when nothing is close enough to be a plausible typo.
func suggest(word string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(word) <= 4 {
		limit = 1
	}
	if bestD > limit || bestD >= len(word) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
