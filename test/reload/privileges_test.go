package reload_test

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// dropConfig is stormConfig number n whose workers run as nobody:nogroup
// inside root, with a stats socket for takeovers.
func dropConfig(front, backend, stats, root string, n int) string {
	return strings.Replace(takeoverConfig(front, backend, stats, n), "global\n",
		"global\n    user nobody\n    group nogroup\n    chroot "+root+"\n", 1)
}

// identity is what the kernel says of a process: its uid and gid lines
// (real, effective, saved, filesystem), its supplementary groups and its
// root directory.
type identity struct {
	uid, gid, groups, root string
}

func identityOf(t *testing.T, pid int) identity {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	var id identity
	for _, l := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(l, ":")
		v = strings.Join(strings.Fields(v), " ")
		switch k {
		case "Uid":
			id.uid = v
		case "Gid":
			id.gid = v
		case "Groups":
			id.groups = v
		}
	}
	id.root, err = os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "root"))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// nobody returns the expected Uid and Gid lines of a process running as
// nobody:nogroup, or skips the test.
func nobody(t *testing.T) (uid, gid string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("dropping privileges needs root")
	}
	u, err1 := user.Lookup("nobody")
	g, err2 := user.LookupGroup("nogroup")
	if err1 != nil || err2 != nil {
		t.Skip("no nobody user or nogroup group")
	}
	rep := func(s string) string { return strings.TrimSpace(strings.Repeat(s+" ", 4)) }
	return rep(u.Uid), rep(g.Gid)
}

// chrootDir makes an empty directory for a chroot.
func chrootDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "jail")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// oneWorker waits until p's master has a single worker child (older
// generations drained; the spare is not one) and returns it.
func oneWorker(t *testing.T, p *harness.Baton) int {
	t.Helper()
	var kids []int
	harness.Eventually(t, 20*time.Second, "a single worker", func() bool {
		kids = workerChildren(t, p.Cmd.Process.Pid, p.CLI("show proc"))
		return len(kids) == 1
	})
	return kids[0]
}

func checkDropped(t *testing.T, what string, pid int, uid, gid, root string) {
	t.Helper()
	id := identityOf(t, pid)
	if id.uid != uid || id.gid != gid || id.groups != "" || id.root != root {
		t.Errorf("%s (pid %d): uid %q gid %q groups %q root %q; want uid %q gid %q no groups root %q",
			what, pid, id.uid, id.gid, id.groups, id.root, uid, gid, root)
	}
}

// TestWorkersDropPrivileges: with user, group and chroot, each worker
// runs as nobody:nogroup without supplementary groups, inside the chroot,
// while the master stays root; it serves, and a reload, a binary upgrade
// and a standalone takeover (-x) all keep working and give workers the
// same identity.
func TestWorkersDropPrivileges(t *testing.T) {
	uid, gid := nobody(t)
	root := chrootDir(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "baton")
	buildVersion(t, bin, "1.0.0-old")
	buildVersion(t, filepath.Join(dir, "baton-new"), "2.0.0-new")
	t.Setenv("BATON_BIN", bin)

	a := backend(t, "a")
	front := harness.FreeAddr(t)
	stats := filepath.Join(t.TempDir(), "stats.sock")
	bt := harness.Start(t, dropConfig(front, a, stats, root, 1), []string{front})
	master := bt.Cmd.Process.Pid
	if got, err := freshGet(front); err != nil || got != "1" {
		t.Fatalf("request: %q %v\n%s", got, err, bt.Stderr)
	}
	checkDropped(t, "worker", oneWorker(t, bt), uid, gid, root)
	if id := identityOf(t, master); !strings.HasPrefix(id.uid, "0 ") || id.root != "/" {
		t.Errorf("master: %+v; want root, not chrooted", id)
	}

	// An idle keep-alive connection crosses the reload over the hand-over
	// channel between unprivileged, chrooted workers and the master.
	ka, err := net.DialTimeout("tcp", front, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer ka.Close()
	kr := bufio.NewReader(ka)
	if got, closing, err := rawGet(ka, kr, false); err != nil || got != "1" || closing {
		t.Fatalf("keep-alive request: %q closing=%v %v", got, closing, err)
	}
	writeAtomically(t, bt.Config, dropConfig(front, a, stats, root, 2))
	if out, code := bt.Reload(); code != 0 {
		t.Fatalf("reload: %s\n%s", out, bt.Stderr)
	}
	if got, err := freshGet(front); err != nil || got != "2" {
		t.Fatalf("after the reload: %q %v", got, err)
	}
	if got, _, err := rawGet(ka, kr, true); err != nil || got != "2" {
		t.Errorf("the kept-alive connection after the reload: %q %v (want the new configuration: it migrated)", got, err)
	}
	checkDropped(t, "worker after a reload", oneWorker(t, bt), uid, gid, root)

	// A worker that cannot chroot fails its start: the reload reports it
	// and the previous generation keeps serving.
	writeAtomically(t, bt.Config, dropConfig(front, a, stats, filepath.Join(root, "missing"), 9))
	if out, code := bt.Reload(); code == 0 || !strings.Contains(out, "chroot "+filepath.Join(root, "missing")) {
		t.Fatalf("reload into a missing chroot: exit %d\n%s\n%s", code, out, bt.Stderr)
	}
	if got, err := freshGet(front); err != nil || got != "2" {
		t.Fatalf("after the failed reload: %q %v", got, err)
	}
	writeAtomically(t, bt.Config, dropConfig(front, a, stats, root, 2))

	if err := os.Rename(filepath.Join(dir, "baton-new"), bin); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "upgrade", "-S", bt.Socket).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "Success=1") {
		t.Fatalf("upgrade: %v\n%s\n%s", err, out, bt.Stderr)
	}
	if got, err := freshGet(front); err != nil || got != "2" {
		t.Fatalf("after the upgrade: %q %v", got, err)
	}
	checkDropped(t, "worker after an upgrade", oneWorker(t, bt), uid, gid, root)

	waitStats(t, stats)
	next := harness.Start(t, dropConfig(front, a, stats, root, 3), []string{front}, "-x", stats)
	if code := bt.Wait(20 * time.Second); code != 0 {
		t.Fatalf("old process exit code %d\n%s", code, bt.Stderr)
	}
	if got, err := freshGet(front); err != nil || got != "3" {
		t.Fatalf("after the takeover: %q %v\n%s", got, err, next.Stderr)
	}
	checkDropped(t, "worker after a takeover", oneWorker(t, next), uid, gid, root)
}

// TestHAProxyDropsPrivileges is the same identity check on HAProxy with
// the same global lines: its process runs as nobody:nogroup in the chroot.
func TestHAProxyDropsPrivileges(t *testing.T) {
	uid, gid := nobody(t)
	root := chrootDir(t)
	a := backend(t, "a")
	front := harness.FreeAddr(t)
	cfg := strings.Replace(stormConfig(front, a, 1), "global\n", "global\n    user nobody\n    group nogroup\n    chroot "+root+"\n", 1)
	h := harness.StartHAProxy(t, cfg, []string{front})
	if got, err := freshGet(front); err != nil || got != "1" {
		t.Fatalf("request: %q %v\n%s", got, err, h.Stderr)
	}
	checkDropped(t, "haproxy", h.Cmd.Process.Pid, uid, gid, root)
}
