package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/engine"
	"github.com/streamlite/streamlite/sql/parser"
	"github.com/streamlite/streamlite/sql/qtt"
	"github.com/streamlite/streamlite/sql/qtt/qttcodec"
	"github.com/streamlite/streamlite/sql/serde"
	"github.com/streamlite/streamlite/sql/types"
)

// This is a development aid for the transient-query API (PlanTransient,
// PullRows, Process, InsertValues): ksqlDB's REST query-validation tests
// run against the driver-mode engine directly, without the REST layer.
// The real RQTT runner drives HTTP (package sql/qtt and sql/rest).
//
// Per case: the non-SELECT statements run in order (INSERT ... VALUES
// through InsertValues and Produce), then the inputs are produced and
// drained, then each SELECT is planned with PlanTransient and answered by
// PullRows (fed with every record of its topic) or ProcessChanges (fed
// with the records of its input topics). Responses compare as the corpus
// README says: the header schema modulo backticks and spaces, the rows as
// a multiset (values through serde.ToJSONValue with the column's type,
// the tombstone flag when the case gives it), expectedError's message as
// a substring.

// rqttFloor is the number of developer-corpus RQTT runs the engine passes
// at this commit; raise it as the engine grows.
const rqttFloor = 215

// rqttRaw holds the RQTT fields the QTT loader does not read.
type rqttRaw struct {
	Responses     []rqttResponse `json:"responses"`
	ExpectedError *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"expectedError"`
}

type rqttResponse struct {
	Admin json.RawMessage   `json:"admin"`
	Query []json.RawMessage `json:"query"`
}

// rqttQuery is a SELECT's expected response.
type rqttQuery struct {
	header string
	rows   []rqttRow
}

type rqttRow struct {
	columns   []any
	tombstone *bool
}

func parseQueryResponse(items []json.RawMessage) (rqttQuery, error) {
	var q rqttQuery
	for _, raw := range items {
		var it struct {
			Header *struct {
				Schema string `json:"schema"`
			} `json:"header"`
			Row *struct {
				Columns   []any `json:"columns"`
				Tombstone *bool `json:"tombstone"`
			} `json:"row"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&it); err != nil {
			return q, err
		}
		if it.Header != nil {
			q.header = it.Header.Schema
		}
		if it.Row != nil {
			q.rows = append(q.rows, rqttRow{columns: it.Row.Columns, tombstone: it.Row.Tombstone})
		}
	}
	return q, nil
}

