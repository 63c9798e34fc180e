package cfgcond

import (
	"errors"
	"testing"
)

// FuzzEval checks that any text either parses or gives an *Error with a
// column inside it, and that a condition that parses means the same in
// parentheses and its opposite after "!".
func FuzzEval(f *testing.F) {
	for _, c := range condCases {
		f.Add(c.cond)
	}
	f.Fuzz(func(t *testing.T, cond string) {
		got, err := Eval(cond, testCtx())
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Col < 1 || e.Col > len(cond)+1 {
				t.Fatalf("%q: bad error %v", cond, err)
			}
			return
		}
		if blank(cond) {
			if got {
				t.Fatalf("%q: blank condition is true", cond)
			}
			return
		}
		in, err := Eval("("+cond+")", testCtx())
		if err != nil || in != got {
			t.Fatalf("%q = %v but (%q) = %v, %v", cond, got, cond, in, err)
		}
		neg, err := Eval("!("+cond+")", testCtx())
		if err != nil || neg == got {
			t.Fatalf("%q = %v but !(%q) = %v, %v", cond, got, cond, neg, err)
		}
	})
}

func blank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			return false
		}
	}
	return true
}
