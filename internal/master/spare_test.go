package master

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// sparePID is the spare's PID, or 0 when there is none.
func (f *fixture) sparePID() int {
	f.m.spareMu.Lock()
	defer f.m.spareMu.Unlock()
	if f.m.spare == nil {
		return 0
	}
	return f.m.spare.cmd.Process.Pid
}

// TestSpareBecomesTheNextGeneration: a reload that finds a spare starts
// the new generation in it (same PID, descriptors passed, configuration
// applied), a new spare follows, and a stop leaves no process behind.
func TestSpareBecomesTheNextGeneration(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\nbind 127.0.0.2:0\nlabel a\n", nil)
	var spares []int
	for i, label := range []string{"b", "c", "d"} {
		var pid int
		eventually(t, "a spare is ready", func() bool { pid = f.sparePID(); return pid != 0 })
		spares = append(spares, pid)
		f.write("bind 127.0.0.1:0\nbind 127.0.0.2:0\nlabel " + label + "\n")
		r := f.reload()
		want := fmt.Sprintf("gen=%d pid=%d serving", i+2, pid)
		if !strings.Contains(r.String(), want) {
			t.Fatalf("reload %d: %q does not say %q", i+1, r, want)
		}
		c, g := f.greet()
		c.Close()
		if !strings.Contains(g, fmt.Sprintf("pid=%d", pid)) || !strings.Contains(g, "label="+label) {
			t.Fatalf("reload %d: greeting %q, want the spare's pid %d and label %s", i+1, g, pid, label)
		}
	}
	last := 0
	eventually(t, "a spare is ready after the last reload", func() bool { last = f.sparePID(); return last != 0 })
	f.m.Stop(false)
	<-f.m.Done()
	for _, pid := range append(spares, last) {
		// Reaped: the PID is gone (a zombie would still answer).
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("process %d still exists after the stop (kill 0: %v)", pid, err)
		}
	}
}

// TestDeadSpareIsReplaced: a spare that died before a reload is reaped and
// the reload executes a worker as usual.
func TestDeadSpareIsReplaced(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\nlabel a\n", nil)
	var pid int
	eventually(t, "a spare is ready", func() bool { pid = f.sparePID(); return pid != 0 })
	syscall.Kill(pid, syscall.SIGKILL)
	// Not reaped yet: a zombie, left for takeSpare to reap.
	eventually(t, "the spare died", func() bool { return isZombie(pid) })
	f.write("bind 127.0.0.1:0\nlabel b\n")
	r := f.reload()
	if strings.Contains(r.String(), fmt.Sprintf("pid=%d ", pid)) {
		t.Fatalf("reload used the dead spare: %q", r)
	}
	c, g := f.greet()
	c.Close()
	if !strings.Contains(g, "label=b") {
		t.Fatalf("greeting %q", g)
	}
	if !strings.Contains(f.log.String(), fmt.Sprintf("spare worker pid=%d had exited", pid)) {
		t.Errorf("no log line about the dead spare:\n%s", f.log)
	}
}

// isZombie says whether pid has exited and awaits its parent's wait.
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces, the state follows ")".
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// TestSpareDyingAtItsStartIsReplaced: a spare that dies after a reload
// took it, before it could answer (here killed at once), costs that
// reload nothing: an executed worker serves the new configuration.
func TestSpareDyingAtItsStartIsReplaced(t *testing.T) {
	var killed atomic.Int64
	f := start(t, "bind 127.0.0.1:0\nlabel a\n", func(o *Options) {})
	f.m.onSpareTaken = func(pid int) {
		syscall.Kill(pid, syscall.SIGKILL)
		// Wait until it is gone for good (a zombie holds no socket).
		for deadline := time.Now().Add(10 * time.Second); !isZombie(pid) && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond) // a poll with a deadline
		}
		killed.Store(int64(pid))
	}
	eventually(t, "a spare is ready", func() bool { return f.sparePID() != 0 })
	f.write("bind 127.0.0.1:0\nlabel b\n")
	r := f.reload()
	dead := int(killed.Load())
	if dead == 0 {
		t.Fatal("the reload did not take the spare")
	}
	if strings.Contains(r.String(), fmt.Sprintf("pid=%d ", dead)) {
		t.Fatalf("the dead spare serves: %q", r)
	}
	c, g := f.greet()
	c.Close()
	if !strings.Contains(g, "label=b") || strings.Contains(g, fmt.Sprintf("pid=%d ", dead)) {
		t.Fatalf("greeting %q", g)
	}
	if !strings.Contains(f.log.String(), fmt.Sprintf("spare worker pid=%d", dead)) {
		t.Errorf("no log line about the dead spare:\n%s", f.log)
	}
}
