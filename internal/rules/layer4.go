package rules

import (
	"net/netip"

	"baton/internal/config"
)

// newCompiler compiles every ACL p declares, used or not, so mistakes
// surface, into a compiler that conditions can refer to.
func newCompiler(p *config.Proxy) (*compiler, error) {
	c := &compiler{p: p, named: map[string]*acl{}}
	for i := range p.ACLs {
		a := &p.ACLs[i]
		if a.Name == "" {
			continue
		}
		m, err := compileMatcher(a)
		if err != nil {
			return nil, err
		}
		n := c.named[a.Name]
		if n == nil {
			n = &acl{name: a.Name}
			c.named[a.Name] = n
		}
		n.lines = append(n.lines, m)
	}
	return c, nil
}

// Layer4 is a condition evaluated when a connection is accepted, before
// any request (tcp-request connection): only the client's address is
// known then, so its ACLs are "src" ones (the configuration checks).
type Layer4 struct{ c *cond }

// CompileLayer4 compiles cd, which may refer to p's named ACLs; a nil
// condition always holds.
func CompileLayer4(p *config.Proxy, cd *config.Condition) (*Layer4, error) {
	c, err := newCompiler(p)
	if err != nil {
		return nil, err
	}
	cc, err := c.cond(cd)
	if err != nil {
		return nil, err
	}
	return &Layer4{c: cc}, nil
}

// Holds reports whether the condition holds for a connection from src.
func (l *Layer4) Holds(src netip.Addr) bool {
	in := Input{Src: src}
	return l.c.holds(&in)
}
