package hardening_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baton/test/harness"
)

func TestRun(t *testing.T) {
	needBaton(t)
	for _, c := range cases {
		if c.run == nil {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, false, c.feOpts, c.beOpts)
			c.run(e, c)
		})
	}
}

// readAll reads until the proxy closes and splits head and body.
func readAll(t *testing.T, c *harness.Conn) (head, body string) {
	t.Helper()
	all := c.ReadAll()
	head, body, ok := strings.Cut(all, "\r\n\r\n")
	if !ok {
		t.Fatalf("no response head in %q", all)
	}
	return head + "\r\n\r\n", body
}

func slowloris(e *env, c tcase) {
	t := e.t
	conn := harness.Dial(t, e.fe)
	start := time.Now()
	conn.Send("GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				conn.SetWriteDeadline(time.Now().Add(time.Second))
				if _, err := conn.Conn.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	r, err := conn.TryRead("GET")
	took := time.Since(start)
	if err != nil || r.Status != 408 {
		t.Fatalf("slowloris: %v %v, want 408", r, err)
	}
	// The trickle never stops, so a timer that each byte pushed back
	// would never fire; the upper bound leaves room for a loaded machine
	// (3.3 s was seen at load 13) while still telling the two apart.
	if took < 900*time.Millisecond || took > 5*time.Second {
		t.Errorf("408 after %v, want within [0.9s, 5s)", took)
	}
	if closed, _ := conn.Closed(2 * time.Second); !closed {
		t.Errorf("connection left open after 408")
	}
	if raw, _ := e.rec.snapshot(); raw != "" {
		t.Errorf("backend received %q", raw)
	}
	e.expectLog("408", c.term)
}

func bodyStall(e *env, c tcase) {
	t := e.t
	e.rec.reset(script{})
	conn := harness.Dial(t, e.fe)
	conn.Send(post + "Content-Length: 100\r\n\r\n0123456789")
	if !e.rec.waitFor(5*time.Second, func() bool { return strings.HasSuffix(e.rec.raw.String(), "0123456789") }) {
		t.Fatalf("backend never received the head and first 10 body bytes")
	}
	start := time.Now()
	r, err := conn.TryRead("POST")
	if err != nil || r.Status != 408 {
		t.Fatalf("stalled body: %v %v, want 408", r, err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("408 after %v, want about timeout client (1s)", took)
	}
	if closed, _ := conn.Closed(2 * time.Second); !closed {
		t.Errorf("client connection left open after 408")
	}
	if !e.rec.waitAllClosed(3 * time.Second) {
		t.Errorf("backend connection still open: the stalled request was not cancelled")
	}
	if _, reqs := e.rec.snapshot(); len(reqs) != 1 || strings.Count(reqs[0], "0123456789") != 1 {
		t.Errorf("backend saw %q, want the partial request once", reqs)
	}
	e.expectLog("408", c.term)
}

// bigOrigin answers every request with n bytes, counting what it wrote.
func bigOrigin(t *testing.T, n int, written *atomic.Int64) *harness.Origin {
	return harness.StartOrigin(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", n)
		chunk := make([]byte, 64<<10)
		for left := n; left > 0; {
			w, err := c.Write(chunk[:min(left, len(chunk))])
			written.Add(int64(w))
			left -= w
			if err != nil {
				return
			}
		}
	})
}

// workersRSS returns the summed VmRSS (KiB) of b's worker generations
// (not its spare worker, which starts at its own pace).
func workersRSS(t *testing.T, b *harness.Baton) int64 {
	t.Helper()
	var sum int64
	for _, pid := range b.WorkerPIDs() {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(st), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				sum += kb
			}
		}
	}
	if sum == 0 {
		t.Fatalf("no worker RSS found (show proc:\n%s)", b.CLI("show proc"))
	}
	return sum
}

