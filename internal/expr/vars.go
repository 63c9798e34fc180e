package expr

import (
	"fmt"
	"strings"
	"sync"
)

// Scope is a variable's lifetime.
type Scope uint8

const (
	ScopeProc Scope = iota + 1 // the whole process (generation), shared
	ScopeSess                  // the client connection
	ScopeTxn                   // the request and its response
	ScopeReq                   // the request's processing
	ScopeRes                   // the response's processing
)

var scopeNames = map[string]Scope{"proc": ScopeProc, "sess": ScopeSess, "txn": ScopeTxn, "req": ScopeReq, "res": ScopeRes}

// VarRef names a declared variable: its slot in a VarTable.
type VarRef struct {
	Name  string // "txn.foo"
	Scope Scope
	slot  int
}

// VarTable gives every variable name of a configuration its slot. The
// configuration declares each name it uses (set-var, var(), converters
// taking a variable) while it is parsed; the request path only indexes.
type VarTable struct {
	mu    sync.Mutex
	names map[string]int
	refs  []VarRef
	proc  *procVars
}

// NewVarTable returns an empty table.
func NewVarTable() *VarTable {
	return &VarTable{names: map[string]int{}, proc: &procVars{}}
}

// Declare returns the variable named name ("scope.name"), declaring it.
// The name after the scope may hold letters, digits, '.' and '_'.
func (t *VarTable) Declare(name string) (VarRef, error) {
	scope, rest, ok := strings.Cut(name, ".")
	sc, known := scopeNames[scope]
	if !ok || !known {
		return VarRef{}, fmt.Errorf("variable %q: the name must start with a scope: proc., sess., txn., req. or res.", name)
	}
	if rest == "" {
		return VarRef{}, fmt.Errorf("variable %q: empty name after the scope", name)
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_') {
			return VarRef{}, fmt.Errorf("variable %q: invalid character %q (letters, digits, '.' and '_')", name, c)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if i, ok := t.names[name]; ok {
		return t.refs[i], nil
	}
	r := VarRef{Name: name, Scope: sc, slot: len(t.refs)}
	t.names[name] = r.slot
	t.refs = append(t.refs, r)
	return r, nil
}

// Len is the number of declared variables.
func (t *VarTable) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.refs)
}

// Vars holds a connection's variables, indexed by slot. proc variables
// live in the table's shared store instead.
type Vars struct {
	t     *VarTable
	slots []varSlot
}

type varSlot struct {
	set bool
	s   Sample
	// own holds the bytes of a string or binary value: set-var copies,
	// since the value must outlive the buffer it came from.
	own []byte
}

// NewVars returns storage for t's variables.
func (t *VarTable) NewVars() *Vars { return &Vars{t: t, slots: make([]varSlot, t.Len())} }

// clear unsets the variables of scope sc and, for a transaction, of the
// request and response scopes.
func (v *Vars) clear(sc Scope) {
	for i := range v.slots {
		r := v.t.refs[i].Scope
		if r == sc || sc == ScopeTxn && (r == ScopeReq || r == ScopeRes) {
			v.slots[i].set = false
		}
	}
}

// ClearScope unsets every variable of scope sc (the proxy clears req
// variables when the request's processing ends, res ones at the
// response's end).
func (v *Vars) ClearScope(sc Scope) {
	for i := range v.slots {
		if v.t.refs[i].Scope == sc {
			v.slots[i].set = false
		}
	}
}

// Get copies the variable's value into out; false when it is not set.
// A proc variable's bytes are copied into c's scratch buffer.
func (c *Ctx) GetVar(r VarRef, out *Sample) bool {
	v := c.Vars
	if r.Scope == ScopeProc {
		if v == nil {
			return false
		}
		return v.t.proc.get(r.slot, c, out)
	}
	if v == nil || r.slot >= len(v.slots) || !v.slots[r.slot].set {
		return false
	}
	*out = v.slots[r.slot].s
	out.MayChange = false
	return true
}

// SetVar stores s in the variable (copying its bytes). It reports false
// when there is no variable storage.
func (c *Ctx) SetVar(r VarRef, s *Sample) bool {
	v := c.Vars
	if v == nil {
		return false
	}
	if r.Scope == ScopeProc {
		v.t.proc.set(r.slot, s)
		return true
	}
	if r.slot >= len(v.slots) {
		// Declared after this storage was made (tests, late rules).
		v.slots = append(v.slots, make([]varSlot, v.t.Len()-len(v.slots))...)
	}
	sl := &v.slots[r.slot]
	sl.s = *s
	if s.Type == Str || s.Type == Bin {
		sl.own = append(sl.own[:0], s.Bytes...)
		sl.s.Bytes = sl.own
	}
	sl.set = true
	return true
}

