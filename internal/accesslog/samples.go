package accesslog

import (
	"fmt"
	"unsafe"

	"baton/internal/expr"
	lf "baton/internal/logformat"
)

// compileSamples compiles the format's "%[...]" expressions in env.
func (f *Format) compileSamples(env *expr.Env) error {
	for i, n := range f.nodes {
		if n.Kind != lf.Sample {
			continue
		}
		e, err := expr.Compile(n.Text, env)
		if err != nil {
			return fmt.Errorf("failed to parse sample expression <%s>: %v", n.Text, err)
		}
		if f.exprs == nil {
			f.exprs = make([]*expr.Expr, len(f.nodes))
		}
		f.exprs[i] = e
	}
	return nil
}

// appendSample writes a sample expression's value as HAProxy writes it
// in a log line: its string form as a text variable (appendText: '-'
// when it has none, quoting, escaping).
func appendSample(b []byte, e *expr.Expr, fl lf.Flag, c *expr.Ctx) []byte {
	var s expr.Sample
	if c == nil || !e.Eval(c, &s) || !c.Cast(&s, expr.Str) {
		return appendText(b, "", fl)
	}
	return appendText(b, unsafe.String(unsafe.SliceData(s.Bytes), len(s.Bytes)), fl)
}
