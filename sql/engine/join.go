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
}

// joinRow is one row of the table side, by its key.
type joinRow struct {
	key types.Value
	row []types.Value
}

// planJoin plans a stream-table join into q, filling sink's columns.
func (e *Engine) planJoin(j *ast.Join, qa *ast.Query, q *query, sink *Source, opts expr.Options) error {
	lref, ok := j.Left.(*ast.SourceRef)
	if !ok || j.Within != nil || (j.Type != ast.JoinInner && j.Type != ast.JoinLeft) {
		return statementErr("joins other than stream-table INNER and LEFT are not supported yet")
	}
	left, ok := e.sources[lref.Name]
	if !ok {
		return statementErr("%s does not exist.", lref.Name)
	}
	right, ok := e.sources[j.Right.Name]
	if !ok {
		return statementErr("%s does not exist.", j.Right.Name)
	}
	if left.Table || !right.Table {
		return statementErr("joins other than stream-table are not supported yet")
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
					isKey := side.src == left && c.Name == leftKeyName
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

func qualifierOf(r *ast.SourceRef) string {
	if r.Alias != "" {
		return r.Alias
	}
	return r.Name
}

// processRight folds a record of the join's table side into its state: a
// row replaces the key's row, a tombstone deletes it.
func (e *Engine) processRight(q *query, r Record, _ int) error {
	jq := q.join
	ks, err := jq.right.keySerde()
	if err != nil {
		return err
	}
	if r.Key == nil {
		return nil
	}
	keys, err := ks.Decode(r.Key)
	if err != nil || len(keys) != 1 || keys[0] == nil {
		e.Skipped++
		return nil
	}
	h := types.Hash(keys[0])
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
			e.Skipped++
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
