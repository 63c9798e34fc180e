package accesslog

import (
	"net/netip"
	"strconv"
	"time"
	"unsafe"

	"baton/internal/expr"
	lf "baton/internal/logformat"
)

// HAProxy's built-in formats, as its manual declares them.
const (
	HTTPLogFormat = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"
	TCPLogFormat  = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq"
	CLFLogFormat  = `%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl`
)

// Format is a compiled log format.
type Format struct {
	nodes []lf.Node
	// exprs are the compiled sample expressions, by node index (nil for
	// the other nodes; nil slice when the format has none).
	exprs []*expr.Expr
	// connect is HAProxy's default line for a proxy with log targets but
	// no format: "Connect from CLIENT to LOCAL (FRONTEND/MODE)".
	connect bool
}

// Compile parses a custom log format (see logformat.ParseLog); its
// sample expressions may not name maps or variables (CompileEnv).
func Compile(s string) (*Format, error) { return CompileEnv(s, nil) }

// CompileEnv parses a custom log format whose sample expressions are
// compiled in env, the configuration's (its variables and maps).
func CompileEnv(s string, env *expr.Env) (*Format, error) {
	nodes, err := lf.ParseLog(s)
	if err != nil {
		return nil, err
	}
	f := &Format{nodes: nodes}
	if err := f.compileSamples(env); err != nil {
		return nil, err
	}
	return f, nil
}

func mustCompile(s string) *Format {
	f, err := Compile(s)
	if err != nil {
		panic(err)
	}
	return f
}

var (
	// HTTPLog, TCPLog and CLF are "option httplog", "option tcplog" and
	// "option httplog clf".
	HTTPLog = mustCompile(HTTPLogFormat)
	TCPLog  = mustCompile(TCPLogFormat)
	CLF     = mustCompile(CLFLogFormat)
	// Connect is the line HAProxy logs when a connection is accepted by
	// a proxy that has log targets but no format.
	Connect = &Format{connect: true}
)

// Env is what a line says about the process.
type Env struct {
	PID      int
	Hostname string // %H: the system's host name
}

// Append appends the line f gives for e. The message is cut before
// limit bytes as HAProxy cuts it: a field that does not fit is left out
// whole, except literal text and plain (unquoted) strings, which are cut.
// limit <= 0 means no limit.
func (f *Format) Append(b []byte, e *Entry, env *Env, limit int) []byte {
	if f.connect {
		return appendConnect(b, e)
	}
	base := len(b)
	end := -1
	if limit > 0 {
		end = base + limit
	}
	lastSpace := true // HAProxy writes no separator first or twice
	for i := range f.nodes {
		n := &f.nodes[i]
		start := len(b)
		partial := false
		switch n.Kind {
		case lf.Text:
			b = append(b, n.Text...)
			lastSpace, partial = false, true
		case lf.Separator:
			if lastSpace {
				continue
			}
			b = append(b, ' ')
			lastSpace = true
		case lf.Sample:
			b, partial = appendSample(b, f.exprs[i], n.Flags, e.Sample), false
			lastSpace = false
		case lf.Variable:
			if caps, list, ok := e.captures(n.Var); ok {
				if len(caps) == 0 {
					continue // no capture slot: nothing, not even a separator
				}
				b, partial = appendCaptures(b, caps, list, n.Flags&lf.Quote != 0), false
			} else {
				b, partial = appendVar(b, n, e, env)
			}
			lastSpace = false
		}
		if end >= 0 && len(b) > end {
			if partial {
				return b[:end]
			}
			return b[:start]
		}
	}
	return b
}

// appendConnect appends "Connect from CLIENT to LOCAL (FRONTEND/MODE)".
func appendConnect(b []byte, e *Entry) []byte {
	b = append(b, "Connect from "...)
	b = appendAddrPort(b, e.Client)
	b = append(b, " to "...)
	b = appendAddrPort(b, e.Local)
	b = append(b, " ("...)
	b = append(b, e.Frontend...)
	if e.HTTP {
		return append(b, "/HTTP)"...)
	}
	return append(b, "/TCP)"...)
}

