package tlsconf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// Cert is one loaded certificate: a leaf, its chain and its key, ready to
// serve, and the names it answers for.
type Cert struct {
	// Path is the PEM file it came from.
	Path string
	TLS  tls.Certificate
	Leaf *x509.Certificate
	// Names are the leaf's DNS names: the subject CN and the SAN DNS
	// entries, lowercased, without duplicates.
	Names []string
}

// reservedExt are the sidecar extensions a crt directory holds beside
// certificates; they are not certificates themselves.
var reservedExt = []string{".key", ".issuer", ".ocsp", ".sctl"}

// certFiles returns the PEM files that "crt PATH" names: PATH itself, or
// every file in the directory PATH (sorted, without dotfiles and
// sidecars), as HAProxy loads them.
func certFiles(src Source, path string) ([]string, error) {
	dir, err := src.IsDir(path)
	if err != nil {
		return nil, fmt.Errorf("crt %q: %w", path, unwrapPath(err))
	}
	if !dir {
		return []string{path}, nil
	}
	names, err := src.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("crt %q: %w", path, unwrapPath(err))
	}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, ".") || hasReservedExt(n) {
			continue
		}
		out = append(out, strings.TrimSuffix(path, "/")+"/"+n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("crt %q: the directory holds no certificate file", path)
	}
	return out, nil
}

func hasReservedExt(n string) bool {
	for _, e := range reservedExt {
		if strings.HasSuffix(n, e) {
			return true
		}
	}
	return false
}

// unwrapPath drops the *fs.PathError wrapper (the caller names the path).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// LoadCert reads a PEM file holding a certificate, its chain and its
// private key (or the key in PATH.key, as HAProxy looks for it), checks
// that the key matches the certificate, and returns it. Problems that do
// not stop it serving (expired, not yet valid, a chain out of order) are
// warnings; now is the time expiry is judged at.
func LoadCert(src Source, path string, now time.Time) (*Cert, []string, error) {
	data, err := src.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	var warns []string
	var ders [][]byte
	var key crypto.PrivateKey
	keyFrom := path
	parseKeys := func(data []byte, from string) error {
		rest := data
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				return nil
			}
			switch b.Type {
			case "CERTIFICATE":
				if from == path {
					ders = append(ders, b.Bytes)
				}
			case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
				if key != nil {
					return fmt.Errorf("%s: more than one private key", from)
				}
				k, err := parseKey(b)
				if err != nil {
					return fmt.Errorf("%s: %v", from, err)
				}
				key, keyFrom = k, from
			case "ENCRYPTED PRIVATE KEY":
				return fmt.Errorf("%s: the private key is encrypted; Baton needs it unencrypted, as HAProxy does", from)
			case "DH PARAMETERS", "EC PARAMETERS", "X509 CRL":
				// DH parameters serve DHE, which Go does not implement;
				// EC parameters name the key's curve, already known.
			default:
				warns = append(warns, fmt.Sprintf("%s: PEM block %q ignored", from, b.Type))
			}
		}
	}
	if !strings.Contains(string(data), "-----BEGIN ") {
		return nil, nil, fmt.Errorf("%s: no PEM data", path)
	}
	if err := parseKeys(data, path); err != nil {
		return nil, nil, err
	}
	if len(ders) == 0 {
		return nil, nil, fmt.Errorf("%s: no certificate", path)
	}
	certs := make([]*x509.Certificate, len(ders))
	for i, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: certificate %d: %v", path, i+1, err)
		}
		certs[i] = c
	}
	if key == nil {
		kd, err := src.ReadFile(path + ".key")
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, fmt.Errorf("%s: no private key (neither in the file nor in %s.key)", path, path)
			}
			return nil, nil, fmt.Errorf("%s.key: %w", path, unwrapPath(err))
		}
		if err := parseKeys(kd, path+".key"); err != nil {
			return nil, nil, err
		}
		if key == nil {
			return nil, nil, fmt.Errorf("%s: no private key (neither in the file nor in %s.key)", path, path)
		}
	}
	leaf := certs[0]
	if !publicKeyMatches(leaf.PublicKey, key) {
		return nil, nil, fmt.Errorf("%s: the private key (from %s) does not match the certificate %s", path, keyFrom, describe(leaf))
	}
	for i := 0; i+1 < len(certs); i++ {
		if err := certs[i].CheckSignatureFrom(certs[i+1]); err != nil {
			warns = append(warns, fmt.Sprintf("%s: certificate %d (%s) is not signed by certificate %d (%s): the chain is out of order or incomplete, and clients may reject it", path, i+1, describe(certs[i]), i+2, describe(certs[i+1])))
			break
		}
	}
	switch {
	case now.After(leaf.NotAfter):
		warns = append(warns, fmt.Sprintf("%s: certificate %s expired on %s", path, describe(leaf), leaf.NotAfter.UTC().Format(time.RFC3339)))
	case now.Before(leaf.NotBefore):
		warns = append(warns, fmt.Sprintf("%s: certificate %s is not valid before %s", path, describe(leaf), leaf.NotBefore.UTC().Format(time.RFC3339)))
	}
	c := &Cert{Path: path, Leaf: leaf, TLS: tls.Certificate{Certificate: ders, PrivateKey: key, Leaf: leaf}}
	if ocsp, err := src.ReadFile(path + ".ocsp"); err == nil && len(ocsp) > 0 {
		c.TLS.OCSPStaple = ocsp
	}
	if sctl, err := src.ReadFile(path + ".sctl"); err == nil {
		scts, err := parseSCTList(sctl)
		if err != nil {
			return nil, nil, fmt.Errorf("%s.sctl: %v", path, err)
		}
		c.TLS.SignedCertificateTimestamps = scts
	}
	c.Names = certNames(leaf)
	return c, warns, nil
}

