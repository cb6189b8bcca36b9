package engine_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/sql/engine"
	"github.com/streamlite/streamlite/sql/types"
)

// newEngine runs stmts on a fresh engine.
func newEngine(t *testing.T, stmts ...string) *engine.Engine {
	t.Helper()
	e := engine.New(map[string]string{"auto.offset.reset": "earliest"})
	for _, s := range stmts {
		if err := e.Execute(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return e
}

// rec is a record with a STRING key (KAFKA format: its bytes) and a JSON
// value; value "" is a tombstone.
func rec(key, value string, ts int64) engine.Record {
	r := engine.Record{Key: []byte(key), Timestamp: ts}
	if value != "" {
		r.Value = []byte(value)
	}
	return r
}

func TestSplitWindowedKey(t *testing.T) {
	for _, w := range []*engine.Window{{Start: 12000}, {Start: 12000, End: 19444, Session: true}, {Start: -5}} {
		b := engine.WindowedKey([]byte("k1"), w)
		key, got, ok := engine.SplitWindowedKey(b, w.Session)
		if !ok || string(key) != "k1" || !reflect.DeepEqual(got, w) {
			t.Errorf("SplitWindowedKey(WindowedKey(k1, %+v)) = %q, %+v, %v", w, key, got, ok)
		}
	}
	if _, _, ok := engine.SplitWindowedKey(make([]byte, 7), false); ok {
		t.Error("7 bytes split as a time-windowed key")
	}
	if _, _, ok := engine.SplitWindowedKey(make([]byte, 15), true); ok {
		t.Error("15 bytes split as a session-windowed key")
	}
}

func TestInsertValues(t *testing.T) {
	e := newEngine(t,
		"CREATE STREAM S (K STRING KEY, I INT, D DOUBLE, A ARRAY<BIGINT>) WITH (kafka_topic='s', value_format='JSON');",
		"CREATE TABLE T (K STRING PRIMARY KEY, V INT) WITH (kafka_topic='t', value_format='JSON');",
		"CREATE STREAM H (K STRING KEY, V INT, X BYTES HEADER('x')) WITH (kafka_topic='h', value_format='JSON');",
		"CREATE SOURCE STREAM RO (K STRING KEY, V INT) WITH (kafka_topic='ro', value_format='JSON');")
	topic, r, err := e.InsertValues("INSERT INTO S (ROWTIME, K, I, D, A) VALUES (1234, 'k', 1, 2, ARRAY[1, 1 + 1]);", nil)
	if err != nil {
		t.Fatal(err)
	}
	if topic != "s" || string(r.Key) != "k" || r.Timestamp != 1234 || string(r.Value) != `{"I":1,"D":2.0,"A":[1,2]}` {
		t.Errorf("got %s %q %q ts %d", topic, r.Key, r.Value, r.Timestamp)
	}
	// Implicit columns: keys first, then values; a null key is no key.
	if _, r, err = e.InsertValues("INSERT INTO S VALUES (NULL, 5, NULL, NULL);", nil); err != nil || r.Key != nil || r.Timestamp == 0 {
		t.Errorf("implicit columns: %q %q %v", r.Key, r.Value, err)
	}
	for _, c := range []struct{ stmt, want string }{
		{"INSERT INTO S (K, I) VALUES ('k');", "Failed to prepare statement: Expected number columns and values to match: 2, 1"},
		{"INSERT INTO S (K, ROWPARTITION) VALUES ('k', 1);", "Inserting into column `ROWPARTITION` is not allowed."},
		{"INSERT INTO S (K, I) VALUES ('k', X.Y);", "Failed to prepare statement: 'X' is not a valid stream/table name or alias."},
		{"INSERT INTO S (K, I) VALUES ('k', 'one');", "Failed to insert values into 'S'. Expected type INTEGER for field `I` but got one(STRING)"},
		{"INSERT INTO S (K, NOPE) VALUES ('k', 1);", "Column name `NOPE` does not exist."},
		{"INSERT INTO NOPE (K) VALUES ('k');", "Cannot insert values into an unknown stream/table: `NOPE`"},
		{"INSERT INTO `s` (K) VALUES ('k');", "Cannot insert values into an unknown stream/table: `s`\nDid you mean S? Hint: try removing double quotes from the source name."},
		{"INSERT INTO T (V) VALUES (1);", "Failed to insert values into 'T'. Value for primary key column(s) K is required for tables"},
		{"INSERT INTO H (K, X) VALUES ('k', TO_BYTES('a', 'utf8'));", "Cannot insert into H because it has header columns"},
		{"INSERT INTO RO (K, V) VALUES ('k', 1);", "Cannot insert values into read-only stream: RO"},
		{"SELECT * FROM S;", "Not an INSERT ... VALUES statement"},
	} {
		_, _, err := e.InsertValues(c.stmt, nil)
		var ee *engine.Error
		if !errors.As(err, &ee) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.stmt, err, c.want)
		}
	}
}

