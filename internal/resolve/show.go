package resolve

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// Counters are one name server's counters, HAProxy's "show resolvers"
// fields. Each is atomic: the section's goroutine counts while the
// runtime API reads.
type Counters struct {
	// Sent queries, and those whose send failed.
	Sent, SndError atomic.Uint64
	// Valid answers, and those that changed a server's address.
	Valid, Update atomic.Uint64
	// CNAME chains followed, and chains that ended nowhere.
	CNAME, CNAMEError atomic.Uint64
	// AnyErr: answers without records.
	AnyErr atomic.Uint64
	// NX, Refused and Other error answers; Timeout: resolutions the
	// server never answered.
	NX, Timeout, Refused, Other atomic.Uint64
	// Invalid: malformed answers, or answers for another name.
	Invalid atomic.Uint64
	// TooBig: answers beyond accepted_payload_size; Truncated: answers
	// with the TC bit (only SRV ones are used).
	TooBig, Truncated atomic.Uint64
	// Outdated: answers to no query in flight (late, or a wrong ID).
	Outdated atomic.Uint64
}

// showFields are the counters in HAProxy's order and words.
var showFields = []struct {
	name string
	get  func(*Counters) *atomic.Uint64
}{
	{"sent", func(c *Counters) *atomic.Uint64 { return &c.Sent }},
	{"snd_error", func(c *Counters) *atomic.Uint64 { return &c.SndError }},
	{"valid", func(c *Counters) *atomic.Uint64 { return &c.Valid }},
	{"update", func(c *Counters) *atomic.Uint64 { return &c.Update }},
	{"cname", func(c *Counters) *atomic.Uint64 { return &c.CNAME }},
	{"cname_error", func(c *Counters) *atomic.Uint64 { return &c.CNAMEError }},
	{"any_err", func(c *Counters) *atomic.Uint64 { return &c.AnyErr }},
	{"nx", func(c *Counters) *atomic.Uint64 { return &c.NX }},
	{"timeout", func(c *Counters) *atomic.Uint64 { return &c.Timeout }},
	{"refused", func(c *Counters) *atomic.Uint64 { return &c.Refused }},
	{"other", func(c *Counters) *atomic.Uint64 { return &c.Other }},
	{"invalid", func(c *Counters) *atomic.Uint64 { return &c.Invalid }},
	{"too_big", func(c *Counters) *atomic.Uint64 { return &c.TooBig }},
	{"truncated", func(c *Counters) *atomic.Uint64 { return &c.Truncated }},
	{"outdated", func(c *Counters) *atomic.Uint64 { return &c.Outdated }},
}

// ShowResolvers formats "show resolvers [NAME]" as HAProxy 2.6 does: for
// each section, "Resolvers section NAME", then each name server's
// counters, and an empty line at the end. An unknown NAME gets HAProxy's
// "Can't find that resolvers section".
func (r *Runtime) ShowResolvers(name string) string {
	var b strings.Builder
	found := false
	for _, s := range r.sections {
		if name != "" && s.cfg.Name != name {
			continue
		}
		found = true
		fmt.Fprintf(&b, "Resolvers section %s\n", s.cfg.Name)
		for _, ns := range s.servers {
			fmt.Fprintf(&b, " nameserver %s:\n", ns.name)
			for _, f := range showFields {
				fmt.Fprintf(&b, "  %-12s %d\n", f.name+":", f.get(&ns.count).Load())
			}
		}
	}
	if name != "" && !found {
		return "Can't find that resolvers section\n\n"
	}
	b.WriteByte('\n')
	return b.String()
}