func appendAddrPort(b []byte, ap netip.AddrPort) []byte {
	if !ap.IsValid() {
		return append(b, "-:-"...)
	}
	b = ap.Addr().Unmap().AppendTo(b)
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(ap.Port()), 10)
}

// appendVar appends one variable; partial reports whether a cut value
// may stay (HAProxy cuts plain strings, drops everything else whole).
func appendVar(b []byte, n *lf.Node, e *Entry, env *Env) ([]byte, bool) {
	fl := n.Flags
	plain := fl&lf.Quote == 0
	switch n.Var {
	case lf.Varci:
		return appendIP(b, e.Client, fl), plain && fl&lf.Hex == 0
	case lf.Varcp:
		return appendPort(b, e.Client, fl), false
	case lf.Varfi:
		return appendIP(b, e.Local, fl), plain && fl&lf.Hex == 0
	case lf.Varfp:
		return appendPort(b, e.Local, fl), false
	case lf.Varbi:
		return appendIP(b, e.ServerSrc, fl), plain && fl&lf.Hex == 0
	case lf.Varbp:
		return appendPort(b, e.ServerSrc, fl), false
	case lf.Varsi:
		return appendIP(b, e.ServerDst, fl), plain && fl&lf.Hex == 0
	case lf.Varsp:
		return appendPort(b, e.ServerDst, fl), false

	case lf.Vart:
		return appendDate(b, e.Accept), false
	case lf.Vartr:
		return appendDate(b, e.requestDate()), false
	case lf.VarT:
		return e.Accept.UTC().AppendFormat(b, gmtDate), false
	case lf.Vartrg:
		return e.requestDate().UTC().AppendFormat(b, gmtDate), false
	case lf.VarTl:
		return e.Accept.AppendFormat(b, localDate), false
	case lf.Vartrl:
		return e.requestDate().AppendFormat(b, localDate), false
	case lf.VarTs:
		if fl&lf.Hex != 0 {
			return appendHex(b, uint64(e.Accept.Unix()), 4), false
		}
		return strconv.AppendInt(b, e.Accept.Unix(), 10), false
	case lf.Varms:
		m := e.Accept.Nanosecond() / 1e6
		if fl&lf.Hex != 0 {
			return appendHex(b, uint64(m), 2), false
		}
		return append(b, byte('0'+m/100), byte('0'+m/10%10), byte('0'+m%10)), false

	case lf.Varf:
		return appendText(b, e.Frontend, fl), plain
	case lf.Varft:
		if !plain {
			b = append(b, '"')
		}
		b = append(b, e.Frontend...)
		if e.TLS {
			b = append(b, '~')
		}
		if !plain {
			b = append(b, '"')
		}
		return b, plain
	case lf.Varb:
		if e.Backend == "" {
			return appendText(b, e.Frontend, fl), plain
		}
		return appendText(b, e.Backend, fl), plain
	case lf.Vars:
		if e.Server == "" {
			return appendText(b, "<NOSRV>", fl), plain
		}
		return appendText(b, e.Server, fl), plain
	case lf.VarH:
		return appendText(b, env.Hostname, fl), plain
	case lf.VarID:
		return appendText(b, unsafe.String(unsafe.SliceData(e.UniqueID), len(e.UniqueID)), fl), plain
	case lf.VarCC, lf.VarCS:
		// No cookie capture yet: an empty value.
		return appendText(b, "", fl), plain
	case lf.Varsslc:
		return appendText(b, e.TLSCipher, fl), plain
	case lf.Varsslv:
		return appendText(b, e.TLSVersion, fl), plain

	case lf.VarTh:
		return strconv.AppendInt(b, ms(e.Handshake), 10), false
	case lf.VarTi:
		return strconv.AppendInt(b, ms(e.Idle), 10), false
	case lf.VarTR, lf.VarTq, lf.VarTw, lf.VarTc, lf.VarTr, lf.VarTd:
		return strconv.AppendInt(b, e.timer(n.Var), 10), false
	case lf.VarTa, lf.VarTt, lf.VarTu:
		if e.ASAP {
			b = append(b, '+')
		}
		return strconv.AppendInt(b, e.timer(n.Var), 10), false

	case lf.VarST:
		return strconv.AppendInt(b, int64(e.Status), 10), false
	case lf.VarB:
		if e.ASAP {
			b = append(b, '+')
		}
		return strconv.AppendInt(b, e.BytesOut, 10), false
	case lf.VarU:
		return strconv.AppendInt(b, e.BytesIn, 10), false
	case lf.Varts:
		return appendState(b, e.State[:2]), false
	case lf.Vartsc:
		return appendState(b, e.State[:]), false
	case lf.Varac:
		return strconv.AppendInt(b, int64(e.ActConn), 10), false
	case lf.Varfc:
		return strconv.AppendInt(b, int64(e.FeConn), 10), false
	case lf.Varbc:
		return strconv.AppendInt(b, int64(e.BeConn), 10), false
	case lf.Varsc:
		return strconv.AppendInt(b, int64(e.SrvConn), 10), false
	case lf.Varrc:
		if e.Redispatched {
			b = append(b, '+')
		}
		return strconv.AppendInt(b, int64(e.Retries), 10), false
	case lf.Varsq:
		return strconv.AppendInt(b, int64(e.SrvQueue), 10), false
	case lf.Varbq:
		return strconv.AppendInt(b, int64(e.BackendQueue), 10), false
	case lf.Varrt:
		return appendCounter(b, e.ID, fl), false
	case lf.Varlc:
		return appendCounter(b, e.LogCount, fl), false
	case lf.Varpid:
		return appendCounter(b, uint64(env.PID), fl), false

	case lf.Varr:
		return appendEncoded(b, e.Request, len(e.Request) > 0, fl), false
	case lf.VarHM, lf.VarHU, lf.VarHP, lf.VarHPO, lf.VarHQ, lf.VarHV:
		part, ok := requestPart(e.Request, n.Var)
		return appendEncoded(b, part, ok, fl), false
	}
	return b, false
}

