package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/types"
)

// aggQuery is a GROUP BY over a stream without a window: one row of
// aggregates per group, every update emitted (no record cache), as ksqlDB's
// test driver emits them.
type aggQuery struct {
	groups []expr.Compiled
	aggs   []aggregator
	// out says, for each sink value column, whether it is an aggregate (its
	// index in aggs) or a group column (its index in groups, as -1-i).
	out    []int
	state  map[uint64][]*groupState
	fields int
	// window is set for a windowed aggregation (tumbling or hopping).
	window *timeWindow
	// session is set for a SESSION window, with its groups' sessions.
	session  *sessionWindow
	sessions map[uint64][]*sessionGroup
	// streamTime is the largest record timestamp seen, which closes
	// windows.
	streamTime int64
	// evictedAt is the stream time of the last eviction of closed windows.
	evictedAt int64
	// oldestStart is, when oldestKnown, a lower bound of the window
	// starts in state: eviction scans only once it may have closed.
	oldestStart int64
	oldestKnown bool
	// tableRows holds, for an aggregation over a table, each source row's
	// last contribution by the row's key bytes.
	tableRows map[string]tableContribution
	// having filters groups (HAVING); it and postExprs (select items over
	// aggregates) read postRow: the group's key values, then the hidden
	// aggregators postAggs names, as postScope lays them out.
	having    expr.Compiled
	postExprs []expr.Compiled
	postAggs  []int
	postScope *expr.Scope
	// log tracks changed state for the runtime; nil in driver mode.
	log *stateLog
	// late counts records dropped because their windows had closed.
	late atomic.Int64
	// final is set for EMIT FINAL (final.go).
	final *emitFinal
	// recordTime is the time of the record update and retract fold in;
	// groupTime, after them, the changed group's ts.
	recordTime, groupTime int64
}

// Codes in aggQuery.out for the window bounds of a windowed select.
const (
	outWindowStart = -1000
	outWindowEnd   = -1001
	// outPostBase - i is postExprs[i].
	outPostBase = -2000
)

// timeWindow is a tumbling (advance = size) or hopping window.
type timeWindow struct {
	size, advance, grace int64
}

// defaultGraceMs is ksqlDB's grace period when none is given (24 hours,
// Kafka Streams' legacy default).
const defaultGraceMs = 24 * 60 * 60 * 1000

// groupState is one group's key and running aggregates.
type groupState struct {
	key   []types.Value
	start int64 // window start, 0 unwindowed
	accs  []any
	// shown is true while the group's last output was a row (it passed
	// HAVING), so a later failure deletes it with a tombstone.
	shown bool
	// ts is the latest time of the group's records: Kafka Streams times
	// an aggregate's output by the max of its inputs' times.
	ts int64
}

// aggregator is one aggregate function of the select list.
type aggregator struct {
	name string
	arg  expr.Compiled // nil for COUNT(*)
	typ  types.Type
	// n is the count argument of TOPK(x, n), TOPKDISTINCT and the
	// EARLIEST/LATEST_BY_OFFSET(x, n) forms; 0 for none.
	n int
	// limit bounds COLLECT_LIST/COLLECT_SET (ksql.functions.*.limit).
	limit int
	// keepNulls is EARLIEST/LATEST_BY_OFFSET's ignoreNulls=false.
	keepNulls bool
	// seq is set for EARLIEST/LATEST_BY_OFFSET in a SESSION window: arg
	// yields Struct{offset, value} (see foldBySeq).
	seq bool
}

// boolArg reads a TRUE/FALSE literal argument.
func boolArg(e ast.Expr) (bool, bool) {
	l, ok := e.(*ast.Literal)
	if !ok || l.Kind != ast.LitBoolean {
		return false, false
	}
	return l.Bool, true
}

