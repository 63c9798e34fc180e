package serverstate

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Version is the only format version.
const Version = 1

// Header is the column line of version 1.
const Header = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight " +
	"srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state " +
	"bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr " +
	"srv_agent_addr srv_agent_port"

// Operational states (srv_op_state).
const (
	OpStopped  = 0 // DOWN
	OpStarting = 1
	OpRunning  = 2 // UP
	OpStopping = 3 // NOLB
)

// Administrative state bits (srv_admin_state).
const (
	AdminForcedMaint     = 0x01 // set server state maint
	AdminInheritedMaint  = 0x02
	AdminConfigMaint     = 0x04 // "disabled" in the configuration
	AdminForcedDrain     = 0x08 // set server state drain
	AdminInheritedDrain  = 0x10
	AdminResolutionMaint = 0x20
	AdminHostnameMaint   = 0x40
)

// Check states (srv_check_state bits).
const (
	CheckConfigured = 0x02
	CheckEnabled    = 0x04
	CheckPaused     = 0x08
)

// Line is one server.
type Line struct {
	BackendID   int
	Backend     string
	ServerID    int
	Server      string
	Addr        string // IP without the port
	OpState     int
	AdminState  int
	UWeight     int
	IWeight     int
	SinceChange int64 // seconds since the last state change
	CheckStatus int   // HAProxy's check status number (see CheckStatusCode)
	CheckResult int   // 0 unknown, 1 neutral, 2 failed, 3 passed, 4 conditionally passed
	CheckHealth int
	CheckState  int
	AgentState  int
	// BackendForcedID and ServerForcedID say whether the ids were set
	// with "id" in the configuration (1) or given automatically (0).
	BackendForcedID, ServerForcedID int
	FQDN                            string // "-" for none
	Port                            int
	SRVRecord                       string // "-" for none
	UseSSL                          int
	CheckPort                       int
	CheckAddr, AgentAddr            string // "-" for none
	AgentPort                       int
}

// CheckStatusCode maps a check status ("L4OK") to HAProxy's number for
// it in this format.
func CheckStatusCode(status string) int {
	for i, s := range checkStatuses {
		if s == status {
			return i
		}
	}
	return 0
}

// checkStatuses are HAProxy's check statuses in the order of their
// numbers.
var checkStatuses = []string{"UNK", "INI", "START", "CHECKED", "HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON",
	"L6OK", "L6TOUT", "L6RSP", "L7TOUT", "L7RSP", "L57DATA", "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK"}

// String formats l as its line, without a newline.
func (l *Line) String() string {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	return fmt.Sprintf("%d %s %d %s %s %d %d %d %d %d %d %d %d %d %d %d %d %s %d %s %d %d %s %s %d",
		l.BackendID, l.Backend, l.ServerID, l.Server, dash(l.Addr), l.OpState, l.AdminState, l.UWeight, l.IWeight,
		l.SinceChange, l.CheckStatus, l.CheckResult, l.CheckHealth, l.CheckState, l.AgentState,
		l.BackendForcedID, l.ServerForcedID, dash(l.FQDN), l.Port, dash(l.SRVRecord), l.UseSSL, l.CheckPort,
		dash(l.CheckAddr), dash(l.AgentAddr), l.AgentPort)
}

// Write writes the version line, the header and lines.
func Write(w io.Writer, lines []Line) error {
	var b strings.Builder
	b.WriteString(strconv.Itoa(Version) + "\n" + Header + "\n")
	for i := range lines {
		b.WriteString(lines[i].String())
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ErrVersion is a file without a version line Baton knows.
var ErrVersion = errors.New("server state: missing or unsupported version (want 1)")

// Parse reads a server state file. Lines it cannot read are skipped and
// reported in bad (1-based line numbers with the reason).
func Parse(r io.Reader) (lines []Line, bad []string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	version := false
	for sc.Scan() {
		n++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if !version {
			if text != strconv.Itoa(Version) {
				return nil, nil, ErrVersion
			}
			version = true
			continue
		}
		l, perr := parseLine(strings.Fields(text))
		if perr != nil {
			bad = append(bad, fmt.Sprintf("line %d: %v", n, perr))
			continue
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return lines, bad, err
	}
	if !version {
		return nil, nil, ErrVersion
	}
	return lines, bad, nil
}

func parseLine(f []string) (Line, error) {
	var l Line
	if len(f) < 14 {
		return l, fmt.Errorf("%d fields, want at least 14", len(f))
	}
	ints := []*int{&l.BackendID, nil, &l.ServerID, nil, nil, &l.OpState, &l.AdminState, &l.UWeight, &l.IWeight,
		nil, &l.CheckStatus, &l.CheckResult, &l.CheckHealth, &l.CheckState, &l.AgentState,
		&l.BackendForcedID, &l.ServerForcedID, nil, &l.Port, nil, &l.UseSSL, &l.CheckPort, nil, nil, &l.AgentPort}
	for i, p := range ints {
		if p == nil || i >= len(f) {
			continue
		}
		v, err := strconv.Atoi(f[i])
		if err != nil {
			return l, fmt.Errorf("field %d: %q is not a number", i+1, f[i])
		}
		*p = v
	}
	since, err := strconv.ParseInt(f[9], 10, 64)
	if err != nil {
		return l, fmt.Errorf("field 10: %q is not a number", f[9])
	}
	l.SinceChange = since
	l.Backend, l.Server, l.Addr = f[1], f[3], undash(f[4])
	strs := map[int]*string{17: &l.FQDN, 19: &l.SRVRecord, 22: &l.CheckAddr, 23: &l.AgentAddr}
	for i, p := range strs {
		if i < len(f) {
			*p = undash(f[i])
		}
	}
	if l.OpState < OpStopped || l.OpState > OpStopping {
		return l, fmt.Errorf("srv_op_state %d out of range", l.OpState)
	}
	if l.UWeight < 0 || l.UWeight > 256 || l.IWeight < 0 || l.IWeight > 256 {
		return l, fmt.Errorf("weight out of range")
	}
	return l, nil
}

func undash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}
