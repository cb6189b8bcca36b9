package qtt

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestQTTHarness runs the synthetic case directory testdata/harness through
// the harness with the fake engine and checks every run's outcome: matrix
// expansion, each comparison rule (each case built to fail on exactly one
// rule), negative scoring, timeouts, panics, skips, load errors, post
// conditions and the report format.
func TestQTTHarness(t *testing.T) {
	const f = "filter.json :: "
	skip := map[string]string{f + "skipped by list": "testing the skip list"}
	rep, err := Run(context.Background(), "testdata/harness", newFake, Options{Timeout: 300 * time.Millisecond, Skip: skip})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{
		f + "passthrough - JSON":                                   StatusPass,
		f + "passthrough - DELIMITED":                              StatusPass,
		f + "config matrix - ksql.new.query.planner.enabled=true":  StatusPass,
		f + "config matrix - ksql.new.query.planner.enabled=false": StatusPass,
		f + "decimal scale mismatch":                               StatusFail,
		f + "decimal integer literal needs scale 0":                StatusFail,
		f + "double out of tolerance":                              StatusFail,
		f + "integer not exact":                                    StatusFail,
		f + "extra field":                                          StatusFail,
		f + "missing field name":                                   StatusFail,
		f + "key mismatch":                                         StatusFail,
		f + "window mismatch":                                      StatusFail,
		f + "window type mismatch":                                 StatusFail,
		f + "header value mismatch":                                StatusFail,
		f + "headers expected absent":                              StatusFail,
		f + "timestamp mismatch":                                   StatusFail,
		f + "timestamp unchecked when absent":                      StatusPass,
		f + "count mismatch":                                       StatusFail,
		f + "null vs value":                                        StatusFail,
		f + "string vs decimal text":                               StatusPass,
		f + "plain pass":                                           StatusPass,
		f + "negative parse strict":                                StatusPass,
		f + "negative statement lenient":                           StatusPass,
		f + "negative wrong phase":                                 StatusFail,
		f + "negative without error":                               StatusFail,
		f + "negative runtime strict":                              StatusPass,
		f + "sleeps past the limit":                                StatusTimeout,
		f + "statement error on positive case":                     StatusError,
		f + "post schema mismatch":                                 StatusPass,
		f + "post blacklist":                                       StatusPass,
		f + "skipped by list":                                      StatusSkip,
		f + "engine panics":                                        StatusError,
		f + "format var without matrix":                            StatusError,
		f + "disabled upstream":                                    StatusSkip,
		f + "no inputs zero timestamp":                             StatusPass,
		"mystery.json :: plain":                                    StatusPass,
		"broken.json :: (file)":                                    StatusError,
		"badcase.json :: #0":                                       StatusError,
		"badcase.json :: ok":                                       StatusPass,
	}
	// detail fragments that prove each failure failed for its own reason
	why := map[string]string{
		f + "decimal scale mismatch":                "expected decimal 1.10, got 1.1",
		f + "decimal integer literal needs scale 0": "expected decimal 1, got 1.00",
		f + "double out of tolerance":               "expected double 1.0, got 1.00001",
		f + "integer not exact":                     "key: expected integer 1.0000001",
		f + "extra field":                           "expected 3 fields, got 4",
		f + "missing field name":                    `missing field "T"`,
		f + "key mismatch":                          "key: expected integer 2, got 1",
		f + "window mismatch":                       "window: expected {start 0, end 2000",
		f + "window type mismatch":                  "type session}, got {start 0, end 1000, type time}",
		f + "header value mismatch":                 "headers[0]",
		f + "headers expected absent":               "headers: expected 0, got 1",
		f + "timestamp mismatch":                    "timestamp: expected 11, got 10",
		f + "count mismatch":                        "record count: expected 2, got 1",
		f + "null vs value":                         `value: S: expected null, got "x"`,
		f + "negative statement lenient":            `expected "Cannot drop everything"`,
		f + "negative wrong phase":                  "failed with a parse error",
		f + "negative without error":                "every statement and record succeeded",
		f + "sleeps past the limit":                 "run exceeded 300ms",
		f + "statement error on positive case":      "statement 2",
		f + "skipped by list":                       "testing the skip list",
		f + "engine panics":                         "engine panic: fake engine told to panic",
		f + "format var without matrix":             "{FORMAT} is used",
		f + "disabled upstream":                     "disabled upstream",
		"broken.json :: (file)":                     "broken.json",
		"badcase.json :: #0":                        `missing "name"`,
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
	if len(got) != len(want) {
		t.Errorf("%d runs, want %d", len(got), len(want))
	}
	// negative scoring
	for name, ls := range map[string][2]bool{
		"negative parse strict": {true, true}, "negative statement lenient": {true, false},
		"negative wrong phase": {false, false}, "negative without error": {false, false},
		"negative runtime strict": {true, true},
	} {
		r := got[f+name]
		if !r.Negative || r.Lenient != ls[0] || r.Strict != ls[1] {
			t.Errorf("%s: negative=%v lenient=%v strict=%v, want lenient=%v strict=%v", name, r.Negative, r.Lenient, r.Strict, ls[0], ls[1])
		}
	}
	// post-conditions are scored apart from records
	if r := got[f+"passthrough - JSON"]; !r.PostChecked || len(r.PostProblems) != 0 {
		t.Errorf("passthrough post: checked=%v problems=%v", r.PostChecked, r.PostProblems)
	}
	if r := got[f+"post schema mismatch"]; len(r.PostProblems) != 2 ||
		!strings.Contains(strings.Join(r.PostProblems, "\n"), `schema: expected "ID INT KEY, V BIGINT"`) {
		t.Errorf("post schema mismatch problems: %q", r.PostProblems)
	}
	if r := got[f+"post blacklist"]; len(r.PostProblems) != 1 || !strings.Contains(r.PostProblems[0], "x-repartition") {
		t.Errorf("post blacklist problems: %q", r.PostProblems)
	}
	// categories: a known stem and an unknown one
	if c := got[f+"plain pass"].Category; c != "projection_filter" {
		t.Errorf("category of filter.json = %q", c)
	}
	if c := got["mystery.json :: plain"].Category; c != CategoryOther {
		t.Errorf("category of mystery.json = %q", c)
	}

	s := rep.Summary()
	passed := 0
	for _, st := range want {
		if st == StatusPass {
			passed++
		}
	}
	if s.Passed != passed || s.Runs != len(want) || s.Negative != 5 || s.Lenient != 3 || s.Strict != 2 ||
		s.Timeouts != 1 || s.Skipped != 2 || s.PostChecked != 4 || s.PostPassed != 2 {
		t.Errorf("summary %+v", s)
	}

	var buf bytes.Buffer
	if err := rep.Print(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	last := lines[len(lines)-1]
	if want := "QTT total: 15/39 passed (38.5%)"; last != want {
		t.Errorf("last line %q, want %q", last, want)
	}
	if !regexp.MustCompile(`^QTT total: \d+/\d+ passed \(\d+\.\d%\)$`).MatchString(last) {
		t.Errorf("last line %q has the wrong shape", last)
	}
	for _, frag := range []string{
		"QTT negative: lenient 3/5 (60.0%), strict 2/5 (40.0%)\n",
		"QTT post-conditions: 2/4 passed (50.0%)\n",
		"SKIP filter.json :: skipped by list: testing the skip list\n",
		"TIMEOUT filter.json :: sleeps past the limit",
		"  projection_filter",
		"  other ",
		"actual records on OUTPUT (1):",
		"POST FAIL filter.json :: post blacklist",
		"PASS (lenient) filter.json :: negative statement lenient",
	} {
		if !strings.Contains(out, frag) {
			t.Errorf("report lacks %q", frag)
		}
	}
	if testing.Verbose() {
		t.Log("\n" + out)
	}
}

// TestRunContextCancelled checks that Run stops when its context ends.
func TestRunContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, "testdata/harness", newFake, Options{})
	if err == nil {
		t.Fatal("Run with a cancelled context returned no error")
	}
	if _, err := Run(context.Background(), "testdata/does-not-exist", newFake, Options{}); err == nil {
		t.Fatal("Run on a missing directory returned no error")
	}
}
