package tls_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// sniOrigin is a keep-alive TLS server answering "sni=NAME conn=PEER":
// the SNI the proxy sent and the proxy's end of the connection, so a
// test sees which requests shared a connection.
func sniOrigin(t *testing.T, certFile string) string {
	kp, err := tls.LoadX509KeyPair(certFile, certFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "sni=%s conn=%s", r.TLS.ServerName, r.RemoteAddr)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}}
	srv.Config.ErrorLog = nil
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://")
}

// The server's sni is a sample expression with converters, evaluated on
// each request; a pooled connection opened with another name is never
// reused for it, and stays pooled for a request with its name (Baton
// and HAProxy alike).
func TestServerSNIExpression(t *testing.T) {
	c := sharedCerts(t)
	origin := sniOrigin(t, c.dir+"/origin.pem")
	run(t, func(t *testing.T, proxy string) {
		e := start(t, proxy, base+`
frontend fe
    bind ${FE}
    http-request set-var(txn.tenant) req.hdr(x-tenant),lower if { req.hdr(x-tenant) -m found }
    default_backend be

backend be
    use-server v if { var(txn.tenant) -m found }
    server o ${OTLS} ssl verify none sni req.hdr(host),field(1,:),lower
    server v ${OTLS} ssl verify none sni var(txn.tenant),concat(.tenants.internal) weight 0
`, map[string]string{"OTLS": origin})
		conn, err := net.DialTimeout("tcp", e.addrs["FE"], time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		get := func(headers string) (sni, peer string) {
			t.Helper()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(conn, "GET / HTTP/1.1\r\n%s\r\n", headers)
			r, err := harness.ReadResponse(br, "GET")
			if err != nil || r.Status != 200 {
				t.Fatalf("%q: %v %v", headers, r, err)
			}
			f := strings.Fields(string(r.Body))
			if len(f) != 2 {
				t.Fatalf("%q: body %q", headers, r.Body)
			}
			return strings.TrimPrefix(f[0], "sni="), strings.TrimPrefix(f[1], "conn=")
		}
		sni1, peer1 := get("Host: WWW.Example.COM:8443\r\n")
		sni2, peer2 := get("Host: api.example.com\r\n")
		sni3, peer3 := get("Host: www.example.com\r\n")
		sni4, _ := get("Host: www.example.com\r\nX-Tenant: ACME\r\n")
		if sni1 != "www.example.com" || sni2 != "api.example.com" || sni3 != "www.example.com" || sni4 != "acme.tenants.internal" {
			t.Errorf("SNIs %q %q %q %q, want www.example.com api.example.com www.example.com acme.tenants.internal", sni1, sni2, sni3, sni4)
		}
		// api's request does not take www's pooled connection, which
		// stays pooled for the next www request.
		if peer2 == peer1 || peer3 != peer1 {
			t.Errorf("connections %s %s %s, want a new one for api.example.com and the first one again for www.example.com", peer1, peer2, peer3)
		}
	}, nil)
}
