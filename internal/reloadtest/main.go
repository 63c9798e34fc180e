package reloadtest

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"baton/internal/sample"
)

// settings are the parsed command line.
type settings struct {
	target string
	reload string
	// reloadFn runs reload n towards label; nil means the shell command
	// reload (Scenario sets it for Go callers).
	reloadFn ReloadFunc
	backends [2]string
	interval time.Duration
	reloads  int
	timeout  time.Duration // per request, on top of the slow clients' own pace
	setup    time.Duration // how long the setup reload may take to show "a"
	settle   time.Duration // how long only "a" must answer before traffic starts
	clients  [numKinds]int
	verbose  bool
	format   string // "text" or "kv"
	tls      tlsSettings
	// h2 is HTTP/2 mode (--h2); h2Conns, the connections each group of
	// keep-alive clients shares.
	h2      bool
	h2Conns int
}

const usageText = `usage: baton reload-test --target ADDR --reload 'COMMAND' [flags]

Fires mixed HTTP/1.1 (or, with --h2, HTTP/2) traffic at the proxy listening on ADDR while running
COMMAND (with sh -c) every --interval. COMMAND must point the proxy at the
backend named by $BATON_RT_LABEL ("a" or "b"), whose addresses are
$BATON_RT_ADDR_A and $BATON_RT_ADDR_B ($BATON_RT_RELOAD is the reload number,
0 for the setup reload that points the proxy at "a" before traffic starts).

Exit status: 0 when no request failed, no new connection was stale and no
keep-alive reuse race happened; 1 otherwise; 2 on a usage error.

flags:
`

var defaultClients = [numKinds]int{kindNew: 2, kindBusy: 2, kindIdle: 8, kindUpload: 2, kindDownload: 2}

