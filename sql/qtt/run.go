package qtt

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
)

// DefaultTimeout is the per-run time limit when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// abandonGrace is how long the harness waits, past a run's deadline, for the
// engine to notice its cancelled context before it gives the run up.
const abandonGrace = 2 * time.Second

// Options tune Run. The zero value runs every enabled case with a 10 s limit.
type Options struct {
	// Timeout is the time limit of one run, DefaultTimeout when zero.
	Timeout time.Duration
	// Skip maps run names ("<file> :: <name>[ - FORMAT][ - prop=value]") to
	// the reason they are not run. Skipped runs count as not passed and are
	// listed with their reasons.
	Skip map[string]string
	// Filter, when set, selects the runs to execute by name; the others are
	// left out of the report entirely (for iterating on a slice of the
	// corpus).
	Filter func(runName string) bool
	// RunDisabled runs cases marked "enabled": false; by default they are
	// skipped with the reason "disabled upstream".
	RunDisabled bool
}

// Status is the outcome of one run.
type Status string

// Run outcomes.
const (
	// StatusPass: outputs matched, or a negative case failed in the expected
	// phase (lenient).
	StatusPass Status = "PASS"
	// StatusFail: the engine ran but an output differs, or a negative case
	// did not fail as expected.
	StatusFail Status = "FAIL"
	// StatusError: the run could not be completed: the case could not be
	// loaded, the engine could not be made, or a statement, a record or an
	// output read failed on a positive case (or the engine panicked).
	StatusError Status = "ERROR"
	// StatusTimeout: the run overstayed Options.Timeout.
	StatusTimeout Status = "TIMEOUT"
	// StatusSkip: the run is on the skip list or disabled.
	StatusSkip Status = "SKIP"
)

// Result is the outcome of one run.
type Result struct {
	// Name is the run name.
	Name string
	// File and Index identify the case; Case is its name.
	File  string
	Index int
	Case  string
	// Category is Category(File).
	Category string
	// Status is the outcome.
	Status Status
	// Detail explains a non-passing status: the first mismatch with the
	// expected and actual records, or the error; for a skip, the reason.
	Detail string
	// Negative reports a case with expectedException; Lenient and Strict
	// are its two scores (Strict implies Lenient).
	Negative, Lenient, Strict bool
	// ErrPhase is the phase of the error the run ended on, if any.
	ErrPhase Phase
	// PostChecked reports that post-conditions were checked (positive runs
	// whose records were compared, with a `post` section); PostProblems
	// lists what failed.
	PostChecked  bool
	PostProblems []string
	// Elapsed is the run's wall time.
	Elapsed time.Duration
}

// Report is the outcome of a Run (or a RunRest).
type Report struct {
	// Suite names the corpus in the printed summary lines: "QTT" when
	// empty, "RQTT" for RunRest.
	Suite string
	// Dir is the case directory that was read.
	Dir string
	// Files is the number of case files read.
	Files int
	// Results holds one entry per run, in file, case and matrix order; files
	// and cases that could not be loaded appear as StatusError entries.
	Results []Result
}

// Run loads every case under dir (see CaseDir), expands the matrices and
// runs each run against a fresh engine from factory, one after another. It
// returns an error only when dir cannot be read or ctx ends; the report then
// holds the runs finished so far.
func Run(ctx context.Context, dir string, factory Factory, opts Options) (Report, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	cases, bad, err := LoadDir(dir)
	rep := Report{Dir: CaseDir(dir)}
	if err != nil {
		return rep, err
	}
	files := map[string]bool{}
	for _, c := range cases {
		files[c.File] = true
	}
	for _, b := range bad {
		files[b.File] = true
	}
	rep.Files = len(files)
	badAt := map[string][]*LoadError{}
	for _, b := range bad {
		badAt[b.File] = append(badAt[b.File], b)
	}
	emitBad := func(file string) {
		for _, b := range badAt[file] {
			name := fmt.Sprintf("%s :: #%d", b.File, b.Index)
			if b.Index < 0 {
				name = b.File + " :: (file)"
			}
			if opts.Filter != nil && !opts.Filter(name) {
				continue
			}
			rep.Results = append(rep.Results, Result{Name: name, File: b.File, Index: b.Index,
				Category: Category(b.File), Status: StatusError, Detail: b.Error()})
		}
		delete(badAt, file)
	}
	for i := range cases {
		c := &cases[i]
		if i == 0 || cases[i-1].File != c.File {
			emitBad(c.File)
		}
		for _, spec := range Expand(c) {
			if opts.Filter != nil && !opts.Filter(spec.Name) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return rep, fmt.Errorf("qtt: run stopped: %w", err)
			}
			res := Result{Name: spec.Name, File: c.File, Index: c.Index, Case: c.Name,
				Category: Category(c.File), Negative: c.Exception != nil}
			if reason, ok := opts.Skip[spec.Name]; ok {
				res.Status, res.Detail = StatusSkip, reason
			} else if !c.Enabled && !opts.RunDisabled {
				res.Status, res.Detail = StatusSkip, "disabled upstream"
			} else {
				res = runWithLimit(ctx, spec, factory, opts.Timeout, res)
			}
			rep.Results = append(rep.Results, res)
		}
	}
	for file := range badAt { // files with no loadable case
		emitBad(file)
	}
	return rep, nil
}

// runWithLimit runs one spec on its own goroutine under a deadline. The
// goroutine owns the engine and closes it when it returns; a run still busy
// abandonGrace after its deadline is reported as a timeout and left to
// finish on its own.
func runWithLimit(ctx context.Context, spec RunSpec, factory Factory, limit time.Duration, res Result) Result {
	return limitRun(ctx, limit, res, func(rctx context.Context, r Result) Result {
		return execute(rctx, spec, factory, r)
	})
}

