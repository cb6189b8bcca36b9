package engine

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync/atomic"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/serde"
	"github.com/streamlite/streamlite/sql/types"
)

// query is a persistent query: a stateless select (filter, project,
// re-key) from one stream into a sink. Aggregations, windows and joins
// are not planned yet.
type query struct {
	from   *Source
	sink   *Source
	where  expr.Compiled // nil for none
	keys   []expr.Compiled
	values []expr.Compiled
	// agg is set for a GROUP BY query.
	agg *aggQuery
	// join is set for a join query: its top join, the others nested on
	// its left (join.go); from is then the first source.
	join *joinQuery
	// partition is set for a PARTITION BY query (partition.go).
	partition *partitionPlan

	// id names the query (CSAS_SINK_0, CTAS_..., INSERTQUERY_...).
	id string
	// stmt is the statement that created the query, as written, without
	// its semicolon.
	stmt string
	// props are the session properties the query was created with.
	props map[string]string
	// state tracks changed operator state when the runtime persists it;
	// nil in driver mode.
	state *stateLog
	// out receives the query's output records in runtime mode; nil in
	// driver mode, where they go to the in-memory topics.
	out func(topic string, r Record) error
	// rows, set for a transient push query (transient.go), receives each
	// output row before encoding: vals nil for a deletion.
	rows func(r Record, keys, vals []types.Value) error
	// skipped counts input records that did not deserialize.
	skipped atomic.Int64
	// fromCodec and sinkCodec are from's and sink's serializers for the
	// per-record path, built on first use.
	fromCodec, sinkCodec *codec
}

// codec is a source's serializers and key column count, built once per
// query rather than for every record.
type codec struct {
	src        *Source // the source it was built for
	key, value *serde.Serde
	keyCols    int
}

func newCodec(src *Source) (*codec, error) {
	ks, err := src.keySerde()
	if err != nil {
		return nil, err
	}
	vs, err := src.valueSerde()
	if err != nil {
		return nil, err
	}
	return &codec{src: src, key: ks, value: vs, keyCols: len(src.keyColumns())}, nil
}

// codecFor returns *c when it was built for src, else builds it into *c:
// a query's sources are complete before its first record, so the cache
// only changes when the query's source itself does.
func codecFor(c **codec, src *Source) (*codec, error) {
	if *c != nil && (*c).src == src {
		return *c, nil
	}
	nc, err := newCodec(src)
	if err != nil {
		return nil, err
	}
	*c = nc
	return nc, nil
}

// createAsSelect runs CREATE STREAM|TABLE name [WITH] AS SELECT.
func (e *Engine) createAsSelect(s *ast.CreateAsSelect) error {
	if s.Query.HasLimit {
		return errAt(s.Query, "CREATE %s AS SELECT statements don't support LIMIT clause.", s.Kind)
	}
	if _, ok := e.sources[s.Name]; ok && !s.OrReplace {
		if s.IfNotExists {
			return nil
		}
		return errAt(s, "Cannot add %s '%s': A source with the same name already exists", strings.ToLower(s.Kind.String()), s.Name)
	}
	w := propsOf(s.Properties)
	sink := &Source{Name: s.Name, Table: s.Kind == ast.KindTable, WrapSingleValue: true}
	sink.Topic = s.Name
	if p := e.props["ksql.output.topic.name.prefix"]; p != "" {
		sink.Topic = p + s.Name
	}
	if t, ok := w.str("KAFKA_TOPIC"); ok {
		sink.Topic = t
	}
	q, err := e.plan(s.Query, sink, w)
	if err != nil {
		return blame(err, s.Query)
	}
	producesTable := q.agg != nil || q.from.Table
	switch {
	case producesTable && s.Kind != ast.KindTable:
		return errAt(s, "Invalid result type. Your SELECT query produces a TABLE. Please use CREATE TABLE AS SELECT statement instead.")
	case !producesTable && s.Kind == ast.KindTable:
		return errAt(s, "Invalid result type. Your SELECT query produces a STREAM. Please use CREATE STREAM AS SELECT statement instead.")
	}
	sink.Table = producesTable
	parts, _, err := w.int("PARTITIONS")
	if err != nil {
		return errAt(s, "%v", err)
	}
	sink.Partitions = parts
	e.CreateTopic(sink.Topic, parts)
	e.addSource(sink)
	kind := "CSAS"
	if sink.Table {
		kind = "CTAS"
	}
	q.stmt = s.Source()
	e.addQuery(q, fmt.Sprintf("%s_%s_%d", kind, sink.Name, e.queryCount))
	return nil
}