func parseFlags(args []string, stderr io.Writer) (*settings, error) {
	s := &settings{}
	fs := flag.NewFlagSet("reload-test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&s.target, "target", "", "the proxy's frontend address `host:port` (required)")
	fs.StringVar(&s.reload, "reload", "", "shell `command` that points the proxy at $BATON_RT_LABEL and reloads it (required)")
	backends := fs.String("backends", "127.0.0.1:0,127.0.0.1:0", "listen `addresses` of the sample backends a and b")
	fs.DurationVar(&s.interval, "interval", 500*time.Millisecond, "time between reload starts (longer while a reload has not been seen answering, up to --timeout)")
	fs.IntVar(&s.reloads, "reloads", 20, "number of reloads")
	duration := fs.Duration("duration", 0, "reload for this long instead of --reloads times (reloads = duration/interval)")
	fs.DurationVar(&s.timeout, "timeout", 5*time.Second, "how long a request may wait for its answer")
	fs.DurationVar(&s.setup, "setup-timeout", 10*time.Second, "how long the setup reload may take until the proxy answers with backend a")
	fs.DurationVar(&s.settle, "settle", time.Second, "after the setup reload, how long every new connection must reach backend a before traffic starts")
	clients := fs.String("clients", formatClients(defaultClients), "traffic mix: `kind=count,...` of new, busy, idle, upload, download")
	fs.BoolVar(&s.verbose, "verbose", false, "print every reload and every failure (with --format kv: on stderr)")
	fs.StringVar(&s.format, "format", "text", "report `format`: text, or kv (one line of key=value)")
	fs.BoolVar(&s.tls.on, "tls", false, "speak TLS to the target (each client keeps a session cache) and count handshakes")
	fs.StringVar(&s.tls.serverName, "tls-servername", "reload-test", "with --tls: the SNI to send and the `name` to verify")
	fs.StringVar(&s.tls.caFile, "tls-ca", "", "with --tls: the CA `file` to verify the proxy's certificate; none: not verified")
	fs.BoolVar(&s.h2, "h2", false, "speak HTTP/2 (with --tls: ALPN h2; without: prior knowledge) and count refused streams and GOAWAYs")
	fs.IntVar(&s.h2Conns, "h2-conns", 2, "with --h2: HTTP/2 `connections` the keep-alive clients of each kind share")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if s.target == "" {
		return nil, errors.New("--target is required")
	}
	if s.reload == "" {
		return nil, errors.New("--reload is required")
	}
	a, b, ok := strings.Cut(*backends, ",")
	if !ok || a == "" || b == "" {
		return nil, fmt.Errorf("--backends %q: want ADDR_A,ADDR_B", *backends)
	}
	s.backends = [2]string{a, b}
	if s.interval <= 0 {
		return nil, fmt.Errorf("--interval %v: must be positive", s.interval)
	}
	if *duration > 0 {
		s.reloads = max(1, int(*duration/s.interval))
	}
	if s.reloads < 1 {
		return nil, fmt.Errorf("--reloads %d: must be at least 1", s.reloads)
	}
	if s.timeout <= 0 || s.setup <= 0 || s.settle < 0 {
		return nil, errors.New("--timeout and --setup-timeout must be positive, --settle not negative")
	}
	mix, err := parseClients(*clients)
	if err != nil {
		return nil, err
	}
	s.clients = mix
	if s.format != "text" && s.format != "kv" {
		return nil, fmt.Errorf("--format %q: want text or kv", s.format)
	}
	if s.h2Conns < 1 {
		return nil, fmt.Errorf("--h2-conns %d: must be at least 1", s.h2Conns)
	}
	if s.h2 {
		s.tls.alpn = []string{"h2"}
	}
	if err := s.tls.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// parseClients reads "new=2,idle=8": kinds not named get 0.
func parseClients(spec string) ([numKinds]int, error) {
	var mix [numKinds]int
	total := 0
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, num, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 {
			return mix, fmt.Errorf("--clients %q: %q is not kind=count", spec, part)
		}
		k := -1
		for i, kn := range kindNames {
			if kn == name {
				k = i
			}
		}
		if k < 0 {
			return mix, fmt.Errorf("--clients %q: unknown kind %q (want %s)", spec, name, strings.Join(kindNames[:], ", "))
		}
		mix[k] = n
		total += n
	}
	if total == 0 {
		return mix, fmt.Errorf("--clients %q: no clients", spec)
	}
	if mix[kindNew] == 0 {
		return mix, fmt.Errorf("--clients %q: at least one new-connection client is needed to see when a reload takes effect", spec)
	}
	return mix, nil
}

func formatClients(mix [numKinds]int) string {
	var parts []string
	for k, n := range mix {
		parts = append(parts, fmt.Sprintf("%s=%d", kindNames[k], n))
	}
	return strings.Join(parts, ",")
}

// Main runs "baton reload-test" with its arguments and returns the exit
// status: 0 when no request failed, 1 otherwise, 2 on usage.
func Main(args []string, stdout, stderr io.Writer) int {
	s, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "baton reload-test: %v\n", err)
		return 2
	}
	rep, err := run(s, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "baton reload-test: %v\n", err)
		return 1
	}
	if s.format == "kv" {
		rep.writeKV(stdout)
		if s.verbose {
			rep.writeText(stderr, true)
		}
	} else {
		rep.writeText(stdout, s.verbose)
	}
	if !rep.pass() {
		return 1
	}
	return 0
}

// reloadRun is one run of the reload command.
type reloadRun struct {
	n          int
	label      byte // the label the proxy should route to afterwards
	start, end time.Duration
	err        error
	output     string
}

