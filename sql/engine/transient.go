package engine

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/parser"
	"github.com/streamlite/streamlite/sql/types"
)

// This file plans transient queries: a SELECT a client runs and reads,
// never persisted. A push query (EMIT CHANGES) streams a row for each
// change of its source(s) from the records the caller feeds Process; a
// pull query (pull.go) answers once from the current state of a table, or
// from every record of a stream. A projection and filter over one source
// runs here (projection); aggregations and joins reuse the persistent
// query operators, planned with a row hook instead of a sink.

// Transient is a SELECT run for a client, push (EMIT CHANGES) or pull,
// never persisted. Its methods are called from one goroutine at a time;
// planning reads the engine's catalog, running it does not touch the
// engine.
type Transient struct {
	e      *Engine
	pull   bool
	cols   []Column
	header string
	limit  int
	// hasLimit tells LIMIT 0 from no LIMIT.
	hasLimit bool
	inputs   []string
	// window is the window kind of the result keys, "" when unwindowed.
	window string
	// sources maps each input topic to its source's window kind and size,
	// for records the caller hands over.
	sources map[string]sourceWindow

	// proj runs a projection and filter over one source (push, and
	// every pull query).
	proj *projection
	// q is a push query planned on the persistent operators (aggregation,
	// join, PARTITION BY); outMap lays its rows out in select order.
	q      *query
	outMap []outCol
	// table: a pull query reads the latest row of each key (else every
	// record, a stream).
	table bool

	// emitted counts the rows a push query has passed on, for LIMIT;
	// emit is the callback of the Process call under way.
	emitted int
	emit    func(row []types.Value, tombstone bool) error
	skipped int64
}

// sourceWindow is how an input topic's keys are windowed.
type sourceWindow struct {
	kind string // "", TUMBLING, HOPPING or SESSION
	size int64  // time windows: the size in ms, 0 when unknown
}

// outCol says where an output column of a planned push query comes from:
// the sink row's key (key set) or value column idx.
type outCol struct {
	key bool
	idx int
}

// errLimitReached stops feeding a push query once LIMIT rows are out.
var errLimitReached = errors.New("engine: transient query limit reached")

// PlanTransient plans a SELECT statement (text, one statement, trailing
// ';' allowed) with the session properties props over the engine's
// (ksql.query.pull.table.scan.enabled, ksql.query.pull.range.scan.enabled,
// ksql.query.pull.stream.enabled, ksql.query.pull.limit.clause.enabled,
// auto.offset.reset, ...). Errors are *Error with ksqlDB's messages and
// the Line/Column, in text, of the token to blame: a syntax error's, or
// the planning error's by the rule errpos.go states (the SELECT keyword
// when no token is to blame).
func (e *Engine) PlanTransient(text string, props map[string]string) (*Transient, error) {
	st, err := parseOne(text)
	if err != nil {
		return nil, err
	}
	sel, ok := st.(*ast.Select)
	if !ok {
		return nil, errAt(st, "Not a SELECT statement: %s", strings.TrimSpace(text))
	}
	t, err := e.planTransient(sel.Query, props)
	if err != nil {
		return nil, located(err, sel.Query)
	}
	return t, nil
}

// planTransient plans the query of PlanTransient.
func (e *Engine) planTransient(qa *ast.Query, props map[string]string) (*Transient, error) {
	merged := map[string]string{}
	maps.Copy(merged, e.props)
	maps.Copy(merged, props)
	// The planner reads the session properties from the engine: plan on a
	// shallow copy holding the query's own, so e is only read.
	pe := *e
	pe.props = merged
	t := &Transient{e: e, pull: qa.Emit == ast.EmitNone, sources: map[string]sourceWindow{}}
	if qa.HasLimit {
		t.limit, t.hasLimit = int(qa.Limit), true
	}
	var scope *expr.Scope
	if ref, ok := qa.From.(*ast.SourceRef); ok && e.sources[ref.Name] != nil {
		scope = scopeOf(e.sources[ref.Name], qualifierOf(ref))
	}
	if err := nullArithmetic(qa, scope); err != nil {
		return nil, err
	}
	var err error
	if t.pull {
		err = pe.planPull(qa, t, merged)
	} else {
		err = pe.planPush(qa, t)
	}
	if err != nil {
		return nil, err
	}
	hc := t.cols
	if t.proj != nil && t.proj.headerCols != nil {
		hc = t.proj.headerCols
	}
	t.header = headerOf(hc, t.pull && t.table)
	return t, nil
}

