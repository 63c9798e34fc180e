package checks_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/proxyproto"
	"baton/test/harness"
)

// echoOrigin answers every request with the headers a PROXY-aware
// frontend derives from the client's address, and counts requests.
func echoOrigin(t *testing.T) (string, *atomic.Int64) {
	var hits atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprintf(w, "xff=%s pp=%s", r.Header.Get("X-Forwarded-For"), r.Header.Get("X-PP"))
	}))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://"), &hits
}

// exchange sends prefix and a GET on a new connection from local (""
// for any) and returns the response body, or "closed" when the
// connection ends without an answer.
func exchange(t *testing.T, addr, local, prefix string) string {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, prefix+"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, err := harness.ReadResponse(bufio.NewReader(c), "GET")
	if err != nil {
		return "closed"
	}
	return string(resp.Body)
}

// connErrRE matches HAProxy's log line of a connection refused before
// any request: "IP:PORT [DATE] FRONTEND/BIND: MESSAGE".
var connErrRE = regexp.MustCompile(`\S+:\d+ \[[^]]+\] (\S+/\S+: .*)$`)

// connErrors returns the connection-error lines logged so far, without
// the client's address and the date.
func (p *proc) connErrors() []string {
	var out []string
	for _, l := range p.out.Lines() {
		if m := connErrRE.FindStringSubmatch(l); m != nil && !strings.Contains(l, " is DOWN") && !strings.Contains(l, " is UP") {
			out = append(out, m[1])
		}
	}
	return out
}

func (p *proc) waitConnErrors(n int) []string {
	p.t.Helper()
	harness.Eventually(p.t, 10*time.Second, fmt.Sprintf("%s: %d connection error lines", p.impl, n), func() bool {
		return len(p.connErrors()) >= n
	})
	return p.connErrors()
}

func v2(t *testing.T, src, dst string, tlvs ...proxyproto.TLV) string {
	return string(proxyproto.AppendV2(nil, netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst), tlvs, false))
}

// ppConfig is an HTTP frontend on fe (with bind options and an extra
// line) adding X-Forwarded-For and an X-PP header of value pp, in front
// of origin.
func ppConfig(fe, bindOpts, extra, pp, origin string) string {
	return logged + `
frontend fe
  mode http
  bind ` + fe + bindOpts + `
  ` + extra + `
  option forwardfor
  http-request set-header X-PP "` + pp + `"
  default_backend be
backend be
  mode http
  server s ` + origin + "\n"
}

// TestAcceptProxy sends PROXY headers (curl's, crafted v1 and v2 ones,
// LOCAL and UNKNOWN forms, malformed ones) to an accept-proxy bind: the
// header's source becomes the client (X-Forwarded-For), the fc_pp_*
// fetches read it, and a bad header closes the connection with HAProxy's
// log line, nothing reaching the server. The fetches work in the log
// format too.
func TestAcceptProxy(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	origin, hits := echoOrigin(t)
	both(t, func(t *testing.T, start starter) []string {
		fe := harness.FreeAddr(t)
		p := start(ppConfig(fe, " accept-proxy name pp", `log-format "ppl %[fc_rcvd_proxy]/%[fc_pp_authority]/%[fc_pp_unique_id] %ci"`,
			"%[fc_rcvd_proxy]/%[fc_pp_authority]/%[fc_pp_unique_id]", origin), fe)
		var got []string
		out, err := exec.Command("curl", "-sS", "--max-time", "10", "--haproxy-protocol", "http://"+fe+"/").CombinedOutput()
		if err != nil {
			t.Fatalf("curl: %v %s", err, out)
		}
		got = append(got, "curl: "+string(out))
		for _, c := range []struct{ name, prefix string }{
			{"v1", "PROXY TCP4 192.0.2.1 198.51.100.1 1234 80\r\n"},
			{"v1 tcp6", "PROXY TCP6 2001:db8::1 2001:db8::2 1234 80\r\n"},
			{"v1 unknown", "PROXY UNKNOWN\r\n"},
			{"v2", v2(t, "192.0.2.7:4000", "198.51.100.1:443",
				proxyproto.TLV{Type: proxyproto.TypeAuthority, Value: []byte("api.example.com")},
				proxyproto.TLV{Type: proxyproto.TypeUniqueID, Value: []byte("req-1")})},
			{"v2 local", "\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00"},
		} {
			got = append(got, c.name+": "+exchange(t, fe, "", c.prefix))
		}
		before := hits.Load()
		for _, c := range []struct{ name, prefix string }{
			{"none", ""},
			{"v1 truncated", "PROXY TCP4 192.0.2.1\r\n"},
			{"v1 without CRLF", "PROXY TCP4 192.0.2.1 198.51.100.1 1234 80\n"},
			{"bad v2 version", "\r\n\r\n\x00\r\nQUIT\n\x31\x11\x00\x0c"},
		} {
			got = append(got, c.name+": "+exchange(t, fe, "", c.prefix))
		}
		if n := hits.Load(); n != before {
			t.Errorf("%d malformed connections reached the server", n-before)
		}
		// The harness's probe (connect, close) logs one line too.
		errs := p.waitConnErrors(5)
		var logged []string
		harness.Eventually(t, 10*time.Second, p.impl+": 6 request log lines", func() bool {
			logged = logged[:0]
			for _, l := range p.out.Lines() {
				if strings.HasPrefix(l, "ppl ") {
					logged = append(logged, l)
				}
			}
			return len(logged) >= 6
		})
		sort.Strings(logged)
		got = append(got, logged...)
		if p.impl == "baton" {
			// HAProxy 2.6 reads "192.0.2.300" as 192.0.3.44 (its address
			// parser carries octet overflows); Baton refuses the header.
			if got := exchange(t, fe, "", "PROXY TCP4 192.0.2.300 198.51.100.1 1234 80\r\n"); got != "closed" {
				t.Errorf("octet 300 accepted: %q", got)
			}
		}
		return append(got, errs...)
	})
}

