// Package tls_test runs TLS scenarios against the built baton binary and,
// with the same configuration text and assertions, against HAProxy 2.6,
// using real clients: curl (--resolve for SNI), openssl s_client
// (-sess_out/-sess_in for resumption) and Go's TLS client.
package tls_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"baton/internal/sample"
	"baton/internal/tlsconf/tlstest"
	"baton/test/harness"
)

// proxies are the implementations every scenario runs against.
var proxies = []string{"baton", "haproxy"}

const base = `global
    maxconn 1000
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 10s
    timeout server 10s
`

// certs are the certificates every scenario can name, written once per
// test into dir: ${DIR}/www.pem (www.example.com), api.pem
// (api.example.com, RSA), wild.pem (*.example.org), ca.pem (the root),
// client CA files and client certificates.
type certs struct {
	dir      string
	ca       *tlstest.CA
	clientCA *tlstest.CA
	alice    *tlstest.Cert // client certificate from clientCA
	mallory  *tlstest.Cert // revoked by clientCA
	eve      *tlstest.Cert // from an unknown CA
}

var (
	certsOnce sync.Once
	shared    *certs
)

// sharedCerts makes the certificate files once for the whole package.
func sharedCerts(t *testing.T) *certs {
	certsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "baton-tls-e2e-")
		if err != nil {
			t.Fatal(err)
		}
		c := &certs{dir: dir, ca: tlstest.NewCA("E2E Root"), clientCA: tlstest.NewCA("E2E Client CA")}
		write := func(name string, data []byte) {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("ca.pem", c.ca.PEM)
		write("www.pem", c.ca.Issue(tlstest.Options{}, "www.example.com").Bundle())
		write("api.pem", c.ca.Issue(tlstest.Options{Key: tlstest.RSA}, "api.example.com").Bundle())
		write("wild.pem", c.ca.Issue(tlstest.Options{}, "*.example.org").Bundle())
		write("origin.pem", c.ca.Issue(tlstest.Options{}, "origin.internal").Bundle())
		c.alice = c.clientCA.Issue(tlstest.Options{Client: true}, "alice")
		c.mallory = c.clientCA.Issue(tlstest.Options{Client: true}, "mallory")
		c.eve = tlstest.NewCA("E2E Stranger").Issue(tlstest.Options{Client: true}, "eve")
		inter := c.clientCA.Intermediate("E2E Client Inter")
		bob := inter.IssueChained(tlstest.Options{Client: true}, "bob")
		write("client-ca.pem", c.clientCA.PEM)
		write("client-crl.pem", append(c.clientCA.CRL(c.mallory), inter.CRL()...))
		write("alice.pem", c.alice.Bundle())
		write("mallory.pem", c.mallory.Bundle())
		write("eve.pem", c.eve.Bundle())
		write("bob-chain.pem", bob.Bundle())                                              // leaf + intermediate
		write("bob-leaf.pem", append(append([]byte(nil), bob.CertPEM...), bob.KeyPEM...)) // broken chain
		// tls-ticket-keys: three 48-byte keys.
		write("ticket.keys", []byte("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n"+
			"QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC\n"+
			"Q0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0ND\n"))
		shared = c
	})
	if shared == nil {
		t.Fatal("certificates not made")
	}
	return shared
}

// env is one running proxy (baton or haproxy) with its sample servers.
type env struct {
	t      *testing.T
	proxy  string
	certs  *certs
	addrs  map[string]string
	stdout *harness.Output
	stderr *harness.Output
	baton  *harness.Baton
	hap    *haproxyMW
	cfg    string
}

var placeholder = regexp.MustCompile(`\$\{([A-Z]+[0-9]*)\}`)

// start renders cfg for proxy and runs it. ${FE...} are ports the proxy
// binds (waited for), ${S...} sample servers labelled in lower case,
// ${DIR} the certificate directory; extra maps other placeholders.
func start(t *testing.T, proxy, cfg string, extra map[string]string) *env {
	t.Helper()
	c := sharedCerts(t)
	e := &env{t: t, proxy: proxy, certs: c, addrs: map[string]string{}}
	var fes []string
	cfg = placeholder.ReplaceAllStringFunc(cfg, func(m string) string {
		name := m[2 : len(m)-1]
		if name == "DIR" {
			return c.dir
		}
		if v, ok := extra[name]; ok {
			return v
		}
		if a, ok := e.addrs[name]; ok {
			return a
		}
		a := harness.FreeAddr(t)
		switch {
		case strings.HasPrefix(name, "FE"):
			fes = append(fes, a)
		case strings.HasPrefix(name, "S"):
			srv, err := sample.Start(a, strings.ToLower(name))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
		}
		e.addrs[name] = a
		return a
	})
	e.cfg = cfg
	switch proxy {
	case "baton":
		e.baton = harness.Start(t, cfg, fes)
		e.stdout, e.stderr = e.baton.Stdout, e.baton.Stderr
	case "haproxy":
		e.hap = startHAProxyMW(t, cfg, fes)
		e.stdout, e.stderr = e.hap.out, e.hap.out
	}
	return e
}

