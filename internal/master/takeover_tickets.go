package master

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Ticket keys across a takeover. A master started with -x asks the
// previous one for its TLS session ticket keys (_gettickets) before its
// first worker starts, so that clients holding a ticket from the previous
// process resume their sessions with the new one instead of doing a full
// handshake. The command needs what _getsocks needs ("level admin" and
// "expose-fd listeners"): whoever may take the sockets may take the keys.
// A previous process that does not know the command (HAProxy, an older
// Baton) answers "Unknown command": the new master keeps its own keys.

const (
	getTicketsCmd    = "_gettickets"
	getTicketsHeader = "ticket-keys"
)

// writeTicketKeys answers _gettickets: "ticket-keys N", then N keys in
// base64, the encrypting one first.
func (m *Master) writeTicketKeys(w io.Writer) error {
	keys := m.tickets.get()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d\n", getTicketsHeader, len(keys))
	for _, k := range keys {
		b.WriteString(base64.StdEncoding.EncodeToString(k[:]))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FetchTicketKeys asks the process serving the stats socket at path for
// its ticket keys. ok is false, with no error, when it does not know the
// command.
func FetchTicketKeys(path string) (keys [][32]byte, ok bool, err error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, getTicketsCmd+"\n"); err != nil {
		return nil, false, err
	}
	return parseTicketKeys(bufio.NewReader(io.LimitReader(c, 64<<10)))
}

// parseTicketKeys reads a _gettickets answer.
func parseTicketKeys(r *bufio.Reader) ([][32]byte, bool, error) {
	first, err := r.ReadString('\n')
	if err != nil && first == "" {
		return nil, false, fmt.Errorf("_gettickets: %w", err)
	}
	f := strings.Fields(first)
	if len(f) != 2 || f[0] != getTicketsHeader {
		if strings.Contains(first, "Unknown command") {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("_gettickets: unexpected answer %q", strings.TrimSpace(first))
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 1 || n > 16 {
		return nil, false, fmt.Errorf("_gettickets: bad key count %q", f[1])
	}
	keys := make([][32]byte, n)
	for i := range keys {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, false, fmt.Errorf("_gettickets: key %d: %w", i+1, err)
		}
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(line))
		if err != nil || len(k) != len(keys[i]) {
			return nil, false, fmt.Errorf("_gettickets: key %d is not 32 bytes of base64", i+1)
		}
		copy(keys[i][:], k)
	}
	return keys, true, nil
}

// adoptTicketKeys makes the previous process's keys this master's, when
// it can give them.
func (m *Master) adoptTicketKeys(path string) {
	keys, ok, err := FetchTicketKeys(path)
	switch {
	case err != nil:
		m.logf("takeover: %s: ticket keys: %v: sessions from before the takeover will do a full handshake", path, err)
	case !ok:
		m.logf("takeover: %s does not share its ticket keys: sessions from before the takeover will do a full handshake", path)
	default:
		m.tickets.set(keys)
		m.logf("takeover: %s: %d TLS ticket key(s) taken over", path, len(keys))
	}
}
