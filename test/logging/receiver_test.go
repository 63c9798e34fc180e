// Package logging_test runs Baton and HAProxy 2.6 on the same
// configurations with real syslog receivers (a UDP socket and a unix
// datagram socket the test reads, and rsyslog) and compares the lines
// they send, header and message.
package logging_test

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/internal/sample"
	"baton/test/harness"
)

// receiver collects the datagrams sent to a UDP socket and a unix
// datagram socket, as "udp <line>" and "unix <line>" (the trailing
// newline kept as "\n").
type receiver struct {
	UDP, Unix string // addresses for the configuration
	mu        sync.Mutex
	lines     []string
}

func listen(t *testing.T) *receiver {
	t.Helper()
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	// A short directory: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "log")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "log.sock")
	x, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{UDP: u.LocalAddr().String(), Unix: path}
	t.Cleanup(func() { u.Close(); x.Close(); os.RemoveAll(dir) })
	read := func(kind string, c interface{ Read([]byte) (int, error) }) {
		b := make([]byte, 70000)
		for {
			n, err := c.Read(b)
			if err != nil {
				return
			}
			r.mu.Lock()
			r.lines = append(r.lines, kind+" "+strings.ReplaceAll(string(b[:n]), "\n", `\n`))
			r.mu.Unlock()
		}
	}
	go read("udp", u)
	go read("unix", x)
	return r
}

// all returns the datagrams received so far.
func (r *receiver) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// wait waits until n datagrams matching re arrived and returns every
// datagram received.
func (r *receiver) wait(t *testing.T, n int, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, c := r.all(), 0
		for _, l := range got {
			if re.MatchString(l) {
				c++
			}
		}
		if c >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d datagrams matching %s after 10s, want %d; got:\n%s", c, re, n, strings.Join(got, "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// run is one proxy running a scenario.
type run struct {
	t      *testing.T
	proxy  string
	rcv    *receiver
	fe     map[string]string // frontend addresses by placeholder
	pid    int               // the process that sends the lines
	baton  *harness.Baton
	hap    *harness.HAProxy
	config string
}

// start expands cfg (${UDP}, ${UNIX}, ${S1} a sample server labelled s1,
// ${DEAD} a closed port, ${FE...} free ports the proxy binds) and starts
// proxy ("baton" or "haproxy") on it.
func start(t *testing.T, proxy, cfg string) *run {
	t.Helper()
	if proxy == "haproxy" && harness.HAProxyPath() == "" {
		t.Skip("haproxy not on PATH")
	}
	r := &run{t: t, proxy: proxy, rcv: listen(t), fe: map[string]string{}}
	var waitFor []string
	vars := map[string]string{"UDP": r.rcv.UDP, "UNIX": r.rcv.Unix}
	expanded := os.Expand(cfg, func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		switch {
		case strings.HasPrefix(k, "FE"):
			a := harness.FreeAddr(t)
			vars[k], r.fe[k] = a, a
			waitFor = append(waitFor, a)
		case strings.HasPrefix(k, "S"):
			s, err := sample.Start("127.0.0.1:0", strings.ToLower(k))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			vars[k] = s.Addr
		case strings.HasPrefix(k, "DEAD"):
			vars[k] = harness.ClosedAddr(t)
		default:
			t.Fatalf("unknown placeholder ${%s}", k)
		}
		return vars[k]
	})
	r.config = expanded
	switch proxy {
	case "baton":
		r.baton = harness.Start(t, expanded, waitFor)
		r.pid = workerPID(t, r.baton)
	case "haproxy":
		r.hap = harness.StartHAProxy(t, expanded, waitFor)
		r.pid = r.hap.Cmd.Process.Pid
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s configuration:\n%s", proxy, expanded)
			if r.baton != nil {
				t.Logf("baton stderr:\n%s", r.baton.Stderr)
			}
		}
	})
	return r
}

// workerPID is the PID of the serving worker, from "show proc" (the
// listener is open before the worker serves).
func workerPID(t *testing.T, b *harness.Baton) int {
	t.Helper()
	pid := 0
	harness.Eventually(t, 10*time.Second, "a serving worker in show proc", func() bool {
		for _, l := range strings.Split(b.CLI("show proc"), "\n") {
			f := strings.Fields(l)
			if len(f) > 3 && f[1] == "worker" && f[3] == "serving" {
				pid, _ = strconv.Atoi(f[0])
			}
		}
		return pid != 0
	})
	return pid
}

