package syslog

import (
	"fmt"
	"sync"
	"time"
)

// Output is one "log" line bound to its sink. Every proxy using the line
// shares its sampling ranges (HAProxy shares them between the copies of a
// logger); each proxy keeps its own place in the sequence (see Route).
type Output struct {
	Target Target
	sink   *Sink

	// mu guards the sampling state: rangePos here and the routes'
	// range and idx. Unused without sampling.
	mu sync.Mutex
	// rangePos is, per range, how many of its messages were sent in the
	// current period.
	rangePos []int
}

// NewOutput binds t to sink.
func NewOutput(t Target, sink *Sink) *Output {
	o := &Output{Target: t, sink: sink}
	if t.Sample != nil {
		o.rangePos = make([]int, len(t.Sample.Ranges))
	}
	return o
}

// Sink returns the output's sink.
func (o *Output) Sink() *Sink { return o.sink }

// Route is one proxy's use of an Output.
type Route struct {
	out *Output
	// rng is the current range and idx the message's index in the
	// sample period, both guarded by out.mu.
	rng, idx int
}

// NewRoute returns a route to o with its own sampling position.
func (o *Output) NewRoute() *Route { return &Route{out: o} }

// sampled reports whether this message is one the sample sends, and
// advances the sequence (HAProxy's algorithm, quirks included).
func (r *Route) sampled() bool {
	smp := r.out.Target.Sample
	if smp == nil {
		return true
	}
	o := r.out
	o.mu.Lock()
	rg := smp.Ranges[r.rng]
	in := r.idx+1 >= rg.Low && r.idx+1 <= rg.High
	if in {
		o.rangePos[r.rng] = (o.rangePos[r.rng] + 1) % (rg.High - rg.Low + 1)
		if o.rangePos[r.rng] == 0 {
			r.rng = (r.rng + 1) % len(smp.Ranges)
		}
	}
	r.idx = (r.idx + 1) % smp.Size
	o.mu.Unlock()
	return in
}

// Meta is what every line of a process says about its sender.
type Meta struct {
	// Hostname is the "log-send-hostname" value; "" when unset.
	Hostname string
	// PID is the process id in decimal.
	PID string
}

// Logger sends a proxy's messages to its routes. The zero value and nil
// send nothing.
type Logger struct {
	routes []*Route
	tag    string
	meta   *Meta
}

// NewLogger returns a logger for routes, with tag in every header.
func NewLogger(meta *Meta, tag string, routes ...*Route) *Logger {
	return &Logger{routes: routes, tag: tag, meta: meta}
}

// Enabled reports whether the logger has anywhere to send messages.
func (l *Logger) Enabled() bool { return l != nil && len(l.routes) > 0 }

// Wants reports whether a message of level lvl reaches any route, so
// callers can skip building it.
func (l *Logger) Wants(lvl Level) bool {
	if l == nil {
		return false
	}
	for _, r := range l.routes {
		if lvl <= r.out.Target.MaxLevel {
			return true
		}
	}
	return false
}

// WantsSD reports whether any route sends rfc5424, the only format that
// carries structured data.
func (l *Logger) WantsSD() bool {
	if l == nil {
		return false
	}
	for _, r := range l.routes {
		if r.out.Target.Format == RFC5424 {
			return true
		}
	}
	return false
}

// Log sends body (one message, without a newline) at level lvl, with the
// rfc5424 structured data sd (nil: "-"). It never blocks and, once the
// sinks are warm, does not allocate.
func (l *Logger) Log(lvl Level, body, sd []byte) {
	if l == nil || len(l.routes) == 0 {
		return
	}
	now := time.Now()
	h := Header{Tag: l.tag, SD: sd}
	if l.meta != nil {
		h.Hostname, h.PID = l.meta.Hostname, l.meta.PID
	}
	for _, r := range l.routes {
		t := &r.out.Target
		if lvl > t.MaxLevel || !r.sampled() {
			continue
		}
		ln := r.out.sink.get()
		if ln == nil {
			continue
		}
		// A datagram holds Len bytes and the newline; a stream
		// (stdout, stderr) Len bytes newline included, as in HAProxy.
		limit := t.Len
		if t.Addr.Network == FD {
			limit--
		}
		b := AppendHeader(ln.b[:0], t.Format, t.Facility, max(lvl, t.MinLevel), now, &h)
		if len(b) >= limit {
			b = b[:limit]
		} else {
			b = append(b, body[:min(len(body), limit-len(b))]...)
		}
		ln.b = append(b, '\n')
		r.out.sink.send(ln)
	}
}

// Logf formats and sends an event message; it allocates, so it is for
// events (server state changes, stops), not for traffic.
func (l *Logger) Logf(lvl Level, format string, args ...any) {
	if !l.Wants(lvl) {
		return
	}
	l.Log(lvl, fmt.Appendf(nil, format, args...), nil)
}
