package engine

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/types"
)

// Pull queries (ksqlDB's "pull queries"): a SELECT without EMIT CHANGES
// answered once from the current state of a materialized table (a
// CREATE TABLE AS SELECT sink or a CREATE SOURCE TABLE), or from every
// record of a stream. The state is rebuilt from the table's topic: the
// latest row of each key (and window), tombstones deleting. ksqlDB looks
// keys up, range-scans or scans the whole table depending on the WHERE
// clause and ksql.query.pull.table.scan.enabled /
// ksql.query.pull.range.scan.enabled; the answer does not depend on which,
// so PullRows always filters every row, and planning only refuses what
// ksqlDB refuses, with its messages.

// moreInfo ends ksqlDB's pull-query refusals.
const moreInfo = " See https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue a push query."

// whereErr is ksqlDB's refusal of a pull query's WHERE clause: the
// message, a period, then where to read more.
func whereErr(format string, args ...any) error {
	return statementErr("%s. See https://cnfl.io/queries for more info.", fmt.Sprintf(format, args...))
}

// planPull plans a pull query into t.
func (e *Engine) planPull(qa *ast.Query, t *Transient, props map[string]string) error {
	if j, ok := qa.From.(*ast.Join); ok {
		return errAt(j, "Pull queries don't support JOIN clauses."+moreInfo)
	}
	for _, c := range []struct {
		set  bool
		what string
		at   ast.Pos
	}{
		{len(qa.GroupBy) > 0, "GROUP BY", firstPos(qa.GroupBy)},
		{qa.Window != nil, "WINDOW", windowPos(qa.Window)},
		{qa.PartitionBy != nil, "PARTITION BY", firstPos(qa.PartitionBy)},
		{qa.Having != nil, "HAVING", nodePos(qa.Having)},
	} {
		if c.set {
			return posErr(c.at, "Pull queries don't support %s clauses."+moreInfo, c.what)
		}
	}
	if isAggregating(qa) {
		return posErr(firstAggregate(qa), "Pull queries don't support aggregate functions."+moreInfo)
	}
	if qa.HasLimit {
		if props["ksql.query.pull.limit.clause.enabled"] == "false" {
			return statementErr("LIMIT clause in pull queries is currently disabled. You can enable them by setting ksql.query.pull.limit.clause.enabled=true." + moreInfo)
		}
		if qa.Limit < 0 {
			return statementErr("Pull queries don't support negative integers in the LIMIT clause. See https://cnfl.io/queries for more info.")
		}
	}
	ref, ok := qa.From.(*ast.SourceRef)
	if !ok {
		return statementErr("this FROM clause is not supported yet")
	}
	src, ok := e.sources[ref.Name]
	if !ok {
		return errAt(ref, "%s does not exist.", ref.Name)
	}
	if src.Table {
		if !src.IsSource && !e.written(src) {
			return errAt(ref, "The `%s` table isn't queryable. To derive a queryable table, you can do 'CREATE TABLE QUERYABLE_%s AS SELECT * FROM %s'. See https://cnfl.io/queries for more info.", src.Name, src.Name, src.Name)
		}
	} else if props["ksql.query.pull.stream.enabled"] == "false" {
		return errAt(ref, "Pull queries on streams are disabled. To create a push query on the stream, add EMIT CHANGES to the end. To enable pull queries on streams, set the ksql.query.pull.stream.enabled config to 'true'.")
	}
	sel := make([]ast.Expr, len(qa.Select))
	for i, si := range qa.Select {
		sel[i] = si.Expr
	}
	if cs := pseudoColumns(sel...); len(cs) > 0 {
		return posErr(firstPseudo(sel...), "Pull queries don't support the following columns in SELECT clauses: %s", strings.Join(cs, ", "))
	}
	if cs := pseudoColumns(qa.Where); len(cs) > 0 {
		return posErr(firstPseudo(qa.Where), "Pull queries don't support the following columns in WHERE clauses: %s", strings.Join(cs, ", "))
	}
	qual := qualifierOf(ref)
	k := &keyCheck{src: src, qual: qual, keys: src.keyColumns(), keyIdx: map[string]int{},
		windowed: e.windowOf(src).kind != "",
		scan:     props["ksql.query.pull.table.scan.enabled"] != "false",
		ranges:   props["ksql.query.pull.range.scan.enabled"] != "false",
		opts:     expr.Options{Props: props}}
	for i, c := range k.keys {
		k.keyIdx[c.Name] = i
	}
	if qa.Where != nil {
		if err := k.precheck(qa.Where); err != nil {
			return err
		}
	}
	p, err := e.newProjection(qa, src, qual)
	if err != nil {
		return err
	}
	if src.Table {
		if qa.Where != nil {
			if err := k.checkIn(qa.Where); err != nil {
				return err
			}
		}
		if err := k.check(qa.Where); err != nil {
			return err
		}
	}
	t.proj, t.cols, t.table = p, p.cols, src.Table
	t.inputs = []string{src.Topic}
	t.window = p.window.kind
	t.sources[src.Topic] = p.window
	return nil
}