// get sends a GET for path to the frontend at placeholder fe.
func (r *run) get(fe, path string) {
	r.t.Helper()
	harness.Get(r.t, r.fe[fe], path)
}

// normalizer replaces what legitimately differs between two runs
// (times, ports, PIDs, durations, byte counts) with fixed words.
type normalizer struct{ pid int }

var (
	legacyDate = regexp.MustCompile(`[A-Z][a-z]{2} [ 1-3][0-9] \d\d:\d\d:\d\d `)
	isoDate    = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d`)
	logDate    = regexp.MustCompile(`\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\.\d{3}`)
	clientPort = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	httpTimers = regexp.MustCompile(` -?\d+/-?\d+/-?\d+/-?\d+/\+?-?\d+ (-?\d+) \+?\d+ `)
	tcpTimers  = regexp.MustCompile(` -?\d+/-?\d+/\+?\d+ \+?\d+ `)
	checkTime  = regexp.MustCompile(`check duration: \d+ms`)
	// actconn and feconn count the connections still open when the line
	// is written: a client that just closed its previous connection may
	// still count there (HAProxy and Baton notice closes at different
	// moments).
	counters = regexp.MustCompile(` \d+/\d+/(\d+/\d+/\+?\d+ \d+/\d+)`)
	// A logasap line (its bytes start with '+') is written as the
	// response begins: beconn may still count the previous request's
	// exchange on the same backend, whose client already has its answer
	// while its goroutine has not yet left the backend.
	asapBytes  = regexp.MustCompile(` \d{3} \+\d+ `)
	asapBeconn = regexp.MustCompile(` AC/FC/\d+/`)
)

func (n normalizer) line(l string) string {
	asap := asapBytes.MatchString(l)
	pid := strconv.Itoa(n.pid)
	l = strings.ReplaceAll(l, "["+pid+"]: ", "[PID]: ")
	// The default tag is the program's name.
	l = strings.ReplaceAll(l, " baton[PID]: ", " PROG[PID]: ")
	l = strings.ReplaceAll(l, " haproxy[PID]: ", " PROG[PID]: ")
	l = strings.ReplaceAll(l, " "+pid+" - ", " PID - ")
	l = legacyDate.ReplaceAllString(l, "DATE ")
	l = isoDate.ReplaceAllString(l, "ISODATE")
	l = logDate.ReplaceAllString(l, "LOGDATE")
	l = clientPort.ReplaceAllString(l, "127.0.0.1:PORT")
	l = httpTimers.ReplaceAllString(l, " TIMERS $1 BYTES ")
	l = tcpTimers.ReplaceAllString(l, " TIMERS BYTES ")
	l = checkTime.ReplaceAllString(l, "check duration: Nms")
	l = counters.ReplaceAllString(l, " AC/FC/$1")
	if asap {
		l = asapBeconn.ReplaceAllString(l, " AC/FC/BC/")
	}
	return l
}

func (n normalizer) lines(ls []string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = n.line(l)
	}
	return out
}

// compare checks that Baton's and HAProxy's lines are the same once
// normalized, and reports both in full when they are not.
func compare(t *testing.T, baton, hap []string) {
	t.Helper()
	if strings.Join(baton, "\n") == strings.Join(hap, "\n") {
		return
	}
	t.Errorf("Baton's lines differ from HAProxy's\nbaton:\n%s\nhaproxy:\n%s", strings.Join(baton, "\n"), strings.Join(hap, "\n"))
}

// TestNormalizerMasksLogasapBeconn: only a logasap line's beconn is
// masked.
func TestNormalizerMasksLogasapBeconn(t *testing.T) {
	n := normalizer{pid: 1}
	asap := n.line(`127.0.0.1:5 [01/Dec/2026:10:00:00.000] asap app/s1 0/0/0/1/+1 200 +120 - - ---- 1/1/2/1/0 0/0 "GET /asap HTTP/1.1"`)
	if !strings.Contains(asap, " AC/FC/BC/1/0 ") {
		t.Errorf("logasap line: %s", asap)
	}
	plain := n.line(`127.0.0.1:5 [01/Dec/2026:10:00:00.000] web app/s1 0/0/0/1/1 200 120 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"`)
	if !strings.Contains(plain, " AC/FC/0/0/0 ") {
		t.Errorf("plain line: %s", plain)
	}
}
