package harness

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// RepoRoot returns the repository root (the directory holding go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Binary builds cmd/baton once per test process and returns its path. The
// environment variable BATON_BIN, when set, names a prebuilt binary to use
// instead.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("BATON_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "baton-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "baton")
		args := []string{"build", "-o", buildPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/baton")...)
		cmd.Dir = RepoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/baton: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// FreeAddr returns a loopback "127.0.0.1:port" that was free a moment ago,
// for configurations that must name their ports. The port comes from below
// the kernel's ephemeral range, so no listen on port 0 and no outgoing
// connection can take it before the process under test binds it, and it
// is never handed out twice: not by this test process (parallel tests
// would race for the same just-released port) and not by another one
// (go test runs packages as parallel processes, and HAProxy binds with
// SO_REUSEPORT, so two proxies could share a port without an error): a
// port is claimed with an exclusive lock on a file named after it, held
// until this process exits.
func FreeAddr(t testing.TB) string {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	lo, hi := 10000, ephemeralLow()-1
	for range 200 {
		if hi-lo < 1000 {
			break // unusual port range: let the kernel pick
		}
		p := lo + rand.IntN(hi-lo)
		if handedOut[p] {
			continue
		}
		handedOut[p] = true // claimed or not, never tried again
		if !claimPort(p) {
			continue
		}
		addr := "127.0.0.1:" + strconv.Itoa(p)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		return addr
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

var (
	portMu    sync.Mutex
	handedOut = map[int]bool{}
	// portLocks keeps the claimed ports' lock files open: a lock lasts
	// as long as its descriptor, so until this process exits.
	portLocks []*os.File
)

// claimPort takes port p for this process across every test process of
// the machine: an exclusive, non-blocking flock on a file named after it.
// Called with portMu held.
func claimPort(p int) bool {
	dir := filepath.Join(os.TempDir(), "baton-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return true // no lock directory: fall back to this process's own bookkeeping
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(p)), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return true
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return false // another test process holds it
	}
	portLocks = append(portLocks, f)
	return true
}

// ephemeralLow returns the first port of the kernel's ephemeral range
// (Linux default 32768).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n
			}
		}
	}
	return 32768
}

// Eventually polls cond every few milliseconds until it returns true or
// timeout passes, then fails the test with msg.
func Eventually(t testing.TB, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; ; wait = min(wait*2, 50*time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v: %s", timeout, msg)
		}
		time.Sleep(wait)
	}
}

// Output collects a process's output lines for assertions.
type Output struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines []string
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	for {
		i := bytes.IndexByte(o.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		o.lines = append(o.lines, string(o.buf.Next(i + 1)[:i]))
	}
	return len(p), nil
}

// Lines returns a copy of the complete lines written so far.
func (o *Output) Lines() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.lines...)
}

