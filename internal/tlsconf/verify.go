package tlsconf

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"
)

// verifier checks a peer's certificate chain against CAs and, when CRLs
// are given, revocation: OpenSSL's behaviour with HAProxy's crl-file, a
// CRL for every CA of the chain ("crl_check_all").
type verifier struct {
	roots *x509.CertPool
	crls  []*x509.RevocationList
	usage x509.ExtKeyUsage
	now   func() time.Time
}

// verify checks rawCerts (leaf first, then what the peer sent as its
// chain) and returns the verified chain.
func (v *verifier) verify(rawCerts [][]byte, host string) ([]*x509.Certificate, error) {
	if len(rawCerts) == 0 {
		return nil, errors.New("no certificate")
	}
	certs := make([]*x509.Certificate, len(rawCerts))
	for i, r := range rawCerts {
		c, err := x509.ParseCertificate(r)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %v", i+1, err)
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: v.roots, Intermediates: inter, DNSName: host, KeyUsages: []x509.ExtKeyUsage{v.usage}}
	if v.now != nil {
		opts.CurrentTime = v.now()
	}
	chains, err := certs[0].Verify(opts)
	if err != nil {
		return nil, err
	}
	if len(v.crls) == 0 {
		return chains[0], nil
	}
	var lastErr error
	for _, ch := range chains {
		if lastErr = v.checkRevocation(ch, opts.CurrentTime); lastErr == nil {
			return ch, nil
		}
	}
	return nil, lastErr
}

// checkRevocation requires, for every certificate of chain but the root,
// a valid CRL from its issuer that does not list it.
func (v *verifier) checkRevocation(chain []*x509.Certificate, now time.Time) error {
	if now.IsZero() {
		now = time.Now()
	}
	for i := 0; i+1 < len(chain); i++ {
		c, issuer := chain[i], chain[i+1]
		var crl *x509.RevocationList
		for _, l := range v.crls {
			if bytes.Equal(l.RawIssuer, issuer.RawSubject) && l.CheckSignatureFrom(issuer) == nil {
				crl = l
				break
			}
		}
		if crl == nil {
			return fmt.Errorf("no CRL from %s, the issuer of certificate %d", dnOneline(issuer.RawSubject), i+1)
		}
		if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
			return fmt.Errorf("the CRL from %s has expired", dnOneline(issuer.RawSubject))
		}
		for _, r := range crl.RevokedCertificateEntries {
			if r.SerialNumber.Cmp(c.SerialNumber) == 0 {
				return fmt.Errorf("certificate %s is revoked", dnOneline(c.RawSubject))
			}
		}
	}
	return nil
}

// attrNames are OpenSSL's short names of DN attributes.
var attrNames = map[string]string{
	"2.5.4.6": "C", "2.5.4.8": "ST", "2.5.4.7": "L", "2.5.4.10": "O", "2.5.4.11": "OU",
	"2.5.4.3": "CN", "2.5.4.5": "serialNumber", "2.5.4.9": "street", "2.5.4.4": "SN",
	"2.5.4.42": "GN", "2.5.4.12": "title", "2.5.4.17": "postalCode", "2.5.4.46": "dnQualifier",
	"2.5.4.65": "pseudonym", "2.5.4.43": "initials", "2.5.4.44": "generationQualifier",
	"1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1": "UID", "2.5.4.97": "organizationIdentifier",
}

// dnOneline formats a DER distinguished name as OpenSSL's
// X509_NAME_oneline does, which is what HAProxy's ssl_c_s_dn and
// ssl_c_i_dn return: "/C=FR/O=Example/CN=client", in encoding order.
func dnOneline(raw []byte) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &seq); err != nil || len(rest) > 0 {
		return ""
	}
	var b []byte
	for _, rdn := range seq {
		for _, atv := range rdn {
			name, ok := attrNames[atv.Type.String()]
			if !ok {
				name = atv.Type.String()
			}
			b = append(b, '/')
			b = append(b, name...)
			b = append(b, '=')
			b = fmt.Append(b, atv.Value)
		}
	}
	return string(b)
}
