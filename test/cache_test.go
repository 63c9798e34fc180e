package e2e_test

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/test/harness"
)

// cacheOrigin is a server whose answers the query shapes: h=Name:Value
// adds a response field (repeatable), size=N gives N bytes of body,
// chunked=1 sends it chunked. Every answer carries X-Count, how many
// requests for that target the origin has seen, so a client tells a
// cached answer (an old count) from a fresh one.
type cacheOrigin struct {
	mu   sync.Mutex
	seen map[string]int
	addr string
}

func startCacheOrigin(t *testing.T) *cacheOrigin {
	o := &cacheOrigin{seen: map[string]int{}}
	o.addr = harness.StartOrigin(t, o.serve).Addr
	return o
}

// count is how many requests for target the origin saw.
func (o *cacheOrigin) count(target string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen[target]
}

func (o *cacheOrigin) serve(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, r.Body)
		o.mu.Lock()
		o.seen[r.RequestURI]++
		n := o.seen[r.RequestURI]
		o.mu.Unlock()
		q := r.URL.Query()
		body := "hello " + r.URL.Path + "\n"
		if s := q.Get("size"); s != "" {
			k, _ := strconv.Atoi(s)
			body = strings.Repeat("x", k)
		}
		var b strings.Builder
		b.WriteString("HTTP/1.1 200 OK\r\n")
		for _, h := range q["h"] {
			b.WriteString(strings.Replace(h, ":", ": ", 1) + "\r\n")
		}
		fmt.Fprintf(&b, "X-Count: %d\r\n", n)
		switch {
		case q.Get("chunked") != "":
			b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
			if r.Method != "HEAD" {
				half := len(body) / 2
				fmt.Fprintf(&b, "%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", half, body[:half], len(body)-half, body[half:])
			}
		default:
			fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
			if r.Method != "HEAD" {
				b.WriteString(body)
			}
		}
		if _, err := c.Write([]byte(b.String())); err != nil {
			return
		}
	}
}

