package config

import (
	"strings"
	"testing"
	"time"
)

func TestServerPoolOptions(t *testing.T) {
	for _, tc := range []struct {
		line string
		want ServerPool
		err  string
		warn string
	}{
		{line: "", want: ServerPool{}},
		{line: "pool-max-conn -1", want: ServerPool{}},
		{line: "pool-max-conn 100", want: ServerPool{PoolMaxConn: 100}},
		{line: "pool-max-conn 0", want: ServerPool{NoIdlePool: true}},
		{line: "pool-max-conn 0 pool-max-conn 8", want: ServerPool{PoolMaxConn: 8}},
		{line: "pool-purge-delay 2s", want: ServerPool{PoolPurgeDelay: 2 * time.Second}},
		{line: "pool-purge-delay 0", want: ServerPool{PoolPurgeDelay: -1}},
		{line: "pool-low-conn 4", want: ServerPool{}, warn: "pool-low-conn 4: no effect"},
		{line: "pool-max-conn -2", err: `invalid pool-max-conn "-2"`},
		{line: "pool-max-conn x", err: `invalid pool-max-conn "x"`},
		{line: "pool-purge-delay soon", err: `invalid pool-purge-delay "soon"`},
		{line: "pool-low-conn -1", err: `invalid pool-low-conn "-1"`},
	} {
		src := base + "  server s 127.0.0.1:81 " + tc.line + "\n"
		c, err := Parse("t.cfg", []byte(src))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "t.cfg:7") {
				t.Errorf("%q: error %v, want t.cfg:7 and %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		if got := c.Backend("be").Servers[0].ServerPool; got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.line, got, tc.want)
		}
		if tc.warn != "" && !strings.Contains(strings.Join(c.Warnings, "\n"), tc.warn) {
			t.Errorf("%q: warnings %q, want %q", tc.line, c.Warnings, tc.warn)
		}
	}
}

// default-server sets the pool for the servers after it.
func TestServerPoolDefaults(t *testing.T) {
	c := mustParse(t, base+"  default-server pool-max-conn 0 pool-purge-delay 1s\n  server a 127.0.0.1:81\n  server b 127.0.0.1:82 pool-max-conn -1\n")
	a, b := c.Backend("be").Servers[0], c.Backend("be").Servers[1]
	if !a.NoIdlePool || a.PoolPurgeDelay != time.Second || b.NoIdlePool || b.PoolMaxConn != 0 || b.PoolPurgeDelay != time.Second {
		t.Errorf("a %+v, b %+v", a.ServerPool, b.ServerPool)
	}
}

func FuzzServerPoolOptions(f *testing.F) {
	for _, s := range []string{"pool-max-conn 1", "pool-purge-delay 5s", "pool-low-conn 2", "pool-max-conn -1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, opts string) {
		if strings.ContainsAny(opts, "\n\r#\\\"'") {
			return
		}
		c, err := Parse("t.cfg", []byte(base+"  server s 127.0.0.1:81 "+opts+"\n"))
		if err != nil {
			return
		}
		p := c.Backend("be").Servers[0].ServerPool
		if p.PoolMaxConn < 0 || p.NoIdlePool && p.PoolMaxConn != 0 {
			t.Errorf("%q: %+v", opts, p)
		}
	})
}
