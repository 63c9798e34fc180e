package sticktable

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The runtime API's table commands: show table, clear table, set table,
// in HAProxy's formats.

// Header is a table's "show table" line.
func (t *Table) Header() string {
	return fmt.Sprintf("# table: %s, type: %s, size:%d, used:%d\n", t.Spec.Name, t.Spec.Type, t.Spec.Size, t.Count())
}

// ParseKey reads a key as the runtime API writes it (an address, a
// number, text, or hex for binary keys).
func (t *Table) ParseKey(s string) (Key, error) {
	switch t.Spec.Type {
	case KeyIP:
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Unmap().Is4() {
			return nil, fmt.Errorf("Invalid key")
		}
		b := a.Unmap().As4()
		return b[:], nil
	case KeyIPv6:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("Invalid key")
		}
		b := a.As16()
		return b[:], nil
	case KeyInteger:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("Invalid key")
		}
		return binary.BigEndian.AppendUint64(nil, uint64(n)), nil
	case KeyString:
		if len(s) > t.Spec.Len {
			s = s[:t.Spec.Len]
		}
		return Key(s), nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("Invalid key")
	}
	if len(b) > t.Spec.Len {
		b = b[:t.Spec.Len]
	}
	for len(b) < t.Spec.Len {
		b = append(b, 0)
	}
	return b, nil
}

// formatKey writes a stored key as ParseKey reads it.
func (t *Table) formatKey(k []byte) string {
	switch t.Spec.Type {
	case KeyIP:
		return netip.AddrFrom4([4]byte(k)).String()
	case KeyIPv6:
		return netip.AddrFrom16([16]byte(k)).String()
	case KeyInteger:
		return strconv.FormatInt(int64(binary.BigEndian.Uint64(k)), 10)
	case KeyString:
		return string(k)
	}
	return hex.EncodeToString(k)
}

// Filter selects entries by a stored value: "data.TYPE OP VALUE".
type Filter struct {
	Type  DataType
	Index int    // the element of an array type
	Op    string // eq, ne, lt, le, gt, ge
	Value uint64
}

