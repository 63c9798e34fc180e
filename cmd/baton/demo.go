package main

import (
	"fmt"
	"os"
	"path/filepath"

	"baton/internal/master"
	"baton/internal/sample"
)

// demoConfig is examples/demo.cfg, embedded so that the demo needs no file.
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
	cfg := filepath.Join(dir, "demo.cfg")
	sock := filepath.Join(dir, "master.sock")
	if err := os.WriteFile(cfg, []byte(demoConfig), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "baton demo: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, `baton demo: backends a, b, c on 127.0.0.1:9001-9003, proxy on 127.0.0.1:8080
  curl -si http://127.0.0.1:8080/ | grep X-Backend     (round robin: a, b, c, ...)
  baton reload -S %s               (edit %s first)
  echo 'show proc' | nc -U %s
  Ctrl-C stops (graceful)
`, sock, cfg, sock)
	return runMaster(master.Options{ConfigPaths: []string{cfg}, Socket: sock})
}
