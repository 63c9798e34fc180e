package master

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

func TestParseTicketKeys(t *testing.T) {
	var m Master
	var answer bytes.Buffer
	if err := m.writeTicketKeys(&answer); err != nil {
		t.Fatal(err)
	}
	want := m.tickets.get()
	for _, tc := range []struct {
		name, in string
		ok       bool
		err      string
		n        int
	}{
		{name: "round trip", in: answer.String(), ok: true, n: len(want)},
		{name: "HAProxy", in: "Unknown command: '_gettickets', but maybe one of the following ones is a better match:\n", ok: false},
		{name: "denied", in: "Permission denied: _gettickets needs ...\n", err: "unexpected answer"},
		{name: "short key", in: "ticket-keys 1\nQUJD\n", err: "not 32 bytes"},
		{name: "missing key", in: "ticket-keys 2\n" + strings.Repeat("A", 43) + "=\n", err: "key 2"},
		{name: "count", in: "ticket-keys 99\n", err: "bad key count"},
		{name: "empty", in: "", err: "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, ok, err := parseTicketKeys(bufio.NewReader(strings.NewReader(tc.in)))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || ok != tc.ok || len(keys) != tc.n {
				t.Fatalf("keys %d ok %v err %v; want %d %v", len(keys), ok, err, tc.n, tc.ok)
			}
			if tc.ok && !equalKeys(keys, want) {
				t.Fatal("the keys did not survive the round trip")
			}
		})
	}
}

func equalKeys(a, b [][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzParseTicketKeys(f *testing.F) {
	f.Add("ticket-keys 1\n" + strings.Repeat("A", 43) + "=\n")
	f.Add("Unknown command\n")
	f.Fuzz(func(t *testing.T, in string) {
		keys, ok, err := parseTicketKeys(bufio.NewReader(strings.NewReader(in)))
		if err == nil && ok && len(keys) == 0 {
			t.Fatal("ok without keys")
		}
	})
}
