package logging_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"baton/test/harness"
)

// rsyslog is a private rsyslogd: a unix socket input, a UDP input on a
// loopback port, and a file the test reads, one line per message with
// the fields rsyslog parsed from the header.
type rsyslog struct {
	Sock, UDP, out string
}

func startRsyslog(t *testing.T) *rsyslog {
	t.Helper()
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		t.Skip("rsyslogd not installed (.ci/run installs Debian's rsyslog)")
	}
	dir, err := os.MkdirTemp("", "rs") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := u.LocalAddr().(*net.UDPAddr).Port
	u.Close() // rsyslog binds it next
	r := &rsyslog{Sock: filepath.Join(dir, "log.sock"), UDP: "127.0.0.1:" + strconv.Itoa(port), out: filepath.Join(dir, "out.log")}
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket=%q CreatePath="on")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="%d")
template(name="fields" type="string" string="pri=%%pri%% tag=%%syslogtag%% app=%%app-name%% procid=%%procid%% host=%%hostname%% sd=%%structured-data%% msg=%%msg%%\n")
*.* action(type="omfile" file=%q template="fields")
`, dir, r.Sock, port, r.out)
	cfg := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-n", "-f", cfg, "-i", filepath.Join(dir, "rsyslogd.pid"))
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	// Ready once a probe sent to each input reaches the file.
	probe := func(network, addr, tag string) func() bool {
		return func() bool {
			if c, err := net.Dial(network, addr); err == nil {
				fmt.Fprintf(c, "<14>%s: ready", tag)
				c.Close()
			}
			return strings.Contains(r.read(), "tag="+tag+":")
		}
	}
	harness.Eventually(t, 10*time.Second, "rsyslogd's unix input", probe("unixgram", r.Sock, "probeunix"))
	harness.Eventually(t, 10*time.Second, "rsyslogd's UDP input", probe("udp", r.UDP, "probeudp"))
	return r
}

func (r *rsyslog) read() string {
	b, _ := os.ReadFile(r.out)
	return string(b)
}

// lines returns the lines rsyslog wrote for messages matching re, once
// there are n of them.
func (r *rsyslog) lines(t *testing.T, n int, re *regexp.Regexp) []string {
	t.Helper()
	var got []string
	harness.Eventually(t, 10*time.Second, fmt.Sprintf("%d rsyslog lines matching %s", n, re), func() bool {
		got = got[:0]
		for _, l := range strings.Split(r.read(), "\n") {
			if re.MatchString(l) {
				got = append(got, l)
			}
		}
		return len(got) >= n
	})
	return got
}

// One request through Debian's rsyslog, on its unix socket input (local
// format, as /dev/log gets) and its UDP input (rfc5424 with structured
// data): rsyslog parses the same priority, tag, PID, structured data and
// message from Baton's lines as from HAProxy's.
func TestRsyslogParsesLikeHAProxy(t *testing.T) {
	var got [2][]string
	t.Run("run", func(t *testing.T) {
		for i, proxy := range []string{"baton", "haproxy"} {
			t.Run(proxy, func(t *testing.T) {
				t.Parallel()
				rs := startRsyslog(t)
				cfg := strings.NewReplacer("${SOCK}", rs.Sock, "${RSUDP}", rs.UDP).Replace(`global
    log ${SOCK} local0
    log ${RSUDP} format rfc5424 local1
    log-tag rstest
` + httpDefaults + `    option httplog
frontend web
    bind ${FE}
    log-format-sd [req@1\ path=\"%HP\"]
    default_backend app
backend app
    server s1 ${S1}
`)
				r := start(t, proxy, cfg)
				r.get("FE", "/through/rsyslog?x=1")
				lines := rs.lines(t, 2, regexp.MustCompile(`GET /through/rsyslog`))
				pid := strconv.Itoa(r.pid)
				for _, l := range lines {
					if !strings.Contains(l, " tag=rstest["+pid+"]") || !strings.Contains(l, " app=rstest procid="+pid+" ") {
						t.Errorf("%s: rsyslog did not read tag rstest and PID %s: %s", proxy, pid, l)
					}
				}
				for j, l := range lines {
					l = strings.ReplaceAll(l, "procid="+pid+" ", "procid=PID ")
					lines[j] = strings.ReplaceAll(l, "["+pid+"]", "[PID]")
				}
				got[i] = normalizer{pid: r.pid}.lines(lines)
			})
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	want := []string{
		`pri=134 tag=rstest[PID]: app=rstest procid=PID host=`,
		`pri=142 tag=rstest[PID] app=rstest procid=PID host=- sd=[req@1 path="/through/rsyslog"] msg=127.0.0.1:PORT [LOGDATE] web app/s1 TIMERS 200 BYTES - - ---- AC/FC/0/0/0 0/0 "GET /through/rsyslog?x=1 HTTP/1.1"`,
	}
	expectLines(t, got[0], want, true)
	if got[1] != nil {
		compareSorted(t, got[0], got[1])
	}
}
