package promexport

import (
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"baton/internal/stats"
)

// Scope selects the families a scrape returns.
type Scope struct {
	Global, Frontend, Backend, Server bool
	// NoMaint leaves out servers in maintenance.
	NoMaint bool
}

// AllScopes selects everything.
var AllScopes = Scope{Global: true, Frontend: true, Backend: true, Server: true}

// ParseScope reads a scrape's query: each "scope=" selects one part
// ("global", "frontend", "backend", "server"; "" selects nothing); no
// scope at all selects everything. "no-maint" leaves out servers in
// maintenance.
func ParseScope(query string) Scope {
	q, _ := url.ParseQuery(query)
	s := AllScopes
	if vals, ok := q["scope"]; ok {
		s = Scope{}
		for _, v := range vals {
			switch v {
			case "global":
				s.Global = true
			case "frontend":
				s.Frontend = true
			case "backend":
				s.Backend = true
			case "server":
				s.Server = true
			case "*":
				s = AllScopes
			}
		}
	}
	_, s.NoMaint = q["no-maint"]
	return s
}

// Service are the facts only Baton has, for its baton_ families.
type Service struct {
	ReloadsOK, ReloadsFailed uint64
	// LastReload and LastReloadOK are the times of the last reload and
	// of the last successful one (zero: none yet); LastResult is 1 when
	// the last reload succeeded, 0 when it failed, -1 when none ran.
	LastReload, LastReloadOK time.Time
	LastResult               int
	ServingGeneration        uint64
	DrainingGenerations      uint64
	Migrated                 uint64
	Restarts, Upgrades       uint64
}

// ContentType is the exposition format's content type.
const ContentType = "text/plain; version=0.0.4"

