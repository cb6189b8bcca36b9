package engine

import (
	"fmt"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/types"
)

// joinQuery is a stream-table join: each stream record looks up the table
// row whose primary key equals its join expression, as the table stood when
// the record arrived.
type joinQuery struct {
	right   *Source
	left    bool          // LEFT JOIN: a record without a table row joins nulls
	leftKey expr.Compiled // over the stream's row alone
	table   map[uint64][]joinRow

	// Stream-stream (WITHIN) joins: rightKey is over the right stream's
	// row; a left record at t matches right records from t-before to
	// t+after; both sides are buffered by key.
	streams  bool
	rightKey expr.Compiled
	// Table-table joins: both sides' rows by key; full adds a synthetic
	// ROWKEY column after the joined row.
	tables     bool
	full       bool
	rightOuter bool // RIGHT JOIN: every right row joins, with nulls if need be
	leftRows   map[uint64][]joinRow
	leftTable  *Source
	// shown holds the keys whose joined row is currently written, so only
	// those get a tombstone when the join stops holding.
	shown         map[uint64][]types.Value
	before, after int64
	leftBuf       map[uint64][]bufRow
	rightBuf      map[uint64][]bufRow
	// log tracks changed state for the runtime; nil in driver mode.
	log *stateLog
}

// bufRow is one buffered record of a stream-stream join side.
type bufRow struct {
	key types.Value
	row []types.Value
	ts  int64
}

// joinRow is one row of the table side, by its key.
type joinRow struct {
	key types.Value
	row []types.Value
}

// planJoin plans a stream-table join into q, filling sink's columns.
func (e *Engine) planJoin(j *ast.Join, qa *ast.Query, q *query, sink *Source, opts expr.Options) error {
	lref, ok := j.Left.(*ast.SourceRef)
	if !ok {
		return statementErr("n-way joins are not supported yet")
	}
	left, ok := e.sources[lref.Name]
	if !ok {
		return statementErr("%s does not exist.", lref.Name)
	}
	right, ok := e.sources[j.Right.Name]
	if !ok {
		return statementErr("%s does not exist.", j.Right.Name)
	}
	if left.Table && right.Table && j.Within == nil {
		return e.planTableJoin(j, lref, left, right, qa, q, sink, opts)
	}
	if j.Type != ast.JoinInner && j.Type != ast.JoinLeft {
		return statementErr("joins other than stream-table INNER and LEFT are not supported yet")
	}
	if !left.Table && !right.Table && j.Within != nil && (j.Type == ast.JoinInner || j.Type == ast.JoinLeft) {
		return e.planStreamJoin(j, lref, left, right, qa, q, sink, opts)
	}
	if left.Table || !right.Table || j.Within != nil {
		return statementErr("joins other than stream-table and inner stream-stream are not supported yet")
	}
	rkeys := right.keyColumns()
	if len(rkeys) != 1 {
		return statementErr("tables with %d key columns cannot be joined yet", len(rkeys))
	}
	lq, rq := qualifierOf(lref), qualifierOf(j.Right)
	lscope, rscope := scopeOf(left, lq), scopeOf(right, rq)
	scope := &expr.Scope{Columns: append(append([]expr.Column(nil), lscope.Columns...), rscope.Columns...)}

	cmp, ok := j.On.(*ast.Comparison)
	if !ok || cmp.Op != ast.CmpEq {
		return statementErr("only equality join conditions are supported yet: %s", ast.Format(j.On))
	}
	isRightKey := func(x ast.Expr) bool {
		cr, ok := x.(*ast.ColumnRef)
		return ok && cr.Name == rkeys[0].Name && (cr.Qualifier == rq || cr.Qualifier == "")
	}
	leftExpr := cmp.Left
	if isRightKey(cmp.Left) && !isRightKey(cmp.Right) {
		leftExpr = cmp.Right
	} else if !isRightKey(cmp.Right) {
		return statementErr("the join condition must compare the table's key %s: %s", rkeys[0].Name, ast.Format(j.On))
	}
	lk, err := expr.Compile(leftExpr, lscope, opts)
	if err != nil {
		return statementErr("%v", err)
	}
	jq := &joinQuery{right: right, left: j.Type == ast.JoinLeft, leftKey: lk, table: map[uint64][]joinRow{}}
	q.from, q.join = left, jq

	return e.planJoinOutput(qa, q, sink, opts, scope, lq, rq, left, right, leftExpr, isRightKey)
}

