package reloadtest

import (
	"crypto/rand"
	"crypto/tls"
	"testing"

	"baton/internal/tlsconf/tlstest"
)

func newKey() (k [32]byte) {
	rand.Read(k[:])
	return k
}

// startTLSFake is the fake proxy terminating TLS with a certificate for
// "reload-test"; it returns the CA file the tester verifies with.
func startTLSFake(t *testing.T, mode fakeMode) (*fakeProxy, string) {
	ca := tlstest.NewCA("Reload Test CA")
	c := ca.Issue(tlstest.Options{}, "reload-test")
	kp, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	p := startFakeProxy(t, mode)
	p.mu.Lock()
	p.tlsCfg = &tls.Config{Certificates: []tls.Certificate{kp}}
	p.mu.Unlock()
	return p, tlstest.Write(t, t.TempDir(), "ca.pem", ca.PEM)
}

// A proxy that keeps its ticket keys across reloads costs no handshake.
func TestTLSModeKeptKeysPass(t *testing.T) {
	p, ca := startTLSFake(t, fakeGood)
	code, kv, out := runKV(t, append([]string{"--target", p.ln.Addr().String(), "--reload", p.reloadCommand(), "--tls", "--tls-ca", ca}, testMix...)...)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	if num(t, kv, "tls_full_refused") != 0 || num(t, kv, "tls_resumed") == 0 || num(t, kv, "tls_handshakes") < num(t, kv, "tls_resumed") {
		t.Errorf("handshakes: %v\n%s", kv, out)
	}
}

// A proxy that loses its ticket keys at each reload makes clients that
// offer a session do a full handshake: the tester counts it and fails.
func TestTLSModeNewKeysFail(t *testing.T) {
	p, ca := startTLSFake(t, fakeTLSNewKeys)
	code, kv, out := runKV(t, append([]string{"--target", p.ln.Addr().String(), "--reload", p.reloadCommand(), "--tls", "--tls-ca", ca}, testMix...)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if num(t, kv, "tls_full_refused") == 0 || num(t, kv, "failed") != 0 {
		t.Errorf("want refused resumptions and no failure: %v\n%s", kv, out)
	}
}