// TestExpectProxy: "tcp-request connection expect-proxy layer4 if { src
// 127.0.0.1 }" wants a header from 127.0.0.1 only; another source is
// served as it is.
func TestExpectProxy(t *testing.T) {
	origin, _ := echoOrigin(t)
	both(t, func(t *testing.T, start starter) []string {
		fe := harness.FreeAddr(t)
		p := start(ppConfig(fe, "", "tcp-request connection expect-proxy layer4 if { src 127.0.0.1 }", "%[fc_rcvd_proxy]", origin), fe)
		got := []string{
			"trusted with header: " + exchange(t, fe, "127.0.0.1", "PROXY TCP4 192.0.2.9 198.51.100.1 1234 80\r\n"),
			"other without header: " + exchange(t, fe, "127.0.0.2", ""),
			"trusted without header: " + exchange(t, fe, "127.0.0.1", ""),
		}
		return append(got, p.waitConnErrors(2)...)
	})
}

// headerServer is a TCP server reading a PROXY header and answering with
// what it says, relative to the client (cli) and frontend (fe) addresses
// the test knows, then closing.
func headerServer(t *testing.T) *harness.Origin {
	return harness.StartOrigin(t, func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var buf []byte
		tmp := make([]byte, 512)
		for {
			n, err := c.Read(tmp)
			buf = append(buf, tmp[:n]...)
			h, _, perr := proxyproto.Parse(buf)
			if perr == nil {
				var types []string
				for _, v := range h.TLVs {
					if v.Type == proxyproto.TypeCRC32C {
						// Parse verified it; its value depends on the ports.
						types = append(types, "crc32c")
						continue
					}
					types = append(types, fmt.Sprintf("%#x=%q", v.Type, v.Value))
				}
				sort.Strings(types)
				fmt.Fprintf(c, "v%d local=%v %v %v %s\n", h.Version, h.Local, h.Source, h.Dest, strings.Join(types, ","))
				return
			}
			if perr != proxyproto.ErrIncomplete || err != nil {
				fmt.Fprintf(c, "bad header %v %v %q\n", perr, err, buf)
				return
			}
		}
	})
}

// TestSendProxy: send-proxy and send-proxy-v2 (with CRC32C and the
// client's authority passed on) tell the server the addresses of the
// client that reached the frontend, as HAProxy does.
func TestSendProxy(t *testing.T) {
	srv := headerServer(t)
	both(t, func(t *testing.T, start starter) []string {
		v1fe, v2fe, ppfe := harness.FreeAddr(t), harness.FreeAddr(t), harness.FreeAddr(t)
		start(tcpLogged+`
listen v1
  bind `+v1fe+`
  server s `+srv.Addr+` send-proxy
listen v2
  bind `+v2fe+`
  server s `+srv.Addr+` send-proxy-v2 proxy-v2-options crc32c,authority
listen pp
  bind `+ppfe+` accept-proxy
  server s `+srv.Addr+` send-proxy-v2 proxy-v2-options authority
`, v1fe, v2fe, ppfe)
		var got []string
		for _, c := range []struct{ name, fe, prefix string }{
			{"v1", v1fe, ""},
			{"v2", v2fe, ""},
			{"v2 passes the authority on", ppfe, v2(t, "192.0.2.7:4000", "198.51.100.1:443",
				proxyproto.TLV{Type: proxyproto.TypeAuthority, Value: []byte("api.example.com")})},
		} {
			conn, err := net.Dial("tcp", c.fe)
			if err != nil {
				t.Fatal(err)
			}
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(conn, c.prefix)
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			// The addresses as the client saw them stand for themselves.
			line = strings.ReplaceAll(line, conn.LocalAddr().String(), "CLIENT")
			line = strings.ReplaceAll(line, c.fe, "FRONTEND")
			conn.Close()
			got = append(got, c.name+": "+line)
		}
		return got
	})
}
