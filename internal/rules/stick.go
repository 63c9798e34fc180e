package rules

import (
	"baton/internal/expr"
	"baton/internal/sticktable"
)

// Stick-table actions: track-sc0..2, sc-inc-gpc0/1, sc-inc-gpc,
// sc-set-gpt0, sc-set-gpt. The tables are the generation's, reached
// through the connection's sticktable.Tracker (Input.Stick); a rule
// whose table the tracker does not have does nothing.

const (
	actTrackSC act = 200 + iota
	actSCIncGPC
	actSCSetGPT
)

func init() {
	for _, a := range []string{"track-sc0", "track-sc1", "track-sc2"} {
		actions[a] = actTrackSC
	}
	for _, a := range []string{"sc-inc-gpc0", "sc-inc-gpc1", "sc-inc-gpc"} {
		actions[a] = actSCIncGPC
	}
	actions["sc-set-gpt0"], actions["sc-set-gpt"] = actSCSetGPT, actSCSetGPT
}

// stickStage is where a rule set tracks.
func stickStage(w expr.Where) sticktable.Stage {
	switch w.Name {
	case expr.TCPConnection.Name, expr.TCPSession.Name:
		return sticktable.StageConnection
	case expr.TCPContent.Name:
		return sticktable.StageContent
	case expr.HTTPRequest.Name:
		return sticktable.StageHTTP
	}
	return sticktable.StageResponse
}

// Tracker returns the connection's sticky counters, nil without tables.
func (in *Input) Tracker() *sticktable.Tracker {
	k, _ := in.Stick.(*sticktable.Tracker)
	return k
}

// stick runs a stick-table action.
func (r *rule) stick(in *Input) {
	k := in.Tracker()
	if k == nil {
		return
	}
	c := &in.Ctx
	sa := r.cfg.Stick
	switch r.act {
	case actTrackSC:
		t := k.Tables.Get(sa.Table)
		if t == nil {
			return
		}
		var s expr.Sample
		if r.e.Eval(c, &s) {
			k.Track(c, sa.Counter, t, &s, r.stage)
		}
	case actSCIncGPC:
		if t, ref := k.Tracked(sa.Counter); ref != 0 {
			sticktable.IncGPC(t, ref, sa.Index, c.UnixMilli())
		}
	case actSCSetGPT:
		t, ref := k.Tracked(sa.Counter)
		if ref == 0 {
			return
		}
		v := sa.Value
		if r.e != nil {
			var s expr.Sample
			if !r.e.Eval(c, &s) || !c.Cast(&s, expr.Int) {
				return
			}
			v = s.Int
		}
		sticktable.SetGPT(t, ref, sa.Index, uint64(v), c.UnixMilli())
	}
}

// isStick reports whether a is a stick-table action.
func isStick(a act) bool { return a >= actTrackSC && a <= actSCSetGPT }
