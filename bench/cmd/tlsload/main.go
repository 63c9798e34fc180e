// Command tlsload measures TLS handshakes per second through a proxy: c
// workers each open a connection, do a TLS handshake, send one GET with
// "Connection: close", read the response and close, for a duration. With
// -resume each worker keeps a session cache, so every handshake after
// its first resumes (the tool checks it and reports how many did).
//
//	tlsload -target 127.0.0.1:8443 -c 16 -d 5s -resume
//
// It prints "rps=N handshakes=N resumed=N errors=N". The client offers
// X25519 and P-256 only unless -pq (see the flag).
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("target", "127.0.0.1:8443", "proxy address")
	conc := flag.Int("c", 16, "concurrent workers")
	dur := flag.Duration("d", 5*time.Second, "duration")
	resume := flag.Bool("resume", false, "resume sessions (a session cache per worker)")
	sni := flag.String("sni", "bench.example", "server name to send")
	pq := flag.Bool("pq", false, "offer Go's default groups, post-quantum hybrids first (default: X25519 and P-256, what HAProxy 2.6 and nginx 1.22 with OpenSSL 3.0 implement, so every proxy does the same key exchange)")
	flag.Parse()

	var done, resumed, errs atomic.Int64
	stop := time.Now().Add(*dur)
	var wg sync.WaitGroup
	req := []byte("GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
	for i := 0; i < *conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := &tls.Config{ServerName: *sni, InsecureSkipVerify: true}
			if !*pq {
				cfg.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
			}
			if *resume {
				cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
			}
			for time.Now().Before(stop) {
				c, err := net.DialTimeout("tcp", *target, 5*time.Second)
				if err != nil {
					errs.Add(1)
					continue
				}
				tc := tls.Client(c, cfg)
				tc.SetDeadline(time.Now().Add(10 * time.Second))
				if err := tc.Handshake(); err != nil {
					errs.Add(1)
					c.Close()
					continue
				}
				_, err = tc.Write(req)
				if err == nil {
					var resp *http.Response
					resp, err = http.ReadResponse(bufio.NewReader(tc), nil)
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}
				if tc.ConnectionState().DidResume {
					resumed.Add(1)
				}
				c.Close()
				if err != nil {
					errs.Add(1)
					continue
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("rps=%.1f handshakes=%d resumed=%d errors=%d\n", float64(done.Load())/dur.Seconds(), done.Load(), resumed.Load(), errs.Load())
	if done.Load() == 0 {
		os.Exit(1)
	}
}
