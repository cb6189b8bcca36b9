package qtt

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// fakeEngine is the harness's test double. It understands just enough to
// exercise the harness:
//
//	CREATE STREAM S (COL TYPE [KEY], ...) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='f');
//	CREATE STREAM T AS SELECT * FROM S;   -- copies S's topic to topic T, upper-casing field names
//
// and these markers anywhere in a statement: PARSEFAIL (parse error at the
// marker), RUNTIMEFAIL (Drain fails, unclassified), SLEEP (blocks until ctx
// ends), PANIC (panics). Anything else is rejected with an unclassified error.
// The property "test.repartition"="true" adds a topic "x-repartition".
type fakeEngine struct {
	props   map[string]string
	sources map[string]*fakeSource
	queries [][2]string // sink name, source name
	topics  map[string][]Record
	order   []string
	failRun bool
}

type fakeSource struct {
	name, topic, valueFormat, schema string
	keyType                          string
	types                            map[string]string
}

var (
	createRe = regexp.MustCompile(`(?is)^\s*CREATE\s+STREAM\s+(\w+)\s*\((.*)\)\s*WITH\s*\((.*)\)\s*;?\s*$`)
	csasRe   = regexp.MustCompile(`(?is)^\s*CREATE\s+STREAM\s+(\w+)\s+AS\s+SELECT\s+\*\s+FROM\s+(\w+)\s*;?\s*$`)
	withRe   = regexp.MustCompile(`(?i)(\w+)\s*=\s*'([^']*)'`)
)

func newFake(props map[string]string, topics []TopicSpec) (Engine, error) {
	f := &fakeEngine{props: props, sources: map[string]*fakeSource{}, topics: map[string][]Record{}}
	for _, t := range topics {
		f.touch(t.Name)
	}
	if props["test.repartition"] == "true" {
		f.touch("x-repartition")
	}
	return f, nil
}

func (f *fakeEngine) touch(topic string) {
	if _, ok := f.topics[topic]; !ok {
		f.topics[topic] = nil
		f.order = append(f.order, topic)
	}
}

func (f *fakeEngine) Execute(ctx context.Context, stmt string) error {
	switch {
	case strings.Contains(stmt, "SLEEP"):
		<-ctx.Done()
		return ctx.Err()
	case strings.Contains(stmt, "PANIC"):
		panic("fake engine told to panic")
	case strings.Contains(stmt, "PARSEFAIL"):
		return &Error{Step: PhaseParse, Line: 1, Column: strings.Index(stmt, "PARSEFAIL") + 1,
			Err: errors.New("mismatched input 'PARSEFAIL'")}
	case strings.Contains(stmt, "RUNTIMEFAIL"):
		f.failRun = true
		return nil
	}
	if m := csasRe.FindStringSubmatch(stmt); m != nil {
		src, ok := f.sources[strings.ToUpper(m[2])]
		if !ok {
			return fmt.Errorf("%s does not exist", m[2])
		}
		name := strings.ToUpper(m[1])
		f.sources[name] = &fakeSource{name: name, topic: name, valueFormat: src.valueFormat,
			schema: src.schema, keyType: src.keyType, types: src.types}
		f.queries = append(f.queries, [2]string{name, src.name})
		f.touch(name)
		return nil
	}
	if m := createRe.FindStringSubmatch(stmt); m != nil {
		s := &fakeSource{name: strings.ToUpper(m[1]), types: map[string]string{}}
		var cols []string
		for _, col := range splitTop(m[2]) {
			fs := strings.Fields(col)
			if len(fs) < 2 {
				return &Error{Step: PhaseStatement, Err: fmt.Errorf("bad column %q", col)}
			}
			n, t := strings.ToUpper(fs[0]), strings.ToUpper(fs[1])
			if len(fs) > 2 && strings.EqualFold(fs[2], "KEY") {
				s.keyType = t
				cols = append(cols, n+" "+t+" KEY")
				continue
			}
			s.types[n] = t
			cols = append(cols, n+" "+t)
		}
		s.schema = strings.Join(cols, ", ")
		for _, w := range withRe.FindAllStringSubmatch(m[3], -1) {
			switch strings.ToUpper(w[1]) {
			case "KAFKA_TOPIC":
				s.topic = w[2]
			case "VALUE_FORMAT":
				s.valueFormat = strings.ToUpper(w[2])
			}
		}
		f.sources[s.name] = s
		f.touch(s.topic)
		return nil
	}
	return errors.New("unsupported statement")
}

// splitTop splits on commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(', '<':
			depth++
		case ')', '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

func (f *fakeEngine) Produce(ctx context.Context, rec Record) error {
	f.touch(rec.Topic)
	f.topics[rec.Topic] = append(f.topics[rec.Topic], rec)
	return nil
}

func (f *fakeEngine) Drain(ctx context.Context) error {
	if f.failRun {
		return errors.New("Exception caught in process")
	}
	for _, q := range f.queries {
		sink, src := f.sources[q[0]], f.sources[q[1]]
		var out []Record
		for _, r := range f.topics[src.topic] {
			o := r
			o.Topic = sink.topic
			if m, ok := r.Value.(map[string]any); ok {
				up := make(map[string]any, len(m))
				for k, v := range m {
					up[strings.ToUpper(k)] = v
				}
				o.Value = up
			}
			o.KeyType, o.ValueTypes = src.keyType, src.types
			out = append(out, o)
		}
		f.topics[sink.topic] = out
	}
	return nil
}

func (f *fakeEngine) Output(ctx context.Context, topic string) ([]Record, error) {
	return f.topics[topic], nil
}

func (f *fakeEngine) Describe(ctx context.Context, source string) (SourceInfo, error) {
	s, ok := f.sources[strings.ToUpper(source)]
	if !ok {
		return SourceInfo{}, fmt.Errorf("source %s does not exist", source)
	}
	return SourceInfo{Name: s.name, Type: "STREAM", Schema: s.schema, KeyFormat: "KAFKA", ValueFormat: s.valueFormat}, nil
}

func (f *fakeEngine) Topics(ctx context.Context) ([]TopicInfo, error) {
	var ts []TopicInfo
	for _, n := range f.order {
		ts = append(ts, TopicInfo{Name: n, Partitions: 1, KeyFormat: "KAFKA", ValueFormat: "JSON"})
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts, nil
}

func (f *fakeEngine) Close() error { return nil }
