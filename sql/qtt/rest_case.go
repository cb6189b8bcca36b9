package qtt

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// RestCase is one case of an RQTT file (ksqlDB's REST query-validation
// tests), as written: the QTT fields plus the REST ones.
type RestCase struct {
	// Case holds the fields RQTT shares with QTT. Its Exception is unused:
	// RQTT cases say what they expect to fail with ExpectedError.
	Case
	// Responses are the expected responses, in order; they may be fewer
	// than the statements (only those given are compared).
	Responses []Response
	// ExpectedError is the error a statement must fail with, nil for a
	// positive case.
	ExpectedError *ExpectedError
	// WaitForActivePushQuery (inputConditions.waitForActivePushQuery) asks
	// for the inputs to be produced only once the push query runs.
	WaitForActivePushQuery bool
	// TestPullWithProtoFormat asks for the queries to be repeated over
	// ksqlDB's protobuf REST encoding; that repetition is expanded into a
	// run of its own, which RunRest skips.
	TestPullWithProtoFormat bool
}

// Response is one expected response; exactly one of Admin and Query is
// set.
type Response struct {
	// Admin holds the keys of a /ksql entity to compare ("admin"), e.g.
	// {"@type": "currentStatus"}.
	Admin map[string]any
	// Query holds the entries of a /query answer ("query"): {"header":
	// {...}}, {"row": {...}}, ..., {"finalMessage": ...}.
	Query []map[string]any
}

// ExpectedError is a case's `expectedError`.
type ExpectedError struct {
	// Type is the ksqlDB REST error entity class, e.g.
	// "io.confluent.ksql.rest.entity.KsqlStatementErrorMessage"; empty
	// when not given.
	Type string
	// Message must be a substring of the error's message for a strict
	// pass.
	Message string
	// Status is the expected HTTP status, 0 when not given (400 is then
	// expected: ksqlDB's status for a rejected statement).
	Status int
}

// RestCaseDir returns the folder that holds the RQTT case files for dir:
// dir's rest-query-validation-tests subfolder when it has one, else dir
// itself.
func RestCaseDir(dir string) string {
	sub := filepath.Join(dir, "rest-query-validation-tests")
	if st, err := os.Stat(sub); err == nil && st.IsDir() {
		return sub
	}
	return dir
}

// LoadRestDir reads every *.json file of RestCaseDir(dir), in name order.
// A file or case that cannot be read is returned as a *LoadError beside
// the cases that could; the error result is only for an unreadable
// directory.
func LoadRestDir(dir string) ([]RestCase, []*LoadError, error) {
	cdir := RestCaseDir(dir)
	entries, err := os.ReadDir(cdir)
	if err != nil {
		return nil, nil, fmt.Errorf("qtt: reading RQTT case directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var cases []RestCase
	var bad []*LoadError
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(cdir, name))
		if err != nil {
			bad = append(bad, &LoadError{File: name, Index: -1, Err: err})
			continue
		}
		cs, errs := ParseRestFile(name, data)
		cases = append(cases, cs...)
		bad = append(bad, errs...)
	}
	return cases, bad, nil
}

// rawRestCase holds the fields RQTT adds to QTT's.
type rawRestCase struct {
	Responses     []map[string]any `json:"responses"`
	ExpectedError *struct {
		Type    string      `json:"type"`
		Message string      `json:"message"`
		Status  json.Number `json:"status"`
	} `json:"expectedError"`
	InputConditions *struct {
		WaitForActivePushQuery bool `json:"waitForActivePushQuery"`
	} `json:"inputConditions"`
	TestPullWithProtoFormat bool `json:"testPullWithProtoFormat"`
}

// ParseRestFile parses one RQTT file (strict JSON, numbers kept exact as
// json.Number, also inside responses). file is the base name the cases
// are reported under. Cases that cannot be read are returned as
// *LoadError; the others are returned in file order.
func ParseRestFile(file string, data []byte) ([]RestCase, []*LoadError) {
	var rf rawFile
	if err := decodeStrict(data, &rf); err != nil {
		return nil, []*LoadError{{File: file, Index: -1, Err: err}}
	}
	if rf.Tests == nil {
		return nil, []*LoadError{{File: file, Index: -1, Err: errors.New(`no "tests" array`)}}
	}
	var cases []RestCase
	var bad []*LoadError
	for i, raw := range rf.Tests {
		c, err := parseRestCase(file, i, raw)
		if err != nil {
			bad = append(bad, &LoadError{File: file, Index: i, Err: err})
			continue
		}
		cases = append(cases, c)
	}
	return cases, bad
}

func parseRestCase(file string, index int, raw json.RawMessage) (RestCase, error) {
	qc, err := parseCase(file, index, raw)
	if err != nil {
		return RestCase{}, err
	}
	rc := RestCase{Case: qc}
	var rr rawRestCase
	if err := decodeStrict(raw, &rr); err != nil {
		return rc, err
	}
	for i, r := range rr.Responses {
		resp, err := parseResponse(r)
		if err != nil {
			return rc, fmt.Errorf("case %q: response %d: %w", qc.Name, i, err)
		}
		rc.Responses = append(rc.Responses, resp)
	}
	if e := rr.ExpectedError; e != nil {
		rc.ExpectedError = &ExpectedError{Type: e.Type, Message: e.Message}
		if rc.ExpectedError.Status, err = optInt(e.Status); err != nil {
			return rc, fmt.Errorf("case %q: expectedError status: %w", qc.Name, err)
		}
	}
	rc.WaitForActivePushQuery = rr.InputConditions != nil && rr.InputConditions.WaitForActivePushQuery
	rc.TestPullWithProtoFormat = rr.TestPullWithProtoFormat
	return rc, nil
}

