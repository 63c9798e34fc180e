package reload_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"baton/test/harness"
)

// stormConfig is configuration number n: every response says which one
// answered it (X-Config), so the test can tell the last one written from
// all the others.
func stormConfig(front, backend string, n int) string {
	return fmt.Sprintf(`global
    hard-stop-after 20s
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind %s
    http-response set-header X-Config %d
    default_backend be
backend be
    server s1 %s
`, front, n, backend)
}

// writeAtomically replaces path without a moment where a reload could
// read a half-written file.
func writeAtomically(t *testing.T, path, data string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// rawGet sends one GET on c and reads the answer: the X-Config header and
// whether the server announced it closes the connection. Any other status
// than 200 is an error.
func rawGet(c net.Conn, r *bufio.Reader, close bool) (config string, closing bool, err error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	conn := ""
	if close {
		conn = "Connection: close\r\n"
	}
	if _, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: storm\r\n%s\r\n", conn); err != nil {
		return "", false, err
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return "", false, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "", false, err
	}
	if resp.StatusCode != 200 {
		return "", false, fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp.Header.Get("X-Config"), resp.Close, nil
}

// freshGet answers one request on a new connection.
func freshGet(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	cfg, _, err := rawGet(c, bufio.NewReader(c), true)
	return cfg, err
}

// children returns the PIDs whose parent is pid, from /proc.
func children(t *testing.T, pid int) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the
		// last ')'.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[0] == "Z" {
			continue
		}
		if pp, _ := strconv.Atoi(f[1]); pp == pid {
			out = append(out, p)
		}
	}
	return out
}

// workerChildren returns master's children minus the spare worker that
// show, the master's "show proc", lists under "# spare": a process the
// master starts ahead of the next reload, which serves nothing yet.
func workerChildren(t *testing.T, master int, show string) []int {
	t.Helper()
	spares := harness.ProcPIDs(show, "spare")
	var out []int
	for _, p := range children(t, master) {
		if !slices.Contains(spares, p) {
			out = append(out, p)
		}
	}
	return out
}

// tagged returns the live processes whose environment holds tag: the
// master and, through inheritance, every worker it started.
func tagged(tag string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue // gone, or a zombie
		}
		for _, kv := range strings.Split(string(env), "\x00") {
			if kv == tag {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// stormTraffic runs clients until stop is closed: half open a connection
// per request, half keep theirs alive (a fresh one only after the server
// announced Connection: close). Every error counts as a failure.
type stormTraffic struct {
	requests, failures atomic.Int64
	mu                 sync.Mutex
	failMsgs           []string
	wg                 sync.WaitGroup
}

func (s *stormTraffic) fail(format string, args ...any) {
	s.failures.Add(1)
	s.mu.Lock()
	if len(s.failMsgs) < 10 {
		s.failMsgs = append(s.failMsgs, fmt.Sprintf(format, args...))
	}
	s.mu.Unlock()
}

func (s *stormTraffic) run(addr string, clients int, stop <-chan struct{}) {
	for i := range clients {
		keepAlive := i%2 == 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			var c net.Conn
			var r *bufio.Reader
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if c == nil {
					var err error
					if c, err = net.DialTimeout("tcp", addr, 5*time.Second); err != nil {
						s.requests.Add(1)
						s.fail("dial: %v", err)
						c = nil
						continue
					}
					r = bufio.NewReader(c)
				}
				s.requests.Add(1)
				_, closing, err := rawGet(c, r, !keepAlive)
				if err != nil {
					s.fail("keepalive=%v: %v", keepAlive, err)
				}
				if err != nil || closing || !keepAlive {
					c.Close()
					c = nil
				}
			}
		}()
	}
}

