package engine

import (
	"fmt"
	"strings"
	"testing"
)

// runJoin runs statements and then records (topic, key, value, time; an
// empty value is a tombstone) through a driver-mode engine and returns
// what the sink J holds, one "key value time" line per record.
func runJoin(t *testing.T, stmts []string, records [][4]string) (*Engine, []string) {
	t.Helper()
	e := New(nil)
	for _, s := range stmts {
		if err := e.Execute(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	for _, r := range records {
		var ts int64
		fmt.Sscan(r[3], &ts)
		rec := Record{Key: []byte(r[1]), Timestamp: ts}
		if r[2] != "" {
			rec.Value = []byte(r[2])
		}
		e.Produce(r[0], rec)
	}
	if err := e.Drain(); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range e.Records("J") {
		v := string(r.Value)
		if r.Value == nil {
			v = "<nil>"
		}
		out = append(out, fmt.Sprintf("%s %s %d", r.Key, v, r.Timestamp))
	}
	return e, out
}

const (
	joinStreamS  = `CREATE STREAM S (ID INT KEY, NAME STRING) WITH (kafka_topic='s', key_format='JSON', value_format='JSON');`
	joinStreamS2 = `CREATE STREAM S2 (ID INT KEY, L STRING) WITH (kafka_topic='t', key_format='JSON', value_format='JSON');`
)

// TestOuterJoinWaitsForWindowClose checks that with a GRACE PERIOD an
// unmatched record joins nulls only once stream time passes its time +
// after + grace (and not at all when a match turns up first), as Kafka
// Streams' outer joins do.
func TestOuterJoinWaitsForWindowClose(t *testing.T) {
	_, got := runJoin(t, []string{joinStreamS, joinStreamS2,
		`CREATE STREAM J AS SELECT ROWKEY AS K, NAME, L FROM S FULL OUTER JOIN S2 WITHIN 2 SECONDS GRACE PERIOD 1 SECOND ON S.ID = S2.ID;`,
	}, [][4]string{
		{"s", "1", `{"NAME":"a"}`, "0"},
		{"t", "2", `{"L":"x"}`, "500"},
		{"s", "2", `{"NAME":"b"}`, "1000"},  // matches x: neither waits any more
		{"s", "3", `{"NAME":"c"}`, "3000"},  // stream time 3000: a's window (0+2000+1000) still open
		{"s", "3", `{"NAME":"c2"}`, "3001"}, // closes a's
		{"t", "4", `{"L":"y"}`, "100"},      // its window is long past: nulls at once
		{"t", "3", `{"L":"z"}`, "10000"},    // closes c and c2, right records first at equal times
	})
	want := []string{
		`2 {"NAME":"b","L":"x"} 1000`,
		`1 {"NAME":"a","L":null} 0`,
		`4 {"NAME":null,"L":"y"} 100`,
		`3 {"NAME":"c","L":null} 3000`,
		`3 {"NAME":"c2","L":null} 3001`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestStreamJoinBuffersExpire checks that a stream-stream join drops the
// records that can no longer match (older than their side's time minus
// before + after + grace), so its buffers stay bounded, and that a record
// older than that matches nothing.
func TestStreamJoinBuffersExpire(t *testing.T) {
	var recs [][4]string
	for i := range 3000 {
		recs = append(recs,
			[4]string{"s", fmt.Sprint(i % 50), fmt.Sprintf(`{"NAME":"n%d"}`, i), fmt.Sprint(i * 100)},
			[4]string{"t", fmt.Sprint(i % 50), fmt.Sprintf(`{"L":"l%d"}`, i), fmt.Sprint(i*100 + 50)})
	}
	// Too old for the left buffer's retention of 2.5 s: no match.
	recs = append(recs, [4]string{"t", "7", `{"L":"old"}`, "100000"})
	e, got := runJoin(t, []string{joinStreamS, joinStreamS2,
		`CREATE STREAM J AS SELECT S.ID, NAME, L FROM S LEFT JOIN S2 WITHIN 1 SECOND GRACE PERIOD 500 MILLISECONDS ON S.ID = S2.ID;`,
	}, recs)
	n := e.queries[0].join
	rows := 0
	for _, m := range []map[uint64][]bufRow{n.leftBuf, n.rightBuf, n.pendLeft, n.pendRight} {
		for _, b := range m {
			rows += len(b)
		}
	}
	// Retention 2.5 s holds 25 records a side, swept every 1.25 s.
	if rows > 2*(25+13)+2 {
		t.Fatalf("%d records buffered after 6000, want them expired", rows)
	}
	for _, g := range got {
		if strings.Contains(g, `"old"`) {
			t.Fatalf("an expired record matched: %s", g)
		}
	}
	if len(got) < 3000 {
		t.Fatalf("%d outputs for 3000 left records", len(got))
	}
}

// TestForeignKeyJoin follows Kafka Streams' foreign-key join: left
// updates write when the right row exists (or delete an earlier row), right
// updates rewrite every referring left row in key order.
func TestForeignKeyJoin(t *testing.T) {
	_, got := runJoin(t, []string{
		`CREATE TABLE L (ID INT PRIMARY KEY, FK INT, N STRING) WITH (kafka_topic='l', format='JSON');`,
		`CREATE TABLE R (ID INT PRIMARY KEY, V STRING) WITH (kafka_topic='r', format='JSON');`,
		`CREATE TABLE J AS SELECT L.ID, N, V FROM L JOIN R ON FK = R.ID;`,
	}, [][4]string{
		{"l", "10", `{"FK":1,"N":"a"}`, "1"}, // no R 1 yet: nothing
		{"r", "1", `{"V":"x"}`, "2"},         // joins 10
		{"l", "2", `{"FK":1,"N":"b"}`, "3"},
		{"r", "1", `{"V":"y"}`, "4"},         // rewrites 2, then 10
		{"l", "10", `{"FK":5,"N":"a"}`, "5"}, // no R 5: deletes 10's row
		{"r", "1", "", "6"},                  // deletes 2's
		{"l", "2", "", "7"},                  // deletes 2's again
	})
	want := []string{
		`10 {"N":"a","V":"x"} 2`,
		`2 {"N":"b","V":"x"} 3`,
		`2 {"N":"b","V":"y"} 4`,
		`10 {"N":"a","V":"y"} 4`,
		`10 <nil> 5`,
		`2 <nil> 6`,
		`2 <nil> 7`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