// planJoinOutput plans a join's WHERE and select list over the joined row
// (left row, then right row) and fills sink's columns: the left join
// expression's column is the key.
func (e *Engine) planJoinOutput(qa *ast.Query, q *query, sink *Source, opts expr.Options, scope *expr.Scope,
	lq, rq string, left, right *Source, leftExpr ast.Expr, isRightKey func(ast.Expr) bool) error {
	if qa.Where != nil {
		c, err := expr.Compile(qa.Where, scope, opts)
		if err != nil {
			return statementErr("%v", err)
		}
		q.where = c
	}
	both := map[string]int{}
	for _, c := range left.Columns {
		both[c.Name]++
	}
	for _, c := range right.Columns {
		both[c.Name]++
	}
	leftKeyName := ""
	if cr, ok := leftExpr.(*ast.ColumnRef); ok {
		leftKeyName = cr.Name
	}
	var keyCols, valCols []Column
	add := func(name string, x ast.Expr, isKey bool) error {
		c, err := expr.Compile(x, scope, opts)
		if err != nil {
			return statementErr("%v", err)
		}
		if isKey && len(keyCols) == 0 {
			keyCols = append(keyCols, Column{Name: name, Type: c.Type(), NS: NSKey})
			q.keys = append(q.keys, c)
			return nil
		}
		for _, v := range valCols {
			if v.Name == name {
				return statementErr("Duplicate column names:\n\t%s", name)
			}
		}
		valCols = append(valCols, Column{Name: name, Type: c.Type()})
		q.values = append(q.values, c)
		return nil
	}
	generated := 0
	for _, si := range qa.Select {
		if all, ok := si.Expr.(*ast.AllColumns); ok {
			for _, side := range []struct {
				q   string
				src *Source
			}{{lq, left}, {rq, right}} {
				if all.Qualifier != "" && all.Qualifier != side.q {
					continue
				}
				for _, c := range side.src.Columns {
					if c.NS == NSHeaders || c.NS == NSHeader {
						continue
					}
					ref := &ast.ColumnRef{Qualifier: side.q, Name: c.Name}
					isKey := (side.src == left && c.Name == leftKeyName) || (side.src == right && isRightKey(ref))
					if err := add(side.q+"_"+c.Name, ref, isKey); err != nil {
						return err
					}
				}
			}
			continue
		}
		name := si.Alias
		isKey := false
		if cr, ok := si.Expr.(*ast.ColumnRef); ok {
			isKey = (cr.Qualifier == lq || cr.Qualifier == "") && cr.Name == leftKeyName || isRightKey(cr)
			if name == "" {
				name = cr.Name
				if both[cr.Name] > 1 && cr.Qualifier != "" {
					name = cr.Qualifier + "_" + cr.Name
				}
			}
		} else if name == "" {
			name = fmt.Sprintf("KSQL_COL_%d", generated)
			generated++
		}
		if err := add(name, si.Expr, isKey); err != nil {
			return err
		}
	}
	if len(keyCols) == 0 {
		return statementErr("The query used to build `%s` must include the join expression %s in its projection (eg, SELECT %s...).", sink.Name, ast.Format(leftExpr), ast.Format(leftExpr))
	}
	sink.Columns = append(keyCols, valCols...)
	return nil
}