// parseOne parses one statement, a syntax error as an *Error with its
// position.
func parseOne(text string) (ast.Statement, error) {
	st, err := parser.ParseStatement(text)
	if err != nil {
		var pe *parser.Error
		if errors.As(err, &pe) {
			return nil, &Error{Phase: PhaseParse, Line: pe.Line, Column: pe.Column, Msg: pe.Error()}
		}
		return nil, &Error{Phase: PhaseParse, Msg: err.Error()}
	}
	return st, nil
}

// Pull reports whether t is a pull query (no EMIT CHANGES).
func (t *Transient) Pull() bool { return t.pull }

// Header is ksqlDB's header schema of the result: "`ID` STRING KEY,
// `COUNT` BIGINT" (KEY marks only for a pull query over a table).
func (t *Transient) Header() string { return t.header }

// Columns are the output columns in order, values of each row in this
// order; a column holding a key column (or a window bound, selected by
// name) is in NSKey, the others in NSValue.
func (t *Transient) Columns() []Column { return slices.Clone(t.cols) }

// Limit is the LIMIT, 0 for none.
func (t *Transient) Limit() int { return t.limit }

// HasLimit reports whether the query has a LIMIT (LIMIT 0 included).
func (t *Transient) HasLimit() bool { return t.hasLimit }

// Inputs are the topics to read: the FROM source's, then a join's other
// sources'.
func (t *Transient) Inputs() []string { return slices.Clone(t.inputs) }

// Windowed reports whether the result's keys are windowed (for a pull
// query, the source's) and the window kind: TUMBLING, HOPPING or SESSION.
func (t *Transient) Windowed() (windowed bool, kind string) { return t.window != "", t.window }

// InputWindowed reports whether the keys of input topic's records are
// windowed and the kind, so the caller can split them (SplitWindowedKey)
// and set Record.Window.
func (t *Transient) InputWindowed(topic string) (windowed bool, kind string) {
	w := t.sources[topic]
	return w.kind != "", w.kind
}

// Skipped counts the records Process and PullRows could not deserialize.
func (t *Transient) Skipped() int64 { return t.skipped }

// Done reports whether a push query with a LIMIT has emitted its rows.
func (t *Transient) Done() bool { return t.hasLimit && t.emitted >= t.limit }

// Process runs one record of topic through a push query; emit gets each
// output row (values in Columns order). A record that does not
// deserialize is skipped and counted. Rows past the LIMIT are dropped
// (Done then reports true). A deletion (a table's tombstone) comes as a
// row with the key columns set and the others null; ProcessChanges tells
// them apart.
func (t *Transient) Process(topic string, r Record, emit func(row []types.Value) error) error {
	return t.ProcessChanges(topic, r, func(row []types.Value, _ bool) error { return emit(row) })
}

// ProcessChanges is Process with each row's tombstone flag: true for the
// deletion of a table row, which ksqlDB's responses mark "tombstone".
func (t *Transient) ProcessChanges(topic string, r Record, emit func(row []types.Value, tombstone bool) error) error {
	if t.pull {
		return errors.New("engine: Process on a pull query")
	}
	if t.Done() {
		return nil
	}
	if r.Window != nil && r.Window.End == 0 && !r.Window.Session {
		if w := t.sources[topic]; w.size > 0 {
			win := *r.Window
			win.End = win.Start + w.size
			r.Window = &win
		}
	}
	t.emit = emit
	defer func() { t.emit = nil }()
	var err error
	if t.proj != nil {
		if topic != t.proj.src.Topic {
			return fmt.Errorf("transient query does not read topic %q", topic)
		}
		err = t.proj.process(r, t)
	} else {
		err = t.processPlanned(topic, r)
	}
	if errors.Is(err, errLimitReached) {
		return nil
	}
	return err
}

