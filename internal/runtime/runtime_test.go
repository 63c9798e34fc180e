package runtime

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"baton/internal/serverstate"
	"baton/internal/stats"
)

// fakeServer records what the commands did.
type fakeServer struct {
	weight, initial int
	static          bool
	admin           int
	health          string
	checks          *bool
	addr            string
	maxconn         int
	shut            int
}

func (s *fakeServer) Weights() (int, int) { return s.weight, s.initial }
func (s *fakeServer) StaticWeights() bool { return s.static }
func (s *fakeServer) SetWeight(w int)     { s.weight = w }
func (s *fakeServer) SetAdmin(a int)      { s.admin = a }
func (s *fakeServer) SetHealth(h string)  { s.health = h }
func (s *fakeServer) SetChecks(on bool)   { s.checks = &on }
func (s *fakeServer) Addr() string        { return s.addr }
func (s *fakeServer) SetMaxConn(n int)    { s.maxconn = n }
func (s *fakeServer) Shutdown() int       { s.shut++; return 1 }
func (s *fakeServer) SetAddr(ip string, port int) error {
	if net.ParseIP(ip) == nil {
		return fmt.Errorf("bad")
	}
	_, p := splitHostPort(s.addr)
	if port != 0 {
		p = fmt.Sprint(port)
	}
	s.addr = ip + ":" + p
	return nil
}

type fakeTarget struct {
	servers map[string]*fakeServer
	feMax   int
	cleared string
	added   []string
}

func newFake() *fakeTarget {
	return &fakeTarget{servers: map[string]*fakeServer{"be/s1": {weight: 1, initial: 1, addr: "127.0.0.1:8080"}}}
}

func (t *fakeTarget) Version() string { return "1.2.3" }
func (t *fakeTarget) Info(time.Time) stats.Info {
	return stats.Info{"Name": stats.Str("Baton"), "Pid": stats.Num(7)}
}
func (t *fakeTarget) Rows(now time.Time) []stats.Row {
	fe := stats.Frontend{Name: "fe", IID: 2, Mode: "http", Status: "OPEN"}
	s := stats.Server{Backend: "be", Name: "s1", IID: 3, SID: 1, Mode: "http", Addr: "127.0.0.1:8080"}
	be := stats.Backend{Name: "be", IID: 3, Mode: "http", Algo: "roundrobin", Up: true}
	return []stats.Row{fe.Row(), s.Row(now), be.Row(now)}
}
func (t *fakeTarget) BackendNames() []string { return []string{"be"} }
func (t *fakeTarget) ServerStates(be string, _ time.Time) ([]serverstate.Line, error) {
	if be != "" && be != "be" {
		return nil, ErrNoBackend
	}
	return []serverstate.Line{{BackendID: 3, Backend: "be", ServerID: 1, Server: "s1", Addr: "127.0.0.1", OpState: 2, UWeight: 1, IWeight: 1, Port: 8080}}, nil
}
func (t *fakeTarget) ServerConns(string) ([]ServerConn, error) {
	return []ServerConn{{Backend: "be", Server: "s1", BackendID: 3, SID: 1, Addr: "127.0.0.1", Port: 8080, NeedEst: 1, IdleLim: -1, PurgeDelayMS: 5000}}, nil
}
func (t *fakeTarget) Sessions(time.Time) []SessionLine {
	return []SessionLine{{ID: 0xc0ffee, Proto: "tcpv4", Src: "127.0.0.1:4000", Frontend: "fe", Age: 3 * time.Second, FD: 12, ServerFD: -1}}
}
func (t *fakeTarget) Errors() (int, []Capture) {
	return 2, []Capture{{When: time.Unix(0, 0).UTC(), Proxy: "fe", ProxyID: 2, Event: 1, Src: "127.0.0.1:1",
		Buf: []byte("GET / HTTP/1.1\r\nBad Header: y\r\n\r\n"), Pos: 19, State: "MSG_HDR_NAME(17)"}}
}
func (t *fakeTarget) Server(be, srv string) (ServerControl, error) {
	if be != "be" {
		return nil, ErrNoBackend
	}
	s, ok := t.servers[be+"/"+srv]
	if !ok {
		return nil, ErrNoServer
	}
	return s, nil
}
func (t *fakeTarget) SetFrontendMaxConn(fe string, n int) error {
	if fe != "fe" {
		return ErrNoFrontend
	}
	t.feMax = n
	return nil
}
func (t *fakeTarget) SetGlobalMaxConn(n int) error {
	if n > 1000 {
		return ErrRange
	}
	return nil
}
func (t *fakeTarget) AddServer(be, srv string, args []string) error {
	if _, ok := t.servers[be+"/"+srv]; ok {
		return ErrServerExists
	}
	t.added = append(t.added, be+"/"+srv+" "+strings.Join(args, " "))
	t.servers[be+"/"+srv] = &fakeServer{}
	return nil
}
func (t *fakeTarget) DelServer(be, srv string) error {
	s, ok := t.servers[be+"/"+srv]
	if !ok {
		return ErrNoServer
	}
	if s.admin != stats.AdminMaint {
		return ErrNotInMaint
	}
	delete(t.servers, be+"/"+srv)
	return nil
}
func (t *fakeTarget) ClearCounters(all bool) { t.cleared = fmt.Sprint(all) }

