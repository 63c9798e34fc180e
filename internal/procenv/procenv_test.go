package procenv

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"baton/internal/config"
)

// Apply cannot be undone, so each case runs in a child: the test binary
// again, told by helperEnv to apply the settings and report.
const helperEnv = "PROCENV_TEST_SETTINGS"

type report struct {
	Warnings []string
	Err      string
	UID, GID int
	Groups   []int
	Threads  int
	NoFile   [2]uint64
	// Marker is whether /marker exists: it does only inside the chroot.
	Marker bool
	Cwd    string
}

func TestMain(m *testing.M) {
	if js := os.Getenv(helperEnv); js != "" {
		var s Settings
		if err := json.Unmarshal([]byte(js), &s); err != nil {
			panic(err)
		}
		var r report
		w, err := Apply(s)
		r.Warnings = w
		if err != nil {
			r.Err = err.Error()
		}
		r.UID, r.GID = syscall.Getuid(), syscall.Getgid()
		r.Groups, _ = syscall.Getgroups()
		r.Threads = runtime.GOMAXPROCS(0)
		var lim syscall.Rlimit
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
		r.NoFile = [2]uint64{lim.Cur, lim.Max}
		_, serr := os.Stat("/marker")
		r.Marker = serr == nil
		r.Cwd, _ = os.Getwd()
		json.NewEncoder(os.Stdout).Encode(&r)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func run(t *testing.T, s Settings) report {
	t.Helper()
	js, _ := json.Marshal(s)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(js))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	var r report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("helper output %q: %v", out, err)
	}
	return r
}

func currentNoFile(t *testing.T) syscall.Rlimit {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	return lim
}

func TestZeroChangesNothing(t *testing.T) {
	r := run(t, Settings{})
	if r.Err != "" || len(r.Warnings) > 0 || r.UID != syscall.Getuid() || r.Marker || r.Threads != runtime.GOMAXPROCS(0) {
		t.Fatalf("zero settings changed something: %+v", r)
	}
}

func TestThreads(t *testing.T) {
	if r := run(t, Settings{Threads: 3}); r.Threads != 3 || r.Err != "" {
		t.Fatalf("Threads 3: %+v", r)
	}
}

func TestNoFile(t *testing.T) {
	lim := currentNoFile(t)
	// Go raised the soft limit to the hard one: a smaller need changes
	// nothing, and the limit is never lowered.
	r := run(t, Settings{NoFile: 150, StrictLimits: true})
	if r.Err != "" || r.NoFile != [2]uint64{lim.Max, lim.Max} {
		t.Fatalf("NoFile 150 with limits %v: %+v", lim, r)
	}
	// Above the hard limit: strict fails, else warns.
	r = run(t, Settings{NoFile: lim.Max + 1, StrictLimits: true})
	if !strings.Contains(r.Err, "cannot raise the open-files limit") || !strings.Contains(r.Err, "strict-limits") {
		t.Fatalf("strict, limit above the hard one: %+v", r)
	}
	r = run(t, Settings{NoFile: lim.Max + 1})
	if r.Err != "" || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "cannot raise the open-files limit") {
		t.Fatalf("not strict, limit above the hard one: %+v", r)
	}
}

// TestNoFileRaisesSoftLimit starts the helper with a low soft limit (as
// a shell's "ulimit -S -n" would leave it) and a Go runtime that does not
// raise it, and checks that the need is met.
func TestNoFileRaisesSoftLimit(t *testing.T) {
	lim := currentNoFile(t)
	if lim.Max < 3000 {
		t.Skipf("hard open-files limit %d too low", lim.Max)
	}
	if err := raiseNoFile(lim.Cur); err != nil {
		t.Fatal(err)
	}
	low := syscall.Rlimit{Cur: 1024, Max: lim.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	if err := raiseNoFile(3000); err != nil {
		t.Fatal(err)
	}
	if got := currentNoFile(t); got.Cur != 3000 || got.Max != lim.Max {
		t.Fatalf("after raiseNoFile(3000) from 1024: %+v", got)
	}
}

func TestChrootAndIdentity(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("chroot and setuid need root")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "marker"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, Settings{Chroot: dir, UID: 65534, GID: 65533, HasUID: true, HasGID: true})
	if r.Err != "" || !r.Marker || r.Cwd != "/" || r.UID != 65534 || r.GID != 65533 || len(r.Groups) != 0 {
		t.Fatalf("chroot + uid/gid: %+v", r)
	}
	// The gid alone: the uid stays.
	r = run(t, Settings{GID: 65533, HasGID: true})
	if r.Err != "" || r.UID != 0 || r.GID != 65533 || r.Marker {
		t.Fatalf("gid only: %+v", r)
	}
	if r := run(t, Settings{Chroot: filepath.Join(dir, "missing")}); !strings.Contains(r.Err, "chroot") {
		t.Fatalf("missing chroot directory: %+v", r)
	}
}

func TestFromConfig(t *testing.T) {
	c, err := config.Parse("t.cfg", []byte("global\n  maxconn 100\n  nbthread 2\n  uid 12\n  gid 34\n  chroot /j\n  no strict-limits\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := FromConfig(&c.Global)
	want := Settings{Threads: 2, NoFile: 2*100 + fdReserve, Chroot: "/j", UID: 12, GID: 34, HasUID: true, HasGID: true}
	if fmt.Sprint(s) != fmt.Sprint(want) {
		t.Fatalf("FromConfig = %+v, want %+v", s, want)
	}
	c, _ = config.Parse("t.cfg", []byte("global\n  maxconn 100\n  ulimit-n 5000\n"))
	if s := FromConfig(&c.Global); s.NoFile != 5000 || !s.StrictLimits {
		t.Fatalf("ulimit-n 5000: %+v", s)
	}
}
