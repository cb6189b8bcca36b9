package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/sql/engine"
	"github.com/streamlite/streamlite/sql/qtt"
	"github.com/streamlite/streamlite/sql/serde"
	"github.com/streamlite/streamlite/sql/types"
)

// qttEngine runs the driver-mode engine under the conformance harness,
// turning JSON-level records into bytes with the catalog's serdes and
// back.
type qttEngine struct{ e *engine.Engine }

func newQTTEngine(props map[string]string, topics []qtt.TopicSpec) (qtt.Engine, error) {
	p := qtt.DefaultProperties()
	for k, v := range props {
		p[k] = v
	}
	e := engine.New(p)
	for _, t := range topics {
		e.CreateTopic(t.Name, t.Partitions)
	}
	return &qttEngine{e}, nil
}

func (q *qttEngine) Execute(_ context.Context, stmt string) error {
	err := q.e.Execute(stmt)
	if ee, ok := err.(*engine.Error); ok {
		phase := qtt.PhaseStatement
		switch ee.Phase {
		case engine.PhaseParse:
			phase = qtt.PhaseParse
		case engine.PhaseRuntime:
			phase = qtt.PhaseRuntime
		}
		return &qtt.Error{Step: phase, Line: ee.Line, Column: ee.Column, Err: ee}
	}
	return err
}

// encode serializes a JSON-level key or value for cols in format f.
func encode(j any, f serde.Format, cols []engine.Column, wrap bool, delim rune) ([]byte, error) {
	if j == nil {
		return nil, nil
	}
	switch f {
	case serde.FormatJSON:
		return json.Marshal(j)
	case serde.FormatDelimited:
		if s, ok := j.(string); ok {
			return []byte(s), nil
		}
		return []byte(fmt.Sprint(j)), nil
	case serde.FormatNone:
		return nil, nil
	}
	if len(cols) == 0 {
		return nil, nil // a source without key columns ignores the key
	}
	if len(cols) != 1 {
		return nil, fmt.Errorf("KAFKA format with %d columns", len(cols))
	}
	v, err := serde.FromJSONValue(j, cols[0].Type)
	if err != nil {
		return nil, err
	}
	s, err := serde.New(serde.Options{Format: f, Columns: []serde.Column{{Name: cols[0].Name, Type: cols[0].Type}}, Unwrapped: true, Delimiter: delim})
	if err != nil {
		return nil, err
	}
	return s.Encode([]types.Value{v})
}

func split(s *engine.Source) (keys, vals []engine.Column) {
	for _, c := range s.Columns {
		switch c.NS {
		case engine.NSKey:
			keys = append(keys, c)
		case engine.NSValue:
			vals = append(vals, c)
		}
	}
	return keys, vals
}

func (q *qttEngine) Produce(_ context.Context, r qtt.Record) error {
	rec := engine.Record{Timestamp: r.Timestamp}
	for _, h := range r.Headers {
		rec.Headers = append(rec.Headers, engine.Header{Key: h.Key, Value: h.Value})
	}
	src := q.e.SourceForTopic(r.Topic)
	if src == nil {
		return fmt.Errorf("no source on topic %s", r.Topic)
	}
	keys, vals := split(src)
	var err error
	if rec.Key, err = encode(r.Key, src.KeyFormat, keys, false, src.KeyDelimiter); err != nil {
		return err
	}
	if r.Value != nil {
		if rec.Value, err = encode(r.Value, src.ValueFormat, vals, src.WrapSingleValue, src.ValueDelimiter); err != nil {
			return err
		}
	}
	q.e.Produce(r.Topic, rec)
	return nil
}

func (q *qttEngine) Drain(context.Context) error { return q.e.Drain() }

// jsonLevel decodes bytes of cols in format f to what the corpus writes.
func jsonLevel(b []byte, f serde.Format, cols []engine.Column, unwrapped bool, delim rune) (any, map[string]string, error) {
	if b == nil {
		return nil, nil, nil
	}
	typesOf := map[string]string{}
	if f == serde.FormatDelimited {
		return string(b), nil, nil
	}
	s, err := serde.New(serde.Options{Format: f, Columns: serdeCols(cols), Unwrapped: unwrapped, Delimiter: delim})
	if err != nil {
		return nil, nil, err
	}
	row, err := s.Decode(b)
	if err != nil {
		return nil, nil, err
	}
	if len(row) < len(cols) {
		return nil, typesOf, nil // a null row (JSON null)
	}
	if f == serde.FormatKafka || (unwrapped && len(cols) == 1) {
		typesOf[""] = cols[0].Type.String()
		v, err := serde.ToJSONValue(row[0], cols[0].Type)
		return v, typesOf, err
	}
	m := map[string]any{}
	for i, c := range cols {
		v, err := serde.ToJSONValue(row[i], c.Type)
		if err != nil {
			return nil, nil, err
		}
		m[c.Name] = v
		typesOf[c.Name] = c.Type.String()
	}
	return m, typesOf, nil
}

