package engine

import (
	"slices"

	"github.com/streamlite/streamlite/sql/types"
)

// How records flow through a query's joins. A record of the first source
// enters the bottom join as a left row; a record of a join's right source
// enters that join. What a join outputs (a joined row, or for a table
// result the deletion of a key's row) enters the join above it as a left
// row, and the top join's output goes to the WHERE and select list (or
// aggregation) and the sink.

// nodes lists a query's joins from the top one down; nil for none.
func (jq *joinQuery) nodes() []*joinQuery {
	var out []*joinQuery
	for n := jq; n != nil; n = n.inner {
		out = append(out, n)
	}
	return out
}

// joinNode is the query's join numbered i by nodes, nil if none.
func (q *query) joinNode(i uint8) *joinQuery {
	n := q.join
	for ; n != nil && i > 0; i-- {
		n = n.inner
	}
	return n
}

// joinInput runs r, a record of topic t, through q's joins and reports
// whether q reads t at all. Right sources go first, the bottom join's
// first.
func (e *Engine) joinInput(q *query, t string, r Record, depth int) (bool, error) {
	nodes := q.join.nodes()
	handled := false
	for i := len(nodes) - 1; i >= 0; i-- {
		if n := nodes[i]; n.right.Topic == t {
			handled = true
			if err := e.joinRightRecord(q, n, r, depth); err != nil {
				return true, err
			}
		}
	}
	if q.from.Topic != t {
		return handled, nil
	}
	return true, e.joinLeafRecord(q, nodes[len(nodes)-1], r, depth)
}

// joinLeafRecord runs a record of the query's first source into the bottom
// join b.
func (e *Engine) joinLeafRecord(q *query, b *joinQuery, r Record, depth int) error {
	if q.from.Table {
		k, row, ok, err := e.decodeTableChange(q, &q.fromCodec, q.from, &r)
		if err != nil || !ok {
			return err
		}
		return e.joinLeft(q, b, k, row, r, depth)
	}
	if r.Value == nil {
		return nil // a stream's null value joins nothing
	}
	row, ok, err := e.decodeInput(q, &r)
	if err != nil || !ok {
		return err
	}
	return e.joinLeft(q, b, nil, row, r, depth)
}

// decodeTableChange decodes a record of table src: its key (a list for
// several key columns) and row, nil for a tombstone. ok=false for a record
// to drop: no key, or one that does not deserialize (counted). A row's
// time becomes r's.
func (e *Engine) decodeTableChange(q *query, cache **codec, src *Source, r *Record) (types.Value, []types.Value, bool, error) {
	if r.Key == nil {
		return nil, nil, false, nil
	}
	c, err := codecFor(cache, src)
	if err != nil {
		return nil, nil, false, err
	}
	keys, err := c.key.Decode(r.Key)
	if err != nil || len(keys) == 0 || len(keys) == 1 && keys[0] == nil {
		e.skip(q)
		return nil, nil, false, nil
	}
	var k types.Value = keys[0]
	if len(keys) > 1 {
		k = slices.Clone(keys)
	}
	if r.Value == nil {
		return k, nil, true, nil
	}
	row, ok, err := decodeWith(c, src, *r)
	if err != nil {
		return nil, nil, false, err
	}
	if !ok {
		e.skip(q)
		return nil, nil, false, nil
	}
	r.Timestamp = row[len(src.Columns)].(int64)
	return k, row, true, nil
}

// joinRightRecord runs a record of join n's right source into it.
func (e *Engine) joinRightRecord(q *query, n *joinQuery, r Record, depth int) error {
	if n.streams {
		if r.Value == nil {
			return nil
		}
		c, err := codecFor(&n.rightCodec, n.right)
		if err != nil {
			return err
		}
		row, ok, err := decodeWith(c, n.right, r)
		if err != nil {
			return err
		}
		if !ok {
			e.skip(q)
			return nil
		}
		r.Timestamp = row[len(n.right.Columns)].(int64)
		return e.streamJoinAt(q, n, false, row, r, depth)
	}
	k, row, ok, err := e.decodeTableChange(q, &n.rightCodec, n.right, &r)
	if err != nil || !ok {
		return err
	}
	switch {
	case n.fk:
		return e.fkRight(q, n, k, row, r, depth)
	case n.tables:
		return e.tableJoinAt(q, n, false, k, row, r, depth)
	}
	// The table of a stream-table join: the row replaces the key's row, a
	// tombstone deletes it.
	h := types.Hash(k)
	n.log.touch(stJoinTable, h)
	n.table[h] = putJoinRow(n.table[h], k, row)
	if len(n.table[h]) == 0 {
		delete(n.table, h)
	}
	return nil
}