// supportedAggs are the aggregate functions planned so far.
var supportedAggs = map[string]bool{
	"COUNT": true, "SUM": true, "MIN": true, "MAX": true, "LATEST_BY_OFFSET": true, "EARLIEST_BY_OFFSET": true,
	"COLLECT_LIST": true, "COLLECT_SET": true, "TOPK": true, "TOPKDISTINCT": true, "ATTR": true,
	"AVG": true, "COUNT_DISTINCT": true, "CORRELATION": true, "HISTOGRAM": true,
	"STDDEV_SAMP": true, "STDDEV_SAMPLE": true, "SUM_LIST": true,
}

// countArg reads the integer literal argument of TOPK(x, n) and the like.
func countArg(e ast.Expr) (int, bool) {
	l, ok := e.(*ast.Literal)
	if !ok || (l.Kind != ast.LitInt && l.Kind != ast.LitBigint) || l.Int <= 0 || l.Int > 1<<20 {
		return 0, false
	}
	return int(l.Int), true
}

// isAggregating reports whether q groups or calls an aggregate.
func isAggregating(q *ast.Query) bool {
	if len(q.GroupBy) > 0 {
		return true
	}
	for _, si := range q.Select {
		if fc, ok := si.Expr.(*ast.FunctionCall); ok && isAggregateName(fc.Name) {
			return true
		}
	}
	return false
}

// planAggregate plans a GROUP BY query into q, filling sink's columns.
func (e *Engine) planAggregate(qa *ast.Query, q *query, scope *expr.Scope, sink *Source, opts expr.Options) error {
	aq := &aggQuery{state: map[uint64][]*groupState{}, tableRows: map[string]tableContribution{}}
	if w := qa.Window; w != nil {
		if w.Kind == ast.WindowSession {
			sw := &sessionWindow{gap: w.Size.Millis(), grace: defaultGraceMs}
			if w.Grace != nil {
				sw.grace = w.Grace.Millis()
			}
			aq.session = sw
			aq.sessions = map[uint64][]*sessionGroup{}
		}
	}
	if w := qa.Window; w != nil && w.Kind != ast.WindowSession {
		tw := &timeWindow{size: w.Size.Millis(), grace: defaultGraceMs}
		tw.advance = tw.size
		if w.Advance != nil {
			tw.advance = w.Advance.Millis()
		}
		if w.Grace != nil {
			tw.grace = w.Grace.Millis()
		}
		if tw.size <= 0 || tw.advance <= 0 || tw.advance > tw.size {
			return posErr(w.At, "invalid window: size %d ms, advance %d ms", tw.size, tw.advance)
		}
		aq.window = tw
	}
	if len(qa.GroupBy) == 0 {
		return noGroupByErr(qa)
	}
	if qa.Emit == ast.EmitFinal && qa.Window == nil {
		return statementErr("EMIT FINAL is only supported for windowed aggregations.")
	}
	groupText := map[string]int{}
	var keyCols []Column
	generated := 0
	for i, g := range qa.GroupBy {
		if err := noWindowBounds(g); err != nil {
			return err
		}
		c, err := expr.Compile(g, scope, opts)
		if err != nil {
			return statementErr("%v", err)
		}
		aq.groups = append(aq.groups, c)
		groupText[ast.Format(g)] = i
		name := ""
		if cr, ok := g.(*ast.ColumnRef); ok {
			name = cr.Name
		}
		keyCols = append(keyCols, Column{Name: name, Type: c.Type(), NS: NSKey})
	}
	var valCols []Column
	selected := make([]bool, len(keyCols))
	for _, si := range selectItems(qa.Select, q.from) {
		if fc, ok := si.Expr.(*ast.FunctionCall); ok && isAggregateName(fc.Name) {
			ag, err := e.planAggCall(fc, aq, scope, opts)
			if err != nil {
				return err
			}
			col := si.Alias
			if col == "" {
				col = fmt.Sprintf("KSQL_COL_%d", generated)
				generated++
			}
			aq.out = append(aq.out, len(aq.aggs))
			aq.aggs = append(aq.aggs, ag)
			valCols = append(valCols, Column{Name: col, Type: ag.typ})
			continue
		}
		if cr, ok := si.Expr.(*ast.ColumnRef); ok && (aq.window != nil || aq.session != nil) && (cr.Name == "WINDOWSTART" || cr.Name == "WINDOWEND") {
			col := si.Alias
			if col == "" {
				col = cr.Name
			}
			code := outWindowStart
			if cr.Name == "WINDOWEND" {
				code = outWindowEnd
			}
			aq.out = append(aq.out, code)
			valCols = append(valCols, Column{Name: col, Type: types.TBigint()})
			continue
		}
		i, ok := groupText[ast.Format(si.Expr)]
		if !ok {
			// An expression over aggregates and grouping expressions.
			c, err := e.postCompile(si.Expr, aq, qa.GroupBy, scope, opts)
			if err != nil {
				var ee *Error
				if errors.As(err, &ee) && strings.Contains(ee.Msg, "cannot be resolved") {
					return errAt(si.Expr, "Non-aggregate SELECT expression(s) not part of GROUP BY: %s", ast.Format(si.Expr))
				}
				return err
			}
			col := si.Alias
			if col == "" {
				col = fmt.Sprintf("KSQL_COL_%d", generated)
				generated++
			}
			aq.out = append(aq.out, outPostBase-len(aq.postExprs))
			aq.postExprs = append(aq.postExprs, c)
			valCols = append(valCols, Column{Name: col, Type: c.Type()})
			continue
		}
		selected[i] = true
		if si.Alias != "" {
			keyCols[i].Name = si.Alias
		} else if keyCols[i].Name == "" {
			keyCols[i].Name = fmt.Sprintf("KSQL_COL_%d", generated)
			generated++
		}
	}
	for i := range keyCols {
		if !selected[i] {
			g := ast.Format(qa.GroupBy[i])
			return errAt(qa.GroupBy[i], "The query used to build `%s` must include the grouping expression %s in its projection (eg, SELECT %s...).", sink.Name, g, g)
		}
	}
	if err := checkAggColumns(keyCols, valCols); err != nil {
		return err
	}
	if qa.Having != nil {
		if err := noWindowBounds(qa.Having); err != nil {
			return err
		}
		c, err := e.postCompile(qa.Having, aq, qa.GroupBy, scope, opts)
		if err != nil {
			return err
		}
		aq.having = c
	}
	if qa.Emit == ast.EmitFinal {
		if err := aq.planEmitFinal(qa, scope, opts); err != nil {
			return err
		}
	}
	aq.fields = len(valCols)
	sink.Table = true
	sink.Columns = append(keyCols, valCols...)
	q.agg = aq
	return nil
}

