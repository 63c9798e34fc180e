package harness

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"baton/internal/resolve"
)

// DNSMasqPath returns the dnsmasq executable (Debian's dnsmasq-base puts
// it in /usr/sbin), or "" when there is none.
func DNSMasqPath() string {
	if p, err := exec.LookPath("dnsmasq"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/dnsmasq"); err == nil {
		return "/usr/sbin/dnsmasq"
	}
	return ""
}

// DNS is a dnsmasq name server on a loopback port, answering A records
// from a hosts file that SetHosts rewrites (dnsmasq re-reads it on
// SIGHUP). It is authoritative for ".test": other record types of a known
// name get an empty answer, unknown names NXDOMAIN.
type DNS struct {
	t testing.TB
	process
	Addr   string // "127.0.0.1:port", UDP (and TCP)
	dir    string
	hosts  string
	Stderr *Output
}

// StartDNS runs dnsmasq in the foreground with an empty hosts file and
// the extra dnsmasq options given (e.g. --srv-host=...); the test is
// skipped when dnsmasq is not installed. It is stopped at cleanup.
func StartDNS(t testing.TB, options ...string) *DNS {
	t.Helper()
	if DNSMasqPath() == "" {
		t.Skip("dnsmasq not installed (Debian: dnsmasq-base)")
	}
	dir := t.TempDir()
	d := &DNS{t: t, Addr: FreeAddr(t), dir: dir, hosts: filepath.Join(dir, "hosts")}
	if err := os.WriteFile(d.hosts, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d.run(options)
	return d
}

// run starts dnsmasq and waits until it answers.
func (d *DNS) run(options []string) {
	t := d.t
	t.Helper()
	_, port, _ := net.SplitHostPort(d.Addr)
	args := append([]string{"--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
		"--addn-hosts=" + d.hosts, "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces",
		"--local=/test/", "--user=root", "--pid-file=" + filepath.Join(d.dir, "dnsmasq.pid"), "--log-facility=-"}, options...)
	d.Stderr = &Output{}
	d.Cmd = exec.Command(DNSMasqPath(), args...)
	d.Cmd.Stdout = d.Stderr
	d.Cmd.Stderr = d.Stderr
	d.start(t, syscall.SIGTERM)
	Eventually(t, 10*time.Second, "dnsmasq answering on "+d.Addr, func() bool {
		if d.Exited() {
			t.Fatalf("dnsmasq exited:\n%s", d.Stderr)
		}
		_, err := d.LookupA("probe.test")
		return err == nil || strings.Contains(err.Error(), "NXDOMAIN")
	})
}

// Restart runs dnsmasq again on the same port and hosts file, with new
// options: what SIGHUP does not re-read (SRV records) changes so.
func (d *DNS) Restart(options ...string) {
	d.t.Helper()
	d.Kill()
	d.run(options)
}

// SetHosts makes each name resolve to its addresses (IPv4), replacing
// every earlier entry, and returns once dnsmasq answers accordingly.
func (d *DNS) SetHosts(hosts map[string][]string) {
	d.t.Helper()
	var b strings.Builder
	names := make([]string, 0, len(hosts))
	for n := range hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, a := range hosts[n] {
			fmt.Fprintf(&b, "%s %s\n", a, n)
		}
	}
	tmp := d.hosts + ".new"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		d.t.Fatal(err)
	}
	if err := os.Rename(tmp, d.hosts); err != nil {
		d.t.Fatal(err)
	}
	if err := d.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		d.t.Fatalf("SIGHUP dnsmasq: %v", err)
	}
	Eventually(d.t, 10*time.Second, "dnsmasq answering the new hosts", func() bool {
		for _, n := range names {
			got, err := d.LookupA(n)
			if err != nil {
				return false
			}
			want := sortAddrs(slices.Clone(hosts[n]))
			if strings.Join(got, " ") != strings.Join(want, " ") {
				return false
			}
		}
		return true
	})
}

// LookupA asks dnsmasq for name's A records and returns them sorted.
func (d *DNS) LookupA(name string) ([]string, error) {
	c, err := net.Dial("udp", d.Addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	id := uint16(time.Now().UnixNano())
	q, err := resolve.AppendQuery(nil, id, name, resolve.TypeA, 512)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write(q); err != nil {
		return nil, err
	}
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		return nil, err
	}
	m, err := resolve.Parse(buf[:n])
	if err != nil {
		return nil, err
	}
	if m.ID != id {
		return nil, fmt.Errorf("answer to query %d, not %d", m.ID, id)
	}
	if m.RCode == resolve.RCodeNXDomain {
		return nil, fmt.Errorf("%s: NXDOMAIN", name)
	}
	var out []string
	for _, r := range m.Answers {
		if r.Type == resolve.TypeA {
			out = append(out, r.Addr.String())
		}
	}
	return sortAddrs(out), nil
}

// sortAddrs sorts IP addresses in numeric order.
func sortAddrs(a []string) []string {
	sort.Slice(a, func(i, j int) bool {
		x, _ := netip.ParseAddr(a[i])
		y, _ := netip.ParseAddr(a[j])
		return x.Less(y)
	})
	return a
}

// Kill stops dnsmasq at once: queries go unanswered from now on.
func (d *DNS) Kill() {
	d.t.Helper()
	d.Cmd.Process.Kill()
	Eventually(d.t, 10*time.Second, "dnsmasq gone", d.Exited)
}