// addQuery starts q, named id, with the session's properties.
func (e *Engine) addQuery(q *query, id string) {
	q.id = id
	q.props = maps.Clone(e.props)
	e.queryCount++
	e.queries = append(e.queries, q)
}

// skip counts a record q could not deserialize.
func (e *Engine) skip(q *query) {
	q.skipped.Add(1)
	if q.out == nil {
		e.Skipped++
	}
}

// insertInto runs INSERT INTO sink SELECT.
func (e *Engine) insertInto(s *ast.InsertInto) error {
	target, ok := e.sources[s.Target]
	if !ok {
		return errAt(s, "%s does not exist.", s.Target)
	}
	if target.Table {
		return errAt(s, "INSERT INTO can only be used to insert into a stream. %s is a table.", s.Target)
	}
	if target.IsSource {
		return errAt(s, "Cannot insert into read-only stream: %s", s.Target)
	}
	probe := &Source{Name: target.Name, Topic: target.Topic, Table: target.Table, WrapSingleValue: target.WrapSingleValue}
	q, err := e.plan(s.Query, probe, withProps{"KEY_FORMAT": lit(string(target.KeyFormat)), "VALUE_FORMAT": lit(string(target.ValueFormat))})
	if err != nil {
		return blame(err, s.Query)
	}
	if probe.SchemaString() != target.SchemaString() {
		return errAt(s, "Incompatible schema between results and sink.\nResult schema is %s\nSink schema is %s", probe.SchemaString(), target.SchemaString())
	}
	q.sink = target
	q.stmt = s.Source()
	e.addQuery(q, fmt.Sprintf("INSERTQUERY_%d", e.queryCount))
	return nil
}

func lit(s string) *ast.Literal { return &ast.Literal{Kind: ast.LitString, Text: s} }

