package worker_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"baton/internal/listener"
	"baton/internal/worker"
	"baton/internal/worker/workertest"
)

// seqpacket returns the two ends of a hand-over channel as files.
func seqpacket(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	fds, err := worker.TransferSocketpair()
	if err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fds[0]), "hand-over"), os.NewFile(uintptr(fds[1]), "hand-over")
}

type inProcess struct {
	t      *testing.T
	ctl    *worker.Client
	exited chan error
}

// runWorker starts an in-process worker on a duplicate of ln with the
// hand-over channel hand, and starts it with cfg as generation gen.
func runWorker(t *testing.T, ln *listener.Listener, hand *os.File, gen int, cfg string) *inProcess {
	t.Helper()
	mEnd, wEnd := socketpair(t)
	w := &inProcess{t: t, ctl: worker.NewClient(mEnd), exited: make(chan error, 1)}
	t.Cleanup(func() { w.ctl.Close() })
	go func() {
		w.exited <- worker.Run(worker.Options{
			Control: wEnd,
			Listener: func(int) *os.File {
				f, err := dup(ln.File())
				if err != nil {
					t.Error(err)
				}
				return f
			},
			HandOff:   func(int) *os.File { return hand },
			NewEngine: workertest.Factory,
			Log:       testLog{t},
		})
	}()
	w.call(&worker.Message{Op: worker.OpStart, Generation: gen, Listeners: []string{"127.0.0.1:0"}, HandOff: true,
		Files: []worker.File{{Name: "w.cfg", Data: []byte(cfg)}}})
	return w
}

func (w *inProcess) call(m *worker.Message) *worker.Message {
	w.t.Helper()
	r, err := w.ctl.Call(m, 10*time.Second)
	if err != nil {
		w.t.Fatalf("%s: %v", m.Op, err)
	}
	return r
}

func (w *inProcess) waitExit() {
	w.t.Helper()
	select {
	case err := <-w.exited:
		if err != nil {
			w.t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		w.t.Fatal("worker did not exit")
	}
}

type lineClient struct {
	c net.Conn
	r *bufio.Reader
}

func dialLines(t *testing.T, addr string) *lineClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	lc := &lineClient{c: c, r: bufio.NewReader(c)}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := lc.r.ReadString('\n'); err != nil {
		t.Fatalf("greeting: %v", err)
	}
	return lc
}

func (lc *lineClient) ask(t *testing.T, line string) string {
	t.Helper()
	lc.c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(lc.c, "%s\n", line)
	s, err := lc.r.ReadString('\n')
	if err != nil {
		t.Fatalf("answer to %q: %v", line, err)
	}
	return strings.TrimSpace(s)
}

// TestHandOffBetweenWorkers joins two generations' hand-over channels
// directly (the master relays in production; the protocol is the same):
// idle connections move on soft stop, the old worker exits with its
// clients still connected, and the new one answers them on the same
// connections, partial requests included.
func TestHandOffBetweenWorkers(t *testing.T) {
	ln, err := listener.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	oldEnd, newEnd := seqpacket(t)
	old := runWorker(t, ln, oldEnd, 1, "label old\nmigrate\n")
	old.call(&worker.Message{Op: worker.OpServe})
	var clients []*lineClient
	for range 3 {
		lc := dialLines(t, addr)
		if a := lc.ask(t, "x"); !strings.Contains(a, "label=old") {
			t.Fatalf("before: %q", a)
		}
		clients = append(clients, lc)
	}
	io.WriteString(clients[0].c, "par") // half a request over the hand-over

	next := runWorker(t, ln, newEnd, 2, "label new\nmigrate\n")
	old.call(&worker.Message{Op: worker.OpStopAccepting})
	next.call(&worker.Message{Op: worker.OpServe})
	r := old.call(&worker.Message{Op: worker.OpSoftStop, Window: time.Second, Migrate: true})
	if r.Moved != 3 || r.Conns != 0 {
		t.Fatalf("soft stop moved %d, left %d; want 3 and 0", r.Moved, r.Conns)
	}
	old.waitExit()
	for i, lc := range clients {
		line := "y"
		if i == 0 {
			line = "tial"
		}
		if a := lc.ask(t, line); !strings.Contains(a, "gen=2") || !strings.Contains(a, "label=new") {
			t.Fatalf("client %d after the hand-over: %q", i, a)
		}
	}
	if a := clients[0].ask(t, "z"); !strings.Contains(a, "gen=2") {
		t.Fatalf("after the partial request: %q", a)
	}
	if r := next.call(&worker.Message{Op: worker.OpStatus}); r.Conns != 3 {
		t.Fatalf("new generation holds %d connections, want 3", r.Conns)
	}
}

