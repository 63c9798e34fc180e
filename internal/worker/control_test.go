package worker

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"reflect"
	"testing"
	"time"
)

func TestMessageRoundTrip(t *testing.T) {
	msgs := []*Message{
		{Seq: 1, Op: OpStart, Generation: 3, Listeners: []string{":80", "[::]:443"},
			Files: []File{{Name: "a.cfg", Data: []byte("global\n\x00\xff binary-safe")}}},
		{Seq: 2, Op: OpSoftStop, Window: 1500 * time.Millisecond},
		{Seq: 2, Op: OpReply, Err: "a.cfg:3: unknown keyword", Conns: 7, Output: "x\ny\n"},
		{Seq: 9, Op: OpCommand, Command: "show stat"},
	}
	var buf bytes.Buffer
	for _, m := range msgs {
		if err := WriteMessage(&buf, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range msgs {
		got, err := ReadMessage(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
	if _, err := ReadMessage(&buf); err != io.EOF {
		t.Errorf("end of stream: %v, want io.EOF", err)
	}
}

func TestReadMessageErrors(t *testing.T) {
	for name, in := range map[string][]byte{
		"short header": {0, 0},
		"truncated":    {0, 0, 0, 10, '{'},
		"too large":    {0xff, 0xff, 0xff, 0xff},
		"not json":     {0, 0, 0, 2, 'h', 'i'},
		"no op":        {0, 0, 0, 2, '{', '}'},
	} {
		if m, err := ReadMessage(bytes.NewReader(in)); err == nil || err == io.EOF {
			t.Errorf("%s: got %+v, %v; want an error", name, m, err)
		}
	}
}

func FuzzReadMessage(f *testing.F) {
	var buf bytes.Buffer
	WriteMessage(&buf, &Message{Seq: 1, Op: OpStart, Listeners: []string{":80"}, Files: []File{{Name: "x", Data: []byte("y")}}})
	f.Add(buf.Bytes())
	f.Add([]byte{0, 0, 0, 2, '{', '}'})
	f.Add([]byte{0xff, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ReadMessage(bytes.NewReader(in))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteMessage(&out, m); err != nil {
			t.Fatal(err)
		}
		again, err := ReadMessage(&out)
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("re-encoding %+v gave %+v, %v", m, again, err)
		}
	})
}

func TestClientMatchesRepliesOutOfOrder(t *testing.T) {
	a, b := net.Pipe()
	c := NewClient(a)
	defer c.Close()
	// A peer answering two requests in reverse order.
	go func() {
		m1, _ := ReadMessage(b)
		m2, _ := ReadMessage(b)
		WriteMessage(b, &Message{Seq: m2.Seq, Op: OpReply, Output: string(m2.Op)})
		WriteMessage(b, &Message{Seq: m1.Seq, Op: OpReply, Err: "boom"})
	}()
	type res struct {
		m   *Message
		err error
	}
	r1 := make(chan res, 1)
	go func() {
		m, err := c.Call(&Message{Op: OpServe}, 5*time.Second)
		r1 <- res{m, err}
	}()
	// Make sure the first request is sent before the second.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		n := len(c.pending)
		c.mu.Unlock()
		if n == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	m, err := c.Call(&Message{Op: OpStatus}, 5*time.Second)
	if err != nil || m.Output != string(OpStatus) {
		t.Fatalf("second call: %+v %v", m, err)
	}
	got := <-r1
	if got.err == nil || got.err.Error() != "serve: boom" {
		t.Fatalf("first call: %+v %v, want the error reply", got.m, got.err)
	}
}

func TestClientPeerGone(t *testing.T) {
	a, b := net.Pipe()
	c := NewClient(a)
	go func() {
		ReadMessage(b)
		b.Close()
	}()
	if _, err := c.Call(&Message{Op: OpStatus}, 5*time.Second); !errors.Is(err, ErrClosed) {
		t.Fatalf("call to a closed peer: %v, want ErrClosed", err)
	}
	<-c.Closed()
	if _, err := c.Call(&Message{Op: OpStatus}, time.Second); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after close: %v", err)
	}
}

func TestClientTimeout(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	c := NewClient(a)
	defer c.Close()
	go io.Copy(io.Discard, b)
	if _, err := c.Call(&Message{Op: OpStatus}, 20*time.Millisecond); err == nil {
		t.Fatal("a call without reply succeeded")
	}
}

// Published state arrives beside replies: it goes to the receiver and
// never satisfies a pending call.
func TestClientPublish(t *testing.T) {
	a, b := net.Pipe()
	got := make(chan *Message, 1)
	c := NewClientPublish(a, func(m *Message) { got <- m })
	defer c.Close()
	go func() {
		req, _ := ReadMessage(b)
		WriteMessage(b, &Message{Op: OpPublish, State: map[string]json.RawMessage{"resolvers": json.RawMessage(`[]`)}})
		WriteMessage(b, &Message{Seq: req.Seq, Op: OpReply, Output: "ok"})
	}()
	m, err := c.Call(&Message{Op: OpStatus}, 5*time.Second)
	if err != nil || m.Output != "ok" {
		t.Fatalf("call: %+v %v", m, err)
	}
	select {
	case p := <-got:
		if string(p.State["resolvers"]) != "[]" {
			t.Errorf("published %+v", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("publish not received")
	}
}
