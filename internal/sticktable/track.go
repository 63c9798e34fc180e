package sticktable

import (
	"encoding/binary"

	"baton/internal/expr"
)

// Tables are one generation's stick tables, by name. Read-only once
// built; safe for concurrent use.
type Tables struct {
	byName map[string]*Table
	list   []*Table
}

// NewTables returns a set of tables.
func NewTables(ts ...*Table) *Tables {
	s := &Tables{byName: map[string]*Table{}}
	for _, t := range ts {
		s.byName[t.Spec.Name] = t
		s.list = append(s.list, t)
	}
	return s
}

// Get returns the table name, or nil.
func (s *Tables) Get(name string) *Table {
	if s == nil {
		return nil
	}
	return s.byName[name]
}

// List returns the tables in the order given to NewTables.
func (s *Tables) List() []*Table {
	if s == nil {
		return nil
	}
	return s.list
}

// Counters is the number of sticky counters (track-sc0 to track-sc2).
const Counters = 3

// Tracker is one client connection's sticky counters: the entries its
// track-sc rules track, and the generation's tables. It is owned by the
// connection's goroutine, reused for each connection
// (BeginConnection), and reached by fetches through expr.Ctx.Stick.
type Tracker struct {
	// Tables are the generation's tables; nil means none.
	Tables *Tables
	// HTTP is set for a connection to an HTTP proxy: content rules then
	// run per request, and what they track is the request's.
	HTTP bool
	sc   [Counters]tracked
	kbuf []byte
}

type tracked struct {
	t *Table
	r Ref
	// stream: tracked by a content or http-request rule, released when
	// the request ends; otherwise at the end of the connection.
	stream bool
	// inherited: the connection's entry an HTTP/2 stream counts on
	// (Inherit); its end releases the reference but counts no
	// connection's end.
	inherited bool
}

// MakeKey converts s to t's key type into the tracker's key buffer (the
// key is valid until the next call); false when it cannot be (an IPv6
// address for an ip table, a string that is not a number).
func (k *Tracker) MakeKey(c *expr.Ctx, t *Table, s *expr.Sample) (Key, bool) {
	sp := &t.Spec
	if cap(k.kbuf) < sp.Len+16 {
		k.kbuf = make([]byte, 0, max(sp.Len+16, 64))
	}
	b := k.kbuf[:0]
	switch sp.Type {
	case KeyIP:
		if !c.Cast(s, expr.IPv4) {
			return nil, false
		}
		a := s.IP.As4()
		b = append(b, a[:]...)
	case KeyIPv6:
		if !c.Cast(s, expr.IPv6) {
			return nil, false
		}
		a := s.IP.As16()
		b = append(b, a[:]...)
	case KeyInteger:
		if !c.Cast(s, expr.Int) {
			return nil, false
		}
		b = binary.BigEndian.AppendUint64(b, uint64(int64(int32(s.Int))))
	case KeyString:
		if !c.Cast(s, expr.Str) {
			return nil, false
		}
		v := s.Bytes
		if len(v) > sp.Len {
			v = v[:sp.Len]
		}
		b = append(b, v...)
		if len(b) == 0 {
			return nil, false
		}
	case KeyBinary:
		if s.Type != expr.Bin && !c.Cast(s, expr.Str) {
			return nil, false
		}
		v := s.Bytes
		if len(v) > sp.Len {
			v = v[:sp.Len]
		}
		b = append(b, v...)
		for len(b) < sp.Len {
			b = append(b, 0)
		}
	}
	k.kbuf = b
	return Key(b), true
}

// BeginConnection forgets what a previous connection tracked (the proxy
// calls EndConnection first).
func (k *Tracker) BeginConnection(ts *Tables, http bool) {
	k.Tables, k.HTTP = ts, http
	k.sc = [Counters]tracked{}
}

