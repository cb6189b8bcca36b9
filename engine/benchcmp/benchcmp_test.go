package benchcmp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/engine"
	"github.com/streamlite/streamlite/engine/loadgen"
)

const (
	// recordSize is every record's value size; records have no key.
	recordSize = 1 << 10
	// defaultRecords is the records of one produce run (200 MiB of values), and of one read.
	defaultRecords = 200_000
	// defaultRounds is TestCompareBrokers' rounds.
	defaultRounds = 3
	// runTimeout bounds one produce or read.
	runTimeout = 5 * time.Minute
)

// partitionCounts are the topics' partition counts, one scenario pair each.
var partitionCounts = []int{1, 8}

// txnPartitions is the partition count of the transactional scenario pair (a quarter of
// the records, committed txnRecords at a time, then read read_committed).
const txnPartitions = 8

// broker starts one durable broker on a loopback port, keeping its data in dir.
type broker struct {
	name  string
	start func(dir string) (addrs []string, stop func() error, err error)
}

// brokers are the brokers compared, the baseline first.
var brokers = []broker{
	{"kfake", startKfake},
	{"streamlite", startStreamlite},
}

// startKfake starts kfake in its durable mode: one broker persisting to dir, fsyncing every
// batch (segment and index) before answering the produce.
func startKfake(dir string) ([]string, func() error, error) {
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.DataDir(dir),
		kfake.SyncWrites(),
	)
	if err != nil {
		return nil, nil, err
	}
	return c.ListenAddrs(), func() error { c.Close(); return nil }, nil
}

// startStreamlite starts streamlite writing to dir, acks=all answered after fsync.
func startStreamlite(dir string) ([]string, func() error, error) {
	b, err := engine.Start(context.Background(), engine.Config{
		DataDir: dir,
		Flush:   engine.FlushSync,
	})
	if err != nil {
		return nil, nil, err
	}
	return []string{b.KafkaAddr()}, b.Close, nil
}

// clientOpts are added to every client of every run, on both brokers.
func clientOpts() []kgo.Opt { return nil }

func produceOptions(addrs []string, topic string, partitions, records int) loadgen.ProduceOptions {
	return loadgen.ProduceOptions{
		Brokers:    addrs,
		Topic:      topic,
		Records:    records,
		RecordSize: recordSize,
		Partitions: partitions,
		Acks:       loadgen.AcksAll,
		Producers:  1,
		ClientOpts: clientOpts(),
	}
}

func consumeOptions(addrs []string, topic string) loadgen.ConsumeOptions {
	return loadgen.ConsumeOptions{Brokers: addrs, Topic: topic, ClientOpts: clientOpts()}
}

// envInt reads a positive integer from the environment, def when unset.
func envInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	s := strings.TrimSpace(os.Getenv(name))
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// running is one started broker.
type running struct {
	addrs []string
	stop  func() error
}

// startBroker starts br in a fresh temp dir. Stop it with stopBroker before starting the
// next one, so that brokers never compete for CPU, memory or the disk.
func startBroker(tb testing.TB, br broker) *running {
	tb.Helper()
	settle()
	addrs, stop, err := br.start(tb.TempDir())
	if err != nil {
		tb.Fatalf("starting %s: %v", br.name, err)
	}
	return &running{addrs: addrs, stop: stop}
}

// stopBroker shuts r down and returns its memory, so the next broker starts from the same
// state whichever ran before it.
func stopBroker(tb testing.TB, r *running) {
	tb.Helper()
	if err := r.stop(); err != nil {
		tb.Errorf("stopping broker: %v", err)
	}
	settle()
}

func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}

