package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/serde"
	"github.com/streamlite/streamlite/sql/types"
)

// Planning of aggregate calls and the checks ksqlDB makes on an
// aggregation's shape.

// extraAggregates are aggregate functions sql/expr does not list.
var extraAggregates = map[string]bool{"SUM_LIST": true}

// isAggregateName reports whether name (any case) is an aggregate function.
func isAggregateName(name string) bool {
	return expr.IsAggregateCall(name) || extraAggregates[strings.ToUpper(name)]
}

// tableAggregates can aggregate a table: they undo a row's old value.
var tableAggregates = map[string]bool{
	"COUNT": true, "SUM": true, "COLLECT_LIST": true, "AVG": true, "STDDEV_SAMP": true,
	"STDDEV_SAMPLE": true, "CORRELATION": true, "HISTOGRAM": true, "SUM_LIST": true,
}

// streamOnlyAggregates cannot aggregate a table in ksqlDB either.
var streamOnlyAggregates = map[string]bool{
	"MIN": true, "MAX": true, "TOPK": true, "TOPKDISTINCT": true, "COLLECT_SET": true,
	"COUNT_DISTINCT": true, "EARLIEST_BY_OFFSET": true, "LATEST_BY_OFFSET": true,
}

// primitiveStateAggregates keep a primitive intermediate value; the others
// need a value format that holds ARRAY, STRUCT or MAP.
var primitiveStateAggregates = map[string]bool{
	"COUNT": true, "SUM": true, "MIN": true, "MAX": true, "SUM_LIST": true,
}

// checkAggSource rejects aggregations ksqlDB does not run over from: any
// over KAFKA-format values; over a table, aggregates that cannot undo a
// value; over DELIMITED values, aggregates whose intermediate state
// DELIMITED cannot hold (ksqlDB keeps the state in the source's value
// format).
func checkAggSource(from *Source, aggs []aggregator) error {
	if from.ValueFormat == serde.FormatKafka {
		return statementErr("Source(s) %s are using the 'KAFKA' value format. This format does not yet support GROUP BY.", from.Name)
	}
	if from.Table {
		var never, notYet []string
		for _, ag := range aggs {
			switch {
			case tableAggregates[ag.name]:
			case streamOnlyAggregates[ag.name]:
				if !slices.Contains(never, ag.name) {
					never = append(never, ag.name)
				}
			default:
				notYet = append(notYet, ag.name)
			}
		}
		if len(never) > 0 {
			s := ""
			if len(never) > 1 {
				s = "s"
			}
			return statementErr("The aggregation function%s %s cannot be applied to a table source, only to a stream source.", s, joinAnd(never))
		}
		if len(notYet) > 0 {
			return statementErr("aggregating a table with %s is not supported yet", notYet[0])
		}
	}
	if from.ValueFormat == serde.FormatDelimited {
		for _, ag := range aggs {
			if !primitiveStateAggregates[ag.name] {
				return statementErr("One of the functions used in the statement has an intermediate type that the value format can not handle. Please remove the function or change the format.")
			}
		}
	}
	return nil
}

