package worker_test

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"baton/internal/listener"
	"baton/internal/worker"
	"baton/internal/worker/workertest"
)

// socketpair returns two connected unix stream sockets.
func socketpair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "sp")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	return conns[0], conns[1]
}

func greet(t *testing.T, addr string) (net.Conn, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("greeting: %v", err)
	}
	c.SetReadDeadline(time.Time{})
	return c, strings.TrimSpace(line)
}

// TestWorkerLifecycle drives a worker in-process through start, serve,
// stop-accepting and soft stop, and checks that it exits only when its
// last connection ends.
func TestWorkerLifecycle(t *testing.T) {
	ln, err := listener.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()

	mEnd, wEnd := socketpair(t)
	ctl := worker.NewClient(mEnd)
	defer ctl.Close()
	exited := make(chan error, 1)
	go func() {
		exited <- worker.Run(worker.Options{
			Control: wEnd,
			Listener: func(i int) *os.File {
				f, err := dup(ln.File())
				if err != nil {
					t.Error(err)
				}
				return f
			},
			NewEngine: workertest.Factory,
			Log:       testLog{t},
		})
	}()
	call := func(m *worker.Message) *worker.Message {
		t.Helper()
		r, err := ctl.Call(m, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", m.Op, err)
		}
		return r
	}

	// A bad configuration is reported, with its position, and the worker ends.
	{
		mEnd2, wEnd2 := socketpair(t)
		ctl2 := worker.NewClient(mEnd2)
		done := make(chan error, 1)
		go func() {
			done <- worker.Run(worker.Options{Control: wEnd2, NewEngine: workertest.Factory, Log: testLog{t}})
		}()
		_, err := ctl2.Call(&worker.Message{Op: worker.OpStart, Generation: 1, Files: []worker.File{{Name: "bad.cfg", Data: []byte("label x\nerror nope\n")}}}, 5*time.Second)
		if err == nil || !strings.Contains(err.Error(), "bad.cfg:2: nope") {
			t.Fatalf("bad config: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatalf("worker with bad config: %v", err)
		}
		ctl2.Close()
	}

	call(&worker.Message{Op: worker.OpStart, Generation: 7, Listeners: []string{"127.0.0.1:0"},
		Files: []worker.File{{Name: "w.cfg", Data: []byte("label blue\n")}}})
	call(&worker.Message{Op: worker.OpServe})
	held, g := greet(t, addr)
	if !strings.Contains(g, "gen=7") || !strings.Contains(g, "label=blue") {
		t.Fatalf("greeting %q", g)
	}
	if r := call(&worker.Message{Op: worker.OpStatus}); r.Conns != 1 || r.Output != "serving" {
		t.Fatalf("status %+v", r)
	}

	call(&worker.Message{Op: worker.OpStopAccepting})
	// Stopped: a new connection waits in the kernel's queue, unanswered.
	queued, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial while stopped: %v", err)
	}
	defer queued.Close()
	queued.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := queued.Read(make([]byte, 1)); n != 0 || !isTimeout(err) {
		t.Fatalf("a stopped worker answered: n=%d err=%v", n, err)
	}

	r := call(&worker.Message{Op: worker.OpSoftStop, Window: time.Second})
	if r.Conns != 1 {
		t.Fatalf("soft stop reports %d connections, want 1", r.Conns)
	}
	select {
	case err := <-exited:
		t.Fatalf("worker exited with a connection in flight: %v", err)
	default:
	}
	held.Close()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("worker did not exit after its last connection")
	}
}

// TestWorkerOrphaned checks that a worker whose master is gone drains and exits.
func TestWorkerOrphaned(t *testing.T) {
	ln, err := listener.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	mEnd, wEnd := socketpair(t)
	ctl := worker.NewClient(mEnd)
	exited := make(chan error, 1)
	go func() {
		exited <- worker.Run(worker.Options{Control: wEnd, NewEngine: workertest.Factory, Log: testLog{t},
			Listener: func(int) *os.File { f, _ := dup(ln.File()); return f }})
	}()
	if _, err := ctl.Call(&worker.Message{Op: worker.OpStart, Listeners: []string{"x"}}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.Call(&worker.Message{Op: worker.OpServe}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	held, _ := greet(t, ln.Addr().String())
	ctl.Close()
	select {
	case <-exited:
		t.Fatal("orphaned worker exited with a connection in flight")
	case <-time.After(50 * time.Millisecond): // give it a chance to misbehave
	}
	held.Close()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("orphaned worker did not exit")
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func dup(f *os.File) (*os.File, error) {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// The start message's state reaches the engine factory, and what the
// engine publishes reaches the master as an OpPublish message.
func TestWorkerStateAndPublish(t *testing.T) {
	mEnd, wEnd := socketpair(t)
	pubs := make(chan *worker.Message, 1)
	ctl := worker.NewClientPublish(mEnd, func(m *worker.Message) { pubs <- m })
	defer ctl.Close()
	seen := make(chan map[string]json.RawMessage, 1)
	factory := func(files []worker.File, info worker.Info) (worker.Engine, error) {
		seen <- info.State
		info.Publish("resolvers", []byte(`["new"]`))
		return workertest.Factory(files, info)
	}
	done := make(chan error, 1)
	go func() { done <- worker.Run(worker.Options{Control: wEnd, NewEngine: factory, Log: testLog{t}}) }()
	_, err := ctl.Call(&worker.Message{Op: worker.OpStart, Generation: 1, Files: []worker.File{{Name: "w.cfg", Data: []byte("label a\n")}},
		State: map[string]json.RawMessage{"resolvers": json.RawMessage(`["old"]`)}}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if st := <-seen; string(st["resolvers"]) != `["old"]` {
		t.Errorf("factory saw state %v", st)
	}
	select {
	case m := <-pubs:
		if string(m.State["resolvers"]) != `["new"]` {
			t.Errorf("published %v", m.State)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing published")
	}
	if _, err := ctl.Call(&worker.Message{Op: worker.OpClose}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
