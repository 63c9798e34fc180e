package counters

// Field is the index of a counter word in a region's block. The first
// eight (one cache line) are what every HTTP request writes.
type Field int

// Counter fields. Cumulative ones are summed across regions and folded
// into group 0 when a generation ends; gauges are summed and dropped with
// their generation; maxima are the maximum over regions.
const (
	Requests    Field = iota // HTTP requests (req_tot, CumReq)
	BytesIn                  // request bytes from clients (bin)
	BytesOut                 // response bytes to clients (bout)
	Sessions                 // sessions (stot): a connection on a frontend, a request on a backend or server
	LBTotal                  // times a server was chosen by load balancing (lbtot)
	Reuses                   // requests sent on a pooled server connection (reuse)
	Connects                 // server connection attempts (connect)
	LastSession              // unix seconds of the last session (max)

	Resp1xx // hrsp_1xx
	Resp2xx
	Resp3xx
	Resp4xx
	Resp5xx
	RespOther
	CurSessions // gauge (scur, CurrConns)
	CurQueue    // gauge (qcur)

	SessRate    // rate: 3 words (second, current, previous)
	_           //
	_           //
	ReqRate     // rate: 3 words
	_           //
	_           //
	ConnRate    // rate: 3 words
	_           //
	_           //
	MaxSessions // smax
	MaxQueue    // qmax
	MaxSessRate // rate_max
	MaxReqRate  // req_rate_max
	MaxConnRate // conn_rate_max
	Conns       // connections accepted (conn_tot, CumConns)
	Intercepted // requests answered by the proxy itself: stats, monitor, services (intercepted)

	DeniedReq  // dreq
	DeniedResp // dresp
	ErrReq     // ereq
	ErrConn    // econ
	ErrResp    // eresp
	Retries    // wretr
	Redispatch // wredis
	CliAborts  // cli_abrt

	SrvAborts      // srv_abrt
	InternalErrors // eint
	FailedRewrites // wrew
	CheckFailures  // chkfail
	CheckDowns     // chkdown
	DeniedConns    // dcon
	DeniedSessions // dses
	_              //

	QTime    // sliding average of queue time, ms (swrate sum over AvgSamples)
	CTime    // connect time
	RTime    // response time
	TTime    // total time
	QTimeMax // maxima, ms
	CTimeMax
	RTimeMax
	TTimeMax

	numFields
)

// BlockWords is the number of words of one region's counter block.
const BlockWords = 64

// AvgSamples is the window of the sliding averages (HAProxy's 1024 last
// requests).
const AvgSamples = 1024

type fieldKind uint8

const (
	kindCumulative fieldKind = iota
	kindGauge
	kindMax
	kindRate
	kindAvg
	kindSpare
)

// fieldKinds says how each word is read and folded.
var fieldKinds [BlockWords]fieldKind

func init() {
	if numFields > BlockWords {
		panic("counters: too many fields")
	}
	for i := range fieldKinds {
		fieldKinds[i] = kindSpare
	}
	for f := Field(0); f < numFields; f++ {
		fieldKinds[f] = kindCumulative
	}
	for _, f := range []Field{CurSessions, CurQueue} {
		fieldKinds[f] = kindGauge
	}
	for _, f := range []Field{LastSession, MaxSessions, MaxQueue, MaxSessRate, MaxReqRate, MaxConnRate, QTimeMax, CTimeMax, RTimeMax, TTimeMax} {
		fieldKinds[f] = kindMax
	}
	for _, f := range []Field{SessRate, ReqRate, ConnRate} {
		fieldKinds[f], fieldKinds[f+1], fieldKinds[f+2] = kindRate, kindRate, kindRate
	}
	for _, f := range []Field{QTime, CTime, RTime, TTime} {
		fieldKinds[f] = kindAvg
	}
}

// RespField returns the response class field of an HTTP status.
func RespField(status int) Field {
	switch {
	case status >= 100 && status < 200:
		return Resp1xx
	case status >= 200 && status < 300:
		return Resp2xx
	case status >= 300 && status < 400:
		return Resp3xx
	case status >= 400 && status < 500:
		return Resp4xx
	case status >= 500 && status < 600:
		return Resp5xx
	}
	return RespOther
}
