package expr

import (
	"testing"

	"github.com/streamlite/streamlite/sql/parser"
)

// FuzzCompileEval parses arbitrary text as an expression, compiles it against a fixed scope
// and evaluates it on a few rows. Invariants: no panic; a compiled expression evaluates
// without error on every row that matches the scope.
func FuzzCompileEval(f *testing.F) {
	for _, s := range []string{"ID + 1", "STR LIKE 'a%' ESCAPE '!'", "CASE ID WHEN 1 THEN 'a' END",
		"SUBSTRING(STR, -2, 5)", "ARR[-1]", "ID IN (1, '2', NULL)", "ROUND(DEC, 1)",
		"CAST(STR AS DECIMAL(4,2))", "LPAD(STR, 100, 'x')", "GREATEST(ID, B, D)"} {
		f.Add(s)
	}
	scope := testScope()
	rows := testRows()
	f.Fuzz(func(t *testing.T, src string) {
		e, err := parser.ParseExpr(src)
		if err != nil {
			return
		}
		c, err := Compile(e, scope, Options{})
		if err != nil {
			return
		}
		_ = c.Type()
		for _, r := range rows {
			if _, err := c.Eval(r); err != nil {
				t.Fatalf("%q: eval error %v", src, err)
			}
		}
	})
}
