package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/serde"
	"github.com/streamlite/streamlite/sql/types"
)

// A FROM clause with joins is a left-deep tree: each join joins the rows
// of the join on its left (or of the first source) with one more source.
// planJoinTree plans it bottom-up into one joinQuery per join. The row a
// join hands to the join above it (or to the select list) is its left
// row, then the right source's row (its columns, ROWTIME, ROWPARTITION,
// ROWOFFSET), then the join's key.

// joinSide is one source of a join tree and the index of its first column
// in the joined row.
type joinSide struct {
	src  *Source
	qual string
	at   int
}

// joinShape describes the rows a source or a join hands to the join above
// it.
type joinShape struct {
	sides []joinSide
	cols  []expr.Column
	// table: the rows form a table, updated and deleted by key.
	table bool
	// viable are the columns holding the rows' key, in the order ksqlDB
	// prefers them when naming the result's key column.
	viable []int
	// keyCols are a table source's primary key columns.
	keyCols []int
	// key is the column holding a join's key (its last but one), -1 for a
	// source; time the column holding a row's time.
	key, time int
	// synthetic: the join's key is no source column (FULL OUTER, or
	// expressions on both sides of ON); it is then a column of its own.
	synthetic bool
	// node is the join, nil for a source.
	node *joinQuery
}

// noJoinTime marks a join clock that has not started.
const noJoinTime = int64(-1) << 62

// defaultJoinRetentionMs is how long a stream-stream join without a GRACE
// PERIOD keeps records: Kafka Streams' old default of one day.
const defaultJoinRetentionMs = 24 * 60 * 60 * 1000

func sourceShape(src *Source, qual string) joinShape {
	s := joinShape{sides: []joinSide{{src: src, qual: qual}}, cols: scopeOf(src, qual).Columns, table: src.Table, key: -1, time: len(src.Columns)}
	for i, c := range src.Columns {
		if c.NS == NSKey {
			s.keyCols = append(s.keyCols, i)
		}
	}
	if src.Table && len(s.keyCols) == 1 {
		s.viable = s.keyCols
	}
	return s
}

// planJoinTree plans join j and the joins nested on its left, whose
// sources checkJoinSources has checked. An error about j itself (the
// kinds of its sides, its WITHIN) points at its JOIN keyword.
func (e *Engine) planJoinTree(j *ast.Join, opts expr.Options) (joinShape, error) {
	ls, err := e.planJoinStep(j, opts)
	return ls, blame(err, j)
}

