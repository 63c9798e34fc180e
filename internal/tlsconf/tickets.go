package tlsconf

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Session tickets. Go encrypts a ticket with the first of a list of
// 32-byte keys and decrypts with any of them. The master owns the list:
// it makes a key at start, adds a new one every TicketRotation and keeps
// TicketKeysKept, and hands the list to every generation, so a ticket
// issued before a reload resumes after it.

// TicketRotation is how often the master makes a new ticket key.
const TicketRotation = time.Hour

// TicketKeysKept is how many keys stay usable for decryption: a ticket
// stays resumable for at least (TicketKeysKept-1) * TicketRotation, far
// beyond tune.ssl.lifetime's default (which the tickets enforce).
const TicketKeysKept = 3

// NewTicketKey returns a random ticket key.
func NewTicketKey() [32]byte {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		panic("tlsconf: no randomness for a ticket key: " + err.Error())
	}
	return k
}

// RotateTicketKeys puts a new key first and keeps at most TicketKeysKept.
func RotateTicketKeys(keys [][32]byte) [][32]byte {
	out := append([][32]byte{NewTicketKey()}, keys...)
	if len(out) > TicketKeysKept {
		out = out[:TicketKeysKept]
	}
	return out
}

// ticketsInFile is HAProxy's TLS_TICKETS_NO: the file must hold at least
// that many keys, and its last ones are used.
const ticketsInFile = 3

// ParseTicketKeys reads a tls-ticket-keys file: one base64 key per line,
// 48 or 80 bytes each (all the same), at least three. As in HAProxy, the
// last three are used and the penultimate one encrypts. The keys are not
// OpenSSL's ticket format in Go: each is hashed into a Go ticket key, so
// every Baton process reading the same file resumes the same tickets.
func ParseTicketKeys(data []byte) ([][32]byte, error) {
	var raw [][]byte
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			return nil, fmt.Errorf("line %d: not base64: %v", i+1, err)
		}
		if len(k) != 48 && len(k) != 80 {
			return nil, fmt.Errorf("line %d: a key is 48 or 80 bytes, not %d", i+1, len(k))
		}
		if len(raw) > 0 && len(k) != len(raw[0]) {
			return nil, fmt.Errorf("line %d: 48- and 80-byte keys cannot be mixed", i+1)
		}
		raw = append(raw, k)
	}
	if len(raw) < ticketsInFile {
		return nil, fmt.Errorf("%d key(s); at least %d are needed", len(raw), ticketsInFile)
	}
	last := raw[len(raw)-ticketsInFile:]
	order := [][]byte{last[1], last[2], last[0]} // the penultimate encrypts
	keys := make([][32]byte, len(order))
	for i, k := range order {
		keys[i] = sha256.Sum256(k)
	}
	return keys, nil
}

// stampPrefix marks Baton's entry in SessionState.Extra.
const stampPrefix = "baton-t1"

func stampTicket(t time.Time) []byte {
	b := make([]byte, len(stampPrefix)+8)
	copy(b, stampPrefix)
	binary.BigEndian.PutUint64(b[len(stampPrefix):], uint64(t.Unix()))
	return b
}

func ticketStamp(extra [][]byte) (time.Time, bool) {
	for _, e := range extra {
		if len(e) == len(stampPrefix)+8 && string(e[:len(stampPrefix)]) == stampPrefix {
			return time.Unix(int64(binary.BigEndian.Uint64(e[len(stampPrefix):])), 0), true
		}
	}
	return time.Time{}, false
}

// EncodeTicketKeys and DecodeTicketKeys carry keys in control messages.
func EncodeTicketKeys(keys [][32]byte) [][]byte {
	out := make([][]byte, len(keys))
	for i := range keys {
		out[i] = append([]byte(nil), keys[i][:]...)
	}
	return out
}

func DecodeTicketKeys(b [][]byte) ([][32]byte, error) {
	out := make([][32]byte, len(b))
	for i, k := range b {
		if len(k) != 32 {
			return nil, errors.New("ticket key of the wrong size")
		}
		copy(out[i][:], k)
	}
	return out, nil
}
