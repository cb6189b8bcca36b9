package parser

import (
	"reflect"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/sql/ast"
)

// FuzzParse feeds arbitrary text to ParseScript. Invariants:
//   - it never panics and never overflows the stack (nesting is bounded);
//   - an error is a *Error with a 1-based line and column;
//   - on success, each statement's Source re-parses on its own to a statement of the same
//     type, and every select-list expression printed by ast.Format re-parses to an
//     expression that prints the same (Format is a fixed point).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"CREATE STREAM s (k STRING KEY, v INT) WITH (kafka_topic='t', value_format='JSON');",
		"CREATE TABLE t AS SELECT k, COUNT(*) FROM s WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY k EMIT CHANGES;",
		"SELECT a.x, b.* FROM a LEFT JOIN b WITHIN (1 SECOND, 2 SECONDS) GRACE PERIOD 1 MINUTE ON a.id = b.id WHERE NOT a.x BETWEEN -1 AND 2.50 LIMIT 1;",
		"INSERT INTO t (a, `B`) VALUES (ARRAY[1, 2], CAST(NULL AS DECIMAL(4, 2)));",
		"SELECT CASE WHEN x IN (1, 2) THEN 'a''b' ELSE x->y[1] END, s LIKE '%a' ESCAPE '\\' FROM s /* c */ -- d",
		"SELECT " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + " FROM s",
		"DROP TABLE IF EXISTS t DELETE TOPIC; TERMINATE ALL; SET 'a'='b'; SHOW QUERIES",
		"PRINT 'My-Topic' FROM BEGINNING INTERVAL 2 LIMIT 10; PRINT t SAMPLE 1; LIST ALL TOPICS EXTENDED",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := ParseScript(src)
		if err != nil {
			pe, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T, want *Error", err)
			}
			if pe.Line < 1 || pe.Column < 1 {
				t.Fatalf("bad position %d:%d", pe.Line, pe.Column)
			}
			return
		}
		checkInvariants(t, stmts)
	})
}

func typeName(s ast.Statement) string {
	switch s.(type) {
	case *ast.Select:
		return "Select"
	case *ast.CreateSource:
		return "CreateSource"
	case *ast.CreateAsSelect:
		return "CreateAsSelect"
	}
	return strings.TrimPrefix(strings.TrimPrefix(fmtType(s), "*ast."), "ast.")
}

func fmtType(v any) string { return reflect.TypeOf(v).String() }

// checkInvariants checks what must hold for any successfully parsed script: each statement's
// Source re-parses alone to the same statement type, and Format of its query's expressions
// is a fixed point of Format∘ParseExpr.
func checkInvariants(t *testing.T, stmts []ast.Statement) {
	t.Helper()
	for _, s := range stmts {
		again, err := ParseStatement(s.Source())
		if err != nil {
			t.Fatalf("source %q of a parsed statement does not re-parse: %v", s.Source(), err)
		}
		if gt, wt := typeName(again), typeName(s); gt != wt {
			t.Fatalf("re-parse of %q gave %s, want %s", s.Source(), gt, wt)
		}
		var q *ast.Query
		switch s := s.(type) {
		case *ast.Select:
			q = s.Query
		case *ast.CreateAsSelect:
			q = s.Query
		case *ast.InsertInto:
			q = s.Query
		}
		if q == nil {
			continue
		}
		exprs := []ast.Expr{q.Where, q.Having}
		for _, it := range q.Select {
			exprs = append(exprs, it.Expr)
		}
		for _, e := range exprs {
			if e == nil {
				continue
			}
			if _, all := e.(*ast.AllColumns); all {
				continue
			}
			text := ast.Format(e)
			e2, err := ParseExpr(text)
			if err != nil {
				if strings.Contains(err.Error(), "nested more than") {
					continue // Format adds parentheses, so it can cross the depth bound.
				}
				t.Fatalf("Format output %q does not re-parse: %v", text, err)
			}
			if text2 := ast.Format(e2); text2 != text {
				t.Fatalf("Format not a fixed point: %q -> %q", text, text2)
			}
		}
	}
}