// plan type-checks a stateless query and fills in sink's columns and
// formats.
func (e *Engine) plan(qa *ast.Query, sink *Source, w withProps) (*query, error) {
	if j, ok := qa.From.(*ast.Join); ok {
		q := &query{sink: sink}
		if err := e.planJoin(j, qa, q, sink, expr.Options{Props: e.props}); err != nil {
			return nil, err
		}
		return q, e.finishSink(sink, w, e.joinFormats(q))
	}
	ref, ok := qa.From.(*ast.SourceRef)
	if !ok {
		return nil, statementErr("this FROM clause is not supported yet")
	}
	if qa.Window != nil && !isAggregating(qa) {
		return nil, posErr(qa.Window.At, "windows are not supported yet")
	}
	from, ok := e.sources[ref.Name]
	if !ok {
		return nil, errAt(ref, "%s does not exist.", ref.Name)
	}
	if from.Table && isAggregating(qa) && (qa.Window != nil) {
		return nil, posErr(qa.Window.At, "KSQL does not support windowed aggregations over tables.")
	}
	qual := ref.Name
	if ref.Alias != "" {
		qual = ref.Alias
	}
	scope := scopeOf(from, qual)
	opts := expr.Options{Props: e.props}
	q := &query{from: from, sink: sink}
	if qa.Where != nil {
		c, err := expr.Compile(qa.Where, scope, opts)
		if err != nil {
			return nil, statementErr("%v", err)
		}
		if c.Type().Kind != types.KindBoolean {
			return nil, errAt(qa.Where, "Type error in WHERE expression: Should evaluate to boolean but is %s (%s) instead.", ast.Format(qa.Where), c.Type())
		}
		q.where = c
	}

	if isAggregating(qa) {
		if err := e.planAggregate(qa, q, scope, sink, opts); err != nil {
			return nil, err
		}
		if err := checkAggSource(from, q.agg.aggs); err != nil {
			return nil, err
		}
		return q, e.finishSink(sink, e.rekeyedSinkProps(w, from, sink), from)
	}
	if qa.PartitionBy != nil {
		if err := e.planPartitionBy(qa, q, from, qual, scope, sink, w, opts); err != nil {
			return nil, err
		}
		return q, e.finishSink(sink, e.rekeyedSinkProps(w, from, sink), from)
	}

	// The select list, * expanded; the source's key columns pass through
	// as the sink's key (PARTITION BY re-keys in partition.go).
	type item struct {
		name string
		e    ast.Expr
	}
	var items []item
	generated := 0
	for _, si := range qa.Select {
		if all, ok := si.Expr.(*ast.AllColumns); ok {
			if all.Qualifier != "" && all.Qualifier != qual {
				return nil, errAt(all, "Source %s not found.", all.Qualifier)
			}
			for _, c := range from.Columns {
				// Header columns too: ksqlDB's * copies them as values.
				items = append(items, item{c.Name, &ast.ColumnRef{At: all.At, Name: c.Name}})
			}
			continue
		}
		if reservedColumn(si.Alias) {
			return nil, errAt(si.Expr, "`%s` is a reserved column name. You cannot use it as an alias for a column.", si.Alias)
		}
		name := si.Alias
		if name == "" {
			if cr, ok := si.Expr.(*ast.ColumnRef); ok {
				name = cr.Name
			} else {
				name = fmt.Sprintf("KSQL_COL_%d", generated)
				generated++
			}
		}
		items = append(items, item{name, si.Expr})
	}
	keyNames := map[string]bool{}
	for _, k := range from.keyColumns() {
		keyNames[k.Name] = true
	}
	var keyCols, valCols []Column
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.name] {
			return nil, errAt(it.e, "Duplicate column names:\n\t%s", it.name)
		}
		seen[it.name] = true
		c, err := expr.Compile(it.e, scope, opts)
		if err != nil {
			return nil, statementErr("%v", err)
		}
		if cr, ok := it.e.(*ast.ColumnRef); ok && keyNames[cr.Name] {
			keyCols = append(keyCols, Column{Name: it.name, Type: c.Type(), NS: NSKey})
			q.keys = append(q.keys, c)
			continue
		}
		valCols = append(valCols, Column{Name: it.name, Type: c.Type()})
		q.values = append(q.values, c)
	}
	// ksqlDB's new query planner lets a stream's projection drop its key.
	if len(keyNames) > 0 && len(keyCols) == 0 && !(e.props["ksql.new.query.planner.enabled"] == "true" && !from.Table) {
		names := make([]string, 0, len(keyNames))
		for _, k := range from.keyColumns() {
			names = append(names, k.Name)
		}
		what := "key column"
		if len(names) > 1 {
			what = "key columns"
		}
		return nil, statementErr("The query used to build `%s` must include the %s %s in its projection (eg, SELECT %s...).", sink.Name, what, strings.Join(names, " and "), strings.Join(names, ", "))
	}
	if len(valCols) == 0 {
		return nil, statementErr("The projection contains no value columns.")
	}
	sink.Columns = append(keyCols, valCols...)
	return q, e.finishSink(sink, w, from)
}

// finishSink sets a planned sink's formats (its WITH clause over its
// source's) and checks they can hold its columns.
func (e *Engine) finishSink(sink *Source, w withProps, from *Source) error {
	if err := e.formats(sink, inherit(w, from)); err != nil {
		return err
	}
	if err := sinkTimestamp(sink, w); err != nil {
		return err
	}
	if _, err := sink.keySerde(); err != nil {
		return statementErr("%v", err)
	}
	if _, err := sink.valueSerde(); err != nil {
		return statementErr("%v", err)
	}
	return nil
}

// inherit fills a sink's missing format properties from its source, as
// ksqlDB does.
func inherit(w withProps, from *Source) withProps {
	out := withProps{}
	for k, v := range w {
		out[k] = v
	}
	if _, ok := out["FORMAT"]; !ok {
		if _, ok := out["KEY_FORMAT"]; !ok {
			out["KEY_FORMAT"] = lit(string(from.KeyFormat))
		}
		if _, ok := out["VALUE_FORMAT"]; !ok {
			out["VALUE_FORMAT"] = lit(string(from.ValueFormat))
		}
	}
	if _, ok := out["VALUE_DELIMITER"]; !ok && from.ValueDelimiter != 0 && out["VALUE_FORMAT"] != nil && strings.EqualFold(out["VALUE_FORMAT"].Text, string(from.ValueFormat)) {
		out["VALUE_DELIMITER"] = lit(string(from.ValueDelimiter))
	}
	return out
}

// maxPipelineDepth bounds how many queries one record may flow through
// (a query reading its own sink would otherwise never stop).
const maxPipelineDepth = 64

// Drain delivers every record produced since the last Drain, one at a
// time in produce order: each goes through every query reading its topic,
// in statement order, and each output those queries write goes through the
// queries reading it before the next input, as ksqlDB's test driver runs
// a pipeline.
func (e *Engine) Drain() error {
	for e.next < len(e.inputs) {
		in := e.inputs[e.next]
		e.next++
		if err := e.deliver(in.topic, e.topics[in.topic].records[in.index], 0); err != nil {
			return err
		}
	}
	return nil
}

