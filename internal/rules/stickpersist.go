package rules

import (
	"baton/internal/config"
	"baton/internal/expr"
	"baton/internal/sticktable"
)

// Persistence through stick tables: stick match and stick on send a
// request to the server an entry names; stick on, store-request and
// store-response record the server in the entry.

type stickRule struct {
	cfg  *config.StickRule
	cond *cond
}

// stickRules are a backend's stick rules by what they do.
type stickRules struct {
	match, storeReq, storeRes []stickRule
	// ignore are the ignore-persist conditions.
	ignore []*cond
}

func (cp *compiler) compileStick(p *config.Proxy, s *Set) {
	for _, c := range p.IgnorePersist {
		s.stick.ignore = append(s.stick.ignore, cp.cond(c, expr.ServerSwitch))
	}
	for i := range p.StickRules {
		r := &p.StickRules[i]
		where := expr.ServerSwitch
		if r.Kind == "store-response" {
			where = expr.HTTPResponse
		}
		sr := stickRule{cfg: r, cond: cp.cond(r.Cond, where)}
		if r.Match() {
			s.stick.match = append(s.stick.match, sr)
		}
		if r.StoreRequest() {
			s.stick.storeReq = append(s.stick.storeReq, sr)
		}
		if r.Kind == "store-response" {
			s.stick.storeRes = append(s.stick.storeRes, sr)
		}
	}
}

// IgnorePersist reports whether an ignore-persist condition holds: the
// request's persistence cookie is then ignored.
func (s *Set) IgnorePersist(in *Input) bool {
	for _, c := range s.stick.ignore {
		if c.holds(in) {
			return true
		}
	}
	return false
}

// HasStick reports whether the backend has stick rules.
func (s *Set) HasStick() bool {
	return len(s.stick.match)+len(s.stick.storeReq)+len(s.stick.storeRes) > 0
}

// StickMatch walks the stick match (and on) rules: for the first whose
// condition holds and whose key has an entry naming a server, pick is
// called with the server's id; the walk stops when pick takes it.
func (s *Set) StickMatch(in *Input, pick func(id int64) bool) bool {
	k := in.Tracker()
	if k == nil {
		return false
	}
	for i := range s.stick.match {
		r := &s.stick.match[i]
		if !r.cond.holds(in) {
			continue
		}
		t, ref := r.lookup(in, k, sticktable.Touch)
		if ref == 0 {
			continue
		}
		id, ok := t.Read(ref, sticktable.DServerID, 0, in.UnixMilli())
		if ok && id > 0 && pick(int64(id)) {
			return true
		}
	}
	return false
}

// StickStore runs the store rules of the request (response false) or of
// the response: the first rule of each table whose condition holds
// stores id under its key.
func (s *Set) StickStore(in *Input, response bool, id int64) {
	k := in.Tracker()
	rules := s.stick.storeReq
	if response {
		rules = s.stick.storeRes
	}
	if k == nil || len(rules) == 0 {
		return
	}
	var done [8]*sticktable.Table
	n := 0
next:
	for i := range rules {
		r := &rules[i]
		t := k.Tables.Get(r.cfg.Table)
		if t == nil {
			continue
		}
		for _, d := range done[:n] {
			if d == t {
				continue next
			}
		}
		if !r.cond.holds(in) {
			continue
		}
		if _, ref := r.lookup(in, k, sticktable.Create); ref != 0 {
			t.Set(ref, sticktable.DServerID, 0, uint64(id), in.UnixMilli())
			if n == len(done) {
				return // HAProxy stores 8 keys at most
			}
			done[n] = t
			n++
		}
	}
}

// lookup evaluates the rule's pattern and finds (or creates) its entry.
func (r *stickRule) lookup(in *Input, k *sticktable.Tracker, m sticktable.Mode) (*sticktable.Table, sticktable.Ref) {
	t := k.Tables.Get(r.cfg.Table)
	if t == nil {
		return nil, 0
	}
	var smp expr.Sample
	if !r.cfg.Expr.Eval(&in.Ctx, &smp) {
		return t, 0
	}
	key, ok := k.MakeKey(&in.Ctx, t, &smp)
	if !ok {
		return t, 0
	}
	return t, t.Get(key, in.UnixMilli(), m)
}