func TestCommands(t *testing.T) {
	ft := newFake()
	s1 := ft.servers["be/s1"]
	for _, c := range []struct {
		line string
		lvl  Level
		want string
	}{
		{"get weight be/s1", LevelUser, "1 (initial 1)\n"},
		{"get weight be", LevelUser, "Require 'backend/server'.\n"},
		{"get weight nobe/x", LevelUser, "No such backend.\n"},
		{"get weight be/x", LevelUser, "No such server.\n"},
		{"set weight be/s1 5", LevelUser, "Permission denied\n"},
		{"set weight be/s1 5", LevelAdmin, ""},
		{"get weight be/s1", LevelUser, "5 (initial 1)\n"},
		{"set weight be/s1 300", LevelAdmin, "Absolute weight can only be between 0 and 256 inclusive.\n"},
		{"set weight be/s1 abc", LevelAdmin, "Empty weight string empty or preceded by garbage"},
		{"set weight be/s1", LevelAdmin, "Require <weight> or <weight%>.\n"},
		{"set server be/s1 weight 200%", LevelAdmin, ""},
		{"get weight be/s1", LevelUser, "2 (initial 1)\n"},
		{"set server be/s1 state drain", LevelAdmin, ""},
		{"set server be/s1 state foo", LevelAdmin, "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n"},
		{"set server be/s1 health stopping", LevelAdmin, ""},
		{"set server be/s1 health foo", LevelAdmin, "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n"},
		{"set server be/s1 addr 10.0.0.9", LevelAdmin, "IP changed from '127.0.0.1' to '10.0.0.9' by 'stats socket command'\n"},
		{"set server be/s1 addr 10.0.0.9 port 81", LevelAdmin, "no need to change the addr, port changed from '8080' to '81' by 'stats socket command'\n"},
		{"set server be/s1 addr bad", LevelAdmin, "Invalid addr 'bad' by 'stats socket command'\n"},
		{"set server be/s1", LevelAdmin, setServerUsage},
		{"set maxconn server be/s1 50", LevelAdmin, ""},
		{"set maxconn frontend fe 70", LevelAdmin, ""},
		{"set maxconn frontend nofe 70", LevelAdmin, "No such frontend.\n"},
		{"set maxconn global 5000", LevelAdmin, "Value out of range.\n"},
		{"disable health be/s1", LevelAdmin, ""},
		{"shutdown sessions server be/s1", LevelAdmin, ""},
		{"add server be/s2 127.0.0.1:9 weight 3", LevelAdmin, "New server registered.\n"},
		{"add server be/s2 127.0.0.1:9", LevelAdmin, "Already exists a server with the same name in backend.\n"},
		{"del server be/s1", LevelAdmin, "Only servers in maintenance mode can be deleted."},
		{"clear counters", LevelUser, "Permission denied\n"},
		{"clear counters all", LevelOperator, "Permission denied\n"},
		{"clear counters all", LevelAdmin, ""},
		{"show backend", LevelUser, "# name\nbe\n"},
		{"show version", LevelUser, "1.2.3\n"},
		{"show sess", LevelUser, "Permission denied\n"},
		{"show errors", LevelUser, "Permission denied\n"},
		{"show errors nope", LevelOperator, "No such proxy.\n"},
		{"show servers state nope", LevelUser, "Can't find backend.\n"},
		{"show info", LevelUser, "Name: Baton\nPid: 7\n"},
	} {
		if got := Execute(ft, c.line, c.lvl); got != c.want {
			t.Errorf("%s (%v):\n got %q\nwant %q", c.line, c.lvl, got, c.want)
		}
	}
	if s1.weight != 2 || s1.admin != stats.AdminDrain || s1.health != "stopping" || s1.addr != "10.0.0.9:81" ||
		s1.maxconn != 50 || s1.checks == nil || *s1.checks || s1.shut != 1 {
		t.Errorf("server after the commands: %+v", s1)
	}
	if ft.feMax != 70 || ft.cleared != "true" || len(ft.added) != 1 || ft.added[0] != "be/s2 127.0.0.1:9 weight 3" {
		t.Errorf("target after the commands: %+v", ft)
	}
	s1.admin = stats.AdminMaint
	if got := Execute(ft, "del server be/s1", LevelAdmin); got != "Server deleted." {
		t.Errorf("del server: %q", got)
	}
}