// joinAnd lists names as "A", "A and B", "A, B and C".
func joinAnd(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// argStruct evaluates several expressions into one STRUCT, so that an
// aggregate over several columns folds a single value.
type argStruct struct {
	args []expr.Compiled
	typ  types.Type
}

func (a argStruct) Type() types.Type { return a.typ }

func (a argStruct) Eval(row []types.Value) (types.Value, error) {
	out := make(types.Struct, len(a.args))
	for i, c := range a.args {
		v, err := c.Eval(row)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// paramsErr is ksqlDB's error for arguments a function does not take.
func paramsErr(name string, ts ...types.Type) error {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return statementErr("Function '%s' does not accept parameters (%s).", name, strings.Join(parts, ", "))
}

// planAggCall builds the aggregator of the aggregate call fc (a select
// item, or one inside HAVING or a select expression). Its arguments read
// rows laid out as scope; aq is the query it belongs to.
func (e *Engine) planAggCall(fc *ast.FunctionCall, aq *aggQuery, scope *expr.Scope, opts expr.Options) (_ aggregator, err error) {
	defer func() { err = blame(err, fc) }()
	name := strings.ToUpper(fc.Name)
	if !supportedAggs[name] || fc.Distinct {
		return aggregator{}, statementErr("aggregate %s is not supported yet", ast.Format(fc))
	}
	ag := aggregator{name: name, limit: 1000}
	if v, ok := e.props["ksql.functions."+strings.ToLower(name)+".limit"]; ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			ag.limit = n
		}
	}
	compile := func(x ast.Expr) (expr.Compiled, error) {
		c, err := expr.Compile(x, scope, opts)
		if err != nil {
			return nil, statementErr("%v", err)
		}
		return c, nil
	}
	for _, x := range fc.Args {
		if err := noWindowBounds(x); err != nil {
			return aggregator{}, err
		}
	}
	args := fc.Args
	if fc.Star || len(args) == 0 {
		if name == "COUNT" {
			ag.typ = types.TBigint()
			return ag, nil // every row counts
		}
		// ksqlDB aggregates ROWTIME when given * or no argument.
		args = []ast.Expr{&ast.ColumnRef{Name: "ROWTIME"}}
	}
	arg, err := compile(args[0])
	if err != nil {
		return aggregator{}, err
	}
	ag.arg, ag.typ = arg, arg.Type()
	extra := args[1:]
	argTypes := func() []types.Type {
		ts := []types.Type{arg.Type()}
		for _, x := range extra {
			if c, err := expr.Compile(x, scope, opts); err == nil {
				ts = append(ts, c.Type())
			}
		}
		return ts
	}
	count := func(x ast.Expr) error {
		n, ok := countArg(x)
		if !ok {
			return statementErr("aggregate %s: the count argument must be a positive integer literal", ast.Format(fc))
		}
		ag.n = n
		return nil
	}
	switch name {
	case "EARLIEST_BY_OFFSET", "LATEST_BY_OFFSET":
		if len(extra) > 0 {
			if ignore, ok := boolArg(extra[len(extra)-1]); ok {
				ag.keepNulls = !ignore
				extra = extra[:len(extra)-1]
			}
		}
		switch len(extra) {
		case 0:
		case 1:
			if err := count(extra[0]); err != nil {
				return aggregator{}, err
			}
			ag.typ = types.ArrayOf(ag.typ)
		default:
			return aggregator{}, paramsErr(name, argTypes()...)
		}
		if aq != nil && aq.session != nil {
			// Merging sessions needs each value's offset.
			off, err := compile(&ast.ColumnRef{Name: "ROWOFFSET"})
			if err != nil {
				return aggregator{}, err
			}
			ag.arg = argStruct{args: []expr.Compiled{off, arg}, typ: types.StructOf(
				types.Field{Name: "SEQ", Type: off.Type()}, types.Field{Name: "VAL", Type: arg.Type()})}
			ag.seq = true
		}
		return ag, nil
	case "TOPK", "TOPKDISTINCT":
		if len(extra) == 0 || (name == "TOPKDISTINCT" && len(extra) > 1) {
			return aggregator{}, paramsErr(name, argTypes()...)
		}
		if err := count(extra[len(extra)-1]); err != nil {
			return aggregator{}, err
		}
		if cols := extra[:len(extra)-1]; len(cols) > 0 {
			// TOPK(x, c..., n) keeps the top rows as STRUCT<sort_col, col0, ...>.
			st := argStruct{args: []expr.Compiled{arg}}
			fields := []types.Field{{Name: "sort_col", Type: arg.Type()}}
			for i, x := range cols {
				c, err := compile(x)
				if err != nil {
					return aggregator{}, err
				}
				st.args = append(st.args, c)
				fields = append(fields, types.Field{Name: fmt.Sprintf("col%d", i), Type: c.Type()})
			}
			st.typ = types.StructOf(fields...)
			ag.arg, ag.typ = st, st.typ
		}
		ag.typ = types.ArrayOf(ag.typ)
		return ag, nil
	case "CORRELATION":
		if len(extra) != 1 {
			return aggregator{}, paramsErr(name, argTypes()...)
		}
		y, err := compile(extra[0])
		if err != nil {
			return aggregator{}, err
		}
		if !arg.Type().IsNumeric() || !y.Type().IsNumeric() {
			return aggregator{}, paramsErr(name, arg.Type(), y.Type())
		}
		ag.arg = argStruct{args: []expr.Compiled{arg, y}, typ: types.StructOf(
			types.Field{Name: "X", Type: arg.Type()}, types.Field{Name: "Y", Type: y.Type()})}
		ag.typ = types.TDouble()
		return ag, nil
	}
	if len(extra) > 0 {
		return aggregator{}, paramsErr(name, argTypes()...)
	}
	switch name {
	case "COUNT", "COUNT_DISTINCT":
		ag.typ = types.TBigint()
	case "COLLECT_LIST", "COLLECT_SET":
		ag.typ = types.ArrayOf(ag.typ)
	case "AVG", "STDDEV_SAMP", "STDDEV_SAMPLE":
		if !isSumKind(arg.Type().Kind) {
			return aggregator{}, paramsErr(name, arg.Type())
		}
		ag.typ = types.TDouble()
	case "HISTOGRAM":
		if arg.Type().Kind != types.KindString {
			return aggregator{}, paramsErr(name, arg.Type())
		}
		ag.typ = types.MapOf(types.TString(), types.TBigint())
	case "SUM_LIST":
		t := arg.Type()
		if t.Kind != types.KindArray || t.Elem == nil || !isSumKind(t.Elem.Kind) {
			return aggregator{}, paramsErr(name, t)
		}
		ag.typ = *t.Elem
	}
	return ag, nil
}

// isSumKind reports the kinds AVG, STDDEV_* and SUM_LIST add up.
func isSumKind(k types.Kind) bool {
	return k == types.KindInt || k == types.KindBigint || k == types.KindDouble
}

// selectItems is the select list with * expanded to the source's key and
// value columns.
func selectItems(sel []ast.SelectItem, from *Source) []ast.SelectItem {
	if from == nil || !slices.ContainsFunc(sel, func(si ast.SelectItem) bool { _, ok := si.Expr.(*ast.AllColumns); return ok }) {
		return sel
	}
	var out []ast.SelectItem
	for _, si := range sel {
		all, ok := si.Expr.(*ast.AllColumns)
		if !ok {
			out = append(out, si)
			continue
		}
		for _, c := range from.Columns {
			if c.NS == NSKey || c.NS == NSValue {
				out = append(out, ast.SelectItem{Expr: &ast.ColumnRef{At: all.At, Name: c.Name}})
			}
		}
	}
	return out
}

// checkAggColumns rejects an aggregation's sink schema without value
// columns or with a value column named like another column.
func checkAggColumns(keyCols, valCols []Column) error {
	if len(valCols) == 0 {
		return statementErr("The projection contains no value columns.")
	}
	seen := map[string]bool{}
	for _, c := range keyCols {
		seen[c.Name] = true
	}
	for _, c := range valCols {
		if seen[c.Name] {
			return statementErr("Duplicate value columns found in schema: `%s` %s", c.Name, c.Type)
		}
		seen[c.Name] = true
	}
	return nil
}

// noWindowBounds rejects WINDOWSTART and WINDOWEND in x, a part of an
// aggregation other than its select expressions (GROUP BY, HAVING, an
// aggregate's argument).
func noWindowBounds(x ast.Expr) error {
	var found *ast.ColumnRef
	rewrite(x, func(x ast.Expr) ast.Expr {
		if cr, ok := x.(*ast.ColumnRef); ok && found == nil && (cr.Name == "WINDOWSTART" || cr.Name == "WINDOWEND") {
			found = cr
		}
		return nil
	})
	if found != nil {
		return errAt(found, "Window bounds column %s can only be used in the SELECT clause of windowed aggregations", found.Name)
	}
	return nil
}

// noGroupByErr is the error for aggregate calls without GROUP BY (which
// ksqlDB does not run either), in ksqlDB's words.
func noGroupByErr(qa *ast.Query) error {
	var plain, aggs []string
	var firstPlain, firstAgg ast.Expr
	for _, si := range qa.Select {
		fc, ok := si.Expr.(*ast.FunctionCall)
		if !ok || !isAggregateName(fc.Name) {
			plain = append(plain, ast.Format(si.Expr))
			if firstPlain == nil {
				firstPlain = si.Expr
			}
			continue
		}
		if firstAgg == nil {
			firstAgg = fc
		}
		c := *fc
		if c.Star || len(c.Args) == 0 {
			c.Star, c.Args = false, []ast.Expr{&ast.ColumnRef{Name: "ROWTIME"}}
		}
		aggs = append(aggs, ast.Format(&c))
	}
	if len(plain) > 0 {
		return errAt(firstPlain, "Non-aggregate SELECT expression(s) not part of GROUP BY: %s", strings.Join(plain, ", "))
	}
	return errAt(firstAgg, "CREATE TABLE AS SELECT statement does not support aggregate function [%s] without a GROUP BY clause.", strings.Join(aggs, ", "))
}

// windowed reports whether the aggregation has a window, whose bounds
// select expressions can read (postRow).
func (aq *aggQuery) windowed() bool { return aq.window != nil || aq.session != nil }
