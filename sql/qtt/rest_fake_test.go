package qtt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// fakeRest is RunRest's test double: a pretend ksqlDB REST server whose
// statements say what to answer. /ksql (KSQL) understands, by first word:
//
//	FAIL <status> <@type> <message...>  an error answer
//	EMIT <topic> <json value>           appends a record to topic; answers [] (as INSERT VALUES)
//	SHOW <@type>                        answers [{"@type": <@type>}]
//	TOPICS <name:partitions>...         400 unless the factory's topics are exactly these, in order
//	PROPS <key=value>...                400 unless props hold these
//	SLEEP                               blocks until ctx ends
//	PANIC                               panics
//	anything else                       a currentStatus entity (CREATE ...)
//
// and /query (Query), after "SELECT":
//
//	FAIL <status> <@type> <message...>  an error answer
//	RESPOND <json array>                answers the array
//	PUSH RESPOND <json array>           the same, cut to want entries (a push query stopped by the reader)
//	ROWS <topic>                        a header, then a row ["before", <records on topic>, <WaitForQueries
//	                                    calls>] counted before onActive runs, then a row [value] per
//	                                    record of topic
//
// Property "test.wait.fail"="true" makes WaitForQueries fail.
type fakeRest struct {
	props   map[string]string
	topics  []TopicSpec
	records map[string][]Record
	waits   int
}

func newFakeRest(props map[string]string, topics []TopicSpec) (RestEngine, error) {
	return &fakeRest{props: props, topics: topics, records: map[string][]Record{}}, nil
}

func fakeError(status string, typ string, msg string) (int, []byte, error) {
	code, err := strconv.Atoi(status)
	if err != nil {
		return 0, nil, err
	}
	b, _ := json.Marshal(map[string]any{"@type": typ, "error_code": code * 100, "message": msg})
	return code, b, nil
}

// words splits s into its first n space-separated words and the rest.
func words(s string, n int) []string {
	f := strings.SplitN(strings.TrimSpace(s), " ", n+1)
	for len(f) < n+1 {
		f = append(f, "")
	}
	return f
}

func (f *fakeRest) KSQL(ctx context.Context, stmt string, props map[string]string) (int, []byte, error) {
	w := words(stmt, 1)
	switch strings.ToUpper(w[0]) {
	case "SLEEP":
		<-ctx.Done()
		return 0, nil, ctx.Err()
	case "PANIC":
		panic("fake REST engine told to panic")
	case "FAIL":
		a := words(w[1], 2)
		return fakeError(a[0], a[1], a[2])
	case "EMIT":
		a := words(w[1], 1)
		dec := json.NewDecoder(strings.NewReader(a[1]))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return fakeError("400", "statement_error", err.Error())
		}
		f.records[a[0]] = append(f.records[a[0]], Record{Topic: a[0], Value: v})
		return 200, []byte("[]"), nil
	case "SHOW":
		b, _ := json.Marshal([]any{map[string]any{"@type": w[1]}})
		return 200, b, nil
	case "TOPICS":
		var got []string
		for _, t := range f.topics {
			got = append(got, fmt.Sprintf("%s:%d", t.Name, t.Partitions))
		}
		if strings.Join(got, " ") != w[1] {
			return fakeError("400", "generic_error", "topics are "+strings.Join(got, " "))
		}
		return 200, []byte("[]"), nil
	case "PROPS":
		for _, kv := range strings.Fields(w[1]) {
			k, v, _ := strings.Cut(kv, "=")
			if props[k] != v {
				return fakeError("400", "generic_error", fmt.Sprintf("property %s is %q", k, props[k]))
			}
		}
		return 200, []byte("[]"), nil
	}
	b, _ := json.Marshal([]any{map[string]any{"@type": "currentStatus", "statementText": stmt,
		"commandStatus": map[string]any{"status": "SUCCESS", "message": "Stream created", "queryId": nil}}})
	return 200, b, nil
}

func (f *fakeRest) Query(ctx context.Context, sql string, props map[string]string, want int, onActive func(context.Context) error) (int, []byte, error) {
	w := words(sql, 2)
	switch strings.ToUpper(w[1]) {
	case "FAIL":
		a := words(w[2], 2)
		return fakeError(a[0], a[1], a[2])
	case "RESPOND", "PUSH":
		text := w[2]
		if strings.EqualFold(w[1], "PUSH") {
			text = words(w[2], 1)[1]
		}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		var entries []any
		if err := dec.Decode(&entries); err != nil {
			return fakeError("400", "statement_error", err.Error())
		}
		if onActive != nil {
			if err := onActive(ctx); err != nil {
				return 0, nil, err
			}
		}
		if strings.EqualFold(w[1], "PUSH") && want > 0 && len(entries) > want {
			entries = entries[:want]
		}
		b, err := json.Marshal(entries)
		return 200, b, err
	case "ROWS":
		topic := strings.TrimSuffix(strings.TrimSpace(w[2]), ";")
		entries := []any{
			map[string]any{"header": map[string]any{"queryId": "transient_T_1", "schema": "`V` STRING"}},
			map[string]any{"row": map[string]any{"columns": []any{"before", len(f.records[topic]), f.waits}}},
		}
		if onActive != nil {
			if err := onActive(ctx); err != nil {
				return 0, nil, err
			}
		}
		for _, r := range f.records[topic] {
			entries = append(entries, map[string]any{"row": map[string]any{"columns": []any{r.Value}}})
		}
		var buf bytes.Buffer
		err := json.NewEncoder(&buf).Encode(entries)
		return 200, buf.Bytes(), err
	}
	return fakeError("400", "statement_error", "unsupported query")
}

func (f *fakeRest) Produce(ctx context.Context, topic string, recs []Record) error {
	f.records[topic] = append(f.records[topic], recs...)
	return nil
}

func (f *fakeRest) WaitForQueries(ctx context.Context) error {
	f.waits++
	if f.props["test.wait.fail"] == "true" {
		return errors.New("query CSAS_X_0 failed")
	}
	return nil
}

func (f *fakeRest) Records(ctx context.Context, topic string) ([]Record, error) {
	return f.records[topic], nil
}

func (f *fakeRest) Close() error { return nil }
