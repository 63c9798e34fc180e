package syslog

import (
	"strconv"
	"time"
)

// Header is what a line's header says besides its priority and time.
type Header struct {
	// Hostname is the "log-send-hostname" value; "" when unset.
	Hostname string
	// Tag is the "log-tag" (the program name by default).
	Tag string
	// PID is the sender's process id, in decimal.
	PID string
	// SD is the rfc5424 structured data ("log-format-sd"); nil or empty
	// sends "-".
	SD []byte
}

// resolve turns Default into the format HAProxy uses for it.
func (f Format) resolve(hostname string) Format {
	if f != Default {
		return f
	}
	if hostname != "" {
		return RFC3164
	}
	return Local
}

const (
	legacyTime = "Jan _2 15:04:05"
	isoTime    = "2006-01-02T15:04:05.000000-07:00"
)

// AppendHeader appends the header of format f (see the package comment)
// for a message of facility fac and level lvl sent at now.
func AppendHeader(b []byte, f Format, fac Facility, lvl Level, now time.Time, h *Header) []byte {
	f = f.resolve(h.Hostname)
	switch f {
	case Local, RFC3164, RFC5424, Priority:
		b = appendPRI(b, int(fac)<<3+int(lvl))
	case Short, Timed:
		b = appendPRI(b, int(lvl))
	}
	switch f {
	case Local, RFC3164:
		b = now.AppendFormat(b, legacyTime)
		b = append(b, ' ')
		if f == RFC3164 {
			if h.Hostname != "" {
				b = append(b, h.Hostname...)
				b = append(b, ' ')
			} else {
				b = append(b, "localhost "...)
			}
		}
		if h.Tag != "" {
			b = append(b, h.Tag...)
			if len(h.PID) > 0 {
				b = append(b, '[')
				b = append(b, h.PID...)
				b = append(b, ']')
			}
			b = append(b, ": "...)
		}
	case RFC5424:
		b = append(b, "1 "...)
		b = now.AppendFormat(b, isoTime)
		b = append(b, ' ')
		b = appendNil(b, h.Hostname)
		b = appendNil(b, h.Tag)
		b = appendNil(b, h.PID)
		b = append(b, "- "...) // MSGID
		sd := h.SD
		for len(sd) > 0 && sd[len(sd)-1] == ' ' {
			sd = sd[:len(sd)-1] // HAProxy trims the structured data's trailing blanks
		}
		if len(sd) == 0 {
			b = append(b, "- "...)
		} else {
			b = append(b, sd...)
			b = append(b, ' ')
		}
	case Timed, ISO:
		b = now.AppendFormat(b, isoTime)
		b = append(b, ' ')
	}
	return b
}

func appendPRI(b []byte, pri int) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(pri), 10)
	return append(b, '>')
}

// appendNil appends s and a blank, or the rfc5424 NILVALUE "-" when s is
// empty.
func appendNil(b []byte, s string) []byte {
	if s == "" {
		return append(b, "- "...)
	}
	b = append(b, s...)
	return append(b, ' ')
}
