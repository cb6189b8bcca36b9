package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/engine/enginetest"
)

// testLogger logs to stderr when STREAMLITE_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("STREAMLITE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

const script = `
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM clicks (user_id STRING KEY, page STRING, ms INT)
  WITH (kafka_topic='clicks', key_format='KAFKA', value_format='JSON', partitions=3);
CREATE STREAM slow AS SELECT user_id, page, ms FROM clicks WHERE ms > 100;
CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS n, SUM(ms) AS total
  FROM clicks WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY user_id;
`

// produce writes n click records, user u<i%5>, ms = i, one a second.
func produce(t *testing.T, cl *kgo.Client, from, to int) {
	t.Helper()
	var rs []*kgo.Record
	for i := from; i < to; i++ {
		rs = append(rs, &kgo.Record{Topic: "clicks", Key: fmt.Appendf(nil, "u%d", i%5),
			Value: fmt.Appendf(nil, `{"PAGE":"p%d","MS":%d}`, i%7, i), Timestamp: time.UnixMilli(int64(i) * 1000)})
	}
	if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// readAll reads topic read_committed until it has want records or the
// deadline passes.
func readAll(t *testing.T, brokers []string, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for len(out) < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	// Anything past want is a duplicate: give it a moment to show.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	cl.PollFetches(ctx2).EachRecord(func(r *kgo.Record) { out = append(out, r) })
	return out
}

// TestServerOnBroker runs a CSAS and a windowed CTAS on a streamlite
// broker, restarts the SQL server in the middle of the input, and checks
// that every output was written exactly once.
func TestServerOnBroker(t *testing.T) {
	b := enginetest.New(t)
	testServer(t, []string{b.Addr()})
}

// TestServerOnKfake runs the same against a 3-broker kfake cluster,
// standing in for a Kafka cluster.
func TestServerOnKfake(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(3, "clicks"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testServer(t, c.ListenAddrs())
}

func testServer(t *testing.T, brokers []string) {
	ctx := context.Background()
	cfg := Config{Brokers: brokers, Logger: testLogger(), MaxPollRecords: 7}
	srv, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Execute(ctx, script, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[2].QueryID != "CSAS_SLOW_0" || res[3].QueryID != "CTAS_PER_USER_1" {
		t.Fatalf("results: %+v", res)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	produce(t, cl, 0, 150)
	// Wait for part of the output, then restart the server mid-stream.
	readAll(t, brokers, "SLOW", 10)
	srv.Close()
	produce(t, cl, 150, 300)
	srv, err = Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	qs := srv.Queries()
	if len(qs) != 2 {
		t.Fatalf("after restart: %+v", qs)
	}
	// SHOW QUERIES' queryString: each query's statement as written, with
	// its semicolon, replayed from the command topic.
	for i, want := range []string{
		"CREATE STREAM slow AS SELECT user_id, page, ms FROM clicks WHERE ms > 100;",
		"CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS n, SUM(ms) AS total\n  FROM clicks WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY user_id;",
	} {
		if qs[i].Statement != want {
			t.Errorf("after restart, query %s's statement is %q, want %q", qs[i].ID, qs[i].Statement, want)
		}
	}
	slow := readAll(t, brokers, "SLOW", 199)
	if len(slow) != 199 {
		t.Fatalf("SLOW has %d records, want 199", len(slow))
	}
	seen := map[string]bool{}
	for _, r := range slow {
		if seen[string(r.Value)] {
			t.Fatalf("duplicate in SLOW: %s", r.Value)
		}
		seen[string(r.Value)] = true
	}
	// Every record updates its window: 300 updates; the last of each
	// (user, window) has the full count.
	agg := readAll(t, brokers, "PER_USER", 300)
	if len(agg) != 300 {
		t.Fatalf("PER_USER has %d records, want 300", len(agg))
	}
	last := map[string]string{}
	for _, r := range agg {
		last[string(r.Key)] = string(r.Value)
	}
	// 300 s of input in 10 s windows: 30 windows, each with 2 records of
	// each of 5 users.
	for k, v := range last {
		if !strings.HasPrefix(v, `{"N":2,`) {
			t.Fatalf("window %q ends with %s, want a count of 2", k, v)
		}
	}
	if len(last) != 150 {
		t.Fatalf("%d (user, window) keys, want 150", len(last))
	}
}

// TestBadAndLateRecords checks that a record that does not deserialize is
// skipped and counted and one whose window has closed is dropped and
// counted, and that the query goes on after both.
func TestBadAndLateRecords(t *testing.T) {
	b := enginetest.New(t)
	brokers := []string{b.Addr()}
	ctx := context.Background()
	srv, err := Start(ctx, Config{Brokers: brokers, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.Execute(ctx, `
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM s (k STRING KEY, v INT) WITH (kafka_topic='s', value_format='JSON', partitions=1);
CREATE TABLE c AS SELECT k, COUNT(*) AS n FROM s WINDOW TUMBLING (SIZE 1 SECOND, GRACE PERIOD 0 SECONDS) GROUP BY k;
`, nil); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic("s"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rec := func(v string, ms int64) *kgo.Record {
		return &kgo.Record{Key: []byte("a"), Value: []byte(v), Timestamp: time.UnixMilli(ms)}
	}
	if err := cl.ProduceSync(ctx,
		rec(`{"V":1}`, 10_000),
		rec(`{not json`, 10_100),
		rec(`{"V":2}`, 12_000),
		rec(`{"V":3}`, 10_200), // its window [10 s, 11 s) closed at 11 s
		rec(`{"V":4}`, 12_500),
	).FirstErr(); err != nil {
		t.Fatal(err)
	}
	out := readAll(t, brokers, "C", 3)
	if len(out) != 3 {
		t.Fatalf("C has %d records, want 3", len(out))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		qs := srv.Queries()
		q := qs[0]
		if q.Processed == 5 && q.Skipped == 1 && q.Late == 1 && q.State == StateRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("query: %+v, want 5 processed, 1 skipped, 1 late, running", q)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
