package e2e_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"baton/test/harness"
)

// MQTT load balancing under Baton and HAProxy 2.6, as the EMQX example
// does it: only valid MQTT CONNECT packets pass the frontend, and the
// backend sticks each client identifier to one broker.

// mqttConnect builds an MQTT 3.1.1 CONNECT (clean session, keepalive
// 60) for client id.
func mqttConnect(id string) string {
	body := "\x00\x04MQTT\x04\x02\x00\x3c\x00" + string(byte(len(id))) + id
	return "\x10" + string(byte(len(body))) + body
}

// mqttBroker reads a CONNECT and answers a CONNACK followed by its name,
// so a client sees which broker it reached.
func mqttBroker(name string) func(net.Conn) {
	return func(c net.Conn) {
		defer c.Close()
		c.SetDeadline(time.Now().Add(harness.IOTimeout))
		hdr := make([]byte, 2)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		if _, err := io.ReadFull(c, make([]byte, hdr[1])); err != nil {
			return
		}
		io.WriteString(c, "\x20\x02\x00\x00"+name)
		io.Copy(io.Discard, c)
	}
}

func TestMQTTStickOnClientID(t *testing.T) {
	run(t, []scenario{{
		name: "mqtt-stick-client-id",
		cfg: tcpBase + `
frontend mqtt_servers
    bind ${FE}
    tcp-request inspect-delay 10s
    tcp-request content accept if { req.payload(0,0),mqtt_is_valid }
    tcp-request content reject
    default_backend mqtt_backend

backend mqtt_backend
    balance roundrobin
    stick-table type string len 32 size 1k expire 30m
    stick on req.payload(0,0),mqtt_field_value(connect,client_identifier)
    server b1 ${O1}
    server b2 ${O2}
`,
		origins: map[string]func(net.Conn){"O1": mqttBroker("b1"), "O2": mqttBroker("b2")},
		check: func(e *env) {
			broker := func(id string, split bool) string {
				c := harness.Dial(e.t, e.fe())
				pkt := mqttConnect(id)
				if split {
					// Half a packet: mqtt_is_valid "may change", so the
					// rules wait for the rest (rather than reject).
					c.Send(pkt[:7])
					time.Sleep(50 * time.Millisecond) // lets the halves arrive apart; either way the answer is the same
					c.Send(pkt[7:])
				} else {
					c.Send(pkt)
				}
				got := c.ReadN(6)
				c.Close()
				if !strings.HasPrefix(got, "\x20\x02\x00\x00") {
					e.t.Fatalf("client %s: answer %q, want a CONNACK", id, got)
				}
				return got[4:]
			}
			// Round robin alone would alternate; the table keeps each
			// client id on the broker its first connection reached.
			alpha := broker("alpha", false)
			beta := broker("beta", false)
			if alpha == beta {
				e.t.Errorf("alpha and beta both on %s: the first connections should alternate", alpha)
			}
			for i := 0; i < 4; i++ {
				if got := broker("alpha", i == 1); got != alpha {
					e.t.Errorf("alpha connection %d reached %s, want %s", i+2, got, alpha)
				}
				if got := broker("beta", false); got != beta {
					e.t.Errorf("beta connection %d reached %s, want %s", i+2, got, beta)
				}
			}
			// Anything but an MQTT packet is rejected at once, well
			// before the inspect delay.
			c := harness.Dial(e.t, e.fe())
			c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if closed, got := c.Closed(5 * time.Second); !closed || got != "" {
				e.t.Errorf("an HTTP request: closed %v with %q, want closed without an answer", closed, got)
			}
		},
	}})
}

// TestMQTTIsValidAgainstHAProxy sends MQTT packets, well-formed and
// not, through "tcp-request content accept if mqtt_is_valid": a valid
// one reaches the (echo) server, an invalid one is rejected at once, and
// one the buffer cuts short waits for more bytes (the inspect delay,
// longer than the test waits). Each verdict is the same under Baton and
// HAProxy 2.6, quirks included.
func TestMQTTIsValidAgainstHAProxy(t *testing.T) {
	const (
		pass = "passes"
		rej  = "rejected"
		wait = "waits"
	)
	cases := []struct{ name, hex, want string }{
		{"connect 3.1.1", "10140004 4d515454 0402003c 0008636c69656e742d31", pass},
		{"connect 3.1.1 will user password", "102a0004 4d515454 04ee000a 0003616263 0005742f77696c 000462796521 000475736572 0006736563726574", pass},
		{"connect 5.0 properties", "102b0004 4d515454 0502001e 1c 1100000e10 210014 15000553435241 54 1600027879 2600016b000176 00026335", pass},
		{"connect 5.0 will properties", "10240004 4d515454 05060000 00 00026335 0e 1800000005 0101 03000474657874 000177 000178", pass},
		{"protocol name in lower case", "10140004 6d717474 0402003c 0008636c69656e742d31", pass},
		{"will retain without will", "10140004 4d515454 0420003c 0008636c69656e742d31", pass},
		{"connack", "20020000", pass},
		{"connect then publish", "10140004 4d515454 0402003c 0008636c69656e742d31 3003000161", pass},
		{"MQIsdp 3.1", "10160006 4d5149736470 0302003c 0008636c69656e742d31", pass},
		{"MQTT level 3", "10140004 4d515454 0302003c 0008636c69656e742d31", pass},
		{"MQTTX", "10150005 4d51545458 0402003c 0008636c69656e742d31", rej},
		{"level 6", "10140004 4d515454 0602003c 0008636c69656e742d31", rej},
		{"reserved flag", "10140004 4d515454 0403003c 0008636c69656e742d31", rej},
		{"will QoS without will", "10140004 4d515454 0418003c 0008636c69656e742d31", rej},
		{"length beyond the fields", "10150004 4d515454 0402003c 0008636c69656e742d31 00", rej},
		{"5.0 duplicate property", "10130004 4d515454 0502001e 06 210014 210014 0000", rej},
		{"5.0 receive maximum 0", "10100004 4d515454 0502001e 03 210000 0000", rej},
		{"5.0 auth data without method", "10120004 4d515454 0502001e 05 1600027879 0000", rej},
		{"5.0 unknown property", "100f0004 4d515454 0502001e 02 2401 0000", rej},
		{"publish", "3003000161", rej},
		{"remaining length cut at zero", "1080", rej},
		{"http", hex.EncodeToString([]byte("GET / HTTP/1.0\r\n\r\n")), rej},
		{"remaining length cut", "1081", wait},
		{"half a connect", "10140004 4d515454 0402", wait},
	}
	run(t, []scenario{{
		name: "mqtt-is-valid",
		cfg: tcpBase + `
frontend fe
    bind ${FE}
    tcp-request inspect-delay 30s
    tcp-request content accept if { req.payload(0,0),mqtt_is_valid }
    tcp-request content reject
    default_backend echo
backend echo
    server e1 ${O1}
`,
		origins: map[string]func(net.Conn){"O1": harness.Echo},
		check: func(e *env) {
			for _, tc := range cases {
				pkt, err := hex.DecodeString(strings.ReplaceAll(tc.hex, " ", ""))
				if err != nil {
					e.t.Fatalf("%s: %v", tc.name, err)
				}
				got := sendForEcho(e.t, e.fe(), pkt)
				if got != tc.want {
					e.t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
				}
			}
		},
	}})
}