// collect runs records through a push query.
func collect(t *testing.T, q *engine.Transient, topic string, recs ...engine.Record) (rows []string) {
	t.Helper()
	for _, r := range recs {
		err := q.ProcessChanges(topic, r, func(row []types.Value, tomb bool) error {
			s := fmt.Sprint(row)
			if tomb {
				s += " tombstone"
			}
			rows = append(rows, s)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

func TestPushProjection(t *testing.T) {
	e := newEngine(t, "CREATE TABLE T (K STRING PRIMARY KEY, V INT) WITH (kafka_topic='t', value_format='JSON');")
	q, err := e.PlanTransient("SELECT V, K FROM T WHERE V > 1 EMIT CHANGES LIMIT 3;", nil)
	if err != nil {
		t.Fatal(err)
	}
	if q.Pull() || q.Limit() != 3 || q.Header() != "`V` INTEGER, `K` STRING" || !reflect.DeepEqual(q.Inputs(), []string{"t"}) {
		t.Fatalf("plan: pull %v limit %d header %q inputs %v", q.Pull(), q.Limit(), q.Header(), q.Inputs())
	}
	got := collect(t, q, "t",
		rec("a", `{"V":1}`, 1), // filtered, never shown: nothing
		rec("a", `{"V":2}`, 2),
		rec("b", "", 3),        // never shown: nothing
		rec("a", `{"V":0}`, 4), // leaves the filter: a deletion
		rec("b", `not json`, 5),
		rec("c", `{"V":5}`, 6),
		rec("d", `{"V":6}`, 7)) // past the LIMIT
	want := []string{"[2 a]", "[<nil> a] tombstone", "[5 c]"}
	if !reflect.DeepEqual(got, want) || !q.Done() || q.Skipped() != 1 {
		t.Errorf("rows %q (done %v, skipped %d), want %q", got, q.Done(), q.Skipped(), want)
	}
}

func TestPushAggregate(t *testing.T) {
	e := newEngine(t, "CREATE STREAM S (K STRING KEY, V INT) WITH (kafka_topic='s', value_format='JSON');")
	q, err := e.PlanTransient("SELECT SUM(V) AS S, COUNT(*) AS C FROM S WINDOW TUMBLING (SIZE 1 SECOND) EMIT CHANGES;", nil)
	if err != nil {
		t.Fatal(err)
	}
	if w, kind := q.Windowed(); !w || kind != "TUMBLING" || q.Header() != "`S` INTEGER, `C` BIGINT" {
		t.Fatalf("windowed %v %q header %q", w, kind, q.Header())
	}
	got := collect(t, q, "s", rec("a", `{"V":1}`, 10), rec("b", `{"V":2}`, 20), rec("a", `{"V":3}`, 1500))
	if want := []string{"[1 1]", "[3 2]", "[3 1]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
}

func TestPullTable(t *testing.T) {
	e := newEngine(t,
		"CREATE SOURCE TABLE T (K STRING PRIMARY KEY, V INT) WITH (kafka_topic='t', value_format='JSON');",
		"CREATE TABLE NQ (K STRING PRIMARY KEY, V INT) WITH (kafka_topic='nq', value_format='JSON');")
	recs := []engine.Record{rec("b", `{"V":1}`, 1), rec("a", `{"V":2}`, 2), rec("c", `{"V":3}`, 3), rec("b", `{"V":4}`, 4), rec("c", "", 5)}
	for _, c := range []struct {
		sql, header string
		rows        string
	}{
		{"SELECT * FROM T;", "`K` STRING KEY, `V` INTEGER", "[[a 2] [b 4]]"},
		{"SELECT V FROM T WHERE K = 'b';", "`V` INTEGER", "[[4]]"},
		{"SELECT K, ROWTIME FROM T LIMIT 1;", "`K` STRING KEY, `ROWTIME` BIGINT", "[[a 2]]"},
		{"SELECT * FROM T LIMIT 0;", "`K` STRING KEY, `V` INTEGER", "[]"},
	} {
		q, err := e.PlanTransient(c.sql, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		rows, err := q.PullRows(recs)
		if err != nil || !q.Pull() || q.Header() != c.header || fmt.Sprint(rows) != c.rows {
			t.Errorf("%s: header %q rows %v (%v), want %q %s", c.sql, q.Header(), rows, err, c.header, c.rows)
		}
	}
	off := map[string]string{"ksql.query.pull.table.scan.enabled": "false"}
	for _, c := range []struct {
		sql   string
		props map[string]string
		want  string
	}{
		{"SELECT * FROM NQ;", nil, "The `NQ` table isn't queryable."},
		{"SELECT * FROM T WHERE V = 1;", off, "WHERE clause missing key column for disjunct: (V = 1)"},
		{"SELECT * FROM T WHERE K = CAST(V AS STRING);", off, "A comparison must be between a key column and a resolvable expression."},
		{"SELECT * FROM T WHERE K != 'a';", off, "Bound on key columns '[`K` STRING KEY]' must currently be '='."},
		{"SELECT * FROM T WHERE K = 'a' AND K IN ('a');", off, "cannot be combined with other comparisons"},
		{"SELECT * FROM T WHERE K IN ('a', NULL);", nil, "Primary key columns can not be NULL: (K = null)"},
		{"SELECT * FROM T WHERE K = 1;", nil, "Error in WHERE expression: Cannot compare K (STRING) to 1 (INTEGER) with EQUAL.\nStatement: (K = 1)"},
		{"SELECT ROWOFFSET FROM T;", nil, "Pull queries don't support the following columns in SELECT clauses: `ROWOFFSET`"},
		{"SELECT COUNT(*) FROM T GROUP BY V;", nil, "Pull queries don't support GROUP BY clauses."},
		{"SELECT * FROM T LIMIT 1;", map[string]string{"ksql.query.pull.limit.clause.enabled": "false"}, "LIMIT clause in pull queries is currently disabled."},
		{"SELECT * FROM T WHERE K > 'a';", map[string]string{"ksql.query.pull.table.scan.enabled": "false", "ksql.query.pull.range.scan.enabled": "false"}, "Query requires table scan to be enabled"},
		{"SELECT * FROM T LIMIT", nil, "Syntax Error"},
	} {
		_, err := e.PlanTransient(c.sql, c.props)
		var ee *engine.Error
		if !errors.As(err, &ee) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.sql, err, c.want)
		}
	}
	if _, err := e.PlanTransient("SELECT * FROM T WHERE K > 'a';", off); err != nil {
		t.Errorf("a range on a STRING key with range scans on: %v", err)
	}
}

func TestPullWindowed(t *testing.T) {
	e := newEngine(t, "CREATE SOURCE TABLE W (K STRING PRIMARY KEY, V INT) WITH (kafka_topic='w', value_format='JSON', WINDOW_TYPE='Tumbling', WINDOW_SIZE='1 SECOND');")
	q, err := e.PlanTransient("SELECT * FROM W WHERE WINDOWSTART >= 1000;", nil)
	if err != nil {
		t.Fatal(err)
	}
	if w, kind := q.InputWindowed("w"); !w || kind != "TUMBLING" {
		t.Fatalf("input windowed %v %q", w, kind)
	}
	var recs []engine.Record
	for i, start := range []int64{0, 1000, 1000, 2000} {
		key, w, _ := engine.SplitWindowedKey(engine.WindowedKey([]byte("a"), &engine.Window{Start: start}), false)
		recs = append(recs, engine.Record{Key: key, Window: w, Value: fmt.Appendf(nil, `{"V":%d}`, i)})
	}
	rows, err := q.PullRows(recs)
	if want := "[[a 1000 2000 2] [a 2000 3000 3]]"; err != nil || fmt.Sprint(rows) != want || q.Header() != "`K` STRING KEY, `WINDOWSTART` BIGINT KEY, `WINDOWEND` BIGINT KEY, `V` INTEGER" {
		t.Errorf("rows %v (%v) header %q, want %s", rows, err, q.Header(), want)
	}
}

func TestPushJoin(t *testing.T) {
	e := newEngine(t,
		"CREATE STREAM L (K STRING KEY, A INT) WITH (kafka_topic='l', value_format='JSON');",
		"CREATE TABLE R (K STRING PRIMARY KEY, B INT) WITH (kafka_topic='r', value_format='JSON');")
	q, err := e.PlanTransient("SELECT * FROM L JOIN R ON L.K = R.K EMIT CHANGES;", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.Inputs(), []string{"l", "r"}) || q.Header() != "`L_K` STRING, `L_A` INTEGER, `R_K` STRING, `R_B` INTEGER" {
		t.Fatalf("inputs %v header %q", q.Inputs(), q.Header())
	}
	var got []string
	got = append(got, collect(t, q, "l", rec("x", `{"A":1}`, 1))...) // no match yet
	got = append(got, collect(t, q, "r", rec("x", `{"B":2}`, 2))...)
	got = append(got, collect(t, q, "l", rec("x", `{"A":3}`, 3))...)
	if want := []string{"[x 3 x 2]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
	if err := q.Process("other", rec("x", `{"A":1}`, 4), func([]types.Value) error { return nil }); err == nil {
		t.Error("a record of a topic the query does not read went through")
	}
	if _, err := q.PullRows(nil); err == nil {
		t.Error("PullRows answered a push query")
	}
}

func TestInsertValuesCaseHint(t *testing.T) {
	e := newEngine(t, "CREATE STREAM \"input\" (ID INT KEY, VAL STRING) WITH (kafka_topic='t', value_format='JSON');")
	_, _, err := e.InsertValues("INSERT INTO input (id, val) VALUES (1, 'hello');", nil)
	want := "Cannot insert values into an unknown stream/table: `INPUT`\nDid you mean \"input\"? Hint: wrap the source name in double quotes to make it case-sensitive."
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
