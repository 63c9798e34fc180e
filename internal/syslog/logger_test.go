package syslog

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a goroutine-safe bytes.Buffer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func openStdout(t *testing.T, w *syncBuffer) *Sink {
	t.Helper()
	s, err := Open(Address{Network: FD, FD: 1}, Options{Stdout: w})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func target(t *testing.T, line string) Target {
	t.Helper()
	tg, err := ParseTarget(strings.Fields(line))
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// HAProxy's own lines for "len 80 format rfc3164": on stdout the line is
// cut to 80 bytes newline included; a datagram holds 80 bytes and the
// newline.
func TestLogTruncatesAtLen(t *testing.T) {
	var out syncBuffer
	sink := openStdout(t, &out)
	o := NewOutput(target(t, "stdout len 80 format rfc3164 local0"), sink)
	l := NewLogger(&Meta{Hostname: "vm", PID: "30224"}, "haproxy", o.NewRoute())
	l.Log(Info, []byte(`127.0.0.1:36248 [30/Nov/2026:18:57:47.195] fe be/s1 0/0/0/12/12 404 500 - - ---- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"`), nil)
	sink.Flush()
	got := out.String()
	// Everything after the timestamp is HAProxy's capture.
	i := strings.Index(got, " vm ")
	if want := " vm haproxy[30224]: 127.0.0.1:36248 [30/Nov/2026:18:57:47.1\n"; i < 0 || got[i:] != want || len(got) != 80 {
		t.Errorf("got %q (%d bytes), want it to end %q and be 80 bytes", got, len(got), want)
	}

	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	tg := target(t, pc.LocalAddr().String()+" len 80 local0")
	s, err := Open(tg.Addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l = NewLogger(&Meta{Hostname: "myhost", PID: "21346"}, "globtag", NewOutput(tg, s).NewRoute())
	l.Log(Notice, []byte("Health check for server be/s1 succeeded, reason: Layer4 check passed, check duration: 0ms, status: 3/3 UP."), nil)
	buf := make([]byte, 512)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	got = string(buf[:n])
	if want := " myhost globtag[21346]: Health check for server be/s1 succee\n"; !strings.HasSuffix(got, want) || n != 81 {
		t.Errorf("datagram %q (%d bytes), want it to end %q and be 81 bytes", got, n, want)
	}
}

// Levels: MaxLevel filters before sampling, MinLevel caps.
func TestLogLevels(t *testing.T) {
	var out syncBuffer
	sink := openStdout(t, &out)
	l := NewLogger(&Meta{PID: "1"}, "t",
		NewOutput(target(t, "stdout format short local0 notice"), sink).NewRoute(),
		NewOutput(target(t, "stdout format priority local0 info notice"), sink).NewRoute())
	l.Log(Info, []byte("info"), nil)
	l.Log(Alert, []byte("alert"), nil)
	l.Log(Debug, []byte("debug"), nil)
	sink.Flush()
	// short drops info (max notice); priority keeps info as is and
	// sends alert as notice (min notice).
	want := "<134>info\n<1>alert\n<133>alert\n"
	if got := out.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !l.Wants(Info) || l.Wants(Debug) {
		t.Errorf("Wants: info %v debug %v", l.Wants(Info), l.Wants(Debug))
	}
}

// The sampling sequence HAProxy 2.6 produced for "sample 1,3:4" on a
// logger used by three proxies (a backend's health checks, a frontend's
// traffic, and stops): each proxy counts on its own.
func TestSampleMatchesHAProxy(t *testing.T) {
	var out syncBuffer
	sink := openStdout(t, &out)
	o := NewOutput(target(t, "stdout format raw sample 1,3:4 local4"), sink)
	meta := &Meta{PID: "1"}
	be, fe, none, client := NewLogger(meta, "", o.NewRoute()), NewLogger(meta, "", o.NewRoute()),
		NewLogger(meta, "", o.NewRoute()), NewLogger(meta, "", o.NewRoute())
	seq := []struct {
		l   *Logger
		msg string
	}{
		{be, "hc s1 succeeded"}, {be, "hc s2 failed"}, {be, "s2 DOWN"},
		{fe, "/foo"}, {fe, "/bar"}, {fe, "/none"}, {fe, "/b"}, {fe, "/c"}, {fe, "/d"},
		{fe, "fe stopped"}, {be, "be stopped"}, {none, "none stopped"}, {client, "client stopped"},
	}
	for _, s := range seq {
		s.l.Log(Info, []byte(s.msg), nil)
	}
	sink.Flush()
	want := "hc s1 succeeded\ns2 DOWN\n/foo\n/none\n/c\nfe stopped\nnone stopped\nclient stopped\n"
	if got := out.String(); got != want {
		t.Errorf("sampled:\n%s\nwant:\n%s", got, want)
	}
}

func TestSampleRanges(t *testing.T) {
	var out syncBuffer
	sink := openStdout(t, &out)
	l := NewLogger(&Meta{}, "", NewOutput(target(t, "stdout format raw sample 1-2,4:5 local0"), sink).NewRoute())
	for i := 1; i <= 11; i++ {
		l.Log(Info, []byte{byte('a' + i - 1)}, nil)
	}
	sink.Flush()
	// Messages 1, 2, 4 of each period of 5.
	if got, want := out.String(), "a\nb\nd\nf\ng\ni\nk\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUDPAndUnixReceivers(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	path := filepath.Join(t.TempDir(), "log.sock")
	ux, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ux.Close()
	meta := &Meta{Hostname: "h", PID: "77"}
	var routes []*Route
	for _, line := range []string{pc.LocalAddr().String() + " local0", path + " format rfc5424 local1"} {
		tg := target(t, line)
		s, err := Open(tg.Addr, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		routes = append(routes, NewOutput(tg, s).NewRoute())
	}
	l := NewLogger(meta, "baton", routes...)
	l.Log(Info, []byte("hello"), []byte(`[x@1 a="b"]`))
	buf := make([]byte, 2048)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); !strings.HasPrefix(got, "<134>") || !strings.HasSuffix(got, " h baton[77]: hello\n") {
		t.Errorf("udp datagram %q", got)
	}
	ux.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err = ux.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); !strings.HasPrefix(got, "<142>1 ") || !strings.HasSuffix(got, ` h baton 77 - [x@1 a="b"] hello`+"\n") {
		t.Errorf("unix datagram %q", got)
	}
}

// A receiver that never reads and one that does not exist cost lines,
// never the caller's time.
func TestStuckAndAbsentReceivers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stuck.sock")
	ux, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ux.Close() // never read
	var routes []*Route
	var sinks []*Sink
	for _, a := range []string{path, filepath.Join(t.TempDir(), "absent.sock")} {
		tg := target(t, a+" local0")
		s, err := Open(tg.Addr, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sinks = append(sinks, s)
		routes = append(routes, NewOutput(tg, s).NewRoute())
	}
	l := NewLogger(&Meta{PID: "1"}, "t", routes...)
	before := DroppedLogs()
	body := bytes.Repeat([]byte("x"), 900)
	start := time.Now()
	const n = 5000
	for range n {
		l.Log(Info, body, nil)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("%d lines took %v to log: the caller waited for a receiver", n, d)
	}
	// The stuck receiver's socket buffer takes some lines; the rest of
	// what overflowed its queue is dropped. The absent one loses all.
	for sinks[1].Dropped() < n {
		sinks[1].Flush()
	}
	if sinks[0].Dropped() == 0 {
		t.Errorf("stuck receiver: nothing dropped")
	}
	if DroppedLogs()-before < sinks[0].Dropped()+sinks[1].Dropped() {
		t.Errorf("DroppedLogs %d does not include the sinks' %d+%d", DroppedLogs()-before, sinks[0].Dropped(), sinks[1].Dropped())
	}
}

func TestLogNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	// Warm up with the writer held: every line buffer gets created.
	gate := gateWriter{gate: make(chan struct{})}
	sink, err := Open(Address{Network: FD, FD: 1}, Options{Stdout: gate})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	l := NewLogger(&Meta{Hostname: "vm", PID: "4242"}, "baton",
		NewOutput(target(t, "stdout local0"), sink).NewRoute(),
		NewOutput(target(t, "stdout format rfc5424 sample 1:2 local0"), sink).NewRoute())
	body := []byte("127.0.0.1:1 [06/Feb/2009:12:14:14.655] f b/s 0/0/1 0 -- 0/0/0/0/0 0/0")
	for range queueLen + 1 {
		l.Log(Info, body, nil)
	}
	close(gate.gate)
	sink.Flush()
	if n := testing.AllocsPerRun(500, func() { l.Log(Info, body, nil) }); n != 0 {
		t.Errorf("%v allocations per Log", n)
	}
}

// gateWriter discards, but blocks while its gate is closed.
type gateWriter struct{ gate chan struct{} }

func (w gateWriter) Write(p []byte) (int, error) { <-w.gate; return len(p), nil }

func TestClosedSinkDrops(t *testing.T) {
	var out syncBuffer
	sink := openStdout(t, &out)
	l := NewLogger(&Meta{}, "", NewOutput(target(t, "stdout format raw local0"), sink).NewRoute())
	l.Log(Info, []byte("before"), nil)
	sink.Close()
	l.Log(Info, []byte("after"), nil)
	if out.String() != "before\n" || sink.Dropped() != 1 {
		t.Errorf("output %q, dropped %d", out.String(), sink.Dropped())
	}
}