// windowedOut is one output row of an update: the group's key, its window
// start (windowed queries) and the aggregates.
type windowedOut struct {
	key        []types.Value
	start, end int64         // end: session windows only
	val        []types.Value // nil: a tombstone (HAVING failed, session merged)
	// final marks an EMIT FINAL row, timed a changed group's row
	// (update), whose time is ts: the latest of its window's or group's
	// records.
	final, timed bool
	ts           int64
}

// updateChanges folds a record with timestamp ts into its group, in every
// window it falls in that is still open, and returns an output row per
// updated window (one, unwindowed): updateAll for EMIT CHANGES.
func (aq *aggQuery) updateChanges(row []types.Value, ts int64) ([]windowedOut, error) {
	if aq.session != nil {
		return aq.updateSession(row, ts)
	}
	aq.recordTime = ts
	if aq.window == nil {
		key, val, ok, err := aq.update(row, 0)
		if err != nil || !ok {
			return nil, err
		}
		return []windowedOut{{key: key, val: val, ts: aq.groupTime, timed: true}}, nil
	}
	if ts > aq.streamTime {
		aq.streamTime = ts
		aq.log.touch(stStreamTime, 0)
		aq.evictClosed()
	}
	w := aq.window
	updated := false
	var out []windowedOut
	for s := floorTo(max(ts-w.size+1, 0), w.advance); s <= ts; s += w.advance {
		if s+w.size <= ts {
			continue
		}
		if s+w.size+w.grace <= aq.streamTime {
			continue // closed: the record is late for this window
		}
		updated = true
		key, val, ok, err := aq.update(row, s)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, windowedOut{key: key, start: s, val: val, ts: aq.groupTime, timed: true})
		}
	}
	if !updated {
		aq.late.Add(1)
	}
	return out, nil
}

