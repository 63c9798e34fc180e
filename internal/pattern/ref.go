package pattern

import (
	"bytes"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Entry is one pattern of a Ref: a key and, for a map, its value.
type Entry struct {
	Key, Value string
	// ID identifies the entry for the runtime API ("del map #ID"); it is
	// unique within its Ref.
	ID uint64
}

// Ref is a source of patterns shared by its users: a file, or the values
// of one ACL line. Its entries change only through Add, Del, Set and
// Clear, under mu; users see the changes through their Matchers.
type Ref struct {
	// Name is the file name as written in the configuration (resolved),
	// or "" for inline values.
	Name string
	// Display describes the Ref in listings: the file name, or for
	// inline values where they were written ("acl 'path_beg' file
	// 'x.cfg' line 12").
	Display string
	// ID is the unique id ("-u ID", else the next free one).
	ID int
	// IsMap is set when the Ref was loaded as a map (two columns).
	IsMap bool

	// auto is set when ID was not given ("-u"): as HAProxy does once the
	// configuration is read, the Store numbers such Refs in the order
	// they were loaded, skipping the given ids. Written under the Store's
	// mu while the configuration is read, before any reader.
	auto bool

	mu       sync.Mutex
	entries  []Entry
	nextID   uint64
	matchers []*Matcher
	resolve  func(string) (netip.Addr, error)
	// byKey finds entries by key for the rules' changes (rulechange.go):
	// the index of the key's entry, or -1 when several have the key.
	// Built on the first such change after the entries change; nil until
	// then. Guarded by mu.
	byKey map[string]int
}

// Matcher is a Ref compiled for one set of Options. Its List is published
// through an atomic pointer: the request path loads it with List and
// never locks; a change to the Ref stores a new List.
type Matcher struct {
	ref *Ref
	opt Options
	cur atomic.Pointer[List]
}

// List returns the current compiled list.
func (m *Matcher) List() *List { return m.cur.Load() }

// Ref returns the source the Matcher was compiled from.
func (m *Matcher) Ref() *Ref { return m.ref }

// Options returns how the Matcher compiles its Ref.
func (m *Matcher) Options() Options { return m.opt }

// Matcher compiles r for opt, or returns the existing Matcher with the
// same options. The error says which entry did not compile.
func (r *Ref) Matcher(opt Options) (*Matcher, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.matchers {
		if m.opt == opt {
			return m, nil
		}
	}
	l, err := compile(r.entries, opt, r.resolve)
	if err != nil {
		return nil, r.wrap(err)
	}
	m := &Matcher{ref: r, opt: opt}
	m.cur.Store(l)
	r.matchers = append(r.matchers, m)
	return m, nil
}

func (r *Ref) wrap(err error) error {
	if r.Name != "" {
		return fmt.Errorf("%s: %v", r.Name, err)
	}
	return err
}

// Entries returns a copy of the entries, in order.
func (r *Ref) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Entry(nil), r.entries...)
}

// republish compiles the entries for every Matcher; on error nothing is
// published and the error is returned.
func (r *Ref) republish(entries []Entry) error {
	lists := make([]*List, len(r.matchers))
	for i, m := range r.matchers {
		l, err := compile(entries, m.opt, r.resolve)
		if err != nil {
			return err
		}
		lists[i] = l
	}
	for i, m := range r.matchers {
		m.cur.Store(lists[i])
	}
	r.entries = entries
	r.byKey = nil
	return nil
}

// Add appends an entry (value is ignored for an ACL). It fails, changing
// nothing, when a user cannot compile the key or value.
func (r *Ref) Add(key, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	entries := append(append([]Entry(nil), r.entries...), Entry{Key: key, Value: value, ID: r.nextID})
	return r.republish(entries)
}

// Del removes every entry whose key is key, or, for "#ID", the entry with
// that id. It reports whether one was removed.
func (r *Ref) Del(key string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, byID := parseEntryID(key)
	var entries []Entry
	for _, e := range r.entries {
		if byID && e.ID == id || !byID && e.Key == key {
			continue
		}
		entries = append(entries, e)
	}
	if len(entries) == len(r.entries) {
		return false, nil
	}
	return true, r.republish(entries)
}

// Set changes the value of every entry whose key is key (or the entry
// "#ID") and reports whether one was found.
func (r *Ref) Set(key, value string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, byID := parseEntryID(key)
	entries := append([]Entry(nil), r.entries...)
	found := false
	for i := range entries {
		if byID && entries[i].ID == id || !byID && entries[i].Key == key {
			entries[i].Value = value
			found = true
		}
	}
	if !found {
		return false, nil
	}
	return true, r.republish(entries)
}

// Clear removes every entry.
func (r *Ref) Clear() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.republish(nil)
}

func parseEntryID(s string) (uint64, bool) {
	rest, ok := strings.CutPrefix(s, "#")
	if !ok {
		return 0, false
	}
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, "0x"), "0X")
	id, err := strconv.ParseUint(rest, 16, 64)
	return id, err == nil
}

// Store holds a configuration's Refs. It is safe for concurrent use.
type Store struct {
	mu     sync.Mutex
	refs   []*Ref
	byName map[refKey]*Ref
	used   map[int]bool
	// Resolve resolves host names in IP patterns; nil refuses them.
	Resolve func(string) (netip.Addr, error)
}

