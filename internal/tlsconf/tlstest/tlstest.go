// Package tlstest makes certificate authorities, certificates, keys and
// CRLs for tests (and benchmarks) of TLS configurations: real PEM files
// on disk, the way an operator would have them.
package tlstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// KeyType selects a key algorithm.
type KeyType int

const (
	ECDSA KeyType = iota // P-256
	RSA                  // 2048 bits
)

var serial atomic.Int64

// CA is a certificate authority that issues certificates.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	PEM  []byte // the CA certificate
}

// Cert is an issued certificate with its key, as PEM.
type Cert struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte // leaf only
	KeyPEM  []byte
	// ChainPEM is the leaf followed by the intermediates that issued it
	// (not the root).
	ChainPEM []byte
}

// Bundle is ChainPEM followed by KeyPEM: the "crt" file HAProxy expects.
func (c *Cert) Bundle() []byte { return append(append([]byte(nil), c.ChainPEM...), c.KeyPEM...) }

// NewKey makes a key of type kt.
func NewKey(kt KeyType) crypto.Signer {
	if kt == RSA {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// NewCA makes a self-signed root CA named name.
func NewCA(name string) *CA {
	key := NewKey(ECDSA)
	tpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Baton Test"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &CA{Cert: c, Key: key, PEM: pemBlock("CERTIFICATE", der)}
}

// Options shape an issued certificate.
type Options struct {
	Key       KeyType
	NotBefore time.Time // zero: an hour ago
	NotAfter  time.Time // zero: in a day
	Client    bool      // client authentication usage instead of server
	IsCA      bool      // an intermediate CA
	// Subject overrides the subject (CommonName defaults to the first
	// name).
	Subject *pkix.Name
}

// Issue makes a certificate for names (DNS names or IP addresses) signed
// by ca.
func (ca *CA) Issue(o Options, names ...string) *Cert {
	key := NewKey(o.Key)
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Now().Add(24 * time.Hour)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if o.Client {
		tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	if o.IsCA {
		tpl.IsCA, tpl.BasicConstraintsValid = true, true
		tpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
		tpl.ExtKeyUsage = nil
	}
	if o.Subject != nil {
		tpl.Subject = *o.Subject
	} else if len(names) > 0 {
		tpl.Subject = pkix.Name{CommonName: names[0]}
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
		} else {
			tpl.DNSNames = append(tpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		panic(err)
	}
	c, _ := x509.ParseCertificate(der)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err)
	}
	out := &Cert{Cert: c, Key: key, CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: pemBlock("PRIVATE KEY", kder)}
	out.ChainPEM = out.CertPEM
	return out
}

// Intermediate makes a CA signed by ca.
func (ca *CA) Intermediate(name string) *CA {
	c := ca.Issue(Options{IsCA: true, Subject: &pkix.Name{CommonName: name}})
	return &CA{Cert: c.Cert, Key: c.Key, PEM: c.CertPEM}
}

// IssueChained is Issue by an intermediate, with the intermediate in
// ChainPEM.
func (ca *CA) IssueChained(o Options, names ...string) *Cert {
	c := ca.Issue(o, names...)
	c.ChainPEM = append(append([]byte(nil), c.CertPEM...), ca.PEM...)
	return c
}

// CRL makes a certificate revocation list by ca revoking certs.
func (ca *CA) CRL(revoked ...*Cert) []byte {
	tpl := &x509.RevocationList{
		Number:     big.NewInt(serial.Add(1)),
		ThisUpdate: time.Now().Add(-time.Hour),
		NextUpdate: time.Now().Add(24 * time.Hour),
	}
	for _, r := range revoked {
		tpl.RevokedCertificateEntries = append(tpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: r.Cert.SerialNumber, RevocationTime: time.Now()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tpl, ca.Cert, ca.Key)
	if err != nil {
		panic(err)
	}
	return pemBlock("X509 CRL", der)
}

// Pool is a CertPool holding ca.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// Write writes data to name under dir and returns the path.
func Write(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
