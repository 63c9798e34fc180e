package master

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"baton/internal/worker"
	"baton/internal/worker/workertest"
)

// The test binary doubles as the worker: the master re-executes it with
// BATON_TEST_WORKER=1, and it then runs the worker with the test engine.
func TestMain(m *testing.M) {
	if os.Getenv("BATON_TEST_WORKER") == "1" {
		os.Exit(worker.Main(workertest.Factory))
	}
	os.Exit(m.Run())
}

func testLoader(paths []string) (*Snapshot, error) {
	snap := &Snapshot{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		snap.Files = append(snap.Files, worker.File{Name: p, Data: data})
	}
	c, err := workertest.Parse(snap.Files)
	if err != nil {
		return nil, err
	}
	snap.Binds, snap.HardStopAfter = c.Binds, c.HardStopAfter
	return snap, nil
}

// logBuf collects log lines and prints them if the test fails.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type fixture struct {
	t    *testing.T
	m    *Master
	cfg  string
	addr string // the bound address of the first listener
	log  *logBuf
}

func start(t *testing.T, cfg string, tweak func(*Options)) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, cfg: filepath.Join(dir, "baton.cfg"), log: &logBuf{}}
	f.write(cfg)
	opt := Options{
		ConfigPaths: []string{f.cfg},
		Load:        testLoader,
		Log:         f.log,
		Restart:     Backoff{Min: 10 * time.Millisecond, Max: 100 * time.Millisecond},
		Spare:       true, // as cmd/baton runs it
		WorkerCommand: func() *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "BATON_TEST_WORKER=1")
			cmd.Stdout, cmd.Stderr = f.log, f.log
			return cmd
		},
	}
	if tweak != nil {
		tweak(&opt)
	}
	f.m = New(opt)
	if err := f.m.Start(); err != nil {
		t.Fatalf("start: %v\n%s", err, f.log)
	}
	t.Cleanup(func() {
		f.m.Stop(false)
		select {
		case <-f.m.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("master did not stop")
		}
		if t.Failed() {
			t.Logf("log:\n%s", f.log)
		}
	})
	f.addr = f.m.Addr("127.0.0.1:0").String()
	return f
}

func (f *fixture) write(cfg string) {
	if err := os.WriteFile(f.cfg, []byte(cfg), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// greet connects and returns the connection and its greeting; the
// connection stays open (and counts as in flight) until closed.
func greet(addr string) (net.Conn, string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, "", err
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		c.Close()
		return nil, "", err
	}
	c.SetReadDeadline(time.Time{})
	return c, strings.TrimSpace(line), nil
}

func (f *fixture) greet() (net.Conn, string) {
	f.t.Helper()
	c, g, err := greet(f.addr)
	if err != nil {
		f.t.Fatalf("greeting: %v", err)
	}
	return c, g
}

func (f *fixture) reload() Result {
	f.t.Helper()
	r := f.m.Reload()
	if !r.OK {
		f.t.Fatalf("reload failed: %s", r)
	}
	return r
}

func eventually(t *testing.T, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for wait := time.Millisecond; !cond(); wait = min(2*wait, 50*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", msg)
		}
		time.Sleep(wait)
	}
}

func genOf(greeting string) int {
	var gen, pid int
	fmt.Sscanf(greeting, "gen=%d pid=%d", &gen, &pid)
	return gen
}