func TestShowFormats(t *testing.T) {
	ft := newFake()
	stat := Execute(ft, "show stat", LevelAdmin)
	if !strings.HasPrefix(stat, "# pxname,svname,") || !strings.Contains(stat, "\nbe,s1,") || !strings.Contains(stat, "127.0.0.1:8080") {
		t.Errorf("show stat:\n%s", stat)
	}
	if user := Execute(ft, "show stat", LevelUser); !strings.Contains(user, "127.0.0.1:8080") {
		t.Errorf("show stat at user level hides the address (HAProxy 2.6 shows it):\n%s", user)
	}
	if f := Execute(ft, "show stat 3 4 -1", LevelAdmin); strings.Count(f, "\n") != 2 {
		t.Errorf("show stat 3 4 -1 (servers of #3):\n%s", f)
	}
	if typed := Execute(ft, "show stat typed", LevelAdmin); !strings.Contains(typed, "S.3.1.1.svname.1:KNS:str:s1\n") {
		t.Errorf("typed:\n%s", typed)
	}
	if j := Execute(ft, "show stat json", LevelAdmin); !strings.HasPrefix(j, `[[{"objType":"Frontend"`) {
		t.Errorf("json: %.80s", j)
	}
	st := Execute(ft, "show servers state", LevelUser)
	if !strings.HasPrefix(st, "1\n# be_id be_name") || !strings.Contains(st, "\n3 be 1 s1 127.0.0.1 2 0 1 1 0 0 0 0 0 0 0 0 - 8080 - 0 0 - - 0\n") {
		t.Errorf("servers state:\n%s", st)
	}
	conn := Execute(ft, "show servers conn", LevelUser)
	if !strings.Contains(conn, "\nbe/s1 3/1 127.0.0.1 8080 - 5000 0 0 1 0 0 -1 0 0\n") {
		t.Errorf("servers conn:\n%s", conn)
	}
	sess := Execute(ft, "show sess", LevelOperator)
	if !strings.HasPrefix(sess, "0xc0ffee: proto=tcpv4 src=127.0.0.1:4000 fe=fe be=<NONE> srv=<none> ts=00 epoch=0 age=3s") {
		t.Errorf("sess: %s", sess)
	}
	errs := Execute(ft, "show errors fe request", LevelOperator)
	for _, want := range []string{"Total events captured on [", "] : 2\n \n[01/Jan/1970:00:00:00.000] frontend fe (#2): invalid request\n",
		"  backend <NONE> (#-1), server <NONE> (#-1), event #1, src 127.0.0.1:1\n", "error at position 19\n",
		"  00000  GET / HTTP/1.1\\r\\n\n  00016  Bad Header: y\\r\\n\n  00031  \\r\\n\n"} {
		if !strings.Contains(errs, want) {
			t.Errorf("show errors lacks %q:\n%s", want, errs)
		}
	}
	if errs := Execute(ft, "show errors fe response", LevelOperator); strings.Contains(errs, "invalid") {
		t.Errorf("response filter kept a request:\n%s", errs)
	}
}