// cacheTarget builds a target whose answer has the given fields.
func cacheTarget(path string, fields ...string) string {
	v := url.Values{}
	for _, f := range fields {
		v.Add("h", f)
	}
	if len(fields) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

const cacheCfg = base + `
frontend fe
    bind %s
    http-request cache-use c1
    http-response cache-store c1
    http-response set-header X-Hit %%[res.cache_hit]
    default_backend app
backend app
    server s1 %s
cache c1
    total-max-size 4
    max-object-size 2000
    max-age 60
    process-vary on
`

// startCacheProxy starts proxy (baton or haproxy) with cacheCfg in front
// of a new origin.
func startCacheProxy(t *testing.T, proxy string) (fe string, o *cacheOrigin) {
	o = startCacheOrigin(t)
	fe = harness.FreeAddr(t)
	cfg := fmt.Sprintf(cacheCfg, fe, o.addr)
	if proxy == "baton" {
		harness.Start(t, cfg, []string{fe})
	} else {
		harness.StartHAProxy(t, cfg, []string{fe})
	}
	return fe, o
}

// expectCount sends a request and checks the X-Count it gets: the
// origin's count when the answer was made (so a hit repeats an old one).
func expectCount(t *testing.T, fe, method, target string, want int, headers ...string) *harness.Response {
	t.Helper()
	r := harness.RoundTrip(t, fe, harness.Request(method, target, headers...)+"\r\n")
	if got := r.Get("X-Count"); got != strconv.Itoa(want) {
		t.Fatalf("%s %s %v: X-Count %q, want %d\n%s", method, target, headers, got, want, r)
	}
	return r
}

// TestCache: HAProxy's cache under both proxies: a miss then hits the
// server never sees, expiry, no-store, max-object-size, Vary with
// process-vary, 304 answers to conditional requests, HEAD, chunked
// responses, and the invalidation by a POST.
func TestCache(t *testing.T) {
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			t.Parallel()
			fe, o := startCacheProxy(t, proxy)

			t.Run("miss-then-hit", func(t *testing.T) {
				tg := cacheTarget("/a", "Cache-Control: max-age=60")
				r := expectCount(t, fe, "GET", tg, 1)
				if r.Has("Age") || r.Get("X-Hit") != "0" {
					t.Errorf("a miss with Age or X-Hit %q:\n%s", r.Get("X-Hit"), r)
				}
				for range 3 {
					r = expectCount(t, fe, "GET", tg, 1)
					if !r.Has("Age") || r.Get("X-Hit") != "1" || string(r.Body) != "hello /a\n" {
						t.Fatalf("a hit without Age or X-Hit 1, or another body:\n%s", r)
					}
				}
				if n := o.count(tg); n != 1 {
					t.Errorf("the origin saw %d requests, want 1", n)
				}
			})
			t.Run("max-age-expiry", func(t *testing.T) {
				// HAProxy counts whole seconds: max-age=2 is more than 1s.
				tg := cacheTarget("/exp", "Cache-Control: max-age=2")
				expectCount(t, fe, "GET", tg, 1)
				start := time.Now()
				expectCount(t, fe, "GET", tg, 1)
				harness.Eventually(t, 10*time.Second, "the object expires", func() bool {
					r := harness.RoundTrip(t, fe, harness.Request("GET", tg)+"\r\n")
					return r.Get("X-Count") == "2"
				})
				if d := time.Since(start); d < time.Second {
					t.Errorf("the object expired after %v, before its max-age of 2s", d)
				}
			})
			t.Run("no-store", func(t *testing.T) {
				tg := cacheTarget("/ns", "Cache-Control: no-store, max-age=60")
				expectCount(t, fe, "GET", tg, 1)
				expectCount(t, fe, "GET", tg, 2)
				tg = cacheTarget("/priv", "Cache-Control: private, max-age=60")
				expectCount(t, fe, "GET", tg, 1)
				expectCount(t, fe, "GET", tg, 2)
			})
			t.Run("max-object-size", func(t *testing.T) {
				big := "/big?size=5000&h=Cache-Control%3A+max-age%3D60"
				expectCount(t, fe, "GET", big, 1)
				expectCount(t, fe, "GET", big, 2)
				small := "/small?size=500&h=Cache-Control%3A+max-age%3D60"
				expectCount(t, fe, "GET", small, 1)
				if r := expectCount(t, fe, "GET", small, 1); len(r.Body) != 500 {
					t.Errorf("the hit's body has %d bytes, want 500", len(r.Body))
				}
			})
			t.Run("vary", func(t *testing.T) {
				tg := cacheTarget("/v", "Cache-Control: max-age=60", "Vary: Accept-Encoding")
				expectCount(t, fe, "GET", tg, 1, "Accept-Encoding: gzip")
				expectCount(t, fe, "GET", tg, 1, "Accept-Encoding: gzip")
				// An identity answer serves every coding's request.
				expectCount(t, fe, "GET", tg, 1, "Accept-Encoding: br")
				gz := cacheTarget("/vgz", "Cache-Control: max-age=60", "Vary: Accept-Encoding", "Content-Encoding: gzip")
				expectCount(t, fe, "GET", gz, 1, "Accept-Encoding: gzip")
				expectCount(t, fe, "GET", gz, 1, "Accept-Encoding: gzip, br")
				expectCount(t, fe, "GET", gz, 2, "Accept-Encoding: br") // a gzip answer does not serve it
				// A field the cache does not vary on: never stored.
				ua := cacheTarget("/vua", "Cache-Control: max-age=60", "Vary: User-Agent")
				expectCount(t, fe, "GET", ua, 1)
				expectCount(t, fe, "GET", ua, 2)
			})
			t.Run("revalidation-304", func(t *testing.T) {
				tg := cacheTarget("/etag", "Cache-Control: max-age=60", `ETag: "v1"`)
				expectCount(t, fe, "GET", tg, 1)
				r := expectCount(t, fe, "GET", tg, 1, `If-None-Match: "v1"`)
				if r.Status != 304 || len(r.Body) != 0 {
					t.Errorf("If-None-Match of the stored ETag: status %d, body %q, want 304 without body", r.Status, r.Body)
				}
				r = expectCount(t, fe, "GET", tg, 1, `If-None-Match: "other"`)
				if r.Status != 200 || string(r.Body) != "hello /etag\n" {
					t.Errorf("If-None-Match of another ETag: %d %q, want the stored 200", r.Status, r.Body)
				}
				lm := cacheTarget("/lm", "Cache-Control: max-age=60", "Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT")
				expectCount(t, fe, "GET", lm, 1)
				if r := expectCount(t, fe, "GET", lm, 1, "If-Modified-Since: Tue, 02 Jan 2024 00:00:00 GMT"); r.Status != 304 {
					t.Errorf("If-Modified-Since after Last-Modified: status %d, want 304", r.Status)
				}
				if r := expectCount(t, fe, "GET", lm, 1, "If-Modified-Since: Sun, 31 Dec 2023 00:00:00 GMT"); r.Status != 200 {
					t.Errorf("If-Modified-Since before Last-Modified: status %d, want 200", r.Status)
				}
			})
			t.Run("head", func(t *testing.T) {
				tg := cacheTarget("/head", "Cache-Control: max-age=60")
				expectCount(t, fe, "HEAD", tg, 1) // HEAD answers are not stored
				expectCount(t, fe, "HEAD", tg, 2)
				expectCount(t, fe, "GET", tg, 3)
				if r := expectCount(t, fe, "HEAD", tg, 3); len(r.Body) != 0 || r.Get("Content-Length") != "12" {
					t.Errorf("a HEAD hit: body %q, Content-Length %q, want none and 12", r.Body, r.Get("Content-Length"))
				}
			})
			t.Run("chunked", func(t *testing.T) {
				tg := "/ch?chunked=1&size=600&h=Cache-Control%3A+max-age%3D60"
				expectCount(t, fe, "GET", tg, 1)
				if r := expectCount(t, fe, "GET", tg, 1); len(r.Body) != 600 {
					t.Errorf("the hit of a chunked answer has %d bytes, want 600", len(r.Body))
				}
			})
			t.Run("post-invalidates", func(t *testing.T) {
				tg := cacheTarget("/inv", "Cache-Control: max-age=60")
				expectCount(t, fe, "GET", tg, 1)
				expectCount(t, fe, "GET", tg, 1)
				r := harness.RoundTrip(t, fe, harness.Request("POST", tg, "Content-Length: 1")+"\r\nx")
				if r.Status != 200 {
					t.Fatalf("POST: %d", r.Status)
				}
				expectCount(t, fe, "GET", tg, 3)
			})
		})
	}
}

