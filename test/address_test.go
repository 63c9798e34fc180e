package e2e_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"baton/test/harness"
)

// portPair returns two consecutive free loopback ports, for a range.
func portPair(t *testing.T) int {
	t.Helper()
	for range 50 {
		a := harness.FreeAddr(t)
		_, ps, _ := net.SplitHostPort(a)
		p, _ := strconv.Atoi(ps)
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1)); err == nil {
			ln.Close()
			return p
		}
	}
	t.Fatal("no two consecutive free ports")
	return 0
}

// askOK sends a request over c and wants the 200 "ok" of langBase.
func askOK(t *testing.T, what string, c net.Conn, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	r, err := harness.ReadResponse(bufio.NewReader(c), "GET")
	if err != nil || r.Status != 200 || string(r.Body) != "ok" {
		t.Errorf("%s: %v %v", what, r, err)
	}
}

// TestBindAddressForms: one frontend listening on a UNIX socket file (its
// mode and group from unix-bind and the bind line), an abstract socket,
// an ipv4@ address, a port range and an address list answers on each,
// under Baton and HAProxy.
func TestBindAddressForms(t *testing.T) {
	for _, impl := range []string{"baton", "haproxy"} {
		t.Run(impl, func(t *testing.T) {
			dir := t.TempDir()
			os.Chmod(dir, 0o755)
			sock := filepath.Join(dir, "fe.sock")
			abns := fmt.Sprintf("baton-e2e-%s-%d", impl, os.Getpid())
			p := portPair(t)
			v4 := harness.FreeAddr(t)
			l1, l2 := harness.FreeAddr(t), harness.FreeAddr(t)
			group, owner := "", ""
			if os.Getuid() == 0 {
				if g, err := user.LookupGroup("nogroup"); err == nil {
					group, owner = " group nogroup", g.Gid
				}
			}
			binds := fmt.Sprintf("%s\n    bind abns@%s\n    bind ipv4@%s\n    bind 127.0.0.1:%d-%d\n    bind %s,%s",
				"unix@fe.sock"+group, abns, v4, p, p+1, l1, l2)
			// The port is claimed for this test on 127.0.0.1 (FreeAddr); use
			// it on ::1 too, when the machine has an IPv6 loopback.
			_, port, _ := net.SplitHostPort(harness.FreeAddr(t))
			v6 := "[::1]:" + port
			if ln, err := net.Listen("tcp6", v6); err == nil {
				ln.Close()
				binds += "\n    bind ipv6@" + v6
			} else {
				v6 = ""
			}
			cfg := fmt.Sprintf(langBase, "    unix-bind prefix "+dir+"/ mode 620", binds, "")
			wait := []string{v4, l1, l2}
			if impl == "baton" {
				harness.Start(t, cfg, wait)
			} else {
				harness.StartHAProxy(t, cfg, wait)
			}
			c, err := net.Dial("unix", sock)
			askOK(t, "unix socket file", c, err)
			// HAProxy's abstract names fill the whole address with NULs.
			c, err = net.Dial("unix", "@"+abns+strings.Repeat("\x00", 107-len(abns)))
			askOK(t, "abstract socket", c, err)
			for _, a := range []string{v4, fmt.Sprintf("127.0.0.1:%d", p), fmt.Sprintf("127.0.0.1:%d", p+1), l1, l2, v6} {
				if a == "" {
					continue // no IPv6 loopback here
				}
				c, err = net.Dial("tcp", a)
				askOK(t, a, c, err)
			}
			fi, err := os.Stat(sock)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o620 {
				t.Errorf("socket file mode %v, want 0620 (unix-bind mode)", fi.Mode().Perm())
			}
			if gid := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Gid)); owner != "" && gid != owner {
				t.Errorf("socket file group %s, want %s (bind group)", gid, owner)
			}
		})
	}
}