func mod(a, b int64) int64 { return ((a % b) + b) % b }

// floorTo rounds t down to a multiple of step.
func floorTo(t, step int64) int64 { return t - mod(t, step) }

// update folds row into its group (in the window starting at start) and
// returns the group's key and the sink value row, or ok=false when a
// grouping value is null (ksqlDB drops such records).
func (aq *aggQuery) update(row []types.Value, start int64) (key, val []types.Value, ok bool, err error) {
	key = make([]types.Value, len(aq.groups))
	h := uint64(start)
	for i, g := range aq.groups {
		v, err := g.Eval(row)
		if err != nil {
			return nil, nil, false, err
		}
		if v == nil {
			return nil, nil, false, nil
		}
		key[i] = v
		h = h*31 + types.Hash(v)
	}
	var gs *groupState
	for _, s := range aq.state[h] {
		if s.start == start && equalRow(s.key, key) {
			gs = s
			break
		}
	}
	if gs == nil {
		gs = &groupState{key: key, start: start, accs: make([]any, len(aq.aggs))}
		if aq.oldestKnown && start < aq.oldestStart {
			aq.oldestStart = start
		}
		aq.state[h] = append(aq.state[h], gs)
	}
	aq.log.touch(stGroups, h)
	gs.ts = max(gs.ts, aq.recordTime)
	aq.groupTime = gs.ts
	for i, ag := range aq.aggs {
		var v types.Value
		if ag.arg != nil {
			if v, err = ag.arg.Eval(row); err != nil {
				return nil, nil, false, err
			}
		}
		if gs.accs[i], err = ag.fold(gs.accs[i], v); err != nil {
			return nil, nil, false, err
		}
	}
	var wend int64
	if aq.window != nil {
		wend = start + aq.window.size
	}
	if val, err = aq.outputRow(gs.key, gs.accs, start, wend); err != nil {
		return nil, nil, false, err
	}
	if aq.having != nil {
		pass, err := aq.having.Eval(aq.postRow(gs.key, gs.accs))
		if err != nil {
			return nil, nil, false, err
		}
		if pass != true {
			if !gs.shown {
				return nil, nil, false, nil // nothing to delete
			}
			gs.shown = false
			return gs.key, nil, true, nil
		}
	}
	gs.shown = true
	return gs.key, val, true, nil
}

