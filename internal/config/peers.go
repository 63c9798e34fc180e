package config

import (
	"fmt"
	"strings"

	"baton/internal/sticktable"
)

// Peers sections. HAProxy's peers replicate stick tables between
// processes: the old and the new one at a reload, and remote nodes.
// Baton's generations share their tables (package sticktable), so a
// section that names only the local node is accepted for compatibility
// and binds nothing; replication to remote peers is not supported yet.
// Tables declared in the section ("table NAME ...") are named
// "SECTION/NAME", as in HAProxy.

// Peers is a "peers" section.
type Peers struct {
	Name string
	Pos  Pos
	// Peers are the peer (or server) names, in order.
	Peers []string
	// Disabled is set by "disabled" (and cleared by "enabled").
	Disabled bool
	// Tables are the section's "table" lines.
	Tables []*StickTable
}

// startPeers opens a peers section.
func (p *parser) startPeers(l line) {
	if len(l.Words) != 2 {
		p.errorf(l.Pos, "peers: expects one name")
	}
	name := ""
	if len(l.Words) > 1 {
		name = l.Words[1]
	}
	for _, other := range p.cfg.Peers {
		if other.Name == name {
			p.errorf(l.Pos, "peers %q: already declared at %s", name, other.Pos)
		}
	}
	p.curPeers = &Peers{Name: name, Pos: l.Pos}
	p.cfg.Peers = append(p.cfg.Peers, p.curPeers)
}

// peersLine reads one line of a peers section.
func (p *parser) peersLine(l line) {
	ps := p.curPeers
	w := l.Words
	what := fmt.Sprintf("peers %q: %s", ps.Name, w[0])
	switch w[0] {
	case "peer", "server":
		if len(w) < 2 {
			p.errorf(l.Pos, "%s: expects a name and an address", what)
			return
		}
		ps.Peers = append(ps.Peers, w[1])
	case "bind", "default-bind", "default-server":
		// Transport settings of the peers protocol: nothing listens or
		// connects in Baton (see finishPeers).
	case "disabled":
		ps.Disabled = true
	case "enabled":
		ps.Disabled = false
	case "log":
		p.advisef(l.Pos, "%s: no-op: Baton runs no peers listener to log about", what)
	case "table":
		if len(w) < 2 {
			p.errorf(l.Pos, "%s: expects a table name", what)
			return
		}
		spec, err := sticktable.ParseSpec(ps.Name+"/"+w[1], w[2:], parseTime)
		if err != nil {
			p.errorf(l.Pos, "%s %s: %v", what, w[1], err)
			return
		}
		if spec.Peers != "" {
			p.errorf(l.Pos, "%s %s: 'peers' is not allowed in a peers section's table", what, w[1])
			return
		}
		spec.Peers = ps.Name
		ps.Tables = append(ps.Tables, &StickTable{Spec: spec, Pos: l.Pos})
	default:
		p.errorf(l.Pos, "unknown keyword %q in peers section (peer, server, bind, default-bind, default-server, disabled, enabled, log, table)", w[0])
	}
}

// finishPeers checks a peers section once it is read.
func (p *parser) finishPeers(ps *Peers) {
	if len(ps.Peers) > 1 && !ps.Disabled {
		p.errorf(ps.Pos, "peers %q: replicating stick tables to remote peers (%s) is not supported yet; Baton carries tables across reloads by itself, so a section naming only the local node is enough",
			ps.Name, strings.Join(ps.Peers[1:], ", "))
		return
	}
	p.advisef(ps.Pos, "peers %q: Baton's generations share their stick tables: the section is accepted for compatibility and nothing listens for peers", ps.Name)
}

// peersTables are the tables declared in peers sections.
func (c *Config) peersTables() []*sticktable.Spec {
	var out []*sticktable.Spec
	for _, ps := range c.Peers {
		for _, t := range ps.Tables {
			out = append(out, &t.Spec)
		}
	}
	return out
}
