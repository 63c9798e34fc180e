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
		var b bytes.Buffer
		Explain(&b, c)
		for _, px := range c.Proxies {
			for _, s := range px.Servers {
				if s.Weight < 0 || s.Weight > 256 {
					t.Fatalf("weight out of range: %d", s.Weight)
				}
			}
		}
	})
}