// TestCacheSurvivesReload: objects stored by one generation are served
// by the next without the server seeing the request, across reloads and
// a binary upgrade; a cache whose size changed starts empty.
func TestCacheSurvivesReload(t *testing.T) {
	o := startCacheOrigin(t)
	fe := harness.FreeAddr(t)
	b := harness.Start(t, fmt.Sprintf(cacheCfg, fe, o.addr), []string{fe})
	tg := cacheTarget("/r", "Cache-Control: max-age=60")
	expectCount(t, fe, "GET", tg, 1)
	for i := range 2 {
		if out, code := b.Reload(); code != 0 {
			t.Fatalf("reload %d: %d %s", i+1, code, out)
		}
		r := expectCount(t, fe, "GET", tg, 1)
		if r.Get("X-Hit") != "1" {
			t.Fatalf("after reload %d: not a hit:\n%s", i+1, r)
		}
	}
	if n := o.count(tg); n != 1 {
		t.Errorf("the origin saw %d requests across the reloads, want 1", n)
	}
	// A binary upgrade: the new master image adopts the segment.
	out, err := exec.Command(harness.Binary(t), "upgrade", "-S", b.Socket).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "Success=1") {
		t.Fatalf("upgrade: %v %s", err, out)
	}
	if out, code := b.Reload(); code != 0 { // a generation of the new image
		t.Fatalf("reload after the upgrade: %d %s", code, out)
	}
	if r := expectCount(t, fe, "GET", tg, 1); r.Get("X-Hit") != "1" {
		t.Fatalf("after the upgrade: not a hit:\n%s", r)
	}
	b.WriteConfig(strings.Replace(fmt.Sprintf(cacheCfg, fe, o.addr), "total-max-size 4", "total-max-size 8", 1))
	if out, code := b.Reload(); code != 0 {
		t.Fatalf("reload with a larger cache: %d %s", code, out)
	}
	expectCount(t, fe, "GET", tg, 2) // a new size: a new, empty cache
	expectCount(t, fe, "GET", tg, 2)
}

// TestCacheHitCompressed: the cache keeps what the server sent, and a
// hit is compressed on its way out like a miss, as HAProxy's
// compression after its cache does; a client without Accept-Encoding
// gets the same object plain.
func TestCacheHitCompressed(t *testing.T) {
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			t.Parallel()
			o := startCacheOrigin(t)
			fe := harness.FreeAddr(t)
			cfg := fmt.Sprintf(base+`
frontend fe
    bind %s
    http-request cache-use c1
    http-response cache-store c1
    compression algo gzip
    default_backend app
backend app
    server s1 %s
cache c1
    total-max-size 4
    max-age 60
`, fe, o.addr)
			if proxy == "baton" {
				harness.Start(t, cfg, []string{fe})
			} else {
				harness.StartHAProxy(t, cfg, []string{fe})
			}
			tg := cacheTarget("/z", "Cache-Control: max-age=60", "Content-Type: text/plain")
			want := "hello /z\n"
			for i, hit := range []bool{false, true, true} {
				r := expectCount(t, fe, "GET", tg, 1, "Accept-Encoding: gzip")
				if r.Has("Age") != hit || r.Get("Content-Encoding") != "gzip" {
					t.Fatalf("request %d (hit %v): Age %v, Content-Encoding %q, want gzip\n%s", i, hit, r.Has("Age"), r.Get("Content-Encoding"), r)
				}
				zr, err := gzip.NewReader(strings.NewReader(string(r.Body)))
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if b, err := io.ReadAll(zr); err != nil || string(b) != want {
					t.Fatalf("request %d: gunzipped %q, %v; want %q", i, b, err, want)
				}
			}
			r := expectCount(t, fe, "GET", tg, 1)
			if r.Has("Content-Encoding") || string(r.Body) != want || !r.Has("Age") {
				t.Errorf("a plain hit:\n%s", r)
			}
		})
	}
}
