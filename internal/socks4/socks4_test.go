package socks4

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestAppendRequest(t *testing.T) {
	got, err := AppendRequest(nil, netip.MustParseAddrPort("192.0.2.10:25"))
	want := []byte{4, 1, 0, 25, 192, 0, 2, 10, 'H', 'A', 'P', 'r', 'o', 'x', 'y', 0}
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("request % x, %v; want % x", got, err, want)
	}
	if _, err := AppendRequest(nil, netip.MustParseAddrPort("[2001:db8::1]:25")); err != ErrNotIPv4 {
		t.Errorf("IPv6 destination: %v, want ErrNotIPv4", err)
	}
	got, _ = AppendRequest(nil, netip.MustParseAddrPort("[::ffff:10.0.0.1]:443"))
	if !bytes.Equal(got[2:8], []byte{1, 187, 10, 0, 0, 1}) {
		t.Errorf("v4-mapped destination: % x", got[2:8])
	}
}

func TestCheckReply(t *testing.T) {
	var rej *RejectedError
	for _, tt := range []struct {
		reply []byte
		ok    bool
		code  byte
	}{
		{[]byte{0, 90, 0, 0, 0, 0, 0, 0}, true, 0},
		{[]byte{4, 90, 1, 2, 3, 4, 5, 6}, true, 0}, // only the code counts
		{[]byte{0, 91, 0, 0, 0, 0, 0, 0}, false, 91},
		{[]byte{0, 93, 0, 0, 0, 0, 0, 0}, false, 93},
		{[]byte{0, 90, 0}, false, 0},
	} {
		err := CheckReply(tt.reply)
		if (err == nil) != tt.ok {
			t.Errorf("% x: %v", tt.reply, err)
		}
		if tt.code != 0 && (!errors.As(err, &rej) || rej.Code != tt.code) {
			t.Errorf("% x: %v, want code %d", tt.reply, err, tt.code)
		}
	}
}

func TestHandshake(t *testing.T) {
	for _, tt := range []struct {
		name  string
		reply string
		ok    bool
	}{
		{"granted", "\x00\x5a\x00\x00\x00\x00\x00\x00after", true},
		{"refused", "\x00\x5b\x00\x00\x00\x00\x00\x00", false},
		{"closed early", "\x00\x5a", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cl, sv := net.Pipe()
			defer cl.Close()
			go func() {
				defer sv.Close()
				req := make([]byte, RequestLen)
				io.ReadFull(sv, req)
				sv.Write([]byte(tt.reply))
			}()
			err := Handshake(cl, netip.MustParseAddrPort("127.0.0.2:80"), time.Now().Add(5*time.Second))
			if (err == nil) != tt.ok {
				t.Fatalf("Handshake: %v", err)
			}
			var ioe *IOError
			if tt.name == "closed early" && (!errors.As(err, &ioe) || !ioe.Reading) {
				t.Errorf("a short reply: %v, want a reading IOError", err)
			}
			if tt.ok {
				// The server's first bytes are left for the caller.
				b := make([]byte, 5)
				if _, err := io.ReadFull(cl, b); err != nil || string(b) != "after" {
					t.Errorf("after the reply: %q, %v", b, err)
				}
			}
		})
	}
}

func FuzzCheckReply(f *testing.F) {
	f.Add([]byte{0, 90, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 91})
	f.Fuzz(func(t *testing.T, r []byte) {
		err := CheckReply(r)
		if (err == nil) != (len(r) >= 8 && r[1] == 90) {
			t.Fatalf("% x: %v", r, err)
		}
	})
}
