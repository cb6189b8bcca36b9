package sqlcli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/parser"
)

// Which push queries answer with a table's changes, and which columns of
// their rows make up the key, for the live table (live.go).
//
// A KEY column alone does not make a table: a stream's rows have keys too
// (ksqlDB's /query header marks them KEY for a stream as for a table), and
// two rows of a stream with one key are two events, not an update. So the
// statement says whether the rows are a table's, as ksqlDB's planner would:
//
//	GROUP BY e1, e2 ...   a table keyed by the select items that are e1,
//	                      e2 ... (all must be selected), plus WINDOWSTART
//	                      and WINDOWEND when windowed (one of them must be
//	                      selected)
//	FROM t, t a TABLE     t's changes, keyed by t's key columns (all must be
//	                      selected, by * or by name), plus WINDOWSTART and
//	                      WINDOWEND when selected
//	anything else         a stream: a stream's rows, a join, PARTITION BY
//
// Whether t is a table, and its key, come from the server (DESCRIBE), asked
// when the query starts. When the server marked the key columns in the
// query's header (QueryStream.Key) those are the key; ksqlDB's /query-stream
// header, which the shell reads, marks none, and neither does ours.

// sourceKind is what the shell needs to know of a source: whether it is a
// table, and its key columns.
type sourceKind struct {
	table bool
	key   []string
}

// describeFunc returns a source's kind, asking the server.
type describeFunc func(ctx context.Context, name string) (sourceKind, error)

// resultKey returns the indexes in cols of the key columns of the rows that
// push query stmt answers with when they are a table's changes, or nil when
// they are not or the shell cannot tell their key. marked is the server's
// marking (QueryStream.Key); describe is asked only for a query over one
// source without GROUP BY.
func resultKey(ctx context.Context, stmt string, cols []string, marked []bool, describe describeFunc) []int {
	st, err := parser.ParseStatement(stmt)
	if err != nil {
		return nil
	}
	sel, ok := st.(*ast.Select)
	if !ok || sel.Query == nil || sel.Query.PartitionBy != nil {
		return nil
	}
	q := sel.Query
	var kind sourceKind
	ref, _ := q.From.(*ast.SourceRef)
	if len(q.GroupBy) == 0 {
		if ref == nil || describe == nil {
			return nil
		}
		if kind, err = describe(ctx, ref.Name); err != nil || !kind.table {
			return nil
		}
	}
	var key []int
	for i, m := range marked {
		if m {
			key = append(key, i)
		}
	}
	if key != nil {
		return key
	}
	var window []int // WINDOWSTART and WINDOWEND, when selected
	for i, c := range cols {
		if strings.EqualFold(c, "WINDOWSTART") || strings.EqualFold(c, "WINDOWEND") {
			window = append(window, i)
		}
	}
	items := q.Select
	star := slices.ContainsFunc(items, func(it ast.SelectItem) bool {
		_, ok := it.Expr.(*ast.AllColumns)
		return ok
	})
	if len(q.GroupBy) > 0 {
		if star || len(items) != len(cols) || (q.Window != nil && window == nil) {
			return nil
		}
		for _, g := range q.GroupBy {
			i := slices.IndexFunc(items, func(it ast.SelectItem) bool { return sameExpr(it.Expr, g) })
			if i < 0 {
				return nil
			}
			key = append(key, i)
		}
		return sortedUnique(append(key, window...))
	}
	if len(kind.key) == 0 {
		return nil
	}
	for _, k := range kind.key {
		i := -1
		switch {
		case len(items) == 1 && star:
			i = slices.Index(cols, k)
		case !star && len(items) == len(cols):
			i = slices.IndexFunc(items, func(it ast.SelectItem) bool {
				c, ok := it.Expr.(*ast.ColumnRef)
				return ok && c.Name == k && (c.Qualifier == "" || c.Qualifier == ref.Name || c.Qualifier == ref.Alias)
			})
		}
		if i < 0 {
			return nil
		}
		key = append(key, i)
	}
	return sortedUnique(append(key, window...))
}

// sameExpr reports whether a select item's expression is a GROUP BY
// expression: the same text, or the same column however qualified.
func sameExpr(a, b ast.Expr) bool {
	ca, okA := a.(*ast.ColumnRef)
	cb, okB := b.(*ast.ColumnRef)
	if okA && okB {
		return ca.Name == cb.Name
	}
	return ast.Format(a) == ast.Format(b)
}

func sortedUnique(s []int) []int {
	slices.Sort(s)
	return slices.Compact(s)
}

// describeSource asks the server for a source's kind (DESCRIBE): ksqlDB's
// sourceDescription says "type": "TABLE" for a table and marks its key
// fields "type": "KEY".
func (s *Shell) describeSource(ctx context.Context, name string) (sourceKind, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ents, err := s.client.KSQL(ctx, "DESCRIBE "+ast.QuoteIdent(name, false)+";", s.props)
	if err != nil {
		return sourceKind{}, err
	}
	for _, e := range ents {
		sd, ok := e["sourceDescription"].(map[string]any)
		if !ok {
			continue
		}
		var k sourceKind
		k.table = fmt.Sprint(sd["type"]) == "TABLE"
		fields, _ := sd["fields"].([]any)
		for _, x := range fields {
			if f, ok := x.(map[string]any); ok && f["type"] == "KEY" {
				if n, ok := f["name"].(string); ok {
					k.key = append(k.key, n)
				}
			}
		}
		return k, nil
	}
	return sourceKind{}, fmt.Errorf("DESCRIBE %s: no source description in the answer", name)
}
