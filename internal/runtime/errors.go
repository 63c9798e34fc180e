package runtime

import (
	"fmt"
	"strings"
	"time"
)

// bufSize is the capture buffer's size reported by "show errors" (HAProxy's
// tune.bufsize, Baton's head buffer).
const bufSize = 16384

// showErrors is "show errors [<px>] [request|response]": the last invalid
// request (per frontend) and response (per backend), with the bytes
// received and the position the h1 codec rejected, in HAProxy's layout.
func showErrors(x *call) string {
	px, dir := "", ""
	for _, a := range x.args {
		switch a {
		case "request", "response":
			dir = a
		default:
			px = a
		}
	}
	if px != "" && !x.proxyExists(px) {
		return "No such proxy.\n"
	}
	total, caps := x.t.Errors()
	var b strings.Builder
	fmt.Fprintf(&b, "Total events captured on [%s] : %d\n", logDate(x.now), total)
	for _, c := range caps {
		if dir == "request" && c.Response || dir == "response" && !c.Response {
			continue
		}
		if px != "" && c.Proxy != px && fmt.Sprintf("#%d", c.ProxyID) != px {
			continue
		}
		writeCapture(&b, &c)
	}
	return b.String()
}

// proxyExists reports whether name is a frontend or backend of x's target.
func (x *call) proxyExists(name string) bool {
	for _, r := range x.t.Rows(x.now) {
		if r.Values[0].String() == name || fmt.Sprintf("#%d", r.IID) == name {
			return true
		}
	}
	return false
}

func writeCapture(b *strings.Builder, c *Capture) {
	kind, what, otherKind := "frontend", "request", "backend"
	if c.Response {
		kind, what, otherKind = "backend", "response", "frontend"
	}
	other, otherID := c.Other, c.OtherID
	if other == "" {
		other, otherID = "<NONE>", -1
	}
	srv, sid := c.Server, c.SID
	if srv == "" {
		srv, sid = "<NONE>", -1
	}
	fmt.Fprintf(b, " \n[%s] %s %s (#%d): invalid %s\n", logDate(c.When), kind, c.Proxy, c.ProxyID, what)
	fmt.Fprintf(b, "  %s %s (#%d), server %s (#%d), event #%d, src %s\n", otherKind, other, otherID, srv, sid, c.Event, c.Src)
	fmt.Fprintf(b, "  buffer starts at 0 (including 0 out), %d free,\n", bufSize-len(c.Buf))
	fmt.Fprintf(b, "  len %d, wraps at %d, error at position %d\n", len(c.Buf), bufSize-48, c.Pos)
	b.WriteString("  H1 connection flags 0x00000000, H1 stream flags 0x00000000\n")
	fmt.Fprintf(b, "  H1 msg state %s, H1 msg flags 0x00000000\n", c.State)
	b.WriteString("  H1 chunk len 0 bytes, H1 body len 0 bytes :\n  \n")
	dump(b, c.Buf)
}

// dump writes buf as HAProxy does: lines of at most 64 bytes, cut after
// each LF, each prefixed by its offset, with control bytes escaped.
func dump(b *strings.Builder, buf []byte) {
	for off := 0; off < len(buf); {
		fmt.Fprintf(b, "  %05d  ", off)
		n := 0
		for off < len(buf) && n < 64 {
			c := buf[off]
			off++
			n++
			switch {
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\\':
				b.WriteString(`\\`)
			case c < 0x20 || c >= 0x7f:
				fmt.Fprintf(b, `\x%02X`, c)
			default:
				b.WriteByte(c)
			}
			if c == '\n' {
				break
			}
		}
		b.WriteByte('\n')
	}
}

// logDate is HAProxy's date: 01/Dec/2026:00:33:00.453.
func logDate(t time.Time) string {
	return t.Format("02/Jan/2006:15:04:05.000")
}