// ConnectionEntries returns a tracker holding, without references of
// its own, what k tracks for its whole connection (tcp-request
// connection and session rules): what the streams of an HTTP/2
// connection inherit. The owner takes it before the streams start and
// leaves it unchanged; nil when k tracks nothing for the connection.
func (k *Tracker) ConnectionEntries() *Tracker {
	if k == nil {
		return nil
	}
	var c *Tracker
	for i, sc := range k.sc {
		if sc.r != 0 && !sc.stream {
			if c == nil {
				c = &Tracker{Tables: k.Tables, HTTP: k.HTTP}
			}
			c.sc[i] = tracked{t: sc.t, r: sc.r}
		}
	}
	return c
}

// Inherit makes the counters k has free track the entries of conn (see
// ConnectionEntries), each with a reference of its own: an HTTP/2
// stream counts its request, errors and bytes on its connection's
// entries, as HAProxy's streams use their session's counters (and a
// track-sc of a counter the connection tracks does not apply).
func (k *Tracker) Inherit(conn *Tracker) {
	if conn == nil {
		return
	}
	for i, sc := range conn.sc {
		if sc.r == 0 || k.sc[i].r != 0 {
			continue
		}
		sc.t.Retain(sc.r)
		k.sc[i] = tracked{t: sc.t, r: sc.r, inherited: true}
	}
}

// Tracked returns the table and entry of counter n, or nil.
func (k *Tracker) Tracked(n int) (*Table, Ref) {
	if k == nil || n < 0 || n >= Counters || k.sc[n].r == 0 {
		return nil, 0
	}
	return k.sc[n].t, k.sc[n].r
}

// Stage says where a track-sc rule runs.
type Stage uint8

const (
	// StageConnection: tcp-request connection or session rules: the
	// entry is tracked for the whole connection, and counts a session.
	StageConnection Stage = iota
	// StageContent: tcp-request content rules.
	StageContent
	// StageHTTP: http-request rules: the request being tracked counts.
	StageHTTP
	// StageResponse: response rules.
	StageResponse
)

// Track makes counter n track the entry of key s in t, unless it tracks
// one already (only the first track-sc of a counter applies). The entry
// counts a connection (conn_cnt, conn_rate, conn_cur), a session when
// tracked by a connection rule, an HTTP request when tracked by an
// http-request rule; http is set in an HTTP proxy, where content rules
// run per request. It reports whether the entry is tracked.
func (k *Tracker) Track(c *expr.Ctx, n int, t *Table, s *expr.Sample, st Stage) bool {
	http := k.HTTP
	if k.sc[n].r != 0 {
		return false
	}
	key, ok := k.MakeKey(c, t, s)
	if !ok {
		return false
	}
	now := c.UnixMilli()
	r := t.Get(key, now, Track)
	if r == 0 {
		return false
	}
	k.sc[n] = tracked{t: t, r: r, stream: st != StageConnection && http}
	t.Add(r, DConnCnt, 0, 1, now)
	t.Add(r, DConnRate, 0, 1, now)
	t.Add(r, DConnCur, 0, 1, now)
	if st == StageConnection {
		t.Add(r, DSessCnt, 0, 1, now)
		t.Add(r, DSessRate, 0, 1, now)
	}
	if http && (st == StageContent || st == StageHTTP) {
		t.Add(r, DHTTPReqCnt, 0, 1, now)
		t.Add(r, DHTTPReqRate, 0, 1, now)
	}
	return true
}

// BeginRequest counts a new HTTP request on the entries the connection
// tracks (those tracked for the request itself count it when tracked).
func (k *Tracker) BeginRequest(now int64) {
	for i := range k.sc {
		sc := &k.sc[i]
		if sc.r != 0 && !sc.stream {
			sc.t.Add(sc.r, DHTTPReqCnt, 0, 1, now)
			sc.t.Add(sc.r, DHTTPReqRate, 0, 1, now)
		}
	}
}

// Any reports whether a counter tracks an entry.
func (k *Tracker) Any() bool {
	return k.sc[0].r != 0 || k.sc[1].r != 0 || k.sc[2].r != 0
}