// TestReloadStorm: a reload every 50 ms for 10 s (the figure), alternately
// by SIGHUP and through the master CLI, under continuous traffic on new
// and kept-alive connections. No request fails, no reload request is lost
// (the last configuration written serves at the end), and no process is
// left over: the master ends with exactly one worker child, and after
// SIGTERM no process of this test remains.
func TestReloadStorm(t *testing.T) {
	const (
		period   = 50 * time.Millisecond
		duration = 10 * time.Second
	)
	tag := fmt.Sprintf("BATON_STORM_TAG=%d-%d", os.Getpid(), time.Now().UnixNano())
	name, value, _ := strings.Cut(tag, "=")
	t.Setenv(name, value) // inherited by the master and its workers

	a := backend(t, "a")
	front := harness.FreeAddr(t)
	bt := harness.Start(t, stormConfig(front, a, 0), []string{front})
	master := bt.Cmd.Process.Pid

	var traffic stormTraffic
	stop := make(chan struct{})
	traffic.run(front, 8, stop)

	var cliWG sync.WaitGroup
	var cliFailures atomic.Int64
	var cliMu sync.Mutex
	var cliMsgs []string
	n := 0
	tick := time.NewTicker(period)
	deadline := time.Now().Add(duration)
	for time.Now().Before(deadline) {
		<-tick.C
		n++
		writeAtomically(t, bt.Config, stormConfig(front, a, n))
		if n%2 == 1 {
			bt.Signal(syscall.SIGHUP)
			continue
		}
		cliWG.Add(1)
		go func() {
			defer cliWG.Done()
			out, err := cliCommand(bt.Socket, "reload")
			if err != nil || !strings.HasPrefix(out, "Success=1") {
				cliFailures.Add(1)
				cliMu.Lock()
				cliMsgs = append(cliMsgs, fmt.Sprintf("%v\n%s", err, out))
				cliMu.Unlock()
			}
		}()
	}
	tick.Stop()
	cliWG.Wait()
	// The last configuration, by signal only: a SIGHUP arriving while a
	// reload runs must cause one more reload, not vanish.
	n++
	last := strconv.Itoa(n)
	writeAtomically(t, bt.Config, stormConfig(front, a, n))
	bt.Signal(syscall.SIGHUP)
	harness.Eventually(t, 15*time.Second, "configuration "+last+" serves", func() bool {
		got, err := freshGet(front)
		return err == nil && got == last
	})
	close(stop)
	traffic.wg.Wait()

	if n < 100 {
		t.Errorf("only %d reloads requested", n)
	}
	if f := cliFailures.Load(); f > 0 {
		t.Errorf("%d CLI reloads failed, e.g.:\n%s", f, strings.Join(cliMsgs[:min(3, len(cliMsgs))], "\n"))
	}
	if f := traffic.failures.Load(); f > 0 {
		t.Errorf("%d of %d requests failed during the storm, e.g.:\n%s", f, traffic.requests.Load(), strings.Join(traffic.failMsgs, "\n"))
		for _, l := range bt.Stderr.Lines() {
			if !strings.Contains(l, "reload: success") && !strings.Contains(l, "reloading") {
				t.Log(l)
			}
		}
	}
	if r := traffic.requests.Load(); r < 500 {
		t.Errorf("only %d requests made", r)
	}
	t.Logf("%d reload requests, %d requests", n, traffic.requests.Load())

	// Every draining generation ends (the soft-stop window is 1 s):
	// exactly one worker child and one serving generation remain.
	var show string
	harness.Eventually(t, 15*time.Second, "exactly one worker child left", func() bool {
		show = bt.CLI("show proc")
		return len(workerChildren(t, master, show)) == 1 && strings.Count(show, " serving ") == 1 &&
			!strings.Contains(show, "draining") && !strings.Contains(show, "starting")
	})
	if strings.Contains(show, "[failed: ") && !strings.Contains(show, "[failed: 0]") {
		t.Errorf("failed reloads:\n%s", show)
	}
	if kid := workerChildren(t, master, show)[0]; !strings.Contains(show, strconv.Itoa(kid)+" ") {
		t.Errorf("worker child %d is not the one in show proc:\n%s", kid, show)
	}
	t.Logf("show proc after the storm:\n%s", show)

	bt.Signal(syscall.SIGTERM)
	if code := bt.Wait(15 * time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, bt.Stderr)
	}
	harness.Eventually(t, 10*time.Second, "no process of this test left", func() bool {
		return len(tagged(tag)) == 0
	})
}

// cliCommand sends one line to the master CLI and returns the answer.
func cliCommand(socket, line string) (string, error) {
	c, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}
