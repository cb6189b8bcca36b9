package engine

import (
	"cmp"
	"math"
	"slices"

	"github.com/streamlite/streamlite/sql/types"
)

// Stream-stream joins follow Kafka Streams' KStreamKStreamJoin. Each side's
// buffer keeps its records for the join's retention (before + after +
// grace, a day without a GRACE PERIOD) behind the latest time put into it:
// an older record can no longer match and is dropped, from the buffer and
// from every lookup. Stream time is the latest record time either side
// has seen. In an outer join (LEFT, RIGHT, FULL) a record nothing matches
// joins nulls: at once without a GRACE PERIOD, else only once its window
// has closed for good (stream time past its time + after, or + before for
// a right record, + grace), in time order, right records first at equal
// times, unless a match turns up meanwhile. A record whose window is
// already behind stream time joins nulls at once.

// joinTimes are a stream-stream join's clocks.
type joinTimes struct {
	// left and right are the latest times put into each side's buffer.
	left, right int64
	// stream is the latest time of a record of either side.
	stream int64
	// minPending is the earliest time of a record waiting for its window
	// to close, math.MaxInt64 for none.
	minPending int64
	// swept is the stream time of the last sweep of expired records.
	swept int64
}

func newJoinTimes() joinTimes {
	return joinTimes{left: noJoinTime, right: noJoinTime, stream: noJoinTime, minPending: math.MaxInt64, swept: noJoinTime}
}

// retention is how long behind its side's time a buffered record can
// still match.
func (n *joinQuery) retention() int64 { return n.before + n.after + n.grace }

// live reports whether a record at ts is still in a buffer whose latest
// time is at.
func (n *joinQuery) live(ts, at int64) bool {
	return at == noJoinTime || ts > at-n.retention()
}

// streamJoinAt runs row, a record of one side of stream-stream join n at
// time r.Timestamp: it joins the other side's buffered records of its key
// inside the window (the output's time is the later of the two), or nulls
// for an outer side, and is buffered itself.
func (e *Engine) streamJoinAt(q *query, n *joinQuery, isLeft bool, row []types.Value, r Record, depth int) error {
	keyExpr, own, other, ownKind, otherTime := n.leftKey, n.leftBuf, n.rightBuf, byte(stLeftBuf), n.times.right
	from, to := r.Timestamp-n.before, r.Timestamp+n.after
	outer := n.left
	if !isLeft {
		keyExpr, own, other, ownKind, otherTime = n.rightKey, n.rightBuf, n.leftBuf, stRightBuf, n.times.left
		from, to = r.Timestamp-n.after, r.Timestamp+n.before
		outer = n.rightOuter
	}
	from, to = max(from, 0), max(to, 0)
	k, err := keyExpr.Eval(row)
	if err != nil {
		return &Error{Phase: PhaseRuntime, Msg: err.Error()}
	}
	ts := r.Timestamp
	if ts > n.times.stream {
		n.times.stream = ts
		n.log.touch(stJoinTimes, 0)
	}
	if k == nil {
		return nil // a record without a key joins nothing
	}
	h := types.Hash(k)

	// Buffer the record, behind its side's time.
	at := &n.times.left
	if !isLeft {
		at = &n.times.right
	}
	if ts > *at {
		*at = ts
		n.log.touch(stJoinTimes, 0)
	}
	rows := slices.DeleteFunc(own[h], func(b bufRow) bool { return !n.live(b.ts, *at) })
	if n.live(ts, *at) {
		rows = append(rows, bufRow{key: k, row: row, ts: ts})
	}
	if len(rows) == 0 {
		delete(own, h)
	} else {
		own[h] = rows
	}
	n.log.touch(ownKind, h)

	if n.spurious && ts == n.times.stream {
		if err := e.emitClosed(q, n, isLeft, r, depth); err != nil {
			return err
		}
	}
	matched := false
	for _, o := range other[h] {
		if !types.Equal(o.key, k) || o.ts < from || o.ts > to || !n.live(o.ts, otherTime) {
			continue
		}
		matched = true
		if n.spurious {
			n.unpend(!isLeft, h, k, o.ts)
		}
		lrow, rrow := row, o.row
		if !isLeft {
			lrow, rrow = o.row, row
		}
		out := r
		out.Timestamp = max(ts, o.ts)
		if err := e.joinOut(q, n, k, n.output(lrow, rrow, k, out.Timestamp), out, depth); err != nil {
			return err
		}
	}
	switch {
	case matched || !outer:
	case !n.spurious || to < n.times.stream:
		if err := e.joinOut(q, n, k, n.nullJoined(isLeft, row, k, ts), r, depth); err != nil {
			return err
		}
	default:
		n.pend(isLeft, h, bufRow{key: k, row: row, ts: ts})
	}
	n.sweep()
	return nil
}

// nullJoined is a record of one side at ts joined with nulls.
func (n *joinQuery) nullJoined(isLeft bool, row []types.Value, k types.Value, ts int64) []types.Value {
	if isLeft {
		return n.output(row, nil, k, ts)
	}
	return n.output(nil, row, k, ts)
}

