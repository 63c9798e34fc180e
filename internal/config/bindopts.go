package config

import (
	"fmt"
	"strings"
)

// bindFlags are the bind options without a value.
var bindFlags = map[string]func(b *Bind){
	"accept-proxy": func(b *Bind) { b.AcceptProxy = true },
	"defer-accept": func(b *Bind) { b.DeferAccept = true },
	"tfo":          func(b *Bind) { b.TFO = true },
	"transparent":  func(b *Bind) { b.Transparent = true },
	"v4v6":         func(b *Bind) { b.V4V6 = true },
	"v6only":       func(b *Bind) { b.V6Only = true },
}

// bindValues are the bind options with one value.
var bindValues = []string{"name", "id", "interface", "backlog", "maxconn", "process"}

// bindConnOptions reads the connection options of a bind line into b
// (raw is the address as written, for messages) and returns the words
// it does not know, for the TLS options (parseBindOptions). It reports
// false after an error.
func (p *parser) bindConnOptions(b *Bind, l line, raw string, args []string) (rest []string, ok bool) {
	errf := func(format string, a ...any) ([]string, bool) {
		p.errorf(l.Pos, "bind %s: %s", raw, fmt.Sprintf(format, a...))
		return nil, false
	}
	for i := 0; i < len(args); i++ {
		o := args[i]
		if set, ok := bindFlags[o]; ok {
			set(b)
			continue
		}
		if indexOf(bindValues, o) < 0 {
			rest = append(rest, o)
			continue
		}
		if i+1 >= len(args) || args[i+1] == "" {
			return errf("%s expects a value", o)
		}
		v := args[i+1]
		i++
		var err error
		switch o {
		case "name":
			b.Name = v
		case "id":
			if b.ID, err = parseInt(v, 1, 1<<30); err != nil {
				return errf("id: %v (a positive number)", err)
			}
		case "interface":
			b.Interface = v
		case "backlog":
			if b.Backlog, err = parseInt(v, 0, 1<<30); err != nil {
				return errf("backlog: %v", err)
			}
		case "maxconn":
			if b.MaxConn, err = parseInt(v, 0, 1<<30); err != nil {
				return errf("maxconn: %v", err)
			}
		case "process":
			// Only process 1 exists; a thread set is Go's business.
			proc, threads, _ := strings.Cut(v, "/")
			if proc != "1" && proc != "all" && proc != "odd" && proc != "1-" && proc != "1-1" {
				return errf("process: only process number 1 is permitted (got %q)", v)
			}
			if threads != "" {
				p.advisef(l.Pos, "bind %s: process %s: the thread set has no effect; Go's scheduler spreads connections over all threads", raw, v)
			}
		}
	}
	if b.Transparent && b.Addr != "" && b.Addr[0] == ':' {
		p.advisef(l.Pos, "bind %s: transparent on every address intercepts the traffic of the whole port", raw)
	}
	return rest, true
}

// checkBindIDs refuses two binds of a frontend with the same id.
func (p *parser) checkBindIDs(st *proxyState) {
	seen := map[int]Pos{}
	for _, b := range st.p.Binds {
		if b.ID == 0 {
			continue
		}
		if prev, ok := seen[b.ID]; ok {
			p.errorf(b.Pos, "bind %s: id %d already used at %s", b.Addr, b.ID, prev)
			continue
		}
		seen[b.ID] = b.Pos
	}
}
