// Command idleconns opens many keep-alive HTTP/1.1 connections to a proxy,
// sends one request on each, and holds them idle so the benchmark can read
// the proxy's resident memory per idle connection.
//
//	idleconns -target 127.0.0.1:8080 -n 10000
//	idleconns -target 127.0.0.1:8443 -n 9000 -tls   (TLS connections)
//	idleconns -target 127.0.0.1:8443 -n 2000 -tls -h2   (HTTP/2 by ALPN)
//	idleconns -target 127.0.0.1:8081 -n 2000 -h2   (HTTP/2, prior knowledge)
//
// It prints "ready N" once every connection has had its response, then
// waits until its standard input closes.
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("target", "127.0.0.1:8080", "proxy address")
	n := flag.Int("n", 10000, "connections to hold")
	parallel := flag.Int("parallel", 200, "connections opened at once")
	useTLS := flag.Bool("tls", false, "TLS connections (certificate not verified)")
	useH2 := flag.Bool("h2", false, "HTTP/2 connections: with -tls by ALPN h2, else with prior knowledge")
	flag.Parse()
	tlsCfg := &tls.Config{ServerName: "bench.example", InsecureSkipVerify: true,
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}}
	if *useH2 {
		tlsCfg.NextProtos = []string{"h2"}
	}

	var (
		mu    sync.Mutex
		conns []net.Conn
		ok    atomic.Int64
		wg    sync.WaitGroup
		sem   = make(chan struct{}, *parallel)
	)
	req := []byte("GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
	for i := 0; i < *n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var c net.Conn
			var err error
			if *useTLS {
				c, err = tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", *target, tlsCfg)
			} else {
				c, err = net.DialTimeout("tcp", *target, 10*time.Second)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "idleconns:", err)
				return
			}
			c.SetDeadline(time.Now().Add(30 * time.Second))
			if *useH2 {
				err = h2Request(c)
			} else if _, err = c.Write(req); err == nil {
				err = readResponse(bufio.NewReaderSize(c, 4096))
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "idleconns:", err)
				c.Close()
				return
			}
			c.SetDeadline(time.Time{})
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			ok.Add(1)
		}()
	}
	wg.Wait()
	fmt.Printf("ready %d\n", ok.Load())
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

// readResponse reads one response with a Content-Length body.
func readResponse(r *bufio.Reader) error {
	length := -1
	for first := true; ; first = false {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimRight(line, "\r\n")
		if first {
			if !strings.HasPrefix(line, "HTTP/1.1 200") {
				return fmt.Errorf("status line %q", line)
			}
			continue
		}
		if line == "" {
			break
		}
		if k, v, found := strings.Cut(line, ":"); found && strings.EqualFold(k, "content-length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if length < 0 {
		return fmt.Errorf("no content-length")
	}
	_, err := io.CopyN(io.Discard, r, int64(length))
	return err
}
