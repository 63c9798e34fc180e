package expr

import (
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"baton/internal/tlsconf"
)

// TestTLSFetches reads the client connection's TLS facts, and their
// absence on a plain connection (the booleans false, ssl_c_verify 0,
// the strings without a value).
func TestTLSFetches(t *testing.T) {
	facts := &tlsconf.Facts{
		Protocol: []byte("TLSv1.3"), Cipher: []byte("TLS_AES_128_GCM_SHA256"), SNI: []byte("www.example.com"),
		ALPN: []byte("http/1.1"), ClientCert: true, SubjectDN: []byte("/C=FR/O=Example/CN=alice"), IssuerDN: []byte("/CN=Client CA"),
	}
	tests := []struct{ expr, tlsWant, plainWant string }{
		{"ssl_fc", "1", "0"},
		{"ssl_c_used", "1", "0"},
		{"ssl_fc_has_crt", "1", "0"},
		{"ssl_fc_has_sni", "1", "0"},
		{"ssl_fc_is_resumed", "0", "0"},
		{"ssl_fc_sni", "www.example.com", ""},
		{"ssl_fc_protocol", "TLSv1.3", ""},
		{"ssl_fc_cipher", "TLS_AES_128_GCM_SHA256", ""},
		{"ssl_fc_alpn", "http/1.1", ""},
		{"ssl_c_s_dn", "/C=FR/O=Example/CN=alice", ""},
		{"ssl_c_i_dn", "/CN=Client CA", ""},
		{"ssl_c_verify", "0", "0"},
		{"ssl_fc_sni,upper", "WWW.EXAMPLE.COM", ""},
	}
	env := testEnv()
	for _, tt := range tests {
		e, err := Compile(tt.expr, env)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.expr, err)
			continue
		}
		c := testCtx(t)
		if got := string(e.AppendString(nil, c)); got != tt.plainWant {
			t.Errorf("%s on a plain connection = %q, want %q", tt.expr, got, tt.plainWant)
		}
		c.TLS = facts
		if got := string(e.AppendString(nil, c)); got != tt.tlsWant {
			t.Errorf("%s = %q, want %q", tt.expr, got, tt.tlsWant)
		}
	}
}

type helloCapture struct {
	net.Conn
	out []byte
}

func (c *helloCapture) Write(b []byte) (int, error)      { c.out = append(c.out, b...); return len(b), nil }
func (c *helloCapture) Read([]byte) (int, error)         { return 0, errors.New("capture only") }
func (c *helloCapture) Close() error                     { return nil }
func (c *helloCapture) SetDeadline(time.Time) error      { return nil }
func (c *helloCapture) SetWriteDeadline(time.Time) error { return nil }
func (c *helloCapture) SetReadDeadline(time.Time) error  { return nil }

// TestHelloFetches: req.ssl_sni and req.ssl_hello_type on a real
// ClientHello, "may change" while it is incomplete and the inspection
// goes on, no value once it is over or the bytes are not TLS.
func TestHelloFetches(t *testing.T) {
	capture := &helloCapture{}
	tls.Client(capture, &tls.Config{ServerName: "www.example.org"}).Handshake()
	hello := capture.out
	sni, err := Compile("req.ssl_sni", testEnv())
	if err != nil {
		t.Fatal(err)
	}
	typ, err := Compile("req_ssl_hello_type", testEnv())
	if err != nil {
		t.Fatal(err)
	}
	c := &Ctx{}
	c.BeginConnection()
	var s Sample
	c.Payload = hello[:20]
	if sni.Eval(c, &s) || !s.MayChange {
		t.Errorf("incomplete hello: a value or not may-change (%+v)", s)
	}
	c.PayloadFinal = true
	s = Sample{}
	if sni.Eval(c, &s) || s.MayChange {
		t.Errorf("incomplete hello at the end of inspection: %+v", s)
	}
	c.Payload, c.PayloadFinal = hello, false
	if got := string(sni.AppendString(nil, c)); got != "www.example.org" {
		t.Errorf("req.ssl_sni = %q", got)
	}
	if got := string(typ.AppendString(nil, c)); got != "1" {
		t.Errorf("req_ssl_hello_type = %q", got)
	}
	c.BeginConnection()
	c.Payload = []byte("SSH-2.0-OpenSSH_9.2\r\n")
	s = Sample{}
	if sni.Eval(c, &s) || s.MayChange {
		t.Errorf("not TLS: %+v", s)
	}
}