// UnsetVar unsets the variable.
func (c *Ctx) UnsetVar(r VarRef) {
	v := c.Vars
	if v == nil {
		return
	}
	if r.Scope == ScopeProc {
		v.t.proc.unset(r.slot)
		return
	}
	if r.slot < len(v.slots) {
		v.slots[r.slot].set = false
	}
}

// varExists reports whether the variable is set.
func (c *Ctx) varSet(r VarRef) bool {
	var s Sample
	return c.GetVar(r, &s)
}

// procVars are the proc-scoped variables of a generation, shared by every
// connection: the mutex guards the slots.
type procVars struct {
	mu    sync.Mutex
	slots map[int]*varSlot
}

func (p *procVars) get(slot int, c *Ctx, out *Sample) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	sl := p.slots[slot]
	if sl == nil || !sl.set {
		return false
	}
	*out = sl.s
	if out.Type == Str || out.Type == Bin {
		start := len(c.buf)
		c.buf = append(c.buf, sl.s.Bytes...)
		out.Bytes = c.take(start)
	}
	out.MayChange = false
	return true
}

func (p *procVars) set(slot int, s *Sample) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.slots == nil {
		p.slots = map[int]*varSlot{}
	}
	sl := p.slots[slot]
	if sl == nil {
		sl = &varSlot{}
		p.slots[slot] = sl
	}
	sl.s = *s
	if s.Type == Str || s.Type == Bin {
		sl.own = append(sl.own[:0], s.Bytes...)
		sl.s.Bytes = sl.own
	}
	sl.set = true
}

func (p *procVars) unset(slot int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if sl := p.slots[slot]; sl != nil {
		sl.set = false
	}
}

// SetVarCond is one condition of set-var(name,cond...).
type SetVarCond uint8

const (
	IfExists SetVarCond = iota + 1
	IfNotExists
	IfEmpty
	IfNotEmpty
	IfSet
	IfNotSet
	IfGt
	IfLt
)

var setVarConds = map[string]SetVarCond{
	"ifexists": IfExists, "ifnotexists": IfNotExists, "ifempty": IfEmpty, "ifnotempty": IfNotEmpty,
	"ifset": IfSet, "ifnotset": IfNotSet, "ifgt": IfGt, "iflt": IfLt,
}

// ParseSetVarConds reads set-var's conditions (at most four).
func ParseSetVarConds(words []string) ([]SetVarCond, error) {
	if len(words) > 4 {
		return nil, fmt.Errorf("at most 4 set-var conditions, got %d", len(words))
	}
	var out []SetVarCond
	for _, w := range words {
		c, ok := setVarConds[w]
		if !ok {
			return nil, fmt.Errorf("unknown set-var condition %q (ifexists, ifnotexists, ifempty, ifnotempty, ifset, ifnotset, ifgt, iflt)", w)
		}
		out = append(out, c)
	}
	return out, nil
}

// SetVarIf stores s in r when every condition holds, as set-var does:
// existence and "set" are the same here (a variable exists once set), an
// empty input is a string or binary of length zero, ifgt/iflt compare
// integers and hold otherwise.
func (c *Ctx) SetVarIf(r VarRef, s *Sample, conds []SetVarCond) bool {
	if len(conds) > 0 {
		var cur Sample
		set := c.GetVar(r, &cur)
		empty := (s.Type == Str || s.Type == Bin) && len(s.Bytes) == 0
		for _, cd := range conds {
			ok := true
			switch cd {
			case IfExists, IfSet:
				ok = set
			case IfNotExists, IfNotSet:
				ok = !set
			case IfEmpty:
				ok = empty
			case IfNotEmpty:
				ok = !empty
			case IfGt:
				ok = !set || cur.Type != Int || s.Type != Int || cur.Int > s.Int
			case IfLt:
				ok = !set || cur.Type != Int || s.Type != Int || cur.Int < s.Int
			}
			if !ok {
				return false
			}
		}
	}
	return c.SetVar(r, s)
}
