package tlsconf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Source reads the files a TLS configuration names. The master reads the
// disk (OSFiles, recording what it read); a worker reads the very bytes
// the master checked (Assets), so a file changed in between cannot make
// the two disagree.
type Source interface {
	// ReadFile returns a file's contents; an error wrapping
	// fs.ErrNotExist when there is none.
	ReadFile(name string) ([]byte, error)
	// ReadDir returns the names of the regular files in a directory,
	// sorted; an error when name is not a directory.
	ReadDir(name string) ([]string, error)
	// IsDir reports whether name is a directory.
	IsDir(name string) (bool, error)
}

// OSFiles reads the file system. When Record is set, every file and
// directory listing read (and every file found missing) is remembered, for
// Assets.
type OSFiles struct {
	Record bool

	mu    sync.Mutex
	files map[string][]byte
	dirs  map[string][]string
	gone  map[string]bool
}

func (s *OSFiles) ReadFile(name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if s.Record {
		s.mu.Lock()
		if s.files == nil {
			s.files, s.dirs, s.gone = map[string][]byte{}, map[string][]string{}, map[string]bool{}
		}
		if err == nil {
			s.files[name] = data
		} else if errors.Is(err, fs.ErrNotExist) {
			s.gone[name] = true
		}
		s.mu.Unlock()
	}
	return data, err
}

func (s *OSFiles) IsDir(name string) (bool, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return false, err
	}
	return fi.IsDir(), nil
}

func (s *OSFiles) ReadDir(name string) ([]string, error) {
	ents, err := os.ReadDir(name)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			if e.Type()&fs.ModeSymlink != 0 {
				if fi, err := os.Stat(filepath.Join(name, e.Name())); err != nil || !fi.Mode().IsRegular() {
					continue
				}
			}
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if s.Record {
		s.mu.Lock()
		if s.dirs == nil {
			s.files, s.dirs, s.gone = map[string][]byte{}, map[string][]string{}, map[string]bool{}
		}
		s.dirs[name] = names
		s.mu.Unlock()
	}
	return names, nil
}

// Assets are files read by the master, handed to a worker: file contents
// by path, directory listings by path. A path absent from both was not
// there when the master looked.
type Assets struct {
	Files map[string][]byte
	Dirs  map[string][]string
}

// Recorded returns what s read (with Record set).
func (s *OSFiles) Recorded() *Assets {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &Assets{Files: map[string][]byte{}, Dirs: map[string][]string{}}
	for k, v := range s.files {
		a.Files[k] = v
	}
	for k, v := range s.dirs {
		a.Dirs[k] = v
	}
	return a
}

func (a *Assets) ReadFile(name string) ([]byte, error) {
	if d, ok := a.Files[name]; ok {
		return d, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (a *Assets) ReadDir(name string) ([]string, error) {
	if l, ok := a.Dirs[name]; ok {
		return l, nil
	}
	return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
}

func (a *Assets) IsDir(name string) (bool, error) {
	if _, ok := a.Dirs[name]; ok {
		return true, nil
	}
	if _, ok := a.Files[name]; ok {
		return false, nil
	}
	return false, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// dirMarker ends the name of an asset that is a directory listing when
// assets travel as a flat list of (name, data) pairs.
const dirMarker = "/\x00dir"

// Flatten returns the assets as (name, data) pairs, directories as their
// path plus a marker with the names one per line; Unflatten reverses it.
func (a *Assets) Flatten() (names []string, data [][]byte) {
	for k, v := range a.Files {
		names = append(names, k)
		data = append(data, v)
	}
	for k, v := range a.Dirs {
		names = append(names, k+dirMarker)
		data = append(data, []byte(strings.Join(v, "\n")))
	}
	return names, data
}

// Unflatten rebuilds assets from Flatten's pairs.
func Unflatten(names []string, data [][]byte) (*Assets, error) {
	if len(names) != len(data) {
		return nil, fmt.Errorf("assets: %d names for %d contents", len(names), len(data))
	}
	a := &Assets{Files: map[string][]byte{}, Dirs: map[string][]string{}}
	for i, n := range names {
		if d, ok := strings.CutSuffix(n, dirMarker); ok {
			var l []string
			if len(data[i]) > 0 {
				l = strings.Split(string(data[i]), "\n")
			}
			a.Dirs[d] = l
			continue
		}
		a.Files[n] = data[i]
	}
	return a, nil
}