// run starts the backends, points the proxy at "a", runs the traffic mix
// through the reloads and returns the analysed report.
func run(s *settings, progress io.Writer) (*report, error) {
	var backends [2]*sample.Server
	for i, label := range []string{"a", "b"} {
		srv, err := sample.Start(s.backends[i], label)
		if err != nil {
			return nil, err
		}
		defer srv.Close()
		backends[i] = srv
	}
	addrs := [2]string{backends[0].Addr, backends[1].Addr}
	reload := s.reloadFn
	if reload == nil {
		reload = shellReload(s.reload)
	}

	begin := time.Now()
	setup := runReload(reload, addrs, 0, 'a', begin, s.timeout+s.setup)
	if setup.err != nil {
		return nil, fmt.Errorf("setup reload (BATON_RT_LABEL=a): %v\n%s", setup.err, setup.output)
	}
	if err := waitForLabel(s, 'a', s.settle, s.setup); err != nil {
		return nil, fmt.Errorf("after the setup reload: %v", err)
	}

	begin = time.Now()
	seen := &switchWatch{}
	var tlsOn *tlsSettings
	if s.tls.on {
		tlsOn = &s.tls
	}
	traffic := startClients(s.target, s.clients, s.timeout, begin, seen, tlsOn, s.h2Groups())

	// Reload k starts an interval after reload k-1 did, or later: when
	// reload k-1 ran longer than that, or had not yet been seen answering
	// (each window must show its switch, or --timeout must pass, so that a
	// slow machine does not turn into "reloads not seen").
	reloads := make([]reloadRun, 0, s.reloads)
	label := byte('a')
	next := begin.Add(s.interval)
	for k := 1; k <= s.reloads+1; k++ {
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		}
		if k > 1 {
			seen.wait(s.timeout)
		}
		if k > s.reloads {
			break // the last reload has had its window
		}
		label = 'a' + 'b' - label
		seen.expect(label, time.Since(begin))
		r := runReload(reload, addrs, k, label, begin, s.timeout+s.interval*4)
		reloads = append(reloads, r)
		if r.err != nil && s.verbose {
			fmt.Fprintf(progress, "reload %d (to %c) failed: %v\n%s", k, label, r.err, r.output)
		}
		next = begin.Add(r.start + s.interval)
	}
	end := time.Since(begin)
	rep := analyse(s, reloads, traffic.stop(), end)
	rep.h2Conns = traffic.h2Counts
	return rep, nil
}

// clients is a running traffic mix.
type clients struct {
	stopCh chan struct{}
	wg     sync.WaitGroup
	all    []*client
	// HTTP/2 mode: the connection groups, and their counts after stop.
	groups   []*h2Group
	h2Counts h2Counts
}

// h2Groups is the number of shared HTTP/2 connections per kind; 0 when
// not in HTTP/2 mode.
func (s *settings) h2Groups() int {
	if !s.h2 {
		return 0
	}
	return s.h2Conns
}

// startClients starts the traffic mix against target; times are offsets
// from begin. With h2Conns > 0 the clients speak HTTP/2: the new-
// connection clients one connection per stream, the others of each kind
// sharing h2Conns connections.
func startClients(target string, mix [numKinds]int, timeout time.Duration, begin time.Time, seen *switchWatch, tlsOn *tlsSettings, h2Conns int) *clients {
	cs := &clients{stopCh: make(chan struct{})}
	var kindGroups []*h2Group // the current kind's shared connections
	group := func(k, i int) *h2Group {
		if h2Conns == 0 {
			return nil
		}
		if i == 0 {
			kindGroups = nil
		}
		if clientKind(k) != kindNew && i >= h2Conns {
			return kindGroups[i%h2Conns]
		}
		g := newH2Group(target, tlsOn, timeout, begin)
		cs.groups = append(cs.groups, g)
		kindGroups = append(kindGroups, g)
		return g
	}
	seed := uint64(begin.UnixNano())
	for k, n := range mix {
		for i := 0; i < n; i++ {
			c := &client{
				kind: clientKind(k), target: target, timeout: timeout,
				begin: begin, stop: cs.stopCh, seen: seen,
				rng: rand.New(rand.NewPCG(seed, uint64(len(cs.all)))),
			}
			if tlsOn != nil {
				c.tls, c.cache = tlsOn, newOfferCache()
			}
			c.h2 = group(k, i)
			cs.all = append(cs.all, c)
			cs.wg.Add(1)
			go func() {
				defer cs.wg.Done()
				c.run()
			}()
		}
	}
	return cs
}

// stop ends the traffic, waits for every client's last request and
// returns all records.
func (cs *clients) stop() []record {
	close(cs.stopCh)
	cs.wg.Wait()
	for _, g := range cs.groups {
		cs.h2Counts.add(g.close())
	}
	var records []record
	for _, c := range cs.all {
		records = append(records, c.records...)
	}
	return records
}

