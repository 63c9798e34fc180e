package check

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Status is a check's outcome as HAProxy names it (the stats page's
// check_status column: "L4OK", "L7STS", ...).
type Status uint8

// Statuses, in HAProxy's order: those from L7OK on carry a code in log
// lines ("code: 200").
const (
	StatusUnknown  Status = iota // no check finished yet
	StatusInit                   // INI: the first check has not finished
	StatusChecked                // CHECKED: an agent answered without a health word
	StatusHANA                   // HANA: observed traffic failed (observe, on-error)
	StatusSockErr                // SOCKERR: a socket error after connecting
	StatusL4OK                   // L4OK: connected
	StatusL4Tout                 // L4TOUT: no connection in time
	StatusL4Con                  // L4CON: the connection failed
	StatusL6OK                   // L6OK: TLS or SSL hello passed
	StatusL6Tout                 // L6TOUT: TLS timed out
	StatusL6Rsp                  // L6RSP: TLS or SSL hello failed
	StatusL7Tout                 // L7TOUT: no (complete) answer in time
	StatusL7Rsp                  // L7RSP: an invalid answer
	StatusL7OK                   // L7OK: the application check passed
	StatusL7OKC                  // L7OKC: passed conditionally: NOLB (disable-on-404)
	StatusL7Sts                  // L7STS: a valid answer saying "failed"
	StatusProcErr                // PROCERR: the external check exited non-zero
	StatusProcTout               // PROCTOUT: the external check timed out
	StatusProcOK                 // PROCOK: the external check exited 0
)

// Verdict is what a status means for the server's health.
type Verdict uint8

const (
	Neutral  Verdict = iota // no change (unknown, agent without a health word)
	Passed                  // counts as a success
	CondPass                // a success that puts the server in NOLB
	Failed                  // counts as a failure
)

var statusInfo = [...]struct {
	name, desc string
	verdict    Verdict
}{
	StatusUnknown:  {"UNK", "Unknown", Neutral},
	StatusInit:     {"INI", "Initializing", Neutral},
	StatusChecked:  {"CHECKED", "No status change", Neutral},
	StatusHANA:     {"HANA", "Health analyze", Failed},
	StatusSockErr:  {"SOCKERR", "Socket error", Failed},
	StatusL4OK:     {"L4OK", "Layer4 check passed", Passed},
	StatusL4Tout:   {"L4TOUT", "Layer4 timeout", Failed},
	StatusL4Con:    {"L4CON", "Layer4 connection problem", Failed},
	StatusL6OK:     {"L6OK", "Layer6 check passed", Passed},
	StatusL6Tout:   {"L6TOUT", "Layer6 timeout", Failed},
	StatusL6Rsp:    {"L6RSP", "Layer6 invalid response", Failed},
	StatusL7Tout:   {"L7TOUT", "Layer7 timeout", Failed},
	StatusL7Rsp:    {"L7RSP", "Layer7 invalid response", Failed},
	StatusL7OK:     {"L7OK", "Layer7 check passed", Passed},
	StatusL7OKC:    {"L7OKC", "Layer7 check conditionally passed", CondPass},
	StatusL7Sts:    {"L7STS", "Layer7 wrong status", Failed},
	StatusProcErr:  {"PROCERR", "External check error", Failed},
	StatusProcTout: {"PROCTOUT", "External check timeout", Failed},
	StatusProcOK:   {"PROCOK", "External check passed", Passed},
}

// String is HAProxy's short name ("L7OK").
func (s Status) String() string { return statusInfo[s].name }

// Desc is HAProxy's description ("Layer7 check passed").
func (s Status) Desc() string { return statusInfo[s].desc }

// Verdict says how the status counts.
func (s Status) Verdict() Verdict { return statusInfo[s].verdict }

// HasCode reports whether log lines show the code with this status.
func (s Status) HasCode() bool { return s >= StatusL7OK }

// parseStatus reads a status name for ok-status, error-status and
// tout-status, case-insensitively, among allowed.
func parseStatus(name string, allowed ...Status) (Status, bool) {
	for _, s := range allowed {
		if strings.EqualFold(name, s.String()) {
			return s, true
		}
	}
	return 0, false
}

// Result is one finished check.
type Result struct {
	Status Status
	// Code is the status code of a layer 7 answer (HTTP status, SMTP
	// reply, MySQL or LDAP error, external check exit status); 0 when
	// none.
	Code int
	// Info is HAProxy's "info" text; "" when none.
	Info string
	// Duration is how long the check took; negative when it does not
	// apply (a failure found by observing traffic).
	Duration time.Duration
	// Agent is the line an agent check read; nil for other checks, or
	// when no whole line came.
	Agent *AgentReply
}

// Verdict is the result's status verdict.
func (r Result) Verdict() Verdict { return r.Status.Verdict() }

// AppendReason appends HAProxy's description of the result as its log
// lines show it: `reason: Layer7 wrong status, code: 503, info: "Service
// Unavailable", check duration: 6ms`.
func (r Result) AppendReason(b []byte) []byte {
	b = append(b, "reason: "...)
	b = append(b, r.Status.Desc()...)
	if r.Status.HasCode() {
		b = append(b, ", code: "...)
		b = strconv.AppendInt(b, int64(r.Code), 10)
	}
	if r.Info != "" {
		b = append(b, `, info: "`...)
		b = appendASCIIEncoded(b, r.Info)
		b = append(b, '"')
	}
	if r.Duration >= 0 {
		b = append(b, ", check duration: "...)
		b = strconv.AppendInt(b, r.Duration.Milliseconds(), 10)
		b = append(b, "ms"...)
	}
	return b
}

// Reason is AppendReason as a string.
func (r Result) Reason() string { return string(r.AppendReason(nil)) }

// appendASCIIEncoded writes s as HAProxy writes a check's info between
// double quotes: tabs, line ends, the quote and the backslash escaped with
// a backslash, other non-printable bytes as \xHH.
func appendASCIIEncoded(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\t':
			b = append(b, `\t`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return b
}

// maxInfo bounds Info, as HAProxy's check description buffer does.
const maxInfo = 127

func clipInfo(s string) string {
	if len(s) > maxInfo {
		return s[:maxInfo]
	}
	return s
}

// errnoText is the C library's wording of a socket error ("Connection
// refused"), or "" when err carries no errno.
func errnoText(err error) string {
	var en syscall.Errno
	if !errors.As(err, &en) {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return ""
		}
		return ""
	}
	switch en {
	case syscall.EAGAIN, syscall.EINPROGRESS, syscall.EISCONN, syscall.EALREADY:
		return ""
	}
	s := en.Error()
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