// planStreamJoin plans an inner stream-stream join WITHIN a time window.
func (e *Engine) planStreamJoin(j *ast.Join, lref *ast.SourceRef, left, right *Source, qa *ast.Query, q *query, sink *Source, opts expr.Options) error {
	lq, rq := qualifierOf(lref), qualifierOf(j.Right)
	lscope, rscope := scopeOf(left, lq), scopeOf(right, rq)
	scope := &expr.Scope{Columns: append(append([]expr.Column(nil), lscope.Columns...), rscope.Columns...)}
	cmp, ok := j.On.(*ast.Comparison)
	if !ok || cmp.Op != ast.CmpEq {
		return statementErr("only equality join conditions are supported yet: %s", ast.Format(j.On))
	}
	le, re := cmp.Left, cmp.Right
	lk, err := expr.Compile(le, lscope, opts)
	if err != nil {
		le, re = re, le
		if lk, err = expr.Compile(le, lscope, opts); err != nil {
			return statementErr("%v", err)
		}
	}
	rk, err := expr.Compile(re, rscope, opts)
	if err != nil {
		return statementErr("%v", err)
	}
	q.from = left
	q.join = &joinQuery{
		right: right, streams: true, leftKey: lk, rightKey: rk, left: j.Type == ast.JoinLeft,
		before: j.Within.Before.Millis(), after: j.Within.After.Millis(),
		leftBuf: map[uint64][]bufRow{}, rightBuf: map[uint64][]bufRow{},
	}
	rightKeyText := ast.Format(re)
	isRight := func(x ast.Expr) bool { return ast.Format(x) == rightKeyText }
	return e.planJoinOutput(qa, q, sink, opts, scope, lq, rq, left, right, le, isRight)
}

func qualifierOf(r *ast.SourceRef) string {
	if r.Alias != "" {
		return r.Alias
	}
	return r.Name
}

// processRight folds a record of the join's table side into its state: a
// row replaces the key's row, a tombstone deletes it.
func (e *Engine) processRight(q *query, r Record, depth int) error {
	jq := q.join
	if jq.tables {
		return e.tableJoin(q, false, r, depth)
	}
	if jq.streams {
		row, ok, err := e.decodeRow(jq.right, r)
		if err != nil {
			return err
		}
		if !ok {
			e.skip(q)
			return nil
		}
		return e.streamJoin(q, false, row, r, depth)
	}
	ks, err := jq.right.keySerde()
	if err != nil {
		return err
	}
	if r.Key == nil {
		return nil
	}
	keys, err := ks.Decode(r.Key)
	if err != nil || len(keys) != 1 || keys[0] == nil {
		e.skip(q)
		return nil
	}
	h := types.Hash(keys[0])
	jq.log.touch(stJoinTable, h)
	rows := jq.table[h]
	for i, jr := range rows {
		if types.Equal(jr.key, keys[0]) {
			rows = append(rows[:i:i], rows[i+1:]...)
			break
		}
	}
	if r.Value != nil {
		row, ok, err := e.decodeRow(jq.right, r)
		if err != nil {
			return err
		}
		if !ok {
			e.skip(q)
			jq.table[h] = rows
			return nil
		}
		rows = append(rows, joinRow{key: keys[0], row: row})
	}
	jq.table[h] = rows
	return nil
}

// joinRow returns the stream row joined with its table row (or nulls for
// a LEFT JOIN), ok=false when an INNER JOIN finds none.
func (jq *joinQuery) joined(row []types.Value) ([]types.Value, bool, error) {
	k, err := jq.leftKey.Eval(row)
	if err != nil {
		return nil, false, err
	}
	var match []types.Value
	if k != nil {
		for _, jr := range jq.table[types.Hash(k)] {
			if types.Equal(jr.key, k) {
				match = jr.row
				break
			}
		}
	}
	if match == nil {
		if !jq.left {
			return nil, false, nil
		}
		match = make([]types.Value, len(jq.right.Columns)+3)
	}
	return append(append([]types.Value(nil), row...), match...), true, nil
}

