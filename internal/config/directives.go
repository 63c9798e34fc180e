package config

import (
	"errors"
	"strings"

	"baton/internal/cfgcond"
)

// Options tune a parse. The zero value reads the process environment and
// the file system.
type Options struct {
	// LookupEnv resolves environment variables ("$NAME" in double quotes,
	// defined()); nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// ReadFile reads a file the configuration names (an error page); nil
	// means os.ReadFile. A worker reads the bytes its master read, so a
	// chrooted worker needs no file system (see Config.Files).
	ReadFile func(path string) ([]byte, error)
}

// condBlock is one open ".if" block of the file being read.
type condBlock struct {
	pos Pos
	// outer is false inside a skipped block: nothing here is evaluated.
	outer bool
	// active: the lines of the current branch are read.
	active bool
	// taken: a branch of this block was (or is being) read, so the
	// following .elif/.else are skipped.
	taken   bool
	sawElse bool
}

// readSource reads one file line by line: each line is cut into words
// (variables resolved as they stand at that line), then either drives
// the conditional blocks (.if/.elif/.else/.endif), reports a message
// (.diag/.notice/.warning/.alert), is skipped inside a false branch, or
// goes to the section parser. As in HAProxy, a line in a false branch is
// still cut into words, so a quoting error there is reported.
func (p *parser) readSource(s Source) {
	vars := lexVars{lookup: p.opt.LookupEnv, file: s.Name}
	var blocks []*condBlock
	active := func() bool { return len(blocks) == 0 || blocks[len(blocks)-1].active }
	for n, raw := range strings.Split(string(s.Data), "\n") {
		pos := Pos{File: s.Name, Line: n + 1}
		vars.line, vars.section = pos.Line, p.section
		words, msg := lexLine(strings.TrimSuffix(raw, "\r"), &vars)
		if msg != "" {
			p.errorf(pos, "%s", msg)
			continue
		}
		if len(words) == 0 {
			continue
		}
		l := line{Pos: pos, Words: words}
		switch words[0] {
		case ".if":
			b := &condBlock{pos: pos, outer: active(), taken: true}
			if b.outer {
				b.active = p.evalCond(l, &vars)
				b.taken = b.active
			}
			blocks = append(blocks, b)
			continue
		case ".elif", ".else", ".endif":
			if len(blocks) == 0 {
				p.errorf(pos, "%s without a matching .if", words[0])
				continue
			}
			b := blocks[len(blocks)-1]
			if words[0] != ".elif" && len(words) > 1 {
				p.errorf(pos, "%s: unexpected argument %q", words[0], words[1])
			}
			switch {
			case words[0] == ".endif":
				blocks = blocks[:len(blocks)-1]
			case b.sawElse:
				p.errorf(pos, "%s after .else (block opened at %s)", words[0], b.pos)
				b.active = false
			case words[0] == ".else":
				b.sawElse = true
				b.active = b.outer && !b.taken
				b.taken = true
			case b.outer && !b.taken:
				b.active = p.evalCond(l, &vars)
				b.taken = b.active
			default:
				b.active = false
			}
			continue
		}
		if !active() {
			continue
		}
		switch words[0] {
		case ".diag", ".notice", ".warning", ".alert":
			p.message(l)
			continue
		}
		p.line(l)
	}
	for _, b := range blocks {
		p.errorf(b.pos, ".if block not closed by .endif at the end of the file")
	}
}

// EvalCondition evaluates a condition given on the command line ("baton
// -cc EXPR"): the text is cut into words like a configuration line
// (quotes, escapes and variables, but '#' is no comment, as in HAProxy's
// -cc), then evaluated like an .if condition.
func EvalCondition(expr string, opt Options) (bool, error) {
	lx := lineLexer{vars: &lexVars{lookup: opt.LookupEnv, file: "-cc", line: 1}}
	words, msg := lx.run(expr, false)
	if msg != "" {
		return false, errors.New(msg)
	}
	return cfgcond.Eval(strings.Join(words, " "), &cfgcond.Context{LookupEnv: opt.LookupEnv})
}

// evalCond evaluates the condition of an .if or .elif line; an invalid
// condition is an error and counts as false.
func (p *parser) evalCond(l line, vars *lexVars) bool {
	ctx := &cfgcond.Context{LookupEnv: vars.lookup}
	ok, err := cfgcond.Eval(strings.Join(l.Words[1:], " "), ctx)
	if err != nil {
		p.errorf(l.Pos, "%s: %v", l.Words[0], err)
		return false
	}
	return ok
}

// message handles .diag, .notice, .warning and .alert: one quoted
// message, reported at this line. An alert is an error.
func (p *parser) message(l line) {
	w := l.Words
	if len(w) > 2 {
		p.errorf(l.Pos, "%s: unexpected argument %q; quote the message if it contains spaces", w[0], w[2])
		return
	}
	text := ""
	if len(w) == 2 {
		text = w[1]
	}
	switch w[0] {
	case ".alert":
		p.errorf(l.Pos, "%s", text)
	case ".warning":
		p.warnf(l.Pos, "%s", text)
	case ".notice":
		p.cfg.Notices = append(p.cfg.Notices, l.Pos.String()+": "+text)
	case ".diag":
		p.cfg.Diagnostics = append(p.cfg.Diagnostics, l.Pos.String()+": "+text)
	}
}
