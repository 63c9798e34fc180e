package health

import (
	"fmt"
	"strconv"
	"time"

	"baton/internal/check"
)

// Check statuses, in HAProxy's words.
const (
	L4OK      = "Layer4 check passed"
	L4Con     = "Layer4 connection problem"
	L4Timeout = "Layer4 timeout"
	L6OK      = "Layer6 check passed"
	L6Invalid = "Layer6 invalid response"
	L6Timeout = "Layer6 timeout"
	L7OK      = "Layer7 check passed"
	L7Status  = "Layer7 wrong status"
	L7Invalid = "Layer7 invalid response"
	L7Timeout = "Layer7 timeout"
)

// Result is one check's outcome, as the runtime API and the statistics
// see it (check.Result is the checks' own).
type Result struct {
	OK bool
	// Status is the check's status (L4OK, L7Status, ...).
	Status string
	// Code is the HTTP status of a Layer7 check that got one.
	Code int
	// Info details a failure: the system's error ("Connection
	// refused"), or the reason phrase of a wrong status.
	Info string
	// Duration is how long the check took.
	Duration time.Duration
}

// Reason is HAProxy's description of the check in its log lines:
// `reason: Layer7 wrong status, code: 503, info: "Service Unavailable",
// check duration: 1ms`.
func (r Result) Reason() string {
	s := "reason: " + r.Status
	if r.Code != 0 {
		s += ", code: " + strconv.Itoa(r.Code)
	}
	if r.Info != "" {
		s += fmt.Sprintf(", info: %q", r.Info)
	}
	return s + ", check duration: " + strconv.FormatInt(r.Duration.Milliseconds(), 10) + "ms"
}

// resultOf is the Result of a check's result.
func resultOf(r check.Result) Result {
	v := r.Verdict()
	out := Result{OK: v == check.Passed || v == check.CondPass, Status: r.Status.Desc(), Info: r.Info, Duration: max(r.Duration, 0)}
	if r.Status.HasCode() {
		out.Code = r.Code
	}
	return out
}
