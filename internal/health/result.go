package health

import (
	"fmt"
	"strconv"
	"time"
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

// Result is one check's outcome.
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

// Health is a server's health after a check, as HAProxy counts it.
type Health struct {
	Up bool
	// Count is the checks that must still fail before an up server goes
	// down (of Fall), or the successes a down server has (of Rise).
	Count, Rise, Fall int
	// Weight 0 shows an up server as DRAIN.
	Weight int
}

// String is HAProxy's "status: N/M UP" part: "2/2 UP", "0/2 DOWN".
func (h Health) String() string {
	switch {
	case !h.Up:
		return fmt.Sprintf("%d/%d DOWN", h.Count, h.Rise)
	case h.Weight == 0:
		return fmt.Sprintf("%d/%d DRAIN", h.Count, h.Fall)
	}
	return fmt.Sprintf("%d/%d UP", h.Count, h.Fall)
}
