package config

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// TestDocumentedKeywords checks that doc/configuration.md's keyword
// tables (rows "| `KEYWORD` | SECTIONS | ... |") list exactly the keywords
// and sections the parser supports.
func TestDocumentedKeywords(t *testing.T) {
	data, err := os.ReadFile("../../doc/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	valid := map[string]bool{"global": true, "defaults": true, "frontend": true, "listen": true, "backend": true, "resolvers": true}
	var documented []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		cells := strings.Split(l, "|")
		if len(cells) < 4 {
			continue
		}
		kw := strings.Trim(strings.TrimSpace(cells[1]), "`")
		secs := strings.Split(cells[2], ",")
		if !valid[strings.TrimSpace(secs[0])] {
			continue // another table (fetches, fallbacks)
		}
		for _, s := range secs {
			s = strings.TrimSpace(s)
			if !valid[s] {
				t.Errorf("row %q: unknown section %q", kw, s)
			}
			documented = append(documented, s+" "+kw)
		}
	}
	sort.Strings(documented)
	want := Keywords()
	if strings.Join(documented, "\n") != strings.Join(want, "\n") {
		d, w := map[string]bool{}, map[string]bool{}
		for _, k := range documented {
			d[k] = true
		}
		for _, k := range want {
			w[k] = true
			if !d[k] {
				t.Errorf("supported but not documented: %s", k)
			}
		}
		for _, k := range documented {
			if !w[k] {
				t.Errorf("documented but not supported: %s", k)
			}
		}
	}
}
