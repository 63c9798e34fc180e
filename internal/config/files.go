package config

import (
	"fmt"
	"os"
)

// The files a configuration names (map files and ACL pattern files,
// response bodies) are read while it is parsed, through Options.ReadFile,
// and kept in Config.Files with their contents. The master parses with
// the real file system and hands Config.Files to its workers with the
// configuration; a worker parses with a ReadFile that answers from those
// bytes only (FilesReader). So a broken or missing file fails the reload
// in the master, and a worker cannot see a file that changed between the
// master's check and its own parse.

// Options tune a parse. The zero value reads the file system.
type Options struct {
	// ReadFile reads a file the configuration names; nil means
	// os.ReadFile.
	ReadFile func(path string) ([]byte, error)
}

// readFile reads a file named at pos and records it in Config.Files.
func (p *parser) readFile(name string) ([]byte, error) {
	for _, f := range p.cfg.Files {
		if f.Name == name {
			return f.Data, nil
		}
	}
	read := p.opt.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	data, err := read(name)
	if err != nil {
		return nil, err
	}
	p.cfg.Files = append(p.cfg.Files, Source{Name: name, Data: data})
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
