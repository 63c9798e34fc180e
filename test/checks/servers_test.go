package checks_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"baton/test/harness"
)

// realServer is a Debian server started once for the package.
type realServer struct {
	once sync.Once
	addr string
	err  error
	skip string // the tool is missing: tests skip with this reason
}

var (
	serversMu  sync.Mutex
	serverCmds []*exec.Cmd
	serverDone []chan struct{} // closed when the server's process ended
	serverDirs []string
)

// stopServers ends every server the package started.
func stopServers() {
	serversMu.Lock()
	defer serversMu.Unlock()
	for _, c := range serverCmds {
		c.Process.Signal(syscall.SIGTERM)
	}
	for i, c := range serverCmds {
		select {
		case <-serverDone[i]:
		case <-time.After(5 * time.Second):
			c.Process.Kill()
		}
	}
	for _, d := range serverDirs {
		os.RemoveAll(d)
	}
}

// lockedBuffer is a server's output, written by its process while a
// failing wait reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve starts a server process in the background (stopped when the
// package's tests end) and waits until it accepts connections on addr.
func serve(addr string, timeout time.Duration, cred *syscall.Credential, name string, args ...string) error {
	out := &lockedBuffer{}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	serversMu.Lock()
	serverCmds = append(serverCmds, cmd)
	serverDone = append(serverDone, done)
	serversMu.Unlock()
	return waitTCP(addr, timeout, out)
}

func tempDir() (string, error) {
	d, err := os.MkdirTemp("", "baton-checks-")
	if err == nil {
		serversMu.Lock()
		serverDirs = append(serverDirs, d)
		serversMu.Unlock()
	}
	return d, err
}

// freePort returns a free loopback port (harness.FreeAddr's claim keeps
// other test processes off it).
func freePort(t testing.TB) int {
	_, p, _ := net.SplitHostPort(harness.FreeAddr(t))
	n, _ := strconv.Atoi(p)
	return n
}

// waitTCP waits until addr accepts connections.
func waitTCP(addr string, timeout time.Duration, out fmt.Stringer) error {
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after %v; output:\n%s", addr, timeout, out)
		}
		time.Sleep(wait)
	}
}

// get starts the server once (start returns its address) and returns
// its address, skipping the test when the tool is missing.
func (r *realServer) get(t *testing.T, tool string, start func() (string, error)) string {
	t.Helper()
	r.once.Do(func() {
		if _, err := exec.LookPath(tool); err != nil {
			r.skip = tool + " not installed (.ci/run installs it)"
			return
		}
		r.addr, r.err = start()
	})
	if r.skip != "" {
		t.Skip(r.skip)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.addr
}

var redisSrv, mariaSrv, pgSrv, ldapSrv, smtpSrv, redisPlainSrv realServer

// listenOn returns a free port on host and the address it makes.
func listenOn(t *testing.T, host string) (port, addr string) {
	port = strconv.Itoa(freePort(t))
	return port, net.JoinHostPort(host, port)
}

// redisPass is the password of the test Redis (the Argo CD configuration
// checks it with AUTH ${AUTH}).
const redisPass = "s3cret"

// redisAddr is a redis-server on 127.0.0.2 with a password, the master
// the sentinels watch.
func redisAddr(t *testing.T) string {
	return redisSrv.get(t, "redis-server", func() (string, error) {
		return startRedis(t, "127.0.0.2", "--requirepass", redisPass, "--masterauth", redisPass)
	})
}

// redisPlainAddr is a redis-server without a password (option
// redis-check sends PING unauthenticated).
func redisPlainAddr(t *testing.T) string {
	return redisPlainSrv.get(t, "redis-server", func() (string, error) {
		return startRedis(t, "127.0.0.1")
	})
}

func startRedis(t *testing.T, host string, extra ...string) (string, error) {
	dir, err := tempDir()
	if err != nil {
		return "", err
	}
	port, addr := listenOn(t, host)
	args := append([]string{"--port", port, "--bind", host, "--save", "", "--appendonly", "no", "--dir", dir}, extra...)
	return addr, serve(addr, 10*time.Second, nil, "redis-server", args...)
}

// startSentinel starts a sentinel watching master as "argocd" and
// returns its address.
func startSentinel(t *testing.T, master string) string {
	dir, err := tempDir()
	if err != nil {
		t.Fatal(err)
	}
	host, mport, _ := net.SplitHostPort(master)
	port, addr := listenOn(t, "127.0.0.2")
	conf := filepath.Join(dir, "sentinel.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("port %s\nbind 127.0.0.2\ndir %s\nsentinel monitor argocd %s %s 1\nsentinel auth-pass argocd %s\n", port, dir, host, mport, redisPass)), 0o644)
	if err := serve(addr, 10*time.Second, nil, "redis-server", conf, "--sentinel"); err != nil {
		t.Fatal(err)
	}
	return addr
}

// mariaAddr is a MariaDB with a password-less user "haproxy" for
// mysql-check, initialised in a temporary directory.
func mariaAddr(t *testing.T) string {
	return mariaSrv.get(t, "mariadbd", func() (string, error) {
		dir, err := tempDir()
		if err != nil {
			return "", err
		}
		data := filepath.Join(dir, "data")
		inst := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db")
		if b, err := inst.CombinedOutput(); err != nil {
			return "", fmt.Errorf("mariadb-install-db: %v\n%s", err, b)
		}
		init := filepath.Join(dir, "init.sql")
		os.WriteFile(init, []byte("CREATE USER IF NOT EXISTS 'haproxy'@'127.0.0.1';\nCREATE USER IF NOT EXISTS 'haproxy'@'localhost';\n"), 0o644)
		port, addr := listenOn(t, "127.0.0.1")
		return addr, serve(addr, 30*time.Second, nil, "mariadbd", "--no-defaults", "--datadir="+data, "--socket="+filepath.Join(dir, "sock"), "--port="+port,
			"--bind-address=127.0.0.1", "--user=root", "--skip-name-resolve", "--init-file="+init, "--pid-file="+filepath.Join(dir, "pid"),
			"--innodb-buffer-pool-size=16M", "--skip-log-bin")
	})
}

// pgBin is the newest PostgreSQL's binary directory among Debian's
// (/usr/lib/postgresql/VERSION/bin), else the directory of the postgres
// on PATH (a link is followed: initdb lies beside the real binary).
var pgBin = func() string {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(bins) == 0 {
		if p, err := exec.LookPath("postgres"); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				return filepath.Dir(real) + "/"
			}
		}
		return "/usr/lib/postgresql/missing/bin/"
	}
	version := func(bin string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(bin))))
		return n
	}
	sort.Slice(bins, func(i, j int) bool { return version(bins[i]) < version(bins[j]) })
	return filepath.Dir(bins[len(bins)-1]) + "/"
}()

