package ops_test

import (
	"regexp"
	"strings"
	"testing"

	"baton/test/harness"
)

// TestShowCacheAgainstHAProxy: "show cache" lists each cache section
// with its size in 1 KiB blocks, then one line per live object, in
// HAProxy 2.6's line shapes; the identifiers (pointers in HAProxy) are
// not compared, the counts, sizes in blocks and expiry are.
func TestShowCacheAgainstHAProxy(t *testing.T) {
	o := harness.StartOrigin(t, harness.Answer("HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\nContent-Length: 6\r\n\r\nhello\n"))
	cfg := `global
    stats socket ${SOCK} level admin
` + httpDefaults + `
cache small
    total-max-size 4
    max-age 60

frontend fe
    bind ${FE}
    http-request cache-use small
    http-response cache-store small
    default_backend be

backend be
    server s1 ${O1}

cache other
    total-max-size 1
`
	ps := startPair(t, cfg, map[string]string{"O1": o.Addr}, "FE")
	section := regexp.MustCompile(`^0x[0-9a-f]+: (\w+) \(shctx:0x[0-9a-f]+, available blocks:(\d+)\)$`)
	object := regexp.MustCompile(`^0x[0-9a-f]+ hash:\d+ vary:0x[0-9a-f]{16} size:\d+ \((\d+) blocks\), refcount:0, expire:(\d+)$`)
	for _, p := range ps {
		for _, path := range []string{"/a", "/b", "/b", "/c?x=1"} {
			get(t, p.addrs["FE"], path, 1)
		}
		out := p.cmd(t, "show cache")
		var got []string
		for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
			if m := section.FindStringSubmatch(l); m != nil {
				got = append(got, m[1]+" "+m[2])
			} else if m := object.FindStringSubmatch(l); m != nil {
				if m[2] != "30" && m[2] != "29" {
					t.Errorf("%s: object expires in %ss, want 30 (max-age)", p.name, m[2])
				}
				got = append(got, "object "+m[1])
			} else {
				t.Errorf("%s: unexpected line %q", p.name, l)
			}
		}
		want := "small 4096|object 1|object 1|object 1|other 1024"
		if strings.Join(got, "|") != want {
			t.Errorf("%s: show cache gave %q, want %q\n%s", p.name, strings.Join(got, "|"), want, out)
		}
	}
}
