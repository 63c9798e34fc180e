package logformat

import (
	"fmt"
	"strings"
)

// NodeKind is what one node of a parsed log-format produces.
type NodeKind uint8

const (
	// Text is literal text (Node.Text).
	Text NodeKind = iota + 1
	// Separator is one blank of the format: it writes a single space,
	// and none after another separator or an empty header capture
	// (HAProxy merges blanks).
	Separator
	// Variable is a %-variable (Node.Var, with Node.Flags).
	Variable
	// Sample is a sample expression, "%[EXPR]" or "%{flags}[EXPR]":
	// Node.Text is EXPR, which the caller compiles (package expr), and
	// Node.Flags its flags.
	Sample
)

// Flag is a variable's option, set with %{+F}var and cleared with
// %{-F}var; %{...}o sets the default of every later variable.
type Flag uint8

const (
	// Mandatory writes '-' for an empty value (on by default).
	Mandatory Flag = 1 << iota
	// Quote wraps strings in double quotes (Q).
	Quote
	// Hex writes addresses, ports and counters in hexadecimal (X).
	Hex
	// Escape escapes '"', '\' and ']' with a backslash (E), for rfc5424
	// structured data.
	Escape
)

var flagNames = map[string]Flag{"M": Mandatory, "Q": Quote, "X": Hex, "E": Escape}

// Node is one piece of a parsed log-format.
type Node struct {
	Kind  NodeKind
	Text  string // Text
	Var   Var    // Variable
	Flags Flag   // Variable
}

// Parser states, after HAProxy's log-format state machine.
type lfState uint8

const (
	stInit lfState = iota
	stText
	stSeparator
	stStartVar // just after '%'
	stStartArg // inside %{...}
	stEndArg   // just after %{...}
	stVar      // in a variable name
	stEnd
)

// ParseLog parses a custom log format ("log-format", "log-format-sd",
// "error-log-format") as HAProxy 2.6 does: "%var" and "%{flags}var"
// variables, "%%" for a percent sign, blanks merged into separators. A
// '%' followed by a character that starts nothing is dropped, as in
// HAProxy. "%[EXPR]" is a Sample node: the expression ends at the first
// ']', as in HAProxy. Mode restrictions (Var.HTTPOnly) are for the caller
// to check.
func ParseLog(s string) ([]Node, error) {
	var nodes []Node
	defFlags := Mandatory
	state := stInit
	sp := 0 // start of the current text or separator
	var argStart, argEnd, varStart, varEnd int
	hasArg := false
	prev := state
	for i := 0; state != stEnd; i++ {
		prev = state
		var c byte
		if i < len(s) {
			c = s[i]
		} else {
			state = stEnd
		}
		switch prev {
		case stStartVar:
			hasArg = false
			switch {
			case c == '{':
				state, argStart, hasArg = stStartArg, i+1, true
			case c == '[':
				end, err := sampleEnd(s, i)
				if err != nil {
					return nil, err
				}
				nodes = append(nodes, Node{Kind: Sample, Text: s[i+1 : end], Flags: defFlags})
				i, state, sp = end, stInit, end+1
				continue
			case isAlpha(c):
				state, varStart = stVar, i
			case c == '%':
				state = stText // a literal '%'
			case c >= '0' && c <= '9' || c == ' ' || c == '\t':
				return nil, fmt.Errorf("unexpected variable name near '%c' at position %d in %q; write %%%% for a single '%%'", c, i, s)
			case c != 0:
				state = stInit // HAProxy drops a lone '%' here
			}
		case stStartArg:
			if c == '}' {
				state, argEnd = stEndArg, i
			}
		case stEndArg:
			switch {
			case c == '[':
				end, err := sampleEnd(s, i)
				if err != nil {
					return nil, err
				}
				nodes = append(nodes, Node{Kind: Sample, Text: s[i+1 : end], Flags: applyFlags(defFlags, s[argStart:argEnd])})
				i, state, sp = end, stInit, end+1
				continue
			case isAlnumByte(c):
				state, varStart = stVar, i
			default:
				return nil, fmt.Errorf("flags %%{%s} without a variable name", s[argStart:argEnd])
			}
		case stVar:
			varEnd = i
			if !isAlnumByte(c) {
				state = stInit
			}
		default: // stInit, stText, stSeparator
			state = stInit
		}
		if state == stInit {
			switch c {
			case '%':
				state = stStartVar
			case 0:
				state = stEnd
			case ' ':
				state = stSeparator
			default:
				state = stText
			}
		}
		if state != prev || prev == stSeparator {
			switch prev {
			case stVar:
				name := s[varStart:varEnd]
				v, ok := lookupVar(name)
				if !ok && name != "o" {
					return nil, fmt.Errorf("no such format variable '%s'; write %%%% for a single '%%'", name)
				}
				flags := defFlags
				if hasArg {
					flags = applyFlags(flags, s[argStart:argEnd])
				}
				if name == "o" {
					defFlags = flags // %o: the default of every later variable
				} else {
					nodes = append(nodes, Node{Kind: Variable, Var: v, Flags: flags})
				}
			case stText:
				nodes = appendText(nodes, s[sp:i])
			case stSeparator:
				nodes = append(nodes, Node{Kind: Separator})
			}
			sp = i
		}
	}
	switch prev {
	case stStartVar:
		return nil, fmt.Errorf("truncated format after '%%' in %q", s)
	case stStartArg:
		return nil, fmt.Errorf("truncated format after '%%{%s' in %q", s[argStart:], s)
	}
	return nodes, nil
}

// sampleEnd returns the index of the ']' closing the sample expression
// whose '[' is at open.
func sampleEnd(s string, open int) (int, error) {
	j := strings.IndexByte(s[open+1:], ']')
	if j < 0 {
		return 0, fmt.Errorf("missing ']' after '%%[' in %q", s)
	}
	if j == 0 {
		return 0, fmt.Errorf("empty sample expression '%%[]' in %q", s)
	}
	return open + 1 + j, nil
}

// appendText adds literal text, merging it with a preceding text node.
func appendText(nodes []Node, t string) []Node {
	if n := len(nodes); n > 0 && nodes[n-1].Kind == Text {
		nodes[n-1].Text += t
		return nodes
	}
	return append(nodes, Node{Kind: Text, Text: t})
}

// applyFlags applies "+Q,-M,..." to f; unknown names and entries without
// a sign are ignored, as in HAProxy.
func applyFlags(f Flag, args string) Flag {
	for _, a := range strings.Split(args, ",") {
		if len(a) < 2 {
			continue
		}
		fl, ok := flagNames[a[1:]]
		if !ok {
			continue
		}
		switch a[0] {
		case '+':
			f |= fl
		case '-':
			f &^= fl
		}
	}
	return f
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isAlnumByte(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }
