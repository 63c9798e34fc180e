package e2e_test

import (
	"io"
	"net"
	"strings"
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
