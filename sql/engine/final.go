package engine

import (
	"cmp"
	"slices"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/types"
)

// EMIT FINAL: a windowed aggregation writes each window's row once, when
// the window closes, as Kafka Streams' ON_WINDOW_CLOSE emit strategy
// (KIP-825) does under ksqlDB. The rows come from the aggregation's state,
// read when stream time moves past a window's end plus its grace period and
// before evictClosed drops the window, so EMIT FINAL keeps no state of its
// own:
//
//   - Kafka Streams remembers the close time of its last emission; it is
//     the close time of the record before, since every advance of the
//     close time emits the windows it passes (or finds none to emit).
//   - A time window's row carries the largest timestamp of its records:
//     a hidden MAX(ROWTIME) aggregate keeps it in the window's
//     accumulators.
//
// Like Kafka Streams, a time window is only emitted while its store still
// retains it (window start no earlier than the latest window start less
// size and grace), so a jump of stream time over several windows emits
// only the last of them; a session is emitted whatever the jump.

// emitFinal is an EMIT FINAL aggregation's plan.
type emitFinal struct {
	// tsAcc is the index in aggQuery.aggs of the hidden MAX(ROWTIME) of a
	// time window, -1 for sessions (whose rows carry their end).
	tsAcc int
}

// planEmitFinal makes aq, planned from qa, emit final rows only. With no
// GRACE PERIOD a window closes at its end, as ksqlDB's EMIT FINAL does.
func (aq *aggQuery) planEmitFinal(qa *ast.Query, scope *expr.Scope, opts expr.Options) error {
	f := &emitFinal{tsAcc: -1}
	if qa.Window.Grace == nil {
		if aq.window != nil {
			aq.window.grace = 0
		}
		if aq.session != nil {
			aq.session.grace = 0
		}
	}
	if aq.window != nil {
		ts, err := expr.Compile(&ast.ColumnRef{Name: "ROWTIME"}, scope, opts)
		if err != nil {
			return statementErr("%v", err)
		}
		f.tsAcc = len(aq.aggs)
		aq.aggs = append(aq.aggs, aggregator{name: "MAX", arg: ts, typ: types.TBigint()})
	}
	aq.final = f
	return nil
}

// updateAll folds a record with timestamp ts into its group, in every
// window it falls in that is still open, and returns the output rows: for
// EMIT CHANGES one per updated window (one, unwindowed), for EMIT FINAL
// the final rows of the windows the record's time closes.
func (aq *aggQuery) updateAll(row []types.Value, ts int64) ([]windowedOut, error) {
	if aq.final == nil {
		return aq.updateChanges(row, ts)
	}
	var finals []windowedOut
	if ts > aq.streamTime {
		var err error
		if finals, err = aq.closedRows(aq.streamTime, ts); err != nil {
			return nil, err
		}
	}
	if _, err := aq.updateChanges(row, ts); err != nil {
		return nil, err
	}
	return finals, nil
}

// closedRows returns the final rows of the windows that stream time moving
// from prev to now closes, in the order Kafka Streams' time-ordered stores
// give them: by window start (a session's end), then key.
func (aq *aggQuery) closedRows(prev, now int64) ([]windowedOut, error) {
	var out []windowedOut
	if w := aq.window; w != nil {
		// Ends in (prev-grace, now-grace]; starts the store retains.
		lo, hi := prev-w.grace, now-w.grace
		retained := floorTo(now, w.advance) - w.size - w.grace
		for _, gs := range aq.state {
			for _, g := range gs {
				end := g.start + w.size
				if end <= lo || end > hi || g.start < retained {
					continue
				}
				val, ok, err := aq.finalRow(g.key, g.accs, g.start, end)
				if err != nil {
					return nil, err
				}
				if ok {
					ts, _ := g.accs[aq.final.tsAcc].(int64)
					out = append(out, windowedOut{key: g.key, start: g.start, end: end, val: val, final: true, ts: ts})
				}
			}
		}
	}
	if sw := aq.session; sw != nil {
		// Ends in [max(0, prev close), now close - 1].
		lo, hi := max(0, prev-sw.grace-sw.gap), now-sw.grace-sw.gap-1
		for _, sgs := range aq.sessions {
			for _, g := range sgs {
				for _, s := range g.sessions {
					if s.end < lo || s.end > hi {
						continue
					}
					val, ok, err := aq.finalRow(g.key, s.accs, s.start, s.end)
					if err != nil {
						return nil, err
					}
					if ok {
						out = append(out, windowedOut{key: g.key, start: s.start, end: s.end, val: val, final: true, ts: s.end})
					}
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b windowedOut) int {
		if aq.session != nil {
			if c := cmp.Compare(a.end, b.end); c != 0 {
				return c
			}
		} else if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		for i := range a.key {
			if c, err := types.Compare(a.key[i], b.key[i]); err == nil && c != 0 {
				return c
			}
		}
		return cmp.Compare(a.start, b.start)
	})
	return out, nil
}

// finalRow is a closed window's sink row, ok=false when HAVING drops it
// (nothing was written for the window, so there is nothing to delete).
func (aq *aggQuery) finalRow(key []types.Value, accs []any, start, end int64) ([]types.Value, bool, error) {
	if aq.having != nil {
		pass, err := aq.having.Eval(aq.postRow(key, accs))
		if err != nil || pass != true {
			return nil, false, err
		}
	}
	val, err := aq.outputRow(key, accs, start, end)
	return val, err == nil, err
}
