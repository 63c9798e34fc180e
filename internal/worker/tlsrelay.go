package worker

import (
	"errors"
	"fmt"
	"net"
)

// TLS relays. A TLS connection cannot move between processes (its cipher
// state is in the old one's memory), so at a hand-over the old
// generation keeps deciphering and passes the plain bytes over a unix
// socket pair; the far end travels like a client socket, in a conn
// Transfer whose Relay field describes the client (address, TLS facts),
// and the new generation serves it (see proxy's tlsrelay.go). The master
// routes it exactly like a handed-over socket.

// RelayAdopter is implemented by engines that can relay TLS connections
// (proxy.Engine).
type RelayAdopter interface {
	// SetRelay gives the engine the function that passes the far end of
	// a relay to the next generation, with the client's description.
	SetRelay(send func(bind string, peer *net.UnixConn, meta []byte) error)
	// AdoptRelay serves the near end of a relay the previous generation
	// keeps for a client of bind.
	AdoptRelay(bind string, c net.Conn, meta []byte) error
}

// sendRelay passes peer, the far end of a relay, to the serving
// generation; nil once it was adopted.
func (h *handoff) sendRelay(bind string, peer *net.UnixConn, meta []byte) error {
	if len(meta) == 0 {
		return errors.New("relay without a description")
	}
	return h.sendConn(&Transfer{Kind: TransferConn, Bind: bind, Relay: meta}, peer)
}

// adoptRelay hands a received relay end to the engine.
func (h *handoff) adoptRelay(t *Transfer, c net.Conn) error {
	ra, ok := h.w.engine.(RelayAdopter)
	if !ok {
		c.Close()
		return errors.New("the serving generation's engine cannot adopt TLS relays")
	}
	if err := ra.AdoptRelay(t.Bind, c, t.Relay); err != nil {
		c.Close()
		return fmt.Errorf("adopt relay %s: %w", t.Bind, err)
	}
	return nil
}

// offerRelays lets the engine relay its TLS connections over this
// channel.
func (h *handoff) offerRelays() {
	if ra, ok := h.w.engine.(RelayAdopter); ok {
		ra.SetRelay(h.sendRelay)
	}
}
