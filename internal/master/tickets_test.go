package master

import (
	"testing"

	"baton/internal/tlsconf"
)

func TestTicketKeys(t *testing.T) {
	var tk ticketKeys
	first := tk.get()
	if len(first) != 1 || first[0] == ([32]byte{}) {
		t.Fatalf("first keys %v", first)
	}
	if again := tk.get(); again[0] != first[0] {
		t.Fatal("keys change without a rotation")
	}
	var seen [][32]byte
	for i := 0; i < 5; i++ {
		k := tk.rotate()
		if k[0] == first[0] || len(k) > tlsconf.TicketKeysKept {
			t.Fatalf("rotation %d: %d keys", i, len(k))
		}
		if i == 0 && k[1] != first[0] {
			t.Error("the previous key must stay for decryption")
		}
		seen = append(seen, k[0])
	}
	if got := tk.get(); got[0] != seen[4] || got[2] != seen[2] {
		t.Error("get does not return the rotated list")
	}
	tk.set([][32]byte{{9}})
	if tk.get()[0] != ([32]byte{9}) {
		t.Error("set (after an upgrade) ignored")
	}
}
