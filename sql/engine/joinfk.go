package engine

import (
	"slices"

	"github.com/streamlite/streamlite/sql/types"
)

// Foreign-key table-table joins follow Kafka Streams' KTable-KTable
// foreign-key join: the result is keyed by the left table's key; a left
// row joins the right row its expression (the foreign key) names. A left
// update writes the joined row (an INNER JOIN only when the right row
// exists, or when it replaces an earlier row of the key, which it then
// deletes); a left deletion deletes the key's row. A right update rewrites
// the joined row of every left row referring to it, in the order of their
// keys; a right deletion deletes them (INNER) or joins them with nulls
// (LEFT).

// fkLeft folds the change of left key k's row (nil: deleted) into
// foreign-key join n.
func (e *Engine) fkLeft(q *query, n *joinQuery, k types.Value, row []types.Value, r Record, depth int) error {
	h := types.Hash(k)
	old := findJoinRow(n.leftRows[h], k)
	n.log.touch(stJoinLeft, h)
	if n.leftRows[h] = putJoinRow(n.leftRows[h], k, row); len(n.leftRows[h]) == 0 {
		delete(n.leftRows, h)
	}
	var oldFK, newFK types.Value
	var err error
	if old != nil {
		if oldFK, err = n.leftKey.Eval(old); err != nil {
			return &Error{Phase: PhaseRuntime, Msg: err.Error()}
		}
		n.refer(oldFK, k, false)
	}
	if row != nil {
		if newFK, err = n.leftKey.Eval(row); err != nil {
			return &Error{Phase: PhaseRuntime, Msg: err.Error()}
		}
		n.refer(newFK, k, true)
	}
	var match []types.Value
	if newFK != nil {
		match = findJoinRow(n.table[types.Hash(newFK)], newFK)
	}
	r.Timestamp = n.laterTime(r.Timestamp, match, false)
	switch {
	case row == nil:
		if old == nil {
			return nil
		}
		return e.joinOut(q, n, k, nil, r, depth)
	case match != nil || n.left:
		return e.joinOut(q, n, k, n.output(row, match, k, r.Timestamp), r, depth)
	case old != nil:
		return e.joinOut(q, n, k, nil, r, depth)
	}
	return nil
}

// refer adds (on) or removes left key k from the keys referring to
// foreign key fk.
func (n *joinQuery) refer(fk, k types.Value, on bool) {
	if fk == nil {
		return
	}
	h := types.Hash(fk)
	n.log.touch(stFKIndex, h)
	rows := slices.DeleteFunc(slices.Clone(n.fkIndex[h]), func(jr joinRow) bool {
		return types.Equal(jr.key, fk) && types.Equal(jr.row[0], k)
	})
	if on {
		rows = append(rows, joinRow{key: fk, row: []types.Value{k}})
	}
	if len(rows) == 0 {
		delete(n.fkIndex, h)
	} else {
		n.fkIndex[h] = rows
	}
}

// fkRight folds the change of the right row of key f (nil: deleted) into
// foreign-key join n and rewrites the joined rows of the left rows
// referring to f.
func (e *Engine) fkRight(q *query, n *joinQuery, f types.Value, row []types.Value, r Record, depth int) error {
	h := types.Hash(f)
	existed := findJoinRow(n.table[h], f) != nil
	n.log.touch(stJoinTable, h)
	if n.table[h] = putJoinRow(n.table[h], f, row); len(n.table[h]) == 0 {
		delete(n.table, h)
	}
	if row == nil && !existed {
		return nil
	}
	var refs []types.Value
	for _, jr := range n.fkIndex[h] {
		if types.Equal(jr.key, f) {
			refs = append(refs, jr.row[0])
		}
	}
	slices.SortStableFunc(refs, compareKeys)
	for _, k := range refs {
		lrow := findJoinRow(n.leftRows[types.Hash(k)], k)
		if lrow == nil {
			continue
		}
		var out []types.Value
		lr := r
		lr.Timestamp = n.laterTime(r.Timestamp, lrow, true)
		if row != nil || n.left {
			out = n.output(lrow, row, k, lr.Timestamp)
		}
		if err := e.joinOut(q, n, k, out, lr, depth); err != nil {
			return err
		}
	}
	return nil
}
