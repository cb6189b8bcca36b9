package qtt

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// RestOptions tune RunRest. The zero value runs every enabled case, one
// at a time, with a 10 s limit per run.
type RestOptions struct {
	// Options are QTT's (Timeout, Skip, Filter, RunDisabled), applied to
	// RQTT run names.
	Options
	// Parallel is how many runs execute at once, each on an engine of its
	// own; 1 when zero or less.
	Parallel int
}

// ProtoSkipReason is the skip reason of the protobuf repetitions of
// testPullWithProtoFormat cases.
const ProtoSkipReason = "protobuf REST responses (testPullWithProtoFormat) are not supported"

// RunRest loads every RQTT case under dir (see RestCaseDir), expands the
// matrices (ExpandRest) and runs each run against a fresh engine from
// factory, opts.Parallel at a time. The report lists the runs in file,
// case and matrix order whatever the parallelism, with Suite "RQTT" and
// categories from RestCategory. It returns an error only when dir cannot
// be read or ctx ends; the report then holds the runs finished so far.
//
// One run does, in order (the order of ksqlDB's RestTestExecutor):
//
//  1. Call the factory with DefaultProperties overlaid by the case's
//     properties and the topics of RestTopics.
//  2. Send every non-SELECT statement (see IsQuery), in order, through
//     KSQL. The entities of the answers, concatenated, are the actual
//     responses so far: an answer may hold no entity (INSERT VALUES),
//     and then it takes no place in `responses`.
//  3. Produce the inputs, topic by topic in order of first appearance
//     (each topic's records in file order), then call WaitForQueries.
//     With inputConditions.waitForActivePushQuery the inputs are instead
//     produced from the first SELECT's onActive callback, and
//     WaitForQueries is called after them there.
//  4. Send every SELECT, in order, through Query, with want = the number
//     of entries of its expected response; each answer is one more
//     actual response.
//  5. Compare the `outputs` topics as QTT does (CompareTopic).
//  6. Compare each expected response with the actual one at the same
//     index: "admin" ones with MatchJSON (only the keys written),
//     "query" ones with CompareQueryResponse. Extra actual responses are
//     not checked; missing ones fail the run.
//
// A statement answered with an HTTP error ends the run. For a case
// without expectedError the run is an error. For a case with one it is a
// lenient pass when the failing statement is the case's last one and the
// status is the expected one (400 when not given), and a strict pass
// when, besides, the error entity's message contains the expected
// message and its @type fits the expected type (see errorTypeMatches). A
// case with expectedError whose statements all succeed fails. Responses
// and outputs are not compared for negative cases, as upstream.
func RunRest(ctx context.Context, dir string, factory RestFactory, opts RestOptions) (Report, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	par := max(opts.Parallel, 1)
	cases, bad, err := LoadRestDir(dir)
	rep := Report{Suite: "RQTT", Dir: RestCaseDir(dir)}
	if err != nil {
		return rep, err
	}
	files := map[string]bool{}
	for _, c := range cases {
		files[c.File] = true
	}
	badAt := map[string][]*LoadError{}
	for _, b := range bad {
		files[b.File] = true
		badAt[b.File] = append(badAt[b.File], b)
	}
	rep.Files = len(files)
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
				Category: RestCategory(b.File), Status: StatusError, Detail: b.Error()})
		}
		delete(badAt, file)
	}
	type job struct {
		slot int
		spec RestRunSpec
	}
	var jobs []job
	for i := range cases {
		c := &cases[i]
		if i == 0 || cases[i-1].File != c.File {
			emitBad(c.File)
		}
		for _, spec := range ExpandRest(c) {
			if opts.Filter != nil && !opts.Filter(spec.Name) {
				continue
			}
			res := Result{Name: spec.Name, File: c.File, Index: c.Index, Case: c.Name,
				Category: RestCategory(c.File), Negative: c.ExpectedError != nil}
			if reason, ok := opts.Skip[spec.Name]; ok {
				res.Status, res.Detail = StatusSkip, reason
			} else if !c.Enabled && !opts.RunDisabled {
				res.Status, res.Detail = StatusSkip, "disabled upstream"
			} else if spec.Proto {
				res.Status, res.Detail = StatusSkip, ProtoSkipReason
			} else {
				jobs = append(jobs, job{slot: len(rep.Results), spec: spec})
			}
			rep.Results = append(rep.Results, res)
		}
	}
	for file := range badAt { // files with no loadable case
		emitBad(file)
	}

	// Each worker writes only the slots of its own jobs; the report is
	// read again only after wg.Wait.
	finished := make([]bool, len(rep.Results))
	for i, r := range rep.Results {
		finished[i] = r.Status != ""
	}
	work := make(chan job)
	var wg sync.WaitGroup
	for range min(par, max(len(jobs), 1)) {
		wg.Go(func() {
			for j := range work {
				res := rep.Results[j.slot]
				spec := j.spec
				rep.Results[j.slot] = limitRun(ctx, opts.Timeout, res, func(rctx context.Context, r Result) Result {
					return executeRest(rctx, spec, factory, r)
				})
				finished[j.slot] = true
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case work <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		done := rep.Results[:0]
		for i, r := range rep.Results {
			if finished[i] {
				done = append(done, r)
			}
		}
		rep.Results = done
		return rep, fmt.Errorf("qtt: RQTT run stopped: %w", err)
	}
	return rep, nil
}

// actualResponse is one response a run got: an entity of a /ksql answer
// or the entries of a /query answer.
type actualResponse struct {
	stmt    int // index of the statement it answers
	admin   any
	query   []any
	isQuery bool
}

// executeRest runs one RQTT run to completion on the calling goroutine.
func executeRest(ctx context.Context, spec RestRunSpec, factory RestFactory, res Result) (out Result) {
	rc := spec.Rest
	if spec.Err != nil {
		res.Status, res.Detail = StatusError, "case: "+spec.Err.Error()
		return res
	}
	props := DefaultProperties()
	for k, v := range spec.Properties {
		props[k] = v
	}
	eng, err := factory(props, RestTopics(spec))
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
	last := len(spec.Statements) - 1
	step := func(i int) string {
		return fmt.Sprintf("statement %d %q", i+1, abbreviate(spec.Statements[i]))
	}
	// failed ends the run on a statement answered with an HTTP error.
	failed := func(i, status int, body []byte) Result {
		res.ErrPhase = PhaseStatement
		if rc.ExpectedError == nil {
			res.Status = StatusError
			res.Detail = fmt.Sprintf("%s failed: HTTP %d: %s", step(i), status, errorText(body))
			return res
		}
		return scoreRestNegative(res, rc.ExpectedError, i == last, step(i), status, body)
	}
	// broken ends the run on an error that is not an HTTP answer.
	broken := func(what string, err error) Result {
		res.Status = StatusError
		if rc.ExpectedError != nil {
			res.Status = StatusFail
		}
		res.Detail = fmt.Sprintf("%s: %v", what, err)
		return res
	}

	var admin, queries []int
	for i, s := range spec.Statements {
		if IsQuery(s) {
			queries = append(queries, i)
		} else {
			admin = append(admin, i)
		}
	}
	var actual []actualResponse
	for _, i := range admin {
		status, body, err := eng.KSQL(ctx, spec.Statements[i], props)
		if err != nil {
			return broken(step(i), err)
		}
		if status < 200 || status > 299 {
			return failed(i, status, body)
		}
		v, err := decodeJSON(body)
		if err != nil {
			return broken(step(i)+": answer is not JSON", err)
		}
		list, ok := v.([]any)
		if !ok {
			return broken(step(i), fmt.Errorf("answer is not an array of entities: %s", render(v)))
		}
		for _, e := range list {
			actual = append(actual, actualResponse{stmt: i, admin: e})
		}
	}

	produce := func(ctx context.Context) error {
		var topics []string
		byTopic := map[string][]Record{}
		for _, in := range rc.Inputs {
			if _, ok := byTopic[in.Topic]; !ok {
				topics = append(topics, in.Topic)
			}
			rec := in
			rec.Headers = append([]Header(nil), in.Headers...)
			byTopic[in.Topic] = append(byTopic[in.Topic], rec)
		}
		for _, t := range topics {
			if err := eng.Produce(ctx, t, byTopic[t]); err != nil {
				return fmt.Errorf("producing %d inputs to %s: %w", len(byTopic[t]), t, err)
			}
		}
		if err := eng.WaitForQueries(ctx); err != nil {
			return fmt.Errorf("waiting for the persistent queries: %w", err)
		}
		return nil
	}
	var onActive func(context.Context) error
	produced := false
	if rc.WaitForActivePushQuery && len(queries) > 0 {
		onActive = func(ctx context.Context) error {
			produced = true
			return produce(ctx)
		}
	} else if err := produce(ctx); err != nil {
		return broken("inputs", err)
	} else {
		produced = true
	}

	for _, i := range queries {
		want := 0
		if n := len(actual); n < len(rc.Responses) && rc.Responses[n].Query != nil {
			want = len(rc.Responses[n].Query)
		}
		status, body, err := eng.Query(ctx, spec.Statements[i], props, want, onActive)
		onActive = nil
		if err != nil {
			return broken(step(i), err)
		}
		if status < 200 || status > 299 {
			return failed(i, status, body)
		}
		v, err := decodeJSON(body)
		if err != nil {
			return broken(step(i)+": answer is not JSON", err)
		}
		entries, ok := v.([]any)
		if !ok {
			return broken(step(i), fmt.Errorf("answer is not an array of entries: %s", render(v)))
		}
		actual = append(actual, actualResponse{stmt: i, query: entries, isQuery: true})
	}
	if !produced {
		return broken("inputs", fmt.Errorf("the push query never reported itself active, so the inputs were not produced"))
	}
	if e := rc.ExpectedError; e != nil {
		res.Status = StatusFail
		res.Detail = fmt.Sprintf("expected %s, but every statement succeeded", describeError(e))
		return res
	}

	var topics []string
	byTopic := map[string][]Expected{}
	for _, e := range rc.Outputs {
		if _, ok := byTopic[e.Topic]; !ok {
			topics = append(topics, e.Topic)
		}
		byTopic[e.Topic] = append(byTopic[e.Topic], e)
	}
	for _, t := range topics {
		act, err := eng.Records(ctx, t)
		if err != nil {
			res.Status, res.Detail = StatusError, fmt.Sprintf("reading output topic %s: %v", t, err)
			return res
		}
		if m := CompareTopic(t, byTopic[t], act, len(rc.Inputs) == 0); m != nil {
			res.Status, res.Detail = StatusFail, m.String()
			return res
		}
	}

	for n, exp := range rc.Responses {
		if n >= len(actual) {
			res.Status = StatusFail
			res.Detail = fmt.Sprintf("expected %d responses, got %d", len(rc.Responses), len(actual))
			return res
		}
		a := actual[n]
		where := fmt.Sprintf("response %d (%s)", n, step(a.stmt))
		switch {
		case exp.Admin != nil && a.isQuery:
			res.Status, res.Detail = StatusFail, where+": expected an admin response, got a query answer"
			return res
		case exp.Query != nil && !a.isQuery:
			res.Status, res.Detail = StatusFail, fmt.Sprintf("%s: expected a query answer, got the entity %s", where, render(a.admin))
			return res
		case exp.Admin != nil:
			if m := MatchJSON("", exp.Admin, a.admin); m != "" {
				res.Status, res.Detail = StatusFail, fmt.Sprintf("%s: %s\nactual: %s", where, m, render(a.admin))
				return res
			}
		default:
			if m := CompareQueryResponse(exp.Query, a.query); m != "" {
				res.Status, res.Detail = StatusFail, where+": "+m
				return res
			}
		}
	}
	res.Status = StatusPass
	return res
}

// expectedStatus is the HTTP status an expectedError asks for.
func expectedStatus(e *ExpectedError) int {
	if e.Status == 0 {
		return 400
	}
	return e.Status
}

// scoreRestNegative scores a run of a case with expectedError that ended
// on an HTTP error at step; atLast reports that step is the case's last
// statement.
func scoreRestNegative(res Result, exp *ExpectedError, atLast bool, step string, status int, body []byte) Result {
	want := expectedStatus(exp)
	eb, isJSON := parseErrorBody(body)
	res.Lenient = atLast && status == want
	typeOK := isJSON && errorTypeMatches(exp.Type, eb.Type)
	res.Strict = res.Lenient && typeOK && strings.Contains(eb.Message, exp.Message)
	if res.Lenient {
		res.Status = StatusPass
		if !res.Strict {
			var why []string
			if !typeOK {
				why = append(why, fmt.Sprintf("error entity %q is not a %s", eb.Type, exp.Type))
			}
			if !strings.Contains(eb.Message, exp.Message) {
				why = append(why, fmt.Sprintf("expected %q in: %s", exp.Message, errorText(body)))
			}
			res.Detail = "message mismatch (lenient pass): " + strings.Join(why, "; ")
		}
		return res
	}
	res.Status = StatusFail
	if !atLast {
		res.Detail = fmt.Sprintf("expected %s from the last statement, but %s failed first with HTTP %d: %s",
			describeError(exp), step, status, errorText(body))
		return res
	}
	res.Detail = fmt.Sprintf("expected %s; %s failed with HTTP %d: %s", describeError(exp), step, status, errorText(body))
	return res
}

// describeError renders an expectedError for reports.
func describeError(e *ExpectedError) string {
	s := fmt.Sprintf("HTTP %d", expectedStatus(e))
	if e.Type != "" {
		s += " " + e.Type[strings.LastIndex(e.Type, ".")+1:]
	}
	return fmt.Sprintf("%s containing %q", s, e.Message)
}
