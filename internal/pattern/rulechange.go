package pattern

// The changes rules make (http-request set-map, del-map, add-acl,
// del-acl) take the key and value as bytes built per request, and name
// entries by key only ("#ID" is a key like any other, as in HAProxy's
// actions). A rule may fire on every request, so a change that changes
// nothing (the value is already there, the key already present or
// already absent) costs a lookup in an index of the keys under the
// Ref's mutex and allocates nothing; only a real change copies the
// entries and recompiles every Matcher, O(entries); a deletion also
// makes the next change rebuild the index, O(entries).

// PutBytes gives every entry whose key is key the value value, or adds
// the entry when there is none: HAProxy's set-map. It reports whether
// the entries changed.
func (r *Ref) PutBytes(key, value []byte) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, found := r.index()[string(key)]
	if found {
		same := true
		if i >= 0 {
			same = r.entries[i].Value == string(value)
		} else {
			for _, e := range r.entries {
				same = same && (e.Key != string(key) || e.Value == string(value))
			}
		}
		if same {
			return false, nil
		}
	}
	v := string(value)
	if !found {
		r.nextID++
		entries := append(append(make([]Entry, 0, len(r.entries)+1), r.entries...), Entry{Key: string(key), Value: v, ID: r.nextID})
		return true, r.republishKeys(entries, true)
	}
	entries := append([]Entry(nil), r.entries...)
	for i := range entries {
		if entries[i].Key == string(key) {
			entries[i].Value = v
		}
	}
	return true, r.republishKeys(entries, false)
}

// AddNewBytes adds key (with an empty value) unless an entry has it:
// HAProxy's add-acl. It reports whether the entries changed.
func (r *Ref) AddNewBytes(key []byte) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, found := r.index()[string(key)]; found {
		return false, nil
	}
	r.nextID++
	entries := append(append(make([]Entry, 0, len(r.entries)+1), r.entries...), Entry{Key: string(key), ID: r.nextID})
	return true, r.republishKeys(entries, true)
}

// DelBytes removes every entry whose key is key: HAProxy's del-map and
// del-acl. It reports whether the entries changed.
func (r *Ref) DelBytes(key []byte) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, found := r.index()[string(key)]; !found {
		return false, nil
	}
	var entries []Entry
	for _, e := range r.entries {
		if e.Key != string(key) {
			entries = append(entries, e)
		}
	}
	return true, r.republish(entries)
}

// republishKeys is republish for a change that leaves every key where it
// was, or appends one entry with a new key (appended): the index stays
// valid instead of being built again. Called under mu, after index.
func (r *Ref) republishKeys(entries []Entry, appended bool) error {
	idx := r.byKey
	if err := r.republish(entries); err != nil {
		return err
	}
	if appended {
		idx[entries[len(entries)-1].Key] = len(entries) - 1
	}
	r.byKey = idx
	return nil
}

// index returns byKey, building it when the entries changed. Called
// under mu.
func (r *Ref) index() map[string]int {
	if r.byKey != nil {
		return r.byKey
	}
	r.byKey = make(map[string]int, len(r.entries))
	for i, e := range r.entries {
		if _, dup := r.byKey[e.Key]; dup {
			r.byKey[e.Key] = -1
		} else {
			r.byKey[e.Key] = i
		}
	}
	return r.byKey
}
