package sticktable

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// KeyType is the type of a table's keys.
type KeyType uint8

const (
	KeyIP      KeyType = iota + 1 // an IPv4 address, 4 bytes
	KeyIPv6                       // an IPv6 address, 16 bytes
	KeyInteger                    // a 32-bit integer, stored in 8 bytes
	KeyString                     // up to Len bytes of text
	KeyBinary                     // exactly Len bytes, zero padded
)

var keyTypeNames = [...]string{"", "ip", "ipv6", "integer", "string", "binary"}

func (k KeyType) String() string { return keyTypeNames[k] }

// DataType is one kind of value an entry can store ("store ...").
type DataType uint8

// The data types of HAProxy 2.6. The _cnt, _cur, gpc and gpt types are
// one word each (arrays N words); the rates are three (see freq).
const (
	DServerID DataType = iota + 1
	DGPT0
	DGPT // gpt(N): array
	DGPC0
	DGPC1
	DGPC // gpc(N): array
	DGPC0Rate
	DGPC1Rate
	DGPCRate // gpc_rate(N,period): array
	DConnCnt
	DConnCur
	DConnRate
	DSessCnt
	DSessRate
	DHTTPReqCnt
	DHTTPReqRate
	DHTTPErrCnt
	DHTTPErrRate
	DHTTPFailCnt
	DHTTPFailRate
	DBytesInCnt
	DBytesInRate
	DBytesOutCnt
	DBytesOutRate
	numDataTypes
)

// dataTypeInfo says how a data type is written and stored.
type dataTypeInfo struct {
	name  string
	rate  bool // takes a period, three words per element
	array bool // takes a count first: gpc(N), gpt(N), gpc_rate(N,p)
}

var dataTypes = [numDataTypes]dataTypeInfo{
	DServerID: {name: "server_id"}, DGPT0: {name: "gpt0"}, DGPT: {name: "gpt", array: true},
	DGPC0: {name: "gpc0"}, DGPC1: {name: "gpc1"}, DGPC: {name: "gpc", array: true},
	DGPC0Rate: {name: "gpc0_rate", rate: true}, DGPC1Rate: {name: "gpc1_rate", rate: true},
	DGPCRate: {name: "gpc_rate", rate: true, array: true},
	DConnCnt: {name: "conn_cnt"}, DConnCur: {name: "conn_cur"}, DConnRate: {name: "conn_rate", rate: true},
	DSessCnt: {name: "sess_cnt"}, DSessRate: {name: "sess_rate", rate: true},
	DHTTPReqCnt: {name: "http_req_cnt"}, DHTTPReqRate: {name: "http_req_rate", rate: true},
	DHTTPErrCnt: {name: "http_err_cnt"}, DHTTPErrRate: {name: "http_err_rate", rate: true},
	DHTTPFailCnt: {name: "http_fail_cnt"}, DHTTPFailRate: {name: "http_fail_rate", rate: true},
	DBytesInCnt: {name: "bytes_in_cnt"}, DBytesInRate: {name: "bytes_in_rate", rate: true},
	DBytesOutCnt: {name: "bytes_out_cnt"}, DBytesOutRate: {name: "bytes_out_rate", rate: true},
}

func (d DataType) String() string { return dataTypes[d].name }

func lookupDataType(name string) (DataType, bool) {
	for i := DataType(1); i < numDataTypes; i++ {
		if dataTypes[i].name == name {
			return i, true
		}
	}
	return 0, false
}

// Store is one stored data type.
type Store struct {
	Type DataType
	// N is the number of elements of an array type (gpc, gpt, gpc_rate);
	// 1 otherwise.
	N int
	// Period is a rate's period in milliseconds.
	Period int64
}

func (s Store) String() string {
	info := dataTypes[s.Type]
	switch {
	case info.array && info.rate:
		return fmt.Sprintf("%s(%d,%d)", info.name, s.N, s.Period)
	case info.array:
		return fmt.Sprintf("%s(%d)", info.name, s.N)
	case info.rate:
		return fmt.Sprintf("%s(%d)", info.name, s.Period)
	}
	return info.name
}

// words is the number of 8-byte words the type takes in an entry.
func (s Store) words() int {
	if dataTypes[s.Type].rate {
		return 3 * s.N
	}
	return s.N
}

// Spec is a "stick-table" line: what a table keys on, how many entries
// it holds, for how long, and what each entry stores.
type Spec struct {
	// Name is the table's name: the name of the proxy declaring it.
	Name string
	Type KeyType
	// Len is the key length in bytes for string and binary keys (32 when
	// not given); 4, 16 and 8 for ip, ipv6 and integer.
	Len int
	// Size is the most entries the table holds.
	Size int
	// Expire is how long an entry lives after it was last created,
	// tracked or matched; 0 means entries do not expire (they are only
	// evicted when the table is full).
	Expire time.Duration
	// NoPurge refuses new entries when the table is full instead of
	// evicting the least recently used one.
	NoPurge bool
	// Peers names the peers section the table is shared with ("" for
	// none). Only a section naming the local node alone is accepted:
	// Baton carries tables across reloads by itself.
	Peers string
	// Store lists the stored data types in the order written.
	Store []Store
}

// Has returns the stored data type d.
func (s *Spec) Has(d DataType) (Store, bool) {
	for _, st := range s.Store {
		if st.Type == d {
			return st, true
		}
	}
	return Store{}, false
}

// Shape is what an entry's layout depends on: two generations whose
// tables have the same name and shape share their entries.
func (s *Spec) Shape() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%d/%d", s.Type, s.Len, s.Size)
	for _, st := range s.Store {
		b.WriteString("/" + st.String())
	}
	return b.String()
}

