package expr

import (
	"strings"
	"testing"
	"time"

	"github.com/streamlite/streamlite/sql/parser"
)

// FuzzCompileEval parses arbitrary text as an expression, compiles it against a fixed scope
// and evaluates it on a few rows. Invariants: no panic; a compiled expression evaluates
// without error on every row that matches the scope.
func FuzzCompileEval(f *testing.F) {
	for _, s := range []string{"ID + 1", "STR LIKE 'a%' ESCAPE '!'", "CASE ID WHEN 1 THEN 'a' END",
		"SUBSTRING(STR, -2, 5)", "ARR[-1]", "ID IN (1, '2', NULL)", "ROUND(DEC, 1)",
		"CAST(STR AS DECIMAL(4,2))", "LPAD(STR, 100, 'x')", "GREATEST(ID, B, D)",
		"DATEADD(DAYS, ID, '2020-01-01')", "TIMEADD(HOURS, -ID, TIME '10:00')", "ROUND(D, -ID)",
		"PARSE_TIMESTAMP(STR, 'yyyy-MM-dd[ HH:mm]X')", "FORMAT_TIMESTAMP(TS, 'yyyy EEEE zzz O', STR)",
		"ENCODE(STR, 'hex', 'ascii')", "TS > '2020-01-01T00:00+0100'"} {
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

// FuzzJavaPattern compiles arbitrary java.time patterns, formats a fixed instant with them
// and parses arbitrary text. Invariants: no panic; what a pattern of numeric fields and
// literals formats parses back.
func FuzzJavaPattern(f *testing.F) {
	for _, s := range [][2]string{
		{"yyyy-MM-dd'T'HH:mm:ss.SSSX", "2020-05-11T21:58:33.000Z"},
		{"dd-MMM-yyyy", "01-Jan-2022"}, {"h:mm a zzz", "9:05 PM PST"}, {"[yyyy][MM]''", "2020'"},
		{"yyyyMMddHHmmss", "20200511215833"}, {"EEEE O VV", "Monday GMT+1 Europe/London"},
	} {
		f.Add(s[0], s[1])
	}
	instant := time.UnixMilli(1589234313123).In(time.FixedZone("", 5400))
	f.Fuzz(func(t *testing.T, pattern, text string) {
		p, err := compileJavaPattern(pattern)
		if err != nil {
			return
		}
		_, _, _ = p.parse(text, time.UTC, false)
		out, err := p.format(instant, allFields)
		if err != nil {
			return
		}
		// Only numbers and digit-free literals, and no number directly followed by a
		// variable-width one (Java cannot split those either).
		numeric := true
		prevNumeric := false
		for _, e := range p.elems {
			lo, hi, ok := numericWidth(e)
			switch {
			case !ok && e.letter != 0, e.letter == 0 && strings.ContainsAny(e.text, "0123456789"),
				ok && prevNumeric && lo != hi:
				numeric = false
			}
			prevNumeric = ok
		}
		if numeric {
			if _, _, err := p.parse(out, time.UTC, false); err != nil {
				t.Fatalf("pattern %q formatted %q, which does not parse: %v", pattern, out, err)
			}
		}
	})
}
