package proxy

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"testing"

	"baton/internal/config"
	"baton/internal/proxyproto"
	"baton/internal/tlsconf"
)

// TestProxyV2TLSFacts: send-proxy-v2-ssl with proxy-v2-options
// ssl-cipher,authority,cert-cn towards a server, for a client that came
// over TLS with SNI and no certificate. The expected bytes are those
// HAProxy 2.6.12 sent for the same configuration and client (captured
// with socat): the authority TLV carries the SNI, then the SSL TLV with
// the SSL flag, verify 0, the version and the cipher.
func TestProxyV2TLSFacts(t *testing.T) {
	const haproxy = "0d0a0d0a000d0a515549540a211100497f0000017f000001a5686f1b02000f7777772e6578616d706c652e636f6d" +
		"2000280100000000210007544c5376312e33230016544c535f4145535f3235365f47434d5f534841333834"
	cc := &clientConn{
		src: netip.MustParseAddrPort("127.0.0.1:42344"), dst: netip.MustParseAddrPort("127.0.0.1:28443"),
		facts: &tlsconf.Facts{Protocol: []byte("TLSv1.3"), Cipher: []byte("TLS_AES_256_GCM_SHA384"), SNI: []byte("www.example.com")},
	}
	d := &srvDial{sendProxy: 2, ppOpts: config.PPv2SSL | config.PPv2SSLCipher | config.PPv2Authority | config.PPv2CertCN}
	if got := hex.EncodeToString(cc.proxyHeader(d)); got != haproxy {
		t.Errorf("header\n got %s\nwant %s", got, haproxy)
	}

	// A client certificate: the certificate flags and its common name.
	cc.facts.ClientCert, cc.facts.SubjectDN = true, []byte("/C=FR/O=Example/CN=alice")
	h, _, err := proxyproto.Parse(cc.proxyHeader(d))
	if err != nil {
		t.Fatal(err)
	}
	ssl := h.TLV(proxyproto.TypeSSL)
	if len(ssl) < 5 || ssl[0] != proxyproto.ClientSSL|proxyproto.ClientCertConn|proxyproto.ClientCertSess {
		t.Fatalf("SSL TLV %x: want the SSL and both certificate flags", ssl)
	}
	if want := "\x22\x00\x05alice"; !bytes.Contains(ssl, []byte(want)) {
		t.Errorf("SSL TLV %x lacks the CN sub-TLV %x", ssl, want)
	}

	// A plain client: the SSL TLV's flags say no TLS; no authority.
	cc.facts = nil
	h, _, err = proxyproto.Parse(cc.proxyHeader(d))
	if err != nil {
		t.Fatal(err)
	}
	if ssl := h.TLV(proxyproto.TypeSSL); hex.EncodeToString(ssl) != "0000000000" {
		t.Errorf("plain client's SSL TLV %x, want empty flags and verify", ssl)
	}
	if a := h.TLV(proxyproto.TypeAuthority); a != nil {
		t.Errorf("plain client's authority %q, want none", a)
	}
}