// ParseSpec reads the arguments of a "stick-table" line (after the
// keyword); parseTime reads times as the configuration does. Errors use
// HAProxy's words.
func ParseSpec(name string, args []string, parseTime func(string) (time.Duration, error)) (Spec, error) {
	sp := Spec{Name: name}
	for i := 0; i < len(args); i++ {
		kw := args[i]
		val := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("missing argument after '%s'", kw)
			}
			i++
			return args[i], nil
		}
		switch kw {
		case "type":
			v, err := val()
			if err != nil {
				return sp, err
			}
			switch v {
			case "ip":
				sp.Type, sp.Len = KeyIP, 4
			case "ipv6":
				sp.Type, sp.Len = KeyIPv6, 16
			case "integer":
				sp.Type, sp.Len = KeyInteger, 8
			case "string", "binary":
				sp.Type, sp.Len = KeyString, 32
				if v == "binary" {
					sp.Type = KeyBinary
				}
				if i+1 < len(args) && args[i+1] == "len" {
					i++
					l, err := val()
					if err != nil {
						return sp, err
					}
					n, err := strconv.Atoi(l)
					if err != nil || n <= 0 || n > 4096 {
						return sp, fmt.Errorf("invalid length '%s' for type '%s'", l, v)
					}
					sp.Len = n
				}
			default:
				return sp, fmt.Errorf("unknown type '%s'", v)
			}
		case "size":
			v, err := val()
			if err != nil {
				return sp, err
			}
			n, ok := parseCount(v)
			if !ok || n <= 0 {
				return sp, fmt.Errorf("invalid size '%s'", v)
			}
			sp.Size = n
		case "expire":
			v, err := val()
			if err != nil {
				return sp, err
			}
			d, err := parseTime(v)
			if err != nil {
				return sp, fmt.Errorf("invalid expire '%s': %v", v, err)
			}
			if d > 24*24*time.Hour {
				return sp, fmt.Errorf("expire '%s' is above the maximum (24 days)", v)
			}
			sp.Expire = d
		case "nopurge":
			sp.NoPurge = true
		case "peers":
			v, err := val()
			if err != nil {
				return sp, err
			}
			sp.Peers = v
		case "srvkey":
			v, err := val()
			if err != nil {
				return sp, err
			}
			if v != "name" && v != "addr" {
				return sp, fmt.Errorf("'srvkey' expects 'name' or 'addr', got '%s'", v)
			}
			if v == "addr" {
				return sp, fmt.Errorf("'srvkey addr' is not supported by Baton (it keys servers by id)")
			}
		case "store":
			v, err := val()
			if err != nil {
				return sp, err
			}
			for _, item := range splitStore(v) {
				st, err := parseStore(item, parseTime)
				if err != nil {
					return sp, err
				}
				if _, dup := sp.Has(st.Type); dup {
					continue
				}
				sp.Store = append(sp.Store, st)
			}
		default:
			return sp, fmt.Errorf("unknown argument '%s'", kw)
		}
	}
	if sp.Type == 0 {
		return sp, fmt.Errorf("missing type")
	}
	if sp.Size == 0 {
		return sp, fmt.Errorf("missing size")
	}
	legacy := func(a, b DataType) error {
		if _, ok := sp.Has(a); ok {
			if _, ok := sp.Has(b); ok {
				return fmt.Errorf("'%s' and '%s' cannot be stored in the same table", a, b)
			}
		}
		return nil
	}
	for _, pair := range [][2]DataType{{DGPC, DGPC0}, {DGPC, DGPC1}, {DGPT, DGPT0}, {DGPCRate, DGPC0Rate}, {DGPCRate, DGPC1Rate}} {
		if err := legacy(pair[0], pair[1]); err != nil {
			return sp, err
		}
	}
	return sp, nil
}

// splitStore splits "a,b(1,2),c" at the commas outside parentheses.
func splitStore(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func parseStore(item string, parseTime func(string) (time.Duration, error)) (Store, error) {
	name, arg, hasArg := strings.Cut(item, "(")
	d, ok := lookupDataType(name)
	if !ok {
		return Store{}, fmt.Errorf("unknown data type '%s'", name)
	}
	info := dataTypes[d]
	st := Store{Type: d, N: 1}
	if !hasArg {
		if info.rate || info.array {
			return st, fmt.Errorf("data type '%s' expects an argument in parentheses", name)
		}
		return st, nil
	}
	if !strings.HasSuffix(arg, ")") {
		return st, fmt.Errorf("missing ')' after data type '%s'", name)
	}
	if !info.rate && !info.array {
		return st, fmt.Errorf("data type '%s' takes no argument", name)
	}
	parts := strings.Split(arg[:len(arg)-1], ",")
	if info.array {
		n, err := strconv.Atoi(parts[0])
		if err != nil || n < 1 || n > 100 {
			return st, fmt.Errorf("data type '%s': invalid number of elements '%s' (1 to 100)", name, parts[0])
		}
		st.N = n
		parts = parts[1:]
	}
	if info.rate {
		if len(parts) != 1 {
			return st, fmt.Errorf("data type '%s' expects a period", name)
		}
		p, err := parseTime(parts[0])
		if err != nil || p <= 0 {
			return st, fmt.Errorf("data type '%s': invalid period '%s'", name, parts[0])
		}
		st.Period = p.Milliseconds()
	} else if len(parts) != 0 {
		return st, fmt.Errorf("data type '%s' takes one argument", name)
	}
	return st, nil
}

// parseCount reads a size with HAProxy's k, m and g suffixes (powers of
// 1024).
func parseCount(s string) (int, bool) {
	mul := 1
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mul, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "m"), strings.HasSuffix(s, "M"):
		mul, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "g"), strings.HasSuffix(s, "G"):
		mul, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > (1<<31)/mul {
		return 0, false
	}
	return n * mul, true
}
