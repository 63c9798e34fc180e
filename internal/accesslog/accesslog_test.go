package accesslog

import (
	"bytes"
	"io"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

const ms = time.Millisecond

func state(s string) (st [4]byte) {
	copy(st[:], s)
	return st
}

// manualHTTP is the httplog example of HAProxy's manual (section 8.2.3),
// without the header captures Baton does not have.
func manualHTTP() *Entry {
	return &Entry{
		Client:   netip.MustParseAddrPort("10.0.1.2:33317"),
		Date:     time.Date(2009, time.February, 6, 12, 14, 14, 655_000_000, time.UTC),
		Frontend: "http-in", Backend: "static", Server: "srv1",
		TR: 10 * ms, Tw: 0, Tc: 30 * ms, Tr: 69 * ms, Ta: 109 * ms,
		Status: 200, Bytes: 2750, State: state("----"),
		ActConn: 1, FeConn: 1, BeConn: 1, SrvConn: 1,
		Request: []byte("GET /index.html HTTP/1.1"),
	}
}

func TestHTTPGolden(t *testing.T) {
	cases := []struct {
		name string
		edit func(e *Entry)
		want string
	}{
		{"manual example", func(*Entry) {},
			`10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"zero state prints dashes", func(e *Entry) { e.State = [4]byte{} },
			`10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"server timeout", func(e *Entry) {
			e.Tr, e.Ta, e.Status, e.Bytes, e.State = -1, 30_012*ms, 504, 194, state("sH--")
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/-1/30012 504 194 - - sH-- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"client request timeout, nothing received", func(e *Entry) {
			*e = Entry{Client: e.Client, Date: e.Date, Frontend: "http-in",
				TR: -1, Tw: -1, Tc: -1, Tr: -1, Ta: 5000 * ms, Status: 408, Bytes: 212, State: state("cR--"),
				ActConn: 3, FeConn: 2}
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in http-in/<NOSRV> -1/-1/-1/-1/5000 408 212 - - cR-- 3/2/0/0/0 0/0 "<BADREQ>"`},
		{"connection refused with redispatch", func(e *Entry) {
			e.Tc, e.Tr, e.Status, e.State, e.Retries, e.Redispatched, e.Server = -1, -1, 503, state("SC--"), 3, true, "srv2"
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv2 10/0/-1/-1/109 503 2750 - - SC-- 1/1/1/1/+3 0/0 "GET /index.html HTTP/1.1"`},
		{"denied", func(e *Entry) {
			e.Server, e.Tw, e.Tc, e.Tr, e.Ta, e.Status, e.Bytes, e.State = "", -1, -1, -1, 0, 403, 93, state("PR--")
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/<NOSRV> 10/-1/-1/-1/0 403 93 - - PR-- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"client abort, no status", func(e *Entry) {
			e.Status, e.State, e.Tr = 0, state("CH--"), -1
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/-1/109 -1 2750 - - CH-- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"queues and counters", func(e *Entry) {
			e.ActConn, e.FeConn, e.BeConn, e.SrvConn, e.SrvQueue, e.BackendQueue, e.Tw = 4096, 1024, 512, 100, 7, 12, 1500*ms
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/1500/30/69/109 200 2750 - - ---- 4096/1024/512/100/0 7/12 "GET /index.html HTTP/1.1"`},
		{"escaped request line", func(e *Entry) {
			e.Request = []byte("GET /a\"b#c\x01\xff HTTP/1.1")
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /a#22b#23c#01#FF HTTP/1.1"`},
		{"ipv6 client", func(e *Entry) { e.Client = netip.MustParseAddrPort("[2001:db8::1]:443") },
			`2001:db8::1:443 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"v4-mapped client", func(e *Entry) { e.Client = netip.MustParseAddrPort("[::ffff:10.0.1.2]:33317") },
			`10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"timers truncate to ms", func(e *Entry) { e.TR, e.Ta = 999*time.Microsecond, 109*ms+999*time.Microsecond },
			`10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 0/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
	}
	for _, c := range cases {
		e := manualHTTP()
		c.edit(e)
		if got := string(appendHTTP(nil, e)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestTCPGolden(t *testing.T) {
	base := func() *Entry {
		// HAProxy's manual tcplog example (section 8.2.2).
		return &Entry{
			Client:   netip.MustParseAddrPort("10.0.1.2:33313"),
			Date:     time.Date(2009, time.February, 6, 12, 12, 51, 443_000_000, time.UTC),
			Frontend: "fnt", Backend: "bck", Server: "srv1",
			Tw: 0, Tc: 0, Tt: 5007 * ms, Bytes: 212, Retries: 3,
			// httplog-only fields must not show up.
			TR: 77 * ms, Tr: 88 * ms, Ta: 99 * ms, Status: 200, Request: []byte("GET / HTTP/1.1"),
			State: state("--NI"),
		}
	}
	cases := []struct {
		name string
		edit func(e *Entry)
		want string
	}{
		{"manual example", func(*Entry) {}, `10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0`},
		{"connect timeout", func(e *Entry) { e.Tc, e.Bytes, e.State = -1, 0, state("sC") },
			`10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/-1/5007 0 sC 0/0/0/0/3 0/0`},
		{"client data abort", func(e *Entry) { e.State = state("CD") },
			`10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 CD 0/0/0/0/3 0/0`},
		{"no backend", func(e *Entry) { e.Backend, e.Server, e.Tw, e.Tc, e.State = "", "", -1, -1, state("SC") },
			`10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt fnt/<NOSRV> -1/-1/5007 212 SC 0/0/0/0/3 0/0`},
		{"zero client", func(e *Entry) { e.Client = netip.AddrPort{} },
			`-:- [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0`},
	}
	for _, c := range cases {
		e := base()
		c.edit(e)
		if got := string(appendTCP(nil, e)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestDates(t *testing.T) {
	east := time.FixedZone("X", 5*3600+30*60)
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2009, 2, 6, 12, 14, 14, 655_000_000, time.UTC), "06/Feb/2009:12:14:14.655"},
		{time.Date(2024, 12, 31, 23, 59, 59, 999_999_999, time.UTC), "31/Dec/2024:23:59:59.999"},
		{time.Date(2025, 1, 1, 0, 0, 0, 7_000_000, time.UTC), "01/Jan/2025:00:00:00.007"},
		{time.Date(2025, 7, 4, 3, 5, 9, 40_500_000, time.UTC), "04/Jul/2025:03:05:09.040"},
		// The date's own location is used, as HAProxy logs local time.
		{time.Date(2025, 3, 1, 20, 0, 0, 0, time.UTC).In(east), "02/Mar/2025:01:30:00.000"},
		{time.Date(987, 5, 6, 7, 8, 9, 0, time.UTC), "06/May/0987:07:08:09.000"},
	}
	for _, c := range cases {
		if got := string(appendDate(nil, c.t)); got != c.want {
			t.Errorf("appendDate(%v) = %s, want %s", c.t, got, c.want)
		}
		// Cross-check with the time package's own layout.
		if got, ref := string(appendDate(nil, c.t)), c.t.Format("02/Jan/2006:15:04:05.000"); got != ref {
			t.Errorf("appendDate(%v) = %s, time.Format gives %s", c.t, got, ref)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLoggerLines(t *testing.T) {
	var out syncBuffer
	l := New(&out, 3, 4242)
	defer l.Close()
	l.HTTP(manualHTTP())
	l.Event("worker started, %d listeners", 2)
	l.TCP(&Entry{Client: netip.MustParseAddrPort("10.0.1.2:1"), Date: time.Date(2009, 2, 6, 0, 0, 0, 0, time.UTC), Frontend: "f", Backend: "b", Server: "s", Tt: ms})
	l.Event("already terminated\n")
	l.Flush()
	want := "baton[4242] gen=3 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 \"GET /index.html HTTP/1.1\"\n" +
		"baton[4242] gen=3 worker started, 2 listeners\n" +
		"baton[4242] gen=3 10.0.1.2:1 [06/Feb/2009:00:00:00.000] f b/s 0/0/1 0 -- 0/0/0/0/0 0/0\n" +
		"baton[4242] gen=3 already terminated\n"
	if got := out.String(); got != want {
		t.Errorf("output\n%s\nwant\n%s", got, want)
	}
	out.mu.Lock()
	writes := out.writes
	out.mu.Unlock()
	if writes != 4 {
		t.Errorf("%d writes for 4 lines, want one Write per line", writes)
	}
}

func TestLoggerConcurrent(t *testing.T) {
	var out syncBuffer
	l := New(&out, 1, 7)
	const goroutines, per = 4, 200
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := manualHTTP()
			for i := 0; i < per; i++ {
				l.HTTP(e)
				if i%64 == 0 {
					l.Flush() // keep the queue from filling on a slow machine
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := "baton[7] gen=1 " + string(appendHTTP(nil, manualHTTP()))
	dropped := int(l.Dropped())
	if len(lines)+dropped != goroutines*per {
		t.Fatalf("%d lines written + %d dropped, want %d", len(lines), dropped, goroutines*per)
	}
	for i, ln := range lines {
		if ln != want && !strings.Contains(ln, "lines dropped") {
			t.Fatalf("line %d interleaved or corrupt: %q", i, ln)
		}
	}
	// After Close, lines are dropped and counted, and nothing blocks.
	before := l.Dropped()
	l.HTTP(manualHTTP())
	l.Flush()
	if l.Dropped() != before+1 {
		t.Errorf("line after Close not counted as dropped")
	}
}

// blockingWriter blocks every Write until released.
type blockingWriter struct {
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	b       bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func TestLoggerSlowWriterDrops(t *testing.T) {
	w := &blockingWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	l := New(w, 2, 9)
	e := manualHTTP()
	l.HTTP(e)
	<-w.entered // the writer holds the first line and is stuck
	// Fill every buffer, then some: the data path must not block.
	extra := 10
	for i := 0; i < maxLines+extra; i++ {
		l.HTTP(e)
	}
	// One buffer is held by the writer, so maxLines-1 more fit.
	if got := l.Dropped(); got != uint64(extra+1) {
		t.Errorf("Dropped = %d, want %d", got, extra+1)
	}
	close(w.release)
	l.Close()
	w.mu.Lock()
	out := w.b.String()
	w.mu.Unlock()
	if n := strings.Count(out, "\"GET /index.html HTTP/1.1\"\n"); n != maxLines {
		t.Errorf("%d access lines written, want %d", n, maxLines)
	}
	if !strings.HasSuffix(out, "baton[9] gen=2 accesslog: 11 lines dropped: the log writer is too slow\n") {
		t.Errorf("missing drop report; output ends %q", out[max(0, len(out)-200):])
	}
}

// gateWriter discards, but blocks while the gate is closed.
type gateWriter struct{ gate chan struct{} }

func (w gateWriter) Write(p []byte) (int, error) { <-w.gate; return len(p), nil }

func TestHTTPNoAlloc(t *testing.T) {
	w := gateWriter{gate: make(chan struct{})}
	l := New(w, 1, 1)
	defer l.Close()
	// Warm up: with the writer stuck, every line buffer gets created.
	for i := 0; i < maxLines+1; i++ {
		l.HTTP(manualHTTP())
	}
	close(w.gate)
	l.Flush()
	e := manualHTTP()
	te := &Entry{Client: e.Client, Date: e.Date, Frontend: "f", Tt: ms, State: state("--")}
	run := func() {
		l.HTTP(e)
		l.TCP(te)
	}
	run()
	l.Flush()
	if n := testing.AllocsPerRun(500, run); n != 0 {
		t.Errorf("HTTP+TCP allocate %v times per call", n)
	}
}

func TestExplainState(t *testing.T) {
	cases := map[string]string{
		"sH--": "the server-side timeout expired while waiting for the server's response headers",
		"sH":   "the server-side timeout expired while waiting for the server's response headers",
		"----": "normal completion: both sides closed with nothing left to send",
		"--":   "normal completion: both sides closed with nothing left to send",
		"cR--": "the client-side timeout expired while waiting for a complete, valid request from the client (nothing was sent to a server)",
		"CR--": "the client aborted while waiting for a complete, valid request from the client (nothing was sent to a server)",
		"SC--": "the server aborted or refused the connection while waiting for the connection to the server to establish",
		"sC":   "the server-side timeout expired while waiting for the connection to the server to establish",
		"CD--": "the client aborted during the data transfer",
		"sQ--": "the server-side timeout expired while waiting in a queue for a connection slot",
		"PR--": "the proxy aborted it (a deny rule, a connection limit or a protocol error) while waiting for a complete, valid request from the client (nothing was sent to a server)",
		"LR--": "the proxy handled the request itself while waiting for a complete, valid request from the client (nothing was sent to a server)",
		"K-":   "an administrator killed it",
		"-D":   "the session ended normally during the data transfer",
		"--VN": "normal completion: both sides closed with nothing left to send; the client sent a valid persistence cookie; no persistence cookie was set in the response",
		"--NI": "normal completion: both sides closed with nothing left to send; the client sent no persistence cookie; the proxy inserted a persistence cookie",
		"XZ":   `unknown cause "X" in unknown state "Z"`,
		"--Z?": `normal completion: both sides closed with nothing left to send; unknown cookie code "Z"; unknown cookie code "?"`,
		"sHx":  `not a termination state: want 2 (tcplog) or 4 (httplog) characters, got "sHx"`,
		"":     `not a termination state: want 2 (tcplog) or 4 (httplog) characters, got ""`,
	}
	for in, want := range cases {
		if got := ExplainState(in); got != want {
			t.Errorf("ExplainState(%q)\n got %s\nwant %s", in, got, want)
		}
	}
}

func BenchmarkHTTP(b *testing.B) {
	l := New(io.Discard, 1, 1)
	defer l.Close()
	e := manualHTTP()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		l.HTTP(e)
		// Keep the queue short so lines are written, not dropped.
		if n++; n%256 == 0 {
			l.Flush()
		}
	}
	if l.Dropped() != 0 {
		b.Fatalf("%d lines dropped", l.Dropped())
	}
}

func BenchmarkAppendHTTP(b *testing.B) {
	e := manualHTTP()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendHTTP(buf[:0], e)
	}
}

func BenchmarkAppendTCP(b *testing.B) {
	e := manualHTTP()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendTCP(buf[:0], e)
	}
}