// TestReloadHandsOverAndDrains: after a reload new connections reach the
// new configuration, the old generation keeps its connection and exits
// once it ends.
func TestReloadHandsOverAndDrains(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\nlabel a\n", nil)
	held, g := f.greet()
	if !strings.Contains(g, "gen=1") || !strings.Contains(g, "label=a") {
		t.Fatalf("greeting %q", g)
	}
	f.write("bind 127.0.0.1:0\nlabel b\n")
	r := f.reload()
	if !strings.Contains(r.String(), "gen=2") {
		t.Errorf("reload result %q does not name the new generation", r)
	}
	c, g := f.greet()
	c.Close()
	if !strings.Contains(g, "gen=2") || !strings.Contains(g, "label=b") {
		t.Fatalf("after reload: %q", g)
	}
	procs := f.m.Procs()
	if len(procs) != 2 || procs[0].State != StateDraining || procs[0].Conns != 1 || procs[0].Reloads != 1 || procs[1].State != StateServing {
		t.Fatalf("procs %+v", procs)
	}
	show, _ := f.m.Command("show proc")
	if !strings.Contains(show, "# old workers") || !strings.Contains(show, "draining") || !strings.Contains(show, "1 [failed: 0] [restarts: 0]") {
		t.Errorf("show proc:\n%s", show)
	}
	held.Close()
	eventually(t, "old generation exits after its last connection", func() bool { return len(f.m.Procs()) == 1 })
}

// TestReloadUnderTraffic: connections made while reloading are each
// accepted by exactly one generation, none is refused or reset, and once a
// client has seen the new generation it never sees an older one again.
func TestReloadUnderTraffic(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\nlabel 1\n", nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	var total sync.Map
	for c := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := 0
			for n := 0; ; n++ {
				select {
				case <-stop:
					total.Store(c, n)
					return
				default:
				}
				conn, g, err := greet(f.addr)
				if err != nil {
					errs <- fmt.Errorf("client %d connection %d: %v", c, n, err)
					return
				}
				conn.Close()
				gen := genOf(g)
				if gen < last {
					errs <- fmt.Errorf("client %d: gen=%d answered after gen=%d had", c, gen, last)
					return
				}
				last = gen
			}
		}()
	}
	for i := 2; i <= 6; i++ {
		f.write(fmt.Sprintf("bind 127.0.0.1:0\nlabel %d\n", i))
		f.reload()
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	total.Range(func(_, v any) bool { n += v.(int); return true })
	if n < 10 {
		t.Errorf("only %d connections made during the reloads", n)
	}
	if _, g := f.greet(); genOf(g) != 6 {
		t.Errorf("final greeting %q, want gen=6", g)
	}
}

// TestBadConfigKeepsServing: a broken configuration is reported with its
// position and the running generation goes on.
func TestBadConfigKeepsServing(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\nlabel a\n", nil)
	f.write("bind 127.0.0.1:0\nerror boom\n")
	r := f.m.Reload()
	if r.OK || !strings.Contains(r.String(), "Success=0") || !strings.Contains(r.String(), "baton.cfg:2: boom") {
		t.Fatalf("reload result %q", r)
	}
	c, g := f.greet()
	c.Close()
	if genOf(g) != 1 {
		t.Fatalf("after a failed reload: %q", g)
	}
	if show, _ := f.m.Command("show proc"); !strings.Contains(show, "0 [failed: 1]") {
		t.Errorf("show proc:\n%s", show)
	}
}

// TestPortTakenFailsCleanly: a reload that adds an address someone else
// holds fails, and nothing changes.
func TestPortTakenFailsCleanly(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\n", nil)
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	f.write(fmt.Sprintf("bind 127.0.0.1:0\nbind %s\n", other.Addr()))
	r := f.m.Reload()
	if r.OK || !strings.Contains(r.String(), "bind "+other.Addr().String()) {
		t.Fatalf("reload result %q", r)
	}
	if procs := f.m.Procs(); len(procs) != 1 || procs[0].Generation != 1 {
		t.Fatalf("procs %+v", procs)
	}
	c, _ := f.greet()
	c.Close()
}

// TestDroppedListenerClosed: an address the new configuration drops is
// closed after the hand-over, and a new one is bound.
func TestDroppedListenerClosed(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\n", nil)
	probe, _ := net.Listen("tcp", "127.0.0.1:0")
	added := probe.Addr().String()
	probe.Close()
	f.write("bind " + added + "\n")
	f.reload()
	if _, err := net.DialTimeout("tcp", f.addr, time.Second); err == nil {
		t.Error("the dropped address still accepts")
	}
	c, g, err := greet(added)
	if err != nil {
		t.Fatalf("new address: %v", err)
	}
	c.Close()
	if genOf(g) != 2 {
		t.Errorf("new address answered %q", g)
	}
}