// Outcome is how a request or connection ended, for the counters.
type Outcome struct {
	// Err is a client error: a request denied, tarpitted or refused
	// authentication, or a 4xx answer from the server (http_err_*).
	Err bool
	// Fail is a server failure: a 5xx answer but 501 and 505, or none
	// (http_fail_*).
	Fail bool
	// BytesIn and BytesOut are the bytes received from and sent to the
	// client (bytes_in_*, bytes_out_*).
	BytesIn, BytesOut int64
}

// EndRequest accounts a finished HTTP request on every tracked entry,
// then releases the entries tracked for the request alone.
func (k *Tracker) EndRequest(o Outcome, now int64) {
	for i := range k.sc {
		sc := &k.sc[i]
		if sc.r == 0 {
			continue
		}
		k.account(sc, o, now)
		if sc.stream {
			k.release(sc, now)
		}
	}
}

// EndConnection releases every tracked entry, after accounting o (a
// TCP connection's bytes; zero in an HTTP proxy, whose requests were
// accounted one by one).
func (k *Tracker) EndConnection(o Outcome, now int64) {
	for i := range k.sc {
		sc := &k.sc[i]
		if sc.r != 0 {
			k.account(sc, o, now)
			k.release(sc, now)
		}
	}
}

func (k *Tracker) account(sc *tracked, o Outcome, now int64) {
	t, r := sc.t, sc.r
	if o.Err {
		t.Add(r, DHTTPErrCnt, 0, 1, now)
		t.Add(r, DHTTPErrRate, 0, 1, now)
	}
	if o.Fail {
		t.Add(r, DHTTPFailCnt, 0, 1, now)
		t.Add(r, DHTTPFailRate, 0, 1, now)
	}
	if o.BytesIn > 0 {
		t.Add(r, DBytesInCnt, 0, uint64(o.BytesIn), now)
		t.Add(r, DBytesInRate, 0, uint64(o.BytesIn), now)
	}
	if o.BytesOut > 0 {
		t.Add(r, DBytesOutCnt, 0, uint64(o.BytesOut), now)
		t.Add(r, DBytesOutRate, 0, uint64(o.BytesOut), now)
	}
}

func (k *Tracker) release(sc *tracked, now int64) {
	if !sc.inherited {
		sc.t.Dec(sc.r, DConnCur)
	}
	sc.t.Release(sc.r)
	*sc = tracked{}
}

// gpcSlot returns where gpc index i lives: the gpc array's element, or
// the legacy gpc0/gpc1 (and their rates).
func gpcSlot(t *Table, i int) (cnt, rate DataType, idx int) {
	if _, ok := t.Stored(DGPC); ok || i > 1 {
		return DGPC, DGPCRate, i
	}
	if _, ok := t.Stored(DGPCRate); ok {
		return DGPC, DGPCRate, i
	}
	if i == 0 {
		return DGPC0, DGPC0Rate, 0
	}
	return DGPC1, DGPC1Rate, 0
}

// gptSlot likewise for gpt index i.
func gptSlot(t *Table, i int) (DataType, int) {
	if _, ok := t.Stored(DGPT); ok || i > 0 {
		return DGPT, i
	}
	return DGPT0, 0
}

// IncGPC increments general purpose counter i of the entry and its rate
// (sc-inc-gpc0, sc-inc-gpc1, sc-inc-gpc); it returns the counter's new
// value.
func IncGPC(t *Table, r Ref, i int, now int64) (uint64, bool) {
	cnt, rate, idx := gpcSlot(t, i)
	t.Add(r, rate, idx, 1, now)
	return t.Add(r, cnt, idx, 1, now)
}

// SetGPT stores v in general purpose tag i (sc-set-gpt0, sc-set-gpt).
func SetGPT(t *Table, r Ref, i int, v uint64, now int64) bool {
	d, idx := gptSlot(t, i)
	_, ok := t.Set(r, d, idx, uint64(uint32(v)), now)
	return ok
}
