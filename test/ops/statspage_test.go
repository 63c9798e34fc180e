package ops_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

const pageConfig = `global
    stats socket ${SOCK} level admin
` + httpDefaults + `
frontend fe
    bind ${FE}
    default_backend app

backend app
    server s1 ${S1} check inter 200ms
    server s2 ${S2}

listen st
    bind ${ST}
    stats enable
    stats uri /stats
    stats refresh 10s
    stats admin if TRUE
`

// pageRow is a server or proxy row of the page as the browser sees it.
type pageRow struct {
	Proxy, Name, Class, Status string
}

// pageView is what the test reads of the page's DOM.
type pageView struct {
	Proxies []string
	Rows    []pageRow
	Serving string
	Banner  string
	URL     string
}

const readPage = `(() => ({
	proxies: [...document.querySelectorAll('table.proxy')].map(t => t.dataset.proxy),
	rows: [...document.querySelectorAll('tr[data-name]')].map(r => ({proxy: r.closest('table').dataset.proxy,
		name: r.dataset.name, class: r.className, status: r.dataset.status})),
	serving: (document.getElementById('serving') || {}).textContent || '',
	banner: (document.getElementById('status') || {}).textContent || '',
	url: location.href,
}))()`

func (v *pageView) row(proxy, name string) pageRow {
	for _, r := range v.Rows {
		if r.Proxy == proxy && r.Name == name {
			return r
		}
	}
	return pageRow{}
}

// TestStatsPageInChromium loads the statistics page in headless
// Chromium, reads its tables, drains a server through the admin form and
// sees the state change, on the page, on the runtime API and after a
// reload; screenshots go to the test's artifact directory.
func TestStatsPageInChromium(t *testing.T) {
	shared := map[string]string{"S1": origin(t, "s1"), "S2": origin(t, "s2")}
	p := startBaton(t, pageConfig, shared, "FE", "ST") // HAProxy's page has no test ids
	get(t, p.addrs["FE"], "/", 6)
	br := harness.StartChromium(t)
	shots := t.ArtifactDir()

	var v pageView
	page := "http://" + p.addrs["ST"] + "/stats"
	harness.Eventually(t, 10*time.Second, "s1's check passes", func() bool {
		br.Navigate(page)
		br.Eval(readPage, &v)
		return v.row("app", "s1").Status == "UP"
	})
	if strings.Join(v.Proxies, ",") != "fe,app,st" {
		t.Errorf("proxies %v, want fe,app,st", v.Proxies)
	}
	if r := v.row("app", "s1"); r.Class != "active_up" {
		t.Errorf("s1 row %+v, want class active_up", r)
	}
	if r := v.row("app", "s2"); r.Class != "active_no_check" || r.Status != "no check" {
		t.Errorf("s2 row %+v, want active_no_check", r)
	}
	if r := v.row("fe", "Frontend"); r.Class != "frontend" {
		t.Errorf("frontend row %+v", r)
	}
	if v.Serving != "1" {
		t.Errorf("serving generation %q, want 1", v.Serving)
	}
	var cells []string
	br.Eval(`[...document.querySelector('tr[data-name="Frontend"]').children].map(c => c.textContent)`, &cells)
	if len(cells) < 12 || cells[9] != "6" && cells[9] != "7" {
		t.Errorf("frontend sessions total cell %v, want 6 or 7 (6 requests, and the page's own when served by fe)", cells)
	}
	br.Screenshot(filepath.Join(shots, "stats-page.png"))

	// The admin action, through the form: tick s1, choose DRAIN, Apply.
	br.EvalNavigate(`(() => {
		const row = document.querySelector('table[data-proxy="app"] tr[data-name="s1"]');
		row.querySelector('input.srv').click();
		const form = row.closest('form');
		form.querySelector('select[name=action]').value = 'drain';
		form.querySelector('input[type=submit]').click();
	})()`)
	br.Eval(readPage, &v)
	if !strings.HasSuffix(v.URL, "/stats;st=DONE") || !strings.Contains(v.Banner, "Action processed successfully.") {
		t.Errorf("after the action: url %q banner %q", v.URL, v.Banner)
	}
	if r := v.row("app", "s1"); r.Class != "active_draining" || r.Status != "DRAIN" {
		t.Errorf("s1 after drain: %+v, want active_draining DRAIN", r)
	}
	br.Screenshot(filepath.Join(shots, "stats-page-drained.png"))
	if st := p.cmd(t, "show servers state app"); !strings.Contains(st, "\n3 app 1 s1 127.0.0.1 2 8 ") {
		t.Errorf("runtime API after the page's drain:\n%s", st)
	}

	// The state survives a reload; the page says generation 2 serves.
	if out, code := p.baton.Reload(); code != 0 {
		t.Fatalf("reload: %s", out)
	}
	harness.Eventually(t, 10*time.Second, "generation 2 on the page", func() bool {
		br.Navigate(page)
		br.Eval(readPage, &v)
		return v.Serving == "2"
	})
	if r := v.row("app", "s1"); r.Status != "DRAIN" {
		t.Errorf("s1 after the reload: %+v, want DRAIN", r)
	}
	br.Screenshot(filepath.Join(shots, "stats-page-after-reload.png"))
	t.Logf("screenshots in %s", shots)
}