// TestHandOffPeerGone: the receiving side dies with a connection on its
// way; the connection stays with the old generation, which answers it and
// drains as without migration.
func TestHandOffPeerGone(t *testing.T) {
	ln, err := listener.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	oldEnd, peerEnd := seqpacket(t)
	old := runWorker(t, ln, oldEnd, 1, "label old\nmigrate\n")
	old.call(&worker.Message{Op: worker.OpServe})
	lc := dialLines(t, ln.Addr().String())

	// The peer takes the connection, then dies without answering.
	peerConn, err := net.FileConn(peerEnd)
	peerEnd.Close()
	if err != nil {
		t.Fatal(err)
	}
	took := make(chan error, 1)
	go func() {
		_, fd, err := worker.ReadTransfer(peerConn.(*net.UnixConn))
		if err == nil && fd < 0 {
			err = fmt.Errorf("no descriptor")
		}
		if fd >= 0 {
			os.NewFile(uintptr(fd), "taken").Close()
		}
		peerConn.Close()
		took <- err
	}()
	r := old.call(&worker.Message{Op: worker.OpSoftStop, Window: time.Second, Migrate: true})
	if err := <-took; err != nil {
		t.Fatalf("peer: %v", err)
	}
	if r.Moved != 0 || r.Conns != 1 {
		t.Fatalf("soft stop moved %d, left %d; want 0 and 1", r.Moved, r.Conns)
	}
	if a := lc.ask(t, "still"); !strings.Contains(a, "label=old") {
		t.Fatalf("after the failed hand-over: %q", a)
	}
	select {
	case err := <-old.exited:
		t.Fatalf("old worker exited with a client: %v", err)
	default:
	}
	lc.c.Close()
	old.waitExit()
}

// TestStoppedAcceptingRefusesWithRetry: a connection reaching a
// generation that has stopped accepting is refused with Retry (the master
// then passes it on to the generation serving now), and stays untouched:
// its client is still connected to the sender's socket.
func TestStoppedAcceptingRefusesWithRetry(t *testing.T) {
	ln, err := listener.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wEnd, senderEnd := seqpacket(t)
	w := runWorker(t, ln, wEnd, 2, "label new\nmigrate\n")
	w.call(&worker.Message{Op: worker.OpServe})
	w.call(&worker.Message{Op: worker.OpStopAccepting})

	sc, err := net.FileConn(senderEnd)
	senderEnd.Close()
	if err != nil {
		t.Fatal(err)
	}
	sender := sc.(*net.UnixConn)
	defer sender.Close()
	peer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	client, err := net.Dial("tcp", peer.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	accepted, err := peer.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer accepted.Close()
	rc, _ := accepted.(*net.TCPConn).SyscallConn()
	var werr error
	rc.Control(func(fd uintptr) {
		werr = worker.WriteTransfer(sender, &worker.Transfer{ID: 9, Kind: worker.TransferConn, Bind: "127.0.0.1:0"}, int(fd))
	})
	if werr != nil {
		t.Fatal(werr)
	}
	sender.SetReadDeadline(time.Now().Add(10 * time.Second))
	ack, _, err := worker.ReadTransfer(sender)
	if err != nil {
		t.Fatal(err)
	}
	if ack.Kind != worker.TransferAck || ack.ID != 9 || ack.Err == "" || !ack.Retry {
		t.Fatalf("answer %+v, want a refusal with Retry", ack)
	}
	if r := w.call(&worker.Message{Op: worker.OpStatus}); r.Conns != 0 {
		t.Fatalf("the stopped generation holds %d connection(s), want 0", r.Conns)
	}
	// The sender's socket still reaches the client.
	io.WriteString(accepted, "kept\n")
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(client).ReadString('\n'); err != nil || line != "kept\n" {
		t.Fatalf("client read %q %v", line, err)
	}
	w.call(&worker.Message{Op: worker.OpClose})
	w.waitExit()
}
