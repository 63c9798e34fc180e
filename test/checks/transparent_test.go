package checks_test

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// inNetns is set in the copy of the test binary that runs inside a
// network namespace of its own.
const inNetns = "BATON_CHECKS_NETNS"

// TestTransparentSource: "source 0.0.0.0 usesrc clientip" and "usesrc
// client" connect to the server from the client's address (here the
// source of a PROXY header, 10.9.9.9, which is not an address of the
// machine: IP_TRANSPARENT binds it). It runs in a network namespace the
// test creates (unshare, as root), where answers to 10.9.9.0/24 are
// routed to the host (policy routing, as a TPROXY setup does) while
// binding those addresses needs IP_TRANSPARENT; a "bind ... transparent"
// listens on one of them.
func TestTransparentSource(t *testing.T) {
	if os.Getenv(inNetns) == "" {
		runInNetns(t, "TestTransparentSource")
		return
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"addr", "add", "10.2.0.1/32", "dev", "lo"},
		// Answers to 10.9.9.0/24 are delivered here (policy routing, as
		// for TPROXY), but the addresses are not the machine's.
		{"route", "add", "local", "10.9.9.0/24", "dev", "lo", "table", "100"},
		{"rule", "add", "iif", "lo", "lookup", "100"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v %s", strings.Join(args, " "), err, out)
		}
	}
	if l, err := net.Listen("tcp", "10.9.9.9:0"); err == nil {
		l.Close()
		t.Fatal("10.9.9.9 is a local address: IP_TRANSPARENT would not be tested")
	}
	ln, err := net.Listen("tcp", "10.2.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "%s\n", c.RemoteAddr())
			c.Close()
		}
	}()
	// Each proxy's client comes from its own port: with the same one,
	// the second proxy's connection to the server would reuse the
	// first's four-tuple, which the server may still hold in TIME_WAIT
	// (it closes first) and answer with a reset.
	clientPort := 5554
	both(t, func(t *testing.T, start starter) []string {
		clientPort++
		ip, client := harness.FreeAddr(t), harness.FreeAddr(t)
		nonLocal := "10.9.9.1:" + port(harness.FreeAddr(t))
		start(tcpLogged+`
listen clientip
  bind `+ip+` accept-proxy
  source 0.0.0.0 usesrc clientip
  server s `+ln.Addr().String()+`
listen client
  bind `+client+` accept-proxy
  server s `+ln.Addr().String()+` source 0.0.0.0 usesrc client
listen nonlocal
  bind `+nonLocal+` transparent
  server s `+ln.Addr().String()+`
`, ip, client)
		var got []string
		for _, fe := range []string{ip, client} {
			c := dial(t, fe)
			fmt.Fprintf(c, "PROXY TCP4 10.9.9.9 10.2.0.1 %d 80\r\n", clientPort)
			l, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				t.Fatalf("through %s: %v", fe, err)
			}
			got = append(got, strings.TrimSpace(l))
		}
		// A bind on an address that is not the machine's, with
		// "transparent": it listens (connecting to it would need more
		// routing than this namespace has).
		harness.Eventually(t, 5*time.Second, "listening on "+nonLocal, func() bool { return listening(nonLocal) })
		if host, _, _ := net.SplitHostPort(got[0]); host != "10.9.9.9" {
			t.Errorf("usesrc clientip: the server saw %s", got[0])
		}
		if want := fmt.Sprintf("10.9.9.9:%d", clientPort); got[1] != want {
			t.Errorf("usesrc client: the server saw %s, want %s", got[1], want)
		}
		got[0], _, _ = net.SplitHostPort(got[0]) // the port is the kernel's
		got[1], _, _ = net.SplitHostPort(got[1]) // and the other each proxy's own
		return got
	})
}

// runInNetns runs the test named name in a copy of this test binary in
// a new network namespace, and reports its outcome.
func runInNetns(t *testing.T, name string) {
	if os.Geteuid() != 0 {
		t.Skip("creating a network namespace needs root")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare not installed")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) not installed")
	}
	cmd := exec.Command("unshare", "--net", os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), inNetns+"=1", "BATON_BIN="+harness.Binary(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("in a network namespace: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("in a network namespace, the test did not pass:\n%s", out)
	}
	t.Logf("ran in a network namespace:\n%s", lastLines(string(out), 8))
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(ls[max(0, len(ls)-n):], "\n")
}

// listening reports whether a TCP socket listens on addr (an IPv4
// address and port), from /proc/net/tcp.
func listening(addr string) bool {
	ap := netip.MustParseAddrPort(addr)
	ip := ap.Addr().As4()
	want := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ap.Port())
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 3 && f[1] == want && f[3] == "0A" {
			return true
		}
	}
	return false
}