// firstPos is the position of the first of xs, the zero Pos for none.
func firstPos(xs []ast.Expr) ast.Pos {
	if len(xs) == 0 {
		return ast.Pos{}
	}
	return nodePos(xs[0])
}

// windowPos is w's position, the zero Pos for none.
func windowPos(w *ast.Window) ast.Pos {
	if w == nil {
		return ast.Pos{}
	}
	return w.At
}

// firstAggregate is the position of qa's first aggregate call in the
// select list, the zero Pos for none.
func firstAggregate(qa *ast.Query) ast.Pos {
	for _, si := range qa.Select {
		if fc, ok := si.Expr.(*ast.FunctionCall); ok && isAggregateName(fc.Name) {
			return fc.At
		}
	}
	return ast.Pos{}
}

// firstPseudo is the position of the first ROWPARTITION or ROWOFFSET
// reference in xs, the zero Pos for none.
func firstPseudo(xs ...ast.Expr) ast.Pos {
	for _, x := range xs {
		if x == nil {
			continue
		}
		for _, cr := range columnRefs(x, nil) {
			if cr.Name == "ROWPARTITION" || cr.Name == "ROWOFFSET" {
				return cr.At
			}
		}
	}
	return ast.Pos{}
}

// written reports whether a persistent query writes src (so ksqlDB
// materializes it).
func (e *Engine) written(src *Source) bool {
	return slices.ContainsFunc(e.queries, func(q *query) bool { return q.sink == src })
}

// keyCheck checks a pull query's WHERE over a table as ksqlDB's planner
// does: each disjunct must pin every key column with = or IN to values it
// can compute (or a STRING key to a range, with range scans on),
// otherwise the query scans the table, which may be switched off.
type keyCheck struct {
	src      *Source
	qual     string
	keys     []Column
	keyIdx   map[string]int
	windowed bool
	// scan and ranges are ksql.query.pull.table.scan.enabled and
	// ksql.query.pull.range.scan.enabled.
	scan, ranges bool
	opts         expr.Options
}

// column names the column x references, when x is a plain reference to
// one of the source's columns.
func (k *keyCheck) column(x ast.Expr) (string, bool) {
	cr, ok := x.(*ast.ColumnRef)
	if !ok || (cr.Qualifier != "" && cr.Qualifier != k.qual) {
		return "", false
	}
	return cr.Name, true
}

func (k *keyCheck) isKey(name string) bool {
	_, ok := k.keyIdx[name]
	return ok
}

func (k *keyCheck) isBound(name string) bool {
	return k.windowed && (name == "WINDOWSTART" || name == "WINDOWEND")
}

