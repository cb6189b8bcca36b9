package engine

import (
	"fmt"
	"reflect"
	"testing"
)

// stateScenario is a set of statements and the input records of a test
// of state persistence.
type stateScenario struct {
	name   string
	stmts  []string
	inputs []stateInput
}

type stateInput struct {
	topic      string
	key, value string // "" value: a tombstone
	ts         int64
}

type outRec struct {
	Topic      string
	Key, Value string
	Ts         int64
	Window     Window
}

// runScenario runs sc's inputs [from:to) through a fresh engine whose
// state is first restored from log, then flushes its state into log.
func runScenario(t *testing.T, sc stateScenario, log map[string][]byte, from, to int) []outRec {
	t.Helper()
	e := New(nil)
	for _, s := range sc.stmts {
		if err := e.Execute(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	qs := e.Queries()
	if len(qs) != 1 {
		t.Fatalf("%d queries", len(qs))
	}
	q := qs[0]
	var out []outRec
	q.SetOutput(func(topic string, r Record) error {
		o := outRec{Topic: topic, Key: string(r.Key), Value: string(r.Value), Ts: r.Timestamp}
		if r.Value == nil {
			o.Value = "<nil>"
		}
		if r.Window != nil {
			o.Window = *r.Window
		}
		out = append(out, o)
		return nil
	})
	for k, v := range log {
		if err := q.RestoreState([]byte(k), v); err != nil {
			t.Fatalf("restore %q: %v", k, err)
		}
	}
	reads := map[string]bool{}
	for _, t := range q.Inputs() {
		reads[t] = true
	}
	for _, in := range sc.inputs[from:to] {
		if !reads[in.topic] {
			continue
		}
		r := Record{Key: []byte(in.key), Timestamp: in.ts}
		if in.key == "" {
			r.Key = nil
		}
		if in.value != "" {
			r.Value = []byte(in.value)
		}
		if err := q.Process(in.topic, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.FlushState(func(k, v []byte) error {
		if v == nil {
			delete(log, string(k))
		} else {
			log[string(k)] = v
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStateRestore checks that a query whose state is flushed, dropped and
// restored into a new engine part-way through its input writes exactly
// what an uninterrupted run writes.
func TestStateRestore(t *testing.T) {
	stream := `CREATE STREAM S (ID INT KEY, NAME STRING, V INT, D DECIMAL(4,2), T TIMESTAMP) WITH (kafka_topic='s', key_format='JSON', value_format='JSON');`
	var inputs []stateInput
	for i := range 40 {
		v := fmt.Sprintf(`{"NAME":"n%d","V":%d,"D":%d.25,"T":%d}`, i%3, i, i%7, i*1000)
		if i%11 == 5 {
			v = `{"V":null}`
		}
		inputs = append(inputs, stateInput{topic: "s", key: fmt.Sprint(i % 4), value: v, ts: int64(i * 1500)})
		if i%5 == 0 {
			inputs = append(inputs, stateInput{topic: "t", key: fmt.Sprint(i % 4), value: fmt.Sprintf(`{"L":"l%d"}`, i), ts: int64(i * 1500)})
		}
		if i%9 == 3 {
			inputs = append(inputs, stateInput{topic: "t", key: fmt.Sprint(i % 4), ts: int64(i * 1500)})
		}
		if i%13 == 12 {
			inputs = append(inputs, stateInput{topic: "s", key: "1", value: `not json`, ts: 1})
		}
	}
	table := `CREATE TABLE T (ID INT PRIMARY KEY, L STRING) WITH (kafka_topic='t', key_format='JSON', value_format='JSON');`
	stream2 := `CREATE STREAM S2 (ID INT KEY, L STRING) WITH (kafka_topic='t', key_format='JSON', value_format='JSON');`
	scenarios := []stateScenario{
		{"group by", []string{stream, `CREATE TABLE A AS SELECT NAME, COUNT(*) C, SUM(V) SV, SUM(D) SD, MIN(T) MT, COLLECT_LIST(V) L, TOPK(V, 2) K, EARLIEST_BY_OFFSET(V) E, LATEST_BY_OFFSET(V, 2) LL FROM S GROUP BY NAME;`}, inputs},
		{"tumbling", []string{stream, `CREATE TABLE A AS SELECT NAME, COUNT(*) C, COLLECT_SET(NAME) N FROM S WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 5 SECONDS) GROUP BY NAME HAVING COUNT(*) < 4;`}, inputs},
		{"hopping", []string{stream, `CREATE TABLE A AS SELECT NAME, MAX(V) M, WINDOWSTART WS FROM S WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS) GROUP BY NAME;`}, inputs},
		{"session", []string{stream, `CREATE TABLE A AS SELECT NAME, COUNT(*) C, SUM(V) SV FROM S WINDOW SESSION (2 SECONDS) GROUP BY NAME;`}, inputs},
		{"tumbling emit final", []string{stream, `CREATE TABLE A AS SELECT NAME, COUNT(*) C, MAX(V) M FROM S WINDOW TUMBLING (SIZE 3 SECONDS, GRACE PERIOD 1 SECOND) GROUP BY NAME HAVING COUNT(*) < 3 EMIT FINAL;`}, inputs},
		{"session emit final", []string{stream, `CREATE TABLE A AS SELECT NAME, COUNT(*) C, SUM(V) SV FROM S WINDOW SESSION (5 SECONDS, GRACE PERIOD 1 SECOND) GROUP BY NAME EMIT FINAL;`}, inputs},
		{"table aggregate", []string{table, `CREATE TABLE A AS SELECT L, COUNT(*) C FROM T GROUP BY L;`}, inputs},
		{"stream-table join", []string{stream, table, `CREATE STREAM J AS SELECT S.ID, NAME, L FROM S LEFT JOIN T ON S.ID = T.ID;`}, inputs},
		{"stream-stream join", []string{stream, stream2, `CREATE STREAM J AS SELECT S.ID, NAME, L FROM S JOIN S2 WITHIN 5 SECONDS ON S.ID = S2.ID;`}, inputs},
		{"table-table join", []string{`CREATE TABLE T1 (ID INT PRIMARY KEY, NAME STRING, V INT) WITH (kafka_topic='s', key_format='JSON', value_format='JSON');`, table, `CREATE TABLE J AS SELECT T1.ID, NAME, L FROM T1 LEFT JOIN T ON T1.ID = T.ID;`}, inputs},
	}
	scenarios = append(scenarios, joinStateScenarios(stream, stream2, table, inputs)...)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			want := runScenario(t, sc, map[string][]byte{}, 0, len(sc.inputs))
			if len(want) == 0 {
				t.Fatal("the scenario writes nothing")
			}
			flushed := false
			for _, cut := range []int{1, len(sc.inputs) / 3, len(sc.inputs) / 2, len(sc.inputs) - 1} {
				log := map[string][]byte{}
				got := runScenario(t, sc, log, 0, cut)
				flushed = flushed || len(log) > 0
				got = append(got, runScenario(t, sc, log, cut, len(sc.inputs))...)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("cut %d: output differs after restore\ngot  %v\nwant %v", cut, got, want)
				}
			}
			if !flushed {
				t.Fatal("no state was flushed at any cut")
			}
		})
	}
}

// FuzzRestoreState feeds arbitrary changelog entries to a query's
// restore: errors are fine, panics are not.
func FuzzRestoreState(f *testing.F) {
	e := New(nil)
	for _, s := range []string{
		`CREATE STREAM S (ID INT KEY, NAME STRING, V INT) WITH (kafka_topic='s', key_format='JSON', value_format='JSON');`,
		`CREATE TABLE A AS SELECT NAME, COUNT(*) C, COLLECT_LIST(V) L FROM S WINDOW SESSION (2 SECONDS) GROUP BY NAME;`,
	} {
		if err := e.Execute(s); err != nil {
			f.Fatal(err)
		}
	}
	q := e.Queries()[0]
	q.SetOutput(func(string, Record) error { return nil })
	for i := range 5 {
		_ = q.Process("s", Record{Key: []byte("1"), Value: fmt.Appendf(nil, `{"NAME":"a","V":%d}`, i), Timestamp: int64(i * 1000)})
	}
	_ = q.FlushState(func(k, v []byte) error { f.Add(k, v); return nil })
	f.Fuzz(func(t *testing.T, k, v []byte) {
		_ = q.RestoreState(k, v)
		q.ResetState()
	})
}

// TestEvictClosedWindows checks that closed windows and sessions leave the
// state (with a changelog tombstone each) and that later records still
// aggregate correctly.
func TestEvictClosedWindows(t *testing.T) {
	for _, c := range []struct {
		name, window string
		maxLive      int
	}{
		{"tumbling", "TUMBLING (SIZE 1 SECOND, GRACE PERIOD 1 SECOND)", 3},
		{"hopping", "HOPPING (SIZE 2 SECONDS, ADVANCE BY 1 SECOND, GRACE PERIOD 0 SECONDS)", 4},
		{"session", "SESSION (500 MILLISECONDS, GRACE PERIOD 0 SECONDS)", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := New(nil)
			for _, s := range []string{
				`CREATE STREAM S (ID INT KEY, V INT) WITH (kafka_topic='s', key_format='JSON', value_format='JSON');`,
				`CREATE TABLE A AS SELECT ID, COUNT(*) C FROM S WINDOW ` + c.window + ` GROUP BY ID;`,
			} {
				if err := e.Execute(s); err != nil {
					t.Fatal(err)
				}
			}
			q := e.Queries()[0]
			var last string
			q.SetOutput(func(_ string, r Record) error { last = string(r.Value); return nil })
			tombstones := 0
			for i := range 2000 {
				if err := q.Process("s", Record{Key: []byte("1"), Value: []byte(`{"V":1}`), Timestamp: int64(i) * 1000}); err != nil {
					t.Fatal(err)
				}
				if err := q.FlushState(func(k, v []byte) error {
					if v == nil {
						tombstones++
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				live := 0
				for _, gs := range q.q.agg.state {
					live += len(gs)
				}
				for _, sgs := range q.q.agg.sessions {
					for _, g := range sgs {
						live += len(g.sessions)
					}
				}
				if live > c.maxLive {
					t.Fatalf("record %d: %d windows live, want at most %d", i, live, c.maxLive)
				}
			}
			// A session group's bucket is rewritten without its closed
			// sessions; time windows' buckets empty and get tombstones.
			if tombstones == 0 && c.name != "session" {
				t.Fatal("no window was deleted from the changelog")
			}
			if last != `{"C":1}` && last != `{"C":2}` {
				t.Fatalf("last output %s", last)
			}
		})
	}
}