// limitRun runs exec on its own goroutine under a deadline of limit, with
// res as the result to fill in; see runWithLimit.
func limitRun(ctx context.Context, limit time.Duration, res Result, exec func(context.Context, Result) Result) Result {
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	done := make(chan Result, 1)
	go func() {
		r := res
		defer func() {
			if p := recover(); p != nil {
				r.Status = StatusError
				r.Detail = fmt.Sprintf("engine panic: %v\n%s", p, debug.Stack())
				done <- r
			}
		}()
		done <- exec(rctx, r)
	}()
	var out Result
	select {
	case out = <-done:
	case <-rctx.Done():
		t := time.NewTimer(abandonGrace)
		select {
		case out = <-done:
			t.Stop()
		case <-t.C:
			out = res
			out.Status = StatusTimeout
			out.Detail = fmt.Sprintf("run did not finish within %v (abandoned)", limit)
		}
	}
	if errors.Is(rctx.Err(), context.DeadlineExceeded) && out.Status != StatusPass && out.Status != StatusTimeout {
		prev := out.Detail
		out.Status = StatusTimeout
		out.Lenient, out.Strict = false, false
		out.Detail = fmt.Sprintf("run exceeded %v", limit)
		if prev != "" {
			out.Detail += ": " + prev
		}
	}
	out.Elapsed = time.Since(start)
	return out
}

// execute runs one spec to completion on the calling goroutine.
func execute(ctx context.Context, spec RunSpec, factory Factory, res Result) (out Result) {
	c := spec.Case
	if spec.Err != nil {
		res.Status, res.Detail = StatusError, "case: "+spec.Err.Error()
		return res
	}
	props := DefaultProperties()
	for k, v := range spec.Properties {
		props[k] = v
	}
	eng, err := factory(props, spec.Topics)
	if err != nil {
		res.Status, res.Detail = StatusError, "creating engine: "+err.Error()
		return res
	}
	if eng == nil {
		res.Status, res.Detail = StatusError, "creating engine: factory returned nil"
		return res
	}
	defer func() {
		if err := eng.Close(); err != nil && out.Status == StatusPass && !out.Negative {
			out.Status, out.Detail = StatusError, "closing engine: "+err.Error()
		}
	}()
	// fail ends the run on an error from a step, scoring it when the case
	// expects one. def is the phase of an unclassified error.
	fail := func(step string, def Phase, err error) Result {
		ph := PhaseOf(err)
		if ph == PhaseUnknown {
			ph = def
		}
		res.ErrPhase = ph
		if c.Exception != nil {
			return scoreNegative(res, c.Exception, ph, step, err)
		}
		res.Status = StatusError
		res.Detail = fmt.Sprintf("%s failed (%s error): %v", step, ph, err)
		return res
	}
	for i, stmt := range spec.Statements {
		if err := eng.Execute(ctx, stmt); err != nil {
			return fail(fmt.Sprintf("statement %d %q", i+1, abbreviate(stmt)), PhaseStatement, err)
		}
	}
	for i, in := range c.Inputs {
		rec := in
		rec.Headers = append([]Header(nil), in.Headers...)
		if err := eng.Produce(ctx, rec); err != nil {
			return fail(fmt.Sprintf("producing input %d to %s", i, in.Topic), PhaseRuntime, err)
		}
	}
	if err := eng.Drain(ctx); err != nil {
		return fail("processing", PhaseRuntime, err)
	}
	if c.Exception != nil {
		res.Status = StatusFail
		res.Detail = fmt.Sprintf("expected %s containing %q, but every statement and record succeeded",
			c.Exception.Type, c.Exception.Message)
		return res
	}
	var topics []string
	byTopic := map[string][]Expected{}
	for _, e := range c.Outputs {
		if _, ok := byTopic[e.Topic]; !ok {
			topics = append(topics, e.Topic)
		}
		byTopic[e.Topic] = append(byTopic[e.Topic], e)
	}
	noInputs := len(c.Inputs) == 0
	for _, t := range topics {
		act, err := eng.Output(ctx, t)
		if err != nil {
			res.Status, res.Detail = StatusError, fmt.Sprintf("reading output topic %s: %v", t, err)
			return res
		}
		if m := CompareTopic(t, byTopic[t], act, noInputs); m != nil {
			res.Status, res.Detail = StatusFail, m.String()
			return res
		}
	}
	res.Status = StatusPass
	if c.Post != nil {
		res.PostChecked = true
		res.PostProblems = CheckPost(ctx, eng, c.Post)
	}
	return res
}

// scoreNegative scores a run of a case with expectedException that ended on
// err in phase ph.
func scoreNegative(res Result, exp *ExpectedException, ph Phase, step string, err error) Result {
	for _, p := range expectedPhases(exp.Type) {
		if p == ph {
			res.Lenient = true
		}
	}
	text := err.Error()
	res.Strict = res.Lenient && strings.Contains(text, exp.Message) &&
		(exp.CauseMessage == "" || strings.Contains(text, exp.CauseMessage))
	if res.Lenient {
		res.Status = StatusPass
		if !res.Strict {
			res.Detail = fmt.Sprintf("message mismatch (lenient pass): expected %q in: %v", exp.Message, text)
		}
		return res
	}
	res.Status = StatusFail
	res.Detail = fmt.Sprintf("expected %s (%s error) containing %q; %s failed with a %s error: %v",
		exp.Type, phaseList(expectedPhases(exp.Type)), exp.Message, step, ph, err)
	return res
}

func phaseList(ps []Phase) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "/")
}

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