// refKey names a file loaded as an ACL file or as a map (the two parse
// lines differently, so they are different Refs).
type refKey struct {
	name  string
	isMap bool
}

// NewStore returns an empty Store.
func NewStore() *Store { return &Store{byName: map[refKey]*Ref{}, used: map[int]bool{}} }

// File returns the Ref of the file name, parsing data (as a map when
// isMap) the first time the file is named. uid is the "-u" id, or -1.
func (s *Store) File(name string, data []byte, isMap bool, uid int) (*Ref, error) {
	return s.FileAt(name, "", data, isMap, uid)
}

// FileAt is File for a named user of the file: usedBy ("acl at file
// 'x.cfg' line 12") describes it in listings, in HAProxy's words ("pattern
// loaded from file ... used by ..., by ..."); "" leaves the name alone.
func (s *Store) FileAt(name, usedBy string, data []byte, isMap bool, uid int) (*Ref, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := refKey{name, isMap}
	if r := s.byName[key]; r != nil {
		if uid >= 0 && r.ID != uid {
			return nil, fmt.Errorf("%s: already loaded with unique id %d, not %d", name, r.ID, uid)
		}
		if usedBy != "" {
			r.Display += ", by " + usedBy // read only once the configuration is loaded
		}
		return r, nil
	}
	display := name
	if usedBy != "" {
		display = "pattern loaded from file '" + name + "' used by " + usedBy
	}
	var entries []Entry
	if isMap {
		entries = parseMapFile(data)
	} else {
		entries = parseACLFile(data)
	}
	r, err := s.add(name, display, uid, entries)
	if err != nil {
		return nil, err
	}
	r.IsMap = isMap
	s.byName[key] = r
	return r, nil
}

// Inline returns a new Ref holding the values written on an ACL line.
func (s *Store) Inline(display string, values []string, uid int) (*Ref, error) {
	entries := make([]Entry, len(values))
	for i, v := range values {
		entries[i] = Entry{Key: v}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add("", display, uid, entries)
}

func (s *Store) add(name, display string, uid int, entries []Entry) (*Ref, error) {
	if uid >= 0 && s.used[uid] {
		return nil, fmt.Errorf("unique id %d is already used", uid)
	}
	if uid >= 0 {
		s.used[uid] = true
	}
	for i := range entries {
		entries[i].ID = uint64(i + 1)
	}
	r := &Ref{Name: name, Display: display, ID: uid, entries: entries, nextID: uint64(len(entries)), resolve: s.Resolve,
		auto: uid < 0}
	s.refs = append(s.refs, r)
	s.number()
	return r, nil
}

// number gives the Refs without a given id theirs, in order, each the
// lowest id no "-u" took (a later "-u 0" renumbers the others). Called
// under mu whenever a Ref is added, so ids are final once the
// configuration is read.
func (s *Store) number() {
	next := 0
	for _, r := range s.refs {
		if r.auto {
			for s.used[next] {
				next++
			}
			r.ID = next
			next++
		}
	}
}

// Refs returns the Refs by unique id.
func (s *Store) Refs() []*Ref {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]*Ref(nil), s.refs...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Find returns the Ref named by a runtime API argument: "#ID" or a file
// name, among the maps (isMap) or the ACLs; nil when there is none.
func (s *Store) Find(name string, isMap bool) *Ref {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rest, ok := strings.CutPrefix(name, "#"); ok {
		id, err := strconv.Atoi(rest)
		if err != nil {
			return nil
		}
		for _, r := range s.refs {
			if r.ID == id && r.IsMap == isMap {
				return r
			}
		}
		return nil
	}
	return s.byName[refKey{name, isMap}]
}

// parseACLFile reads one pattern per line: lines starting with '#' and
// empty lines are skipped, leading blanks are stripped (so " #x" is the
// pattern "#x"), the rest of the line is the pattern.
func parseACLFile(data []byte) []Entry {
	var out []Entry
	for _, line := range patternLines(data) {
		out = append(out, Entry{Key: string(line)})
	}
	return out
}

// parseMapFile reads "KEY VALUE" lines, skipped and stripped as ACL
// lines are: the key is the first word, the value the rest of the line
// without its surrounding blanks.
func parseMapFile(data []byte) []Entry {
	var out []Entry
	for _, line := range patternLines(data) {
		i := bytes.IndexAny(line, " \t")
		if i < 0 {
			out = append(out, Entry{Key: string(line)})
			continue
		}
		out = append(out, Entry{Key: string(line[:i]), Value: string(bytes.Trim(line[i:], " \t"))})
	}
	return out
}

// patternLines returns the lines of a pattern file that hold a pattern:
// not starting with '#', not empty once leading blanks are stripped
// (they are).
func patternLines(data []byte) [][]byte {
	var out [][]byte
	for _, line := range lines(data) {
		if len(line) > 0 && line[0] == '#' {
			continue
		}
		line = bytes.TrimLeft(line, " \t")
		if len(line) > 0 {
			out = append(out, line)
		}
	}
	return out
}

// lines splits data at '\n'; a '\r' ends a line's content too.
func lines(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var l []byte
		if i < 0 {
			l, data = data, nil
		} else {
			l, data = data[:i], data[i+1:]
		}
		if j := bytes.IndexByte(l, '\r'); j >= 0 {
			l = l[:j]
		}
		out = append(out, l)
	}
	return out
}
