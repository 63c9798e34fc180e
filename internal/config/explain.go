package config

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// EffectiveKeepAlive is the connection mode HAProxy applies to a request
// that frontend fe sends to backend be: the more closing of the two.
func EffectiveKeepAlive(fe, be *Proxy) KeepAliveMode {
	return max(fe.KeepAlive, be.KeepAlive)
}

// Explain writes, for every proxy, its mode, keep-alive mode and each
// timeout that applies to it, with the value's origin, then the disabled
// proxies and the warnings.
func Explain(w io.Writer, c *Config) {
	for i, px := range c.Proxies {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s %s (%s)\n", px.Kind, px.Name, px.Pos)
		fmt.Fprintf(w, "  mode %s%s\n", px.Mode, from(px.ModeFrom, "default"))
		if px.Defaults != "" {
			fmt.Fprintf(w, "  inherits %s\n", px.Defaults)
		}
		if px.Mode == ModeHTTP {
			fmt.Fprintf(w, "  connection mode %s%s\n", px.KeepAlive, from(px.KeepAliveFrom, "default"))
			if px.Kind != KindBackend {
				for _, name := range backendsOf(px) {
					if be := c.Backend(name); be != nil && be != px && be.KeepAlive != px.KeepAlive {
						fmt.Fprintf(w, "    with backend %s: %s (the more closing mode wins)\n", name, EffectiveKeepAlive(px, be))
					}
				}
			}
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		t := px.Timeouts
		row := func(name string, to Timeout, unset, meaning string) {
			v, src := "none", "from "+to.From
			if to.Set {
				v = to.Value.String()
			}
			if to.From == "" {
				src = "not set"
				if unset != "" {
					src = unset
				}
			}
			fmt.Fprintf(tw, "  timeout %s\t%s\t%s\t%s\n", name, v, meaning, src)
		}
		front := px.Kind != KindBackend
		back := px.Kind != KindFrontend
		if front {
			row("client", t.Client, "", "client inactivity")
			if px.Mode == ModeHTTP {
				row("http-request", t.HTTPRequest, "", "whole request headers must arrive within")
				row("http-keep-alive", t.HTTPKeepAlive, "", "idle time between keep-alive requests")
			}
			row("client-fin", t.ClientFin, "", "half-closed client")
		}
		if back {
			row("connect", t.Connect, "", "connecting to a server")
			row("server", t.Server, "", "server inactivity (response wait)")
			row("queue", t.Queue, "", "waiting for a free server slot")
			row("server-fin", t.ServerFin, "", "half-closed server")
			row("tunnel", t.Tunnel, "not set: timeout client and server apply", "idle tunnel (WebSocket, CONNECT)")
			row("check", t.Check, "not set: inter bounds each check", "health check once connected")
		}
		tw.Flush()
	}
	for _, px := range c.Stopped {
		fmt.Fprintf(w, "\n%s %s (%s)\n  disabled: checked, not started\n", px.Kind, px.Name, px.Pos)
	}
	if len(c.Warnings) > 0 {
		fmt.Fprintln(w, "\nwarnings:")
		for _, x := range c.Warnings {
			fmt.Fprintf(w, "  %s\n", x)
		}
	}
}

func from(origin, dflt string) string {
	if origin == "" {
		return " (" + dflt + ")"
	}
	return " (" + origin + ")"
}

// backendsOf lists the backends a frontend may route to, in order.
func backendsOf(px *Proxy) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, u := range px.UseBackends {
		add(u.Backend)
	}
	add(px.DefaultBackend)
	return out
}
