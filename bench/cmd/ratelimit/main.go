// Command ratelimit sends keep-alive HTTP/1.1 requests to a proxy from
// many loopback source addresses at a fixed offered rate, and reports
// the rate achieved and the share of requests refused with 429: the load
// of a per-source rate limit (a stick table keyed by src).
//
//	ratelimit -target 127.0.0.1:8080 -sources 10000 -rate 50000 -d 10s
//
// Source i is 127.1.(i/250).(i%250+1): the whole 127.0.0.0/8 is local on
// Linux, and each connection binds its source before connecting. The
// sources take turns: on its turn a source opens a keep-alive connection,
// sends -per-conn requests on it one after the other and closes it, so
// every source sends rate/sources requests per second on average while
// only about -workers connections are open at once (10,000 open at once
// would need more descriptors than HAProxy gets here: 2 per connection,
// a hard limit of 20000). Requests are paced by a schedule (request k is
// due at start + k/rate); a proxy that cannot keep up makes the achieved
// rate fall short of the offered one.
//
// It prints one line of key=value: sent, ok (200), limited (429), other
// (other statuses), errors, rps (achieved), limited_pct, p50_ms, p99_ms.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sourceAddr is source i's loopback address.
func sourceAddr(i int) *net.TCPAddr {
	return &net.TCPAddr{IP: net.IPv4(127, 1, byte(i/250), byte(i%250+1))}
}

// conn is one source's keep-alive connection.
type conn struct {
	c  net.Conn
	br *bufio.Reader
}

type counts struct {
	ok, limited, other, errors atomic.Int64
}

func main() {
	target := flag.String("target", "127.0.0.1:8080", "proxy address")
	sources := flag.Int("sources", 10000, "source addresses (at most 250*256)")
	rate := flag.Float64("rate", 50000, "offered requests per second, over all sources")
	dur := flag.Duration("d", 10*time.Second, "how long to send")
	workers := flag.Int("workers", 256, "concurrent requests (and open connections) at most")
	perConn := flag.Int("per-conn", 10, "requests a source sends on each of its connections")
	path := flag.String("path", "/", "request path")
	flag.Parse()
	if *sources < 1 || *sources > 250*256 || *rate <= 0 || *workers < 1 || *perConn < 1 {
		fmt.Fprintln(os.Stderr, "ratelimit: bad -sources, -rate or -workers")
		os.Exit(2)
	}
	req := []byte("GET " + *path + " HTTP/1.1\r\nHost: bench\r\n\r\n")
	var (
		cnt     counts
		next    atomic.Int64 // the next request's number
		turn    atomic.Int64 // the next source's turn
		latMu   sync.Mutex
		lats    []time.Duration
		wg      sync.WaitGroup
		errOnce sync.Once
	)
	start := time.Now()
	end := start.Add(*dur)
	interval := float64(time.Second) / *rate
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for done := false; !done; {
				i := int((turn.Add(1) - 1) % int64(*sources))
				var c *conn
				for j := 0; j < *perConn; j++ {
					k := next.Add(1) - 1
					due := start.Add(time.Duration(float64(k) * interval))
					if due.After(end) || time.Now().After(end) {
						done = true // the schedule or the clock ran out
						break
					}
					if d := time.Until(due); d > 0 {
						time.Sleep(d)
					}
					t0 := time.Now()
					status, err := do(&c, i, *target, req)
					lat := time.Since(t0)
					switch {
					case err != nil:
						cnt.errors.Add(1)
						errOnce.Do(func() { fmt.Fprintln(os.Stderr, "ratelimit: first error:", err) })
					case status == 200:
						cnt.ok.Add(1)
					case status == 429:
						cnt.limited.Add(1)
					default:
						cnt.other.Add(1)
					}
					if k%16 == 0 {
						mine = append(mine, lat)
					}
				}
				if c != nil {
					c.c.Close()
				}
			}
			latMu.Lock()
			lats = append(lats, mine...)
			latMu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	ok, lim, oth, errs := cnt.ok.Load(), cnt.limited.Load(), cnt.other.Load(), cnt.errors.Load()
	sent := ok + lim + oth + errs
	slices.Sort(lats)
	q := func(p float64) float64 {
		if len(lats) == 0 {
			return 0
		}
		return float64(lats[min(len(lats)-1, int(p*float64(len(lats))))]) / 1e6
	}
	fmt.Printf("sent=%d ok=%d limited=%d other=%d errors=%d rps=%.0f limited_pct=%.1f p50_ms=%.2f p99_ms=%.2f\n",
		sent, ok, lim, oth, errs, float64(sent-errs)/elapsed.Seconds(), 100*float64(lim)/float64(max(sent, 1)), q(0.5), q(0.99))
}

// do sends one request on source i's connection (dialling it first if
// needed; a connection the proxy closed is redialled once) and returns
// the status.
func do(cp **conn, i int, target string, req []byte) (int, error) {
	for attempt := 0; ; attempt++ {
		if *cp == nil {
			d := net.Dialer{LocalAddr: sourceAddr(i), Timeout: 5 * time.Second}
			c, err := d.Dial("tcp", target)
			if err != nil {
				return 0, err
			}
			*cp = &conn{c: c, br: bufio.NewReaderSize(c, 4096)}
		}
		c := *cp
		c.c.SetDeadline(time.Now().Add(10 * time.Second))
		status, keep, err := exchange(c, req)
		if err != nil || !keep {
			c.c.Close()
			*cp = nil
		}
		if err != nil && attempt == 0 && status == 0 {
			continue // a kept-alive connection closed under us: once more
		}
		return status, err
	}
}

// exchange writes req and reads one response with a Content-Length
// body; keep says the connection stays open.
func exchange(c *conn, req []byte) (status int, keep bool, err error) {
	if _, err := c.c.Write(req); err != nil {
		return 0, false, err
	}
	length, keep := -1, true
	for first := true; ; first = false {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return status, false, err
		}
		line = strings.TrimRight(line, "\r\n")
		if first {
			f := strings.Fields(line)
			if len(f) < 2 {
				return 0, false, fmt.Errorf("status line %q", line)
			}
			status, _ = strconv.Atoi(f[1])
			continue
		}
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch {
		case strings.EqualFold(k, "content-length"):
			length, _ = strconv.Atoi(v)
		case strings.EqualFold(k, "connection") && strings.EqualFold(v, "close"):
			keep = false
		}
	}
	if length < 0 {
		return status, false, fmt.Errorf("status %d without content-length", status)
	}
	_, err = io.CopyN(io.Discard, c.br, int64(length))
	return status, keep, err
}
