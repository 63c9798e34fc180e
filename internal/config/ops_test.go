package config

import "testing"

func TestServerStateKeywords(t *testing.T) {
	cfg, err := Parse("t.cfg", []byte(`global
    stats socket ipv4@127.0.0.1:9999 level operator
    stats socket unix@/run/x.sock uid 10 gid 20 mode 660
    server-state-file /var/state
    server-state-base /var/lib/st
defaults
    load-server-state-from-file global
backend a
    server s 127.0.0.1:1
backend b
    load-server-state-from-file local
    server-state-file-name b.state
    server s 127.0.0.1:1
backend c
    load-server-state-from-file local
    server s 127.0.0.1:1
`))
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Global
	if len(g.StatsSockets) != 2 || g.StatsSockets[0].Addr != "127.0.0.1:9999" || g.StatsSockets[0].Path != "" ||
		g.StatsSockets[0].Level != "operator" || g.StatsSockets[1].Path != "/run/x.sock" || g.StatsSockets[1].UID != 10 ||
		g.StatsSockets[1].GID != 20 || g.StatsSockets[1].Mode != 0o660 || g.StatsSockets[0].UID != -1 {
		t.Errorf("stats sockets %+v", g.StatsSockets)
	}
	for i, want := range []string{"/var/state", "/var/lib/st/b.state", "/var/lib/st/c"} {
		if got := cfg.ServerStatePath(cfg.Proxies[i]); got != want {
			t.Errorf("%s: state path %q, want %q", cfg.Proxies[i].Name, got, want)
		}
	}
}
