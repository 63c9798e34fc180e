package stats

import (
	"fmt"
	"time"

	"baton/internal/counters"
)

// ObjType is the "type" column: what a row describes.
type ObjType int

const (
	TypeFrontend ObjType = 0
	TypeBackend  ObjType = 1
	TypeServer   ObjType = 2
	// TypeListener is one bind address of a frontend with option
	// socket-stats (HAProxy's "socket" rows).
	TypeListener ObjType = 3
)

// letter is the typed output's object letter.
func (t ObjType) letter() byte { return "FBSL"[t] }

func (t ObjType) jsonName() string {
	return [...]string{"Frontend", "Backend", "Server", "Listener"}[t]
}

// Row is one object's line of "show stat".
type Row struct {
	Type     ObjType
	IID, SID int
	Values   [NumFields]Value
}

func (r *Row) num(p Pos, v uint64) { r.Values[p] = Num(v) }

// counted fills columns straight from counters (same meaning for every
// object type that has them).
func (r *Row) counted(t *counters.Totals, pairs ...any) {
	for i := 0; i+1 < len(pairs); i += 2 {
		r.num(pairs[i].(Pos), t[pairs[i+1].(counters.Field)])
	}
}

func zeros(r *Row, ps ...Pos) {
	for _, p := range ps {
		r.Values[p] = Num(0)
	}
}

func zeroRange(r *Row, from, to Pos) {
	for p := from; p <= to; p++ {
		r.Values[p] = Num(0)
	}
}

var noTotals counters.Totals

func totalsOr(t *counters.Totals) *counters.Totals {
	if t == nil {
		return &noTotals
	}
	return t
}

// Frontend describes a frontend (or the frontend side of a listen).
type Frontend struct {
	Name string
	IID  int
	Mode string // "http" or "tcp"
	// MaxConn is the session limit (slim); RateLim the session rate
	// limit (0: none).
	MaxConn, RateLim int
	// Status is OPEN, STOP (disabled) or FULL (at maxconn).
	Status string
	// T are the frontend's counters (nil: all zero).
	T *counters.Totals
}

// Row builds the frontend's line.
func (f *Frontend) Row() Row {
	t := totalsOr(f.T)
	r := Row{Type: TypeFrontend, IID: f.IID}
	r.Values[FPxname], r.Values[FSvname] = Str(f.Name), Str("FRONTEND")
	r.counted(t, FScur, counters.CurSessions, FSmax, counters.MaxSessions, FStot, counters.Sessions,
		FBin, counters.BytesIn, FBout, counters.BytesOut, FDreq, counters.DeniedReq, FDresp, counters.DeniedResp,
		FEreq, counters.ErrReq, FRate, counters.SessRate, FRateMax, counters.MaxSessRate,
		FHrsp1xx, counters.Resp1xx, FHrsp2xx, counters.Resp2xx, FHrsp3xx, counters.Resp3xx,
		FHrsp4xx, counters.Resp4xx, FHrsp5xx, counters.Resp5xx, FHrspOther, counters.RespOther,
		FReqRate, counters.ReqRate, FReqRateMax, counters.MaxReqRate, FReqTot, counters.Requests,
		FConnRate, counters.ConnRate, FConnRateMax, counters.MaxConnRate, FConnTot, counters.Conns,
		FIntercepted, counters.Intercepted, FDcon, counters.DeniedConns, FDses, counters.DeniedSessions,
		FWrew, counters.FailedRewrites, FEint, counters.InternalErrors)
	r.Values[FSlim] = Num(f.MaxConn)
	r.Values[FStatus] = Str(f.Status)
	r.Values[FPid], r.Values[FIid], r.Values[FSid], r.Values[FType] = Num(1), Num(f.IID), Num(0), Num(0)
	r.Values[FRateLim] = Num(f.RateLim)
	zeros(&r, FCompIn, FCompOut, FCompByp, FCompRsp, FCacheLookups, FCacheHits)
	r.Values[FMode] = Str(f.Mode)
	zeroRange(&r, FSslSess, FH1SplicedBytesOut)
	if f.Mode == "http" {
		r.num(FH1OpenConnections, t[counters.CurSessions])
		r.num(FH1TotalConnections, t[counters.Conns])
		r.num(FH1TotalStreams, t[counters.Requests])
		r.num(FH1BytesIn, t[counters.BytesIn])
		r.num(FH1BytesOut, t[counters.BytesOut])
	}
	return r
}

