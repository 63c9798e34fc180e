package harness

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// Socks4Proxy is a SOCKS4 proxy for tests of "socks4" servers: serve it
// with StartOrigin(t, p.Serve). It records the CONNECTs it gets and
// refuses (reply 91) everything when Refuse is set, a request that is
// not a CONNECT with HAProxy's user id ("HAProxy"), and a destination it
// cannot reach. 127.0.0.3 stands for a network only the proxy reaches:
// it connects to 127.0.0.1 instead.
type Socks4Proxy struct {
	Refuse bool
	mu     sync.Mutex
	seen   map[string]int // destination "ip:port" -> CONNECTs
}

// Count returns how many CONNECTs named dst ("ip:port").
func (p *Socks4Proxy) Count(dst string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[dst]
}

// Serve handles one client connection.
func (p *Socks4Proxy) Serve(c net.Conn) {
	c.SetDeadline(time.Now().Add(IOTimeout))
	br := bufio.NewReader(c)
	var req [8]byte
	if _, err := io.ReadFull(br, req[:]); err != nil {
		return
	}
	user, err := br.ReadString(0)
	if err != nil {
		return
	}
	ip := net.IPv4(req[4], req[5], req[6], req[7])
	port := strconv.Itoa(int(req[2])<<8 | int(req[3]))
	dst := net.JoinHostPort(ip.String(), port)
	p.mu.Lock()
	if p.seen == nil {
		p.seen = map[string]int{}
	}
	p.seen[dst]++
	p.mu.Unlock()
	refuse := func() { c.Write([]byte{0, 91, 0, 0, 0, 0, 0, 0}) }
	if p.Refuse || req[0] != 4 || req[1] != 1 || user != "HAProxy\x00" {
		refuse()
		return
	}
	if ip.Equal(net.IPv4(127, 0, 0, 3)) {
		dst = net.JoinHostPort("127.0.0.1", port)
	}
	s, err := net.DialTimeout("tcp", dst, IOTimeout)
	if err != nil {
		refuse()
		return
	}
	defer s.Close()
	c.Write([]byte{0, 90, 0, 0, 0, 0, 0, 0})
	c.SetDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		io.Copy(c, s)
		c.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(s, br) // br: the client may have sent more after its request
	s.(*net.TCPConn).CloseWrite()
	<-done
}
