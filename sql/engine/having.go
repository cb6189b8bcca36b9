package engine

import (
	"fmt"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/types"
)

// rewrite returns a copy of e with every subexpression f maps replaced
// (f returns nil to descend). Only the expression kinds HAVING can hold are
// walked; others are kept as they are.
func rewrite(e ast.Expr, f func(ast.Expr) ast.Expr) ast.Expr {
	if e == nil {
		return nil
	}
	if r := f(e); r != nil {
		return r
	}
	switch x := e.(type) {
	case *ast.Arithmetic:
		c := *x
		c.Left, c.Right = rewrite(x.Left, f), rewrite(x.Right, f)
		return &c
	case *ast.Negate:
		c := *x
		c.Operand = rewrite(x.Operand, f)
		return &c
	case *ast.Comparison:
		c := *x
		c.Left, c.Right = rewrite(x.Left, f), rewrite(x.Right, f)
		return &c
	case *ast.Logical:
		c := *x
		c.Left, c.Right = rewrite(x.Left, f), rewrite(x.Right, f)
		return &c
	case *ast.Not:
		c := *x
		c.Operand = rewrite(x.Operand, f)
		return &c
	case *ast.IsNull:
		c := *x
		c.Operand = rewrite(x.Operand, f)
		return &c
	case *ast.Between:
		c := *x
		c.Operand, c.Low, c.High = rewrite(x.Operand, f), rewrite(x.Low, f), rewrite(x.High, f)
		return &c
	case *ast.InList:
		c := *x
		c.Operand = rewrite(x.Operand, f)
		c.List = make([]ast.Expr, len(x.List))
		for i, l := range x.List {
			c.List[i] = rewrite(l, f)
		}
		return &c
	case *ast.Cast:
		c := *x
		c.Operand = rewrite(x.Operand, f)
		return &c
	case *ast.FunctionCall:
		c := *x
		c.Args = make([]ast.Expr, len(x.Args))
		for i, a := range x.Args {
			c.Args[i] = rewrite(a, f)
		}
		return &c
	case *ast.Case:
		c := *x
		c.Operand, c.Else = rewrite(x.Operand, f), rewrite(x.Else, f)
		c.Whens = make([]ast.WhenClause, len(x.Whens))
		for i, w := range x.Whens {
			c.Whens[i] = ast.WhenClause{When: rewrite(w.When, f), Then: rewrite(w.Then, f)}
		}
		return &c
	}
	return e
}

// postCompile compiles an expression evaluated after aggregation (HAVING,
// or a select item over aggregates and grouping expressions): each
// aggregate call becomes a hidden aggregator and each grouping expression
// a reference to the group's key value. The expression's row is the
// group's key values, then the hidden aggregators' results (postRow).
func (e *Engine) postCompile(x ast.Expr, aq *aggQuery, groupBy []ast.Expr, scope *expr.Scope, opts expr.Options) (expr.Compiled, error) {
	groupText := map[string]int{}
	for i, g := range groupBy {
		groupText[ast.Format(g)] = i
	}
	if aq.postScope == nil {
		aq.postScope = &expr.Scope{}
		for i, g := range aq.groups {
			aq.postScope.Columns = append(aq.postScope.Columns, expr.Column{Name: fmt.Sprintf("KSQL_GROUP_%d", i), Type: g.Type()})
		}
		if aq.windowed() {
			for _, b := range []string{"WINDOWSTART", "WINDOWEND"} {
				aq.postScope.Columns = append(aq.postScope.Columns, expr.Column{Name: "KSQL_" + b, Type: types.TBigint()})
			}
		}
	}
	var failure error
	rewritten := rewrite(x, func(x ast.Expr) ast.Expr {
		if i, ok := groupText[ast.Format(x)]; ok {
			return &ast.ColumnRef{At: x.Pos(), Name: fmt.Sprintf("KSQL_GROUP_%d", i)}
		}
		if cr, ok := x.(*ast.ColumnRef); ok && aq.windowed() && (cr.Name == "WINDOWSTART" || cr.Name == "WINDOWEND") {
			return &ast.ColumnRef{At: cr.At, Name: "KSQL_" + cr.Name}
		}
		fc, ok := x.(*ast.FunctionCall)
		if !ok || !isAggregateName(fc.Name) {
			return nil
		}
		ag, err := e.planAggCall(fc, aq, scope, opts)
		if err != nil {
			failure = err
			return x
		}
		idx := len(aq.aggs)
		aq.aggs = append(aq.aggs, ag)
		col := fmt.Sprintf("KSQL_AGG_%d", idx)
		aq.postScope.Columns = append(aq.postScope.Columns, expr.Column{Name: col, Type: ag.typ})
		aq.postAggs = append(aq.postAggs, idx)
		return &ast.ColumnRef{At: fc.At, Name: col}
	})
	if failure != nil {
		return nil, failure
	}
	c, err := expr.Compile(rewritten, aq.postScope, opts)
	if err != nil {
		return nil, statementErr("%v", err)
	}
	return c, nil
}

// postRow is the row post-aggregation expressions read for group gs.
func (aq *aggQuery) postRow(gs []types.Value, accs []any) []types.Value {
	row := append([]types.Value(nil), gs...)
	if aq.windowed() {
		row = append(row, int64(0), int64(0)) // outputRow fills in the window bounds
	}
	for _, a := range aq.postAggs {
		row = append(row, aq.aggs[a].result(accs[a]))
	}
	return row
}