// parseResponse reads {"admin": {...}} or {"query": [{...}, ...]}.
func parseResponse(r map[string]any) (Response, error) {
	if len(r) != 1 {
		return Response{}, fmt.Errorf("want exactly one of \"admin\" and \"query\", got %d keys", len(r))
	}
	if a, ok := r["admin"]; ok {
		m, ok := a.(map[string]any)
		if !ok {
			return Response{}, fmt.Errorf("\"admin\" is %T, not an object", a)
		}
		return Response{Admin: m}, nil
	}
	q, ok := r["query"]
	if !ok {
		return Response{}, fmt.Errorf("unknown response kind %q", sortedKeys(r)[0])
	}
	list, ok := q.([]any)
	if !ok {
		return Response{}, fmt.Errorf("\"query\" is %T, not an array", q)
	}
	out := Response{Query: make([]map[string]any, 0, len(list))}
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return Response{}, fmt.Errorf("query entry %d is %T, not an object", i, e)
		}
		out.Query = append(out.Query, m)
	}
	return out, nil
}

// RestCategory returns the manifest category of an RQTT file from its
// name (with or without ".json"): rest_pull_query, rest_push_query,
// rest_scalable_push_query or rest_insert_values; CategoryOther for any
// other stem.
func RestCategory(file string) string {
	stem := strings.TrimSuffix(file, ".json")
	switch {
	case strings.HasPrefix(stem, "pull-queries"):
		return "rest_pull_query"
	case strings.HasPrefix(stem, "scalable-push-queries"):
		return "rest_scalable_push_query"
	case strings.HasPrefix(stem, "push-queries"):
		return "rest_push_query"
	case stem == "insert-values":
		return "rest_insert_values"
	}
	return CategoryOther
}

// RestRunSpec is one run of an RQTT case.
type RestRunSpec struct {
	// RunSpec is the run as QTT expands it: name, format and config
	// substituted into statements, properties and topics. RunSpec.Case
	// points at Rest.Case.
	RunSpec
	// Rest is the case as written.
	Rest *RestCase
	// Proto marks the repetition of a testPullWithProtoFormat case over
	// the protobuf REST encoding; RunRest skips it.
	Proto bool
}

// ProtoSuffix ends the name of the protobuf repetition of a
// testPullWithProtoFormat run.
const ProtoSuffix = " - PROTOBUF response"

// ExpandRest expands an RQTT case's format and config matrices as Expand
// does for QTT; a testPullWithProtoFormat case gets, after each run, its
// protobuf repetition (named with ProtoSuffix).
func ExpandRest(c *RestCase) []RestRunSpec {
	var out []RestRunSpec
	for _, r := range Expand(&c.Case) {
		out = append(out, RestRunSpec{RunSpec: r, Rest: c})
		if c.TestPullWithProtoFormat {
			p := RestRunSpec{RunSpec: r, Rest: c, Proto: true}
			p.Name += ProtoSuffix
			out = append(out, p)
		}
	}
	return out
}

// IsQuery reports whether stmt is a SELECT (a pull or push query, sent to
// /query); every other statement goes to /ksql.
func IsQuery(stmt string) bool {
	s := strings.TrimSpace(stmt)
	return len(s) >= 6 && strings.EqualFold(s[:6], "SELECT")
}

var (
	// createSourceRe matches CREATE [OR REPLACE] [SOURCE] STREAM|TABLE.
	createSourceRe = regexp.MustCompile(`(?is)^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:SOURCE\s+)?(?:STREAM|TABLE)\b`)
	asSelectRe     = regexp.MustCompile(`(?is)\bAS\s+SELECT\b`)
	kafkaTopicRe   = regexp.MustCompile(`(?i)\bKAFKA_TOPIC\s*=\s*'((?:[^']|'')*)'`)
	partitionsRe   = regexp.MustCompile(`(?i)\bPARTITIONS\s*=\s*'?(\d+)'?`)
)

// RestTopics lists the topics a run needs before its first statement, as
// ksqlDB's REST test runner creates them: the case's `topics` (1
// partition unless given), then the topic of every CREATE STREAM|TABLE
// that is not CREATE ... AS SELECT (its WITH clause's PARTITIONS, else 1),
// then every topic named by an input or output record (1 partition). The
// first mention of a name wins.
func RestTopics(spec RestRunSpec) []TopicSpec {
	seen := map[string]bool{}
	var out []TopicSpec
	add := func(t TopicSpec) {
		if t.Name == "" || seen[t.Name] {
			return
		}
		seen[t.Name] = true
		if t.Partitions == 0 {
			t.Partitions = 1
		}
		out = append(out, t)
	}
	for _, t := range spec.Topics {
		add(t)
	}
	for _, s := range spec.Statements {
		if !createSourceRe.MatchString(s) || asSelectRe.MatchString(s) {
			continue
		}
		m := kafkaTopicRe.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		t := TopicSpec{Name: strings.ReplaceAll(m[1], "''", "'")}
		if p := partitionsRe.FindStringSubmatch(s); p != nil {
			if n, err := strconv.Atoi(p[1]); err == nil && n > 0 {
				t.Partitions = n
			}
		}
		add(t)
	}
	for _, r := range spec.Rest.Inputs {
		add(TopicSpec{Name: r.Topic})
	}
	for _, r := range spec.Rest.Outputs {
		add(TopicSpec{Name: r.Topic})
	}
	return out
}
