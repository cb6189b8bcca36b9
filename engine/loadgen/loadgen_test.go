package loadgen_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/engine/loadgen"
)

func cluster(t *testing.T) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// endOffsets returns the high watermark of each partition of topic.
func endOffsets(t *testing.T, brokers []string, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	defer adm.Close()
	ends, err := adm.ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

func TestProduceConsume(t *testing.T) {
	brokers := cluster(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		o    loadgen.ProduceOptions
	}{
		{"defaults", loadgen.ProduceOptions{Records: 500}},
		{"spread", loadgen.ProduceOptions{Records: 3001, RecordSize: 1000, Partitions: 3, Producers: 2, Compression: "zstd"}},
		{"acks1", loadgen.ProduceOptions{Records: 1000, RecordSize: 10, Partitions: 2, Acks: loadgen.AcksLeader, Compression: "lz4"}},
		{"acks0", loadgen.ProduceOptions{Records: 1000, Acks: loadgen.AcksNone, Compression: "snappy", Linger: time.Millisecond}},
		{"more producers than records", loadgen.ProduceOptions{Records: 2, Producers: 5, Compression: "gzip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.Brokers, o.Topic = brokers, "t-"+tc.name
			res, err := loadgen.Produce(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			size := o.RecordSize
			if size == 0 {
				size = 100
			}
			if res.Records != int64(o.Records) || res.Bytes != int64(o.Records*size) || res.Topic != o.Topic {
				t.Fatalf("produce result %+v, want %d records of %d bytes", res, o.Records, size)
			}
			if res.Elapsed <= 0 || res.RecordsPerSec() <= 0 || res.MBPerSec() <= 0 {
				t.Fatalf("produce result %+v: no elapsed time or rates", res)
			}
			if o.Acks != loadgen.AcksNone && (res.P50 > res.P99 || res.P99 > res.Elapsed) {
				t.Fatalf("latencies p50 %v p99 %v over %v", res.P50, res.P99, res.Elapsed)
			}
			var total int64
			ends := endOffsets(t, brokers, o.Topic)
			if want := max(o.Partitions, 1); len(ends) != want {
				t.Fatalf("topic has %d partitions, want %d", len(ends), want)
			}
			for _, e := range ends {
				total += e
			}
			if total != int64(o.Records) {
				t.Fatalf("topic holds %d records, want %d", total, o.Records)
			}

			got, err := loadgen.Consume(ctx, loadgen.ConsumeOptions{Brokers: brokers, Topic: o.Topic})
			if err != nil {
				t.Fatal(err)
			}
			if got.Records != res.Records || got.Bytes != res.Bytes || got.P50 != 0 {
				t.Fatalf("consume result %+v, want %d records, %d bytes", got, res.Records, res.Bytes)
			}
			limited, err := loadgen.Consume(ctx, loadgen.ConsumeOptions{Brokers: brokers, Topic: o.Topic, Records: 1})
			if err != nil || limited.Records != 1 {
				t.Fatalf("consume with Records 1: %+v, %v", limited, err)
			}
		})
	}
}

// TestProduceDeterministic checks that two runs spread records over
// partitions the same way.
func TestProduceDeterministic(t *testing.T) {
	brokers := cluster(t)
	var spread [2]map[int32]int64
	for i := range spread {
		o := loadgen.ProduceOptions{Brokers: brokers, Topic: "d" + string(rune('a'+i)), Records: 5000, RecordSize: 200, Partitions: 4, Producers: 3}
		if _, err := loadgen.Produce(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		spread[i] = endOffsets(t, brokers, o.Topic)
	}
	if len(spread[0]) != 4 {
		t.Fatalf("spread %v", spread[0])
	}
	for p, n := range spread[0] {
		if spread[1][p] != n || n == 0 {
			t.Fatalf("run 1 %v, run 2 %v", spread[0], spread[1])
		}
	}
}

func TestProduceExistingTopic(t *testing.T) {
	brokers := cluster(t)
	o := loadgen.ProduceOptions{Brokers: brokers, Topic: "x", Records: 10, Partitions: 2}
	if _, err := loadgen.Produce(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	o.Partitions = 7 // ignored: the topic exists with 2
	if _, err := loadgen.Produce(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if ends := endOffsets(t, brokers, "x"); len(ends) != 2 || ends[0]+ends[1] != 20 {
		t.Fatalf("end offsets %v", ends)
	}
}

func TestBadOptions(t *testing.T) {
	ctx := context.Background()
	for _, o := range []loadgen.ProduceOptions{
		{Topic: "t", Records: 1},
		{Brokers: []string{"x:1"}, Records: 1},
		{Brokers: []string{"x:1"}, Topic: "t"},
		{Brokers: []string{"x:1"}, Topic: "t", Records: 1, Compression: "brotli"},
		{Brokers: []string{"x:1"}, Topic: "t", Records: 1, Producers: -1},
	} {
		if _, err := loadgen.Produce(ctx, o); err == nil {
			t.Errorf("Produce(%+v): no error", o)
		}
	}
	if _, err := loadgen.Consume(ctx, loadgen.ConsumeOptions{Topic: "t"}); err == nil {
		t.Error("Consume without brokers: no error")
	}
	brokers := cluster(t)
	if _, err := loadgen.Consume(ctx, loadgen.ConsumeOptions{Brokers: brokers, Topic: "missing"}); err == nil {
		t.Error("Consume of a missing topic: no error")
	}
	if _, err := loadgen.ParseAcks("2"); err == nil {
		t.Error(`ParseAcks("2"): no error`)
	}
	for s, want := range map[string]loadgen.Acks{"all": loadgen.AcksAll, "-1": loadgen.AcksAll, "1": loadgen.AcksLeader, "0": loadgen.AcksNone} {
		if a, err := loadgen.ParseAcks(s); err != nil || a != want {
			t.Errorf("ParseAcks(%q) = %v, %v", s, a, err)
		}
	}
}

func TestResultRates(t *testing.T) {
	r := loadgen.Result{Records: 1000, Bytes: 2 << 20, Elapsed: 2 * time.Second}
	if r.RecordsPerSec() != 500 || r.MBPerSec() != 1 {
		t.Fatalf("rates %v %v", r.RecordsPerSec(), r.MBPerSec())
	}
	if (loadgen.Result{}).RecordsPerSec() != 0 || (loadgen.Result{}).MBPerSec() != 0 {
		t.Fatal("zero result has rates")
	}
}

// BenchmarkProduceConsume runs a small produce and read-back against kfake,
// reporting the rates; -benchmem shows the load generator's allocations
// together with the client's.
func BenchmarkProduceConsume(b *testing.B) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		o := loadgen.ProduceOptions{Brokers: c.ListenAddrs(), Topic: "b" + string(rune('a'+i%26)) + time.Now().Format("150405.000000"),
			Records: 20000, RecordSize: 100, Partitions: 3, Acks: loadgen.AcksLeader}
		p, err := loadgen.Produce(ctx, o)
		if err != nil {
			b.Fatal(err)
		}
		r, err := loadgen.Consume(ctx, loadgen.ConsumeOptions{Brokers: o.Brokers, Topic: o.Topic})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(p.RecordsPerSec(), "produce-rec/s")
		b.ReportMetric(r.RecordsPerSec(), "consume-rec/s")
	}
}