// planJoinStep is planJoinTree without the blame.
func (e *Engine) planJoinStep(j *ast.Join, opts expr.Options) (joinShape, error) {
	var ls joinShape
	switch l := j.Left.(type) {
	case *ast.SourceRef:
		src, ok := e.sources[l.Name]
		if !ok {
			return ls, errAt(l, "%s does not exist.", l.Name)
		}
		ls = sourceShape(src, qualifierOf(l))
	case *ast.Join:
		var err error
		if ls, err = e.planJoinTree(l, opts); err != nil {
			return ls, err
		}
	default:
		return ls, statementErr("this FROM clause is not supported yet")
	}
	right, ok := e.sources[j.Right.Name]
	if !ok {
		return ls, errAt(j.Right, "%s does not exist.", j.Right.Name)
	}
	for _, s := range ls.sides {
		if err := checkWindowedJoin(s.src, right); err != nil {
			return ls, err
		}
	}
	rq := qualifierOf(j.Right)
	rs := sourceShape(right, rq)
	le, re, err := splitJoinOn(j, ls, rs)
	if err != nil {
		return ls, blame(err, j.On)
	}
	lk, err := expr.Compile(le, &expr.Scope{Columns: ls.cols}, opts)
	if err != nil {
		return ls, statementErr("%v", err)
	}
	rk, err := expr.Compile(re, &expr.Scope{Columns: rs.cols}, opts)
	if err != nil {
		return ls, statementErr("%v", err)
	}
	all := append(append([]joinSide(nil), ls.sides...), joinSide{src: right, qual: rq, at: len(ls.cols)})
	cmp := j.On.(*ast.Comparison)
	if !lk.Type().Equal(rk.Type()) {
		lt, rt := lk.Type(), rk.Type()
		if cmp.Left != le {
			lt, rt = rt, lt
		}
		return ls, errAt(j.On, "Invalid join condition: types don't match. Got %s{%s} = %s{%s}.",
			qualifiedText(cmp.Left, all), lt, qualifiedText(cmp.Right, all), rt)
	}
	n := &joinQuery{right: right, leftKey: lk, rightKey: rk, inner: ls.node, leftWidth: len(ls.cols), leftTime: ls.time,
		left: j.Type == ast.JoinLeft || j.Type == ast.JoinFull, rightOuter: j.Type == ast.JoinRight || j.Type == ast.JoinFull,
		full: j.Type == ast.JoinFull, times: newJoinTimes(),
		// Every map exists, so restoring any state entry is safe.
		table: map[uint64][]joinRow{}, leftRows: map[uint64][]joinRow{}, fkIndex: map[uint64][]joinRow{},
		shown: map[uint64][]types.Value{}, leftBuf: map[uint64][]bufRow{}, rightBuf: map[uint64][]bufRow{},
		pendLeft: map[uint64][]bufRow{}, pendRight: map[uint64][]bufRow{}}
	if ls.node != nil {
		ls.node.parent = n
	}
	rightKey := func() bool {
		cr, ok := re.(*ast.ColumnRef)
		return ok && len(rs.keyCols) == 1 && colIndex(rs.cols, cr) == rs.keyCols[0]
	}
	onText := func() string {
		return qualifiedText(cmp.Left, all) + " = " + qualifiedText(cmp.Right, all)
	}
	fk := false
	switch {
	case ls.table && !right.Table:
		return ls, statementErr("Invalid join order: table-stream joins are not supported; only stream-table joins. Got %s %s %s.",
			ls.sides[len(ls.sides)-1].src.Name, joinTypeText(j.Type), right.Name)
	case !ls.table && !right.Table:
		if j.Within == nil {
			return ls, statementErr("Stream-Stream joins must have a WITHIN clause specified. None was provided. To learn about how to specify a WITHIN clause with a stream-stream join, please visit: https://docs.confluent.io/current/ksql/docs/syntax-reference.html#create-stream-as-select")
		}
		n.streams = true
		n.before, n.after = j.Within.Before.Millis(), j.Within.After.Millis()
		n.grace = max(defaultJoinRetentionMs-2*n.before, 0)
		if g := j.Within.Grace; g != nil {
			n.grace, n.spurious = g.Millis(), true
		}
	case !ls.table:
		if j.Within != nil {
			return ls, statementErr("A window definition was provided for a Stream-Table join. These joins are not windowed. Please drop the window definition (ie. the WITHIN clause) and try to submit your join again.")
		}
		if n.rightOuter {
			return ls, statementErr("Invalid join type: %s join not supported for Stream-Table join. Got %s %s %s.",
				strings.ToLower(j.Type.String())+"-outer", ls.sides[len(ls.sides)-1].src.Name, joinTypeText(j.Type), right.Name)
		}
		if !rightKey() {
			return ls, statementErr("Invalid join condition: stream-table joins require to join on the table's primary key. Got %s.", onText())
		}
	default:
		if j.Within != nil {
			return ls, statementErr("A window definition was provided for a Table-Table join. These joins are not windowed. Please drop the window definition (i.e. the WITHIN clause) and try to submit your join again.")
		}
		if !rightKey() {
			return ls, statementErr("Invalid join condition: table-table joins require to join on the primary key of the right input table. Got %s.", onText())
		}
		n.tables = true
		cr, ok := le.(*ast.ColumnRef)
		if fk = !ok || !slices.Contains(ls.viable, colIndex(ls.cols, cr)); fk {
			if n.rightOuter {
				return ls, statementErr("%s OUTER JOIN on a foreign key is not supported", j.Type)
			}
			n.fk = true
		}
	}

	out := joinShape{sides: all, table: ls.table && right.Table, node: n}
	out.cols = append(append(append([]expr.Column(nil), ls.cols...), rs.cols...),
		expr.Column{Name: hiddenName("KEY", n), Type: lk.Type()}, expr.Column{Name: hiddenName("TIME", n), Type: types.TBigint()})
	out.key, out.time = len(out.cols)-2, len(out.cols)-1
	switch {
	case fk:
		// The result is keyed by the left table's key (the first table's,
		// through foreign-key joins).
		n.multiKey = len(ls.keyCols) > 1
		out.keyCols, out.viable = ls.keyCols, ls.viable
		if ls.node != nil && !n.multiKey {
			out.cols[out.key].Type = ls.cols[ls.key].Type
		} else if len(ls.keyCols) == 1 {
			out.cols[out.key].Type = ls.cols[ls.keyCols[0]].Type
		} else {
			out.cols[out.key].Type = types.Type{Kind: types.KindArray, Elem: &types.Type{Kind: types.KindString}}
		}
	case n.full:
		out.synthetic = true
	default:
		add := func(i int) {
			if i >= 0 && !slices.Contains(out.viable, i) {
				out.viable = append(out.viable, i)
			}
		}
		lcr, lok := le.(*ast.ColumnRef)
		if lok {
			add(colIndex(ls.cols, lcr))
		}
		if rcr, ok := re.(*ast.ColumnRef); ok {
			if i := colIndex(rs.cols, rcr); i >= 0 {
				add(len(ls.cols) + i)
			}
		}
		if lok && slices.Contains(ls.viable, colIndex(ls.cols, lcr)) {
			for _, i := range ls.viable {
				add(i)
			}
		}
		slices.Sort(out.viable) // in the order of the sources
		out.synthetic = len(out.viable) == 0
	}
	return out, nil
}

