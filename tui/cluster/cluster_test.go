package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// testCtx is a context for one test, ended when the test ends or after 20 s.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testClient is a Client on b (with its registry), closed when the test ends.
func testClient(t *testing.T, b *enginetest.Broker, sqlURL string) *Client {
	t.Helper()
	c, err := New(Config{Brokers: []string{b.Addr()}, Registry: b.SchemaRegistryURL(), SQLServer: sqlURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// produce writes records to topic with a plain client, each value given, keys k0, k1, ...,
// into partition p (kgo's manual partitioner), with timestamps ts(i) when ts is not nil.
func produce(t *testing.T, b *enginetest.Broker, topic string, p int32, values []string, ts func(i int) time.Time) {
	t.Helper()
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for i, v := range values {
		r := &kgo.Record{Topic: topic, Partition: p, Key: fmt.Appendf(nil, "k%d", i), Value: []byte(v)}
		if ts != nil {
			r.Timestamp = ts(i)
		}
		recs = append(recs, r)
	}
	if err := cl.ProduceSync(testCtx(t), recs...).FirstErr(); err != nil {
		t.Fatalf("producing to %s[%d]: %v", topic, p, err)
	}
}

// pollUntil polls r until it has returned n records in all or the deadline passes.
func pollUntil(t *testing.T, r *Reader, n int, within time.Duration) []Record {
	t.Helper()
	deadline := time.Now().Add(within)
	var out []Record
	for len(out) < n && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		recs, err := r.Poll(ctx, 100)
		cancel()
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
		out = append(out, recs...)
	}
	if len(out) < n {
		t.Fatalf("polled %d records within %v, want %d", len(out), within, n)
	}
	return out
}

func TestTopics(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t,
		enginetest.Topics(3, "orders"),
		enginetest.TopicWithConfigs("compacted", 1, map[string]string{"cleanup.policy": "compact", "retention.ms": "3600000", "retention.bytes": "1048576"}),
	)
	c := testClient(t, b, "")
	ctx := testCtx(t)
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	now := time.Now().Truncate(time.Millisecond)
	produce(t, b, "orders", 0, []string{"a", "b", "c"}, func(i int) time.Time { return now.Add(time.Duration(i-10) * time.Second) })
	produce(t, b, "orders", 2, []string{"d", "e"}, func(i int) time.Time { return now.Add(time.Duration(i-20) * time.Second) })
	// A produce to a missing topic auto-creates it (the broker's default) and marks it.
	if err := b.Client(kgo.AllowAutoTopicCreation()).ProduceSync(ctx, &kgo.Record{Topic: "first-use", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	topics, err := c.Topics(ctx)
	if err != nil {
		t.Fatalf("Topics: %v", err)
	}
	byName := map[string]Topic{}
	var names []string
	for _, tp := range topics {
		byName[tp.Name] = tp
		names = append(names, tp.Name)
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("topics not sorted by name: %v", names)
		}
	}
	o := byName["orders"]
	if o.Partitions != 3 || o.Replicas != 1 || o.Records != 5 || o.Bytes <= 0 || o.Internal || o.AutoCreated {
		t.Errorf("orders: %+v", o)
	}
	if want := now.Add(-8 * time.Second); !o.LastWrite.Equal(want) {
		t.Errorf("orders LastWrite %v, want %v (the largest timestamp)", o.LastWrite, want)
	}
	if o.CleanupPolicy != "delete" || o.RetentionMs <= 0 || o.RetentionBytes != -1 || o.Tiered {
		t.Errorf("orders configs: %+v", o)
	}
	cp := byName["compacted"]
	if cp.Records != 0 || cp.Bytes != 0 || cp.CleanupPolicy != "compact" || cp.RetentionMs != 3600000 || cp.RetentionBytes != 1048576 || !cp.LastWrite.IsZero() {
		t.Errorf("compacted: %+v", cp)
	}
	if fu := byName["first-use"]; !fu.AutoCreated || fu.Records != 1 {
		t.Errorf("first-use: %+v, want auto-created with 1 record", fu)
	}

	d, err := c.Topic(ctx, "orders")
	if err != nil {
		t.Fatalf("Topic: %v", err)
	}
	if d.Name != "orders" || len(d.Parts) != 3 || len(d.Configs) < 5 {
		t.Fatalf("orders detail: %+v", d)
	}
	wantEnds := []int64{3, 0, 2}
	for i, p := range d.Parts {
		if p.ID != int32(i) || p.Start != 0 || p.End != wantEnds[i] || p.LocalStart != 0 || p.Err != nil || p.Leader < 0 || len(p.Replicas) != 1 || len(p.ISR) != 1 {
			t.Errorf("partition %d: %+v", i, p)
		}
		if (p.End > 0) != (p.Bytes > 0) || (p.End > 0) == p.LastWrite.IsZero() {
			t.Errorf("partition %d: %d records but %d bytes, last write %v", i, p.End, p.Bytes, p.LastWrite)
		}
	}
	if d.Parts[2].LastWrite != now.Add(-19*time.Second) {
		t.Errorf("partition 2 LastWrite %v", d.Parts[2].LastWrite)
	}
	var sawRetention bool
	for i, e := range d.Configs {
		if i > 0 && d.Configs[i-1].Name >= e.Name {
			t.Fatalf("configs not sorted: %q before %q", d.Configs[i-1].Name, e.Name)
		}
		if e.Name == "retention.ms" {
			sawRetention = true
			if !e.Default {
				t.Errorf("orders retention.ms %+v: want the default", e)
			}
		}
	}
	if !sawRetention {
		t.Errorf("no retention.ms in %+v", d.Configs)
	}
	cd, err := c.Topic(ctx, "compacted")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cd.Configs {
		if e.Name == "cleanup.policy" && (e.Default || e.Value != "compact") {
			t.Errorf("compacted cleanup.policy %+v: want set on the topic", e)
		}
	}
	if _, err := c.Topic(ctx, "nope"); !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Errorf("Topic(nope): %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
}

func TestCreateProduceDelete(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.AutoCreate(false))
	c := testClient(t, b, "")
	ctx := testCtx(t)
	if err := c.CreateTopic(ctx, "made", 4, 1, map[string]string{"retention.ms": "60000"}); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	if err := c.CreateTopic(ctx, "made", 4, 1, nil); !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Fatalf("CreateTopic again: %v, want TOPIC_ALREADY_EXISTS", err)
	}
	p, off, err := c.Produce(ctx, ProduceRecord{Topic: "made", Partition: 3, Key: []byte("k"), Value: []byte(`{"a":1}`), Headers: []Header{{Key: "h", Value: []byte("v")}}})
	if err != nil || p != 3 || off != 0 {
		t.Fatalf("Produce to partition 3: %d@%d, %v", p, off, err)
	}
	p, off, err = c.Produce(ctx, ProduceRecord{Topic: "made", Partition: 3, Value: nil})
	if err != nil || p != 3 || off != 1 {
		t.Fatalf("Produce a tombstone: %d@%d, %v", p, off, err)
	}
	// By key: the same key lands on the same partition.
	p1, _, err := c.Produce(ctx, ProduceRecord{Topic: "made", Partition: -1, Key: []byte("same")})
	if err != nil {
		t.Fatal(err)
	}
	p2, _, err := c.Produce(ctx, ProduceRecord{Topic: "made", Partition: -1, Key: []byte("same")})
	if err != nil || p1 != p2 {
		t.Fatalf("keyed produce: partitions %d and %d, %v", p1, p2, err)
	}
	if _, _, err := c.Produce(ctx, ProduceRecord{Topic: "made", Partition: 9}); err == nil {
		t.Fatal("Produce to partition 9 of 4 succeeded")
	}
	tctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, _, err = c.Produce(tctx, ProduceRecord{Topic: "missing", Partition: -1, Value: []byte("x")})
	cancel()
	if err == nil {
		t.Fatal("Produce to a missing topic succeeded")
	}

	r, err := c.OpenReader("made", Start{Kind: FromBeginning})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs := pollUntil(t, r, 4, 10*time.Second)
	var first Record
	for _, rec := range recs {
		if rec.Partition == 3 && rec.Offset == 0 {
			first = rec
		}
	}
	if first.KeyText != "k" || first.ValueFormat != FormatJSON || len(first.Headers) != 1 || first.Headers[0].Key != "h" {
		t.Fatalf("produced record read back as %+v", first)
	}

	if err := c.DeleteTopic(ctx, "made"); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	if err := c.DeleteTopic(ctx, "made"); !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("DeleteTopic again: %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
	topics, err := c.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range topics {
		if tp.Name == "made" {
			t.Fatal("deleted topic still listed")
		}
	}
}

func TestPingDeadBroker(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Brokers: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = c.Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Ping of a dead broker: %v, want an error naming 127.0.0.1:1", err)
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without brokers succeeded")
	}
}

func TestReaderStarts(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(2, "events"))
	c := testClient(t, b, "")
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	ts := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	var vals []string
	for i := range 30 {
		vals = append(vals, fmt.Sprintf(`{"i":%d}`, i))
	}
	produce(t, b, "events", 0, vals, ts)
	produce(t, b, "events", 1, vals[:5], ts)

	read := func(from Start, want int) []Record {
		t.Helper()
		r, err := c.OpenReader("events", from)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		recs := pollUntil(t, r, want, 10*time.Second)
		// Nothing more arrives.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		more, err := r.Poll(ctx, 100)
		cancel()
		if err != nil || len(more) != 0 {
			t.Fatalf("%+v: %d more records after %d, %v", from, len(more), want, err)
		}
		return recs
	}
	countBy := func(recs []Record) map[int32]int {
		m := map[int32]int{}
		for _, r := range recs {
			m[r.Partition]++
		}
		return m
	}

	if got := countBy(read(Start{Kind: FromBeginning}, 35)); got[0] != 30 || got[1] != 5 {
		t.Errorf("from beginning: %v", got)
	}
	end := read(Start{Kind: FromEnd, Last: 10}, 15)
	if got := countBy(end); got[0] != 10 || got[1] != 5 {
		t.Errorf("from end, last 10: %v", got)
	}
	for _, r := range end {
		if r.Partition == 0 && r.Offset < 20 {
			t.Errorf("from end, last 10: offset %d of partition 0", r.Offset)
		}
	}
	if got := countBy(read(Start{Kind: FromEnd}, 25)); got[0] != 20 || got[1] != 5 {
		t.Errorf("from end, default last: %v", got)
	}
	if got := countBy(read(Start{Kind: FromOffset, Offset: 25}, 5)); got[0] != 5 || got[1] != 0 {
		t.Errorf("from offset 25: %v (partition 1 clamps to its end)", got)
	}
	recs := read(Start{Kind: FromTime, Time: base.Add(27 * time.Minute)}, 3)
	for _, r := range recs {
		if r.Partition != 0 || r.Offset < 27 || !r.Timestamp.Equal(ts(int(r.Offset))) || r.ValueFormat != FormatJSON {
			t.Errorf("from time: %+v", r)
		}
	}

	// A reader that is never polled does no I/O; Close is safe before and after Poll.
	r, err := c.OpenReader("events", Start{Kind: FromBeginning})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := r.Poll(context.Background(), 1); !errors.Is(err, ErrReaderClosed) {
		t.Errorf("Poll after Close: %v", err)
	}
	if _, err := c.OpenReader("", Start{}); err == nil {
		t.Error("OpenReader without a topic succeeded")
	}
	// A missing topic is Poll's error.
	r, err = c.OpenReader("nope", Start{Kind: FromBeginning})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.Poll(ctx, 10); err == nil {
		t.Error("Poll of a missing topic: no error")
	}
}