func parseKey(b *pem.Block) (crypto.PrivateKey, error) {
	switch b.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(b.Bytes)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	switch k.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", k)
}

// publicKeyMatches reports whether key is the private half of pub.
func publicKeyMatches(pub any, key crypto.PrivateKey) bool {
	s, ok := key.(crypto.Signer)
	if !ok {
		return false
	}
	p, ok := s.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && p.Equal(pub)
}

// describe names a certificate in messages: its subject CN or first DNS
// name.
func describe(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return fmt.Sprintf("%q", c.Subject.CommonName)
	}
	if len(c.DNSNames) > 0 {
		return fmt.Sprintf("%q", c.DNSNames[0])
	}
	return "(no name)"
}

// certNames returns the names a certificate serves for SNI: CN and SAN
// DNS names, lowercased.
func certNames(c *x509.Certificate) []string {
	var out []string
	add := func(n string) {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if n == "" {
			return
		}
		for _, o := range out {
			if o == n {
				return
			}
		}
		out = append(out, n)
	}
	add(c.Subject.CommonName)
	for _, n := range c.DNSNames {
		add(n)
	}
	return out
}

// parseSCTList reads a TLS-encoded SignedCertificateTimestampList
// (RFC 6962 section 3.3): a 2-byte length, then entries each with a
// 2-byte length.
func parseSCTList(b []byte) ([][]byte, error) {
	if len(b) < 2 || int(binary.BigEndian.Uint16(b)) != len(b)-2 {
		return nil, errors.New("not a SignedCertificateTimestampList")
	}
	var out [][]byte
	for r := b[2:]; len(r) > 0; {
		if len(r) < 2 {
			return nil, errors.New("truncated SignedCertificateTimestampList")
		}
		n := int(binary.BigEndian.Uint16(r))
		if n == 0 || len(r) < 2+n {
			return nil, errors.New("truncated SignedCertificateTimestampList")
		}
		out = append(out, r[2:2+n])
		r = r[2+n:]
	}
	return out, nil
}

// LoadCAs reads every certificate of a PEM CA file (or directory, whose
// .pem, .crt and .cer files are read), plus any CRLs it holds.
// "@system-ca" means the system's trusted roots.
func LoadCAs(src Source, path string) (*x509.CertPool, []*x509.Certificate, []*x509.RevocationList, error) {
	if path == "@system-ca" {
		p, err := x509.SystemCertPool()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("@system-ca: %v", err)
		}
		return p, nil, nil, nil
	}
	files := []string{path}
	if dir, err := src.IsDir(path); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	} else if dir {
		names, err := src.ReadDir(path)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
		}
		files = nil
		for _, n := range names {
			if strings.HasPrefix(n, ".") {
				continue
			}
			for _, e := range []string{".pem", ".crt", ".cer", ".crl"} {
				if strings.HasSuffix(n, e) {
					files = append(files, strings.TrimSuffix(path, "/")+"/"+n)
				}
			}
		}
	}
	pool := x509.NewCertPool()
	var certs []*x509.Certificate
	var crls []*x509.RevocationList
	for _, f := range files {
		data, err := src.ReadFile(f)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", f, unwrapPath(err))
		}
		c, l, err := parseCAPEM(f, data)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, x := range c {
			pool.AddCert(x)
		}
		certs = append(certs, c...)
		crls = append(crls, l...)
	}
	if len(certs) == 0 && len(crls) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: no certificate", path)
	}
	return pool, certs, crls, nil
}

// LoadCRLs reads every CRL of a PEM file.
func LoadCRLs(src Source, path string) ([]*x509.RevocationList, error) {
	data, err := src.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	_, crls, err := parseCAPEM(path, data)
	if err != nil {
		return nil, err
	}
	if len(crls) == 0 {
		return nil, fmt.Errorf("%s: no CRL", path)
	}
	return crls, nil
}

func parseCAPEM(path string, data []byte) ([]*x509.Certificate, []*x509.RevocationList, error) {
	var certs []*x509.Certificate
	var crls []*x509.RevocationList
	n := 0
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		n++
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: PEM block %d: %v", path, n, err)
			}
			certs = append(certs, c)
		case "X509 CRL":
			l, err := x509.ParseRevocationList(b.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: PEM block %d: %v", path, n, err)
			}
			crls = append(crls, l)
		}
	}
	if n == 0 {
		return nil, nil, fmt.Errorf("%s: no PEM data", path)
	}
	return certs, crls, nil
}
