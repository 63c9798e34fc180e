package stats

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
)

// Filter selects rows like "show stat [<iid> <type> <sid>] [up]
// [no-maint]": IID and SID -1 mean any, Types is a bit set (1
// frontends, 2 backends, 4 servers, 8 listeners; -1 any).
type Filter struct {
	IID, Types, SID int
	// Up hides servers that are not up (HAProxy's "up"); NoMaint hides
	// servers in maintenance.
	Up, NoMaint bool
}

// All is the filter that keeps every row.
var All = Filter{IID: -1, Types: -1, SID: -1}

// Keep reports whether r passes f.
func (f Filter) Keep(r *Row) bool {
	if f.IID != -1 && r.IID != f.IID {
		return false
	}
	if f.Types != -1 && f.Types&(1<<r.Type) == 0 {
		return false
	}
	if r.Type == TypeListener && f.SID != -1 && r.SID != f.SID {
		return false
	}
	if r.Type == TypeServer {
		if f.SID != -1 && r.SID != f.SID {
			return false
		}
		st := r.Values[FStatus].String()
		if f.NoMaint && strings.HasPrefix(st, "MAINT") {
			return false
		}
		if f.Up && !(strings.HasPrefix(st, "UP") || st == "no check" || st == "DRAIN" || st == "NOLB") {
			return false
		}
	}
	return true
}

// Header is the CSV header line, with its newline.
func Header() string {
	var b strings.Builder
	b.WriteString("# ")
	for p := Pos(0); p < NumFields; p++ {
		if p == FirstModuleField {
			b.WriteString("-,")
		}
		b.WriteString(Fields[p].Name)
		b.WriteByte(',')
	}
	b.WriteByte('\n')
	return b.String()
}

// CSV is one row's CSV line, with its newline.
func (r *Row) CSV() string {
	var b strings.Builder
	for p := Pos(0); p < NumFields; p++ {
		if p == FirstModuleField {
			b.WriteString("-,")
		}
		b.WriteString(r.Values[p].csv())
		b.WriteByte(',')
	}
	b.WriteByte('\n')
	return b.String()
}

// WriteCSV writes the header and the rows f keeps.
func WriteCSV(w io.Writer, rows []Row, f Filter) {
	var b strings.Builder
	b.WriteString(Header())
	for i := range rows {
		if f.Keep(&rows[i]) {
			b.WriteString(rows[i].CSV())
		}
	}
	io.WriteString(w, b.String())
}

// tags returns the tags of column p for r's type ("" when none).
func (r *Row) tags(p Pos) Tags {
	if r.Type == TypeListener {
		// A listener's columns are tagged as the frontend's; its address
		// as a server's.
		if p == FAddr {
			return Fields[p].Tags[TypeServer]
		}
		return Fields[p].Tags[TypeFrontend]
	}
	return Fields[p].Tags[r.Type]
}

// WriteTyped writes the rows f keeps in the typed format, one value a
// line, empty values left out; desc appends each field's description.
func WriteTyped(w io.Writer, rows []Row, f Filter, desc bool) {
	var b strings.Builder
	for i := range rows {
		r := &rows[i]
		if !f.Keep(r) {
			continue
		}
		prefix := string(r.Type.letter()) + "." + strconv.Itoa(r.IID) + "." + strconv.Itoa(r.SID) + "."
		for p := Pos(0); p < NumFields; p++ {
			tg := r.tags(p)
			if tg == "" || r.Values[p].IsEmpty() {
				continue
			}
			typedLine(&b, prefix, int(p), Fields[p].Name, tg, r.Values[p], desc, Fields[p].Desc)
		}
	}
	io.WriteString(w, b.String())
}

type jsonField struct {
	Pos  int    `json:"pos"`
	Name string `json:"name"`
}

type jsonStat struct {
	ObjType    string         `json:"objType"`
	ProxyID    int            `json:"proxyId"`
	ID         int            `json:"id"`
	Field      jsonField      `json:"field"`
	ProcessNum int            `json:"processNum"`
	Tags       jsonTagSet     `json:"tags"`
	Value      map[string]any `json:"value"`
}

// WriteJSON writes the rows f keeps as HAProxy's JSON: an array of
// objects, each an array of its non-empty typed fields.
func WriteJSON(w io.Writer, rows []Row, f Filter) {
	out := [][]jsonStat{}
	for i := range rows {
		r := &rows[i]
		if !f.Keep(r) {
			continue
		}
		var obj []jsonStat
		for p := Pos(0); p < NumFields; p++ {
			tg := r.tags(p)
			if tg == "" || r.Values[p].IsEmpty() {
				continue
			}
			obj = append(obj, jsonStat{ObjType: r.Type.jsonName(), ProxyID: r.IID, ID: r.SID,
				Field: jsonField{int(p), Fields[p].Name}, ProcessNum: 1, Tags: tg.jsonTags(), Value: jsonValue(tg.typ(), r.Values[p])})
		}
		out = append(out, obj)
	}
	b, _ := json.Marshal(out)
	w.Write(append(b, '\n'))
}

// Info is the values of "show info" by field name; lines without a
// value are left out.
type Info map[string]Value

// each calls fn for the fields info has, in HAProxy's order.
func (info Info) each(fn func(f InfoField, v Value)) {
	for _, f := range InfoFields {
		if v, ok := info[f.Name]; ok {
			fn(f, v)
		}
	}
}

// WriteInfo writes "Name: value" lines (desc appends the description).
func WriteInfo(w io.Writer, info Info, desc bool) {
	var b strings.Builder
	info.each(func(f InfoField, v Value) {
		b.WriteString(f.Name + ": " + v.String())
		if desc {
			b.WriteString(`:"` + f.Desc + `"`)
		}
		b.WriteByte('\n')
	})
	io.WriteString(w, b.String())
}

// WriteInfoTyped writes "pos.Name.1:tags:value" lines.
func WriteInfoTyped(w io.Writer, info Info, desc bool) {
	var b strings.Builder
	info.each(func(f InfoField, v Value) {
		typedLine(&b, "", f.Pos, f.Name, f.Tags, v, desc, f.Desc)
	})
	io.WriteString(w, b.String())
}

// typedLine writes "PREFIXpos.name.1:tags:value" and the description.
func typedLine(b *strings.Builder, prefix string, pos int, name string, tg Tags, v Value, desc bool, text string) {
	b.WriteString(prefix + strconv.Itoa(pos) + "." + name + ".1:" + string(tg) + ":" + v.String())
	if desc {
		b.WriteString(`:"` + text + `"`)
	}
	b.WriteByte('\n')
}

type jsonInfo struct {
	Field      jsonField      `json:"field"`
	ProcessNum int            `json:"processNum"`
	Tags       jsonTagSet     `json:"tags"`
	Value      map[string]any `json:"value"`
}

// WriteInfoJSON writes the info as HAProxy's JSON array.
func WriteInfoJSON(w io.Writer, info Info) {
	out := []jsonInfo{}
	info.each(func(f InfoField, v Value) {
		out = append(out, jsonInfo{Field: jsonField{f.Pos, f.Name}, ProcessNum: 1, Tags: f.Tags.jsonTags(), Value: jsonValue(f.Tags.typ(), v)})
	})
	b, _ := json.Marshal(out)
	w.Write(append(b, '\n'))
}
