package worker_test

import (
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"baton/internal/worker"
)

func transferPair(t testing.TB) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := worker.TransferSocketpair()
	if err != nil {
		t.Fatal(err)
	}
	var out [2]*net.UnixConn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "hand-over")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = c.(*net.UnixConn)
	}
	t.Cleanup(func() { out[0].Close(); out[1].Close() })
	return out[0], out[1]
}

// TestTransferRoundTrip: a connection message carries its descriptor and
// fields; an ack carries none; the peer's close ends the channel.
func TestTransferRoundTrip(t *testing.T) {
	a, b := transferPair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in := &worker.Transfer{ID: 7, Kind: worker.TransferConn, Bind: ":80", Buffered: []byte("GET / HT")}
	if err := worker.WriteTransfer(a, in, int(w.Fd())); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got, fd, err := worker.ReadTransfer(b)
	if err != nil || fd < 0 || got.ID != 7 || got.Bind != ":80" || string(got.Buffered) != "GET / HT" {
		t.Fatalf("got %+v fd=%d err=%v", got, fd, err)
	}
	// The descriptor is the pipe's write end: prove it by writing.
	wf := os.NewFile(uintptr(fd), "received")
	wf.Write([]byte("!"))
	wf.Close()
	buf := make([]byte, 1)
	r.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, _ := r.Read(buf); n != 1 || buf[0] != '!' {
		t.Fatalf("received descriptor is not the pipe")
	}
	if err := worker.WriteTransfer(b, &worker.Transfer{ID: 7, Kind: worker.TransferAck, Err: "nope"}, -1); err != nil {
		t.Fatal(err)
	}
	if got, fd, err := worker.ReadTransfer(a); err != nil || fd != -1 || got.Err != "nope" {
		t.Fatalf("ack %+v fd=%d err=%v", got, fd, err)
	}
	if err := worker.WriteTransfer(a, &worker.Transfer{Kind: worker.TransferAck, Buffered: make([]byte, worker.MaxBuffered+1)}, -1); err == nil {
		t.Error("oversized buffered bytes accepted")
	}
	a.Close()
	if _, _, err := worker.ReadTransfer(b); err == nil || worker.IsMalformed(err) {
		t.Fatalf("after the peer's close: %v", err)
	}
}

// FuzzReadTransfer: any datagram is either a valid Transfer or a
// malformed one that leaves the channel usable; a descriptor is never
// leaked with an error.
func FuzzReadTransfer(f *testing.F) {
	f.Add([]byte(`{"id":1,"kind":"ack"}`), false)
	f.Add([]byte(`{"id":1,"kind":"conn","bind":":80","buffered":"R0VU"}`), true)
	f.Add([]byte(`{"id":1,"kind":"conn"}`), false)
	f.Add([]byte(`{"kind":"other"}`), true)
	f.Add([]byte(`not json`), true)
	a, b := transferPair(f)
	f.Fuzz(func(t *testing.T, data []byte, withFD bool) {
		if len(data) == 0 {
			return // a zero-length datagram reads as the peer's close
		}
		var oob []byte
		var p [2]int
		if withFD {
			if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			defer syscall.Close(p[0])
			defer syscall.Close(p[1])
			oob = syscall.UnixRights(p[0])
		}
		if _, _, err := a.WriteMsgUnix(data, oob, nil); err != nil {
			return // too large for one datagram
		}
		got, fd, err := worker.ReadTransfer(b)
		if err != nil {
			if !worker.IsMalformed(err) || fd != -1 {
				t.Fatalf("err %v fd %d", err, fd)
			}
			return
		}
		if fd >= 0 {
			syscall.Close(fd)
		}
		if (got.Kind == worker.TransferConn) != (fd >= 0) {
			t.Fatalf("%+v with fd %d", got, fd)
		}
	})
}
