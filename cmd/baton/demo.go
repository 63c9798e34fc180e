package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"baton/internal/master"
	"baton/internal/sample"
	"baton/internal/tlsconf"
)

// demoConfig is examples/demo.cfg plus an HTTPS bind, embedded so that
// the demo needs no file; demo.pem is a certificate the demo generates
// (crt-base points at its directory).
const demoConfig = `# baton demo: one listen section spreading requests over three backends.
global
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 2s

listen demo
    bind 127.0.0.1:8080
    bind 127.0.0.1:8443 ssl crt demo.pem alpn http/1.1
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    balance roundrobin
    server s1 127.0.0.1:9001
    server s2 127.0.0.1:9002
    server s3 127.0.0.1:9003
`

// demo starts three labelled sample backends and a master in front of them.
func demo(args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(os.Stderr, "usage: baton demo")
		return 2
	}
	for i, label := range []string{"a", "b", "c"} {
		s, err := sample.Start(fmt.Sprintf("127.0.0.1:%d", 9001+i), label)
		if err != nil {
			fmt.Fprintf(os.Stderr, "baton demo: backend %s: %v\n", label, err)
			return 1
		}
		defer s.Close()
	}
	dir, err := os.MkdirTemp("", "baton-demo-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "baton demo: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	cfg, err := writeDemo(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "baton demo: %v\n", err)
		return 1
	}
	sock := filepath.Join(dir, "master.sock")
	fmt.Fprintf(os.Stderr, `baton demo: backends a, b, c on 127.0.0.1:9001-9003, proxy on 127.0.0.1:8080 and, with TLS, 127.0.0.1:8443
  curl -si http://127.0.0.1:8080/ | grep X-Backend     (round robin: a, b, c, ...)
  curl -s --cacert %s https://localhost:8443/headers   (TLS with a generated certificate)
  baton reload -S %s               (edit %s first)
  echo 'show proc' | nc -U %s
  Ctrl-C stops (graceful)
`, filepath.Join(dir, "demo.pem"), sock, cfg, sock)
	return runMaster(master.Options{ConfigPaths: []string{cfg}, Socket: sock})
}

// writeDemo writes the demo's configuration and a self-signed certificate
// for localhost and 127.0.0.1 into dir, and returns the configuration's
// path.
func writeDemo(dir string) (string, error) {
	pem, err := tlsconf.SelfSigned(7*24*time.Hour, "localhost", "127.0.0.1")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "demo.pem"), pem, 0o600); err != nil {
		return "", err
	}
	cfg := filepath.Join(dir, "demo.cfg")
	text := strings.Replace(demoConfig, "global\n", "global\n    crt-base "+dir+"\n", 1)
	return cfg, os.WriteFile(cfg, []byte(text), 0o644)
}