// hiddenName names a join's key or time column where no query can refer
// to it.
func hiddenName(what string, n *joinQuery) string { return fmt.Sprintf("\x00JOIN%s%p", what, n) }

func joinTypeText(t ast.JoinType) string {
	switch t {
	case ast.JoinLeft:
		return "LEFT [OUTER] JOIN"
	case ast.JoinRight:
		return "RIGHT [OUTER] JOIN"
	case ast.JoinFull:
		return "[FULL] OUTER JOIN"
	}
	return "[INNER] JOIN"
}

// splitJoinOn returns the sides of j's ON equality: the one over the
// left rows, then the one over the right source.
func splitJoinOn(j *ast.Join, ls, rs joinShape) (le, re ast.Expr, err error) {
	cmp, ok := j.On.(*ast.Comparison)
	if !ok || cmp.Op != ast.CmpEq {
		if lg, ok := j.On.(*ast.Logical); ok && !lg.Or {
			return nil, nil, statementErr("Invalid join condition: joins on multiple conditions are not yet supported. Got %s.", ast.Format(j.On))
		}
		return nil, nil, statementErr("Unsupported join expression: %s", ast.Format(j.On))
	}
	all := append(append([]joinSide(nil), ls.sides...), joinSide{src: rs.sides[0].src, qual: rs.sides[0].qual})
	sideOf := func(x ast.Expr) (int, error) {
		found := -1
		for _, cr := range columnRefs(x, nil) {
			i, err := resolveSide(cr, all)
			if err != nil {
				return -1, err
			}
			if found >= 0 && found != i {
				found = -2
			} else if found != -2 {
				found = i
			}
		}
		if found < 0 {
			bad := x
			return -1, statementErr("Invalid comparison expression '%s' in join '%s'. Each side of the join comparision must contain references from exactly one source.", ast.Format(bad), ast.Format(cmp))
		}
		return found, nil
	}
	li, err := sideOf(cmp.Left)
	if err != nil {
		return nil, nil, err
	}
	ri, err := sideOf(cmp.Right)
	if err != nil {
		return nil, nil, err
	}
	if li == ri {
		return nil, nil, statementErr("Each side of the join must reference exactly one source and not the same source. Left side references `%s` and right references `%s`", all[li].qual, all[ri].qual)
	}
	r := len(all) - 1
	switch r {
	case ri:
		return cmp.Left, cmp.Right, nil
	case li:
		return cmp.Right, cmp.Left, nil
	}
	return nil, nil, statementErr("A join criteria is expected to reference the source (`%s`) in the FROM clause, instead the right source references `%s` and the left source references `%s`", all[r].qual, all[ri].qual, all[li].qual)
}

