package worker

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"baton/internal/sticktable"
)

// Op is what a control message asks for.
type Op string

const (
	// OpStart (master to worker) carries the configuration files, the
	// generation and the listener names in descriptor order; the worker
	// replies once it could accept, or with the error that stops it.
	OpStart Op = "start"
	// OpServe starts accepting on every listener.
	OpServe Op = "serve"
	// OpStopAccepting stops accepting; the reply comes only once no accept
	// can happen anymore.
	OpStopAccepting Op = "stop-accepting"
	// OpSoftStop starts draining with Window as the idle-close window.
	OpSoftStop Op = "soft-stop"
	// OpClose closes every connection at once; the worker then exits.
	OpClose Op = "close"
	// OpStatus asks for the live connection count.
	OpStatus Op = "status"
	// OpCommand forwards a runtime API command line (the master CLI's
	// "@N command" prefix); the reply carries its Output.
	OpCommand Op = "command"
	// OpReply (worker to master) answers the request with the same Seq.
	OpReply Op = "reply"
	// OpTicketKeys (master to worker) carries new TLS session ticket keys
	// (TicketKeys) for the engine (TicketKeySetter).
	OpTicketKeys Op = "ticket-keys"
	// OpPublish (worker to master, unsolicited, no reply) carries State
	// that should outlive the generation (resolution results); the master
	// keeps the latest of each kind for the next generation's OpStart.
	OpPublish Op = "publish"
)

// File is one configuration source: the bytes the master read and
// validated, handed to the worker verbatim.
type File struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
	// Aux marks a file the configuration names (a map, a pattern file, a
	// response body, an error page), read by the master so that the
	// worker reads nothing from disk; the others are the configuration
	// files themselves, in order.
	Aux bool `json:"aux,omitempty"`
}

// Message is one control message. Fields unused by an Op are zero.
type Message struct {
	Seq        uint64        `json:"seq"`
	Op         Op            `json:"op"`
	Generation int           `json:"gen,omitempty"`
	Listeners  []string      `json:"listeners,omitempty"`
	Files      []File        `json:"files,omitempty"`
	Window     time.Duration `json:"window,omitempty"`
	Command    string        `json:"command,omitempty"`
	// Level (command) is the runtime API level of the session the
	// command comes from: "user", "operator" or "admin" ("" means admin).
	Level string `json:"level,omitempty"`
	// HandOff (start) says a hand-over channel follows the listeners.
	HandOff bool `json:"handoff,omitempty"`
	// Passed (start) is how many descriptors a spare worker receives on
	// its descriptor channel (spare.go): the ones a freshly executed
	// worker inherits from ControlFD+1 on, in that order. 0 means they
	// were inherited.
	Passed int `json:"passed,omitempty"`
	// Migrate (soft-stop) says a successor is serving: hand the idle
	// keep-alive connections over to it before draining the rest. With
	// stop-accepting it says a successor is about to serve: hand them
	// over right after the reply (the master holds them until the
	// successor serves), and drain at the soft stop that follows.
	Migrate bool `json:"migrate,omitempty"`
	// Counters (start) says where the generation counts: see
	// CountersRef. nil means nowhere.
	Counters *CountersRef `json:"counters,omitempty"`
	// Tables is where the stick tables live (package sticktable): the
	// descriptor of the segment after the counters' and the regions.
	Tables *sticktable.SegmentRef `json:"tables,omitempty"`
	// Caches (start) are the cache sections' shared segments.
	Caches []CacheRef `json:"caches,omitempty"`
	// State (start, publish) is run-time state that outlives a
	// generation, by kind ("resolvers"), in the kind's own encoding.
	State map[string]json.RawMessage `json:"state,omitempty"`
	// Reply fields.
	Err    string `json:"err,omitempty"`
	Conns  int    `json:"conns,omitempty"`
	Output string `json:"output,omitempty"`
	// Moved (soft-stop reply) is how many connections were handed over.
	Moved int `json:"moved,omitempty"`
	// Assets (start) are the files the configuration names, as the
	// master read them (certificates, keys, ...; see tlsconf.Assets).
	Assets []File `json:"assets,omitempty"`
	// TicketKeys (start, ticket-keys) are the TLS session ticket keys,
	// 32 bytes each, the first encrypting.
	TicketKeys [][]byte `json:"ticket_keys,omitempty"`
}

// MaxMessage bounds one control message; configurations are the largest.
const MaxMessage = 64 << 20

