package e2e_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"baton/internal/sample"
	"baton/test/harness"
)

// TestStickTableSurvivesReload fills a client's request rate, reloads
// and sees the limit still applied: with the same table definition (the
// generations share the entries), with a changed one (the next
// generation copies them, keeping the data types both store), and
// across a binary upgrade (the master keeps the segment).
func TestStickTableSurvivesReload(t *testing.T) {
	fe := harness.FreeAddr(t)
	cfg := func(store string) string {
		return fmt.Sprintf(base+`
frontend fe
    bind %s
    http-request track-sc0 src table per_ip
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 10 }
    http-request return status 200 content-type text/plain lf-string "n=%%[sc0_http_req_cnt]"
backend per_ip
    stick-table type ip size 1k expire 10m store %s
`, fe, store)
	}
	b := harness.Start(t, cfg("http_req_rate(10m),http_req_cnt"), []string{fe})
	send := func(src string, want int, what string) {
		t.Helper()
		r := getFrom(t, src, fe, "/")
		if r.Status != want {
			t.Fatalf("%s: status %d, want %d (%s)", what, r.Status, want, r.Body)
		}
	}
	for i := 1; i <= 8; i++ {
		send("127.0.0.2", 200, fmt.Sprintf("request %d", i))
	}
	if out, code := b.Reload(); code != 0 {
		t.Fatalf("reload: %d %s", code, out)
	}
	r := getFrom(t, "127.0.0.2", fe, "/")
	if r.Status != 200 || string(r.Body) != "n=9" {
		t.Fatalf("after the reload: %d %q, want 200 n=9 (the entry kept its count)", r.Status, r.Body)
	}
	send("127.0.0.2", 200, "request 10")
	send("127.0.0.2", 429, "request 11, after a reload")
	send("127.0.0.3", 200, "another client")

	// A changed definition: gpc0 added.
	b.WriteConfig(cfg("http_req_rate(10m),http_req_cnt,gpc0"))
	if out, code := b.Reload(); code != 0 {
		t.Fatalf("reload with a changed table: %d %s", code, out)
	}
	send("127.0.0.2", 429, "request 12, after the table changed")
	send("127.0.0.3", 200, "another client, after the table changed")

	// A binary upgrade: the new master image adopts the segment.
	out, err := exec.Command(harness.Binary(t), "upgrade", "-S", b.Socket).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "Success=1") {
		t.Fatalf("upgrade: %v %s", err, out)
	}
	if out, code := b.Reload(); code != 0 { // a generation of the new image
		t.Fatalf("reload after the upgrade: %d %s", code, out)
	}
	send("127.0.0.2", 429, "request 13, after a binary upgrade")
	r = getFrom(t, "127.0.0.3", fe, "/")
	if r.Status != 200 || string(r.Body) != "n=3" {
		t.Fatalf("another client after the upgrade: %d %q, want 200 n=3", r.Status, r.Body)
	}
}

// TestStickPersistenceSurvivesReload: a client stuck to a server by
// stick on src stays on it after a reload, although round robin starts
// again from the first server in the new generation.
func TestStickPersistenceSurvivesReload(t *testing.T) {
	var s []string
	for _, label := range []string{"s1", "s2"} {
		srv, err := sample.Start("127.0.0.1:0", label)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		s = append(s, srv.Addr)
	}
	fe := harness.FreeAddr(t)
	cfg := fmt.Sprintf(base+`
frontend fe
    bind %s
    default_backend app
backend app
    balance roundrobin
    stick-table type ip size 1k expire 30m
    stick on src
    server s1 %s
    server s2 %s
`, fe, s[0], s[1])
	b := harness.Start(t, cfg, []string{fe})
	stuck := map[string]string{}
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		stuck[src] = getFrom(t, src, fe, "/").Get("X-Backend")
	}
	if stuck["127.0.0.2"] == stuck["127.0.0.3"] {
		t.Fatalf("round robin sent both clients to %s", stuck["127.0.0.2"])
	}
	for i := 0; i < 2; i++ {
		if out, code := b.Reload(); code != 0 {
			t.Fatalf("reload: %d %s", code, out)
		}
		// The other order than the first requests: a new round robin
		// would send the first client of the reload to s1.
		for _, src := range []string{"127.0.0.3", "127.0.0.2"} {
			want := stuck[src]
			if got := getFrom(t, src, fe, "/").Get("X-Backend"); got != want {
				t.Errorf("after reload %d, client %s went to %s, was stuck to %s", i+1, src, got, want)
			}
		}
	}
}
