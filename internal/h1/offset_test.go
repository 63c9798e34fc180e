package h1

import "testing"

func TestErrorOffset(t *testing.T) {
	var lim Limits
	for _, c := range []struct {
		in   string
		want int
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 28},
		// The request line is judged whole, at its end.
		{"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 18},
		{"GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n", 29},
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27}, // valid: no offset
	} {
		if got := RequestErrorOffset([]byte(c.in), &lim); got != c.want {
			t.Errorf("%q: offset %d, want %d (%q)", c.in, got, c.want, c.in[:min(got+1, len(c.in))])
		}
	}
	resp := "HTTP/1.1 200 OK\r\nX: y\r\nBad Header\r\nContent-Length: 0\r\n\r\n"
	if got := ResponseErrorOffset([]byte(resp), false, &lim); got != 26 {
		t.Errorf("response offset %d, want 26 (%q)", got, resp[:got+1])
	}
}
