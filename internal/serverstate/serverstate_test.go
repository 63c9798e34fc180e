package serverstate

import (
	"bytes"
	"strings"
	"testing"
)

// haproxyOutput is "show servers state" of HAProxy 2.6.12 (a checked and
// an unchecked server).
const haproxyOutput = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 be 1 s1 127.0.0.1 2 0 1 1 11 6 3 4 6 0 0 0 - 18091 - 0 0 - - 0
3 be 2 s2 127.0.0.1 2 0 2 2 16 1 0 2 0 0 0 0 - 18092 - 0 0 - - 0
`

func TestRoundTrip(t *testing.T) {
	lines, bad, err := Parse(strings.NewReader(haproxyOutput))
	if err != nil || len(bad) > 0 {
		t.Fatalf("Parse: %v %v", err, bad)
	}
	if len(lines) != 2 || lines[0].Server != "s1" || lines[0].CheckStatus != CheckStatusCode("L4OK") || lines[1].Port != 18092 {
		t.Fatalf("parsed %+v", lines)
	}
	var out bytes.Buffer
	if err := Write(&out, lines); err != nil {
		t.Fatal(err)
	}
	if out.String() != haproxyOutput {
		t.Errorf("written:\n%s\nwant:\n%s", out.String(), haproxyOutput)
	}
}

func TestParseTable(t *testing.T) {
	for _, c := range []struct {
		name, in string
		lines    int
		bad      int
		err      bool
	}{
		{"empty", "", 0, 0, true},
		{"version only", "1\n", 0, 0, false},
		{"wrong version", "2\n3 be 1 s1 - 2 0 1 1 0 1 0 2 0\n", 0, 0, true},
		{"comments and blanks", "# x\n\n1\n# header\n3 be 1 s1 10.0.0.1 2 1 5 1 0 1 0 2 0\n", 1, 0, false},
		{"short line", "1\n3 be 1 s1\n", 0, 1, false},
		{"not a number", "1\n3 be x s1 - 2 0 1 1 0 1 0 2 0\n", 0, 1, false},
		{"op state out of range", "1\n3 be 1 s1 - 7 0 1 1 0 1 0 2 0\n", 0, 1, false},
		{"weight out of range", "1\n3 be 1 s1 - 2 0 999 1 0 1 0 2 0\n", 0, 1, false},
	} {
		lines, bad, err := Parse(strings.NewReader(c.in))
		if (err != nil) != c.err || len(lines) != c.lines || len(bad) != c.bad {
			t.Errorf("%s: %d lines, bad %v, err %v; want %d lines, %d bad, err %v", c.name, len(lines), bad, err, c.lines, c.bad, c.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(haproxyOutput)
	f.Add("1\n3 be 1 s1 - 2 0 1 1 0 1 0 2 0\n")
	f.Fuzz(func(t *testing.T, in string) {
		lines, _, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		// What was read writes back and reads again to the same lines.
		var out bytes.Buffer
		Write(&out, lines)
		again, bad, err := Parse(&out)
		if err != nil || len(bad) > 0 || len(again) != len(lines) {
			t.Fatalf("re-read: %v %v %d/%d", err, bad, len(again), len(lines))
		}
	})
}