// resolveSide finds the source of sides column reference cr names.
func resolveSide(cr *ast.ColumnRef, sides []joinSide) (int, error) {
	var hits []int
	known := cr.Qualifier == ""
	for i, s := range sides {
		if cr.Qualifier != "" && cr.Qualifier != s.qual {
			continue
		}
		known = true
		if colIndex(scopeOf(s.src, s.qual).Columns, &ast.ColumnRef{Name: cr.Name}) >= 0 {
			hits = append(hits, i)
		}
	}
	switch {
	case !known:
		return -1, errAt(cr, "Failed to prepare statement: '%s' is not a valid stream/table name or alias.", cr.Qualifier)
	case len(hits) == 0:
		name := cr.Name
		if cr.Qualifier != "" {
			name = cr.Qualifier + "." + name
		}
		return -1, errAt(cr, "JOIN ON column '%s' cannot be resolved.", name)
	case len(hits) > 1:
		var could []string
		for _, i := range hits {
			could = append(could, sides[i].qual+"."+cr.Name)
		}
		return -1, errAt(cr, "Column '%s' is ambiguous. Could be %s.", cr.Name, strings.Join(could, " or "))
	}
	return hits[0], nil
}

// colIndex is the index of the column cr names in cols, -1 when none or
// several match.
func colIndex(cols []expr.Column, cr *ast.ColumnRef) int {
	idx := -1
	for i, c := range cols {
		if c.Name != cr.Name || cr.Qualifier != "" && c.Qualifier != cr.Qualifier {
			continue
		}
		if idx >= 0 {
			return -1
		}
		idx = i
	}
	return idx
}

// qualifiedText formats x with every column qualified by its source, as
// ksqlDB prints join conditions.
func qualifiedText(x ast.Expr, sides []joinSide) string {
	refs := columnRefs(x, nil)
	old := make([]string, len(refs))
	for i, cr := range refs {
		old[i] = cr.Qualifier
		if s, err := resolveSide(cr, sides); err == nil {
			cr.Qualifier = sides[s].qual
		}
	}
	text := ast.Format(x)
	for i, cr := range refs {
		cr.Qualifier = old[i]
	}
	return text
}

// columnRefs appends the column references in x to out.
func columnRefs(x ast.Expr, out []*ast.ColumnRef) []*ast.ColumnRef {
	switch x := x.(type) {
	case *ast.ColumnRef:
		return append(out, x)
	case *ast.FunctionCall:
		for _, a := range x.Args {
			out = columnRefs(a, out)
		}
	case *ast.Arithmetic:
		out = columnRefs(x.Right, columnRefs(x.Left, out))
	case *ast.Negate:
		out = columnRefs(x.Operand, out)
	case *ast.Comparison:
		out = columnRefs(x.Right, columnRefs(x.Left, out))
	case *ast.Logical:
		out = columnRefs(x.Right, columnRefs(x.Left, out))
	case *ast.Not:
		out = columnRefs(x.Operand, out)
	case *ast.IsNull:
		out = columnRefs(x.Operand, out)
	case *ast.Between:
		out = columnRefs(x.High, columnRefs(x.Low, columnRefs(x.Operand, out)))
	case *ast.InList:
		out = columnRefs(x.Operand, out)
		for _, a := range x.List {
			out = columnRefs(a, out)
		}
	case *ast.Like:
		out = columnRefs(x.Pattern, columnRefs(x.Operand, out))
	case *ast.Cast:
		out = columnRefs(x.Operand, out)
	case *ast.Case:
		if x.Operand != nil {
			out = columnRefs(x.Operand, out)
		}
		for _, w := range x.Whens {
			out = columnRefs(w.Then, columnRefs(w.When, out))
		}
		if x.Else != nil {
			out = columnRefs(x.Else, out)
		}
	case *ast.Subscript:
		out = columnRefs(x.Index, columnRefs(x.Base, out))
	case *ast.Dereference:
		out = columnRefs(x.Base, out)
	case *ast.ArrayConstructor:
		for _, a := range x.Elems {
			out = columnRefs(a, out)
		}
	case *ast.StructConstructor:
		for _, f := range x.Fields {
			out = columnRefs(f.Value, out)
		}
	case *ast.MapConstructor:
		for _, m := range x.Entries {
			out = columnRefs(m.Value, columnRefs(m.Key, out))
		}
	}
	return out
}

