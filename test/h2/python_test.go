package h2_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// pyClient is a small httpx client (Debian's python3-httpx with
// python3-h2): ten requests on one HTTP/2 connection, concurrently,
// printing each answer's version and backend.
const pyClient = `
import asyncio, sys, httpx
async def main(url, ca):
    async with httpx.AsyncClient(http2=True, verify=ca) as c:
        rs = await asyncio.gather(*[c.get(url) for _ in range(10)])
        for r in rs:
            print(r.http_version, r.status_code, r.headers.get("x-backend"))
asyncio.run(main(sys.argv[1], sys.argv[2]))
`

// TestPythonHTTPX: Python's httpx over TLS (ALPN h2), under Baton and
// HAProxy alike.
func TestPythonHTTPX(t *testing.T) {
	py := "/usr/bin/python3" // Debian's python, which sees python3-httpx
	if exec.Command(py, "-c", "import httpx, h2").Run() != nil {
		t.Skip("Debian's python3-httpx and python3-h2 are not installed (.ci/run installs them)")
	}
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			e := newEnv(t, "a")
			e.start(t, proxy, e.config("a"))
			out, err := run(t, 30*time.Second, py, "-c", pyClient, "https://localhost:"+port(e.tlsAddr)+"/", e.dir+"/ca.pem")
			if err != nil || strings.Count(out, "HTTP/2 200 a\n") != 10 {
				t.Errorf("httpx: %v\n%s", err, out)
			}
		})
	}
}
