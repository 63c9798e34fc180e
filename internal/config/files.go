package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// The files a configuration names (error pages today; certificates and
// maps use the same path) are read while it is parsed, through
// Options.ReadFile, and kept in Config.Files with their contents. The
// master parses with the real file system and hands Config.Files to its
// workers with the configuration; a worker parses with a ReadFile that
// answers from those bytes only (FilesReader). So a worker reads nothing
// from disk, which is what lets it chroot, and it cannot see a file that
// changed between the master's check and its own parse.

// DefaultPath is the "default-path" policy for relative paths.
type DefaultPath struct {
	// Mode is "current" (the directory Baton was started in; also the
	// zero value ""), "config" (the directory of the configuration file
	// being read), "parent" (its parent) or "origin" (Origin).
	Mode   string
	Origin string
}

func parseDefaultPath(p *parser, l line, args []string) {
	if len(args) == 0 {
		p.errorf(l.Pos, "default-path: expects current, config, parent or origin DIR")
		return
	}
	dp := DefaultPath{Mode: args[0]}
	switch args[0] {
	case "current", "config", "parent":
		if len(args) > 1 {
			p.errorf(l.Pos, "default-path %s: unexpected argument %q", args[0], args[1])
			return
		}
	case "origin":
		if len(args) != 2 || args[1] == "" {
			p.errorf(l.Pos, "default-path origin: expects one directory")
			return
		}
		dp.Origin = args[1]
	default:
		p.errorf(l.Pos, "default-path: unknown policy %q (current, config, parent or origin DIR)", args[0])
		return
	}
	p.defaultPath = dp
}

// resolvePath applies default-path to a path named at pos.
func (p *parser) resolvePath(pos Pos, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	dir := ""
	switch p.defaultPath.Mode {
	case "config", "parent":
		if i := strings.LastIndexByte(pos.File, '/'); i >= 0 {
			dir = pos.File[:i+1]
		}
		if p.defaultPath.Mode == "parent" {
			dir += ".."
		}
	case "origin":
		dir = p.defaultPath.Origin
	}
	if dir == "" {
		return path
	}
	return filepath.Join(dir, path)
}

// readFile reads a file named at pos (relative paths resolved by
// default-path) and records it in Config.Files. It returns the resolved
// name and the contents.
func (p *parser) readFile(pos Pos, path string) (string, []byte, error) {
	name := p.resolvePath(pos, path)
	for _, f := range p.cfg.Files {
		if f.Name == name {
			return name, f.Data, nil
		}
	}
	read := p.opt.ReadFile
	if read == nil {
		read = readLimited
	}
	data, err := read(name)
	if err != nil {
		return name, nil, err
	}
	p.cfg.Files = append(p.cfg.Files, Source{Name: name, Data: data})
	return name, data, nil
}

// maxNamedFile bounds a file the configuration names: a device such as
// /dev/zero must not make a check run forever.
const maxNamedFile = 16 << 20

// readLimited reads a file of at most maxNamedFile bytes.
func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxNamedFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxNamedFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxNamedFile)
	}
	return data, nil
}

// FilesReader returns an Options.ReadFile that answers from files only:
// what a worker uses with the files its master read.
func FilesReader(files []Source) func(string) ([]byte, error) {
	m := make(map[string][]byte, len(files))
	for _, f := range files {
		m[f.Name] = f.Data
	}
	return func(name string) ([]byte, error) {
		data, ok := m[name]
		if !ok {
			return nil, fmt.Errorf("open %s: not among the files the master read", name)
		}
		return data, nil
	}
}

// readExprFile reads a map file named in a sample expression: resolved
// against the line being parsed, recorded like every named file.
func (p *parser) readExprFile(path string) ([]byte, error) {
	_, data, err := p.readFile(p.linePos, path)
	return data, err
}