func equalRow(a, b []types.Value) bool {
	for i := range a {
		if !types.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// fold adds v to the accumulator acc.
func (ag aggregator) fold(acc any, v types.Value) (any, error) {
	if ag.seq {
		return ag.foldBySeq(acc, v)
	}
	switch ag.name {
	case "COUNT":
		n, _ := acc.(int64)
		if ag.arg == nil || v != nil {
			n++
		}
		return n, nil
	case "SUM":
		if acc == nil {
			zero, err := types.Cast(int64(0), types.TBigint(), ag.typ)
			if err != nil {
				return nil, err
			}
			acc = zero
		}
		if v == nil {
			return acc, nil
		}
		return types.Arith(types.OpAdd, acc, v, ag.typ, ag.typ)
	case "MIN", "MAX":
		if v == nil {
			return acc, nil
		}
		if acc == nil {
			return v, nil
		}
		c, err := types.Compare(v, acc)
		if err != nil {
			return nil, err
		}
		if (ag.name == "MIN" && c < 0) || (ag.name == "MAX" && c > 0) {
			return v, nil
		}
		return acc, nil
	case "LATEST_BY_OFFSET":
		if v == nil && !ag.keepNulls {
			return acc, nil
		}
		if ag.n > 0 {
			l, _ := acc.([]types.Value)
			l = append(l, v)
			if len(l) > ag.n {
				l = l[len(l)-ag.n:]
			}
			return slices.Clone(l), nil
		}
		return v, nil
	case "EARLIEST_BY_OFFSET":
		if ag.n > 0 {
			l, _ := acc.([]types.Value)
			if (v != nil || ag.keepNulls) && len(l) < ag.n {
				l = append(slices.Clone(l), v)
			}
			return l, nil
		}
		// The accumulator remembers whether a value was taken, since a
		// kept null is a value too.
		if st, _ := acc.(*attrState); st != nil {
			return st, nil
		}
		if v == nil && !ag.keepNulls {
			return acc, nil
		}
		return &attrState{v: v, seen: true}, nil
	case "COLLECT_LIST", "COLLECT_SET":
		l, _ := acc.([]types.Value)
		if len(l) >= ag.limit {
			return l, nil
		}
		if ag.name == "COLLECT_SET" {
			for _, x := range l {
				if types.Equal(x, v) {
					return l, nil
				}
			}
		}
		return append(slices.Clone(l), v), nil
	case "TOPK", "TOPKDISTINCT":
		l, _ := acc.([]types.Value)
		if ag.sortKey(v) == nil {
			return l, nil
		}
		if ag.name == "TOPKDISTINCT" {
			for _, x := range l {
				if types.Equal(x, v) {
					return l, nil
				}
			}
		}
		l = append(slices.Clone(l), v)
		slices.SortStableFunc(l, func(a, b types.Value) int {
			c, _ := types.Compare(ag.sortKey(b), ag.sortKey(a))
			return c
		})
		if len(l) > ag.n {
			l = l[:ag.n]
		}
		return l, nil
	case "ATTR":
		st, _ := acc.(*attrState)
		if st == nil {
			return &attrState{v: v, seen: true}, nil
		}
		if !types.Equal(st.v, v) {
			return &attrState{seen: true, mixed: true}, nil
		}
		return st, nil
	}
	return ag.foldMore(acc, v)
}

// result is the aggregate's value from its accumulator.
func (ag aggregator) result(acc any) types.Value {
	if v, ok := ag.resultMore(acc); ok {
		return v
	}
	switch ag.name {
	case "COUNT":
		n, _ := acc.(int64)
		return n
	case "ATTR", "EARLIEST_BY_OFFSET":
		if st, ok := acc.(*attrState); ok {
			if st != nil && !st.mixed {
				return st.v
			}
			return nil
		}
	case "COLLECT_LIST", "COLLECT_SET", "TOPK", "TOPKDISTINCT":
		l, _ := acc.([]types.Value)
		if l == nil {
			return []types.Value{}
		}
		return l
	}
	if l, ok := acc.([]types.Value); ok && l == nil {
		return []types.Value{}
	}
	return acc
}

// attrState is ATTR's accumulator: the value while every value seen is
// the same, mixed once two differ.
type attrState struct {
	v           types.Value
	seen, mixed bool
}

// tableContribution is what one row of a source table added to its group.
type tableContribution struct {
	row []types.Value
}

// processTableAgg aggregates a table: a row's update first takes its old
// value out of the old group (written), then adds the new value to its
// group (written), as Kafka Streams' table aggregation with a subtractor
// and an adder forwards them; a tombstone only takes the old value out.
func (e *Engine) processTableAgg(q *query, r Record, depth int) error {
	aq := q.agg
	if r.Key == nil {
		return nil
	}
	k := string(r.Key)
	aq.log.touchString(stTableRows, k)
	aq.recordTime = r.Timestamp
	// row is the new value's contribution: nil for a tombstone, an
	// undecodable value (skipped) or a row WHERE drops.
	var row []types.Value
	skipped := false
	if r.Value != nil {
		dr, ok, err := e.decodeRow(q.from, r)
		if err != nil {
			return err
		}
		skipped = !ok
		if ok && q.where != nil {
			if v, err := q.where.Eval(dr); err != nil || v != true {
				ok = false
			}
		}
		if ok {
			row = dr
		}
	}
	if old, ok := aq.tableRows[k]; ok {
		delete(aq.tableRows, k)
		// An update that stays in its group is one change, written once
		// below (Kafka Streams calls the subtractor and then the adder,
		// KIP-904).
		same := aq.sameGroup(old.row, row)
		key, val, ok, err := aq.retract(old.row)
		if err == nil && ok && !same {
			key, val, ok, err = aq.havingRetracted(key, val)
		}
		if err != nil {
			return &Error{Phase: PhaseRuntime, Msg: err.Error()}
		}
		if ok && !same {
			out := r
			out.Timestamp = aq.groupTime
			if err := e.emit(q, out, key, val, depth); err != nil {
				return err
			}
		}
	}
	if skipped {
		e.skip(q)
	}
	if row == nil {
		return nil
	}
	key, val, ok, err := aq.update(row, 0)
	if err != nil {
		return &Error{Phase: PhaseRuntime, Msg: err.Error()}
	}
	if !ok {
		return nil
	}
	aq.tableRows[k] = tableContribution{row: row}
	r.Timestamp = aq.groupTime
	return e.emit(q, r, key, val, depth)
}

// retract takes row's contribution out of its group and returns the
// group's new row.
func (aq *aggQuery) retract(row []types.Value) (key, val []types.Value, ok bool, err error) {
	key = make([]types.Value, len(aq.groups))
	var h uint64
	for i, g := range aq.groups {
		v, err := g.Eval(row)
		if err != nil || v == nil {
			return nil, nil, false, err
		}
		key[i] = v
		h = h*31 + types.Hash(v)
	}
	var gs *groupState
	for _, s := range aq.state[h] {
		if s.start == 0 && equalRow(s.key, key) {
			gs = s
		}
	}
	if gs == nil {
		return nil, nil, false, nil
	}
	aq.log.touch(stGroups, h)
	gs.ts = max(gs.ts, aq.recordTime)
	aq.groupTime = gs.ts
	for i, ag := range aq.aggs {
		var v types.Value
		if ag.arg != nil {
			if v, err = ag.arg.Eval(row); err != nil {
				return nil, nil, false, err
			}
		}
		if gs.accs[i], err = ag.unfold(gs.accs[i], v); err != nil {
			return nil, nil, false, err
		}
	}
	if val, err = aq.outputRow(gs.key, gs.accs, 0, 0); err != nil {
		return nil, nil, false, err
	}
	return gs.key, val, true, nil
}

// outputRow is a group's sink value row: its aggregates, window bounds
// and post-aggregation expressions, in select order.
func (aq *aggQuery) outputRow(key []types.Value, accs []any, start, end int64) ([]types.Value, error) {
	val := make([]types.Value, len(aq.out))
	var post []types.Value
	for i, a := range aq.out {
		switch {
		case a == outWindowStart:
			val[i] = start
		case a == outWindowEnd:
			val[i] = end
		case a <= outPostBase:
			if post == nil {
				post = aq.postRow(key, accs)
				if aq.windowed() {
					post[len(key)], post[len(key)+1] = start, end
				}
			}
			v, err := aq.postExprs[outPostBase-a].Eval(post)
			if err != nil {
				return nil, err
			}
			val[i] = v
		default:
			val[i] = aq.aggs[a].result(accs[a])
		}
	}
	return val, nil
}

// unfold takes v out of the accumulator (table aggregation's subtractor).
func (ag aggregator) unfold(acc any, v types.Value) (any, error) {
	switch ag.name {
	case "COUNT":
		n, _ := acc.(int64)
		if ag.arg == nil || v != nil {
			n--
		}
		return n, nil
	case "SUM":
		if v == nil || acc == nil {
			return acc, nil
		}
		return types.Arith(types.OpSub, acc, v, ag.typ, ag.typ)
	case "COLLECT_LIST":
		l, _ := acc.([]types.Value)
		for i, x := range l {
			if types.Equal(x, v) {
				return append(append([]types.Value(nil), l[:i]...), l[i+1:]...), nil
			}
		}
		return l, nil
	}
	return ag.unfoldMore(acc, v)
}
