package hardening_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// tcase is one hardening case and its expected answer.
//
// A request case (raw set, resp empty) sends raw in one write. With
// status >= 400 the request must be refused: that status, the connection
// closed afterwards, the recorder received no byte, and the log line shows
// the status and term. With status 200 the request is forwarded: the
// recorder must have received exactly fwd (when set) and, always, a
// well-formed request (CRLF only, no NUL, no folding, one Host, never both
// Content-Length and Transfer-Encoding).
//
// A response case (resp set) sends a plain GET; the recorder answers resp
// and closes; the client must get status (502) and never the marker
// "BAD" the scripted response carries.
//
// A run case starts its own proxy with feOpts/beOpts and asserts inside
// run (timeouts, slow peers, faults).
type tcase struct {
	name   string
	raw    string
	resp   string
	status int    // expected status; -1: closed without a response
	term   string // expected first two characters of the log's termination state
	fwd    string // exact bytes the recorder must receive (accepted requests)
	closes bool   // accepted request: the client connection is closed after the response

	// haproxy and hterm, when set, are what HAProxy 2.6.12 answers/logs
	// instead (measured with the same table); the note says why.
	haproxy int
	hterm   string
	note    string

	feOpts, beOpts string
	run            func(e *env, c tcase)
}

const (
	post  = "POST / HTTP/1.1\r\nHost: h\r\n"
	chunk = post + "Transfer-Encoding: chunked\r\n\r\n"
)

func manyHeaders(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "X-H%d: v\r\n", i)
	}
	return b.String()
}

