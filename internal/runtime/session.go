package runtime

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Level is a CLI session's permission level.
type Level int

const (
	LevelUser Level = iota + 1
	LevelOperator
	LevelAdmin
)

// ParseLevel reads "user", "operator" or "admin"; anything else
// (including "") is admin, HAProxy's default for a stats socket.
func ParseLevel(s string) Level {
	switch s {
	case "user":
		return LevelUser
	case "operator":
		return LevelOperator
	}
	return LevelAdmin
}

func (l Level) String() string {
	switch l {
	case LevelUser:
		return "user"
	case LevelOperator:
		return "operator"
	}
	return "admin"
}

// DefaultTimeout is the idle timeout of a session without "stats
// timeout" (HAProxy's 10 s).
const DefaultTimeout = 10 * time.Second

// Exec runs one command at a level and returns its output; the session
// adds the empty line that ends every answer.
type Exec func(cmd string, lvl Level) string

// Session is one CLI connection.
type Session struct {
	// Level is what the session may do; "user" and "operator" lower it.
	Level Level
	// Timeout is the idle timeout between lines; 0 means DefaultTimeout.
	Timeout time.Duration
	// Exec runs the commands that are not the session's own.
	Exec        Exec
	interactive bool
}

// prompt is written before each line in interactive mode ("+ " while a
// payload is being read).
const prompt = "> "

// Serve runs the session on c until it ends. first is the first line,
// already read by the caller (with its newline, if it had one); rest
// reads what follows on the connection.
func (s *Session) Serve(c net.Conn, first string, rest io.Reader) {
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	r := bufio.NewReaderSize(rest, 16384)
	line := first
	for {
		payload, err := s.payload(c, r, &line)
		if err != nil {
			return
		}
		_ = payload // no command of Baton's takes a payload: it is read and dropped
		out, quit := s.runLine(strings.TrimRight(line, "\r\n"))
		if out != "" {
			c.SetWriteDeadline(time.Now().Add(s.Timeout))
			if _, err := io.WriteString(c, out); err != nil {
				return
			}
		}
		// Non-interactive: one line, then close. "prompt" turned off in
		// interactive mode closes after its line too.
		if quit || !s.interactive {
			return
		}
		c.SetWriteDeadline(time.Now().Add(s.Timeout))
		if _, err := io.WriteString(c, prompt); err != nil {
			return
		}
		c.SetReadDeadline(time.Now().Add(s.Timeout))
		next, err := r.ReadString('\n')
		if err != nil && (next == "" || !errors.Is(err, io.EOF)) {
			return
		}
		line = next
	}
}

// payload reads the lines after a command line ending in "<<", up to an
// empty line, and cuts the marker from *line.
func (s *Session) payload(c net.Conn, r *bufio.Reader, line *string) (string, error) {
	l := strings.TrimRight(*line, "\r\n")
	if !strings.HasSuffix(l, "<<") || strings.HasSuffix(l, "\\<<") {
		return "", nil
	}
	*line = strings.TrimSuffix(l, "<<")
	var b strings.Builder
	for {
		if s.interactive {
			io.WriteString(c, "+ ")
		}
		c.SetReadDeadline(time.Now().Add(s.Timeout))
		next, err := r.ReadString('\n')
		if err != nil && next == "" {
			return "", err
		}
		if strings.TrimRight(next, "\r\n") == "" {
			return b.String(), nil
		}
		b.WriteString(next)
	}
}

// runLine runs every command of line and returns the output; quit says
// the connection must close now.
func (s *Session) runLine(line string) (out string, quit bool) {
	if strings.TrimSpace(line) == "" {
		// An empty line is an empty command: HAProxy answers it with the
		// list of commands.
		return s.Exec("", s.Level) + "\n", false
	}
	var b strings.Builder
	for _, cmd := range SplitCommands(line) {
		cmd = strings.TrimSpace(cmd)
		if cmd == "" {
			continue
		}
		text, q := s.run(cmd)
		if q {
			return b.String(), true
		}
		b.WriteString(text)
		b.WriteByte('\n') // every answer ends with an empty line
	}
	return b.String(), false
}

// run runs one command: the session's own ones here, the rest by Exec.
func (s *Session) run(cmd string) (string, bool) {
	w := strings.Fields(cmd)
	switch {
	case w[0] == "quit":
		return "", true
	case w[0] == "prompt":
		s.interactive = !s.interactive
		return "", false
	case len(w) == 3 && w[0] == "show" && w[1] == "cli" && w[2] == "level":
		return s.Level.String() + "\n", false
	case w[0] == "user" && len(w) == 1:
		s.Level = LevelUser
		return "", false
	case w[0] == "operator" && len(w) == 1:
		if s.Level < LevelOperator {
			return permissionDenied, false
		}
		s.Level = LevelOperator
		return "", false
	case len(w) >= 2 && w[0] == "set" && w[1] == "timeout":
		if len(w) < 3 || w[2] != "cli" {
			return "'set timeout' only supports 'cli'.\n", false
		}
		if len(w) < 4 {
			return "Expects an integer value.\n", false
		}
		d, ok := parseSeconds(w[3])
		if !ok {
			return "Invalid timeout value.\n", false
		}
		s.Timeout = d
		return "", false
	}
	return s.Exec(cmd, s.Level), false
}

// parseSeconds reads a CLI delay: a number of seconds, or a number with
// HAProxy's time units.
func parseSeconds(v string) (time.Duration, bool) {
	units := []struct {
		suffix string
		d      time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}
	unit := time.Second
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			v, unit = strings.TrimSuffix(v, u.suffix), u.d
			break
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// SplitCommands cuts a line at the ';' that are not escaped; a backslash
// before ';' or '\' is removed and keeps the character.
func SplitCommands(line string) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line) && (line[i+1] == ';' || line[i+1] == '\\'):
			b.WriteByte(line[i+1])
			i++
		case c == ';':
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(out, b.String())
}