// planJoin plans the joins of a FROM clause into q: the join tree, then
// the WHERE, and the select list, aggregation or PARTITION BY over the
// joined row, filling sink's columns.
func (e *Engine) planJoin(j *ast.Join, qa *ast.Query, q *query, sink *Source, opts expr.Options) error {
	if _, err := e.checkJoinSources(j, map[string]bool{}); err != nil {
		return err
	}
	sh, err := e.planJoinTree(j, opts)
	if err != nil {
		return err
	}
	var kafka []string
	for _, s := range sh.sides {
		if s.src.ValueFormat == serde.FormatKafka {
			kafka = append(kafka, s.src.Name)
		}
	}
	if len(kafka) > 0 {
		return statementErr("Source(s) %s are using the 'KAFKA' value format. This format does not yet support JOIN.", strings.Join(kafka, ", "))
	}
	q.from, q.join = sh.sides[0].src, sh.node
	if sh.synthetic {
		sh.cols[sh.key].Name = syntheticKeyName(sh)
	}
	scope := &expr.Scope{Columns: sh.cols}
	if qa.Where != nil {
		c, err := expr.Compile(qa.Where, scope, opts)
		if err != nil {
			return statementErr("%v", err)
		}
		if c.Type().Kind != types.KindBoolean {
			return errAt(qa.Where, "Type error in WHERE expression: Should evaluate to boolean but is %s (%s) instead.", ast.Format(qa.Where), c.Type())
		}
		q.where = c
	}
	if isAggregating(qa) {
		if sh.table {
			return statementErr("aggregations over table-table joins are not supported yet")
		}
		return e.planAggregate(qa, q, scope, sink, opts)
	}
	if qa.Window != nil {
		return posErr(qa.Window.At, "windows are not supported yet")
	}
	return e.planJoinSelect(qa, q, sink, opts, sh)
}

// syntheticKeyName is the name of a join's synthetic key column: ROWKEY,
// or ROWKEY_n when a source has a column of that name.
func syntheticKeyName(sh joinShape) string {
	used := map[string]bool{}
	for _, s := range sh.sides {
		for _, c := range s.src.Columns {
			used[c.Name] = true
		}
	}
	name := "ROWKEY"
	for i := 1; used[name]; i++ {
		name = fmt.Sprintf("ROWKEY_%d", i)
	}
	return name
}

// joinItem is one output column of a join's select list.
type joinItem struct {
	name string
	x    ast.Expr
	col  int  // the joined row's column x names, -1 for an expression
	star bool // from * or source.*
}

