package tlsconf

import "crypto/tls"

// Facts are what rules and log lines may ask about a client's TLS
// connection (HAProxy's ssl_fc_* and ssl_c_* fetches), computed once when
// its handshake completes, so that evaluating them allocates nothing.
// They travel with a connection relayed to the next generation (JSON).
type Facts struct {
	// Protocol is "TLSv1.3" etc. (ssl_fc_protocol); Cipher is OpenSSL's
	// suite name (ssl_fc_cipher).
	Protocol []byte `json:"proto"`
	Cipher   []byte `json:"cipher"`
	// SNI is the server name the client sent (ssl_fc_sni), ALPN the
	// negotiated protocol (ssl_fc_alpn); empty when none.
	SNI  []byte `json:"sni,omitempty"`
	ALPN []byte `json:"alpn,omitempty"`
	// Resumed is ssl_fc_is_resumed.
	Resumed bool `json:"resumed,omitempty"`
	// ClientCert is ssl_c_used; SubjectDN and IssuerDN its distinguished
	// names in OpenSSL's one-line form (ssl_c_s_dn, ssl_c_i_dn).
	ClientCert bool   `json:"ccert,omitempty"`
	SubjectDN  []byte `json:"sdn,omitempty"`
	IssuerDN   []byte `json:"idn,omitempty"`
	// Verify is ssl_c_verify, OpenSSL's verify result: 0 when the client
	// certificate (if any) was verified. A failed verification refuses
	// the handshake, so a connection that exists has 0.
	Verify int `json:"verify,omitempty"`
}

// NewFacts extracts a connection's facts after its handshake.
func NewFacts(cs *tls.ConnectionState) *Facts {
	f := &Facts{
		Protocol: []byte(VersionName(cs.Version)),
		Cipher:   []byte(OpenSSLName(cs.CipherSuite)),
		Resumed:  cs.DidResume,
	}
	if cs.ServerName != "" {
		f.SNI = []byte(cs.ServerName)
	}
	if cs.NegotiatedProtocol != "" {
		f.ALPN = []byte(cs.NegotiatedProtocol)
	}
	if len(cs.PeerCertificates) > 0 {
		leaf := cs.PeerCertificates[0]
		f.ClientCert = true
		f.SubjectDN = []byte(dnOneline(leaf.RawSubject))
		f.IssuerDN = []byte(dnOneline(leaf.RawIssuer))
	}
	return f
}