// WriteMessage writes m as a 4-byte big-endian length and a JSON body.
func WriteMessage(w io.Writer, m *Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s: %w", m.Op, err)
	}
	if len(body) > MaxMessage {
		return fmt.Errorf("encode %s: %d bytes exceeds %d", m.Op, len(body), MaxMessage)
	}
	buf := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(buf, uint32(len(body)))
	copy(buf[4:], body)
	_, err = w.Write(buf)
	return err
}

// ReadMessage reads one message written by WriteMessage. A clean end of
// stream before a message is io.EOF.
func ReadMessage(r io.Reader) (*Message, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxMessage {
		return nil, fmt.Errorf("control message of %d bytes exceeds %d", n, MaxMessage)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("control message body: %w", io.ErrUnexpectedEOF)
	}
	m := new(Message)
	if err := json.Unmarshal(body, m); err != nil {
		return nil, fmt.Errorf("decode control message: %w", err)
	}
	if m.Op == "" {
		return nil, errors.New("decode control message: no op")
	}
	return m, nil
}

// ErrClosed is returned by Call once the worker's end is gone.
var ErrClosed = errors.New("control channel closed")

// Client is the master's end of one worker's control channel: requests go
// out with increasing sequence numbers and replies are matched to them, so
// callers on several goroutines can wait at once.
type Client struct {
	conn net.Conn
	// onPublish receives the worker's OpPublish messages; nil drops them.
	onPublish func(*Message)

	wmu     sync.Mutex
	mu      sync.Mutex
	seq     uint64
	pending map[uint64]chan *Message
	closed  chan struct{}
	err     error
}

// NewClient starts reading replies from conn.
func NewClient(conn net.Conn) *Client { return NewClientPublish(conn, nil) }

// NewClientPublish is NewClient with a receiver for the worker's
// OpPublish messages, called on the reading goroutine.
func NewClientPublish(conn net.Conn, onPublish func(*Message)) *Client {
	c := &Client{conn: conn, onPublish: onPublish, pending: make(map[uint64]chan *Message), closed: make(chan struct{})}
	go c.read()
	return c
}

func (c *Client) read() {
	var err error
	for {
		var m *Message
		m, err = ReadMessage(c.conn)
		if err != nil {
			break
		}
		if m.Op == OpPublish {
			if c.onPublish != nil {
				c.onPublish(m)
			}
			continue
		}
		c.mu.Lock()
		ch := c.pending[m.Seq]
		delete(c.pending, m.Seq)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
	c.mu.Lock()
	c.err = err
	c.pending = nil
	c.mu.Unlock()
	close(c.closed)
}

// Closed is closed when the worker's end of the channel is gone (it exited
// or closed it).
func (c *Client) Closed() <-chan struct{} { return c.closed }

// Call sends m and waits up to timeout for its reply. A reply carrying Err
// is returned as an error, together with the reply.
func (c *Client) Call(m *Message, timeout time.Duration) (*Message, error) {
	ch := make(chan *Message, 1)
	c.mu.Lock()
	if c.pending == nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("%s: %w", m.Op, ErrClosed)
	}
	c.seq++
	m.Seq = c.seq
	c.pending[m.Seq] = ch
	c.mu.Unlock()

	c.wmu.Lock()
	c.conn.SetWriteDeadline(time.Now().Add(timeout))
	err := WriteMessage(c.conn, m)
	c.wmu.Unlock()
	if err != nil {
		c.forget(m.Seq)
		return nil, fmt.Errorf("%s: %w", m.Op, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.Err != "" {
			return r, fmt.Errorf("%s: %w", m.Op, errors.New(r.Err))
		}
		return r, nil
	case <-c.closed:
		// The reply may have landed just before the end of stream.
		select {
		case r := <-ch:
			if r.Err != "" {
				return r, fmt.Errorf("%s: %w", m.Op, errors.New(r.Err))
			}
			return r, nil
		default:
		}
		return nil, fmt.Errorf("%s: %w", m.Op, ErrClosed)
	case <-t.C:
		c.forget(m.Seq)
		return nil, fmt.Errorf("%s: no reply within %v", m.Op, timeout)
	}
}

func (c *Client) forget(seq uint64) {
	c.mu.Lock()
	if c.pending != nil {
		delete(c.pending, seq)
	}
	c.mu.Unlock()
}

// Close closes the master's end; the worker sees end of stream.
func (c *Client) Close() error { return c.conn.Close() }

// CountersRef tells a starting worker where its statistics live: the
// descriptor of the counters segment (package counters) it inherited,
// the region group the master gave it, and the slot of each of its
// configuration's objects, by counters.Key string.
type CountersRef struct {
	FD    int            `json:"fd"`
	Group int            `json:"group"`
	Slots map[string]int `json:"slots"`
}
