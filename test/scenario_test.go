// Package e2e_test runs one scenario per documented keyword against the
// built baton binary and, when haproxy is installed, against haproxy with
// the very same configuration text and the very same assertions: the
// subset must behave alike in both.
package e2e_test

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"

	"baton/internal/sample"
	"baton/test/harness"
)

// proxies are the implementations every scenario runs against.
var proxies = []string{"baton", "haproxy"}

// base is the common head of scenario configurations: timeouts generous
// enough for a loaded machine, so only scenarios about a timeout set a
// short one.
const base = `global
    maxconn 1000

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
`

// scenario is one configuration and what must be observed through it.
//
// Placeholders in cfg name loopback addresses: ${FE...} a free port the
// proxy binds (and is waited for), ${S...} a sample server labelled with
// the placeholder's name in lower case (S1 -> "s1"), ${DEAD...} a port
// nothing listens on, ${O...} an origin from origins, ${R...} a sample
// server (labelled like ${S...}) behind a relay that counts the
// connections the proxy opens to it.
type scenario struct {
	name     string
	cfg      string
	origins  map[string]func(net.Conn)
	requests []req
	// check runs after requests, for what a request table cannot say.
	check func(e *env)
	// files are written to a directory the configuration names as
	// ${FILES} (map files, pattern files, response bodies).
	files map[string]string
	// haproxyDiffers, when set, says why HAProxy legitimately behaves
	// differently from Baton's documented choice; its subtest is skipped
	// with that reason instead of weakening the assertion
	// (E2E_HAPROXY_DIFFERS=1 runs it anyway, to see the difference).
	haproxyDiffers string
}

// req is one request on a new connection and its expected response.
type req struct {
	raw     string   // exact bytes; empty: built from method, path, headers
	method  string   // default GET
	path    string   // default "/"
	headers []string // "Name: value"; a Host line replaces the default one
	body    string   // request body (Content-Length added)

	status  int
	backend string // expected X-Backend label; "-" means none (proxy answer)
	// hdrs are response header expectations: "Name: value" must be
	// present with exactly that value, "!Name" must be absent.
	hdrs []string
	// seen are expectations on the request head the server received
	// (the /headers body), in the same notation; names are compared
	// case-insensitively because HAProxy lowercases them.
	seen     []string
	bodyHas  string
	bodyIs   *string
	repeat   int // send the request this many times (default 1)
	describe string
}

func (r req) bytes() string {
	if r.raw != "" {
		return r.raw
	}
	method, path := r.method, r.path
	if method == "" {
		method = "GET"
	}
	if path == "" {
		path = "/"
	}
	head := harness.Request(method, path, r.headers...)
	if r.body != "" {
		head += fmt.Sprintf("Content-Length: %d\r\n", len(r.body))
	}
	return head + "\r\n" + r.body
}

// env is one running proxy with its peers.
type env struct {
	t       *testing.T
	proxy   string // "baton" or "haproxy"
	addrs   map[string]string
	servers map[string]*sample.Server
	origins map[string]*harness.Origin
	stdout  *harness.Output
	stderr  *harness.Output
}

// fe returns the address of placeholder name (default "FE").
func (e *env) fe() string { return e.addrs["FE"] }

// get sends r on a new connection and checks the response.
func (e *env) do(r req) *harness.Response {
	e.t.Helper()
	raw := r.bytes()
	method, _, _ := strings.Cut(raw, " ")
	resp := harness.RoundTrip(e.t, e.fe(), raw)
	what := r.describe
	if what == "" {
		what = strings.SplitN(raw, "\r\n", 2)[0]
	}
	if resp.Status != r.status && r.status != 0 {
		e.t.Errorf("%s: status %d, want %d\n%s", what, resp.Status, r.status, resp)
	}
	if r.backend != "" {
		got := resp.Get("X-Backend")
		if r.backend == "-" && got != "" {
			e.t.Errorf("%s: answered by backend %q, want the proxy itself", what, got)
		} else if r.backend != "-" && got != r.backend {
			e.t.Errorf("%s: backend %q, want %q\n%s", what, got, r.backend, resp)
		}
	}
	for _, h := range r.hdrs {
		if err := expectHeader(resp.Headers, h); err != nil {
			e.t.Errorf("%s: response %v\n%s", what, err, resp.Head)
		}
	}
	if len(r.seen) > 0 {
		got := parseHead(string(resp.Body))
		for _, h := range r.seen {
			if err := expectHeader(got, h); err != nil {
				e.t.Errorf("%s: request seen by the server: %v\n%s", what, err, resp.Body)
			}
		}
	}
	if r.bodyHas != "" && !strings.Contains(string(resp.Body), r.bodyHas) {
		e.t.Errorf("%s: body %q lacks %q", what, resp.Body, r.bodyHas)
	}
	if r.bodyIs != nil && string(resp.Body) != *r.bodyIs {
		e.t.Errorf("%s: body %q, want %q", what, resp.Body, *r.bodyIs)
	}
	_ = method
	return resp
}

