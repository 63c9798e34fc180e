package syslog

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// DefaultLen is a target's maximum line length without "len".
const DefaultLen = 1024

// Target is one "log" line:
//
//	log ADDRESS [len N] [format F] [sample RANGES:SIZE] FACILITY [MAX [MIN]]
//
// The zero value is not a usable target; see ParseTarget.
type Target struct {
	Addr   Address
	Format Format // Default when the line has no "format"
	// Facility is the syslog facility; short, timed, iso and raw do not
	// send it, but it must still be written, as in HAProxy.
	Facility Facility
	// MaxLevel drops messages less severe than it (Debug sends all).
	MaxLevel Level
	// MinLevel raises messages more severe than it to it (Emerg changes
	// nothing): "log ... local0 info notice" sends an alert as notice.
	MinLevel Level
	// Len is the maximum length of header plus message, 80..65535.
	Len int
	// Sample, when not nil, sends only some of the messages.
	Sample *Sample
}

// Sample is "sample RANGES:SIZE": of every Size messages (numbered from
// 1), the ones in Ranges are sent.
type Sample struct {
	Ranges []Range // sorted, not overlapping
	Size   int
}

// Range is Low..High, both included; Low >= 1.
type Range struct{ Low, High int }

func (s *Sample) String() string {
	var b strings.Builder
	for i, r := range s.Ranges {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(r.Low))
		if r.High != r.Low {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(r.High))
		}
	}
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(s.Size))
	return b.String()
}

// ParseSample parses "RANGE[,RANGE...]:SIZE", a RANGE being N or N-M.
func ParseSample(s string) (*Sample, error) {
	rs, size, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("missing sample size in %q (RANGES:SIZE)", s)
	}
	smp := &Sample{}
	maxHigh := 0
	for _, r := range strings.Split(rs, ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		low, err := strconv.Atoi(lo)
		high := low
		if err == nil && isRange {
			high, err = strconv.Atoi(hi)
			if err == nil && high <= low {
				err = fmt.Errorf("empty")
			}
		}
		if err != nil || low < 1 {
			return nil, fmt.Errorf("wrong sample range %q", r)
		}
		for _, o := range smp.Ranges {
			if low >= o.Low && low <= o.High || high >= o.Low && high <= o.High || low < o.Low && high > o.High {
				return nil, fmt.Errorf("sample ranges are overlapping in %q", rs)
			}
		}
		smp.Ranges = append(smp.Ranges, Range{low, high})
		maxHigh = max(maxHigh, high)
	}
	n, err := strconv.Atoi(size)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("wrong sample size %q for sample range %q", size, rs)
	}
	if n < maxHigh {
		return nil, fmt.Errorf("sample size %d should be greater or equal to %d the maximum of the high ranges limits", n, maxHigh)
	}
	smp.Size = n
	sort.Slice(smp.Ranges, func(i, j int) bool { return smp.Ranges[i].Low < smp.Ranges[j].Low })
	return smp, nil
}

// ParseTarget parses the arguments of a "log" line after the keyword:
// ADDRESS [len N] [format F] [sample RANGES:SIZE] FACILITY [MAX [MIN]],
// options in that order, as HAProxy requires.
func ParseTarget(args []string) (Target, error) {
	if len(args) < 2 {
		return Target{}, fmt.Errorf("expects an address and a facility (e.g. log /dev/log local0)")
	}
	t := Target{MaxLevel: Debug, MinLevel: Emerg, Len: DefaultLen}
	rest := args[1:]
	if rest[0] == "len" {
		if len(rest) < 2 {
			return Target{}, fmt.Errorf("len expects a length (80..65535)")
		}
		n, err := strconv.Atoi(rest[1])
		if err != nil || n < 80 || n > 65535 {
			return Target{}, fmt.Errorf("invalid log length %q, must be between 80 and 65535", rest[1])
		}
		t.Len, rest = n, rest[2:]
	}
	if len(rest) > 0 && rest[0] == "format" {
		if len(rest) < 2 {
			return Target{}, fmt.Errorf("format expects one of %s", strings.Join(FormatNames(), ", "))
		}
		f, ok := ParseFormat(rest[1])
		if !ok {
			return Target{}, fmt.Errorf("unknown log format %q (expected one of %s)", rest[1], strings.Join(FormatNames(), ", "))
		}
		t.Format, rest = f, rest[2:]
	}
	if len(rest) > 0 && rest[0] == "sample" {
		if len(rest) < 2 {
			return Target{}, fmt.Errorf("sample expects RANGES:SIZE (e.g. 1:10)")
		}
		smp, err := ParseSample(rest[1])
		if err != nil {
			return Target{}, err
		}
		t.Sample, rest = smp, rest[2:]
	}
	if len(rest) == 0 {
		return Target{}, fmt.Errorf("missing facility (e.g. local0)")
	}
	fac, ok := ParseFacility(rest[0])
	if !ok {
		return Target{}, fmt.Errorf("unknown log facility %q", rest[0])
	}
	t.Facility, rest = fac, rest[1:]
	if len(rest) > 0 {
		if t.MaxLevel, ok = ParseLevel(rest[0]); !ok {
			return Target{}, fmt.Errorf("unknown optional log level %q", rest[0])
		}
		rest = rest[1:]
	}
	if len(rest) > 0 {
		if t.MinLevel, ok = ParseLevel(rest[0]); !ok {
			return Target{}, fmt.Errorf("unknown optional minimum log level %q", rest[0])
		}
		rest = rest[1:]
	}
	if len(rest) > 0 {
		return Target{}, fmt.Errorf("unexpected argument %q", rest[0])
	}
	addr, err := ParseAddress(args[0])
	if err != nil {
		return Target{}, err
	}
	t.Addr = addr
	return t, nil
}
