package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../../examples/*.cfg")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(base + "  server s 127.0.0.1:1 weight 3\nfrontend f\n  bind :1\n  acl a path_reg -i ^/x\n  use_backend be if !a || { src 10.0.0.0/8 }\n"))
	f.Add([]byte("global\n  log stdout format raw local0\n  stats socket /s mode 600 level admin\n"))
	f.Add([]byte("x \"a\\x41\" 'b' \\ c # d\n"))
	f.Add([]byte(base + "  option tcp-check\n  tcp-check connect port 81\n  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG\n  default-server check inter 1s\n  server s 127.0.0.1:1 agent-check agent-port 2 send-proxy-v2\n"))
	f.Add([]byte(base + "  option httpchk GET /\n  http-check send hdr host x\n  http-check expect status 200-399\n  option mysql-check user u\nfrontend f\n  bind :1 accept-proxy name a\n  tcp-request connection expect-proxy layer4 if { src 10.0.0.0/8 }\n"))
	f.Add([]byte("global\n  ssl-default-bind-ciphers ECDHE+AESGCM:!aNULL:DHE-RSA-AES128-SHA\n  ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\n" +
		"frontend f\n  bind :443 ssl crt a.pem crt-list l alpn h2,http/1.1 verify optional ca-file c curves X25519:P-256\n" +
		"  mode tcp\n  tcp-request inspect-delay 5s\n  tcp-request content accept if { req_ssl_hello_type 1 }\n  use_backend b if { req.ssl_sni -i x }\n" +
		"backend b\n  server s 127.0.0.1:1 ssl verify none sni str(x) check-ssl alpn http/1.1\n"))
	f.Add([]byte(".if defined(HOME) && streq(\"${HOME-x}\",x)\nglobal\n  .notice \"$.LINE ${.SECTION}\"\n.elif 0\n.else\n  user \"${U[*]}\"\n.endif\n"))
	f.Add([]byte("http-errors e\n  errorfile 503 /dev/null\nfrontend f\n  bind :1,unix@/x mode 600\n  errorfiles e\n  errorloc303 503 /m\n  http-error status 403 content-type t string s\n"))
	f.Add([]byte(base + "  retry-on 503 empty-response\n  option redispatch -1\n  server-template w 1-3 app.internal:80 resolvers dns resolve-opts allow-dup-ip resolve-net 10.0.0.0/8 init-addr libc,none\n  server s _h._tcp.x resolvers dns resolve-prefer ipv4\nresolvers dns\n  nameserver a 127.0.0.1:53\n  parse-resolv-conf\n  hold valid 1s\n  timeout retry 200ms\n  accepted_payload_size 4096\n"))
	f.Add([]byte("resolvers dns\n  nameserver a 127.0.0.1:53\n  hold valid 1s\nfrontend f\n  bind :1\n  mode http\n  http-request do-resolve(txn.ip,dns,ipv4) hdr(host),field(1,:),lower\n" +
		"  tcp-request content do-resolve(sess.ip,dns) req.ssl_sni\n  default_backend b\nbackend b\n  mode http\n  http-request set-dst var(txn.ip)\n  server s 0.0.0.0:80 ssl verify none sni req.hdr(host),lower\n"))
	f.Add([]byte(logPrologue + "frontend f\n  bind :1\n  no log\n  log 127.0.0.1 sample 1:2 local0\n  log-format \"%ci %{+Q}r\"\n  option logasap\n"))
	// Stick tables, peers, persistence, hashing, userlists.
	f.Add([]byte(base + "  stick-table type string len 8 size 10 expire 1m store gpc(2),http_req_rate(10s) peers p\n  stick on req.hdr(x) table p/t\n  cookie S insert indirect nocache attr a\n  balance hdr(host) use_domain_only\n  hash-type consistent crc32 avalanche\n  server s 127.0.0.1:1 cookie c\n" +
		"peers p\n  peer a 127.0.0.1:1\n  table t type ip size 1\nfrontend f\n  bind :1\n  http-request track-sc0 src table be\n  http-request sc-inc-gpc(1,0)\n  acl a http_auth_group(u) g\nuserlist u\n  group g users x\n  user x insecure-password y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.cfg", data)
		if err != nil {
			var el ErrorList
			if !errors.As(err, &el) || len(el) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %v", err)
			}
			for _, e := range el {
				if e.Pos.File != "f.cfg" || e.Pos.Line < 1 || !strings.HasPrefix(e.Error(), e.Pos.String()+": ") {
					t.Fatalf("badly positioned error %q", e.Error())
				}
			}
			return
		}
		for _, r := range c.Resolvers {
			if len(r.Nameservers) == 0 {
				t.Fatalf("resolvers %s without nameservers", r.Name)
			}
		}
		var b bytes.Buffer
		Explain(&b, c)
		for _, px := range c.Proxies {
			for _, s := range px.Servers {
				if s.Weight < 0 || s.Weight > 256 {
					t.Fatalf("weight out of range: %d", s.Weight)
				}
				if s.Resolvers != "" && c.ResolversNamed(s.Resolvers) == nil {
					t.Fatalf("server %s names missing resolvers %q", s.Name, s.Resolvers)
				}
				if s.SRV && (s.Addr != "" || s.Resolvers == "") {
					t.Fatalf("SRV server %+v", s)
				}
				if s.Addr == "" && s.Host == "" {
					t.Fatalf("server %s has neither address nor host", s.Name)
				}
			}
		}
	})
}