func ptr[T any](v T) *T { return &v }

// expectHeader checks "Name: value" (present with that value, names
// case-insensitive) or "!Name" (absent) against hs.
func expectHeader(hs []harness.Header, want string) error {
	if name, ok := strings.CutPrefix(want, "!"); ok {
		for _, h := range hs {
			if strings.EqualFold(h.Name, name) {
				return fmt.Errorf("has %s: %s, want none", h.Name, h.Value)
			}
		}
		return nil
	}
	name, value, _ := strings.Cut(want, ":")
	value = strings.TrimSpace(value)
	var vals []string
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			if h.Value == value {
				return nil
			}
			vals = append(vals, h.Value)
		}
	}
	if vals == nil {
		return fmt.Errorf("lacks %s (want %q)", name, value)
	}
	return fmt.Errorf("%s is %q, want %q", name, vals, value)
}

// parseHead splits a raw request head (the /headers body) into fields.
func parseHead(head string) []harness.Header {
	var out []harness.Header
	lines := strings.Split(head, "\r\n")
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		out = append(out, harness.Header{Name: name, Value: strings.TrimSpace(value)})
	}
	return out
}

var placeholder = regexp.MustCompile(`\$\{([A-Z]+[0-9]*)\}`)

// setup starts the peers the configuration names, then the proxy.
func setup(t *testing.T, proxy string, sc scenario) *env {
	t.Helper()
	e := &env{
		t:       t,
		proxy:   proxy,
		addrs:   map[string]string{},
		servers: map[string]*sample.Server{},
		origins: map[string]*harness.Origin{},
	}
	var listen []string
	for _, m := range placeholder.FindAllStringSubmatch(sc.cfg, -1) {
		name := m[1]
		if _, done := e.addrs[name]; done {
			continue
		}
		switch {
		case name == "FILES":
			dir := t.TempDir()
			for f, data := range sc.files {
				if err := os.WriteFile(dir+"/"+f, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			e.addrs[name] = dir
		case strings.HasPrefix(name, "FE"):
			e.addrs[name] = harness.FreeAddr(t)
			listen = append(listen, e.addrs[name])
		case strings.HasPrefix(name, "DEAD"):
			e.addrs[name] = harness.ClosedAddr(t)
		case strings.HasPrefix(name, "S"):
			s, err := sample.Start("127.0.0.1:0", strings.ToLower(name))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			e.servers[name] = s
			e.addrs[name] = s.Addr
		case strings.HasPrefix(name, "R"):
			s, err := sample.Start("127.0.0.1:0", strings.ToLower(name))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			o := harness.StartOrigin(t, harness.Relay(s.Addr))
			e.servers[name], e.origins[name] = s, o
			e.addrs[name] = o.Addr
		case strings.HasPrefix(name, "O"):
			h, ok := sc.origins[name]
			if !ok {
				t.Fatalf("scenario names ${%s} but has no origin for it", name)
			}
			o := harness.StartOrigin(t, h)
			e.origins[name] = o
			e.addrs[name] = o.Addr
		default:
			t.Fatalf("unknown placeholder ${%s}", name)
		}
	}
	// Other ${NAME}s are left to the proxies (environment variables).
	cfg := os.Expand(sc.cfg, func(k string) string {
		if v, ok := e.addrs[k]; ok {
			return v
		}
		return "${" + k + "}"
	})
	switch proxy {
	case "baton":
		b := harness.Start(t, cfg, listen)
		e.stdout, e.stderr = b.Stdout, b.Stderr
	case "haproxy":
		h := harness.StartHAProxy(t, cfg, listen)
		e.stdout, e.stderr = h.Stdout, h.Stderr
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("configuration:\n%s\n%s stderr:\n%s", cfg, proxy, e.stderr)
		}
	})
	return e
}

// run runs every scenario against every proxy, in parallel.
func run(t *testing.T, scenarios []scenario) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			for _, proxy := range proxies {
				t.Run(proxy, func(t *testing.T) {
					t.Parallel()
					if proxy == "haproxy" && sc.haproxyDiffers != "" && os.Getenv("E2E_HAPROXY_DIFFERS") == "" {
						t.Skip("HAProxy differs: " + sc.haproxyDiffers)
					}
					e := setup(t, proxy, sc)
					for _, r := range sc.requests {
						for range max(r.repeat, 1) {
							e.do(r)
						}
					}
					if sc.check != nil {
						sc.check(e)
					}
				})
			}
		})
	}
}