// deliver passes one output row on, up to the LIMIT.
func (t *Transient) deliver(row []types.Value, tombstone bool) error {
	if t.Done() {
		return errLimitReached
	}
	t.emitted++
	if err := t.emit(row, tombstone); err != nil {
		return err
	}
	if t.Done() {
		return errLimitReached
	}
	return nil
}

// processPlanned runs a record through a push query planned on the
// persistent operators.
func (t *Transient) processPlanned(topic string, r Record) error {
	q := t.q
	before := q.skipped.Load()
	defer func() { t.skipped += q.skipped.Load() - before }()
	e := t.e
	switch {
	case q.join != nil:
		if ok, err := e.joinInput(q, topic, r, 0); ok || err != nil {
			return err
		}
	case q.from.Topic == topic:
		return e.process(q, r, 0)
	}
	return fmt.Errorf("transient query does not read topic %q", topic)
}

// headerOf is ksqlDB's header schema for cols; keys marks key columns
// KEY.
func headerOf(cols []Column, keys bool) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		p := "`" + c.Name + "` " + c.Type.String()
		switch {
		case c.NS == NSKey && keys:
			p += " KEY"
		case c.NS == NSHeader && keys:
			p += " HEADER('" + c.HeaderKey + "')"
		}
		parts[i] = p
	}
	return strings.Join(parts, ", ")
}

// planPush plans a push query: a projection and filter over one source,
// or an aggregation, join or PARTITION BY on the persistent operators.
func (e *Engine) planPush(qa *ast.Query, t *Transient) error {
	if qa.HasLimit && qa.Limit < 0 {
		return statementErr("Push queries don't support negative integers in the LIMIT clause.")
	}
	if qa.Emit == ast.EmitFinal && !isAggregating(qa) {
		return statementErr("EMIT FINAL is only supported for windowed aggregations.")
	}
	j, isJoin := qa.From.(*ast.Join)
	if isJoin {
		if err := e.windowedFKJoin(j); err != nil {
			return blame(err, j)
		}
	}
	if !isJoin && !isAggregating(qa) && qa.PartitionBy == nil && qa.Window == nil {
		ref, ok := qa.From.(*ast.SourceRef)
		if !ok {
			return statementErr("this FROM clause is not supported yet")
		}
		src, ok := e.sources[ref.Name]
		if !ok {
			return errAt(ref, "%s does not exist.", ref.Name)
		}
		p, err := e.newProjection(qa, src, qualifierOf(ref))
		if err != nil {
			return err
		}
		t.proj, t.cols, t.inputs = p, p.cols, []string{src.Topic}
		t.window = p.window.kind
		t.sources[src.Topic] = p.window
		return nil
	}
	if ref, ok := qa.From.(*ast.SourceRef); ok && qa.Where != nil {
		if src, ok := e.sources[ref.Name]; ok && e.windowOf(src).kind == "" {
			if b := windowBoundRef(qa.Where); b != nil {
				return errAt(b, "Error in WHERE expression: Unknown column %s.", b.Name)
			}
		}
	}
	return e.planPushOperators(qa, t)
}