// planJoinSelect plans the select list (and PARTITION BY) over the joined
// row: the join's key column is the first select item that names one of
// the columns holding the key (in ksqlDB's order of preference), or the
// PARTITION BY expression.
func (e *Engine) planJoinSelect(qa *ast.Query, q *query, sink *Source, opts expr.Options, sh joinShape) error {
	scope := &expr.Scope{Columns: sh.cols}
	names := map[string]int{}
	for _, s := range sh.sides {
		for _, c := range scopeOf(s.src, s.qual).Columns {
			names[c.Name]++
		}
	}
	var items []joinItem
	generated := 0
	for _, si := range qa.Select {
		if all, ok := si.Expr.(*ast.AllColumns); ok {
			if all.Qualifier == "" && sh.synthetic {
				name := sh.cols[sh.key].Name
				items = append(items, joinItem{name: name, x: &ast.ColumnRef{Name: name}, col: sh.key, star: true})
			}
			found := all.Qualifier == ""
			for _, s := range sh.sides {
				if all.Qualifier != "" && all.Qualifier != s.qual {
					continue
				}
				found = true
				for _, i := range starColumns(s.src, len(qa.PartitionBy) > 0) {
					c := sh.cols[s.at+i]
					items = append(items, joinItem{name: s.qual + "_" + c.Name, x: &ast.ColumnRef{At: all.At, Qualifier: s.qual, Name: c.Name}, col: s.at + i, star: true})
				}
			}
			if !found {
				return errAt(all, "Source %s not found.", all.Qualifier)
			}
			continue
		}
		if reservedColumn(si.Alias) {
			return errAt(si.Expr, "`%s` is a reserved column name. You cannot use it as an alias for a column.", si.Alias)
		}
		it := joinItem{name: si.Alias, x: si.Expr, col: -1}
		if cr, ok := si.Expr.(*ast.ColumnRef); ok {
			it.col = colIndex(sh.cols, cr)
			if it.name == "" {
				it.name = cr.Name
				if names[cr.Name] > 1 && cr.Qualifier != "" {
					it.name = cr.Qualifier + "_" + cr.Name
				}
			}
		} else if it.name == "" {
			it.name = fmt.Sprintf("KSQL_COL_%d", generated)
			generated++
		}
		items = append(items, it)
	}

	var keyItems []int // indexes into items
	var pbKey *Column  // a PARTITION BY key no select item holds
	switch {
	case len(qa.PartitionBy) > 0:
		if sh.table {
			return errAt(qa.PartitionBy[0], "Cannot repartition a TABLE source. If this is a join, make sure that the criteria uses the TABLE's key column instead of %s", ast.Format(qa.PartitionBy[0]))
		}
		if len(qa.PartitionBy) != 1 {
			return errAt(qa.PartitionBy[0], "PARTITION BY of a join on several expressions is not supported yet")
		}
		pb := qa.PartitionBy[0]
		c, err := expr.Compile(pb, scope, opts)
		if err != nil {
			return statementErr("%v", err)
		}
		q.keys = []expr.Compiled{c}
		at := -1
		if cr, ok := pb.(*ast.ColumnRef); ok {
			at = colIndex(sh.cols, cr)
		}
		for i, it := range items {
			if (at >= 0 && it.col == at) || ast.Format(it.x) == ast.Format(pb) {
				keyItems = append(keyItems, i)
				break
			}
		}
		if len(keyItems) == 0 {
			name := fmt.Sprintf("KSQL_COL_%d", generated)
			if cr, ok := pb.(*ast.ColumnRef); ok {
				name = cr.Name
			}
			pbKey = &Column{Name: name, Type: c.Type(), NS: NSKey}
		}
	case sh.node.fk && len(sh.keyCols) > 0:
		// A foreign-key join's result is keyed by the left table's key
		// columns, in their order; the select list must hold every one.
		var missing []string
		for _, kc := range sh.keyCols {
			i := slices.IndexFunc(items, func(it joinItem) bool { return it.col == kc })
			if i < 0 {
				missing = append(missing, "`"+sh.cols[kc].Name+"`")
				continue
			}
			keyItems = append(keyItems, i)
		}
		if len(missing) > 0 {
			return statementErr("Primary key columns missing in projection. For foreign-key table-table joins, the projection must include all primary key columns from the left input table (`%s`). Missing columns: %s.", sh.sides[0].qual, strings.Join(missing, ", "))
		}
		for _, i := range keyItems {
			c, err := expr.Compile(items[i].x, scope, opts)
			if err != nil {
				return statementErr("%v", err)
			}
			q.keys = append(q.keys, c)
		}
	default:
		candidates := sh.viable
		if sh.synthetic {
			candidates = []int{sh.key}
		}
		for _, col := range candidates {
			if i := slices.IndexFunc(items, func(it joinItem) bool { return it.col == col }); i >= 0 {
				keyItems = []int{i}
				break
			}
		}
		if len(keyItems) == 0 {
			if sh.synthetic {
				name := sh.cols[sh.key].Name
				return statementErr("Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\nThe query used to build `%s` must include the join expression %s in its projection (eg, SELECT %s...).\n%s was added as a synthetic key column because the join criteria did not match any source column. This expression must be included in the projection and may be aliased.", sink.Name, name, name, name)
			}
			var texts []string
			for _, col := range candidates {
				texts = append(texts, sh.cols[col].Qualifier+"."+sh.cols[col].Name)
			}
			switch len(texts) {
			case 0:
				return statementErr("The query used to build `%s` must include the join's key in its projection.", sink.Name)
			case 1:
				return statementErr("The query used to build `%s` must include the join expression %s in its projection (eg, SELECT %s...).", sink.Name, texts[0], texts[0])
			}
			list := strings.Join(texts[:len(texts)-1], ", ") + " or " + texts[len(texts)-1]
			return statementErr("The query used to build `%s` must include the join expressions %s in its projection (eg, SELECT %s...).", sink.Name, list, texts[0])
		}
		key := items[keyItems[0]]
		var aliases []string
		for _, it := range items {
			if !it.star && it.col == key.col {
				aliases = append(aliases, it.name)
			}
		}
		if len(aliases) > 1 {
			slices.Sort(aliases)
			return statementErr("The projection contains a key column (`%s`) more than once, aliased as: %s.", key.name,
				strings.Join(aliases[:len(aliases)-1], ", ")+" and "+aliases[len(aliases)-1])
		}
		q.keys = []expr.Compiled{&columnAt{i: sh.key, t: sh.cols[key.col].Type}}
	}

	var keyCols, valCols []Column
	if pbKey != nil {
		keyCols = append(keyCols, *pbKey)
	}
	for _, i := range keyItems {
		c, err := expr.Compile(items[i].x, scope, opts)
		if err != nil {
			return statementErr("%v", err)
		}
		keyCols = append(keyCols, Column{Name: items[i].name, Type: c.Type(), NS: NSKey})
	}
	for i, it := range items {
		if slices.Contains(keyItems, i) {
			continue
		}
		c, err := expr.Compile(it.x, scope, opts)
		if err != nil {
			return statementErr("%v", err)
		}
		for _, v := range valCols {
			if v.Name == it.name {
				return errAt(it.x, "Duplicate column names:\n\t%s", it.name)
			}
		}
		valCols = append(valCols, Column{Name: it.name, Type: c.Type()})
		q.values = append(q.values, c)
	}
	sink.Columns = append(keyCols, valCols...)
	return nil
}

