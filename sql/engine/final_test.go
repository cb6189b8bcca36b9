package engine

import (
	"fmt"
	"reflect"
	"testing"
)

// finalOut is an output record of an EMIT FINAL test, as text.
type finalOut struct {
	key, value string
	ts         int64
	start, end int64
}

// runFinal runs query over stream S (ID STRING KEY, V INT) fed records of
// key "a" at times ts, and returns what the query writes.
func runFinal(t *testing.T, query string, ts []int64) []finalOut {
	t.Helper()
	e := New(nil)
	for _, s := range []string{
		`CREATE STREAM S (ID STRING KEY, V INT) WITH (kafka_topic='s', value_format='JSON');`,
		query,
	} {
		if err := e.Execute(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	for i, t := range ts {
		e.Produce("s", Record{Key: []byte("a"), Value: fmt.Appendf(nil, `{"V":%d}`, i), Timestamp: t})
	}
	if err := e.Drain(); err != nil {
		t.Fatal(err)
	}
	var out []finalOut
	for _, r := range e.Records("A") {
		o := finalOut{key: string(r.Key), value: string(r.Value), ts: r.Timestamp}
		if r.Window != nil {
			o.start, o.end = r.Window.Start, r.Window.End
		}
		out = append(out, o)
	}
	return out
}

// TestEmitFinalHopping checks that each hopping window is written once,
// when stream time passes its end, with all its records and the time of
// the latest.
func TestEmitFinalHopping(t *testing.T) {
	var ts []int64
	for i := range 30 {
		ts = append(ts, int64(i))
	}
	got := runFinal(t, `CREATE TABLE A AS SELECT ID, COUNT(*) C FROM S WINDOW HOPPING (SIZE 10 MILLISECONDS, ADVANCE BY 5 MILLISECONDS, GRACE PERIOD 0 MILLISECONDS) GROUP BY ID EMIT FINAL;`, ts)
	var want []finalOut
	for s := int64(0); s+10 <= 29; s += 5 {
		want = append(want, finalOut{key: "a", value: `{"C":10}`, ts: s + 9, start: s, end: s + 10})
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

// TestEmitFinalOutOfOrder checks a tumbling window's final row counts the
// late records its grace period admits and carries its records' latest
// time, and that, as in Kafka Streams, a jump of stream time over several
// windows writes only those the window store still retains.
func TestEmitFinalOutOfOrder(t *testing.T) {
	q := `CREATE TABLE A AS SELECT ID, COUNT(*) C FROM S WINDOW TUMBLING (SIZE 10 MILLISECONDS, GRACE PERIOD 5 MILLISECONDS) GROUP BY ID EMIT FINAL;`
	got := runFinal(t, q, []int64{3, 1, 8, 12, 2, 14, 15, 40})
	want := []finalOut{{key: "a", value: `{"C":4}`, ts: 8, start: 0, end: 10}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

// TestEmitFinalSession checks a session is written once, with its end as
// its time, once stream time passes its end plus gap and grace.
func TestEmitFinalSession(t *testing.T) {
	q := `CREATE TABLE A AS SELECT ID, COUNT(*) C FROM S WINDOW SESSION (5 MILLISECONDS, GRACE PERIOD 1 MILLISECONDS) GROUP BY ID EMIT FINAL;`
	got := runFinal(t, q, []int64{0, 3, 6, 20, 22, 40, 100})
	want := []finalOut{
		{key: "a", value: `{"C":3}`, ts: 6, start: 0, end: 6},
		{key: "a", value: `{"C":2}`, ts: 22, start: 20, end: 22},
		{key: "a", value: `{"C":1}`, ts: 40, start: 40, end: 40},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}