// deliver runs r, a record of topic t, through every query reading t.
func (e *Engine) deliver(t string, r Record, depth int) error {
	if depth > maxPipelineDepth {
		return &Error{Phase: PhaseRuntime, Msg: "a record went through more than 64 queries: a query reads its own output"}
	}
	for _, q := range e.queries {
		var err error
		switch {
		case q.join != nil:
			_, err = e.joinInput(q, t, r, depth)
		case q.from.Topic == t:
			err = e.process(q, r, depth)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// process runs one input record through q.
func (e *Engine) process(q *query, r Record, depth int) error {
	if q.from.Table && q.agg != nil {
		return e.processTableAgg(q, r, depth)
	}
	if q.from.Table && r.Value == nil {
		// A table's tombstone deletes the row downstream too.
		return e.tombstone(q, r, depth)
	}
	if q.from.Table && r.Key == nil && q.join == nil {
		return nil // a table row needs a key: Kafka Streams drops it
	}
	if ok, err := e.streamTombstone(q, r, depth); ok || err != nil {
		return err
	}
	row, ok, err := e.decodeInput(q, &r)
	if err != nil || !ok {
		return err
	}
	return e.filterProject(q, row, r, depth)
}

// decodeInput deserializes r as a row of q's FROM source and sets its
// timestamp to the row's ROWTIME (extracted, or the record's); ok=false
// for a record that does not deserialize, which is counted and skipped.
func (e *Engine) decodeInput(q *query, r *Record) (row []types.Value, ok bool, err error) {
	c, err := codecFor(&q.fromCodec, q.from)
	if err != nil {
		return nil, false, err
	}
	row, ok, err = decodeWith(c, q.from, *r)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		e.skip(q)
		return nil, false, nil
	}
	r.Timestamp = row[len(q.from.Columns)].(int64)
	return row, true, nil
}

// filterProject applies q's WHERE to row and writes the projected output.
func (e *Engine) filterProject(q *query, row []types.Value, r Record, depth int) error {
	if q.where != nil {
		v, err := q.where.Eval(row)
		if err != nil {
			return &Error{Phase: PhaseRuntime, Msg: err.Error()}
		}
		if v != true {
			if q.from.Table && q.agg == nil {
				return e.tombstone(q, r, depth) // the row leaves the filtered table
			}
			return nil
		}
	}
	if q.agg != nil {
		outs, err := q.agg.updateAll(row, r.Timestamp)
		if err != nil {
			return &Error{Phase: PhaseRuntime, Msg: err.Error()}
		}
		for _, o := range outs {
			out := r
			switch {
			case q.agg.window != nil:
				out.Window = &Window{Start: o.start, End: o.start + q.agg.window.size}
			case q.agg.session != nil:
				// Session results carry the session's end as their time.
				out.Window = &Window{Start: o.start, End: o.end, Session: true}
				out.Timestamp = o.end
			}
			if o.final || o.timed {
				out.Timestamp = o.ts
			}
			if err := e.emit(q, out, o.key, o.val, depth); err != nil {
				return err
			}
		}
		return nil
	}
	keys := make([]types.Value, len(q.keys))
	for i, c := range q.keys {
		v, err := c.Eval(row)
		if err != nil {
			return &Error{Phase: PhaseRuntime, Msg: err.Error()}
		}
		keys[i] = v
	}
	if r.Key == nil && q.partition == nil && q.join == nil && !q.from.Table {
		keys = nil // a null key passes through as null
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

// emit writes one output row of q for input record r.
func (e *Engine) emit(q *query, r Record, keys, vals []types.Value, depth int) error {
	if q.rows != nil {
		return q.rows(r, keys, vals)
	}
	if q.sink.TimestampColumn != "" && vals != nil {
		ts, ok := sinkTime(q.sink, keys, vals)
		if !ok {
			return nil
		}
		r.Timestamp = ts
	}
	c, err := codecFor(&q.sinkCodec, q.sink)
	if err != nil {
		return err
	}
	ks, vs := c.key, c.value
	var kb, vb []byte
	if len(keys) > 0 {
		if kb, err = ks.Encode(keys); err != nil {
			return &Error{Phase: PhaseRuntime, Msg: err.Error()}
		}
	}
	if vals != nil {
		if vb, err = vs.Encode(vals); err != nil {
			return &Error{Phase: PhaseRuntime, Msg: err.Error()}
		}
		if vb == nil {
			vb = []byte{} // a row, never a tombstone
		}
	}
	return e.write(q, q.sink.Topic, Record{Key: kb, Value: vb, Timestamp: r.Timestamp, Headers: r.Headers, Window: r.Window}, depth)
}

// tombstone forwards a table row's deletion: the same key, re-encoded for
// the sink when its key is the source's, with a null value.
func (e *Engine) tombstone(q *query, r Record, depth int) error {
	if len(q.keys) == 0 || r.Key == nil {
		return nil
	}
	ks, err := q.from.keySerde()
	if err != nil {
		return err
	}
	keys, err := ks.Decode(r.Key)
	if err != nil {
		e.skip(q)
		return nil
	}
	sk, err := q.sink.keySerde()
	if err != nil {
		return err
	}
	kb, err := sk.Encode(keys)
	if err != nil {
		return &Error{Phase: PhaseRuntime, Msg: err.Error()}
	}
	return e.write(q, q.sink.Topic, Record{Key: kb, Timestamp: r.Timestamp, Headers: r.Headers}, depth)
}

// write appends a query's output record to topic t and delivers it to the
// queries reading t.
func (e *Engine) write(q *query, t string, r Record, depth int) error {
	if q.out != nil {
		return q.out(t, r)
	}
	i := e.append(t, r)
	return e.deliver(t, e.topics[t].records[i], depth+1)
}

// decodeRow deserializes r as a row of src (columns, then ROWTIME,
// ROWPARTITION, ROWOFFSET). ok=false for a record that does not
// deserialize (skipped and counted) or a tombstone of a stream.
func (e *Engine) decodeRow(src *Source, r Record) ([]types.Value, bool, error) {
	if r.Value == nil {
		return nil, false, nil
	}
	c, err := newCodec(src)
	if err != nil {
		return nil, false, err
	}
	return decodeWith(c, src, r)
}

// decodeWith is decodeRow with src's codec c.
func decodeWith(c *codec, src *Source, r Record) ([]types.Value, bool, error) {
	if r.Value == nil {
		return nil, false, nil
	}
	var keys []types.Value
	var err error
	if c.keyCols > 0 {
		if r.Key == nil {
			keys = make([]types.Value, c.keyCols)
		} else if keys, err = c.key.Decode(r.Key); err != nil {
			if serde.IsDecodeError(err) {
				return nil, false, nil
			}
			return nil, false, err
		}
	}
	vals, err := c.value.Decode(r.Value)
	if err != nil {
		if serde.IsDecodeError(err) || errors.Is(err, serde.ErrDecode) {
			return nil, false, nil
		}
		return nil, false, err
	}
	row := make([]types.Value, 0, len(src.Columns)+3)
	ki, vi := 0, 0
	for _, c := range src.Columns {
		switch c.NS {
		case NSKey:
			row = append(row, keys[ki])
			ki++
		case NSValue:
			if vi < len(vals) {
				row = append(row, vals[vi])
			} else {
				row = append(row, nil)
			}
			vi++
		case NSHeaders:
			hs := make([]types.Value, len(r.Headers))
			for i, h := range r.Headers {
				hs[i] = types.Struct{h.Key, h.Value}
			}
			row = append(row, hs)
		case NSHeader:
			var v types.Value
			for i := len(r.Headers) - 1; i >= 0; i-- {
				if r.Headers[i].Key == c.HeaderKey {
					v = r.Headers[i].Value
					break
				}
			}
			row = append(row, v)
		}
	}
	ts := r.Timestamp
	if src.TimestampColumn != "" {
		// The record time comes from a column (WITH TIMESTAMP=...); a null
		// or unparsable one drops the record, as ksqlDB's default
		// extractor does.
		for i, c := range src.Columns {
			if c.Name != src.TimestampColumn {
				continue
			}
			switch v := row[i].(type) {
			case int64:
				ts = v
			case types.Timestamp:
				ts = int64(v)
			case string:
				t, err := parseTimestampFormat(v, src.TimestampFormat)
				if err != nil {
					return nil, false, nil
				}
				ts = t
			default:
				return nil, false, nil
			}
		}
		if ts < 0 {
			return nil, false, nil
		}
	}
	row = append(row, ts, int32(r.Partition), r.Offset)
	return row, true, nil
}