func TestHelpAndUnknown(t *testing.T) {
	ft := newFake()
	h := Execute(ft, "help", LevelUser)
	if !strings.HasPrefix(h, "The following commands are valid at this level:\n") || strings.Contains(h, "set weight") ||
		!strings.Contains(h, "  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server\n") ||
		!strings.HasSuffix(h, "  quit                                    : disconnect\n") {
		t.Errorf("help at user level:\n%s", h)
	}
	if a := Execute(ft, "help", LevelAdmin); !strings.Contains(a, "set weight") {
		t.Errorf("help at admin level lacks set weight")
	}
	u := Execute(ft, "show stattt", LevelAdmin)
	if !strings.HasPrefix(u, "Unknown command, but maybe one of the following ones is a better match:\n  show stat ") {
		t.Errorf("unknown:\n%s", u)
	}
	if !IsChange("set server be/s1 state maint") || IsChange("show stat") || IsChange("get weight be/s1") {
		t.Error("IsChange")
	}
}

func TestSplitCommands(t *testing.T) {
	for in, want := range map[string][]string{
		"show info;show stat":      {"show info", "show stat"},
		`a\;b;c\\d`:                {"a;b", `c\d`},
		"one":                      {"one"},
		"x;":                       {"x", ""},
		`set server be/s1 addr \x`: {`set server be/s1 addr \x`},
	} {
		if got := SplitCommands(in); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("SplitCommands(%q) = %q, want %q", in, got, want)
		}
	}
}

// session runs a Session over a pipe with the given input.
func session(t *testing.T, lvl Level, input string, timeout time.Duration) (string, []string) {
	t.Helper()
	a, b := net.Pipe()
	var ran []string
	s := &Session{Level: lvl, Timeout: timeout, Exec: func(cmd string, l Level) string {
		ran = append(ran, fmt.Sprintf("%s@%v", cmd, l))
		return "out:" + cmd + "\n"
	}}
	first, rest, _ := strings.Cut(input, "\n")
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(a, first+"\n", strings.NewReader(rest))
		a.Close()
	}()
	out, _ := io.ReadAll(b)
	<-done
	return string(out), ran
}

func TestSessionNonInteractive(t *testing.T) {
	out, ran := session(t, LevelAdmin, "show info;show stat\nshow backend\n", time.Second)
	if out != "out:show info\n\nout:show stat\n\n" {
		t.Errorf("output %q", out)
	}
	if len(ran) != 2 {
		t.Errorf("ran %v: the second line must not run", ran)
	}
}

func TestSessionPrompt(t *testing.T) {
	out, ran := session(t, LevelAdmin, "prompt\nshow info\n\nuser; show cli level; set weight be/s1 2\nquit\nshow stat\n", time.Second)
	want := "\n> out:show info\n\n> out:\n\n> \nuser\n\nout:set weight be/s1 2\n\n> "
	if out != want {
		t.Errorf("output\n got %q\nwant %q", out, want)
	}
	if strings.Join(ran, ",") != "show info@admin,@admin,set weight be/s1 2@user" {
		t.Errorf("ran %v", ran)
	}
}

func TestSessionLevels(t *testing.T) {
	out, _ := session(t, LevelUser, "operator; show cli level\n", time.Second)
	if out != "Permission denied\n\nuser\n\n" {
		t.Errorf("user raising to operator: %q", out)
	}
	out, _ = session(t, LevelAdmin, "set timeout cli 5; set timeout cli x; set timeout foo 1; set timeout cli\n", time.Second)
	if out != "\nInvalid timeout value.\n\n'set timeout' only supports 'cli'.\n\nExpects an integer value.\n\n" {
		t.Errorf("set timeout: %q", out)
	}
}

// TestSessionTimeout: an interactive session that stays silent is
// closed after its timeout.
func TestSessionTimeout(t *testing.T) {
	a, b := net.Pipe()
	s := &Session{Level: LevelAdmin, Timeout: 100 * time.Millisecond, Exec: func(string, Level) string { return "" }}
	done := make(chan struct{})
	go func() {
		s.Serve(a, "prompt\n", a)
		a.Close()
		close(done)
	}()
	buf := make([]byte, 16)
	b.Read(buf) // the prompt
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the idle session was not closed")
	}
}

// FuzzExecute: no command line makes the parser or a command panic, and
// a split line joins back (modulo escapes) into what was split.
func FuzzExecute(f *testing.F) {
	for _, s := range []string{"show stat typed 3 4 -1", "set server be/s1 addr 1.2.3.4 port 80", `a\;b;c`, "set weight be/s1 50%", "help show", "show errors fe response"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, cmd := range SplitCommands(line) {
			Execute(newFake(), cmd, LevelAdmin)
			Execute(newFake(), cmd, LevelUser)
		}
	})
}