// Contains reports whether a complete line containing s was written.
func (o *Output) Contains(s string) bool {
	for _, l := range o.Lines() {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func (o *Output) String() string { return strings.Join(o.Lines(), "\n") }

// Baton is a running master process.
type Baton struct {
	t testing.TB
	process
	Dir    string
	Config string // path of the configuration file
	Socket string // master CLI socket
	Stdout *Output
	Stderr *Output
}

// Start writes cfg into a temporary file and runs "baton -f FILE -S SOCK"
// with extra args. It waits until every address in waitAddrs accepts a
// connection. The process is stopped (SIGQUIT then SIGKILL) at cleanup.
func Start(t testing.TB, cfg string, waitAddrs []string, args ...string) *Baton {
	t.Helper()
	dir := t.TempDir()
	b := &Baton{
		t:      t,
		Dir:    dir,
		Config: filepath.Join(dir, "baton.cfg"),
		Socket: filepath.Join(dir, "master.sock"),
		Stdout: &Output{},
		Stderr: &Output{},
	}
	b.WriteConfig(cfg)
	all := append([]string{"-f", b.Config, "-S", b.Socket}, args...)
	b.Cmd = exec.Command(Binary(t), all...)
	b.Cmd.Stdout = b.Stdout
	b.Cmd.Stderr = b.Stderr
	b.start(t, syscall.SIGQUIT)
	for _, a := range waitAddrs {
		b.WaitListening(a)
	}
	return b
}

// WriteConfig replaces the configuration file (for a later reload).
func (b *Baton) WriteConfig(cfg string) {
	b.t.Helper()
	if err := os.WriteFile(b.Config, []byte(cfg), 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// WaitListening waits until addr accepts TCP connections, failing the test
// if the process exits first.
func (b *Baton) WaitListening(addr string) {
	b.t.Helper()
	waitListening(b.t, addr, b.exited, func() string { return b.Stderr.String() })
}

// waitListening polls addr until it accepts, failing the test if exited is
// closed first; diag supplies the process output for the failure message.
func waitListening(t testing.TB, addr string, exited <-chan struct{}, diag func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for wait := time.Millisecond; ; wait = min(wait*2, 50*time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("process exited before listening on %s; output:\n%s", addr, diag())
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listening on %s after 10s; output:\n%s", addr, diag())
		}
		time.Sleep(wait)
	}
}

// WorkerPIDs returns the PIDs of the worker generations "show proc"
// lists (serving, starting or draining); the master's spare worker, a
// process that serves nothing yet, is not one of them.
func (b *Baton) WorkerPIDs() []int { return ProcPIDs(b.CLI("show proc"), "worker") }

// ProcPIDs returns the PIDs of the rows of show, a "show proc" answer,
// whose type is kind ("master", "worker" or "spare").
func ProcPIDs(show, kind string) []int {
	var pids []int
	for _, l := range strings.Split(show, "\n") {
		f := strings.Fields(l)
		if len(f) > 1 && f[1] == kind {
			if pid, err := strconv.Atoi(f[0]); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// CLI sends one command to the master CLI and returns its whole answer.
func (b *Baton) CLI(command string) string {
	b.t.Helper()
	c, err := net.DialTimeout("unix", b.Socket, 5*time.Second)
	if err != nil {
		b.t.Fatalf("master CLI: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(c, "%s\n", command); err != nil {
		b.t.Fatalf("master CLI: %v", err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		out.WriteString(sc.Text())
		out.WriteByte('\n')
	}
	return out.String()
}

// Reload runs "baton reload -S SOCK" and returns its output and exit code.
func (b *Baton) Reload() (string, int) {
	b.t.Helper()
	cmd := exec.Command(Binary(b.t), "reload", "-S", b.Socket)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		b.t.Fatalf("baton reload: %v", err)
	}
	return string(out), code
}

// Signal sends sig to the master.
func (b *Baton) Signal(sig syscall.Signal) {
	b.t.Helper()
	if err := b.Cmd.Process.Signal(sig); err != nil {
		b.t.Fatalf("signal %v: %v", sig, err)
	}
}

// Wait waits up to timeout for the master to exit and returns its exit code.
func (b *Baton) Wait(timeout time.Duration) int {
	b.t.Helper()
	select {
	case <-b.exited:
	case <-time.After(timeout):
		b.t.Fatalf("baton did not exit within %v\nstderr:\n%s", timeout, b.Stderr)
	}
	if ee, ok := b.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return 0
}

// Check runs "baton -c [extra] -f FILE" on cfg and returns the combined
// output and exit code.
func Check(t testing.TB, cfg string, extra ...string) (string, int) {
	t.Helper()
	return runCheck(t, cfg, Binary(t), append([]string{"-c"}, extra...)...)
}

// runCheck writes cfg to a file, runs "bin args... -f FILE" and returns
// the combined output and exit code.
func runCheck(t testing.TB, cfg, bin string, args ...string) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "check.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, append(args, "-f", path)...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// Main runs a test package's tests with -parallel raised to parallel
// unless given explicitly (end-to-end scenarios mostly wait on loopback
// I/O and timers, so GOMAXPROCS at a time would be needlessly slow), then
// calls after, and returns the exit code for os.Exit.
func Main(m *testing.M, parallel int, after func()) int {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", strconv.Itoa(parallel))
	}
	code := m.Run()
	if after != nil {
		after()
	}
	return code
}