// TestConcurrentReloadsCoalesce: every concurrent requester gets a result
// and the reloads never overlap (there is one serving worker at the end).
func TestConcurrentReloadsCoalesce(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\n", nil)
	var wg sync.WaitGroup
	results := make(chan Result, 6)
	for range 6 {
		wg.Add(1)
		go func() { defer wg.Done(); results <- f.m.Reload() }()
	}
	wg.Wait()
	close(results)
	for r := range results {
		if !r.OK {
			t.Errorf("reload: %s", r)
		}
	}
	f.m.mu.Lock()
	reloads := f.m.reloads
	f.m.mu.Unlock()
	if reloads < 1 || reloads > 6 {
		t.Errorf("%d reloads for 6 requests", reloads)
	}
	serving := 0
	for _, p := range f.m.Procs() {
		if p.State == StateServing {
			serving++
		}
	}
	if serving != 1 {
		t.Errorf("%d serving generations", serving)
	}
}

// TestCrashRestart: a serving worker that dies is replaced, with the same
// configuration, and the restart is counted.
func TestCrashRestart(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\nlabel a\n", nil)
	pid := f.m.Procs()[0].PID
	syscall.Kill(pid, syscall.SIGKILL)
	eventually(t, "a new worker serves", func() bool {
		p := f.m.Procs()
		return len(p) == 1 && p[0].PID != pid && p[0].State == StateServing
	})
	c, g := f.greet()
	c.Close()
	if genOf(g) != 2 || !strings.Contains(g, "label=a") {
		t.Fatalf("after restart: %q", g)
	}
	if show, _ := f.m.Command("show proc"); !strings.Contains(show, "[restarts: 1]") {
		t.Errorf("show proc:\n%s", show)
	}
	if !strings.Contains(f.log.String(), "crashed") {
		t.Errorf("crash not logged")
	}
}

// TestMaxDraining: beyond the bound, the oldest draining generation is
// closed hard.
func TestMaxDraining(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\n", func(o *Options) { o.MaxDraining = 1 })
	c1, _ := f.greet()
	defer c1.Close()
	f.reload()
	c2, _ := f.greet()
	defer c2.Close()
	f.reload()
	c1.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c1.Read(make([]byte, 1)); err == nil {
		t.Fatal("generation 1's connection still open")
	}
	eventually(t, "generation 1 exits", func() bool {
		p := f.m.Procs()
		return len(p) == 2 && p[0].Generation == 2 && p[0].State == StateDraining
	})
}

// TestHardStopAfter bounds a draining generation.
func TestHardStopAfter(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\nhard-stop-after 100ms\n", nil)
	c, _ := f.greet()
	defer c.Close()
	f.reload()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection survived hard-stop-after")
	}
	eventually(t, "old generation exits", func() bool { return len(f.m.Procs()) == 1 })
}

// TestGracefulStop drains the in-flight connection before the master is done.
func TestGracefulStop(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\n", nil)
	c, _ := f.greet()
	f.m.Stop(true)
	select {
	case <-f.m.Done():
		t.Fatal("stopped with a connection in flight")
	default:
	}
	c.Close()
	select {
	case <-f.m.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop after the last connection")
	}
	if _, err := net.DialTimeout("tcp", f.addr, time.Second); err == nil {
		t.Error("still accepting after stop")
	}
}

// TestMasterCLI drives the socket protocol.
func TestMasterCLI(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "m.sock")
	f := start(t, "bind 127.0.0.1:0\n", func(o *Options) { o.Socket = sock })
	cli := func(line string) string {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "%s\n", line)
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		var b strings.Builder
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
		}
		return b.String()
	}
	if out := cli("help"); !strings.Contains(out, "show proc") {
		t.Errorf("help: %q", out)
	}
	if out := cli("reload"); !strings.HasPrefix(out, "Success=1\n--\n") {
		t.Errorf("reload: %q", out)
	}
	out := cli("show proc; @1 show info")
	if !strings.Contains(out, "master") || !strings.Contains(out, "serving") || !strings.Contains(out, "no runtime API") {
		t.Errorf("show proc; @1: %q", out)
	}
	if out := cli("@9 show info"); !strings.Contains(out, "No such worker") {
		t.Errorf("@9: %q", out)
	}
	if out := cli("bogus"); !strings.Contains(out, "Unknown command") {
		t.Errorf("bogus: %q", out)
	}
	_ = f
}

