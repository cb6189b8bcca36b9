package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/sql/engine"
)

// TestTransientErrorPositions checks issue 10's must-show 5 for
// transient SELECTs: every planning error of PlanTransient carries the
// line and column of the token to blame (errpos.go states the rule), and
// where the mistake has a CREATE ... AS SELECT form, the position that
// statement reports, moved back by the prefix written before the SELECT.
func TestTransientErrorPositions(t *testing.T) {
	setup := []string{
		"CREATE STREAM S (K STRING KEY, I INT, D DOUBLE, N STRING) WITH (kafka_topic='s', value_format='JSON');",
		"CREATE TABLE T (K STRING PRIMARY KEY, V INT) WITH (kafka_topic='t', value_format='JSON');",
		"CREATE TABLE AGG AS SELECT K, COUNT(*) AS C FROM S GROUP BY K;",
	}
	noStreams := map[string]string{"ksql.query.pull.stream.enabled": "false"}
	noScans := map[string]string{"ksql.query.pull.table.scan.enabled": "false"}
	noLimits := map[string]string{"ksql.query.pull.limit.clause.enabled": "false"}
	const (
		csas = "CREATE STREAM X AS "
		ctas = "CREATE TABLE X\n  WITH (partitions=1) AS "
	)
	for _, c := range []struct {
		name  string
		sel   string
		props map[string]string
		at    string // line:column
		msg   string // part of the message, unchanged
		// prefix makes the CREATE ... AS SELECT form of sel, "" for none.
		prefix string
	}{
		{"SELECT column", "SELECT K,\n       NOPE\nFROM S EMIT CHANGES;", nil, "2:8", "SELECT column 'NOPE' cannot be resolved.", csas},
		{"WHERE column", "SELECT K, I\nFROM S\nWHERE I > 1 AND NOPE = 1\nEMIT CHANGES;", nil, "3:17", "WHERE column 'NOPE' cannot be resolved.", csas},
		{"GROUP BY column", "SELECT NOPE, COUNT(*) AS C\nFROM S\nGROUP BY NOPE\nEMIT CHANGES;", nil, "3:10", "Column 'NOPE' cannot be resolved.", ctas},
		{"PARTITION BY column", "SELECT K, I FROM S\n  PARTITION BY NOPE EMIT CHANGES;", nil, "2:16", "PARTITION BY column 'NOPE' cannot be resolved.", csas},
		{"HAVING column", "SELECT K, COUNT(*) AS C FROM S GROUP BY K\nHAVING SUM(NOPE) > 1 EMIT CHANGES;", nil, "2:12", "Column 'NOPE' cannot be resolved.", ctas},
		{"unknown source", "SELECT *\nFROM NOPE EMIT CHANGES;", nil, "2:6", "NOPE does not exist.", csas},
		{"unknown joined source", "SELECT * FROM S\nJOIN NOPE ON S.K = NOPE.K EMIT CHANGES;", nil, "2:6", "NOPE does not exist.", csas},
		{"JOIN ON column", "SELECT * FROM S JOIN T\n  ON S.NOPE = T.K EMIT CHANGES;", nil, "2:6", "JOIN ON column 'S.NOPE' cannot be resolved.", csas},
		{"unknown function", "SELECT K,\n  NOPEFN(I) FROM S EMIT CHANGES;", nil, "2:3", "Can't find any functions with the name 'NOPEFN'", csas},
		{"scalar argument types", "SELECT K, UCASE(I) FROM S EMIT CHANGES;", nil, "1:11", "Function 'ucase' does not accept parameters (INTEGER).", csas},
		{"aggregate argument types", "SELECT K,\n  AVG(N) AS A FROM S GROUP BY K EMIT CHANGES;", nil, "2:3", "Function 'AVG' does not accept parameters (STRING).", ctas},
		{"WHERE not boolean", "SELECT K, I FROM S\nWHERE I + 1 EMIT CHANGES;", nil, "2:7", "Type error in WHERE expression: Should evaluate to boolean", csas},
		{"aggregate in WHERE", "SELECT K, I FROM S\nWHERE COUNT(*) > 1 EMIT CHANGES;", nil, "2:7", "Aggregate function COUNT cannot be used here", csas},
		{"window on a table", "SELECT K, COUNT(*) AS C FROM T\nWINDOW TUMBLING (SIZE 1 SECOND)\nGROUP BY K EMIT CHANGES;", nil, "2:8", "KSQL does not support windowed aggregations over tables.", ctas},
		{"window advance past size", "SELECT K, COUNT(*) AS C FROM S\nWINDOW HOPPING (SIZE 1 SECOND, ADVANCE BY 2 SECONDS)\nGROUP BY K EMIT CHANGES;", nil, "2:8", "invalid window", ctas},
		{"push LIMIT", "\n  SELECT K FROM S EMIT CHANGES LIMIT -1;", nil, "2:3", "Push queries don't support negative integers in the LIMIT clause.", csas},
		{"EMIT FINAL", "SELECT K, I\nFROM S EMIT FINAL;", nil, "1:1", "EMIT FINAL is only supported for windowed aggregations.", ""},
		{"arithmetic on NULL", "SELECT K,\n  I + NULL FROM S EMIT CHANGES;", nil, "2:3", "Arithmetic on types INTEGER and null are not supported.", ""},
		{"pull on a stream", "SELECT *\n  FROM S;", noStreams, "2:8", "Pull queries on streams are disabled.", ""},
		{"pull WHERE on a value column", "SELECT * FROM AGG\nWHERE C = 1;", noScans, "2:7", "WHERE clause missing key column for disjunct: (C = 1)", ""},
		{"pull on a table not materialized", "SELECT *\nFROM T;", nil, "2:6", "The `T` table isn't queryable.", ""},
		{"pull GROUP BY", "SELECT K, COUNT(*) FROM AGG\nGROUP BY K;", nil, "2:10", "Pull queries don't support GROUP BY clauses.", ""},
		{"pull WINDOW", "SELECT * FROM AGG\n  WINDOW TUMBLING (SIZE 1 SECOND);", nil, "2:10", "Pull queries don't support WINDOW clauses.", ""},
		{"pull LIMIT", "SELECT * FROM AGG\nLIMIT 1;", noLimits, "1:1", "LIMIT clause in pull queries is currently disabled.", ""},
		{"not a SELECT", "\nSHOW STREAMS;", nil, "2:1", "Not a SELECT statement", ""},
		{"syntax", "SELECT *\nFROM S EMIT CHANGES LIMIT x;", nil, "2:27", "Syntax Error", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t, setup...)
			_, err := e.PlanTransient(c.sel, c.props)
			var ee *engine.Error
			if !errors.As(err, &ee) {
				t.Fatalf("%q: %v (%T), want an *engine.Error", c.sel, err, err)
			}
			if got := fmt.Sprintf("%d:%d", ee.Line, ee.Column); got != c.at || !strings.Contains(ee.Msg, c.msg) {
				t.Errorf("%q: at %s: %q, want at %s: %q", c.sel, got, ee.Msg, c.at, c.msg)
			}
			if c.prefix == "" {
				return
			}
			err = e.Execute(c.prefix + c.sel)
			var ce *engine.Error
			if !errors.As(err, &ce) {
				t.Fatalf("%q: %v (%T), want an *engine.Error", c.prefix+c.sel, err, err)
			}
			line, col := ce.Line, ce.Column
			if n := strings.Count(c.prefix, "\n"); n > 0 {
				line -= n
			}
			if line == 1 {
				col -= len(c.prefix) - strings.LastIndex(c.prefix, "\n") - 1
			}
			if line != ee.Line || col != ee.Column {
				t.Errorf("%q: at %d:%d (%d:%d in the SELECT), the transient form at %d:%d",
					c.prefix+c.sel, ce.Line, ce.Column, line, col, ee.Line, ee.Column)
			}
		})
	}
}