// columnAt is a compiled reference to column i of a row.
type columnAt struct {
	i int
	t types.Type
}

func (c *columnAt) Type() types.Type { return c.t }

func (c *columnAt) Eval(row []types.Value) (types.Value, error) { return row[c.i], nil }

// joinFormats is the source a join's sink takes its formats from: the
// first source, with the key format of the first source that has a key
// (not NONE), else the session's default key format.
func (e *Engine) joinFormats(q *query) *Source {
	srcs := []*Source{q.from}
	nodes := q.join.nodes()
	for i := len(nodes) - 1; i >= 0; i-- {
		srcs = append(srcs, nodes[i].right)
	}
	from := *q.from
	for _, s := range srcs {
		if s.KeyFormat != serde.FormatNone {
			from.KeyFormat, from.KeyDelimiter = s.KeyFormat, s.KeyDelimiter
			return &from
		}
	}
	from.KeyFormat, from.KeyDelimiter = serde.FormatKafka, 0
	if f := e.props["ksql.persistence.default.format.key"]; f != "" {
		from.KeyFormat = serde.Format(strings.ToUpper(f))
	}
	return &from
}

// checkWindowedJoin refuses joins of windowed sources: with a source that
// is not windowed, of a session with a time window, and the rest, which
// ksqlDB would repartition or which are not supported yet.
func checkWindowedJoin(l, r *Source) error {
	switch {
	case l.WindowType == "" && r.WindowType == "":
		return nil
	case l.WindowType == "" || r.WindowType == "":
		desc := func(s *Source) string {
			if s.WindowType == "" {
				return fmt.Sprintf("`%s` is not windowed", s.Name)
			}
			return fmt.Sprintf("`%s` is %s windowed", s.Name, s.WindowType)
		}
		return statementErr("Can not join windowed source to non-windowed source.\n%s\n%s", desc(l), desc(r))
	case (l.WindowType == "SESSION") != (r.WindowType == "SESSION"):
		return statementErr("Incompatible windowed sources.\nLeft source: %s\nRight source: %s\nSession windowed sources can only be joined to other session windowed sources, and may still not result in expected behaviour as session bounds must be an exact match for the join to work\nHopping and tumbling windowed sources can only be joined to other hopping and tumbling windowed sources", l.WindowType, r.WindowType)
	}
	return statementErr("Implicit repartitioning of windowed sources is not supported. See https://github.com/confluentinc/ksql/issues/4385.")
}