// putJoinRow replaces k's row in rows with row, or removes it for nil.
func putJoinRow(rows []joinRow, k types.Value, row []types.Value) []joinRow {
	for i, jr := range rows {
		if types.Equal(jr.key, k) {
			rows = append(rows[:i:i], rows[i+1:]...)
			break
		}
	}
	if row != nil {
		rows = append(rows, joinRow{key: k, row: row})
	}
	return rows
}

// findJoinRow returns k's row in rows, nil if none.
func findJoinRow(rows []joinRow, k types.Value) []types.Value {
	for _, jr := range rows {
		if types.Equal(jr.key, k) {
			return jr.row
		}
	}
	return nil
}

// joinLeft runs a left row into join n: a row of its left stream, or the
// change of its left table's row for key k (row nil: deleted).
func (e *Engine) joinLeft(q *query, n *joinQuery, k types.Value, row []types.Value, r Record, depth int) error {
	switch {
	case n.streams:
		return e.streamJoinAt(q, n, true, row, r, depth)
	case n.fk:
		return e.fkLeft(q, n, k, row, r, depth)
	case n.tables:
		return e.tableJoinAt(q, n, true, k, row, r, depth)
	}
	joined, ok, err := n.joined(row, r.Timestamp)
	if err != nil || !ok {
		return err
	}
	return e.joinOut(q, n, joined[len(joined)-2], joined, r, depth)
}

// joinOut hands an output of join n on: a joined row with key k, or for a
// table result the deletion of k's row (row nil). A table result deletes
// only a row it wrote (after the WHERE at the top), except a foreign-key
// join's, which deletes as Kafka Streams' does.
func (e *Engine) joinOut(q *query, n *joinQuery, k types.Value, row []types.Value, r Record, depth int) error {
	table := n.tables
	if table {
		if n.parent == nil && row != nil && q.where != nil {
			v, err := q.where.Eval(row)
			if err != nil {
				return &Error{Phase: PhaseRuntime, Msg: err.Error()}
			}
			if v != true {
				row = nil
			}
		}
		if !n.fk {
			if was := n.setShown(types.Hash(k), k, row != nil); row == nil && !was {
				return nil
			}
		}
	}
	switch {
	case n.parent != nil:
		return e.joinLeft(q, n.parent, k, row, r, depth)
	case !table:
		return e.filterProject(q, row, r, depth)
	case row == nil:
		keys := []types.Value{k}
		if n.multiKey {
			keys = k.([]types.Value)
		}
		return e.tombstoneKeys(q, keys, r, depth)
	}
	return e.projectEmit(q, row, r, depth)
}

// projectEmit writes q's select list over row.
func (e *Engine) projectEmit(q *query, row []types.Value, r Record, depth int) error {
	keys := make([]types.Value, len(q.keys))
	for i, c := range q.keys {
		v, err := c.Eval(row)
		if err != nil {
			return &Error{Phase: PhaseRuntime, Msg: err.Error()}
		}
		keys[i] = v
	}
	vals := make([]types.Value, len(q.values))
	for i, c := range q.values {
		v, err := c.Eval(row)
		if err != nil {
			return &Error{Phase: PhaseRuntime, Msg: err.Error()}
		}
		vals[i] = v
	}
	return e.emit(q, r, keys, vals, depth)
}

// tombstoneKeys writes a tombstone for keys of q's sink.
func (e *Engine) tombstoneKeys(q *query, keys []types.Value, r Record, depth int) error {
	if q.rows != nil {
		return q.rows(r, keys, nil)
	}
	c, err := codecFor(&q.sinkCodec, q.sink)
	if err != nil {
		return err
	}
	kb, err := c.key.Encode(keys)
	if err != nil {
		return &Error{Phase: PhaseRuntime, Msg: err.Error()}
	}
	return e.write(q, q.sink.Topic, Record{Key: kb, Timestamp: r.Timestamp}, depth)
}

// resetState empties the join's state, as before its first record.
func (jq *joinQuery) resetState() {
	for _, m := range []map[uint64][]joinRow{jq.table, jq.leftRows, jq.fkIndex} {
		clear(m)
	}
	for _, m := range []map[uint64][]bufRow{jq.leftBuf, jq.rightBuf, jq.pendLeft, jq.pendRight} {
		clear(m)
	}
	clear(jq.shown)
	jq.times = newJoinTimes()
}

// rowMap is the map of joinRows of a state kind.
func (jq *joinQuery) rowMap(kind byte) map[uint64][]joinRow {
	switch kind {
	case stJoinLeft:
		return jq.leftRows
	case stFKIndex:
		return jq.fkIndex
	}
	return jq.table
}

// bufMap is the map of bufRows of a state kind.
func (jq *joinQuery) bufMap(kind byte) map[uint64][]bufRow {
	switch kind {
	case stRightBuf:
		return jq.rightBuf
	case stPendLeft:
		return jq.pendLeft
	case stPendRight:
		return jq.pendRight
	}
	return jq.leftBuf
}
