package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/config"
)

func TestRedispatchTurn(t *testing.T) {
	for _, tc := range []struct {
		retries, interval int
		want              string // which retries 1..retries redispatch
	}{
		{3, 0, "--+"},    // default: the last retry
		{3, -1, "--+"},   // the same, written
		{5, -2, "---+-"}, // the 2nd before the last... every 4th
		{4, 1, "++++"},
		{6, 3, "--+--+"},
		{2, -5, "--"}, // beyond the first retry: never
	} {
		p := &config.Proxy{Retries: tc.retries, RedispatchInterval: tc.interval}
		var got strings.Builder
		for k := 1; k <= tc.retries; k++ {
			if redispatchTurn(p, k) {
				got.WriteByte('+')
			} else {
				got.WriteByte('-')
			}
		}
		if got.String() != tc.want {
			t.Errorf("retries %d interval %d: %s, want %s", tc.retries, tc.interval, got.String(), tc.want)
		}
	}
}

// statusServer answers every request with status and counts requests,
// reading a body of Content-Length bytes first.
func statusServer(t *testing.T, status int) (string, *atomic.Int64) {
	var reqs atomic.Int64
	addr, _ := scripted(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			reqs.Add(1)
			body := http.StatusText(status)
			if _, err := io.WriteString(c, "HTTP/1.1 "+itoa(status)+" "+body+"\r\nContent-Length: "+itoa(len(body))+"\r\n\r\n"+body); err != nil {
				return
			}
		}
	})
	return addr, &reqs
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// silentOnce reads each request and closes without answering (empty
// response), or stays silent until the client goes (timeout).
func dropper(t *testing.T, silent bool) (string, *atomic.Int64) {
	var reqs atomic.Int64
	addr, _ := scripted(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		reqs.Add(1)
		if silent {
			io.Copy(io.Discard, br)
		}
	})
	return addr, &reqs
}

func TestRetryOnStatus(t *testing.T) {
	bad, badN := statusServer(t, 503)
	good, goodN := statusServer(t, 200)
	for _, tc := range []struct {
		name    string
		retryOn config.RetryOn
		method  string
		noL7    bool
		want    int
	}{
		{"503 retried", config.Retry503, "GET", false, 200},
		{"POST retried too", config.Retry503, "POST", false, 200},
		{"not in the set", config.Retry504, "GET", false, 503},
		{"default conn-failure", 0, "GET", false, 503},
		{"disable-l7-retry", config.Retry503, "POST", true, 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := listenProxy("web", bad, good)
			p.RetryOn, p.Redispatch, p.Retries = tc.retryOn, true, 2
			if tc.noL7 {
				p.RequestRules = parseConfig(t, "frontend f\n bind 127.0.0.1:1\n http-request disable-l7-retry if METH_POST\n", nil).Proxies[0].RequestRules
			}
			h := start(t, cfgOf(p))
			c := h.dial()
			b0, g0 := badN.Load(), goodN.Load()
			// Round robin starts on the 503 server; with a retry the
			// request ends on the good one.
			c.send(tc.method + " / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
			resp, _ := c.read(tc.method)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if badN.Load()-b0 != 1 || goodN.Load()-g0 != int64(map[bool]int{true: 1}[tc.want == 200]) {
				t.Errorf("503 server saw %d, 200 server %d", badN.Load()-b0, goodN.Load()-g0)
			}
		})
	}
}

func TestRetryOnEmptyAndTimeout(t *testing.T) {
	good, goodN := statusServer(t, 200)
	for _, tc := range []struct {
		name    string
		silent  bool
		retryOn config.RetryOn
		want    int
	}{
		{"empty-response", false, config.RetryEmptyResponse, 200},
		{"empty-response not set", false, config.RetryResponseTimeout, 502},
		{"response-timeout", true, config.RetryResponseTimeout, 200},
		{"all-retryable-errors", true, config.RetryAllRetryable, 200},
		{"response-timeout not set", true, config.RetryEmptyResponse, 504},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad, badN := dropper(t, tc.silent)
			p := listenProxy("web", bad, good)
			p.RetryOn, p.Redispatch = tc.retryOn, true
			p.Timeouts.Server = config.Timeout{Value: 300 * time.Millisecond, Set: true}
			h := start(t, cfgOf(p))
			c := h.dial()
			g0 := goodN.Load()
			c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
			resp, _ := c.read("POST")
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if badN.Load() != 1 || (tc.want == 200) != (goodN.Load()-g0 == 1) {
				t.Errorf("dropping server saw %d requests, good one %d", badN.Load(), goodN.Load()-g0)
			}
		})
	}
}

func TestRetryOnJunk(t *testing.T) {
	good, _ := statusServer(t, 200)
	junk, _ := scripted(t, func(c net.Conn) {
		readHead(bufio.NewReader(c))
		io.WriteString(c, "garbage\r\n\r\n")
	})
	p := listenProxy("web", junk, good)
	p.RetryOn, p.Redispatch = config.RetryJunkResponse, true
	h := start(t, cfgOf(p))
	if resp, _ := h.dial().get("/"); resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200 after a junk response", resp.StatusCode)
	}
}

// A body that did not fit the buffer when first sent cannot be sent
// again: no retry, whatever retry-on says.
func TestRetryOnNeedsWholeBody(t *testing.T) {
	bad, badN := statusServer(t, 503)
	good, goodN := statusServer(t, 200)
	p := listenProxy("web", bad, good)
	p.RetryOn, p.Redispatch = config.Retry503, true
	h := start(t, cfgOf(p))
	c := h.dial()
	body := strings.Repeat("x", 64<<10)
	c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body)
	resp, _ := c.read("POST")
	if resp.StatusCode != 503 || badN.Load() != 1 || goodN.Load() != 0 {
		t.Fatalf("status %d, servers saw %d and %d; want the 503 relayed, no retry", resp.StatusCode, badN.Load(), goodN.Load())
	}
}

// Retrying a connection on the same server waits min(timeout connect,
// 1s) first (HAProxy's turn-around), here with leastconn and one server.
func TestRetryTurnAround(t *testing.T) {
	p := listenProxy("web", refusedAddr(t))
	p.Balance, p.Retries = config.LeastConn, 2
	p.Timeouts.Connect = config.Timeout{Value: 150 * time.Millisecond, Set: true}
	p.HTTPLog, p.LogGlobal = true, true
	h := start(t, cfgOf(p))
	start := time.Now()
	resp, _ := h.dial().get("/")
	if resp.StatusCode != 503 {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("two retries took %v, want at least 2 x 150ms", d)
	}
	waitFor(t, "log line", func() bool { return strings.Contains(h.log.String(), "/2 ") })
}

// With round robin over several servers and option redispatch, every
// retry goes to another server at once (HAProxy's non-deterministic
// algorithms), and the log shows "+".
func TestRetryRedispatchRoundRobin(t *testing.T) {
	good, _ := statusServer(t, 200)
	p := listenProxy("web", refusedAddr(t), refusedAddr(t), good)
	p.Redispatch, p.Retries = true, 3
	p.Timeouts.Connect = config.Timeout{Value: 2 * time.Second, Set: true}
	p.HTTPLog, p.LogGlobal = true, true
	h := start(t, cfgOf(p))
	c := h.dial()
	start := time.Now()
	for i := range 3 {
		if resp, _ := c.get("/"); resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("redispatched retries took %v: they must not wait", d)
	}
	waitFor(t, "a redispatched log line", func() bool {
		return strings.Contains(h.log.String(), "/+1 ") || strings.Contains(h.log.String(), "/+2 ")
	})
}
