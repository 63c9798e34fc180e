package harness

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Chromium is a headless Chromium driven over its DevTools protocol (a
// JSON-RPC over a websocket; the small client below needs only the
// standard library): tests load pages, run scripts in them, wait for
// navigations and take screenshots, as a user's browser would.
type Chromium struct {
	t    testing.TB
	cmd  *exec.Cmd
	conn net.Conn
	br   *bufio.Reader

	wmu    sync.Mutex
	mu     sync.Mutex
	nextID int
	calls  map[int]chan cdpMessage
	events chan cdpMessage
}

type cdpMessage struct {
	ID     int             `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// ChromiumPath returns Debian's chromium, or "" when it is not installed.
func ChromiumPath() string {
	for _, n := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// StartChromium runs headless Chromium with a fresh profile and opens its
// first page's DevTools session. The test is skipped when Chromium is
// not installed. Chromium is stopped at cleanup.
func StartChromium(t testing.TB) *Chromium {
	t.Helper()
	bin := ChromiumPath()
	if bin == "" {
		t.Skip("chromium not installed (Debian package chromium; .ci/run installs it)")
	}
	profile := t.TempDir()
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--window-size=1400,1000",
		"--user-data-dir="+profile, "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "about:blank")
	var stderr Output
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	// Chromium writes its port into the profile once it listens.
	var port string
	Eventually(t, 30*time.Second, "chromium's DevTools port", func() bool {
		b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if err != nil {
			return false
		}
		port = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
		return port != ""
	})
	var targets []struct {
		Type string `json:"type"`
		URL  string `json:"webSocketDebuggerUrl"`
	}
	Eventually(t, 10*time.Second, "a chromium page target", func() bool {
		resp, err := http.Get("http://127.0.0.1:" + port + "/json/list")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		targets = nil
		if json.NewDecoder(resp.Body).Decode(&targets) != nil {
			return false
		}
		for _, tg := range targets {
			if tg.Type == "page" {
				return true
			}
		}
		return false
	})
	var ws string
	for _, tg := range targets {
		if tg.Type == "page" {
			ws = tg.URL
			break
		}
	}
	c := &Chromium{t: t, cmd: cmd, calls: map[int]chan cdpMessage{}, events: make(chan cdpMessage, 256)}
	if err := c.dial(ws); err != nil {
		t.Fatalf("chromium devtools %s: %v\n%s", ws, err, stderr.String())
	}
	t.Cleanup(func() { c.conn.Close() })
	go c.read()
	c.Call("Page.enable", nil, nil)
	c.Call("Runtime.enable", nil, nil)
	return c
}

// dial opens the websocket (RFC 6455 client handshake).
func (c *Chromium) dial(wsURL string) error {
	u, err := url.Parse(wsURL)
	if err != nil {
		return err
	}
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		return err
	}
	key := make([]byte, 16)
	rand.Read(key)
	k := base64.StdEncoding.EncodeToString(key)
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", u.RequestURI(), u.Host, k)
	br := bufio.NewReaderSize(conn, 1<<16)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return err
	}
	h := sha1.Sum([]byte(k + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(h[:]) {
		conn.Close()
		return fmt.Errorf("websocket handshake: %s", resp.Status)
	}
	c.conn, c.br = conn, br
	return nil
}

// writeFrame sends one masked text frame.
func (c *Chromium) writeFrame(payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	hdr := []byte{0x81}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 1<<16:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	masked := make([]byte, len(payload))
	for i, b := range payload {
		masked[i] = b ^ mask[i%4]
	}
	_, err := c.conn.Write(append(hdr, masked...))
	return err
}

// readMessage reads one whole message (joining fragments; answering
// pings).
func (c *Chromium) readMessage() ([]byte, error) {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(c.br, h[:]); err != nil {
			return nil, err
		}
		fin, op := h[0]&0x80 != 0, h[0]&0x0f
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(c.br, b[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(c.br, b[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(c.br, payload); err != nil {
			return nil, err
		}
		switch op {
		case 0x8:
			return nil, io.EOF
		case 0x9, 0xa: // ping, pong: the DevTools server does not ping
			continue
		}
		msg = append(msg, payload...)
		if fin {
			return msg, nil
		}
	}
}

func (c *Chromium) read() {
	for {
		b, err := c.readMessage()
		if err != nil {
			c.mu.Lock()
			for id, ch := range c.calls {
				close(ch)
				delete(c.calls, id)
			}
			c.mu.Unlock()
			return
		}
		var m cdpMessage
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		if m.ID != 0 {
			c.mu.Lock()
			ch := c.calls[m.ID]
			delete(c.calls, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		select {
		case c.events <- m:
		default: // nobody waits for that many events
		}
	}
}

// Call runs a DevTools method and decodes its result into out (if not
// nil); a protocol error fails the test.
func (c *Chromium) Call(method string, params any, out any) {
	c.t.Helper()
	if err := c.TryCall(method, params, out); err != nil {
		c.t.Fatalf("chromium %s: %v", method, err)
	}
}

// TryCall is Call returning the error.
func (c *Chromium) TryCall(method string, params any, out any) error {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan cdpMessage, 1)
	c.calls[id] = ch
	c.mu.Unlock()
	req := map[string]any{"id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	b, _ := json.Marshal(req)
	if err := c.writeFrame(b); err != nil {
		return err
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return errors.New("devtools connection closed")
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("no answer within 30s")
	}
}

// drainEvents forgets the events received so far.
func (c *Chromium) drainEvents() {
	for {
		select {
		case <-c.events:
		default:
			return
		}
	}
}

// waitEvent waits for an event named method.
func (c *Chromium) waitEvent(method string, timeout time.Duration) {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-c.events:
			if m.Method == method {
				return
			}
		case <-deadline:
			c.t.Fatalf("chromium: no %s within %v", method, timeout)
		}
	}
}

// Navigate loads url and waits for its load event.
func (c *Chromium) Navigate(u string) {
	c.t.Helper()
	c.drainEvents()
	var r struct {
		ErrorText string `json:"errorText"`
	}
	c.Call("Page.navigate", map[string]any{"url": u}, &r)
	if r.ErrorText != "" {
		c.t.Fatalf("chromium: navigate %s: %s", u, r.ErrorText)
	}
	c.waitEvent("Page.loadEventFired", 30*time.Second)
}

// Eval runs a JavaScript expression in the page and decodes its value
// (returned by value: make it JSON-friendly) into out.
func (c *Chromium) Eval(expr string, out any) {
	c.t.Helper()
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	c.Call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r)
	if r.Exception != nil {
		c.t.Fatalf("chromium: %s: %s %s", expr, r.Exception.Text, r.Exception.Exception.Description)
	}
	if out != nil && len(r.Result.Value) > 0 {
		if err := json.Unmarshal(r.Result.Value, out); err != nil {
			c.t.Fatalf("chromium: %s: value %s: %v", expr, r.Result.Value, err)
		}
	}
}

// EvalNavigate runs an expression that makes the page navigate (a form
// submission, a click on a link) and waits for the new page's load.
func (c *Chromium) EvalNavigate(expr string) {
	c.t.Helper()
	c.drainEvents()
	c.Eval(expr, nil)
	c.waitEvent("Page.loadEventFired", 30*time.Second)
}

// Screenshot saves a PNG of the page to path.
func (c *Chromium) Screenshot(path string) {
	c.t.Helper()
	var r struct {
		Data string `json:"data"`
	}
	c.Call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &r)
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		c.t.Fatal(err)
	}
}