// Listener describes one listener (bind address) of a frontend with
// option socket-stats.
type Listener struct {
	// Frontend and IID are its frontend's name and id; SID is the
	// listener's id (its bind's "id", else its position from 1).
	Frontend string
	IID, SID int
	// Name is the bind's "name", else "sock-<SID>", as in HAProxy.
	Name string
	Addr string
	Mode string
	// MaxConn is the bind's maxconn (slim; 0: none).
	MaxConn int
	// Status is OPEN, or FULL at the bind's maxconn.
	Status string
	T      *counters.Totals
}

// Row builds the listener's line: the columns HAProxy 2.6 fills for a
// listener (sessions, bytes, denials and errors, status, ids, address,
// mode, and the ssl module's counters).
func (l *Listener) Row() Row {
	t := totalsOr(l.T)
	r := Row{Type: TypeListener, IID: l.IID, SID: l.SID}
	r.Values[FPxname], r.Values[FSvname] = Str(l.Frontend), Str(l.Name)
	r.counted(t, FScur, counters.CurSessions, FSmax, counters.MaxSessions, FStot, counters.Sessions,
		FBin, counters.BytesIn, FBout, counters.BytesOut, FDreq, counters.DeniedReq, FDresp, counters.DeniedResp,
		FEreq, counters.ErrReq, FDcon, counters.DeniedConns, FDses, counters.DeniedSessions,
		FWrew, counters.FailedRewrites, FEint, counters.InternalErrors)
	r.Values[FSlim] = Num(l.MaxConn)
	r.Values[FStatus] = Str(l.Status)
	r.Values[FPid], r.Values[FIid], r.Values[FSid], r.Values[FType] = Num(1), Num(l.IID), Num(l.SID), Num(int(TypeListener))
	r.Values[FAddr] = Str(l.Addr)
	r.Values[FMode] = Str(l.Mode)
	zeros(&r, FSslSess, FSslReusedSess, FSslFailedHandshake)
	return r
}

// Backend describes a backend (or the backend side of a listen).
type Backend struct {
	Name       string
	IID        int
	Mode, Algo string
	// FullConn is the session limit shown (slim): HAProxy's fullconn.
	FullConn int
	// Up: at least one server can take traffic.
	Up bool
	// Weight and UWeight sum the effective and user weights of the
	// servers in use; Act and Bck count the active and backup servers
	// that are up.
	Weight, UWeight, Act, Bck int
	// LastChange is when the backend last went up or down; Downtime is
	// how long it was down in all.
	LastChange time.Time
	Downtime   time.Duration
	ChkDown    uint64
	// QCur are the requests waiting for a server (this generation's).
	QCur   int
	Cookie string
	// NoServers: the backend has no server (HAProxy shows no downtime).
	NoServers bool
	T         *counters.Totals
}