// pgAddr is a PostgreSQL trusting local connections (pgsql-check with
// user postgres passes), run as the postgres user.
func pgAddr(t *testing.T) string {
	return pgSrv.get(t, pgBin+"postgres", func() (string, error) {
		// PostgreSQL refuses to run as root: as root, run it as the
		// postgres user; otherwise as ourselves.
		var cred *syscall.Credential
		dir, err := tempDir()
		if err != nil {
			return "", err
		}
		if os.Geteuid() == 0 {
			u, err := user.Lookup("postgres")
			if err != nil {
				return "", fmt.Errorf("no postgres user: %v", err)
			}
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
			os.Chown(dir, uid, gid)
		}
		data := filepath.Join(dir, "data")
		ini := exec.Command(pgBin+"initdb", "-D", data, "-U", "postgres", "--auth=trust", "-N")
		ini.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if b, err := ini.CombinedOutput(); err != nil {
			return "", fmt.Errorf("initdb: %v\n%s", err, b)
		}
		port, addr := listenOn(t, "127.0.0.1")
		return addr, serve(addr, 30*time.Second, cred, pgBin+"postgres", "-D", data, "-p", port, "-k", dir,
			"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")
	})
}

// ldapAddr is a slapd with no database: an anonymous bind succeeds.
func ldapAddr(t *testing.T) string {
	return ldapSrv.get(t, "slapd", func() (string, error) {
		dir, err := tempDir()
		if err != nil {
			return "", err
		}
		conf := filepath.Join(dir, "slapd.conf")
		os.WriteFile(conf, []byte(fmt.Sprintf("pidfile %s/slapd.pid\nargsfile %s/slapd.args\n", dir, dir)), 0o644)
		_, addr := listenOn(t, "127.0.0.1")
		return addr, serve(addr, 10*time.Second, nil, "slapd", "-f", conf, "-h", "ldap://"+addr+"/", "-d", "0")
	})
}

// smtpAddr is an OpenSMTPD accepting connections.
func smtpAddr(t *testing.T) string {
	return smtpSrv.get(t, "smtpd", func() (string, error) {
		dir, err := tempDir()
		if err != nil {
			return "", err
		}
		port, addr := listenOn(t, "127.0.0.1")
		conf := filepath.Join(dir, "smtpd.conf")
		os.WriteFile(conf, []byte(fmt.Sprintf("listen on 127.0.0.1 port %s\naction \"local\" mbox\nmatch from any for any action \"local\"\n", port)), 0o644)
		return addr, serve(addr, 10*time.Second, nil, "smtpd", "-d", "-f", conf)
	})
}
