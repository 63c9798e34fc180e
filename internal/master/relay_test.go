package master

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"baton/internal/worker"
)

// playedGeneration is a generation whose worker end of the hand-over
// channel the test holds: the master relays for it as for a real worker.
func playedGeneration(t *testing.T, m *Master, gen int, state State) (*generation, *net.UnixConn) {
	t.Helper()
	fds, err := worker.TransferSocketpair()
	if err != nil {
		t.Fatal(err)
	}
	ends := [2]*net.UnixConn{}
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "hand-over")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		ends[i] = c.(*net.UnixConn)
	}
	g := &generation{gen: gen, pid: os.Getpid(), handoff: ends[0], exited: make(chan struct{}), state: state}
	go m.relay(g)
	t.Cleanup(func() { ends[1].Close(); ends[0].Close() })
	return g, ends[1]
}

// clientPair returns a loopback connection's two ends: the client's, and
// the accepted one whose descriptor a generation hands over.
func clientPair(t *testing.T) (client net.Conn, accepted *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); s.Close() })
	return client, s.(*net.TCPConn)
}

// sendConn writes c's descriptor on a played generation's channel, as a
// draining worker does.
func sendConn(ch *net.UnixConn, id uint64, bind string, c *net.TCPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	if err := rc.Control(func(fd uintptr) {
		werr = worker.WriteTransfer(ch, &worker.Transfer{ID: id, Kind: worker.TransferConn, Bind: bind}, int(fd))
	}); err != nil {
		return err
	}
	return werr
}

func readTransfer(t *testing.T, ch *net.UnixConn, kind worker.TransferKind) (*worker.Transfer, int) {
	t.Helper()
	ch.SetReadDeadline(time.Now().Add(10 * time.Second))
	tr, fd, err := worker.ReadTransfer(ch)
	if err != nil {
		t.Fatalf("reading a %s: %v", kind, err)
	}
	if tr.Kind != kind {
		t.Fatalf("got a %s, want a %s: %+v", tr.Kind, kind, tr)
	}
	return tr, fd
}

// TestHandOffDuringAcceptSwitch: a draining generation hands a connection
// over at the moment of a reload where the serving generation has just
// stopped accepting and the new one, started, does not serve yet. The
// master holds it and delivers it to the new generation once it serves:
// the sender hears it was adopted, and the client's next request is
// answered by the new configuration.
func TestHandOffDuringAcceptSwitch(t *testing.T) {
	f := start(t, "bind 127.0.0.1:0\nlabel old\nmigrate\n", nil)
	_, senderEnd := playedGeneration(t, f.m, 0, StateDraining)
	client, accepted := clientPair(t)

	acks := make(chan *worker.Transfer, 1)
	go func() {
		tr, _, err := worker.ReadTransfer(senderEnd)
		if err == nil {
			acks <- tr
		}
		close(acks)
	}()
	// The hook runs on the reload's goroutine: it reports, never fails.
	var switched bool
	var hookErr error
	f.m.onSwitch = func() {
		switched = true
		// Generation 1 has stopped accepting; generation 2 is ready.
		if hookErr = sendConn(senderEnd, 7, "127.0.0.1:0", accepted); hookErr != nil {
			return
		}
		// Go on once the master took the connection in (or answered).
		deadline := time.Now().Add(10 * time.Second)
		for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
			f.m.mu.Lock()
			taken := len(f.m.held) > 0
			f.m.mu.Unlock()
			if taken || len(acks) > 0 {
				return
			}
			if time.Now().After(deadline) {
				hookErr = errors.New("the master did not take the connection in")
				return
			}
			time.Sleep(wait)
		}
	}
	f.write("bind 127.0.0.1:0\nlabel new\nmigrate\n")
	f.reload()
	if !switched || hookErr != nil {
		t.Fatalf("hand-over during the accept switch: switched=%v, %v", switched, hookErr)
	}
	var ack *worker.Transfer
	select {
	case ack = <-acks:
	case <-time.After(10 * time.Second):
		t.Fatal("no answer for the handed-over connection")
	}
	if ack == nil || ack.ID != 7 || ack.Err != "" {
		t.Fatalf("handed-over connection not adopted: %+v", ack)
	}
	accepted.Close() // the sender forgets it: the socket lives in gen 2
	client.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(client, "request\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(client).ReadString('\n')
	if err != nil || genOf(line) != 2 || !strings.Contains(line, "label=new") {
		t.Fatalf("answer after the hand-over: %q %v, want generation 2 (label=new)", line, err)
	}
}

// TestRefusedHandOffGoesOn: the serving generation stops accepting after
// a connection was relayed to it and refuses it (Retry); the master
// passes the very same socket on to the generation serving now, and the
// sender hears only the final answer.
func TestRefusedHandOffGoesOn(t *testing.T) {
	m := New(Options{Log: &logBuf{}})
	_, senderEnd := playedGeneration(t, m, 1, StateDraining)
	first, firstEnd := playedGeneration(t, m, 2, StateServing)
	second, secondEnd := playedGeneration(t, m, 3, StateStarting)
	m.mu.Lock()
	m.current = first
	m.mu.Unlock()
	client, accepted := clientPair(t)

	if err := sendConn(senderEnd, 42, "fe", accepted); err != nil {
		t.Fatal(err)
	}
	tr, fd := readTransfer(t, firstEnd, worker.TransferConn)
	syscall.Close(fd) // refused: only this copy goes
	// The accept role moves on before the refusal comes back.
	m.mu.Lock()
	first.state, second.state, m.current = StateDraining, StateServing, second
	m.mu.Unlock()
	if err := worker.WriteTransfer(firstEnd, &worker.Transfer{ID: tr.ID, Kind: worker.TransferAck, Err: "not serving", Retry: true}, -1); err != nil {
		t.Fatal(err)
	}

	tr2, fd2 := readTransfer(t, secondEnd, worker.TransferConn)
	if tr2.Bind != "fe" {
		t.Errorf("relayed bind %q, want fe", tr2.Bind)
	}
	file := os.NewFile(uintptr(fd2), "adopted")
	adopted, err := net.FileConn(file)
	file.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer adopted.Close()
	if err := worker.WriteTransfer(secondEnd, &worker.Transfer{ID: tr2.ID, Kind: worker.TransferAck}, -1); err != nil {
		t.Fatal(err)
	}
	ack, _ := readTransfer(t, senderEnd, worker.TransferAck)
	if ack.ID != 42 || ack.Err != "" {
		t.Fatalf("sender's answer %+v, want adopted", ack)
	}
	accepted.Close()
	// The same socket: what the second generation writes reaches the
	// client.
	if _, err := io.WriteString(adopted, "from gen 3\n"); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(client).ReadString('\n'); err != nil || line != "from gen 3\n" {
		t.Fatalf("client read %q %v", line, err)
	}
}