// pend keeps an unmatched record until its window closes.
func (n *joinQuery) pend(isLeft bool, h uint64, b bufRow) {
	m, kind := n.pendLeft, byte(stPendLeft)
	if !isLeft {
		m, kind = n.pendRight, stPendRight
	}
	m[h] = append(m[h], b)
	n.log.touch(kind, h)
	if b.ts < n.times.minPending {
		n.times.minPending = b.ts
		n.log.touch(stJoinTimes, 0)
	}
}

// unpend drops the waiting records of one side with key k and time ts: a
// record of the other side matched them.
func (n *joinQuery) unpend(isLeft bool, h uint64, k types.Value, ts int64) {
	m, kind := n.pendLeft, byte(stPendLeft)
	if !isLeft {
		m, kind = n.pendRight, stPendRight
	}
	rows, ok := m[h]
	if !ok {
		return
	}
	kept := slices.DeleteFunc(slices.Clone(rows), func(b bufRow) bool { return b.ts == ts && types.Equal(b.key, k) })
	if len(kept) == len(rows) {
		return
	}
	n.log.touch(kind, h)
	if len(kept) == 0 {
		delete(m, h)
	} else {
		m[h] = kept
	}
}

// lookback is how long after its time a waiting record's window stays
// open, before grace.
func (n *joinQuery) lookback(isLeft bool) int64 {
	if isLeft {
		return n.after
	}
	return n.before
}

// closed removes and returns the waiting records whose window has closed,
// in the order of their time, right records first at equal times, then
// their keys.
func (n *joinQuery) closed() []closedRow {
	var out []closedRow
	next := int64(math.MaxInt64)
	for _, side := range []bool{true, false} {
		m, kind := n.pendLeft, byte(stPendLeft)
		if !side {
			m, kind = n.pendRight, stPendRight
		}
		for h, rows := range m {
			var kept []bufRow
			for _, b := range rows {
				if b.ts+n.lookback(side)+n.grace < n.times.stream {
					out = append(out, closedRow{bufRow: b, isLeft: side})
				} else {
					kept = append(kept, b)
					next = min(next, b.ts)
				}
			}
			if len(kept) == len(rows) {
				continue
			}
			n.log.touch(kind, h)
			if len(kept) == 0 {
				delete(m, h)
			} else {
				m[h] = kept
			}
		}
	}
	if next != n.times.minPending {
		n.times.minPending = next
		n.log.touch(stJoinTimes, 0)
	}
	slices.SortStableFunc(out, func(a, b closedRow) int {
		switch {
		case a.ts != b.ts:
			return cmp.Compare(a.ts, b.ts)
		case a.isLeft != b.isLeft:
			if a.isLeft {
				return 1
			}
			return -1
		}
		return compareKeys(a.key, b.key)
	})
	return out
}

// closedRow is a waiting record whose window has closed.
type closedRow struct {
	bufRow
	isLeft bool
}

// emitClosed writes the waiting records whose window has closed, joined
// with nulls; a record of side isLeft that moved stream time triggers it.
func (e *Engine) emitClosed(q *query, n *joinQuery, isLeft bool, r Record, depth int) error {
	if n.times.minPending == math.MaxInt64 || n.times.minPending+n.lookback(isLeft)+n.grace >= n.times.stream {
		return nil
	}
	for _, c := range n.closed() {
		out := r
		out.Timestamp = c.ts
		if err := e.joinOut(q, n, c.key, n.nullJoined(c.isLeft, c.row, c.key, c.ts), out, depth); err != nil {
			return err
		}
	}
	return nil
}

// sweep drops the buffered records that can no longer match, once per
// half retention of stream time, so the buffers stay bounded.
func (n *joinQuery) sweep() {
	every := max(n.retention()/2, 1)
	if n.times.swept != noJoinTime && n.times.stream-n.times.swept < every {
		return
	}
	n.times.swept = n.times.stream
	n.log.touch(stJoinTimes, 0)
	for _, side := range []struct {
		m    map[uint64][]bufRow
		kind byte
		at   int64
	}{{n.leftBuf, stLeftBuf, n.times.left}, {n.rightBuf, stRightBuf, n.times.right}} {
		for h, rows := range side.m {
			kept := slices.DeleteFunc(slices.Clone(rows), func(b bufRow) bool { return !n.live(b.ts, side.at) })
			if len(kept) == len(rows) {
				continue
			}
			n.log.touch(side.kind, h)
			if len(kept) == 0 {
				delete(side.m, h)
			} else {
				side.m[h] = kept
			}
		}
	}
}

// compareKeys orders join keys: by value where they compare, else by
// their text.
func compareKeys(a, b types.Value) int {
	if x, ok := a.([]types.Value); ok {
		if y, ok := b.([]types.Value); ok {
			for i := 0; i < len(x) && i < len(y); i++ {
				if c := compareKeys(x[i], y[i]); c != 0 {
					return c
				}
			}
			return len(x) - len(y)
		}
	}
	if c, err := types.Compare(a, b); err == nil {
		return c
	}
	return 0
}
