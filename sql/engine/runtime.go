package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
)

// This file is the engine's surface for a runtime that runs persistent
// queries outside driver mode (package sql/runtime): each query is fed
// records by its own consumer and hands its output to the caller instead
// of the in-memory topics.

// Query is a persistent query as a runtime drives it. A Query's methods
// other than the read-only accessors must be called from one goroutine at
// a time; different queries may run concurrently.
type Query struct {
	e *Engine
	q *query
}

// Queries lists the running persistent queries in creation order.
func (e *Engine) Queries() []*Query {
	out := make([]*Query, len(e.queries))
	for i, q := range e.queries {
		out[i] = &Query{e: e, q: q}
	}
	return out
}

// Sources lists the catalog's streams and tables in creation order.
func (e *Engine) Sources() []*Source {
	out := make([]*Source, 0, len(e.order))
	for _, n := range e.order {
		if s := e.sources[n]; s != nil {
			out = append(out, s)
		}
	}
	return out
}

// Props returns a copy of the session properties.
func (e *Engine) Props() map[string]string { return maps.Clone(e.props) }

// SetProps replaces the session properties.
func (e *Engine) SetProps(p map[string]string) {
	e.props = map[string]string{}
	maps.Copy(e.props, p)
}

// ID is the query's id, such as CSAS_PAGEVIEWS_0.
func (x *Query) ID() string { return x.q.id }

// Statement is the CREATE ... AS SELECT or INSERT INTO ... SELECT that
// created the query, as written, without its semicolon.
func (x *Query) Statement() string { return x.q.stmt }

// Sink is the source the query writes.
func (x *Query) Sink() *Source { return x.q.sink }

// Inputs are the topics the query reads, its FROM source's first.
func (x *Query) Inputs() []string {
	ts := []string{x.q.from.Topic}
	for _, n := range x.q.join.nodes() {
		if !slices.Contains(ts, n.right.Topic) {
			ts = append(ts, n.right.Topic)
		}
	}
	return ts
}

// Stateful reports whether the query keeps operator state.
func (x *Query) Stateful() bool { return x.q.agg != nil || x.q.join != nil }

// Windowed reports whether the query's output keys are windowed, and
// whether by session.
func (x *Query) Windowed() (windowed, session bool) {
	if a := x.q.agg; a != nil {
		return a.window != nil || a.session != nil, a.session != nil
	}
	return false, false
}

// Prop returns the session property name as the query was created with.
func (x *Query) Prop(name string) string { return x.q.props[name] }

// Skipped counts the input records the query could not deserialize.
func (x *Query) Skipped() int64 { return x.q.skipped.Load() }

// Late counts the input records dropped because every window they fell
// in had closed.
func (x *Query) Late() int64 {
	if a := x.q.agg; a != nil {
		return a.late.Load()
	}
	return 0
}

// SetOutput sends the query's output records to out instead of the
// in-memory topics, and turns on state tracking for FlushState.
func (x *Query) SetOutput(out func(topic string, r Record) error) {
	x.q.out = out
	x.q.enableState()
}

// Process runs one record of topic through the query; its output goes to
// the function SetOutput gave. A record that does not deserialize is
// counted and skipped; an error means the query cannot go on.
func (x *Query) Process(topic string, r Record) error {
	q := x.q
	if q.out == nil {
		return errors.New("engine: Process before SetOutput")
	}
	switch {
	case q.join != nil:
		if ok, err := x.e.joinInput(q, topic, r, 0); ok || err != nil {
			return err
		}
	case q.from.Topic == topic:
		return x.e.process(q, r, 0)
	}
	return fmt.Errorf("query %s does not read topic %q", q.id, topic)
}

// FlushState calls fn with a changelog entry for each piece of state
// changed since the last call: fn's value is nil when the entry is gone.
// Writing them to a compacted topic and giving them back to RestoreState
// rebuilds the state.
func (x *Query) FlushState(fn func(key, value []byte) error) error {
	return x.q.flushState(fn)
}

// RestoreState puts back one changelog entry FlushState wrote.
func (x *Query) RestoreState(key, value []byte) error { return x.q.restoreState(key, value) }

// ResetState drops the query's state, as before its first record.
func (x *Query) ResetState() { x.q.resetState() }

// terminate runs TERMINATE query_id | ALL.
func (e *Engine) terminate(s *ast.Terminate) error {
	if s.All {
		e.queries = nil
		return nil
	}
	for i, q := range e.queries {
		if strings.EqualFold(q.id, s.QueryID) {
			e.queries = slices.Delete(e.queries, i, i+1)
			return nil
		}
	}
	return statementErr("Unknown queryId: %s", s.QueryID)
}

// checkUnused refuses to drop a source that running queries read or
// write, as ksqlDB does.
func (e *Engine) checkUnused(src *Source) error {
	var readers, writers []string
	for _, q := range e.queries {
		if q.sink.Name == src.Name {
			writers = append(writers, q.id)
		}
		if q.from.Name == src.Name || slices.ContainsFunc(q.join.nodes(), func(n *joinQuery) bool { return n.right.Name == src.Name }) {
			readers = append(readers, q.id)
		}
	}
	if len(readers)+len(writers) == 0 {
		return nil
	}
	return statementErr("Cannot drop %s.\nThe following queries read from this source: [%s].\nThe following queries write into this source: [%s].\nYou need to terminate them before dropping %s.",
		src.Name, strings.Join(readers, ", "), strings.Join(writers, ", "), src.Name)
}

// WindowedKey is the key bytes of a windowed output record as Kafka
// Streams' windowed serdes lay them out: the key, then for a time window
// its start as 8 bytes big-endian, for a session its end and then its
// start.
func WindowedKey(key []byte, w *Window) []byte {
	out := append([]byte{}, key...)
	if w.Session {
		out = binary.BigEndian.AppendUint64(out, uint64(w.End))
	}
	return binary.BigEndian.AppendUint64(out, uint64(w.Start))
}

// SplitWindowedKey splits key bytes WindowedKey wrote into the key and
// its window: for a time window the last 8 bytes are its start (End is
// left 0; a Transient fills it in from the window size), for a session
// the last 16 its end and then its start. ok is false when b is too
// short to hold them.
func SplitWindowedKey(b []byte, session bool) (key []byte, w *Window, ok bool) {
	if session {
		if len(b) < 16 {
			return nil, nil, false
		}
		n := len(b) - 16
		end := int64(binary.BigEndian.Uint64(b[n:]))
		start := int64(binary.BigEndian.Uint64(b[n+8:]))
		return b[:n:n], &Window{Start: start, End: end, Session: true}, true
	}
	if len(b) < 8 {
		return nil, nil, false
	}
	n := len(b) - 8
	return b[:n:n], &Window{Start: int64(binary.BigEndian.Uint64(b[n:]))}, true
}
