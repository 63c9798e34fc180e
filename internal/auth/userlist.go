package auth

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"slices"
	"unsafe"

	"baton/internal/expr"
)

// Userlist is a "userlist" section.
type Userlist struct {
	Name string
	// Declared is set once the section is read (a fetch may name it
	// first).
	Declared bool
	Users    map[string]*User
	// Groups are the declared groups.
	Groups map[string]bool
}

// User is one "user" line.
type User struct {
	Name string
	// Password is a crypt(3) hash, or the password itself when Insecure
	// ("insecure-password").
	Password string
	Insecure bool
	// Groups are the groups the user belongs to, in order.
	Groups []string
}

// NewUserlist returns an empty, undeclared userlist.
func NewUserlist(name string) *Userlist {
	return &Userlist{Name: name, Users: map[string]*User{}, Groups: map[string]bool{}}
}

// AddUser reads a "user NAME [password H|insecure-password P] [groups
// G,...]" line's arguments (after the name).
func (l *Userlist) AddUser(name string, args []string, groupsOf func(string) []string) error {
	if _, dup := l.Users[name]; dup {
		return fmt.Errorf("user '%s' is declared twice", name)
	}
	u := &User{Name: name}
	for i := 0; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return fmt.Errorf("'%s' expects an argument", args[i])
		}
		switch v := args[i+1]; args[i] {
		case "password":
			if err := checkHash(v); err != nil {
				return fmt.Errorf("user '%s': %v", name, err)
			}
			u.Password = v
		case "insecure-password":
			u.Password, u.Insecure = v, true
		case "groups":
			u.Groups = append(u.Groups, groupsOf(v)...)
		default:
			return fmt.Errorf("user '%s': unknown option '%s' (password, insecure-password, groups)", name, args[i])
		}
	}
	l.Users[name] = u
	return nil
}

// Check returns the user whose name and password these are.
func (l *Userlist) Check(user, pass []byte) (*User, bool) {
	u := l.Users[string(user)]
	if u == nil {
		return nil, false
	}
	if u.Insecure {
		return u, subtle.ConstantTimeCompare([]byte(u.Password), pass) == 1
	}
	return u, Verify(u.Password, string(pass))
}

// credentials decodes the request's Basic Authorization into the
// context's scratch buffer.
func credentials(c *expr.Ctx) (typ, user, pass []byte, ok bool) {
	if c.Req == nil {
		return nil, nil, nil, false
	}
	v, found := c.Req.Header("authorization")
	if !found {
		return nil, nil, nil, false
	}
	typ, enc := authScheme(v)
	if !expr.EqualFold(typ, "basic") {
		return typ, nil, nil, true
	}
	buf := c.Scratch()
	n := len(buf)
	buf = slices.Grow(buf, base64.StdEncoding.DecodedLen(len(enc)))
	dec := buf[n : n+base64.StdEncoding.DecodedLen(len(enc))]
	m, err := base64.StdEncoding.Decode(dec, enc)
	if err != nil {
		return typ, nil, nil, true
	}
	buf = buf[:n+m]
	c.SetScratch(buf)
	cred := buf[n : n+m : n+m]
	for j, b := range cred {
		if b == ':' {
			return typ, cred[:j], cred[j+1:], true
		}
	}
	return typ, nil, nil, true
}

// authScheme splits an Authorization value into its scheme and its
// credentials at the first space, as HAProxy does (a tab does not
// separate them).
func authScheme(v []byte) (scheme, rest []byte) {
	v = expr.TrimBlanks(v)
	i := 0
	for i < len(v) && v[i] != ' ' {
		i++
	}
	return v[:i], expr.TrimBlanks(v[i:])
}

func userlistArg(a []expr.Arg) *Userlist {
	l, _ := a[0].Data.(*Userlist)
	return l
}

// checkUserlist resolves the userlist argument through Env.Userlist.
func checkUserlist(a []expr.Arg, env *expr.Env) error {
	if env == nil || env.Userlist == nil {
		return fmt.Errorf("no userlist '%s'", a[0].Str)
	}
	l, ok := env.Userlist(a[0].Str).(*Userlist)
	if !ok {
		return fmt.Errorf("no userlist '%s'", a[0].Str)
	}
	a[0].Data = l
	return nil
}

func init() {
	expr.RegisterFetch(&expr.Fetch{Name: "http_auth", Args: []expr.ArgType{expr.ArgStr}, MinArgs: 1, Out: expr.Bool, Use: expr.UseReqHead,
		Check: checkUserlist, Eval: func(c *expr.Ctx, a []expr.Arg, _ *expr.Iter, out *expr.Sample) bool {
			_, user, pass, ok := credentials(c)
			valid := false
			if ok && user != nil {
				_, valid = userlistArg(a).Check(user, pass)
			}
			out.SetBool(valid)
			return true
		}})
	// In a sample context the user's name; in an ACL each of the user's
	// groups in turn, so that "http_auth_group(L) G1 G2" matches a user
	// of G1 or G2.
	expr.RegisterFetch(&expr.Fetch{Name: "http_auth_group", Args: []expr.ArgType{expr.ArgStr}, MinArgs: 1, Out: expr.Str, Use: expr.UseReqHead,
		Check: checkUserlist, Eval: func(c *expr.Ctx, a []expr.Arg, it *expr.Iter, out *expr.Sample) bool {
			_, user, pass, ok := credentials(c)
			if !ok || user == nil {
				return false
			}
			u, valid := userlistArg(a).Check(user, pass)
			if !valid {
				return false
			}
			if !it.Iterate {
				out.SetStr(user)
				return true
			}
			if it.Pos >= len(u.Groups) {
				return false
			}
			g := u.Groups[it.Pos]
			out.SetStr(unsafe.Slice(unsafe.StringData(g), len(g)))
			it.Pos++
			it.More = it.Pos < len(u.Groups)
			return true
		}})
	for _, f := range []struct {
		name string
		part int
	}{{"http_auth_type", 0}, {"http_auth_user", 1}, {"http_auth_pass", 2}} {
		part := f.part
		expr.RegisterFetch(&expr.Fetch{Name: f.name, Out: expr.Str, Use: expr.UseReqHead,
			Eval: func(c *expr.Ctx, _ []expr.Arg, _ *expr.Iter, out *expr.Sample) bool {
				typ, user, pass, ok := credentials(c)
				if !ok {
					return false
				}
				switch part {
				case 0:
					out.SetStr(typ)
				case 1:
					if user == nil {
						return false
					}
					out.SetStr(user)
				default:
					if user == nil {
						return false
					}
					out.SetStr(pass)
				}
				return true
			}})
	}
}