// streamJoin buffers a record of one side of a stream-stream join and
// joins it with the other side's buffered records of the same key inside
// the window: a left record at t matches right records from t-before to
// t+after. The output's time is the later of the two.
func (e *Engine) streamJoin(q *query, isLeft bool, row []types.Value, r Record, depth int) (err error) {
	jq := q.join
	keyExpr, own, other := jq.leftKey, jq.leftBuf, jq.rightBuf
	if !isLeft {
		keyExpr, own, other = jq.rightKey, jq.rightBuf, jq.leftBuf
	}
	k, err := keyExpr.Eval(row)
	if err != nil {
		return &Error{Phase: PhaseRuntime, Msg: err.Error()}
	}
	if k == nil {
		return nil
	}
	ts := row[len(sideSource(q, isLeft).Columns)].(int64)
	h := types.Hash(k)
	own[h] = append(own[h], bufRow{key: k, row: row, ts: ts})
	if isLeft {
		jq.log.touch(stLeftBuf, h)
	} else {
		jq.log.touch(stRightBuf, h)
	}
	matched := false
	defer func() {
		if isLeft && jq.left && !matched && err == nil {
			// LEFT JOIN: a left record nothing matched yet joins nulls now.
			nulls := make([]types.Value, len(jq.right.Columns)+3)
			err = e.filterProject(q, append(append([]types.Value(nil), row...), nulls...), r, depth)
		}
	}()
	for _, o := range other[h] {
		if !types.Equal(o.key, k) {
			continue
		}
		lt, rt := ts, o.ts
		lrow, rrow := row, o.row
		if !isLeft {
			lt, rt = o.ts, ts
			lrow, rrow = o.row, row
		}
		if rt < lt-jq.before || rt > lt+jq.after {
			continue
		}
		matched = true
		out := r
		out.Timestamp = max(lt, rt)
		joined := append(append([]types.Value(nil), lrow...), rrow...)
		if err := e.filterProject(q, joined, out, depth); err != nil {
			return err
		}
	}
	return nil
}

// sideSource is the source of a join side.
func sideSource(q *query, isLeft bool) *Source {
	if isLeft {
		return q.from
	}
	return q.join.right
}

// planTableJoin plans a key-to-key join of two tables: INNER, LEFT or
// FULL OUTER.
func (e *Engine) planTableJoin(j *ast.Join, lref *ast.SourceRef, left, right *Source, qa *ast.Query, q *query, sink *Source, opts expr.Options) error {
	lkeys, rkeys := left.keyColumns(), right.keyColumns()
	if len(lkeys) != 1 || len(rkeys) != 1 {
		return statementErr("tables with several key columns cannot be joined yet")
	}
	lq, rq := qualifierOf(lref), qualifierOf(j.Right)
	lscope, rscope := scopeOf(left, lq), scopeOf(right, rq)
	cols := append(append([]expr.Column(nil), lscope.Columns...), rscope.Columns...)
	full := j.Type == ast.JoinFull
	if full {
		cols = append(cols, expr.Column{Name: "ROWKEY", Type: lkeys[0].Type})
	}
	scope := &expr.Scope{Columns: cols}
	cmp, ok := j.On.(*ast.Comparison)
	if !ok || cmp.Op != ast.CmpEq {
		return statementErr("only equality join conditions are supported yet: %s", ast.Format(j.On))
	}
	isKey := func(x ast.Expr, name, qual string) bool {
		cr, ok := x.(*ast.ColumnRef)
		return ok && cr.Name == name && (cr.Qualifier == qual || cr.Qualifier == "")
	}
	if !(isKey(cmp.Left, lkeys[0].Name, lq) && isKey(cmp.Right, rkeys[0].Name, rq)) &&
		!(isKey(cmp.Right, lkeys[0].Name, lq) && isKey(cmp.Left, rkeys[0].Name, rq)) {
		return statementErr("Cannot repartition a TABLE source. If this is a join, make sure that the criteria uses the TABLE's key column %s instead of %s", rkeys[0].Name, ast.Format(j.On))
	}
	q.from = left
	q.join = &joinQuery{
		right: right, tables: true, full: full, left: j.Type == ast.JoinLeft || full, rightOuter: j.Type == ast.JoinRight,
		leftTable: left, leftRows: map[uint64][]joinRow{}, table: map[uint64][]joinRow{},
		shown: map[uint64][]types.Value{},
	}
	var leftExpr ast.Expr = &ast.ColumnRef{Qualifier: lq, Name: lkeys[0].Name}
	isRight := func(x ast.Expr) bool { return !full && isKey(x, rkeys[0].Name, rq) }
	if j.Type == ast.JoinRight {
		leftExpr = &ast.ColumnRef{Qualifier: rq, Name: rkeys[0].Name}
	}
	if full {
		leftExpr = &ast.ColumnRef{Name: "ROWKEY"}
	}
	return e.planJoinOutput(qa, q, sink, opts, scope, lq, rq, left, right, leftExpr, isRight)
}