// requestDate is %tr: when the request's first byte arrived.
func (e *Entry) requestDate() time.Time {
	if e.Idle < 0 {
		return e.Accept
	}
	return e.Accept.Add((e.Idle + e.Handshake).Truncate(time.Millisecond))
}

// timer computes a timer variable from the phase times the way HAProxy
// does: each in whole milliseconds first, then the differences.
func (e *Entry) timer(v lf.Var) int64 {
	idle, hs := ms(e.Idle), ms(e.Handshake)
	req, queue, conn, data, end := ms(e.TRequest), ms(e.TQueue), ms(e.TConnect), ms(e.TData), ms(e.TClose)
	since := func(t, from int64) int64 {
		if t < 0 {
			return -1
		}
		return t - from
	}
	active := idle + hs // HAProxy leaves out a negative idle time
	if idle < 0 {
		active = 0
	}
	switch v {
	case lf.VarTR:
		return since(req, idle+hs)
	case lf.VarTq:
		return req
	case lf.VarTw:
		return since(queue, req)
	case lf.VarTc:
		return since(conn, queue)
	case lf.VarTr:
		return since(data, conn)
	case lf.VarTd:
		from := conn // mode tcp: the data phase starts with the connection
		if e.HTTP {
			from = data
		}
		if from < 0 {
			return -1
		}
		return end - from
	case lf.VarTa:
		return end - active
	case lf.VarTt:
		return end
	case lf.VarTu:
		return end - max(idle, 0)
	}
	return -1
}