// Row builds the backend's line at now.
func (b *Backend) Row(now time.Time) Row {
	t := totalsOr(b.T)
	r := Row{Type: TypeBackend, IID: b.IID}
	r.Values[FPxname], r.Values[FSvname] = Str(b.Name), Str("BACKEND")
	r.Values[FQcur] = Num(b.QCur)
	r.counted(t, FDreq, counters.DeniedReq)
	r.counted(t, upstreamCounted...)
	r.Values[FSlim] = Num(b.FullConn)
	r.Values[FStatus] = Str(map[bool]string{true: "UP", false: "DOWN"}[b.Up])
	r.Values[FWeight], r.Values[FAct], r.Values[FBck] = Num(b.Weight), Num(b.Act), Num(b.Bck)
	r.Values[FChkdown] = Num(b.ChkDown)
	r.Values[FLastchg] = Num(age(now, b.LastChange))
	if !b.NoServers {
		r.Values[FDowntime] = Num(int64(b.Downtime / time.Second))
	}
	r.Values[FPid], r.Values[FIid], r.Values[FSid], r.Values[FType] = Num(1), Num(b.IID), Num(0), Num(1)
	zeros(&r, FCompIn, FCompOut, FCompByp, FCompRsp, FCacheLookups, FCacheHits)
	r.Values[FLastsess] = lastSession(now, t)
	if b.Cookie != "" {
		r.Values[FCookie] = Str(b.Cookie)
	}
	r.Values[FMode], r.Values[FAlgo] = Str(b.Mode), Str(b.Algo)
	r.Values[FUweight] = Num(b.UWeight)
	zeros(&r, FAggServerStatus, FAggServerCheckStatus, FAggCheckStatus)
	zeroRange(&r, FSslSess, FH1SplicedBytesOut)
	if b.Mode == "http" {
		r.num(FH1TotalConnections, t[counters.Connects])
		r.num(FH1TotalStreams, t[counters.Connects]+t[counters.Reuses])
		r.num(FH1BytesIn, t[counters.BytesOut])
		r.num(FH1BytesOut, t[counters.BytesIn])
	}
	return r
}

func age(now, t time.Time) int64 {
	if t.IsZero() || now.Before(t) {
		return 0
	}
	return int64(now.Sub(t) / time.Second)
}

// lastSession is lastsess: seconds since the last session, -1 for never.
func lastSession(now time.Time, t *counters.Totals) Value {
	if t[counters.LastSession] == 0 {
		return Num(-1)
	}
	return Num(max(now.Unix()-int64(t[counters.LastSession]), 0))
}

// upstreamCounted are the columns backends and servers take straight
// from their counters.
var upstreamCounted = []any{FQmax, counters.MaxQueue, FScur, counters.CurSessions, FSmax, counters.MaxSessions,
	FStot, counters.Sessions, FBin, counters.BytesIn, FBout, counters.BytesOut,
	FDresp, counters.DeniedResp, FEcon, counters.ErrConn, FEresp, counters.ErrResp,
	FWretr, counters.Retries, FWredis, counters.Redispatch, FLbtot, counters.LBTotal,
	FRate, counters.SessRate, FRateMax, counters.MaxSessRate,
	FHrsp1xx, counters.Resp1xx, FHrsp2xx, counters.Resp2xx, FHrsp3xx, counters.Resp3xx,
	FHrsp4xx, counters.Resp4xx, FHrsp5xx, counters.Resp5xx, FHrspOther, counters.RespOther,
	FReqTot, counters.Requests, FCliAbrt, counters.CliAborts, FSrvAbrt, counters.SrvAborts,
	FQtime, counters.QTime, FCtime, counters.CTime, FRtime, counters.RTime, FTtime, counters.TTime,
	FWrew, counters.FailedRewrites, FConnect, counters.Connects, FReuse, counters.Reuses,
	FQtimeMax, counters.QTimeMax, FCtimeMax, counters.CTimeMax, FRtimeMax, counters.RTimeMax,
	FTtimeMax, counters.TTimeMax, FEint, counters.InternalErrors}

// Admin states of a server (backend.State's values).
const (
	AdminReady = 0
	AdminDrain = 1
	AdminMaint = 2
)

