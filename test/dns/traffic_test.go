package dns_test

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"baton/test/harness"
)

// mix is how many clients of each kind run.
type mix struct {
	keepAlive int // keep-alive connection, GET after GET
	newConn   int // a new connection per GET
	upload    int // keep-alive connection, POST of uploadSize bytes
	slow      int // a new connection per GET /slow (slowMS)
}

const (
	uploadSize = 32 << 10
	slowMS     = 2500
	// pause between two requests of one client, so that the machine's two
	// cores are not all spent on the load.
	pause = 2 * time.Millisecond
)

// traffic runs clients against a proxy and records every outcome.
type traffic struct {
	target string
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	mu       sync.Mutex
	ok       int
	slowOK   int
	failures []string
	byLabel  map[string]int
}

func startTraffic(target string, m mix) *traffic {
	tr := &traffic{target: target, stop: make(chan struct{}), byLabel: map[string]int{}}
	run := func(n int, f func()) {
		for range n {
			tr.wg.Add(1)
			go func() {
				defer tr.wg.Done()
				f()
			}()
		}
	}
	run(m.keepAlive, func() { tr.keepAliveLoop("GET", "/", "") })
	run(m.upload, func() { tr.keepAliveLoop("POST", "/upload", strings.Repeat("u", uploadSize)) })
	run(m.newConn, func() { tr.newConnLoop("/") })
	run(m.slow, func() { tr.newConnLoop("/slow?ms=" + strconv.Itoa(slowMS)) })
	return tr
}

func (tr *traffic) stopped() bool {
	select {
	case <-tr.stop:
		return true
	default:
		return false
	}
}

// finishOnce stops the clients (once); requests in flight complete
// first.
func (tr *traffic) finishOnce() {
	tr.once.Do(func() { close(tr.stop) })
	tr.wg.Wait()
}

func (tr *traffic) record(kind string, r *harness.Response, err error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	switch {
	case err != nil:
		tr.failures = append(tr.failures, fmt.Sprintf("%s %s: %v", time.Now().Format("15:04:05.000"), kind, err))
	case r.Status < 200 || r.Status > 299:
		tr.failures = append(tr.failures, fmt.Sprintf("%s %s: status %d: %s", time.Now().Format("15:04:05.000"), kind, r.Status, r.Body))
	case !strings.HasPrefix(string(r.Body), "backend "+r.Get("X-Backend")):
		tr.failures = append(tr.failures, fmt.Sprintf("%s %s: body %q", time.Now().Format("15:04:05.000"), kind, r.Body))
	case kind == "POST /upload" && !strings.HasSuffix(string(r.Body), " got "+strconv.Itoa(uploadSize)+"\n"):
		tr.failures = append(tr.failures, fmt.Sprintf("%s %s: upload cut: %q", time.Now().Format("15:04:05.000"), kind, r.Body))
	default:
		tr.ok++
		tr.byLabel[r.Get("X-Backend")]++
		if strings.HasPrefix(kind, "GET /slow") {
			tr.slowOK++
		}
	}
}

// keepAliveLoop sends requests back to back on one connection, opening a
// new one only when the proxy closed it (Connection: close) or failed.
func (tr *traffic) keepAliveLoop(method, path, body string) {
	kind := method + " " + path
	req := method + " " + path + " HTTP/1.1\r\nHost: app.test\r\n"
	if body != "" {
		req += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
	}
	req += "\r\n" + body
	var c net.Conn
	var br *bufio.Reader
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for !tr.stopped() {
		if c == nil {
			var err error
			if c, err = net.DialTimeout("tcp", tr.target, 5*time.Second); err != nil {
				tr.record(kind, nil, err)
				c = nil
				time.Sleep(10 * time.Millisecond)
				continue
			}
			br = bufio.NewReader(c)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		r, err := roundTrip(c, br, req, method)
		tr.record(kind, r, err)
		if err != nil || r.HasToken("Connection", "close") {
			c.Close()
			c = nil
		}
		time.Sleep(pause)
	}
}

// newConnLoop opens a connection per request.
func (tr *traffic) newConnLoop(path string) {
	kind := "GET " + path
	for !tr.stopped() {
		c, err := net.DialTimeout("tcp", tr.target, 5*time.Second)
		if err != nil {
			tr.record(kind, nil, err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		r, err := roundTrip(c, bufio.NewReader(c), "GET "+path+" HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n", "GET")
		c.Close()
		tr.record(kind, r, err)
		time.Sleep(pause)
	}
}

func roundTrip(c net.Conn, br *bufio.Reader, req, method string) (*harness.Response, error) {
	if _, err := c.Write([]byte(req)); err != nil {
		return nil, err
	}
	return harness.ReadResponse(br, method)
}

// result is what the clients saw.
type result struct {
	ok, slowOK int
	failures   []string
	byLabel    map[string]int
}

func (tr *traffic) result() result {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	labels := map[string]int{}
	for k, v := range tr.byLabel {
		labels[k] = v
	}
	return result{ok: tr.ok, slowOK: tr.slowOK, failures: append([]string(nil), tr.failures...), byLabel: labels}
}
