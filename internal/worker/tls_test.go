package worker_test

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/internal/listener"
	"baton/internal/worker"
	"baton/internal/worker/workertest"
)

// keyEngine is the toy engine plus TicketKeySetter, recording the keys.
type keyEngine struct {
	worker.Engine
	mu   sync.Mutex
	keys [][32]byte
}

func (e *keyEngine) SetTicketKeys(keys [][32]byte) {
	e.mu.Lock()
	e.keys = keys
	e.mu.Unlock()
}

func (e *keyEngine) first() byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.keys) == 0 {
		return 0
	}
	return e.keys[0][0]
}

// The master's ticket keys reach the engine at start (Info) and with
// every rotation (OpTicketKeys); a malformed key is refused.
func TestTicketKeysReachEngine(t *testing.T) {
	ln, err := listener.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	mEnd, wEnd := socketpair(t)
	ctl := worker.NewClient(mEnd)
	defer ctl.Close()
	var eng *keyEngine
	var startKeys [][32]byte
	exited := make(chan error, 1)
	go func() {
		exited <- worker.Run(worker.Options{
			Control: wEnd,
			Listener: func(int) *os.File {
				f, _ := dup(ln.File())
				return f
			},
			NewEngine: func(files []worker.File, info worker.Info) (worker.Engine, error) {
				e, err := workertest.Factory(files, info)
				if err != nil {
					return nil, err
				}
				startKeys = info.TicketKeys
				eng = &keyEngine{Engine: e}
				eng.SetTicketKeys(info.TicketKeys)
				return eng, nil
			},
			Log: testLog{t},
		})
	}()
	key := func(b byte) []byte { k := make([]byte, 32); k[0] = b; return k }
	if _, err := ctl.Call(&worker.Message{Op: worker.OpStart, Generation: 1, Listeners: []string{"127.0.0.1:0"},
		Files: []worker.File{{Name: "w.cfg", Data: []byte("label k\n")}}, TicketKeys: [][]byte{key(1)}}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(startKeys) != 1 || eng.first() != 1 {
		t.Fatalf("start keys %v", startKeys)
	}
	if _, err := ctl.Call(&worker.Message{Op: worker.OpTicketKeys, TicketKeys: [][]byte{key(2), key(1)}}, 5*time.Second); err != nil || eng.first() != 2 {
		t.Fatalf("rotation: %v, first key %d", err, eng.first())
	}
	if _, err := ctl.Call(&worker.Message{Op: worker.OpTicketKeys, TicketKeys: [][]byte{{1, 2}}}, 5*time.Second); err == nil || !strings.Contains(err.Error(), "want 32") {
		t.Fatalf("short key: %v", err)
	}
	if eng.first() != 2 {
		t.Error("a refused rotation changed the keys")
	}
	ctl.Call(&worker.Message{Op: worker.OpClose}, 5*time.Second)
	<-exited
}

func TestRelayTransferRoundTrip(t *testing.T) {
	a, b := transferPair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	in := &worker.Transfer{ID: 3, Kind: worker.TransferConn, Bind: ":443", Relay: []byte(`{"client":"127.0.0.1:5"}`)}
	if err := worker.WriteTransfer(a, in, int(w.Fd())); err != nil {
		t.Fatal(err)
	}
	got, fd, err := worker.ReadTransfer(b)
	if err != nil || fd < 0 || string(got.Relay) != string(in.Relay) {
		t.Fatalf("got %+v fd=%d err=%v", got, fd, err)
	}
	os.NewFile(uintptr(fd), "x").Close()
}