func serdeCols(cs []engine.Column) []serde.Column {
	out := make([]serde.Column, len(cs))
	for i, c := range cs {
		out[i] = serde.Column{Name: c.Name, Type: c.Type}
	}
	return out
}

func (q *qttEngine) Output(_ context.Context, topic string) ([]qtt.Record, error) {
	src := q.e.SourceForTopic(topic)
	var out []qtt.Record
	for _, r := range q.e.Records(topic) {
		rec := qtt.Record{Topic: topic, Timestamp: r.Timestamp}
		if r.Window != nil {
			rec.Window = &qtt.Window{Start: r.Window.Start, End: r.Window.End, Type: "time"}
			if r.Window.Session {
				rec.Window.Type = "session"
			}
		}
		for _, h := range r.Headers {
			rec.Headers = append(rec.Headers, qtt.Header{Key: h.Key, Value: h.Value})
		}
		if src != nil {
			keys, vals := split(src)
			var err error
			if len(keys) > 0 {
				var kt map[string]string
				if rec.Key, kt, err = jsonLevel(r.Key, src.KeyFormat, keys, true, src.KeyDelimiter); err != nil {
					return nil, err
				}
				rec.KeyType = kt[""]
			}
			if rec.Value, rec.ValueTypes, err = jsonLevel(r.Value, src.ValueFormat, vals, len(vals) == 1 && !src.WrapSingleValue, src.ValueDelimiter); err != nil {
				return nil, err
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

func (q *qttEngine) Describe(_ context.Context, name string) (qtt.SourceInfo, error) {
	s := q.e.Source(name)
	if s == nil {
		return qtt.SourceInfo{}, fmt.Errorf("source %s does not exist", name)
	}
	kind := "STREAM"
	if s.Table {
		kind = "TABLE"
	}
	return qtt.SourceInfo{Name: s.Name, Type: kind, Schema: s.SchemaString(), KeyFormat: string(s.KeyFormat), ValueFormat: string(s.ValueFormat), IsSource: s.IsSource}, nil
}

func (q *qttEngine) Topics(context.Context) ([]qtt.TopicInfo, error) {
	var out []qtt.TopicInfo
	for _, n := range q.e.TopicNames() {
		out = append(out, qtt.TopicInfo{Name: n, Partitions: 1})
	}
	return out, nil
}

func (q *qttEngine) Close() error { return nil }

// qttDir finds the corpus: $STREAMLITE_QTT_DIR, else shared/conformance/ksql
// in this directory or a parent.
func qttDir(t *testing.T) string {
	if d := os.Getenv("STREAMLITE_QTT_DIR"); d != "" {
		return d
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		c := filepath.Join(dir, "shared", "conformance", "ksql")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// TestQTT runs ksqlDB's query-validation tests (the corpus in
// STREAMLITE_QTT_DIR, default ../shared/conformance/ksql) against the
// driver-mode engine and prints the report, ending with the "QTT total"
// line. It fails if fewer runs pass than STREAMLITE_QTT_MIN (default: the
// floor this commit reaches on the developer corpus), so a regression
// shows.
func TestQTT(t *testing.T) {
	dir := qttDir(t)
	if dir == "" {
		t.Skip("QTT corpus not found (set STREAMLITE_QTT_DIR)")
	}
	rep, err := qtt.Run(context.Background(), dir, newQTTEngine, qtt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := rep.Print(&sb); err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() || os.Getenv("STREAMLITE_QTT_REPORT") != "" {
		fmt.Print(sb.String())
	} else {
		lines := strings.Split(strings.TrimSpace(sb.String()), "\n")
		t.Log(lines[len(lines)-1])
	}
	minPass := qttFloor
	if v := os.Getenv("STREAMLITE_QTT_MIN"); v != "" {
		if minPass, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	} else if os.Getenv("STREAMLITE_QTT_DIR") != "" {
		minPass = 0 // another corpus: report only
	}
	if s := rep.Summary(); s.Passed < minPass {
		t.Errorf("%d runs passed, below the floor of %d", s.Passed, minPass)
	}
}

// qttFloor is the number of developer-corpus runs the engine passes at
// this commit; raise it as the engine grows.
const qttFloor = 848
