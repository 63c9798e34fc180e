package config

import (
	"fmt"
	"strings"
	"time"
)

// Cookie persistence: the "cookie" line of a backend, "dynamic-cookie-key"
// and the servers' "cookie" option (package persist applies them).

// Cookie is a backend's "cookie NAME MODE [options]" line.
type Cookie struct {
	Name string
	// Mode is "insert" (Baton sets the cookie), "rewrite" (the server
	// sets it, Baton replaces its value) or "prefix" (Baton prefixes the
	// server's value with the server's cookie and a '~').
	Mode string
	// Indirect: a client that already has a valid cookie gets none; in
	// insert mode the cookie is also removed from the requests.
	Indirect bool
	// NoCache marks a cacheable response that gets a cookie private.
	NoCache bool
	// PostOnly inserts the cookie only in answers to POST requests.
	PostOnly bool
	// Preserve keeps a cookie the server set itself (no insertion then).
	Preserve bool
	// HTTPOnly, Secure, Domains and Attrs are the inserted cookie's
	// attributes.
	HTTPOnly, Secure bool
	Domains          []string
	Attrs            []string
	// Dynamic derives each server's value from its address and the
	// backend's dynamic-cookie-key.
	Dynamic bool
	// MaxIdle and MaxLife (insert mode) make the inserted cookie carry
	// its last-seen and first-seen dates, as HAProxy encodes them; a
	// cookie idle longer than MaxIdle, or older than MaxLife, is ignored.
	// 0 means no bound and no date.
	MaxIdle, MaxLife time.Duration
	Pos              Pos
}

func init() {
	proxyKeywords["cookie"] = &proxyKeyword{sections: secD | secL | secB, parse: parseCookie}
	proxyKeywords["dynamic-cookie-key"] = &proxyKeyword{sections: secD | secL | secB, parse: parseDynamicCookieKey}
	proxyKeywords["option persist"] = &proxyKeyword{sections: secD | secL | secB, negatable: true, parse: parseOptionPersist}
}

func parseCookie(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "cookie: expects <cookie_name> as argument")
		return
	}
	c := &Cookie{Name: args[0], Mode: "rewrite", Pos: l.Pos}
	modes := 0
	for i := 1; i < len(args); i++ {
		o := args[i]
		next := func() (string, bool) {
			if i+1 >= len(args) {
				p.errorf(l.Pos, "cookie: '%s' expects an argument", o)
				return "", false
			}
			i++
			return args[i], true
		}
		switch o {
		case "insert", "rewrite", "prefix":
			c.Mode = o
			modes++
		case "indirect":
			c.Indirect = true
		case "nocache":
			c.NoCache = true
		case "postonly":
			c.PostOnly = true
		case "preserve":
			c.Preserve = true
		case "httponly":
			c.HTTPOnly = true
		case "secure":
			c.Secure = true
		case "dynamic":
			c.Dynamic = true
		case "domain":
			v, ok := next()
			if !ok {
				return
			}
			if !strings.HasPrefix(v, ".") && !strings.Contains(v, ".") {
				p.warnf(l.Pos, "cookie: domain '%s' contains no embedded dot nor does it start with a dot. It will be ignored by the browsers", v)
			}
			c.Domains = append(c.Domains, v)
		case "attr":
			v, ok := next()
			if !ok {
				return
			}
			if strings.ContainsAny(v, ";\r\n") {
				p.errorf(l.Pos, "cookie: attr '%s' may not contain a ';' or a line break", v)
				return
			}
			c.Attrs = append(c.Attrs, v)
		case "maxidle", "maxlife":
			v, ok := next()
			if !ok {
				return
			}
			d, err := parseTimeUnit(v, time.Second)
			if err != nil || d < time.Second {
				p.errorf(l.Pos, "cookie: '%s' expects a time of at least 1s, not '%s'", o, v)
				return
			}
			if o == "maxidle" {
				c.MaxIdle = d
			} else {
				c.MaxLife = d
			}
		default:
			p.errorf(l.Pos, "cookie: supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife', 'attr', 'httponly', 'preserve' and 'secure' options; got %q", o)
			return
		}
	}
	if modes > 1 {
		p.errorf(l.Pos, "cookie: 'rewrite', 'insert' and 'prefix' modes are mutually exclusive")
		return
	}
	if c.Mode == "prefix" && c.Indirect {
		p.errorf(l.Pos, "cookie: 'prefix' and 'indirect' options are mutually exclusive")
		return
	}
	if c.PostOnly && c.Mode != "insert" {
		p.errorf(l.Pos, "cookie: 'postonly' option only makes sense with 'insert' mode")
		return
	}
	if (c.MaxIdle > 0 || c.MaxLife > 0) && c.Mode != "insert" {
		// HAProxy accepts and ignores them: only an inserted cookie
		// carries dates.
		p.warnf(l.Pos, "cookie: 'maxidle' and 'maxlife' only work with 'insert' mode: ignored")
		c.MaxIdle, c.MaxLife = 0, 0
	}
	st.p.Cookie = c
}

// parseOptionPersist reads "[no] option persist": a request whose
// cookie names a server that is down still goes to it.
func parseOptionPersist(p *parser, st *proxyState, l line, args []string, neg bool) {
	if len(args) > 0 {
		p.errorf(l.Pos, "option persist: unexpected argument %q", args[0])
		return
	}
	st.p.Persist = !neg
}

func parseDynamicCookieKey(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "dynamic-cookie-key: expects <key> as argument")
		return
	}
	st.p.DynamicCookieKey = args[0]
}

// serverCookie reads a server line's "cookie VALUE".
func serverCookie(s *Server, v string) error {
	if v == "" {
		return fmt.Errorf("cookie expects a value")
	}
	s.Cookie = v
	return nil
}

// checkCookies warns as HAProxy does about a cookie line the servers
// cannot honour.
func (p *parser) checkCookies(st *proxyState) {
	c := st.p.Cookie
	if c == nil || st.isDefaults {
		return
	}
	if c.Dynamic && st.p.DynamicCookieKey == "" {
		p.warnf(c.Pos, "dynamic cookies are enabled for backend '%s', but no dynamic-cookie-key was provided", st.p.Name)
	}
}
