package engine

import (
	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/types"
)

// joinQuery is one join of a persistent query: its left input (the
// query's FROM source or, in an n-way join, the join nested on its left)
// joined with a right source. A stream-table join looks each left row up
// in the table as it stood when the row arrived. A stream-stream join
// WITHIN a window buffers both sides by key and joins each record with
// the other side's records inside the window. A table-table join keeps
// both sides' rows and rewrites, or deletes, the joined row of a key at
// each update; a foreign-key one (the left side's expression against the
// right table's key) keeps the left rows by their foreign key as well. The
// joined row is the left row, the right row, then the join's key and time
// (see joinShape).
type joinQuery struct {
	right *Source
	// left: a left row nothing matches joins nulls (LEFT, FULL);
	// rightOuter: a right row does (RIGHT, FULL).
	left, rightOuter bool
	full             bool
	leftKey          expr.Compiled // over the left row
	rightKey         expr.Compiled // over the right row
	// table holds the right table's rows by key.
	table map[uint64][]joinRow

	// Stream-stream joins: a left record at t matches right records from
	// t-before to t+after; both sides are buffered by key (see
	// joinstream.go for grace, pending and retention).
	streams       bool
	before, after int64
	leftBuf       map[uint64][]bufRow
	rightBuf      map[uint64][]bufRow
	grace         int64
	// spurious: a GRACE PERIOD was given, so an unmatched record waits in
	// pendLeft/pendRight until its window closes rather than joining
	// nulls at once.
	spurious            bool
	pendLeft, pendRight map[uint64][]bufRow
	times               joinTimes

	// Table-table joins: leftRows holds the left rows by key; shown the
	// keys whose joined row is currently written, so only those get a
	// tombstone when the join stops holding.
	tables   bool
	leftRows map[uint64][]joinRow
	shown    map[uint64][]types.Value
	// fk marks a foreign-key join: fkIndex lists, by foreign key, the
	// left keys referring to it (as joinRow{fk, [left key]}); multiKey
	// that the left key has several columns, held as a list.
	fk       bool
	fkIndex  map[uint64][]joinRow
	multiKey bool

	// inner is the join feeding the left side, nil when it is the query's
	// FROM source; parent the join this one feeds, nil for the top one.
	inner, parent *joinQuery
	// leftWidth is the number of values in a left row, leftTime the index
	// of its time.
	leftWidth, leftTime int
	// rightCodec is the right source's serializers, built on first use.
	rightCodec *codec
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

func qualifierOf(r *ast.SourceRef) string {
	if r.Alias != "" {
		return r.Alias
	}
	return r.Name
}

// joined returns the stream row at time ts joined with its table row (or
// nulls for a LEFT JOIN), ok=false when an INNER JOIN finds none.
func (jq *joinQuery) joined(row []types.Value, ts int64) ([]types.Value, bool, error) {
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
	if match == nil && !jq.left {
		return nil, false, nil
	}
	return jq.output(row, match, k, ts), true, nil
}

// output is the joined row of left row l and right row r, either nil for
// nulls, with key k and time ts.
func (jq *joinQuery) output(l, r []types.Value, k types.Value, ts int64) []types.Value {
	rw := len(jq.right.Columns) + 3
	out := make([]types.Value, 0, jq.leftWidth+rw+2)
	if l == nil {
		l = make([]types.Value, jq.leftWidth)
	}
	if r == nil {
		r = make([]types.Value, rw)
	}
	return append(append(append(out, l...), r...), k, ts)
}

// laterTime is the later of ts and the time of row, a row of the left
// side (isLeft) or the right side, nil for none: a table-table join's
// output time.
func (jq *joinQuery) laterTime(ts int64, row []types.Value, isLeft bool) int64 {
	i := len(jq.right.Columns)
	if isLeft {
		i = jq.leftTime
	}
	if row != nil {
		if t, ok := row[i].(int64); ok {
			ts = max(ts, t)
		}
	}
	return ts
}

// tableJoinAt updates one side of table-table join n with key k's row
// (nil: deleted) and outputs the joined row for k, or its deletion when
// the join no longer holds one.
func (e *Engine) tableJoinAt(q *query, n *joinQuery, isLeft bool, k types.Value, row []types.Value, r Record, depth int) error {
	own, other := n.leftRows, n.table
	if !isLeft {
		own, other = n.table, n.leftRows
	}
	h := types.Hash(k)
	if isLeft {
		n.log.touch(stJoinLeft, h)
	} else {
		n.log.touch(stJoinTable, h)
	}
	if own[h] = putJoinRow(own[h], k, row); len(own[h]) == 0 {
		delete(own, h)
	}
	match := findJoinRow(other[h], k)
	r.Timestamp = n.laterTime(r.Timestamp, match, !isLeft)
	lrow, rrow := row, match
	if !isLeft {
		lrow, rrow = match, row
	}
	switch {
	case lrow != nil && rrow != nil:
	case lrow != nil && n.left:
	case rrow != nil && n.rightOuter:
	default:
		// No joined row for the key: delete it downstream.
		return e.joinOut(q, n, k, nil, r, depth)
	}
	return e.joinOut(q, n, k, n.output(lrow, rrow, k, r.Timestamp), r, depth)
}

// setShown records whether key k's joined row is written and reports
// whether it was.
func (jq *joinQuery) setShown(h uint64, k types.Value, on bool) bool {
	jq.log.touch(stJoinShown, h)
	ks := jq.shown[h]
	for i, x := range ks {
		if types.Equal(x, k) {
			if !on {
				if rest := append(ks[:i:i], ks[i+1:]...); len(rest) > 0 {
					jq.shown[h] = rest
				} else {
					delete(jq.shown, h)
				}
			}
			return true
		}
	}
	if on {
		jq.shown[h] = append(ks, k)
	}
	return false
}