// planPushOperators plans an aggregation, join or PARTITION BY push query
// on the persistent query operators, writing rows to t instead of a sink.
func (e *Engine) planPushOperators(qa *ast.Query, t *Transient) error {
	sink := &Source{Name: "TRANSIENT", WrapSingleValue: true}
	w := withProps{"KEY_FORMAT": lit("JSON"), "VALUE_FORMAT": lit("JSON")}
	plan := *qa
	var outMap []outCol
	if isAggregating(qa) {
		var err error
		if outMap, err = transientAggregate(&plan, e.fromSource(qa)); err != nil {
			return err
		}
	}
	q, err := e.plan(&plan, sink, w)
	if err != nil {
		return err
	}
	keys, vals := sink.keyColumns(), sink.valueColumns()
	if outMap == nil {
		// A join or PARTITION BY: the sink's columns, keys first.
		for i := range keys {
			outMap = append(outMap, outCol{key: true, idx: i})
		}
		for i := range vals {
			outMap = append(outMap, outCol{idx: i})
		}
	}
	for _, m := range outMap {
		cols := vals
		if m.key {
			cols = keys
		}
		if m.idx >= len(cols) {
			return statementErr("this transient query's select list is not supported yet")
		}
		t.cols = append(t.cols, cols[m.idx])
	}
	t.q, t.outMap = q, outMap
	t.inputs = (&Query{q: q}).Inputs()
	for _, in := range t.inputs {
		if src := e.SourceForTopic(in); src != nil {
			t.sources[in] = e.windowOf(src)
		}
	}
	if a := q.agg; a != nil {
		switch {
		case a.session != nil:
			t.window = "SESSION"
		case a.window != nil && a.window.advance != a.window.size:
			t.window = "HOPPING"
		case a.window != nil:
			t.window = "TUMBLING"
		}
	}
	q.out = func(string, Record) error { return errors.New("engine: a transient query wrote a record") }
	q.rows = func(_ Record, keys, vals []types.Value) error {
		row := make([]types.Value, len(t.outMap))
		for i, m := range t.outMap {
			switch {
			case m.key && m.idx < len(keys):
				row[i] = keys[m.idx]
			case !m.key && vals != nil:
				row[i] = vals[m.idx]
			}
		}
		return t.deliver(row, vals == nil)
	}
	return nil
}

// fromSource is the FROM source of qa when it names one, else nil.
func (e *Engine) fromSource(qa *ast.Query) *Source {
	if ref, ok := qa.From.(*ast.SourceRef); ok {
		return e.sources[ref.Name]
	}
	return nil
}

// transientAggregate rewrites an aggregation's select list so the
// persistent planner takes it: ksqlDB's transient queries need not select
// the grouping expressions, nor group at all, nor have a value column.
// The planner then sees every grouping expression selected (hidden ones
// added), a constant group for no GROUP BY, and a hidden COUNT(*) when
// no value column is left. It returns where each output column comes
// from in the planned sink row.
func transientAggregate(qa *ast.Query, from *Source) ([]outCol, error) {
	if len(qa.GroupBy) == 0 {
		qa.GroupBy = []ast.Expr{&ast.Literal{Kind: ast.LitInt, Text: "1", Int: 1}}
	}
	groupText := map[string]int{}
	for i, g := range qa.GroupBy {
		if _, ok := groupText[ast.Format(g)]; !ok {
			groupText[ast.Format(g)] = i
		}
	}
	items := selectItems(qa.Select, from)
	var out []outCol
	selected := make([]bool, len(qa.GroupBy))
	vals := 0
	for _, si := range items {
		if i, ok := groupText[ast.Format(si.Expr)]; ok {
			out = append(out, outCol{key: true, idx: i})
			selected[i] = true
			continue
		}
		out = append(out, outCol{idx: vals})
		vals++
	}
	sel := slices.Clone(items)
	for i, g := range qa.GroupBy {
		if !selected[i] {
			sel = append(sel, ast.SelectItem{Expr: g, Alias: fmt.Sprintf("KSQL_TRANSIENT_KEY_%d", i)})
		}
	}
	if vals == 0 {
		sel = append(sel, ast.SelectItem{Expr: &ast.FunctionCall{Name: "COUNT", Star: true}, Alias: "KSQL_TRANSIENT_COUNT"})
	}
	qa.Select = sel
	return out, nil
}

// windowBoundRef is the first reference to WINDOWSTART or WINDOWEND in
// x, nil if none.
func windowBoundRef(x ast.Expr) *ast.ColumnRef {
	for _, cr := range columnRefs(x, nil) {
		if cr.Name == "WINDOWSTART" || cr.Name == "WINDOWEND" {
			return cr
		}
	}
	return nil
}