// ReloadFunc points the proxy at the backend labelled label ('a' or 'b',
// listening on addrs[label-'a']) and reloads it; n is the reload number (0
// for the setup reload). Its output is reported when it fails.
type ReloadFunc func(ctx context.Context, n int, label byte, addrs [2]string) (output string, err error)

// shellReload runs command with sh -c and the BATON_RT_* variables.
func shellReload(command string) ReloadFunc {
	return func(ctx context.Context, n int, label byte, addrs [2]string) (string, error) {
		cmd := exec.CommandContext(ctx, "sh", "-c", command)
		cmd.Env = append(os.Environ(),
			"BATON_RT_ADDR_A="+addrs[0],
			"BATON_RT_ADDR_B="+addrs[1],
			"BATON_RT_LABEL="+string(label),
			"BATON_RT_RELOAD="+strconv.Itoa(n))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
}

// runReload runs reload n and waits for it, at most limit.
func runReload(reload ReloadFunc, addrs [2]string, n int, label byte, begin time.Time, limit time.Duration) reloadRun {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	r := reloadRun{n: n, label: label, start: time.Since(begin)}
	r.output, r.err = reload(ctx, n, label, addrs)
	r.end = time.Since(begin)
	if ctx.Err() != nil {
		r.err = fmt.Errorf("still running after %v", limit)
	}
	return r
}

// waitForLabel polls target with new connections until, for settle, every
// one is answered by the backend label: the generation the setup reload
// replaced may keep accepting for a while (nginx does), and the traffic
// must not start while it does.
func waitForLabel(s *settings, label byte, settle, limit time.Duration) error {
	target := s.target
	deadline := time.Now().Add(limit)
	var last string
	var since time.Time // first of the current run of good answers
	for time.Now().Before(deadline) {
		got, err := probe(s)
		switch {
		case err != nil:
			last, since = err.Error(), time.Time{}
		case got == label:
			if since.IsZero() {
				since = time.Now()
			}
			if time.Since(since) >= settle {
				return nil
			}
			continue // probe again at once: the old generation may still accept
		default:
			last, since = fmt.Sprintf("answered by backend %q", got), time.Time{}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer with backend %c for %v within %v (last: %s)", target, label, settle, limit, last)
}

// probe sends one GET on a new connection and returns its X-Backend.
func probe(s *settings) (byte, error) {
	if s.h2 {
		return probeH2(s)
	}
	c, err := net.DialTimeout("tcp", s.target, time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if s.tls.on {
		var r record
		if c, err = s.tls.dialTLS(c, newOfferCache(), 2*time.Second, &r); err != nil {
			return 0, err
		}
	}
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "GET /?rt=probe HTTP/1.1\r\nHost: reload-test\r\nConnection: close\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("status %s", resp.Status)
	}
	l := resp.Header.Get("X-Backend")
	if l == "" {
		return 0, errors.New("no X-Backend header")
	}
	return l[0], nil
}

// switchWatch tells the reload loop when the reload it expects has been
// seen answering: a new connection dialled after the reload started got a
// response from the backend the reload points at.
type switchWatch struct {
	mu    sync.Mutex
	label byte
	since time.Duration
	seen  chan struct{} // closed when seen; nil before the first reload
}

func (w *switchWatch) expect(label byte, since time.Duration) {
	w.mu.Lock()
	w.label, w.since, w.seen = label, since, make(chan struct{})
	w.mu.Unlock()
}

// observe is called for every successful first response on a connection.
func (w *switchWatch) observe(dial time.Duration, label byte) {
	w.mu.Lock()
	if w.seen != nil && label == w.label && dial >= w.since {
		select {
		case <-w.seen:
		default:
			close(w.seen)
		}
	}
	w.mu.Unlock()
}

// wait returns once the expected reload was seen, or after limit.
func (w *switchWatch) wait(limit time.Duration) {
	w.mu.Lock()
	ch := w.seen
	w.mu.Unlock()
	if ch == nil {
		return
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}