// starColumns lists the columns of src (by index in its row) that * stands
// for in a join: all of them, header columns too; re-partitioned
// (PARTITION BY), ksqlDB's join schema instead: the other columns,
// ROWTIME, ROWPARTITION, ROWOFFSET, then the key columns.
func starColumns(src *Source, partitioned bool) []int {
	var keys, out []int
	for i, c := range src.Columns {
		if c.NS == NSKey && partitioned {
			keys = append(keys, i)
		} else {
			out = append(out, i)
		}
	}
	if partitioned {
		n := len(src.Columns)
		out = append(append(out, n, n+1, n+2), keys...)
	}
	return out
}

// checkJoinSources checks, before any join is planned, that every source
// of join tree j exists and appears once, and that each ON compares an
// expression over the sources on its left with one over its right source,
// as ksqlDB does when it analyzes the statement. It returns the sources
// in order.
func (e *Engine) checkJoinSources(j *ast.Join, names map[string]bool) ([]joinSide, error) {
	var sides []joinSide
	switch l := j.Left.(type) {
	case *ast.SourceRef:
		src, ok := e.sources[l.Name]
		if !ok {
			return nil, errAt(l, "%s does not exist.", l.Name)
		}
		names[src.Name] = true
		sides = []joinSide{{src: src, qual: qualifierOf(l)}}
	case *ast.Join:
		var err error
		if sides, err = e.checkJoinSources(l, names); err != nil {
			return nil, err
		}
	default:
		return nil, statementErr("this FROM clause is not supported yet")
	}
	right, ok := e.sources[j.Right.Name]
	if !ok {
		return nil, errAt(j.Right, "%s does not exist.", j.Right.Name)
	}
	if names[right.Name] {
		if len(sides) == 1 {
			return nil, errAt(j.Right, "Can not join '%s' to '%s': self joins are not yet supported.", sides[0].src.Name, right.Name)
		}
		return nil, errAt(j.Right, "N-way joins do not support multiple occurrences of the same source. Source: '%s'", right.Name)
	}
	names[right.Name] = true
	rs := joinSide{src: right, qual: qualifierOf(j.Right)}
	if _, _, err := splitJoinOn(j, joinShape{sides: sides}, joinShape{sides: []joinSide{rs}}); err != nil {
		return nil, blame(err, j.On)
	}
	return append(sides, rs), nil
}