// Server describes one server.
type Server struct {
	Backend, Name string
	IID, SID      int
	Mode          string
	// Admin is AdminReady, AdminDrain or AdminMaint.
	Admin int
	// Checked: the server has health checks (and they are enabled).
	// Down is their verdict; Health is HAProxy's health level
	// (0..Rise+Fall-1; up at Rise and above); Stopping is a health
	// forced to "stopping" (NOLB).
	Checked, Down, Stopping bool
	Health, Rise, Fall      int
	// CheckStatus ("L4OK", "L7STS"...), CheckCode (0: none),
	// CheckDuration and CheckDesc describe the last check.
	CheckStatus   string
	CheckCode     int
	CheckDuration time.Duration
	CheckDesc     string
	// Weight is the effective weight, UWeight the user weight.
	Weight, UWeight int
	Backup          bool
	// MaxConn (slim) and MaxQueue (qlimit): 0 means none.
	MaxConn, MaxQueue int
	LastChange        time.Time
	Downtime          time.Duration
	ChkFail, ChkDown  uint64
	Addr              string
	Cookie            string
	// Idle connections pooled, connections in use (this generation's).
	Idle, Used int
	T          *counters.Totals
}

// Status is the server's status column, as HAProxy words it.
func (s *Server) Status() string {
	switch {
	case s.Admin == AdminMaint:
		return "MAINT"
	case s.Admin == AdminDrain:
		return "DRAIN"
	case !s.Checked:
		if s.Stopping {
			return "NOLB"
		}
		return "no check"
	case s.Down:
		if s.Health == 0 {
			return "DOWN"
		}
		return fmt.Sprintf("DOWN %d/%d", s.Health, s.Rise)
	case s.Stopping:
		return "NOLB"
	case s.Health >= s.Rise+s.Fall-1:
		return "UP"
	}
	return fmt.Sprintf("UP %d/%d", s.Health-s.Rise+1, s.Fall)
}

// Row builds the server's line at now.
func (s *Server) Row(now time.Time) Row {
	t := totalsOr(s.T)
	r := Row{Type: TypeServer, IID: s.IID, SID: s.SID}
	r.Values[FPxname], r.Values[FSvname] = Str(s.Backend), Str(s.Name)
	r.Values[FQcur] = Num(0)
	r.counted(t, upstreamCounted...)
	if s.MaxConn > 0 {
		r.Values[FSlim] = Num(s.MaxConn)
	}
	r.Values[FStatus] = Str(s.Status())
	r.Values[FWeight] = Num(s.Weight)
	r.Values[FAct], r.Values[FBck] = Num(b2i(!s.Backup)), Num(b2i(s.Backup))
	r.Values[FLastchg] = Num(age(now, s.LastChange))
	if s.Checked {
		r.Values[FChkfail], r.Values[FChkdown] = Num(s.ChkFail), Num(s.ChkDown)
		r.Values[FDowntime] = Num(int64(s.Downtime / time.Second))
		r.Values[FCheckStatus] = Str(s.CheckStatus)
		if s.CheckCode > 0 {
			r.Values[FCheckCode] = Num(s.CheckCode)
		}
		r.Values[FCheckDuration] = Num(int64(s.CheckDuration / time.Millisecond))
		r.Values[FLastChk] = Str("")
		r.Values[FCheckDesc] = Str(s.CheckDesc)
		r.Values[FCheckRise], r.Values[FCheckFall], r.Values[FCheckHealth] = Num(s.Rise), Num(s.Fall), Num(s.Health)
	}
	if s.MaxQueue > 0 {
		r.Values[FQlimit] = Num(s.MaxQueue)
	}
	r.Values[FPid], r.Values[FIid], r.Values[FSid], r.Values[FType] = Num(1), Num(s.IID), Num(s.SID), Num(2)
	r.Values[FLastsess] = lastSession(now, t)
	r.Values[FAddr] = Str(s.Addr)
	if s.Cookie != "" {
		r.Values[FCookie] = Str(s.Cookie)
	}
	r.Values[FMode] = Str(s.Mode)
	r.Values[FSrvIcur] = Num(s.Idle)
	r.Values[FIdleConnCur], r.Values[FSafeConnCur], r.Values[FUsedConnCur] = Num(s.Idle), Num(0), Num(s.Used)
	r.Values[FNeedConnEst] = Num(max(s.Used+s.Idle, 1))
	r.Values[FUweight] = Num(s.UWeight)
	zeros(&r, FSslSess, FSslReusedSess, FSslFailedHandshake)
	return r
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
