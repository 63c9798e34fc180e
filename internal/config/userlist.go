package config

import (
	"strings"

	"baton/internal/auth"
)

// Userlist sections (package auth checks the credentials): "group NAME
// [users U,...]" and "user NAME [password HASH|insecure-password PASS]
// [groups G,...]". The http_auth fetches name them; they may come
// before the section.

// userlistState is a userlist section while it is read.
type userlistState struct {
	l   *auth.Userlist
	pos Pos
	// members are the "users" of each group line, joined to the users
	// once the section is read.
	members map[string][]string
}

// userlist returns the userlist name, creating it on first reference.
func (p *parser) userlist(name string) *auth.Userlist {
	if p.userlists == nil {
		p.userlists = map[string]*auth.Userlist{}
	}
	l := p.userlists[name]
	if l == nil {
		l = auth.NewUserlist(name)
		p.userlists[name] = l
		p.userlistRefs = append(p.userlistRefs, tableRef{name: name, pos: p.linePos})
	}
	return l
}

func (p *parser) startUserlist(l line) {
	if len(l.Words) != 2 {
		p.errorf(l.Pos, "userlist: expects one name")
		p.skip = true
		return
	}
	ul := p.userlist(l.Words[1])
	if ul.Declared {
		p.errorf(l.Pos, "userlist %q: declared twice", ul.Name)
	}
	ul.Declared = true
	p.curUserlist = &userlistState{l: ul, pos: l.Pos, members: map[string][]string{}}
}

func (p *parser) userlistLine(l line) {
	us := p.curUserlist
	w := l.Words
	switch w[0] {
	case "group":
		if len(w) < 2 {
			p.errorf(l.Pos, "userlist %q: group: expects a name", us.l.Name)
			return
		}
		us.l.Groups[w[1]] = true
		rest := w[2:]
		if len(rest) >= 2 && rest[0] == "users" {
			us.members[w[1]] = strings.Split(rest[1], ",")
			rest = rest[2:]
		}
		if len(rest) > 0 {
			p.errorf(l.Pos, "userlist %q: group %q: unexpected argument %q", us.l.Name, w[1], rest[0])
		}
	case "user":
		if len(w) < 2 {
			p.errorf(l.Pos, "userlist %q: user: expects a name", us.l.Name)
			return
		}
		err := us.l.AddUser(w[1], w[2:], func(gs string) []string {
			var out []string
			for _, g := range strings.Split(gs, ",") {
				if !us.l.Groups[g] {
					p.errorf(l.Pos, "userlist %q: user %q: unknown group %q", us.l.Name, w[1], g)
					continue
				}
				out = append(out, g)
			}
			return out
		})
		if err != nil {
			p.errorf(l.Pos, "userlist %q: %v", us.l.Name, err)
		}
	default:
		p.errorf(l.Pos, "unknown keyword %q in userlist section (group, user)", w[0])
	}
}

// finishUserlist joins the groups' "users" to the users.
func (p *parser) finishUserlist(us *userlistState) {
	for g, names := range us.members {
		for _, n := range names {
			u := us.l.Users[n]
			if u == nil {
				p.errorf(us.pos, "userlist %q: group %q names unknown user %q", us.l.Name, g, n)
				continue
			}
			u.Groups = append(u.Groups, g)
		}
	}
}

// checkUserlists reports userlists named but never declared.
func (p *parser) checkUserlists() {
	for _, r := range p.userlistRefs {
		if l := p.userlists[r.name]; l != nil && !l.Declared {
			p.errorf(r.pos, "unable to find userlist '%s'", r.name)
		}
	}
}