func TestReaderLive(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "live"))
	c := testClient(t, b, "")
	produce(t, b, "live", 0, []string{"old"}, nil)
	r, err := c.OpenReader("live", Start{Kind: FromEnd, Last: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if recs := pollUntil(t, r, 1, 10*time.Second); recs[0].ValueText != "old" || recs[0].ValueFormat != FormatText {
		t.Fatalf("first poll: %+v", recs)
	}
	// A deadline with nothing new: no records, no error.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	recs, err := r.Poll(ctx, 10)
	cancel()
	if err != nil || len(recs) != 0 {
		t.Fatalf("idle poll: %v, %v", recs, err)
	}
	// Produced after opening: the tail sees it, through a Poll already waiting.
	done := make(chan []Record, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		recs, _ := r.Poll(ctx, 10)
		done <- recs
	}()
	produce(t, b, "live", 0, []string{"new"}, nil)
	recs = <-done
	if len(recs) != 1 || recs[0].ValueText != "new" || recs[0].Offset != 1 {
		t.Fatalf("live poll: %+v", recs)
	}
	// Close while a Poll waits ends it.
	done2 := make(chan error, 1)
	go func() {
		_, err := r.Poll(context.Background(), 10)
		done2 <- err
	}()
	r.Close()
	select {
	case err := <-done2:
		if err != nil && !errors.Is(err, ErrReaderClosed) {
			t.Fatalf("Poll ended by Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a waiting Poll")
	}
}
