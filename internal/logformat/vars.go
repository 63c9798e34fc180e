package logformat

// Var is a variable of HAProxy's custom log format ("%ci", "%Tw", ...).
type Var uint8

// The variables of HAProxy 2.6's log-format table (configuration manual,
// section 8.2.6), in its order.
const (
	VarB    Var = iota + 1 // bytes sent to the client
	VarCC                  // captured request cookie
	VarCS                  // captured response cookie
	VarH                   // host name
	VarHM                  // HTTP method
	VarHP                  // HTTP request URI without the query string
	VarHPO                 // HTTP path only (no host, no query string)
	VarHQ                  // HTTP query string, with its '?'
	VarHU                  // HTTP request URI
	VarHV                  // HTTP version
	VarID                  // unique-id
	VarST                  // status code
	VarT                   // accept date, GMT
	VarTa                  // request active time
	VarTc                  // connect time
	VarTd                  // data transfer time
	VarTl                  // accept date, local time with offset
	VarTh                  // handshake time
	VarTi                  // idle time before the request
	VarTq                  // Th + Ti + TR
	VarTR                  // time to receive the request head
	VarTr                  // server response time
	VarTs                  // accept date as a Unix timestamp
	VarTt                  // total time
	VarTu                  // total time minus idle time
	VarTw                  // time in queues
	VarU                   // bytes received from the client
	Varac                  // process connections
	Varb                   // backend name
	Varbc                  // backend connections
	Varbi                  // backend source IP
	Varbp                  // backend source port
	Varbq                  // backend queue position
	Varci                  // client IP
	Varcp                  // client port
	Varf                   // frontend name
	Varfc                  // frontend connections
	Varfi                  // frontend IP
	Varfp                  // frontend port
	Varft                  // frontend name with '~' for TLS
	Varlc                  // frontend log counter
	Varhr                  // captured request headers
	Varhrl                 // captured request headers, CLF style
	Varhs                  // captured response headers
	Varhsl                 // captured response headers, CLF style
	Varms                  // accept date milliseconds
	Varpid                 // process id
	Varr                   // request line
	Varrc                  // retries
	Varrt                  // request counter
	Vars                   // server name
	Varsc                  // server connections
	Varsi                  // server IP
	Varsp                  // server port
	Varsq                  // server queue position
	Varsslc                // TLS cipher
	Varsslv                // TLS version
	Vart                   // accept date
	Vartr                  // request date
	Vartrg                 // request date, GMT
	Vartrl                 // request date, local time with offset
	Varts                  // termination state
	Vartsc                 // termination state with cookie status
	varCount
)

// varInfo names a variable and says whether it needs mode http.
type varInfo struct {
	name string
	http bool
}

var varTable = [varCount]varInfo{
	VarB: {"B", false}, VarCC: {"CC", true}, VarCS: {"CS", true}, VarH: {"H", false},
	VarHM: {"HM", true}, VarHP: {"HP", true}, VarHPO: {"HPO", true}, VarHQ: {"HQ", true},
	VarHU: {"HU", true}, VarHV: {"HV", true}, VarID: {"ID", false}, VarST: {"ST", false},
	VarT: {"T", false}, VarTa: {"Ta", true}, VarTc: {"Tc", false}, VarTd: {"Td", false},
	VarTl: {"Tl", false}, VarTh: {"Th", false}, VarTi: {"Ti", true}, VarTq: {"Tq", true},
	VarTR: {"TR", true}, VarTr: {"Tr", true}, VarTs: {"Ts", false}, VarTt: {"Tt", false},
	VarTu: {"Tu", false}, VarTw: {"Tw", false}, VarU: {"U", false}, Varac: {"ac", false},
	Varb: {"b", false}, Varbc: {"bc", false}, Varbi: {"bi", false}, Varbp: {"bp", false},
	Varbq: {"bq", false}, Varci: {"ci", false}, Varcp: {"cp", false}, Varf: {"f", false},
	Varfc: {"fc", false}, Varfi: {"fi", false}, Varfp: {"fp", false}, Varft: {"ft", false},
	Varlc: {"lc", false}, Varhr: {"hr", false}, Varhrl: {"hrl", false}, Varhs: {"hs", false},
	Varhsl: {"hsl", false}, Varms: {"ms", false}, Varpid: {"pid", false}, Varr: {"r", true},
	Varrc: {"rc", false}, Varrt: {"rt", false}, Vars: {"s", false}, Varsc: {"sc", false},
	Varsi: {"si", false}, Varsp: {"sp", false}, Varsq: {"sq", false}, Varsslc: {"sslc", false},
	Varsslv: {"sslv", false}, Vart: {"t", false}, Vartr: {"tr", true}, Vartrg: {"trg", true},
	Vartrl: {"trl", true}, Varts: {"ts", false}, Vartsc: {"tsc", false},
}

// Name is the variable's name without the '%'.
func (v Var) Name() string {
	if v > 0 && v < varCount {
		return varTable[v].name
	}
	return "?"
}

// HTTPOnly reports whether the variable is reserved for mode http.
func (v Var) HTTPOnly() bool { return v > 0 && v < varCount && varTable[v].http }

// AllVars lists every variable, in the manual's order.
func AllVars() []Var {
	out := make([]Var, 0, varCount-1)
	for v := Var(1); v < varCount; v++ {
		out = append(out, v)
	}
	return out
}

func lookupVar(name string) (Var, bool) {
	for v := Var(1); v < varCount; v++ {
		if varTable[v].name == name {
			return v, true
		}
	}
	return 0, false
}
