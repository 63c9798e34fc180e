package proxy

import (
	"bytes"
	"net"
	"net/netip"
	"syscall"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/proxyproto"
	"baton/internal/sockaddr"
	"baton/internal/sockopt"
	"baton/internal/socks4"
	"baton/internal/tlsconf"
)

// srvDial is how connections to one server are made, prepared once per
// generation: where from (source, usesrc, interface), with which socket
// options, and whether a PROXY header goes first.
type srvDial struct {
	local *net.TCPAddr // the source address; nil: the system's choice
	// useSrc is the source's usesrc ("client", "clientip", "addr"), which
	// makes each connection leave from the client's address.
	useSrc     string
	useSrcAddr *net.TCPAddr
	opts       sockopt.Dial
	control    func(network, address string, c syscall.RawConn) error
	keepAlive  *sockopt.KeepAlive // srvtcpka; nil: off
	noLinger   bool
	sendProxy  int // PROXY protocol version; 0 none
	ppOpts     config.PPv2Options
	// socks4 is the SOCKS4 proxy connections go through; invalid: none.
	socks4 netip.AddrPort
}

func newSrvDial(p *config.Proxy, cs *config.Server) *srvDial {
	d := &srvDial{noLinger: p.NoLinger, sendProxy: cs.SendProxy, ppOpts: cs.ProxyV2Options, socks4: cs.Socks4}
	src := cs.Source
	if src == nil {
		src = p.Source
	}
	if src != nil {
		if src.Addr.IsValid() && !src.Addr.IsUnspecified() || src.Port != 0 {
			d.local = &net.TCPAddr{IP: src.Addr.AsSlice(), Port: src.Port}
		}
		d.useSrc = src.UseSrc
		if src.UseSrc == "addr" {
			d.useSrcAddr = net.TCPAddrFromAddrPort(src.UseSrcAddr)
		}
		d.opts.Device = src.Interface
		d.opts.Transparent = src.UseSrc != ""
	}
	d.opts.FastOpen = cs.TFO
	d.control = d.opts.Control()
	if p.SrvTCPKA {
		d.keepAlive = &sockopt.KeepAlive{Idle: p.SrvTCPKAIdle, Interval: p.SrvTCPKAIntvl, Count: p.SrvTCPKACnt}
	}
	return d
}

// dialOf returns how to reach srv; a server added at run time (beyond
// the generation's list) gets its own, made now.
func (be *backendRT) dialOf(srv *backend.Server) *srvDial {
	if srv.Index < len(be.dial) {
		return be.dial[srv.Index]
	}
	return newSrvDial(be.p, srv.Config)
}

// private reports whether connections to the server belong to one client
// connection: a PROXY header names the client.
func (d *srvDial) private() bool { return d.sendProxy > 0 }

// dialRaw opens a connection to srv for the client cc under timeout
// connect, from the configured source (or the client's address with
// usesrc), and sends the PROXY header when the server wants one. The
// outcome counts for "observe".
func (cc *clientConn) dialRaw(be *backendRT, srv *backend.Server, timeout time.Duration) (net.Conn, error) {
	addr := srv.Addr()
	if addr == "" {
		return nil, errNoAddress
	}
	d := be.dialOf(srv)
	nd := net.Dialer{Timeout: timeout, LocalAddr: d.local, Control: d.control}
	switch d.useSrc {
	case "client":
		nd.LocalAddr = net.TCPAddrFromAddrPort(cc.src)
	case "clientip":
		nd.LocalAddr = &net.TCPAddr{IP: cc.src.Addr().AsSlice()}
	case "addr":
		nd.LocalAddr = d.useSrcAddr
	}
	network, address := sockaddr.DialArgs(cc.serverAddr(srv, addr))
	if network == "unix" {
		nd.LocalAddr, nd.Control = nil, nil
	}
	var connectBy time.Time // the SOCKS4 handshake is part of connecting
	if timeout > 0 {
		connectBy = time.Now().Add(timeout)
	}
	dialAddr := address
	if d.socks4.IsValid() {
		network, dialAddr = "tcp", d.socks4.String()
	}
	c, err := nd.Dial(network, dialAddr)
	if err == nil && d.socks4.IsValid() {
		err = socks4Tunnel(c, address, connectBy)
	}
	if err != nil {
		srv.Observe(backend.ObsConnError)
		return nil, err
	}
	srv.Observe(backend.ObsConnOK)
	if d.keepAlive != nil {
		sockopt.SetKeepAlive(c, *d.keepAlive)
	}
	if d.noLinger {
		sockopt.NoLinger(c)
	}
	if d.sendProxy > 0 {
		c.SetWriteDeadline(time.Now().Add(timeout + time.Second))
		if _, err := c.Write(cc.proxyHeader(d)); err != nil {
			c.Close()
			return nil, err
		}
		c.SetWriteDeadline(time.Time{})
	}
	return c, nil
}