// TestBindInheritedFD: "bind fd@N" serves the socket the proxy inherited
// on descriptor N (here from the test, through the environment, as VTest
// does), under Baton and HAProxy.
func TestBindInheritedFD(t *testing.T) {
	for _, impl := range []string{"baton", "haproxy"} {
		t.Run(impl, func(t *testing.T) {
			bin := harness.Binary(t)
			args := []string{"-d"}
			if impl == "haproxy" {
				if bin = harness.HAProxyPath(); bin == "" {
					t.Skip("haproxy not on PATH")
				}
				args = []string{"-db"}
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			f, err := ln.(*net.TCPListener).File()
			ln.Close()
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			addr := ln.Addr().String()
			path := filepath.Join(t.TempDir(), "fd.cfg")
			os.WriteFile(path, []byte(fmt.Sprintf(langBase, "", `"fd@${BATON_E2E_FD}"`, "")), 0o644)
			cmd := exec.Command(bin, append(args, "-f", path)...)
			cmd.ExtraFiles = []*os.File{f} // descriptor 3
			cmd.Env = append(os.Environ(), "BATON_E2E_FD=3")
			out := &harness.Output{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Signal(syscall.SIGINT)
				done := make(chan struct{})
				go func() { cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					cmd.Process.Kill()
					<-done
				}
			}()
			f.Close() // the proxy holds its own copy now
			c, err := net.Dial("tcp", addr)
			askOK(t, "inherited socket", c, err)
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

// TestStatsSocketForms: a stats socket on a TCP address answers, and a
// socket file gets the user, group and mode of its line, under Baton and
// HAProxy.
func TestStatsSocketForms(t *testing.T) {
	for _, impl := range []string{"baton", "haproxy"} {
		t.Run(impl, func(t *testing.T) {
			dir := t.TempDir()
			os.Chmod(dir, 0o755)
			file := filepath.Join(dir, "stats.sock")
			tcp := harness.FreeAddr(t)
			owner := ""
			if os.Getuid() == 0 {
				if u, err := user.Lookup("nobody"); err == nil {
					owner = " user nobody group nogroup"
					_ = u
				}
			}
			front := harness.FreeAddr(t)
			global := fmt.Sprintf("    stats socket %s level admin\n    stats socket %s mode 640%s\n    stats timeout 1s", tcp, file, owner)
			cfg := fmt.Sprintf(langBase, global, front, "")
			if impl == "baton" {
				harness.Start(t, cfg, []string{front})
			} else {
				harness.StartHAProxy(t, cfg, []string{front})
			}
			var answer string
			harness.Eventually(t, 10*time.Second, "the TCP stats socket answers help", func() bool {
				c, err := net.DialTimeout("tcp", tcp, time.Second)
				if err != nil {
					return false
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(c, "help\n")
				b, _ := io.ReadAll(c)
				answer = string(b)
				return strings.Contains(answer, "help")
			})
			// stats timeout: a session that says nothing is closed.
			idle, err := net.DialTimeout("tcp", tcp, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer idle.Close()
			start := time.Now()
			idle.SetReadDeadline(start.Add(10 * time.Second))
			if _, err := idle.Read(make([]byte, 1)); err != io.EOF || time.Since(start) < 500*time.Millisecond {
				t.Errorf("idle stats session: %v after %v; want it closed after stats timeout 1s", err, time.Since(start))
			}
			fi, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o640 {
				t.Errorf("stats socket file mode %v, want 0640", fi.Mode().Perm())
			}
			if owner != "" {
				st := fi.Sys().(*syscall.Stat_t)
				u, _ := user.Lookup("nobody")
				g, _ := user.LookupGroup("nogroup")
				if strconv.Itoa(int(st.Uid)) != u.Uid || strconv.Itoa(int(st.Gid)) != g.Gid {
					t.Errorf("stats socket file owner %d:%d, want nobody:nogroup", st.Uid, st.Gid)
				}
			}
		})
	}
}
