package syslog

// Level is a syslog severity: 0 (emerg) is the most severe, 7 (debug) the
// least.
type Level uint8

// The eight syslog levels.
const (
	Emerg Level = iota
	Alert
	Crit
	Err
	Warning
	Notice
	Info
	Debug
)

var levelNames = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

func (l Level) String() string { return name(levelNames, int(l)) }

// ParseLevel returns the level named s ("emerg" .. "debug").
func ParseLevel(s string) (Level, bool) {
	i, ok := index(levelNames, s)
	return Level(i), ok
}

// Facility is a syslog facility, 0 (kern) .. 23 (local7).
type Facility uint8

var facilityNames = []string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "auth2", "ftp", "ntp", "audit", "alert", "cron2",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

func (f Facility) String() string { return name(facilityNames, int(f)) }

// ParseFacility returns the facility named s, with HAProxy's names.
func ParseFacility(s string) (Facility, bool) {
	i, ok := index(facilityNames, s)
	return Facility(i), ok
}

// Format is a header layout (see the package comment).
type Format uint8

const (
	// Default is a target without "format": Local, or RFC3164 when the
	// global "log-send-hostname" is set.
	Default Format = iota
	Local
	RFC3164
	RFC5424
	Priority
	Short
	Timed
	ISO
	Raw
)

// formatNames are indexed by Format; Default has no name.
var formatNames = []string{"", "local", "rfc3164", "rfc5424", "priority", "short", "timed", "iso", "raw"}

func (f Format) String() string { return name(formatNames, int(f)) }

// ParseFormat returns the format named s ("local" .. "raw").
func ParseFormat(s string) (Format, bool) {
	if s == "" {
		return 0, false
	}
	i, ok := index(formatNames, s)
	return Format(i), ok
}

// FormatNames lists the format names in HAProxy's order.
func FormatNames() []string { return append([]string(nil), formatNames[1:]...) }

func index(names []string, s string) (int, bool) {
	for i, n := range names {
		if n == s {
			return i, true
		}
	}
	return 0, false
}

func name(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return "?"
}