// socks4Tunnel asks the SOCKS4 proxy at the other end of c for a
// connection to the server at address; c is closed when that fails.
func socks4Tunnel(c net.Conn, address string, deadline time.Time) error {
	dst, err := netip.ParseAddrPort(address)
	if err == nil {
		err = socks4.Handshake(c, dst, deadline)
	}
	if err != nil {
		c.Close()
	}
	return err
}

// proxyHeader builds the PROXY header announcing cc's client to a server:
// the client's address and the one it reached (as the PROXY header it
// came with said, if any), with the v2 TLVs of proxy-v2-options.
func (cc *clientConn) proxyHeader(d *srvDial) []byte {
	src, dst := cc.src, cc.dstAddr()
	if d.sendProxy == 1 {
		return proxyproto.AppendV1(nil, src, dst)
	}
	var tlvs []proxyproto.TLV
	if d.ppOpts&config.PPv2Authority != 0 {
		// The authority the client's own PROXY header gave, else the SNI
		// of its TLS connection, as HAProxy sends it.
		var a []byte
		if cc.pp != nil {
			a = cc.pp.TLV(proxyproto.TypeAuthority)
		}
		if a == nil && cc.facts != nil && len(cc.facts.SNI) > 0 {
			a = cc.facts.SNI
		}
		if a != nil {
			tlvs = append(tlvs, proxyproto.TLV{Type: proxyproto.TypeAuthority, Value: a})
		}
	}
	if d.ppOpts&config.PPv2UniqueID != 0 && cc.session != nil {
		if id, ok := cc.in.UniqueID(); ok && len(id) > 0 {
			tlvs = append(tlvs, proxyproto.TLV{Type: proxyproto.TypeUniqueID, Value: id})
		}
	}
	// Every TLS option implies the SSL TLV, as in HAProxy;
	// HAProxy sends it after the authority and the unique id.
	if d.ppOpts&(config.PPv2SSL|config.PPv2CertCN|config.PPv2SSLCipher|config.PPv2CertSig|config.PPv2CertKey) != 0 {
		tlvs = append(tlvs, proxyproto.TLV{Type: proxyproto.TypeSSL, Value: sslTLV(cc.facts, d.ppOpts)})
	}
	return proxyproto.AppendV2(nil, src, dst, tlvs, d.ppOpts&config.PPv2CRC32C != 0)
}

// dstAddr is the address the client connected to: the PROXY header's
// destination when one came, else the socket's local address.
func (cc *clientConn) dstAddr() netip.AddrPort {
	if cc.dst.IsValid() {
		return cc.dst
	}
	if a, ok := cc.c.LocalAddr().(*net.TCPAddr); ok {
		cc.dst = a.AddrPort()
	}
	return cc.dst
}

// sslTLV is the value of the SSL TLV describing the client's connection,
// as HAProxy 2.6 builds it: on a plain connection only the (empty) client
// flags; over TLS the SSL flag and the version, the certificate flags and
// verify result when the client presented one, its common name (cert-cn)
// and the cipher (ssl-cipher) when asked. cert-sig and cert-key, which
// describe the certificate Baton presented, are not sent: the connection
// facts do not keep it.
func sslTLV(f *tlsconf.Facts, opts config.PPv2Options) []byte {
	if f == nil {
		return proxyproto.SSLValue(0, 0, nil)
	}
	client := byte(proxyproto.ClientSSL)
	sub := []proxyproto.TLV{{Type: proxyproto.SubtypeSSLVersion, Value: f.Protocol}}
	if f.ClientCert {
		client |= proxyproto.ClientCertSess
		if !f.Resumed {
			client |= proxyproto.ClientCertConn
		}
		if cn := dnCommonName(f.SubjectDN); opts&config.PPv2CertCN != 0 && len(cn) > 0 {
			sub = append(sub, proxyproto.TLV{Type: proxyproto.SubtypeSSLCN, Value: cn})
		}
	}
	if opts&config.PPv2SSLCipher != 0 && len(f.Cipher) > 0 {
		sub = append(sub, proxyproto.TLV{Type: proxyproto.SubtypeSSLCipher, Value: f.Cipher})
	}
	return proxyproto.SSLValue(client, uint32(f.Verify), sub)
}

// dnCommonName is the last CN of a distinguished name in OpenSSL's
// one-line form ("/C=FR/O=Example/CN=alice"), nil without one.
func dnCommonName(dn []byte) []byte {
	i := bytes.LastIndex(dn, []byte("/CN="))
	if i < 0 {
		return nil
	}
	cn := dn[i+4:]
	if j := bytes.IndexByte(cn, '/'); j >= 0 {
		cn = cn[:j]
	}
	return cn
}
