package checks_test

import (
	"io"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"baton/test/harness"
)

// TestAgentCheck: an agent's words (down with a reason, up, stopped,
// maint, drain, ready, a weight) drive a server that also has a health
// check, with HAProxy's messages for each change of state. The health
// check is slow: when it passes in the moment the agent brings a server
// up, HAProxy may give either check as the reason.
func TestAgentCheck(t *testing.T) {
	var say atomic.Value
	say.Store("up\n")
	agent := harness.StartOrigin(t, func(c net.Conn) {
		io.WriteString(c, say.Load().(string))
	})
	origin := harness.StartOrigin(t, func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(time.Second))
		c.Read(make([]byte, 64))
	})
	both(t, func(t *testing.T, start starter) []string {
		say.Store("up\n")
		fe := harness.FreeAddr(t)
		p := start(tcpProxy(fe, `
  server s `+origin.Addr+` check inter 2s agent-check agent-port `+port(agent.Addr)+` agent-inter 100ms
  server t `+origin.Addr+` check inter 2s
`), fe)
		steps := []struct {
			say  string
			wait []string
		}{
			{"down #disk full\n", []string{"Server be/s is DOWN"}},
			{"up\n", []string{"Server be/s is UP"}},
			{"maint\n", []string{"Server be/s is going DOWN for maintenance"}},
			{"ready\n", []string{"Server be/s is UP/READY (leaving forced maintenance)"}},
			{"stopped #bye\n", []string{"Server be/s is DOWN"}},
			{"maint\n", []string{"Server be/s was DOWN and now enters maintenance"}},
			{"ready\n", []string{"(leaving forced maintenance)"}},
			{"drain\n", []string{"Server be/s enters drain state"}},
			{"50%\n", []string{"Server be/s remains in forced drain mode"}},
			{"ready\n", []string{"(leaving forced drain)"}},
			{"75% up\n", []string{"Server be/s is UP"}},
		}
		for _, s := range steps {
			n := len(p.transitions())
			say.Store(s.say)
			p.waitFrom(n, 10*time.Second, s.wait...)
		}
		// HAProxy says "remains in forced drain mode" at each agent check
		// that sets a weight: how many times depends on timing.
		return slices.Compact(p.transitions())
	})
}