// run runs fn once per proxy, each in its own subtest. skip, when it
// returns a reason for a proxy, skips that proxy's subtest.
func run(t *testing.T, fn func(t *testing.T, proxy string), skip func(proxy string) string) {
	for _, p := range proxies {
		t.Run(p, func(t *testing.T) {
			if p == "haproxy" && harness.HAProxyPath() == "" {
				t.Skip("haproxy not on PATH")
			}
			if skip != nil {
				if why := skip(p); why != "" {
					t.Skip(why)
				}
			}
			fn(t, p)
		})
	}
}

// reload reloads the proxy and waits until the new generation serves.
func (e *env) reload() {
	e.t.Helper()
	if e.baton != nil {
		if out, code := e.baton.Reload(); code != 0 {
			e.t.Fatalf("reload: %s", out)
		}
		return
	}
	e.hap.reload(e.t)
}

// haproxyMW is HAProxy in master-worker mode, so that it can reload.
type haproxyMW struct {
	cmd    *exec.Cmd
	out    *harness.Output
	exited chan struct{}
}

func startHAProxyMW(t *testing.T, cfg string, wait []string) *haproxyMW {
	t.Helper()
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	h := &haproxyMW{out: &harness.Output{}, exited: make(chan struct{})}
	h.cmd = exec.Command(harness.HAProxyPath(), "-W", "-db", "-f", path)
	h.cmd.Stdout, h.cmd.Stderr = h.out, h.out
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { h.cmd.Wait(); close(h.exited) }()
	t.Cleanup(func() {
		h.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.exited:
		case <-time.After(5 * time.Second):
			h.cmd.Process.Kill()
			<-h.exited
		}
	})
	for _, a := range wait {
		harness.Eventually(t, 10*time.Second, "haproxy listening on "+a+"\n"+h.out.String(), func() bool {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
	}
	return h
}

// reload signals HAProxy's master and waits for its "Loading success".
// The signal is sent again every 3 s until then: once in CI the master
// never reloaded on the first one (10 s of silence), and an extra reload
// changes nothing the tests look at.
func (h *haproxyMW) reload(t *testing.T) {
	t.Helper()
	before := strings.Count(h.out.String(), "Loading success")
	var sent time.Time
	harness.Eventually(t, 30*time.Second, "haproxy reload\n"+h.out.String(), func() bool {
		if strings.Count(h.out.String(), "Loading success") > before {
			return true
		}
		if time.Since(sent) >= 3*time.Second {
			h.cmd.Process.Signal(syscall.SIGUSR2)
			sent = time.Now()
		}
		return false
	})
}

// resolve is curl's --resolve for name on the placeholder's address.
func (e *env) resolve(name, fe string) []string {
	host, port, _ := net.SplitHostPort(e.addrs[fe])
	return []string{"--resolve", fmt.Sprintf("%s:%s:%s", name, port, host)}
}

// curl runs curl with args and returns its output and exit code.
func curl(t *testing.T, args ...string) (string, int) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not on PATH")
	}
	cmd := exec.Command("curl", append([]string{"-sS", "--max-time", "10"}, args...)...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// sClient runs openssl s_client against addr with args, stdin empty, and
// returns its output.
func sClient(t *testing.T, addr string, args ...string) string {
	t.Helper()
	return sClientIn(t, addr, "", args...)
}

// sClientIn is sClient with stdin: with -ign_eof and an HTTP/1.0 request
// it reads until the server closes, so TLS 1.3 tickets sent after the
// handshake are received (and saved with -sess_out).
func sClientIn(t *testing.T, addr, stdin string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not on PATH")
	}
	cmd := exec.Command("openssl", append([]string{"s_client", "-connect", addr}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// goTLS dials addr with Go's TLS client.
func (e *env) goTLS(fe, sni string, mod func(*tls.Config)) (*tls.Conn, error) {
	cfg := &tls.Config{ServerName: sni, RootCAs: e.certs.ca.Pool()}
	if mod != nil {
		mod(cfg)
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	return tls.DialWithDialer(d, "tcp", e.addrs[fe], cfg)
}

// served returns the common name of the certificate the proxy serves for
// sni (verification off: only the choice is checked).
func (e *env) served(fe, sni string) string {
	e.t.Helper()
	c, err := e.goTLS(fe, sni, func(c *tls.Config) { c.InsecureSkipVerify = true })
	if err != nil {
		return "refused: " + err.Error()
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Subject.CommonName
}