// loadRQTT reads one RQTT file: the cases as the QTT loader parses them
// and, by case index, the RQTT fields.
func loadRQTT(path string) ([]qtt.Case, map[int]rqttRaw, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	cases, bad := qtt.ParseFile(filepath.Base(path), data)
	if len(bad) > 0 {
		return nil, nil, bad[0]
	}
	var f struct {
		Tests []rqttRaw `json:"tests"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return nil, nil, err
	}
	raws := map[int]rqttRaw{}
	for i, r := range f.Tests {
		raws[i] = r
	}
	return cases, raws, nil
}

// produceRQTT produces one input record, serialized with the catalog's
// serdes; a windowed source's record keeps its window beside the key, as
// driver-mode topics hold them.
func produceRQTT(e *engine.Engine, r qtt.Record) error {
	src := e.SourceForTopic(r.Topic)
	if src == nil {
		return fmt.Errorf("no source on topic %s", r.Topic)
	}
	rec := engine.Record{Timestamp: r.Timestamp}
	for _, h := range r.Headers {
		rec.Headers = append(rec.Headers, engine.Header{Key: h.Key, Value: h.Value})
	}
	if r.Window != nil {
		rec.Window = &engine.Window{Start: r.Window.Start, End: r.Window.End, Session: strings.EqualFold(r.Window.Type, "session")}
	}
	var err error
	if rec.Key, rec.Value, err = qttcodec.Encode(src, r.Key, r.Value); err != nil {
		return err
	}
	e.Produce(r.Topic, rec)
	return nil
}

// rqttRun runs one RQTT run and returns "" when it passes, else why not.
func rqttRun(spec qtt.RunSpec, raw rqttRaw) string {
	c := spec.Case
	props := qtt.DefaultProperties()
	for k, v := range spec.Properties {
		props[k] = v
	}
	e := engine.New(props)
	for _, t := range spec.Topics {
		e.CreateTopic(t.Name, t.Partitions)
	}
	failed := func(i int, err error) string {
		if raw.ExpectedError == nil {
			return fmt.Sprintf("statement %d failed: %v", i, err)
		}
		if !strings.Contains(err.Error(), raw.ExpectedError.Message) {
			return fmt.Sprintf("statement %d failed with %q, want %q", i, err.Error(), raw.ExpectedError.Message)
		}
		return ""
	}
	var selects []int
	for i, stmt := range spec.Statements {
		st, perr := parser.ParseStatement(stmt)
		var err error
		switch st.(type) {
		case *ast.Select:
			selects = append(selects, i)
			continue
		case *ast.InsertValues:
			var topic string
			var rec engine.Record
			if topic, rec, err = e.InsertValues(stmt, spec.Properties); err == nil {
				e.Produce(topic, rec)
			}
		default:
			if perr != nil && isSelectText(stmt) {
				selects = append(selects, i) // PlanTransient reports the syntax error
				continue
			}
			err = e.Execute(stmt)
		}
		if err != nil {
			return failed(i, err)
		}
	}
	for _, in := range c.Inputs {
		if err := produceRQTT(e, in); err != nil {
			return "producing inputs: " + err.Error()
		}
	}
	if err := e.Drain(); err != nil {
		return "drain: " + err.Error()
	}
	for _, i := range selects {
		t, err := e.PlanTransient(spec.Statements[i], spec.Properties)
		if err != nil {
			return failed(i, err)
		}
		if i >= len(raw.Responses) || raw.Responses[i].Query == nil {
			continue
		}
		want, err := parseQueryResponse(raw.Responses[i].Query)
		if err != nil {
			return fmt.Sprintf("response %d: %v", i, err)
		}
		got, tombs, err := runTransient(e, t)
		if err != nil {
			return fmt.Sprintf("statement %d: %v", i, err)
		}
		if why := compareResponse(want, t, got, tombs); why != "" {
			return fmt.Sprintf("statement %d (%s): %s", i, spec.Statements[i], why)
		}
	}
	if raw.ExpectedError != nil {
		return "expected error " + raw.ExpectedError.Message
	}
	byTopic := map[string][]qtt.Expected{}
	var topics []string
	for _, o := range c.Outputs {
		if _, ok := byTopic[o.Topic]; !ok {
			topics = append(topics, o.Topic)
		}
		byTopic[o.Topic] = append(byTopic[o.Topic], o)
	}
	for _, tp := range topics {
		act, err := (&qttEngine{e}).Output(context.Background(), tp)
		if err != nil {
			return "output " + tp + ": " + err.Error()
		}
		if m := qtt.CompareTopic(tp, byTopic[tp], act, len(c.Inputs) == 0); m != nil {
			return m.String()
		}
	}
	return ""
}

func isSelectText(s string) bool {
	return strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s)), "SELECT")
}

// runTransient answers a transient query: a pull query from every record
// of its topic, a push query from its input topics' records (merged by
// timestamp) until its LIMIT.
func runTransient(e *engine.Engine, t *engine.Transient) ([][]types.Value, []bool, error) {
	if t.Pull() {
		rows, err := t.PullRows(e.Records(t.Inputs()[0]))
		return rows, make([]bool, len(rows)), err
	}
	type in struct {
		topic string
		r     engine.Record
	}
	var ins []in
	for _, tp := range t.Inputs() {
		for _, r := range e.Records(tp) {
			ins = append(ins, in{tp, r})
		}
	}
	sort.SliceStable(ins, func(i, j int) bool { return ins[i].r.Timestamp < ins[j].r.Timestamp })
	var rows [][]types.Value
	var tombs []bool
	for _, x := range ins {
		err := t.ProcessChanges(x.topic, x.r, func(row []types.Value, tomb bool) error {
			rows = append(rows, row)
			tombs = append(tombs, tomb)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if t.Done() {
			break
		}
	}
	return rows, tombs, nil
}

// compareResponse compares a SELECT's response: the header schema
// modulo backticks and spaces, then the rows as a multiset.
func compareResponse(want rqttQuery, t *engine.Transient, got [][]types.Value, tombs []bool) string {
	norm := strings.NewReplacer("`", "", " ", "")
	if want.header != "" && norm.Replace(want.header) != norm.Replace(t.Header()) {
		return fmt.Sprintf("header %q, want %q", t.Header(), want.header)
	}
	cols := t.Columns()
	actual := make([][]any, len(got))
	for i, row := range got {
		actual[i] = make([]any, len(row))
		for j, v := range row {
			if j >= len(cols) {
				return fmt.Sprintf("row %d has %d values for %d columns", i, len(row), len(cols))
			}
			jv, err := serde.ToJSONValue(v, cols[j].Type)
			if err != nil {
				return fmt.Sprintf("row %d column %d: %v", i, j, err)
			}
			actual[i][j] = jv
		}
	}
	render := func() string {
		b, _ := json.Marshal(actual)
		return string(b)
	}
	if len(actual) != len(want.rows) {
		return fmt.Sprintf("%d rows, want %d: got %s", len(actual), len(want.rows), render())
	}
	used := make([]bool, len(actual))
	for wi, w := range want.rows {
		found := false
		for ai, a := range actual {
			if used[ai] || len(a) != len(w.columns) || (w.tombstone != nil && *w.tombstone != tombs[ai]) {
				continue
			}
			match := true
			for j := range a {
				if qtt.CompareValue(w.columns[j], a[j], cols[j].Type.String()) != "" {
					match = false
					break
				}
			}
			if match {
				used[ai], found = true, true
				break
			}
		}
		if !found {
			b, _ := json.Marshal(w.columns)
			return fmt.Sprintf("expected row %d %s not found in %s", wi, b, render())
		}
	}
	return ""
}

// TestRQTTEngine runs the RQTT corpus (rest-query-validation-tests in
// STREAMLITE_QTT_DIR, default ../shared/conformance/ksql) against the
// driver-mode engine's transient-query API and prints a pass count per
// file and the "RQTT engine total" line. It fails below rqttFloor on the
// developer corpus. STREAMLITE_RQTT_VERBOSE=1 lists each failing run.
func TestRQTTEngine(t *testing.T) {
	dir := qttDir(t)
	if dir == "" {
		t.Skip("RQTT corpus not found (set STREAMLITE_QTT_DIR)")
	}
	files, err := filepath.Glob(filepath.Join(dir, "rest-query-validation-tests", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no rest-query-validation-tests in " + dir)
	}
	slices.Sort(files)
	verbose := os.Getenv("STREAMLITE_RQTT_VERBOSE") != ""
	var report strings.Builder
	passed, total := 0, 0
	for _, f := range files {
		cases, raws, err := loadRQTT(f)
		if err != nil {
			t.Fatal(err)
		}
		fp, fn := 0, 0
		for i := range cases {
			c := &cases[i]
			if !c.Enabled {
				continue
			}
			for _, spec := range qtt.Expand(c) {
				fn++
				why := "run error"
				if spec.Err == nil {
					why = rqttRun(spec, raws[c.Index])
				}
				if why == "" {
					fp++
				} else if verbose {
					fmt.Fprintf(&report, "FAIL %s\n     %s\n", spec.Name, strings.ReplaceAll(why, "\n", "\n     "))
				}
			}
		}
		fmt.Fprintf(&report, "%-60s %3d/%3d\n", filepath.Base(f), fp, fn)
		passed += fp
		total += fn
	}
	fmt.Fprintf(&report, "RQTT engine total: %d/%d\n", passed, total)
	if testing.Verbose() || verbose {
		fmt.Print(report.String())
	} else {
		t.Logf("RQTT engine total: %d/%d", passed, total)
	}
	if os.Getenv("STREAMLITE_QTT_DIR") == "" && passed < rqttFloor {
		t.Errorf("%d RQTT runs passed, below the floor of %d", passed, rqttFloor)
	}
}