// cases is every hardening case with its expected answer.
var cases = []tcase{
	// Positive controls: the recorder sees exactly what a clean client sent.
	{name: "ok/get", raw: "GET /p?q=1 HTTP/1.1\r\nHost: h\r\nX-A: b\r\n\r\n", status: 200, term: "--",
		fwd: "GET /p?q=1 HTTP/1.1\r\nHost: h\r\nX-A: b\r\n\r\n"},
	{name: "ok/post-cl", raw: post + "Content-Length: 3\r\n\r\nabc", status: 200, term: "--",
		fwd: post + "Content-Length: 3\r\n\r\nabc"},
	{name: "ok/post-chunked", raw: chunk + "3\r\nabc\r\n0\r\n\r\n", status: 200, term: "--",
		fwd: chunk + "3\r\nabc\r\n0\r\n\r\n"},
	{name: "ok/100-fields", raw: "GET / HTTP/1.1\r\nHost: h\r\n" + manyHeaders(99) + "\r\n", status: 200, term: "--",
		fwd: "GET / HTTP/1.1\r\nHost: h\r\n" + manyHeaders(99) + "\r\n"},
	{name: "ok/absolute-form-same-host", raw: "GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n", status: 200, term: "--"},

	// Normalisation and smuggling attempts that must stay one request.
	{name: "ok/te-uppercase", raw: post + "Transfer-Encoding: Chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 200, term: "--",
		fwd: chunk + "1\r\na\r\n0\r\n\r\n"},
	{name: "ok/http10-adds-close", raw: "GET / HTTP/1.0\r\nHost: h\r\n\r\n", status: 200, term: "--", closes: true,
		fwd: "GET / HTTP/1.0\r\nHost: h\r\nConnection: close\r\n\r\n"},
	{name: "ok/hop-by-hop-stripped", raw: "GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 5\r\n\r\n", status: 200, term: "--",
		fwd: "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
	{name: "ok/cl-te-no-smuggle", raw: post + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
		status: 200, term: "--", closes: true, fwd: chunk + "0\r\n\r\n",
		note: "the bytes after the chunked body are not a second request: the connection closes after the response"},

	// Content-Length.
	{name: "cl/two-different", raw: post + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", status: 400, term: "PR"},
	{name: "cl/list", raw: post + "Content-Length: 1, 2\r\n\r\nab", status: 400, term: "PR"},
	{name: "cl/empty", raw: post + "Content-Length: \r\n\r\nab", status: 400, term: "PR"},
	{name: "cl/plus", raw: post + "Content-Length: +2\r\n\r\nab", status: 400, term: "PR"},
	{name: "cl/hex", raw: post + "Content-Length: 0x2\r\n\r\nab", status: 400, term: "PR"},
	{name: "cl/negative", raw: post + "Content-Length: -1\r\n\r\nab", status: 400, term: "PR"},
	{name: "cl/20-digits", raw: post + "Content-Length: 12345678901234567890\r\n\r\nab", status: 400, term: "PR", haproxy: 502, hterm: "SH",
		note: "HAProxy accepts any Content-Length below 2^64 and forwards it (the recorder cannot frame it and closes)"},

	// Transfer-Encoding other than a single final chunked.
	{name: "te/gzip", raw: post + "Transfer-Encoding: gzip\r\n\r\nab", status: 501, term: "PR", haproxy: 400, hterm: "PR"},
	{name: "te/chunked-gzip", raw: post + "Transfer-Encoding: chunked, gzip\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 501, term: "PR", haproxy: 400, hterm: "PR"},
	{name: "te/chunked-chunked", raw: post + "Transfer-Encoding: chunked, chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 400, term: "PR"},
	{name: "te/two-lines", raw: post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 400, term: "PR"},
	{name: "te/xchunked", raw: post + "Transfer-Encoding: xchunked\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 501, term: "PR", haproxy: 400, hterm: "PR"},
	{name: "te/leading-comma", raw: post + "Transfer-Encoding: ,chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 400, term: "PR", haproxy: 422, hterm: "PR",
		note: "HAProxy answers 422 for an empty transfer coding"},
	{name: "te/space-before-colon", raw: post + "Transfer-Encoding : chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 400, term: "PR"},
	{name: "te/vtab", raw: post + "Transfer-Encoding:\x0bchunked\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 400, term: "PR"},
	{name: "te/http10", raw: "POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy 2.6.12 forwards a chunked HTTP/1.0 request (RFC 9112 6.1 says treat as faulty and close)"},

	{name: "body/http10-get", raw: "GET / HTTP/1.0\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", status: 413, term: "PR",
		note: "an HTTP/1.0 server may ignore a GET body and read it as a request; HAProxy 2.6.12 refuses it too"},

	// Chunk syntax (head and body in one write).
	{name: "chunk/size-Z", raw: chunk + "Z\r\na\r\n0\r\n\r\n", status: 400, term: "PR"},
	{name: "chunk/size-0x1", raw: chunk + "0x1\r\na\r\n0\r\n\r\n", status: 400, term: "PR"},
	{name: "chunk/size-empty", raw: chunk + "\r\na\r\n0\r\n\r\n", status: 400, term: "PR"},
	{name: "chunk/size-overflow", raw: chunk + "10000000000000001\r\na\r\n0\r\n\r\n", status: 400, term: "PR"},
	{name: "chunk/bare-LF-after-size", raw: chunk + "1\na\r\n0\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy 2.6.12 predates the 2024 bare-LF chunk fixes"},
	{name: "chunk/bare-CR-in-ext", raw: chunk + "1;a\rb\r\na\r\n0\r\n\r\n", status: 400, term: "PR"},
	{name: "chunk/no-CRLF-after-data", raw: chunk + "1\r\naXX0\r\n\r\n", status: 400, term: "PR"},

	// Header names and values.
	{name: "hdr/ctl-in-value", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy forwards CTLs other than CR/LF in values"},
	{name: "hdr/nul-in-value", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy 2.6.12 forwards NUL in a value raw"},
	{name: "hdr/bare-CR-in-value", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", status: 400, term: "PR"},
	{name: "hdr/space-before-colon", raw: "GET / HTTP/1.1\r\nHost: h\r\nX : a\r\n\r\n", status: 400, term: "PR"},
	{name: "hdr/leading-whitespace", raw: "GET / HTTP/1.1\r\n X: a\r\nHost: h\r\n\r\n", status: 400, term: "PR"},
	{name: "hdr/obs-fold", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", status: 400, term: "PR",
		haproxy: 200, hterm: "--", note: "HAProxy unfolds obs-fold to SP and forwards (also allowed by RFC 9112 5.2)"},
	{name: "hdr/name-paren", raw: "GET / HTTP/1.1\r\nHost: h\r\nX(: a\r\n\r\n", status: 400, term: "PR"},
	{name: "hdr/name-0xFF", raw: "GET / HTTP/1.1\r\nHost: h\r\nX\xff: a\r\n\r\n", status: 400, term: "PR"},
	{name: "hdr/name-ctl", raw: "GET / HTTP/1.1\r\nHost: h\r\nX\x01: a\r\n\r\n", status: 400, term: "PR"},
	{name: "hdr/empty-name", raw: "GET / HTTP/1.1\r\nHost: h\r\n: a\r\n\r\n", status: 400, term: "PR"},
	{name: "hdr/no-colon", raw: "GET / HTTP/1.1\r\nHost: h\r\nXa\r\n\r\n", status: 400, term: "PR"},

	// Host.
	{name: "host/missing", raw: "GET / HTTP/1.1\r\nX: a\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy does not require Host in HTTP/1.1"},
	{name: "host/two", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400, term: "PR"},
	{name: "host/space", raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy does not validate the Host value"},
	{name: "host/at", raw: "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy does not validate the Host value"},
	{name: "host/comma", raw: "GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy rejects a comma only in later versions (b743b566)"},
	{name: "host/absolute-form-mismatch", raw: "GET http://b/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, term: "PR"},

	// Request targets.
	{name: "target/fragment", raw: "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", status: 400, term: "PR"},
	{name: "target/ctl", raw: "GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n", status: 400, term: "PR"},
	{name: "target/del", raw: "GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy forwards DEL in the target"},
	{name: "target/8-bit", raw: "GET /\xe9 HTTP/1.1\r\nHost: h\r\n\r\n", status: 400, term: "PR"},
	{name: "target/no-slash", raw: "GET admin HTTP/1.1\r\nHost: h\r\n\r\n", status: 400, term: "PR"},
	{name: "target/asterisk-get", raw: "GET * HTTP/1.1\r\nHost: h\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy forwards \"GET *\""},

	// Request lines.
	{name: "line/double-space", raw: "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy collapses repeated spaces in the request line"},
	{name: "line/trailing-space", raw: "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", status: 400, term: "PR"},
	{name: "line/HTTP-1.32", raw: "GET / HTTP/1.32\r\nHost: h\r\n\r\n", status: 400, term: "PR"},
	{name: "line/lowercase-http", raw: "GET / http/1.1\r\nHost: h\r\n\r\n", status: 400, term: "PR"},
	{name: "line/HTTP-2.0", raw: "GET / HTTP/2.0\r\nHost: h\r\n\r\n", status: 505, term: "PR", haproxy: 200,
		note: "HAProxy forwards any HTTP/x.y as HTTP/1.1"},
	{name: "line/HTTP-0.9", raw: "GET /\r\n", status: 400, term: "PR"},
	{name: "line/bare-LF", raw: "GET / HTTP/1.1\nHost: h\n\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy accepts bare-LF line ends and re-emits CRLF"},
	{name: "line/bare-LF-headers", raw: "GET / HTTP/1.1\r\nHost: h\nX: a\r\n\r\n", status: 400, term: "PR", haproxy: 200,
		note: "HAProxy accepts bare-LF line ends and re-emits CRLF"},

	// Limits (tune.bufsize 16384, tune.http.maxhdr 101).
	{name: "limit/head-too-large", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("a", 20000) + "\r\n\r\n", status: 431, term: "PR", haproxy: 400, hterm: "PR",
		note: "HAProxy answers 400 to any oversized head"},
	{name: "limit/101-fields", raw: "GET / HTTP/1.1\r\nHost: h\r\n" + manyHeaders(100) + "\r\n", status: 431, term: "PR", haproxy: 400, hterm: "PR",
		note: "tune.http.maxhdr 101 counts the request line, so 100 fields fit; HAProxy answers 400 to any oversized head"},
	{name: "limit/102-fields", raw: "GET / HTTP/1.1\r\nHost: h\r\n" + manyHeaders(101) + "\r\n", status: 431, term: "PR", haproxy: 400, hterm: "PR",
		note: "HAProxy answers 400 to any oversized head"},
	{name: "limit/long-uri", raw: "GET /" + strings.Repeat("a", 20000) + " HTTP/1.1\r\nHost: h\r\n\r\n", status: 414, term: "PR", haproxy: 400, hterm: "PR",
		note: "HAProxy answers 400 to any oversized head"},

	// CL + TE: decoded as chunked, CL dropped upstream, client closed after.
	{name: "cl-te/chunked-wins", raw: post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		status: 200, term: "--", closes: true,
		fwd: chunk + "3\r\nabc\r\n0\r\n\r\n"},

	// Responses the proxy must not relay.
	{name: "resp/cl-and-te", resp: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nBAD\r\n0\r\n\r\n", status: 502, term: "PH", haproxy: 200,
		note: "HAProxy decodes by Transfer-Encoding and drops Content-Length (RFC 9112 6.3 allows it)"},
	{name: "resp/te-chunked-chunked", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n3\r\nBAD\r\n0\r\n\r\n", status: 502, term: "PH"},
	{name: "resp/te-xchunked", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n3\r\nBAD\r\n0\r\n\r\n", status: 502, term: "PH"},
	{name: "resp/two-cl", resp: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nBAD!", status: 502, term: "PH"},
	{name: "resp/too-many-headers", resp: "HTTP/1.1 200 OK\r\n" + manyHeaders(110) + "Content-Length: 3\r\n\r\nBAD", status: 502, term: "PH"},
	{name: "resp/bad-status-line", resp: "HTTP/1.1 2000 OK\r\nContent-Length: 3\r\n\r\nBAD", status: 502, term: "PH", haproxy: 2000,
		note: "HAProxy relays a 4-digit status"},
	{name: "resp/nul-in-value", resp: "HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 3\r\n\r\nBAD", status: 502, term: "PH", haproxy: 200,
		note: "HAProxy 2.6.12 relays NUL in a response value (as a space here)"},

	// Timeouts, slow peers and faults: each runs on its own proxy (TestRun).
	{name: "slow/slowloris-head", status: 408, term: "cR", feOpts: "    timeout http-request 1s\n", run: slowloris,
		note: "one header byte every 100 ms: timeout http-request bounds the whole head"},
	{name: "slow/body-stall", status: 408, term: "cD", feOpts: "    timeout client 1s\n", run: bodyStall,
		note: "Content-Length 100, 10 bytes, stall: timeout client; the server connection is closed"},
	{name: "slow/reader-50MB", status: 200, term: "--", run: slowReader,
		note: "a client not reading a 50 MB response: worker RSS stays within +20 MB while the server is blocked"},
	{name: "fault/refused-retry-redispatch", status: 200, term: "--", run: refusedRedispatch,
		beOpts: "    retries 1\n    option redispatch\n    balance roundrobin\n    server dead ${DEAD}\n    server rec ${REC}\n"},
	{name: "fault/refused-all-503", status: 503, term: "SC", run: refusedAll,
		beOpts: "    retries 2\n    option redispatch\n    server d1 ${DEAD}\n    server d2 ${DEAD2}\n"},
	{name: "fault/close-before-answer-fresh-get", status: 502, term: "SH", run: closeBeforeAnswer("GET", false, 1),
		note: "a GET on a fresh connection is not retried once sent"},
	{name: "fault/close-before-answer-reused-get", status: 502, term: "SH", run: closeBeforeAnswer("GET", true, 2),
		note: "an idempotent request on a reused keep-alive connection is retried once on a new one (stale keep-alive race)"},
	{name: "fault/close-before-answer-reused-post", status: 502, term: "SH", run: closeBeforeAnswer("POST", true, 1),
		note: "a POST is never retried: the backend sees it once"},
	{name: "fault/dies-mid-body-cl", status: 200, term: "SD", run: diesMidBody(false)},
	{name: "fault/dies-mid-body-chunked", status: 200, term: "SD", run: diesMidBody(true)},
	{name: "fault/server-slow-504", status: 504, term: "sH", beOpts: "    timeout server 500ms\n" + recServer, run: serverSlow},
	{name: "fault/client-abort-waiting-headers", status: -1, term: "CH", run: clientAbortWaiting,
		note: "the server connection is closed within ~1 s of the client leaving"},
	{name: "fault/client-abort-during-body", status: -1, term: "CD", run: clientAbortBody},
}

// runExchange runs a request or response case on a shared env. Under
// HAProxy only the status and log state are asserted (and what it
// forwarded is logged): it is the reference the notes compare against.
func runExchange(e *env, c tcase) {
	t := e.t
	want, wantTerm := c.status, c.term
	if e.haproxy && c.haproxy != 0 {
		want, wantTerm = c.haproxy, c.hterm
		if wantTerm == "" {
			wantTerm = "--"
		}
	}
	raw := c.raw
	if c.resp != "" {
		raw = "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
		e.rec.reset(script{reply: c.resp, close: true})
	} else {
		e.rec.reset(script{})
	}
	e.skipLogs()
	conn := harness.Dial(t, e.fe)
	conn.Send(raw)
	r, err := conn.TryRead("GET")
	got := -1
	if err == nil {
		got = r.Status
	}
	if got != want {
		rs := fmt.Sprint(err)
		if r != nil {
			rs = r.String()
		}
		t.Errorf("status %d, want %d\n%s", got, want, rs)
	}
	if want != -1 {
		defer e.expectLog(fmt.Sprint(want), wantTerm)
	}
	if e.haproxy && want != c.status {
		if fwd, _ := e.rec.snapshot(); fwd != "" {
			t.Logf("HAProxy forwarded %q", fwd)
		}
		return
	}
	switch {
	case c.resp != "":
		if r != nil && strings.Contains(r.String(), "BAD") {
			t.Errorf("scripted bad response relayed:\n%s", r)
		}
	case want >= 400 || want == -1:
		if closed, extra := conn.Closed(3 * time.Second); !closed {
			t.Errorf("connection left open after %d (read %q)", got, extra)
		}
		if raw, _ := e.rec.snapshot(); raw != "" {
			t.Errorf("rejected request reached the backend: %q", raw)
		}
	default:
		if !e.rec.waitRequests(1, 5*time.Second) {
			t.Fatalf("backend received no whole request")
		}
		_, reqs := e.rec.snapshot()
		if err := wellFormed(reqs[0]); err != nil {
			t.Errorf("forwarded request not well-formed: %v\n%q", err, reqs[0])
		}
		if c.fwd != "" && !e.haproxy && reqs[0] != c.fwd {
			t.Errorf("backend received\n%q\nwant\n%q", reqs[0], c.fwd)
		}
		// A close must come (a loaded machine may take seconds); a
		// connection kept open is judged after 300 ms of silence.
		wait := 300 * time.Millisecond
		if c.closes {
			wait = 5 * time.Second
		}
		closed, extra := conn.Closed(wait)
		if _, reqs := e.rec.snapshot(); len(reqs) != 1 {
			t.Errorf("backend received %d requests, want 1: %q", len(reqs), reqs)
		}
		if e.haproxy {
			break // HAProxy's connection handling is not the subject
		}
		if closed != c.closes {
			t.Errorf("client connection closed=%v after the response (read %q), want %v", closed, extra, c.closes)
		}
	}
}

func TestTable(t *testing.T) {
	for _, impl := range []string{"baton", "haproxy"} {
		t.Run(impl, func(t *testing.T) {
			t.Parallel()
			isH := impl == "haproxy"
			if isH && harness.HAProxyPath() == "" {
				t.Skip("haproxy not installed")
			}
			if !isH {
				needBaton(t)
			}
			shared := startEnv(t, isH, "", "")
			for _, c := range cases {
				if c.run != nil {
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					e := *shared
					e.t = t
					runExchange(&e, c)
					shared.logSeen = e.logSeen
				})
			}
		})
	}
}