func slowReader(e *env, c tcase) {
	t := e.t
	const size = 50 << 20
	var written atomic.Int64
	big := bigOrigin(t, size, &written)
	// A second proxy whose backend is the 50 MB origin.
	cfg := strings.NewReplacer("${FEOPTS}", "", "${BEOPTS}", "    server big "+big.Addr+"\n").Replace(cfgTemplate)
	fe := harness.FreeAddr(t)
	b := harness.Start(t, strings.ReplaceAll(cfg, "${FE}", fe), []string{fe})
	// Warm up: one small exchange so the worker's steady state is measured.
	harness.RoundTrip(t, fe, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
	written.Store(0)
	base := workersRSS(t, b)

	conn := harness.Dial(t, fe)
	conn.Send("GET /size HTTP/1.1\r\nHost: h\r\n\r\n")
	// Wait until the origin is blocked: its count stops moving.
	last, stable := int64(-1), 0
	harness.Eventually(t, 15*time.Second, "origin writes to stall", func() bool {
		n := written.Load()
		if n == last && n > 0 {
			stable++
		} else {
			stable = 0
		}
		last = n
		return stable >= 10
	})
	if last >= size {
		t.Fatalf("origin wrote all %d bytes to a client that reads nothing: something buffers the whole response", last)
	}
	peak := base
	for range 5 {
		peak = max(peak, workersRSS(t, b))
	}
	t.Logf("worker RSS %d KiB before, peak %d KiB while the server is blocked after %d bytes", base, peak, last)
	if peak > base+20<<10 {
		t.Errorf("worker RSS grew by %d KiB for a stalled reader, want < 20 MiB", peak-base)
	}
	// The client now reads everything: nothing was lost.
	r := conn.Read("GET")
	if r.Status != 200 || len(r.Body) != size {
		t.Errorf("after reading: status %d, %d body bytes, want 200 and %d", r.Status, len(r.Body), size)
	}
}

func refusedRedispatch(e *env, c tcase) {
	t := e.t
	e.rec.reset(script{})
	for i := range 4 {
		if r := harness.Get(t, e.fe, "/"); r.Status != 200 {
			t.Errorf("request %d: status %d, want 200 after retry and redispatch", i, r.Status)
		}
	}
	if _, reqs := e.rec.snapshot(); len(reqs) != 4 {
		t.Errorf("backend saw %d requests, want 4", len(reqs))
	}
}

var retriesRE = regexp.MustCompile(`\d+/\d+/\d+/\d+/\+?(\d+) `)

func refusedAll(e *env, c tcase) {
	t := e.t
	if r := harness.Get(t, e.fe, "/"); r.Status != 503 {
		t.Errorf("status %d, want 503", r.Status)
	}
	l, ok := e.nextLog(5 * time.Second)
	if !ok || l.status != "503" || l.term != "SC" {
		t.Fatalf("log %q, want 503 SC", l.line)
	}
	if m := retriesRE.FindStringSubmatch(l.line); m == nil || m[1] != "2" {
		t.Errorf("log %q: want 2 retries", l.line)
	}
}

// closeBeforeAnswer: the server closes after reading the request. With
// reuse, a first successful request leaves a pooled connection.
func closeBeforeAnswer(method string, reuse bool, wantSeen int) func(*env, tcase) {
	return func(e *env, c tcase) {
		t := e.t
		conn := harness.Dial(t, e.fe)
		if reuse {
			e.rec.reset(script{})
			conn.Send("GET /warm HTTP/1.1\r\nHost: h\r\n\r\n")
			if r := conn.Read("GET"); r.Status != 200 {
				t.Fatalf("warm-up: status %d", r.Status)
			}
			e.expectLog("200", "--")
		}
		e.rec.reset(script{dieAfter: true})
		req := method + " /x HTTP/1.1\r\nHost: h\r\n\r\n"
		if method == "POST" {
			req = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
		}
		conn.Send(req)
		r, err := conn.TryRead(method)
		if err != nil || r.Status != 502 {
			t.Fatalf("got %v %v, want 502", r, err)
		}
		if _, reqs := e.rec.snapshot(); len(reqs) != wantSeen {
			t.Errorf("backend saw the %s %d times, want %d: %q", method, len(reqs), wantSeen, reqs)
		}
		e.expectLog("502", c.term)
	}
}

func diesMidBody(chunked bool) func(*env, tcase) {
	return func(e *env, c tcase) {
		t := e.t
		reply := "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("x", 50)
		if chunked {
			reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
		}
		e.rec.reset(script{reply: reply, close: true})
		conn := harness.Dial(t, e.fe)
		conn.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
		head, body := readAll(t, conn)
		if !strings.HasPrefix(head, "HTTP/1.1 200") {
			t.Fatalf("head %q, want the server's 200 relayed", head)
		}
		if chunked {
			if !strings.Contains(strings.ToLower(head), "transfer-encoding: chunked") || strings.HasSuffix(body, "0\r\n\r\n") || !strings.Contains(body, "hello") {
				t.Errorf("chunked body %q (head %q): want the data and no last chunk", body, head)
			}
		} else {
			if !strings.Contains(strings.ToLower(head), "content-length: 100") || len(body) != 50 {
				t.Errorf("body of %d bytes under head %q, want Content-Length 100 and 50 bytes then close", len(body), head)
			}
		}
		e.expectLog("200", c.term)
	}
}

func serverSlow(e *env, c tcase) {
	t := e.t
	e.rec.reset(script{hold: true})
	start := time.Now()
	r := harness.Get(t, e.fe, "/")
	if r.Status != 504 {
		t.Fatalf("status %d, want 504", r.Status)
	}
	if took := time.Since(start); took < 400*time.Millisecond || took > 4*time.Second {
		t.Errorf("504 after %v, want about timeout server (500ms)", took)
	}
	if !e.rec.waitAllClosed(3 * time.Second) {
		t.Errorf("server connection left open after 504")
	}
	e.expectLog("504", c.term)
}

func clientAbortWaiting(e *env, c tcase) {
	t := e.t
	e.rec.reset(script{hold: true})
	conn := harness.Dial(t, e.fe)
	conn.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	if !e.rec.waitRequests(1, 5*time.Second) {
		t.Fatalf("request never reached the backend")
	}
	conn.Close()
	closedAt := time.Now()
	if !e.rec.waitAllClosed(4 * time.Second) {
		t.Fatalf("backend connection still open 4s after the client left")
	}
	if d := e.rec.lastClosed().Sub(closedAt); d > 2500*time.Millisecond {
		t.Errorf("backend connection closed %v after the client, want within ~1s", d)
	}
	e.expectLog("", c.term)
}

func clientAbortBody(e *env, c tcase) {
	t := e.t
	e.rec.reset(script{})
	conn := harness.Dial(t, e.fe)
	conn.Send(post + "Content-Length: 100\r\n\r\n0123456789")
	if !e.rec.waitFor(5*time.Second, func() bool { return strings.HasSuffix(e.rec.raw.String(), "0123456789") }) {
		t.Fatalf("backend never received the first body bytes")
	}
	conn.Close()
	if !e.rec.waitAllClosed(4 * time.Second) {
		t.Fatalf("backend connection still open after the client aborted its body")
	}
	e.expectLog("", c.term)
}

// ansi strips terminal colour sequences from slowhttptest's output.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// TestSlowHTTPTest runs slowhttptest's slowloris mode against baton with
// timeout http-request 1s: every connection must end closed by baton.
func TestSlowHTTPTest(t *testing.T) {
	bin, err := exec.LookPath("slowhttptest")
	if err != nil {
		t.Skip("slowhttptest not installed")
	}
	needBaton(t)
	e := startEnv(t, false, "    timeout http-request 1s\n", "")
	const conns = 20
	prefix := filepath.Join(t.TempDir(), "sht")
	cmd := exec.Command(bin, "-H", "-c", strconv.Itoa(conns), "-r", "20", "-i", "1", "-l", "4", "-p", "2", "-x", "8",
		"-g", "-o", prefix, "-u", "http://"+e.fe+"/")
	out, err := cmd.CombinedOutput()
	text := ansi.ReplaceAllString(string(out), "")
	csv, rerr := os.ReadFile(prefix + ".csv")
	if rerr != nil {
		t.Fatalf("slowhttptest: %v, no statistics: %v\n%s", err, rerr, text)
	}
	// Seconds,Closed,Pending,Connected,Service Available: the most
	// connections ever open at once. slowhttptest stops early, before its
	// next statistics row, once the server has closed every connection.
	peak := 0
	for _, l := range strings.Split(strings.TrimSpace(string(csv)), "\n")[1:] {
		f := strings.Split(l, ",")
		if len(f) < 4 {
			continue
		}
		closed, _ := strconv.Atoi(f[1])
		pending, _ := strconv.Atoi(f[2])
		open, _ := strconv.Atoi(f[3])
		peak = max(peak, closed+pending+open)
	}
	ended := regexp.MustCompile(`Test ended on (\d+)th second`).FindStringSubmatch(text)
	if peak < conns || !strings.Contains(text, "No open connections left") || ended == nil || atoi(ended[1]) >= 4 {
		t.Errorf("slowhttptest: %d connections made; want all %d closed by baton before the 4 s test length\n%s\n%s", peak, conns, csv, text)
	}
	// Only slowhttptest's complete probe requests may reach the backend,
	// never a slowloris head (whose follow-up fields are "X-..: ..").
	if raw, _ := e.rec.snapshot(); strings.Contains(raw, "\r\nX-") {
		t.Errorf("backend received slowloris bytes: %q", raw)
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