// createTopic creates topic with partitions partitions and waits until the broker's
// metadata shows them, so that the measured run does not include it.
func createTopic(ctx context.Context, addrs []string, topic string, partitions int) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addrs...)}, clientOpts()...)...)
	if err != nil {
		return err
	}
	adm := kadm.NewClient(cl)
	defer adm.Close()
	if _, err := adm.CreateTopic(ctx, int32(partitions), -1, nil, topic); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("creating topic %s: %w", topic, err)
	}
	for attempt := 0; ; attempt++ {
		details, err := adm.ListTopics(ctx, topic)
		if err == nil {
			err = details[topic].Err
		}
		if err == nil && len(details[topic].Partitions) == partitions {
			return nil
		}
		if attempt == 100 {
			return fmt.Errorf("topic %s: metadata shows %d partitions (%v), want %d", topic, len(details[topic].Partitions), err, partitions)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// produce writes records records to topic, which createTopic made.
func produce(ctx context.Context, addrs []string, topic string, partitions, records int) (loadgen.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	res, err := loadgen.Produce(ctx, produceOptions(addrs, topic, partitions, records))
	if err == nil && res.Records != int64(records) {
		err = fmt.Errorf("produced %d records, want %d", res.Records, records)
	}
	return res, err
}

// consume reads topic back, all records records of it.
func consume(ctx context.Context, addrs []string, topic string, records int) (loadgen.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	res, err := loadgen.Consume(ctx, consumeOptions(addrs, topic))
	if err == nil && res.Records != int64(records) {
		err = fmt.Errorf("read %d records, want %d", res.Records, records)
	}
	return res, err
}

// txnRecords is how many records one transaction of the transactional scenario writes.
const txnRecords = 1000

// txnProduce writes records records to topic from one transactional producer, txnRecords per
// transaction, each flushed and committed before the next begins: what an exactly-once
// pipeline's producer does. Elapsed runs from the first Begin to the last commit.
func txnProduce(ctx context.Context, addrs []string, topic string, records int) (loadgen.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cl, err := kgo.NewClient(append(clientOpts(), kgo.SeedBrokers(addrs...),
		kgo.TransactionalID("bench-"+topic), kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedBytes(64<<20))...)
	if err != nil {
		return loadgen.Result{}, err
	}
	defer cl.Close()
	val := make([]byte, recordSize)
	res := loadgen.Result{Topic: topic}
	var failed error
	start := time.Now()
	for i := 0; i < records; i += txnRecords {
		if err := cl.BeginTransaction(); err != nil {
			return res, err
		}
		n := min(txnRecords, records-i)
		for range n {
			cl.Produce(ctx, &kgo.Record{Value: val}, func(_ *kgo.Record, err error) {
				if err != nil && failed == nil {
					failed = err
				}
			})
		}
		if err := cl.Flush(ctx); err != nil {
			return res, err
		}
		if failed != nil {
			return res, failed
		}
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			return res, err
		}
		res.Records += int64(n)
		res.Bytes += int64(n * recordSize)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// runTxnPair starts br, writes records records transactionally to a fresh topic of
// partitions partitions, reads them back read_committed, and stops br.
func runTxnPair(t *testing.T, br broker, partitions, records, round int) runResult {
	t.Helper()
	ctx := context.Background()
	r := startBroker(t, br)
	defer stopBroker(t, r)
	topic := fmt.Sprintf("compare-txn-p%d-r%d", partitions, round)
	var out runResult
	if err := createTopic(ctx, r.addrs, topic, partitions); err != nil {
		t.Fatalf("%s: %v", br.name, err)
	}
	var err error
	if out.produce, err = txnProduce(ctx, r.addrs, topic, records); err != nil {
		t.Fatalf("%s txn-produce-p%d: %v", br.name, partitions, err)
	}
	o := consumeOptions(r.addrs, topic)
	o.Records = records
	o.ClientOpts = append(o.ClientOpts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	cctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	if out.consume, err = loadgen.Consume(cctx, o); err != nil || out.consume.Records != int64(records) {
		t.Fatalf("%s txn-consume-p%d: read %d of %d: %v", br.name, partitions, out.consume.Records, records, err)
	}
	return out
}

// BenchmarkBrokers runs each scenario on each broker: BenchmarkBrokers/BROKER/produce-pN
// and BenchmarkBrokers/BROKER/consume-pN. One iteration produces (or reads)
// STREAMLITE_BENCH_RECORDS records of 1 KiB, so `-benchtime 1x` is one full run; each
// sub-benchmark starts its own broker and stops it before the next starts. Besides MB/s
// (from b.SetBytes), it reports records/s as loadgen measures it (first request to last
// acknowledgement) and, for produce, p50/p99 produce latency in milliseconds, averaged over
// iterations.
func BenchmarkBrokers(b *testing.B) {
	records := envInt(b, "STREAMLITE_BENCH_RECORDS", defaultRecords)
	for _, br := range brokers {
		b.Run(br.name, func(b *testing.B) {
			for _, p := range partitionCounts {
				b.Run(fmt.Sprintf("produce-p%d", p), func(b *testing.B) {
					benchProduce(b, br, p, records)
				})
				b.Run(fmt.Sprintf("consume-p%d", p), func(b *testing.B) {
					benchConsume(b, br, p, records)
				})
			}
		})
	}
}

func benchProduce(b *testing.B, br broker, partitions, records int) {
	ctx := context.Background()
	r := startBroker(b, br)
	defer stopBroker(b, r)
	b.SetBytes(int64(records) * recordSize)
	var sum loadgen.Result
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		topic := fmt.Sprintf("bench-produce-p%d-%d", partitions, i)
		b.StopTimer()
		if err := createTopic(ctx, r.addrs, topic, partitions); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := produce(ctx, r.addrs, topic, partitions, records)
		if err != nil {
			b.Fatal(err)
		}
		sum.Records += res.Records
		sum.Elapsed += res.Elapsed
		sum.P50 += res.P50
		sum.P99 += res.P99
	}
	b.StopTimer()
	b.ReportMetric(sum.RecordsPerSec(), "records/s")
	b.ReportMetric(ms(sum.P50)/float64(b.N), "p50-ms")
	b.ReportMetric(ms(sum.P99)/float64(b.N), "p99-ms")
}

func benchConsume(b *testing.B, br broker, partitions, records int) {
	ctx := context.Background()
	r := startBroker(b, br)
	defer stopBroker(b, r)
	topic := fmt.Sprintf("bench-consume-p%d", partitions)
	if err := createTopic(ctx, r.addrs, topic, partitions); err != nil {
		b.Fatal(err)
	}
	if _, err := produce(ctx, r.addrs, topic, partitions, records); err != nil {
		b.Fatal(err)
	}
	settle()
	b.SetBytes(int64(records) * recordSize)
	var sum loadgen.Result
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := consume(ctx, r.addrs, topic, records)
		if err != nil {
			b.Fatal(err)
		}
		sum.Records += res.Records
		sum.Elapsed += res.Elapsed
	}
	b.StopTimer()
	b.ReportMetric(sum.RecordsPerSec(), "records/s")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// runResult is one broker's produce and read of one topic.
type runResult struct {
	produce, consume loadgen.Result
}

// runPair starts br, produces records records to a fresh topic of partitions partitions,
// reads them back, and stops br.
func runPair(t *testing.T, br broker, partitions, records, round int) runResult {
	t.Helper()
	ctx := context.Background()
	r := startBroker(t, br)
	defer stopBroker(t, r)
	topic := fmt.Sprintf("compare-p%d-r%d", partitions, round)
	var out runResult
	if err := createTopic(ctx, r.addrs, topic, partitions); err != nil {
		t.Fatalf("%s: %v", br.name, err)
	}
	var err error
	if out.produce, err = produce(ctx, r.addrs, topic, partitions, records); err != nil {
		t.Fatalf("%s produce-p%d: %v", br.name, partitions, err)
	}
	if out.consume, err = consume(ctx, r.addrs, topic, records); err != nil {
		t.Fatalf("%s consume-p%d: %v", br.name, partitions, err)
	}
	return out
}

// TestCompareBrokers runs every scenario on kfake and on streamlite, interleaved (kfake,
// streamlite, streamlite, kfake, ... the order flipping every round so that neither broker
// always runs first) for STREAMLITE_BENCH_ROUNDS rounds, and prints medians over rounds:
// records/s of each, their ratio (the median of the per-round streamlite/kfake ratios, with
// its range) and the p99 produce latencies.
func TestCompareBrokers(t *testing.T) {
	if os.Getenv("STREAMLITE_BENCH_COMPARE") != "1" {
		t.Skip("comparative benchmark against kfake (about 30 s of disk-bound load at the defaults); " +
			"set STREAMLITE_BENCH_COMPARE=1 to run it " +
			"(STREAMLITE_BENCH_RECORDS, STREAMLITE_BENCH_ROUNDS tune it)")
	}
	records := envInt(t, "STREAMLITE_BENCH_RECORDS", defaultRecords)
	rounds := envInt(t, "STREAMLITE_BENCH_ROUNDS", defaultRounds)

	type key struct {
		scenario string
		broker   string
	}
	results := map[key][]loadgen.Result{}
	var scenarios []string
	for _, p := range partitionCounts {
		scenarios = append(scenarios, fmt.Sprintf("produce-p%d", p), fmt.Sprintf("consume-p%d", p))
	}
	scenarios = append(scenarios, fmt.Sprintf("txn-produce-p%d", txnPartitions), fmt.Sprintf("txn-consume-p%d", txnPartitions))
	txnRecs := max(records/4, txnRecords)

	t.Logf("%d rounds, %d records of %d bytes per run, GOMAXPROCS %d",
		rounds, records, recordSize, runtime.GOMAXPROCS(0))
	for round := range rounds {
		for _, p := range partitionCounts {
			order := slices.Clone(brokers)
			if round%2 == 1 {
				slices.Reverse(order)
			}
			for _, br := range order {
				res := runPair(t, br, p, records, round)
				results[key{fmt.Sprintf("produce-p%d", p), br.name}] = append(results[key{fmt.Sprintf("produce-p%d", p), br.name}], res.produce)
				results[key{fmt.Sprintf("consume-p%d", p), br.name}] = append(results[key{fmt.Sprintf("consume-p%d", p), br.name}], res.consume)
				t.Logf("round %d %-10s produce-p%d %9.0f rec/s %7.1f MiB/s p50 %v p99 %v | consume-p%d %9.0f rec/s %7.1f MiB/s",
					round+1, br.name, p,
					res.produce.RecordsPerSec(), res.produce.MBPerSec(), res.produce.P50, res.produce.P99,
					p, res.consume.RecordsPerSec(), res.consume.MBPerSec())
			}
		}
		order := slices.Clone(brokers)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, br := range order {
			res := runTxnPair(t, br, txnPartitions, txnRecs, round)
			pk, ck := key{fmt.Sprintf("txn-produce-p%d", txnPartitions), br.name}, key{fmt.Sprintf("txn-consume-p%d", txnPartitions), br.name}
			results[pk] = append(results[pk], res.produce)
			results[ck] = append(results[ck], res.consume)
			t.Logf("round %d %-10s txn-produce-p%d %9.0f rec/s %7.1f MiB/s | read_committed %9.0f rec/s",
				round+1, br.name, txnPartitions, res.produce.RecordsPerSec(), res.produce.MBPerSec(), res.consume.RecordsPerSec())
		}
	}

	base, cand := brokers[0].name, brokers[1].name
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "scenario\t%s rec/s\t%s rec/s\tratio\tratio range\t%s MiB/s\t%s MiB/s\t%s p99\t%s p99\t\n",
		base, cand, base, cand, base, cand)
	for _, sc := range scenarios {
		kr, sr := results[key{sc, base}], results[key{sc, cand}]
		ratios := make([]float64, len(kr))
		for i := range kr {
			ratios[i] = sr[i].RecordsPerSec() / kr[i].RecordsPerSec()
		}
		kp99, sp99 := "-", "-"
		if strings.HasPrefix(sc, "produce") { // the transactional producer records no latencies
			kp99 = fmtMs(median(kr, func(r loadgen.Result) float64 { return ms(r.P99) }))
			sp99 = fmtMs(median(sr, func(r loadgen.Result) float64 { return ms(r.P99) }))
		}
		fmt.Fprintf(w, "%s\t%.0f\t%.0f\t%.2fx\t%.2f–%.2f\t%.1f\t%.1f\t%s\t%s\t\n", sc,
			median(kr, loadgen.Result.RecordsPerSec), median(sr, loadgen.Result.RecordsPerSec),
			medianOf(ratios), slices.Min(ratios), slices.Max(ratios),
			median(kr, loadgen.Result.MBPerSec), median(sr, loadgen.Result.MBPerSec),
			kp99, sp99)
	}
	w.Flush()
	fmt.Printf("\nstreamlite vs kfake, durable (fsync), acks=all, %d × %d B records, median of %d rounds:\n\n%s\n",
		records, recordSize, rounds, sb.String())
}

func fmtMs(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + " ms" }

func median(rs []loadgen.Result, f func(loadgen.Result) float64) float64 {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	return medianOf(vs)
}

func medianOf(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