// nullArithmetic refuses arithmetic with the NULL literal in the select
// list and WHERE, as ksqlDB's type checker does ("Arithmetic on types
// INTEGER and null are not supported."); scope, when known, types the
// other operand.
func nullArithmetic(qa *ast.Query, scope *expr.Scope) error {
	xs := []ast.Expr{qa.Where}
	for _, si := range qa.Select {
		xs = append(xs, si.Expr)
	}
	var err error
	for _, x := range xs {
		walk(x, func(x ast.Expr) {
			a, ok := x.(*ast.Arithmetic)
			if !ok || err != nil || (!isNullLiteral(a.Left) && !isNullLiteral(a.Right)) {
				return
			}
			typeName := func(x ast.Expr) string {
				if c, cerr := expr.Compile(x, scope, expr.Options{}); cerr == nil && c.Type().Kind != types.KindInvalid {
					return c.Type().String()
				}
				return "null"
			}
			err = errAt(a, "Error processing expression: %s. Arithmetic on types %s and %s are not supported.", ast.Format(a), typeName(a.Left), typeName(a.Right))
		})
	}
	return err
}

func isNullLiteral(x ast.Expr) bool {
	l, ok := x.(*ast.Literal)
	return ok && l.Kind == ast.LitNull
}

// windowOf is how src's keys are windowed: by its WINDOW_TYPE, or as the
// output of the windowed aggregation (or projection of a windowed
// source) that writes it.
func (e *Engine) windowOf(src *Source) sourceWindow {
	return e.windowOfDepth(src, 0)
}

func (e *Engine) windowOfDepth(src *Source, depth int) sourceWindow {
	if src.WindowType != "" {
		return sourceWindow{kind: src.WindowType, size: src.WindowSize}
	}
	if depth > maxPipelineDepth {
		return sourceWindow{}
	}
	for _, q := range e.queries {
		if q.sink != src {
			continue
		}
		switch a := q.agg; {
		case a != nil && a.session != nil:
			return sourceWindow{kind: "SESSION"}
		case a != nil && a.window != nil && a.window.advance != a.window.size:
			return sourceWindow{kind: "HOPPING", size: a.window.size}
		case a != nil && a.window != nil:
			return sourceWindow{kind: "TUMBLING", size: a.window.size}
		case a == nil && q.join == nil && q.partition == nil && q.from != src:
			return e.windowOfDepth(q.from, depth+1)
		}
	}
	return sourceWindow{}
}

// windowSizeMillis reads a WINDOW_SIZE such as '1 SECOND' or '2 MINUTES',
// 0 when it does not parse.
func windowSizeMillis(s string) int64 {
	f := strings.Fields(strings.ToUpper(s))
	if len(f) != 2 {
		return 0
	}
	var n int64
	if _, err := fmt.Sscan(f[0], &n); err != nil || n <= 0 {
		return 0
	}
	unit := strings.TrimSuffix(f[1], "S")
	for u, ms := range map[string]int64{"MILLISECOND": 1, "SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000} {
		if unit == u {
			return n * ms
		}
	}
	return 0
}

// windowedFKJoin refuses a foreign-key join of two windowed tables, which
// ksqlDB refuses before it looks at the windows.
func (e *Engine) windowedFKJoin(j *ast.Join) error {
	lref, ok := j.Left.(*ast.SourceRef)
	cmp, isCmp := j.On.(*ast.Comparison)
	if !ok || !isCmp || cmp.Op != ast.CmpEq {
		return nil
	}
	l, r := e.sources[lref.Name], e.sources[j.Right.Name]
	if l == nil || r == nil || !l.Table || !r.Table || l.WindowType == "" || r.WindowType == "" {
		return nil
	}
	side := func(x ast.Expr) (src *Source, key bool) {
		cr, ok := x.(*ast.ColumnRef)
		if !ok {
			return nil, false
		}
		for _, s := range []struct {
			src  *Source
			qual string
		}{{l, qualifierOf(lref)}, {r, qualifierOf(j.Right)}} {
			if cr.Qualifier != "" && cr.Qualifier != s.qual {
				continue
			}
			for _, c := range s.src.Columns {
				if c.Name == cr.Name {
					return s.src, c.NS == NSKey
				}
			}
		}
		return nil, false
	}
	a, aKey := side(cmp.Left)
	b, bKey := side(cmp.Right)
	if a == r {
		a, aKey, b, bKey = b, bKey, a, aKey
	}
	if a == l && b == r && !aKey && bKey {
		return statementErr("Foreign-key table-table joins are not supported on windowed tables.")
	}
	return nil
}