// tableJoin updates one side of a table-table join with a row (nil for a
// tombstone) and writes the joined row for its key, or a tombstone when
// the join no longer holds one.
func (e *Engine) tableJoin(q *query, isLeft bool, r Record, depth int) error {
	jq := q.join
	src := jq.leftTable
	own, other := jq.leftRows, jq.table
	if !isLeft {
		src, own, other = jq.right, jq.table, jq.leftRows
	}
	if r.Key == nil {
		return nil
	}
	ks, err := src.keySerde()
	if err != nil {
		return err
	}
	keys, err := ks.Decode(r.Key)
	if err != nil || len(keys) != 1 || keys[0] == nil {
		e.skip(q)
		return nil
	}
	k := keys[0]
	h := types.Hash(k)
	if isLeft {
		jq.log.touch(stJoinLeft, h)
	} else {
		jq.log.touch(stJoinTable, h)
	}
	rows := own[h]
	for i, jr := range rows {
		if types.Equal(jr.key, k) {
			rows = append(rows[:i:i], rows[i+1:]...)
			break
		}
	}
	var row []types.Value
	if r.Value != nil {
		var ok bool
		if row, ok, err = e.decodeRow(src, r); err != nil {
			return err
		}
		if !ok {
			e.skip(q)
			own[h] = rows
			return nil
		}
		rows = append(rows, joinRow{key: k, row: row})
	}
	own[h] = rows
	var match []types.Value
	for _, jr := range other[h] {
		if types.Equal(jr.key, k) {
			match = jr.row
		}
	}
	lrow, rrow := row, match
	if !isLeft {
		lrow, rrow = match, row
	}
	var joined []types.Value
	switch {
	case lrow != nil && rrow != nil:
	case lrow != nil && jq.left:
	case rrow != nil && (jq.full || jq.rightOuter):
	default:
		// No joined row for the key: delete it downstream if it was there.
		if !jq.setShown(h, k, false) {
			return nil
		}
		return e.tombstoneKey(q, k, r, depth)
	}
	jq.setShown(h, k, true)
	if lrow == nil {
		lrow = make([]types.Value, len(jq.leftTable.Columns)+3)
	}
	if rrow == nil {
		rrow = make([]types.Value, len(jq.right.Columns)+3)
	}
	joined = append(append([]types.Value(nil), lrow...), rrow...)
	if jq.full {
		joined = append(joined, k)
	}
	return e.filterProject(q, joined, r, depth)
}

// tombstoneKey writes a tombstone for key k of q's sink.
func (e *Engine) tombstoneKey(q *query, k types.Value, r Record, depth int) error {
	sk, err := q.sink.keySerde()
	if err != nil {
		return err
	}
	kb, err := sk.Encode([]types.Value{k})
	if err != nil {
		return &Error{Phase: PhaseRuntime, Msg: err.Error()}
	}
	return e.write(q, q.sink.Topic, Record{Key: kb, Timestamp: r.Timestamp}, depth)
}

// setShown records whether key k's joined row is written and reports
// whether it was.
func (jq *joinQuery) setShown(h uint64, k types.Value, on bool) bool {
	jq.log.touch(stJoinShown, h)
	ks := jq.shown[h]
	for i, x := range ks {
		if types.Equal(x, k) {
			if !on {
				jq.shown[h] = append(ks[:i:i], ks[i+1:]...)
			}
			return true
		}
	}
	if on {
		jq.shown[h] = append(ks, k)
	}
	return false
}