// keysText is the key schema as ksqlDB prints it in messages:
// [`ID` STRING KEY].
func (k *keyCheck) keysText() string {
	parts := make([]string, len(k.keys))
	for i, c := range k.keys {
		parts[i] = "`" + c.Name + "` " + c.Type.String() + " KEY"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// scope is the source's row for compiling parts of the WHERE on their
// own.
func (k *keyCheck) scope() *expr.Scope {
	sc := scopeOf(k.src, k.qual)
	if k.windowed {
		sc.Columns = append(sc.Columns, expr.Column{Qualifier: k.qual, Name: "WINDOWSTART", Type: types.TBigint()}, expr.Column{Qualifier: k.qual, Name: "WINDOWEND", Type: types.TBigint()})
	}
	return sc
}

// precheck refuses, before the WHERE is type-checked as a whole, the
// LIKE and BETWEEN forms ksqlDB's pull planner refuses with its own
// words.
func (k *keyCheck) precheck(where ast.Expr) error {
	var err error
	walk(where, func(x ast.Expr) {
		if err != nil {
			return
		}
		switch x := x.(type) {
		case *ast.Like:
			c, cerr := expr.Compile(x.Operand, k.scope(), k.opts)
			if cerr == nil && c.Type().Kind != types.KindString && c.Type().Kind != types.KindInvalid {
				err = errAt(x, "The column type for Like condition must be VARCHAR. The column type is %s", c.Type())
				return
			}
			if _, ok := k.column(x.Operand); !ok && !k.scan {
				err = blame(whereErr("Like condition must be between strings"), x)
			}
		case *ast.Between:
			if _, cerr := expr.Compile(x, k.scope(), k.opts); cerr != nil {
				err = posErr(errPos(cerr, x), "Invalid expression: %s", exprMessage(cerr))
			}
		}
	})
	return err
}

// checkIn refuses a NULL or a value of another type in an IN list on a
// key column.
func (k *keyCheck) checkIn(where ast.Expr) error {
	var err error
	walk(where, func(x ast.Expr) {
		in, ok := x.(*ast.InList)
		if !ok || err != nil {
			return
		}
		name, ok := k.column(in.Operand)
		if !ok || !k.isKey(name) {
			return
		}
		kc := k.keys[k.keyIdx[name]]
		for _, item := range in.List {
			if isNullLiteral(item) {
				err = errAt(item, "Primary key columns can not be NULL: (%s = null)", ast.QuoteIdent(name, false))
				return
			}
			c, cerr := expr.Compile(item, k.scope(), k.opts)
			if cerr != nil {
				continue
			}
			if _, ok := types.CommonType(c.Type(), kc.Type); !ok {
				err = errAt(item, "%s can not be converted to the type of the key column: %s %s KEY", ast.Format(item), ast.QuoteIdent(kc.Name, false), kc.Type)
				return
			}
		}
	})
	return err
}

// check is the key analysis of where (nil: no WHERE) over each of its
// disjuncts.
func (k *keyCheck) check(where ast.Expr) error {
	if where == nil {
		if !k.scan {
			return whereErr("Missing WHERE clause")
		}
		return nil
	}
	needScan := false
	for _, d := range disjuncts(where) {
		found := make([]bool, len(k.keys))
		for _, atom := range d {
			scan, err := k.atom(atom, found)
			if err != nil {
				return blame(err, atom)
			}
			needScan = needScan || scan
		}
		n := 0
		for _, f := range found {
			if f {
				n++
			}
		}
		switch {
		case n == 0:
			if !k.scan {
				return blame(whereErr("WHERE clause missing key column for disjunct: %s", ast.Format(conjunction(d))), d[0])
			}
			needScan = true
		case n < len(k.keys):
			if !k.scan {
				return blame(whereErr("Multi-column sources must specify every key in the WHERE clause"), d[0])
			}
			needScan = true
		}
	}
	if needScan && !k.scan {
		return errAt(where, "Query requires table scan to be enabled")
	}
	return nil
}

// atom looks at one conjunct of a disjunct, marking in found the key
// columns it pins; scan is true when it needs a table scan. Without table
// scans, what cannot be looked up is an error.
func (k *keyCheck) atom(atom ast.Expr, found []bool) (scan bool, err error) {
	orScan := func(format string, args ...any) (bool, error) {
		if !k.scan {
			return false, whereErr(format, args...)
		}
		return true, nil
	}
	pin := func(name string, ranged bool) (bool, error) {
		i := k.keyIdx[name]
		if found[i] {
			return orScan("A comparison condition on the key column cannot be combined with other comparisons such as an IN predicate")
		}
		found[i] = true
		rangeable := k.ranges && len(k.keys) == 1 && k.keys[0].Type.Kind == types.KindString
		return ranged && !rangeable, nil
	}
	switch a := atom.(type) {
	case *ast.Comparison:
		l, lok := k.column(a.Left)
		r, rok := k.column(a.Right)
		var col string
		var other ast.Expr
		switch {
		case lok && (k.isKey(l) || k.isBound(l)):
			col, other = l, a.Right
		case rok && (k.isKey(r) || k.isBound(r)):
			col, other = r, a.Left
		case lok || rok:
			return false, nil // a filter on a value column
		default:
			return true, nil // an expression: evaluated on every row
		}
		if k.isBound(col) {
			return !resolvable(other), nil
		}
		switch a.Op {
		case ast.CmpEq, ast.CmpLt, ast.CmpLtEq, ast.CmpGt, ast.CmpGtEq:
		default:
			return orScan("Bound on key columns '%s' must currently be '='", k.keysText())
		}
		if !resolvable(other) {
			return orScan("A comparison must be between a key column and a resolvable expression")
		}
		return pin(col, a.Op != ast.CmpEq)
	case *ast.InList:
		col, ok := k.column(a.Operand)
		if !ok || !k.isKey(col) {
			return false, nil
		}
		if a.Not {
			return orScan("Bound on key columns '%s' must currently be '='", k.keysText())
		}
		for _, item := range a.List {
			if !resolvable(item) {
				return orScan("A comparison must be between a key column and a resolvable expression")
			}
		}
		return pin(col, false)
	case *ast.Between:
		col, ok := k.column(a.Operand)
		if !ok || !k.isKey(col) {
			return false, nil
		}
		if a.Not || !resolvable(a.Low) || !resolvable(a.High) {
			return orScan("A comparison must be between a key column and a resolvable expression")
		}
		return pin(col, true)
	case *ast.Like:
		if col, ok := k.column(a.Operand); ok && k.isKey(col) {
			return true, nil
		}
		return false, nil
	}
	return false, nil
}

// resolvable reports whether x reads no column: ksqlDB computes it once.
func resolvable(x ast.Expr) bool { return len(columnRefs(x, nil)) == 0 }

// maxDisjuncts bounds the disjunctive normal form of a WHERE clause;
// beyond it the clause is kept as one opaque filter.
const maxDisjuncts = 256

// disjuncts is x in disjunctive normal form: ORs of ANDs of atoms.
func disjuncts(x ast.Expr) [][]ast.Expr {
	l, ok := x.(*ast.Logical)
	if !ok {
		return [][]ast.Expr{{x}}
	}
	ls, rs := disjuncts(l.Left), disjuncts(l.Right)
	if l.Or {
		if len(ls)+len(rs) > maxDisjuncts {
			return [][]ast.Expr{{x}}
		}
		return append(ls, rs...)
	}
	if len(ls)*len(rs) > maxDisjuncts {
		return [][]ast.Expr{{x}}
	}
	var out [][]ast.Expr
	for _, a := range ls {
		for _, b := range rs {
			out = append(out, append(slices.Clone(a), b...))
		}
	}
	return out
}

// conjunction is the AND of atoms.
func conjunction(atoms []ast.Expr) ast.Expr {
	x := atoms[0]
	for _, a := range atoms[1:] {
		x = &ast.Logical{Left: x, Right: a}
	}
	return x
}

// walk calls f on x and each expression inside it.
func walk(x ast.Expr, f func(ast.Expr)) {
	rewriteAll(x, func(x ast.Expr) ast.Expr {
		f(x)
		return nil
	})
}

// rewriteAll is rewrite over every expression kind, LIKE, subscripts and
// constructors included; it only descends (f's result is ignored).
func rewriteAll(x ast.Expr, f func(ast.Expr) ast.Expr) {
	if x == nil {
		return
	}
	f(x)
	switch x := x.(type) {
	case *ast.Like:
		rewriteAll(x.Operand, f)
		rewriteAll(x.Pattern, f)
		return
	case *ast.Subscript:
		rewriteAll(x.Base, f)
		rewriteAll(x.Index, f)
		return
	case *ast.Dereference:
		rewriteAll(x.Base, f)
		return
	case *ast.ArrayConstructor:
		for _, el := range x.Elems {
			rewriteAll(el, f)
		}
		return
	}
	// The kinds rewrite walks: descend one level through it.
	rewrite(x, func(y ast.Expr) ast.Expr {
		if y == x {
			return nil
		}
		rewriteAll(y, f)
		return y
	})
}

// PullRows answers a pull query from all the records of its source's
// topic, in offset order per partition (Record.Window set for windowed
// keys, as SplitWindowedKey gives it). A table is materialized first: the
// latest row of each key and window, tombstones deleting, in the order of
// the key bytes as ksqlDB's stores iterate. The rows come filtered,
// projected (values in Columns order) and cut to the LIMIT. A record that
// does not deserialize is skipped and counted.
func (t *Transient) PullRows(records []Record) ([][]types.Value, error) {
	if !t.pull {
		return nil, errors.New("engine: PullRows on a push query")
	}
	p := t.proj
	recs := records
	if t.table {
		recs = materialize(records, p.codec.keyCols > 0)
	} else {
		recs = slices.Clone(records)
		slices.SortStableFunc(recs, func(a, b Record) int { return cmp.Compare(a.Partition, b.Partition) })
	}
	var rows [][]types.Value
	for _, r := range recs {
		if t.hasLimit && len(rows) >= t.limit {
			break
		}
		if r.Value == nil {
			continue
		}
		row, ok, err := p.decode(r)
		if err != nil {
			return nil, err
		}
		if !ok {
			t.skipped++
			continue
		}
		if ok, err := p.match(row); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		out, err := p.project(row)
		if err != nil {
			return nil, err
		}
		rows = append(rows, out)
	}
	return rows, nil
}

// materialize is a table's state from its changelog records: the latest
// record of each key (and window), without deleted ones, ordered by
// partition, key bytes and window.
func materialize(records []Record, keyed bool) []Record {
	type slot struct {
		part   int32
		key    string
		window Window
	}
	latest := map[slot]Record{}
	for _, r := range records {
		if keyed && r.Key == nil {
			continue // a table row needs a key
		}
		s := slot{part: r.Partition, key: string(r.Key)}
		if r.Window != nil {
			s.window = *r.Window
			if !s.window.Session {
				s.window.End = 0 // a time window is its start
			}
		}
		if r.Value == nil {
			delete(latest, s)
			continue
		}
		latest[s] = r
	}
	out := make([]Record, 0, len(latest))
	for _, r := range latest {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Record) int {
		if c := cmp.Compare(a.Partition, b.Partition); c != 0 {
			return c
		}
		if c := strings.Compare(string(a.Key), string(b.Key)); c != 0 {
			return c
		}
		var wa, wb Window
		if a.Window != nil {
			wa = *a.Window
		}
		if b.Window != nil {
			wb = *b.Window
		}
		if c := cmp.Compare(wa.Start, wb.Start); c != 0 {
			return c
		}
		return cmp.Compare(wa.End, wb.End)
	})
	return out
}
