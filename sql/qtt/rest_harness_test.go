package qtt

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRQTTHarness runs the synthetic RQTT cases of testdata/rest through
// RunRest with the fake REST engine and checks every run's outcome: each
// comparison rule (each case built to fail on exactly one rule, beside a
// twin that passes), the run order, negative scoring, skips, timeouts,
// panics, load errors and the report. It runs the corpus both one run at
// a time and in parallel, and the two reports must list the same results
// in the same order.
func TestRQTTHarness(t *testing.T) {
	const f = "pull-queries-fake.json :: "
	skip := map[string]string{f + "skipped by list": "testing the skip list"}
	run := func(par int) Report {
		rep, err := RunRest(context.Background(), "testdata/rest", newFakeRest,
			RestOptions{Options: Options{Timeout: 300 * time.Millisecond, Skip: skip}, Parallel: par})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := run(1)
	want := map[string]Status{
		f + "admin pass":                          StatusPass,
		f + "admin partial keys":                  StatusPass,
		f + "admin type mismatch":                 StatusFail,
		f + "admin missing key":                   StatusFail,
		f + "empty entity list takes no response": StatusPass,
		f + "rows multiset":                       StatusPass,
		f + "rows multiset counts duplicates":     StatusFail,
		f + "row count":                           StatusFail,
		f + "double within tolerance":             StatusPass,
		f + "double out of tolerance":             StatusFail,
		f + "decimal scale":                       StatusFail,
		f + "integer vs string":                   StatusFail,
		f + "schema mismatch":                     StatusFail,
		f + "starts_with":                         StatusPass,
		f + "starts_with mismatch":                StatusFail,
		f + "final message":                       StatusFail,
		f + "final message missing":               StatusFail,
		f + "push stops at want":                  StatusPass,
		f + "tombstone":                           StatusFail,
		f + "tombstone matches":                   StatusPass,
		f + "not enough responses":                StatusFail,
		f + "fewer responses than statements":     StatusPass,
		f + "admin expected, query got":           StatusFail,
		f + "error strict":                        StatusPass,
		f + "error lenient message":               StatusPass,
		f + "error lenient type":                  StatusPass,
		f + "error any entity":                    StatusPass,
		f + "error wrong status":                  StatusFail,
		f + "error default status":                StatusPass,
		f + "error not found":                     StatusFail,
		f + "error at earlier statement":          StatusFail,
		f + "error not raised":                    StatusFail,
		f + "admin error on positive case":        StatusError,
		f + "query error on positive case":        StatusError,
		f + "outputs pass":                        StatusPass,
		f + "outputs mismatch":                    StatusFail,
		f + "inputs before select":                StatusPass,
		f + "wait for active push query":          StatusPass,
		f + "topics set-up":                       StatusPass,
		f + "properties":                          StatusPass,
		f + "proto repetition":                    StatusPass,
		f + "proto repetition" + ProtoSuffix:      StatusSkip,
		f + "format matrix - JSON":                StatusPass,
		f + "format matrix - DELIMITED":           StatusPass,
		f + "sleeps past the limit":               StatusTimeout,
		f + "engine panics":                       StatusError,
		f + "disabled upstream":                   StatusSkip,
		f + "waiting fails":                       StatusError,
		f + "skipped by list":                     StatusSkip,
		"mystery.json :: plain":                   StatusPass,
		"broken.json :: (file)":                   StatusError,
		"badresp.json :: #0":                      StatusError,
		"badresp.json :: ok":                      StatusPass,
	}
	// detail fragments that prove each failure failed for its own reason
	why := map[string]string{
		f + "admin type mismatch":             `response 0 (statement 1 "SHOW streams"): @type: expected "currentStatus", got "streams"`,
		f + "admin missing key":               `commandStatus: missing key "warnings"`,
		f + "rows multiset counts duplicates": "rows (compared as a multiset): 1 expected rows not matched",
		f + "row count":                       "entry count: expected 3 (2 rows), got 4 (3 rows)",
		f + "double out of tolerance":         "row.columns[0]: expected double 1.0, got 1.1",
		f + "decimal scale":                   "row.columns[0]: expected decimal 1.1, got 1.10",
		f + "integer vs string":               `row.columns[0]: expected number 1, got "1"`,
		f + "schema mismatch":                 "header.schema: expected",
		f + "starts_with mismatch":            `header.queryId: expected a string starting with "scalable_", got "transient_S_123"`,
		f + "final message":                   `finalMessage: expected "Limit Reached", got "Query Completed"`,
		f + "final message missing":           "entry count: expected 3 (1 rows), got 2 (1 rows)",
		f + "tombstone":                       "row: expected a row, got a tombstone",
		f + "not enough responses":            "expected 3 responses, got 2",
		f + "admin expected, query got":       "response 1 (statement 2",
		f + "error lenient message":           `message mismatch (lenient pass): expected "Something else"`,
		f + "error lenient type":              `error entity "generic_error" is not a io.confluent.ksql.rest.entity.KsqlStatementErrorMessage`,
		f + "error wrong status":              "failed with HTTP 500",
		f + "error not found":                 `expected HTTP 400 containing "not found"; statement 2`,
		f + "error at earlier statement":      `from the last statement, but statement 1 "FAIL 400 statement_error boom" failed first with HTTP 400: boom`,
		f + "error not raised":                `expected HTTP 400 KsqlStatementErrorMessage containing "boom", but every statement succeeded`,
		f + "admin error on positive case":    `statement 2 "FAIL 400 statement_error nope" failed: HTTP 400: nope`,
		f + "query error on positive case":    "statement 2",
		f + "outputs mismatch":                "topic out record 0: value: A: expected integer 2, got 1",
		f + "proto repetition" + ProtoSuffix:  ProtoSkipReason,
		f + "sleeps past the limit":           "run exceeded 300ms",
		f + "engine panics":                   "engine panic: fake REST engine told to panic",
		f + "disabled upstream":               "disabled upstream",
		f + "waiting fails":                   "waiting for the persistent queries: query CSAS_X_0 failed",
		f + "skipped by list":                 "testing the skip list",
		"broken.json :: (file)":               "broken.json",
		"badresp.json :: #0":                  `want exactly one of "admin" and "query"`,
	}
	got := map[string]Result{}
	for _, r := range rep.Results {
		if _, dup := got[r.Name]; dup {
			t.Errorf("duplicate run name %q", r.Name)
		}
		got[r.Name] = r
	}
	for name, st := range want {
		r, ok := got[name]
		if !ok {
			t.Errorf("run %q missing", name)
			continue
		}
		if r.Status != st {
			t.Errorf("%s: status %s, want %s\n%s", name, r.Status, st, r.Detail)
		}
		if w := why[name]; w != "" && !strings.Contains(r.Detail, w) {
			t.Errorf("%s: detail does not contain %q:\n%s", name, w, r.Detail)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected run %q", name)
		}
	}
	// negative scoring
	for name, ls := range map[string][2]bool{
		"error strict": {true, true}, "error lenient message": {true, false}, "error lenient type": {true, false},
		"error any entity": {true, true}, "error wrong status": {false, false}, "error default status": {true, true},
		"error not found": {false, false}, "error at earlier statement": {false, false}, "error not raised": {false, false},
	} {
		r := got[f+name]
		if !r.Negative || r.Lenient != ls[0] || r.Strict != ls[1] {
			t.Errorf("%s: negative=%v lenient=%v strict=%v, want lenient=%v strict=%v", name, r.Negative, r.Lenient, r.Strict, ls[0], ls[1])
		}
	}
	if c := got[f+"admin pass"].Category; c != "rest_pull_query" {
		t.Errorf("category of pull-queries-fake.json = %q", c)
	}
	if c := got["mystery.json :: plain"].Category; c != CategoryOther {
		t.Errorf("category of mystery.json = %q", c)
	}

	passed := 0
	for _, st := range want {
		if st == StatusPass {
			passed++
		}
	}
	s := rep.Summary()
	if s.Passed != passed || s.Runs != len(want) || s.Negative != 9 || s.Lenient != 5 || s.Strict != 3 ||
		s.Timeouts != 1 || s.Skipped != 3 {
		t.Errorf("summary %+v", s)
	}

	var buf bytes.Buffer
	if err := rep.Print(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	last := lines[len(lines)-1]
	if w := fmt.Sprintf("RQTT total: %d/%d passed (%s%%)", passed, len(want), pct(passed, len(want))); last != w {
		t.Errorf("last line %q, want %q", last, w)
	}
	if !regexp.MustCompile(`^RQTT total: \d+/\d+ passed \(\d+\.\d%\)$`).MatchString(last) {
		t.Errorf("last line %q has the wrong shape", last)
	}
	for _, frag := range []string{
		"RQTT cases from testdata/rest: ",
		"RQTT negative: lenient 5/9 (55.6%), strict 3/9 (33.3%)\n",
		"SKIP pull-queries-fake.json :: proto repetition" + ProtoSuffix + ": " + ProtoSkipReason + "\n",
		"TIMEOUT pull-queries-fake.json :: sleeps past the limit",
		"PASS (lenient) pull-queries-fake.json :: error lenient message",
		"  rest_pull_query ",
		"  other ",
	} {
		if !strings.Contains(out, frag) {
			t.Errorf("report lacks %q", frag)
		}
	}
	if strings.Contains(out, "post-conditions") {
		t.Error("RQTT report prints a post-conditions line")
	}
	if testing.Verbose() {
		t.Log("\n" + out)
	}

	// Parallel runs report the same results in the same order.
	prep := run(6)
	names := func(r Report) []string {
		var ns []string
		for _, res := range r.Results {
			ns = append(ns, fmt.Sprintf("%s %s", res.Name, res.Status))
		}
		return ns
	}
	if a, b := names(rep), names(prep); !slices.Equal(a, b) {
		t.Errorf("parallel report differs:\n%q\n%q", a, b)
	}
}

// TestRunRestContextCancelled checks that RunRest stops when its context
// ends and reports an unreadable directory.
func TestRunRestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := RunRest(ctx, "testdata/rest", newFakeRest, RestOptions{Parallel: 3})
	if err == nil {
		t.Fatal("RunRest with a cancelled context returned no error")
	}
	for _, r := range rep.Results {
		if r.Status == "" {
			t.Errorf("unfinished run %q in the report", r.Name)
		}
	}
	if _, err := RunRest(context.Background(), "testdata/does-not-exist", newFakeRest, RestOptions{}); err == nil {
		t.Fatal("RunRest on a missing directory returned no error")
	}
}

// TestMatchMultiset checks the row matching: every expected row needs a
// row of its own, and a greedy first choice must not hide a full
// matching.
func TestMatchMultiset(t *testing.T) {
	// expected 0 matches actual 0 or 1; expected 1 only actual 0.
	m := func(i, j int) bool { return i == 0 || j == 0 }
	if miss, spare := matchMultiset(2, 2, m); len(miss) != 0 || len(spare) != 0 {
		t.Errorf("missed %v, spare %v", miss, spare)
	}
	eq := func(i, j int) bool { return []int{1, 1}[i] == []int{1, 2}[j] }
	if miss, spare := matchMultiset(2, 2, eq); !slices.Equal(miss, []int{1}) || !slices.Equal(spare, []int{1}) {
		t.Errorf("duplicates: missed %v, spare %v, want [1] [1]", miss, spare)
	}
}

// TestSchemaTypes checks the header schema reader.
func TestSchemaTypes(t *testing.T) {
	got := SchemaTypes("`ID` STRING KEY, `A, B` DECIMAL(4, 2), `W``X` ARRAY<INT>, C INT PRIMARY KEY, `H` ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>> HEADERS, `K` BYTES HEADER('k')")
	want := []string{"STRING", "DECIMAL(4,2)", "ARRAY<INTEGER>", "INTEGER", "ARRAY<STRUCT<KEY STRING,VALUE BYTES>>", "BYTES"}
	if !slices.Equal(got, want) {
		t.Errorf("SchemaTypes = %q, want %q", got, want)
	}
}

// TestRestTopics checks the topic set-up RunRest asks for.
func TestRestTopics(t *testing.T) {
	c := &RestCase{Case: Case{File: "f.json", Name: "n", Statements: []string{
		"CREATE STREAM A (ID INT KEY) WITH (kafka_topic='a', value_format='JSON', PARTITIONS=3);",
		"create or replace table B (ID INT PRIMARY KEY) with (KAFKA_TOPIC = 'it''s', value_format='JSON');",
		"CREATE STREAM C WITH (KAFKA_TOPIC='c', PARTITIONS=5) AS SELECT * FROM A;",
		"INSERT INTO A (ID) VALUES (1);",
		"CREATE SOURCE TABLE D (ID INT PRIMARY KEY) WITH (KAFKA_TOPIC='t', value_format='JSON');",
	}, Topics: []TopicSpec{{Name: "t", Partitions: 2}}, Enabled: true,
		Inputs: []Record{{Topic: "in"}, {Topic: "a"}}, Outputs: []Expected{{Topic: "out"}}}}
	specs := ExpandRest(c)
	if len(specs) != 1 {
		t.Fatalf("%d runs", len(specs))
	}
	var got []string
	for _, tp := range RestTopics(specs[0]) {
		got = append(got, fmt.Sprintf("%s:%d", tp.Name, tp.Partitions))
	}
	if want := []string{"t:2", "a:3", "it's:1", "in:1", "out:1"}; !slices.Equal(got, want) {
		t.Errorf("RestTopics = %q, want %q", got, want)
	}
}
