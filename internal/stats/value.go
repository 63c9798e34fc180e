package stats

import (
	"strconv"
	"strings"
)

// Value is one column of a row: empty, a number or a string.
type Value struct {
	kind uint8 // 0 empty, 1 number, 2 string
	n    int64
	s    string
}

// Num is a numeric value; Str a string value; Empty (the zero Value) is
// no value.
func Num[T ~int | ~int64 | ~uint64 | ~uint32 | ~int32 | ~uint8 | ~uint16](n T) Value {
	return Value{kind: 1, n: int64(n)}
}

// Str is a string value.
func Str(s string) Value { return Value{kind: 2, s: s} }

// Empty is no value.
var Empty Value

// IsEmpty reports whether v has no value.
func (v Value) IsEmpty() bool { return v.kind == 0 }

// Int returns a numeric value (0 otherwise).
func (v Value) Int() int64 { return v.n }

// String returns the value as printed in CSV and typed output.
func (v Value) String() string {
	switch v.kind {
	case 1:
		return strconv.FormatInt(v.n, 10)
	case 2:
		return v.s
	}
	return ""
}

// csv quotes v for a CSV line when it holds a comma or a quote.
func (v Value) csv() string {
	s := v.String()
	if v.kind == 2 && strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// Tags are a field's origin, nature and scope letters and its type, as
// in "MCP:u64".
type Tags string

func (t Tags) letters() string {
	s, _, _ := strings.Cut(string(t), ":")
	return s
}

func (t Tags) typ() string {
	_, s, _ := strings.Cut(string(t), ":")
	return s
}

var (
	origins = map[byte]string{'M': "Metric", 'S': "Status", 'K': "Key", 'C': "Config", 'P': "Product"}
	natures = map[byte]string{'A': "Age", 'a': "Avg", 'C': "Counter", 'D': "Duration", 'G': "Gauge", 'L': "Limit",
		'M': "Max", 'm': "Min", 'N': "Name", 'O': "Output", 'R': "Rate", 'T': "Time"}
	scopes = map[byte]string{'C': "Cluster", 'P': "Process", 'S': "Service", 's': "System"}
)

// jsonTagSet is the "tags" object of the JSON forms.
type jsonTagSet struct {
	Origin string `json:"origin"`
	Nature string `json:"nature"`
	Scope  string `json:"scope"`
}

// jsonTags is the "tags" object of the JSON forms.
func (t Tags) jsonTags() jsonTagSet {
	l := t.letters()
	get := func(m map[byte]string, i int) string {
		if i < len(l) {
			if s, ok := m[l[i]]; ok {
				return s
			}
		}
		return "Unknown"
	}
	return jsonTagSet{Origin: get(origins, 0), Nature: get(natures, 1), Scope: get(scopes, 2)}
}

// jsonValue is the "value" object of the JSON forms.
func jsonValue(typ string, v Value) map[string]any {
	if typ == "str" {
		return map[string]any{"type": typ, "value": v.String()}
	}
	return map[string]any{"type": typ, "value": v.n}
}