// ParseFilter reads "data.TYPE OP VALUE".
func (t *Table) ParseFilter(args []string) (*Filter, error) {
	if len(args) != 3 || !strings.HasPrefix(args[0], "data.") {
		return nil, fmt.Errorf("Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>")
	}
	d, idx, ok := t.dataName(strings.TrimPrefix(args[0], "data."))
	if !ok {
		return nil, fmt.Errorf("Data type not stored in this table")
	}
	switch args[1] {
	case "eq", "ne", "lt", "le", "gt", "ge":
	default:
		return nil, fmt.Errorf("Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"")
	}
	v, err := strconv.ParseUint(args[2], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("Require a valid integer value to compare against")
	}
	return &Filter{Type: d, Index: idx, Op: args[1], Value: v}, nil
}

func (f *Filter) match(v uint64) bool {
	switch f.Op {
	case "eq":
		return v == f.Value
	case "ne":
		return v != f.Value
	case "lt":
		return v < f.Value
	case "le":
		return v <= f.Value
	case "gt":
		return v > f.Value
	}
	return v >= f.Value
}

// showOrder is the order HAProxy 2.6 lists data types in.
var showOrder = []DataType{DServerID, DGPT0, DGPC0, DGPC0Rate, DConnCnt, DConnRate, DConnCur, DSessCnt, DSessRate,
	DHTTPReqCnt, DHTTPReqRate, DHTTPErrCnt, DHTTPErrRate, DBytesInCnt, DBytesInRate, DBytesOutCnt, DBytesOutRate,
	DGPC1, DGPC1Rate, DHTTPFailCnt, DHTTPFailRate, DGPT, DGPC, DGPCRate}

// dataName resolves a data type named by the runtime API. As in
// HAProxy 2.6, "gpc0" and "gpt0" also name the first element of the gpc
// and gpt arrays; other elements cannot be named.
func (t *Table) dataName(name string) (DataType, int, bool) {
	d, ok := lookupDataType(name)
	if !ok {
		return 0, 0, false
	}
	if _, stored := t.Stored(d); stored {
		return d, 0, true
	}
	switch d {
	case DGPC0:
		d = DGPC
	case DGPT0:
		d = DGPT
	default:
		return 0, 0, false
	}
	_, stored := t.Stored(d)
	return d, 0, stored
}

// Show lists the entries (those f selects, or the one of key), as
// HAProxy's "show table NAME".
func (t *Table) Show(f *Filter, key Key) string {
	now := time.Now().UnixMilli()
	if key != nil && t.Get(key, now, Lookup) == 0 {
		return "" // as HAProxy: nothing, not even the header
	}
	var b strings.Builder
	b.WriteString(t.Header())
	t.Walk(now, func(r Ref, k []byte) bool {
		if key != nil && string(k) != string(key) {
			return true
		}
		if f != nil {
			if v, ok := t.ReadLocked(r, f.Type, f.Index, now); !ok || !f.match(v) {
				return true
			}
		}
		refs, exp := t.EntryLocked(r)
		left := int64(0)
		if exp != 0 {
			left = max(0, exp-now)
		}
		fmt.Fprintf(&b, "%#x: key=%s use=%d exp=%d", int(r), t.formatKey(k), refs, left)
		for _, d := range showOrder {
			st, ok := t.Spec.Has(d)
			if !ok {
				continue
			}
			for i := 0; i < st.N; i++ {
				v, _ := t.ReadLocked(r, st.Type, i, now)
				name := st.Type.String()
				if dataTypes[st.Type].array {
					name = fmt.Sprintf("%s%d", strings.TrimSuffix(name, "_rate"), i)
					if dataTypes[st.Type].rate {
						name += "_rate"
					}
				}
				if dataTypes[st.Type].rate {
					fmt.Fprintf(&b, " %s(%d)=%d", name, st.Period, v)
				} else {
					fmt.Fprintf(&b, " %s=%d", name, v)
				}
			}
		}
		b.WriteByte('\n')
		return true
	})
	return b.String()
}

// Clear removes the entries nobody tracks (those f selects, or the one
// of key) and returns how many it removed.
func (t *Table) Clear(f *Filter, key Key) int {
	if key != nil {
		if t.Remove(key) {
			return 1
		}
		return 0
	}
	now := time.Now().UnixMilli()
	var keys []Key
	t.Walk(now, func(r Ref, k []byte) bool {
		refs, _ := t.EntryLocked(r)
		if refs != 0 {
			return true
		}
		if f != nil {
			if v, ok := t.ReadLocked(r, f.Type, f.Index, now); !ok || !f.match(v) {
				return true
			}
		}
		keys = append(keys, Key(append([]byte(nil), k...)))
		return true
	})
	n := 0
	for _, k := range keys {
		if t.Remove(k) {
			n++
		}
	}
	return n
}

// SetData creates the entry of key if needed and stores each
// "data.TYPE VALUE" pair of args in it, in order, stopping at the first
// that is wrong, as HAProxy does (a counter or tag takes the value; a
// rate restarts from it).
func (t *Table) SetData(key Key, args []string) error {
	now := time.Now().UnixMilli()
	r := t.Get(key, now, Create)
	if r == 0 {
		return fmt.Errorf("Unable to allocate a new entry")
	}
	for i := 0; i < len(args); i += 2 {
		if !strings.HasPrefix(args[i], "data.") || i+1 >= len(args) {
			return fmt.Errorf("\"data.<type>\" followed by a value expected")
		}
		d, idx, ok := t.dataName(strings.TrimPrefix(args[i], "data."))
		if !ok {
			return fmt.Errorf("Data type not stored in this table")
		}
		v, err := strconv.ParseUint(args[i+1], 10, 64)
		if err != nil {
			return fmt.Errorf("Require a valid integer value to store")
		}
		if dataTypes[d].rate {
			t.Set(r, d, idx, 0, now)
			t.Add(r, d, idx, v, now)
		} else {
			t.Set(r, d, idx, v, now)
		}
	}
	return nil
}
