// Package grpc_test runs gRPC calls (google.golang.org/grpc, test code
// only) through the built baton binary and, with the same configuration
// text, through HAProxy 2.6: unary and bidirectional streaming calls,
// in clear text ("bind ... proto h2", "server ... proto h2") and over
// TLS on both sides ("bind ... ssl alpn h2", "server ... ssl alpn h2"),
// checking payloads, trailer metadata and non-OK statuses.
//
// No protoc: messages are raw bytes (rawCodec) and the service is a
// grpc.ServiceDesc written by hand.
package grpc_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"baton/internal/tlsconf/tlstest"
	"baton/test/harness"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

var proxies = []string{"baton", "haproxy"}

// rawCodec sends *[]byte messages as they are.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "raw" }

// echoDesc is the service: Unary echoes "echo:" + the message (an
// InvalidArgument status for "fail"), with trailer metadata; Bidi
// echoes each message as it comes and ends with its own trailer.
var echoDesc = grpc.ServiceDesc{
	ServiceName: "baton.test.Echo",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Unary", Handler: unary}},
	Streams:     []grpc.StreamDesc{{StreamName: "Bidi", Handler: bidi, ServerStreams: true, ClientStreams: true}},
}

func unary(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	var in []byte
	if err := dec(&in); err != nil {
		return nil, err
	}
	grpc.SetTrailer(ctx, metadata.Pairs("x-done", "unary"))
	if string(in) == "fail" {
		return nil, status.Error(codes.InvalidArgument, "bad input: fail")
	}
	out := append([]byte("echo:"), in...)
	return &out, nil
}

func bidi(_ any, ss grpc.ServerStream) error {
	n := 0
	for {
		var in []byte
		err := ss.RecvMsg(&in)
		if err == io.EOF {
			ss.SetTrailer(metadata.Pairs("x-count", fmt.Sprint(n)))
			return nil
		}
		if err != nil {
			return err
		}
		n++
		out := append([]byte("echo:"), in...)
		if err := ss.SendMsg(&out); err != nil {
			return err
		}
	}
}

// startServer serves echoDesc on loopback, over TLS when ca is set.
func startServer(t *testing.T, ca *tlstest.CA) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := []grpc.ServerOption{grpc.ForceServerCodec(rawCodec{})}
	if ca != nil {
		crt := ca.Issue(tlstest.Options{}, "origin.test")
		pair, err := tls.X509KeyPair(crt.CertPEM, crt.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{pair}})))
	}
	s := grpc.NewServer(opts...)
	s.RegisterService(&echoDesc, struct{}{})
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

// call runs the scenario through addr: unary OK with its trailer, unary
// failing with its status and message, and a bidirectional stream whose
// every answer comes back before the next message is sent.
func call(t *testing.T, addr string, creds credentials.TransportCredentials) {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	in, out := []byte("hello"), []byte(nil)
	var md metadata.MD
	if err := conn.Invoke(ctx, "/baton.test.Echo/Unary", &in, &out, grpc.Trailer(&md)); err != nil {
		t.Fatalf("unary: %v", err)
	}
	if string(out) != "echo:hello" || fmt.Sprint(md.Get("x-done")) != "[unary]" {
		t.Errorf("unary answered %q with trailer %v", out, md)
	}

	in = []byte("fail")
	err = conn.Invoke(ctx, "/baton.test.Echo/Unary", &in, &out, grpc.Trailer(&md))
	if st, _ := status.FromError(err); st.Code() != codes.InvalidArgument || st.Message() != "bad input: fail" {
		t.Errorf("failing unary: %v (want InvalidArgument, \"bad input: fail\")", err)
	}
	if fmt.Sprint(md.Get("x-done")) != "[unary]" {
		t.Errorf("failing unary: trailer %v", md)
	}

	cs, err := conn.NewStream(ctx, &echoDesc.Streams[0], "/baton.test.Echo/Bidi")
	if err != nil {
		t.Fatalf("bidi: %v", err)
	}
	for i := 0; i < 3; i++ {
		msg := []byte(fmt.Sprintf("m%d", i))
		if err := cs.SendMsg(&msg); err != nil {
			t.Fatalf("bidi send %d: %v", i, err)
		}
		var got []byte
		if err := cs.RecvMsg(&got); err != nil {
			t.Fatalf("bidi receive %d: %v", i, err)
		}
		if string(got) != "echo:"+string(msg) {
			t.Errorf("bidi %d: %q", i, got)
		}
	}
	if err := cs.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var extra []byte
	if err := cs.RecvMsg(&extra); err != io.EOF {
		t.Errorf("bidi end: %v (want io.EOF, an OK status)", err)
	}
	if fmt.Sprint(cs.Trailer().Get("x-count")) != "[3]" {
		t.Errorf("bidi trailer %v", cs.Trailer())
	}
}

// TestGRPCClear: clear-text HTTP/2 on both sides.
func TestGRPCClear(t *testing.T) {
	srv := startServer(t, nil)
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			fe := harness.FreeAddr(t)
			start(t, proxy, fmt.Sprintf(defaults+`frontend fe
    bind %s proto h2
    default_backend be
backend be
    server s1 %s proto h2
`, fe, srv), fe)
			call(t, fe, insecure.NewCredentials())
		})
	}
}

// TestGRPCTLS: TLS on both sides, h2 chosen by ALPN on each.
func TestGRPCTLS(t *testing.T) {
	ca := tlstest.NewCA("grpc test root")
	srv := startServer(t, ca)
	dir := t.TempDir()
	tlstest.Write(t, dir, "site.pem", ca.Issue(tlstest.Options{}, "localhost").Bundle())
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			fe := harness.FreeAddr(t)
			start(t, proxy, fmt.Sprintf(defaults+`frontend fe
    bind %s ssl crt %s/site.pem alpn h2
    default_backend be
backend be
    server s1 %s ssl alpn h2 verify none
`, fe, dir, srv), fe)
			call(t, fe, credentials.NewTLS(&tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}))
		})
	}
}

const defaults = `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
`

func start(t *testing.T, proxy, cfg string, addrs ...string) {
	t.Helper()
	if proxy == "haproxy" {
		harness.StartHAProxy(t, cfg, addrs)
		return
	}
	harness.Start(t, cfg, addrs)
}
