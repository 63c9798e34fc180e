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
	f.Add([]byte(".if defined(HOME) && streq(\"${HOME-x}\",x)\nglobal\n  .notice \"$.LINE ${.SECTION}\"\n.elif 0\n.else\n  user \"${U[*]}\"\n.endif\n"))
	f.Add([]byte("http-errors e\n  errorfile 503 /dev/null\nfrontend f\n  bind :1,unix@/x mode 600\n  errorfiles e\n  errorloc303 503 /m\n  http-error status 403 content-type t string s\n"))
	f.Add([]byte(logPrologue + "frontend f\n  bind :1\n  no log\n  log 127.0.0.1 sample 1:2 local0\n  log-format \"%ci %{+Q}r\"\n  option logasap\n"))
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
