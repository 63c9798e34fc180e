package ops_test

import (
	"testing"
)

// TestProxyIDs: "id" sets a proxy's iid in show stat; the proxies
// without one are numbered in file order from a candidate that moves on
// past every proxy, numbered or not, skipping the numbers taken, as in
// HAProxy ("last" gets 5, not the unused 4).
func TestProxyIDs(t *testing.T) {
	cfg := `global
    stats socket ${SOCK} level admin
` + httpDefaults + `
frontend fe
    bind ${FE}
    default_backend be

backend be
    id 3
    server s1 ${S1}

backend other
    id 10
    server s2 ${S1}

backend last
    server s3 ${S1}
`
	ps := startPair(t, cfg, map[string]string{"S1": origin(t, "s1")}, "FE")
	outs := both(t, ps, "show stat")
	want := map[string]string{"fe/FRONTEND": "2", "be/BACKEND": "3", "other/BACKEND": "10", "last/BACKEND": "5"}
	for _, p := range ps {
		h, rows, _ := csvRows(t, outs[p.name])
		for k, w := range want {
			r := rows[k]
			if r == nil {
				t.Errorf("%s: no row %s", p.name, k)
				continue
			}
			if got := col(t, h, r, "iid"); got != w {
				t.Errorf("%s: %s iid %s, want %s", p.name, k, got, w)
			}
		}
	}
}