// ask writes one line on c and returns the answer line.
func ask(c net.Conn, r *bufio.Reader, line string) (string, error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(c, "%s\n", line); err != nil {
		return "", err
	}
	s, err := r.ReadString('\n')
	return strings.TrimSpace(s), err
}

// TestReloadMigratesIdleConnections: idle connections to generation 1 move
// to generation 2 on reload: each client's next request on the same
// connection is answered by generation 2, bytes of a request begun before
// the reload travel along, and generation 1 exits with clients connected.
func TestReloadMigratesIdleConnections(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\nlabel a\nmigrate\n", nil)
	type client struct {
		c net.Conn
		r *bufio.Reader
	}
	var clients []client
	for range 5 {
		c, err := net.DialTimeout("tcp", f.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		if g, err := r.ReadString('\n'); err != nil || genOf(g) != 1 {
			t.Fatalf("greeting: %q %v", g, err)
		}
		if g, err := ask(c, r, "hello"); err != nil || genOf(g) != 1 {
			t.Fatalf("before the reload: %q %v", g, err)
		}
		clients = append(clients, client{c, r})
	}
	// The last client has half a request in flight over the reload.
	half := clients[len(clients)-1]
	if _, err := io.WriteString(half.c, "half-"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "generation 1 holds 5 connections", func() bool {
		p := f.m.Procs()
		return len(p) == 1 && p[0].Conns == 5
	})
	f.write("bind 127.0.0.1:0\nlabel b\nmigrate\n")
	f.reload()
	if !strings.Contains(f.log.String(), "handed 5 connection(s) over") {
		t.Errorf("the master did not log the hand-over")
	}
	eventually(t, "generation 1 exits", func() bool {
		p := f.m.Procs()
		return len(p) == 1 && p[0].Generation == 2
	})
	for i, cl := range clients {
		line := "again"
		if cl == half {
			line = "request"
		}
		g, err := ask(cl.c, cl.r, line)
		if err != nil || genOf(g) != 2 || !strings.Contains(g, "label=b") {
			t.Fatalf("client %d after the reload: %q %v", i, g, err)
		}
	}
	if p := f.m.Procs(); p[0].Conns != 5 {
		t.Errorf("generation 2 holds %d connections, want 5", p[0].Conns)
	}
	// The half request was answered exactly once: the next answer is to
	// the next line.
	if g, err := ask(half.c, half.r, "more"); err != nil || genOf(g) != 2 {
		t.Fatalf("after the half request: %q %v", g, err)
	}
}

// TestReloadWithoutMigration: when the new generation's engine cannot
// adopt, idle connections stay with the old generation, which keeps
// answering them and drains as before.
func TestReloadWithoutMigration(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\nlabel a\nmigrate\n", nil)
	c, err := net.DialTimeout("tcp", f.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if g, err := r.ReadString('\n'); err != nil || genOf(g) != 1 {
		t.Fatalf("greeting: %q %v", g, err)
	}
	f.write("bind 127.0.0.1:0\nlabel b\n") // no "migrate": gen 2 cannot adopt
	f.reload()
	if g, err := ask(c, r, "again"); err != nil || genOf(g) != 1 {
		t.Fatalf("after the reload: %q %v", g, err)
	}
	if p := f.m.Procs(); len(p) != 2 || p[0].State != StateDraining || p[0].Conns != 1 {
		t.Fatalf("procs %+v", p)
	}
	c.Close()
	eventually(t, "generation 1 exits after its last connection", func() bool { return len(f.m.Procs()) == 1 })
}