// Write writes the families of scope: HAProxy's, then Baton's.
func Write(w io.Writer, info stats.Info, rows []stats.Row, svc Service, scope Scope) {
	var b strings.Builder
	objs := map[string][]*stats.Row{}
	for i := range rows {
		r := &rows[i]
		switch r.Type {
		case stats.TypeFrontend:
			objs["frontend"] = append(objs["frontend"], r)
		case stats.TypeBackend:
			objs["backend"] = append(objs["backend"], r)
		case stats.TypeServer:
			if scope.NoMaint && strings.HasPrefix(r.Values[stats.FStatus].String(), "MAINT") {
				continue
			}
			objs["server"] = append(objs["server"], r)
		}
	}
	servers := serversByBackend(objs["server"])
	for i := range Families {
		f := &Families[i]
		obj := objectOf(f.name)
		if !scope.has(obj) {
			continue
		}
		var samples []string
		if obj == "process" {
			samples = processSamples(f, info)
		} else {
			samples = objectSamples(f, obj, objs[obj], servers)
		}
		if len(samples) == 0 {
			continue
		}
		b.WriteString("# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " " + string(f.kind) + "\n")
		for _, s := range samples {
			b.WriteString(s)
		}
	}
	if scope.Global {
		writeService(&b, svc)
	}
	io.WriteString(w, b.String())
}

func objectOf(name string) string {
	switch {
	case strings.HasPrefix(name, "haproxy_process_"):
		return "process"
	case strings.HasPrefix(name, "haproxy_frontend_"):
		return "frontend"
	case strings.HasPrefix(name, "haproxy_backend_"):
		return "backend"
	}
	return "server"
}

func (s Scope) has(obj string) bool {
	switch obj {
	case "process":
		return s.Global
	case "frontend":
		return s.Frontend
	case "backend":
		return s.Backend
	}
	return s.Server
}

func serversByBackend(rows []*stats.Row) map[string][]*stats.Row {
	m := map[string][]*stats.Row{}
	for _, r := range rows {
		be := r.Values[stats.FPxname].String()
		m[be] = append(m[be], r)
	}
	return m
}

// value formats a column: an integer, or NaN when empty.
func value(v stats.Value) string {
	if v.IsEmpty() {
		return "NaN"
	}
	if s := v.String(); v.Int() == 0 && s != "0" {
		return "NaN" // a string where a number was expected
	}
	return strconv.FormatInt(v.Int(), 10)
}

// seconds formats a column in milliseconds as seconds.
func seconds(v stats.Value) string {
	if v.IsEmpty() {
		return "NaN"
	}
	return strconv.FormatFloat(float64(v.Int())/1000, 'f', 6, 64)
}

func sample(name, labels, v string) string {
	if labels == "" {
		return name + " " + v + "\n"
	}
	return name + "{" + labels + "} " + v + "\n"
}

// quote escapes a label value.
func quote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

func processSamples(f *family, info stats.Info) []string {
	switch f.source {
	case "one":
		return []string{sample(f.name, "", "1")}
	case "zero":
		return []string{sample(f.name, "", "0")}
	case "build":
		return []string{sample(f.name, "version="+quote(info["Build info"].String()), "1")}
	}
	name := strings.TrimPrefix(f.source, "info:")
	v, ok := info[name]
	if !ok {
		return []string{sample(f.name, "", "NaN")}
	}
	return []string{sample(f.name, "", value(v))}
}

// column finds a stat column by name.
func column(name string) stats.Pos {
	for p := stats.Pos(0); p < stats.NumFields; p++ {
		if stats.Fields[p].Name == name {
			return p
		}
	}
	return -1
}

// labels are an object's proxy (and server) labels.
func labels(obj string, r *stats.Row) string {
	l := "proxy=" + quote(r.Values[stats.FPxname].String())
	if obj == "server" {
		l += ",server=" + quote(r.Values[stats.FSvname].String())
	}
	return l
}

var (
	serverStates = []string{"DOWN", "UP", "MAINT", "DRAIN", "NOLB"}
	checkStates  = []string{"HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT",
		"L7RSP", "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK"}
	codes     = []string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"}
	codeCols  = []stats.Pos{stats.FHrsp1xx, stats.FHrsp2xx, stats.FHrsp3xx, stats.FHrsp4xx, stats.FHrsp5xx, stats.FHrspOther}
	colByName = map[string]stats.Pos{}
)

func init() {
	for i := range Families {
		if _, name, ok := strings.Cut(Families[i].source, ":"); ok {
			if p := column(name); p >= 0 {
				colByName[name] = p
			}
		}
	}
}

// state is an object's state for the status family.
func state(obj string, r *stats.Row) string {
	st := r.Values[stats.FStatus].String()
	switch {
	case obj == "frontend":
		if st == "STOP" {
			return "DOWN"
		}
		return "UP"
	case strings.HasPrefix(st, "UP"), st == "no check":
		return "UP"
	case strings.HasPrefix(st, "MAINT"):
		return "MAINT"
	case st == "DRAIN", st == "NOLB":
		return st
	}
	return "DOWN"
}

func objectSamples(f *family, obj string, rows []*stats.Row, servers map[string][]*stats.Row) []string {
	var out []string
	kind, name, _ := strings.Cut(f.source, ":")
	switch kind {
	case "codes":
		for i, c := range codes {
			for _, r := range rows {
				out = append(out, sample(f.name, labels(obj, r)+",code="+quote(c), value(r.Values[codeCols[i]])))
			}
		}
		return out
	case "aggsrv", "aggchk":
		for _, r := range rows {
			srvs := servers[r.Values[stats.FPxname].String()]
			if len(srvs) == 0 {
				continue
			}
			states, of := serverStates, func(s *stats.Row) string { return state("server", s) }
			if kind == "aggchk" {
				states, of = checkStates, func(s *stats.Row) string { return s.Values[stats.FCheckStatus].String() }
			}
			for _, st := range states {
				n := 0
				for _, s := range srvs {
					if of(s) == st {
						n++
					}
				}
				out = append(out, sample(f.name, labels(obj, r)+",state="+quote(st), strconv.Itoa(n)))
			}
		}
		return out
	}
	for _, r := range rows {
		l := labels(obj, r)
		switch kind {
		case "status":
			states := serverStates
			if obj != "server" {
				states = []string{"DOWN", "UP"}
			}
			cur := state(obj, r)
			for _, st := range states {
				out = append(out, sample(f.name, l+",state="+quote(st), map[bool]string{true: "1", false: "0"}[st == cur]))
			}
		case "checkstatus":
			cur := r.Values[stats.FCheckStatus].String()
			if cur == "" {
				continue
			}
			for _, st := range checkStates {
				out = append(out, sample(f.name, l+",state="+quote(st), map[bool]string{true: "1", false: "0"}[st == cur]))
			}
		case "check", "checkms":
			if r.Values[stats.FCheckStatus].IsEmpty() {
				continue
			}
			v := r.Values[colByName[name]]
			if kind == "checkms" {
				out = append(out, sample(f.name, l, seconds(v)))
			} else if v.IsEmpty() {
				out = append(out, sample(f.name, l, "0"))
			} else {
				out = append(out, sample(f.name, l, value(v)))
			}
		case "ms":
			out = append(out, sample(f.name, l, seconds(r.Values[colByName[name]])))
		default:
			out = append(out, sample(f.name, l, value(r.Values[colByName[name]])))
		}
	}
	return out
}

// writeService writes Baton's families.
func writeService(b *strings.Builder, s Service) {
	fam := func(name string, k kind, help string, samples ...string) {
		b.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + string(k) + "\n")
		for _, smp := range samples {
			b.WriteString(smp)
		}
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "0"
		}
		return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 3, 64)
	}
	fam("baton_reloads_total", counter, "Reloads since the master started, by result",
		sample("baton_reloads_total", `result="success"`, u(s.ReloadsOK)),
		sample("baton_reloads_total", `result="failure"`, u(s.ReloadsFailed)))
	fam("baton_last_reload_success_timestamp_seconds", gauge, "When the last successful reload finished (unix seconds; 0: none yet)",
		sample("baton_last_reload_success_timestamp_seconds", "", ts(s.LastReloadOK)))
	fam("baton_last_reload_timestamp_seconds", gauge, "When the last reload finished, successful or not (unix seconds; 0: none yet)",
		sample("baton_last_reload_timestamp_seconds", "", ts(s.LastReload)))
	fam("baton_last_reload_successful", gauge, "1 if the last reload succeeded, 0 if it failed, -1 before the first reload",
		sample("baton_last_reload_successful", "", strconv.Itoa(s.LastResult)))
	fam("baton_serving_generation", gauge, "The worker generation that accepts connections",
		sample("baton_serving_generation", "", u(s.ServingGeneration)))
	fam("baton_draining_generations", gauge, "Older generations still finishing their connections",
		sample("baton_draining_generations", "", u(s.DrainingGenerations)))
	fam("baton_connections_migrated_total", counter, "Idle client connections handed over to a newer generation at reloads",
		sample("baton_connections_migrated_total", "", u(s.Migrated)))
	fam("baton_worker_restarts_total", counter, "Serving workers restarted after a crash",
		sample("baton_worker_restarts_total", "", u(s.Restarts)))
	fam("baton_upgrades_total", counter, "Binary upgrades of the master",
		sample("baton_upgrades_total", "", u(s.Upgrades)))
}