// TestMQTTFieldValueAgainstHAProxy reads fields of CONNECT packets with
// mqtt_field_value, one frontend per field and expected value: a packet
// passes when the value is the one expected ("-" expects no value), so
// Baton and HAProxy 2.6 must decode and format each field alike.
func TestMQTTFieldValueAgainstHAProxy(t *testing.T) {
	const (
		connect311     = "10140004 4d515454 0402003c 0008636c69656e742d31"
		connect311Full = "102a0004 4d515454 04ee000a 0003616263 0005742f77696c 000462796521 000475736572 0006736563726574"
		connect5       = "102b0004 4d515454 0502001e 1c 1100000e10 210014 15000553435241 54 1600027879 2600016b000176 00026335"
		connect5Will   = "10240004 4d515454 05060000 00 00026335 0e 1800000005 0101 03000474657874 000177 000178"
		mqisdp         = "10160006 4d5149736470 0302003c 0008636c69656e742d31"
		emptyID        = "100c0004 4d515454 0402003c 0000"
	)
	cases := []struct{ pkt, field, want string }{
		{connect311, "client_identifier", "client-1"},
		{connect311, "keepalive", "60"},
		{connect311, "username", "-"},
		{connect311Full, "flags", "238"},
		{connect311Full, "will_topic", "t/wil"},
		{connect311Full, "password", "secret"},
		{connect5, "17", "3600"},
		{connect5, "33", "20"},
		{connect5, "39", "0"},
		{connect5, "21", "SCRAT"},
		{connect5, "24", "-"},
		{connect5Will, "24", "5"},
		{connect5Will, "3", "text"},
		{connect5Will, "will_payload", "x"},
		{mqisdp, "protocol_name", "MQIsdp"},
		{mqisdp, "protocol_version", "3"},
		{emptyID, "client_identifier", "-"},
	}
	cfg := tcpBase + "backend echo\n    server e1 ${O1}\n"
	for i, c := range cases {
		cond := fmt.Sprintf("{ req.payload(0,0),mqtt_field_value(connect,%s) -m str %s }", c.field, c.want)
		if c.want == "-" {
			cond = fmt.Sprintf("!{ req.payload(0,0),mqtt_field_value(connect,%s) -m found }", c.field)
		}
		cfg += fmt.Sprintf(`frontend fe%d
    bind ${FE%d}
    tcp-request inspect-delay 10s
    tcp-request content reject unless { req.payload(0,0),mqtt_is_valid }
    tcp-request content accept if %s
    tcp-request content reject
    default_backend echo
`, i, i, cond)
	}
	run(t, []scenario{{
		name:    "mqtt-field-value",
		cfg:     cfg,
		origins: map[string]func(net.Conn){"O1": harness.Echo},
		check: func(e *env) {
			for i, c := range cases {
				pkt, err := hex.DecodeString(strings.ReplaceAll(c.pkt, " ", ""))
				if err != nil {
					e.t.Fatal(err)
				}
				if got := sendForEcho(e.t, e.addrs[fmt.Sprintf("FE%d", i)], pkt); got != "passes" {
					e.t.Errorf("mqtt_field_value(connect,%s) of %s is not %q (the packet %s)", c.field, c.pkt, c.want, got)
				}
			}
		},
	}})
}

// sendForEcho sends pkt to addr, in front of an echo server, and says
// what became of it: "passes" (echoed back), "rejected" (closed without
// a byte) or "waits" (nothing within a second: the rules wait for more).
func sendForEcho(t *testing.T, addr string, pkt []byte) string {
	c := harness.Dial(t, addr)
	defer c.Close()
	c.Send(string(pkt))
	c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, len(pkt))
	n, err := io.ReadFull(c.R, buf)
	switch {
	case err == nil && string(buf) == string(pkt):
		return "passes"
	case n == 0 && (err == io.EOF || errors.Is(err, syscall.ECONNRESET)):
		return "rejected"
	case n == 0 && os.IsTimeout(err):
		return "waits"
	}
	return fmt.Sprintf("answered %q (%v)", buf[:n], err)
}
