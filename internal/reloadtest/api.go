package reloadtest

import (
	"bytes"
	"errors"
	"io"
	"time"
)

// The Go API: end-to-end tests drive the same clients and verdicts as
// `baton reload-test`, with a Go function in place of the shell command
// (RunScenario), or run the traffic mix alone while they change the proxy
// their own way (StartTraffic).

// Mix is the traffic mix: how many clients of each kind run.
type Mix struct {
	// New opens a new connection per request.
	New int
	// Busy sends back-to-back requests on one keep-alive connection.
	Busy int
	// Idle keeps its connection idle 0.2-2 s between requests.
	Idle int
	// Upload POSTs a body sent over about 1 s, on a keep-alive connection.
	Upload int
	// Download reads a 1 MiB response over about 1 s, on a keep-alive
	// connection.
	Download int
}

// DefaultMix is `baton reload-test`'s default mix.
var DefaultMix = Mix{New: 2, Busy: 2, Idle: 8, Upload: 2, Download: 2}

func (m Mix) kinds() [numKinds]int {
	return [numKinds]int{kindNew: m.New, kindBusy: m.Busy, kindIdle: m.Idle, kindUpload: m.Upload, kindDownload: m.Download}
}

// Scenario is one `baton reload-test` run for a Go caller.
type Scenario struct {
	// Target is the proxy's frontend address.
	Target string
	// Backends are the listen addresses of the sample backends a and b;
	// "" means a kernel-picked loopback port.
	Backends [2]string
	// Reload points the proxy at a label's backend and reloads it
	// (required).
	Reload ReloadFunc
	// Interval is the time between reload starts; 0 means 500 ms.
	Interval time.Duration
	// Reloads is the number of reloads; 0 means 20.
	Reloads int
	// Timeout bounds each request; 0 means 5 s.
	Timeout time.Duration
	// SetupTimeout bounds the setup reload until backend a answers; 0
	// means 10 s.
	SetupTimeout time.Duration
	// Settle is how long only backend a must answer after the setup
	// reload; 0 means 1 s.
	Settle time.Duration
	// Clients is the traffic mix; the zero Mix means DefaultMix.
	Clients Mix
	// H2 speaks HTTP/2 with prior knowledge (the --h2 mode); false
	// speaks HTTP/1.1.
	H2 bool
}

// Summary is what a run found. Pass is true when nothing failed, nothing
// was stale, no reuse race happened, every reload succeeded and every
// reload was seen answering.
type Summary struct {
	Requests int
	// Failed counts refused, reset, EOF, 5xx, timed-out and bad answers;
	// ByOutcome splits them (and counts "ok" and "race" too).
	Failed    int
	ByOutcome map[string]int
	// Stale counts new connections answered by the old configuration
	// after the new one had answered; Races, requests on a reused
	// keep-alive connection that got no response byte.
	Stale, Races int
	// Pinned counts requests answered by the old configuration on
	// connections kept alive across the switch (by design, not a fault).
	Pinned int
	// ReloadErrors counts reloads that failed; Unswitched, reloads whose
	// new label never answered a new connection.
	ReloadErrors, Unswitched int
	// SwitchMedian and SwitchMax are the reload-to-new-label times.
	SwitchMedian, SwitchMax time.Duration
	Pass                    bool
	// HTTP/2 mode: GoAwayConns counts connections that got a GOAWAY,
	// TwoPhaseConns those whose first GOAWAY announced 2^31-1.
	GoAwayConns, TwoPhaseConns int
	// Report is the verbose text report, failures included.
	Report string
}

func summarize(r *report) *Summary {
	sum := &Summary{Requests: r.requests, Failed: r.failed(), ByOutcome: map[string]int{},
		Stale: r.stale, Races: r.byOutcome[outRace], Pinned: r.pinned,
		ReloadErrors: r.reloadErrs, Unswitched: r.unswitched, Pass: r.pass(),
		GoAwayConns: r.h2Conns.goawayConns, TwoPhaseConns: r.h2Conns.twoPhase}
	for o, n := range r.byOutcome {
		sum.ByOutcome[outcomeNames[o]] = n
	}
	switches, _ := r.switchTimes()
	sum.SwitchMedian, _, sum.SwitchMax = quantiles(switches)
	var b bytes.Buffer
	r.writeText(&b, true)
	sum.Report = b.String()
	return sum
}

// RunScenario starts the sample backends, points the proxy at a, runs the
// traffic through the reloads and judges the records as `baton
// reload-test` does.
func RunScenario(sc Scenario) (*Summary, error) {
	if sc.Target == "" || sc.Reload == nil {
		return nil, errors.New("reloadtest: Scenario needs Target and Reload")
	}
	s := &settings{target: sc.Target, reloadFn: sc.Reload, backends: sc.Backends,
		interval: sc.Interval, reloads: sc.Reloads, timeout: sc.Timeout, setup: sc.SetupTimeout,
		settle: sc.Settle, clients: sc.Clients.kinds(), verbose: true, format: "text",
		h2: sc.H2, h2Conns: 2}
	for i := range s.backends {
		if s.backends[i] == "" {
			s.backends[i] = "127.0.0.1:0"
		}
	}
	if s.interval == 0 {
		s.interval = 500 * time.Millisecond
	}
	if s.reloads == 0 {
		s.reloads = 20
	}
	if s.timeout == 0 {
		s.timeout = 5 * time.Second
	}
	if s.setup == 0 {
		s.setup = 10 * time.Second
	}
	if s.settle == 0 {
		s.settle = time.Second
	}
	if sc.Clients == (Mix{}) {
		s.clients = DefaultMix.kinds()
	}
	rep, err := run(s, io.Discard)
	if err != nil {
		return nil, err
	}
	return summarize(rep), nil
}

// Traffic is a traffic mix running against a proxy whose backends are
// sample servers (every answer must carry X-Backend), with no reload
// windows: only failures and races are judged.
type Traffic struct {
	target  string
	timeout time.Duration
	begin   time.Time
	cs      *clients
}

// StartTraffic starts mix against target; each request may wait timeout
// (0 means 5 s) for its answer, on top of the slow clients' own pace.
func StartTraffic(target string, mix Mix, timeout time.Duration) *Traffic {
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	if mix == (Mix{}) {
		mix = DefaultMix
	}
	t := &Traffic{target: target, timeout: timeout, begin: time.Now()}
	t.cs = startClients(target, mix.kinds(), timeout, t.begin, &switchWatch{}, nil, 0)
	return t
}

// Stop ends the traffic once every client's request in flight has ended,
// and judges it.
func (t *Traffic) Stop() *Summary {
	records := t.cs.stop()
	s := &settings{target: t.target, timeout: t.timeout, interval: time.Second}
	return summarize(analyse(s, nil, records, time.Since(t.begin)))
}
