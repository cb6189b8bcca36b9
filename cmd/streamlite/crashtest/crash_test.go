package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Limits of every crash run.
const (
	crashTopic = "crash"
	// crashInflight bounds each producer's records between Produce and their promise, so a
	// producer waits (rather than buffers without end) while the broker is down.
	crashInflight = 512
	// crashValueSize pads values so batches are a few KiB and crashes tear them mid-write.
	crashValueSize = 200
)

// shape is the load of one crash run. Producer i writes only to partition i%partitions, so
// that each producer's records have one order to check.
type shape struct {
	producers, partitions int
	// segmentBytes is the topic's segment.bytes: small, so that segments roll during the run
	// and crashes also hit rolls and the recovery of sealed segments.
	segmentBytes int
}

// ack is one acknowledged record: its sequence number and where the broker said it put it.
type ack struct {
	seq       int64
	partition int32
	offset    int64
}

// producer is one idempotent producer's client and what its promises reported.
type producer struct {
	id        int
	partition int32 // the only partition it writes to
	cl        *kgo.Client

	sent atomic.Int64 // records handed to Produce; sequence numbers are 0..sent-1

	mu         sync.Mutex
	acked      []ack // in promise order
	failed     int
	failedSeqs []int64 // the sequence numbers of the failures, in promise order
	errs       []error // the first few failures
}

// TestCrash checks promise 2 of DESIGN.md: with acks=all and the default sync flush, every
// acknowledged record survives kill -9 at any moment, exactly once, in order, at the offset
// its acknowledgement reported. It is also issue 5's idempotence crash test (must-show 4):
// the producers retry across the kills, and verify asserts per producer no duplicates, no
// gaps in the sequence numbers below the highest one acknowledged, and strictly increasing
// sequence numbers in offset order. It runs four concurrent idempotent franz-go producers, one
// per partition, against the real binary while killing and restarting it STREAMLITE_CRASH_KILLS
// times (default 5) at random moments (seed: STREAMLITE_CRASH_SEED), then reads every
// partition back.
func TestCrash(t *testing.T) {
	runCrash(t, shape{producers: 4, partitions: 4, segmentBytes: 256 << 10})
}

// TestCrashSharedPartitions is TestCrash with eight producers sharing two partitions and
// segments of 16 KiB, so that between a batch's write and its producer's retry after a
// restart other producers may fill whole segments: the broker must still recognize the retry
// (it rebuilds producer state from the log on start).
func TestCrashSharedPartitions(t *testing.T) {
	runCrash(t, shape{producers: 8, partitions: 2, segmentBytes: 16 << 10})
}

// runCrash is the crash test with the load sh.
func runCrash(t *testing.T, sh shape) {
	kills := envInt(t, "STREAMLITE_CRASH_KILLS", 5)
	seed := crashSeed(t)
	t.Logf("kills %d, seed %d (replay with STREAMLITE_CRASH_SEED=%d)", kills, seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x5eed5eed))
	began := time.Now()

	b := newBroker(t)
	b.start()
	defer func() {
		if t.Failed() {
			t.Log(b.logTail())
			keepDataDir(t, b)
		}
	}()
	createTopic(t, b.addr, sh)

	var dataLoss atomic.Int64 // franz-go's own data loss detections (OUT_OF_ORDER / UNKNOWN_PRODUCER_ID)
	ps := make([]*producer, sh.producers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range ps {
		p := &producer{id: i, partition: int32(i % sh.partitions)}
		cl, err := kgo.NewClient(
			kgo.SeedBrokers(b.addr),
			kgo.DefaultProduceTopic(crashTopic),
			kgo.RecordPartitioner(kgo.ManualPartitioner()),
			kgo.RequiredAcks(kgo.AllISRAcks()), // the default; idempotence is on by default
			kgo.ProducerLinger(0),
			kgo.MaxBufferedRecords(2*crashInflight),
			kgo.RecordRetries(1<<30),         // retry across the broker's absence...
			kgo.RecordDeliveryTimeout(0),     // ...for as long as it takes (the final Flush bounds it)
			kgo.UnknownTopicRetries(-1),      // a restarting broker is not a missing topic
			kgo.RequestRetries(1<<20),        // metadata and init-producer-id too
			kgo.RetryTimeout(10*time.Minute), //
			kgo.RetryBackoffFn(func(n int) time.Duration {
				return min(time.Duration(n)*10*time.Millisecond, 200*time.Millisecond)
			}),
			kgo.DialTimeout(time.Second),
			// A kill between accept and the ApiVersions answer ends the connection at its
			// first read, which franz-go otherwise takes for a TLS mismatch and fails the
			// records; here it is the crash we cause.
			kgo.AlwaysRetryEOF(),
			kgo.MetadataMinAge(50*time.Millisecond), // refresh at once after the broker returns, not in 5 s
			kgo.ProducerOnDataLossDetected(func(topic string, part int32) {
				dataLoss.Add(1)
				t.Errorf("producer %d: franz-go detected data loss on %s/%d", i, topic, part)
			}),
		)
		if err != nil {
			t.Fatal(err)
		}
		p.cl = cl
		ps[i] = p
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.run(stop)
		}()
	}
	defer func() {
		for _, p := range ps {
			p.cl.Close()
		}
	}()

	var restartSum, restartMax time.Duration // from SIGKILL's end to the port answering
	var inflightAtKills int64                // records awaiting their promise when the kills came
	for k := 0; k < kills; k++ {
		delay := 50*time.Millisecond + time.Duration(rng.Int64N(int64(350*time.Millisecond)))
		time.Sleep(delay) // the kill schedule, not a wait for readiness
		inflightAtKills += inflight(ps)
		b.kill()
		t0 := time.Now()
		b.start()
		restart := time.Since(t0)
		restartSum += restart
		restartMax = max(restartMax, restart)
		if testing.Verbose() && (k+1)%10 == 0 {
			t.Logf("%d kills, %d acked so far", k+1, totalAcked(ps))
		}
	}

	// The broker is up after the last restart: stop handing records to the producers and
	// wait for every promise. All must succeed now: retries are unbounded.
	close(stop)
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, p := range ps {
		if err := p.cl.Flush(ctx); err != nil {
			t.Errorf("producer %d: records still unacknowledged two minutes after the last restart: %v", p.id, err)
		}
	}

	r := verify(t, b.addr, sh, ps)
	torn := strings.Count(b.log(), "truncating torn segment tail")
	var sent, acked, failed int64
	for _, p := range ps {
		p.mu.Lock()
		sent += p.sent.Load()
		acked += int64(len(p.acked))
		failed += int64(p.failed)
		for _, err := range p.errs {
			t.Errorf("producer %d: record failed: %v", p.id, err)
		}
		p.mu.Unlock()
	}
	summary := fmt.Sprintf("kills %d, sent %d, acked %d, failed %d, found %d (unacked but present %d), "+
		"duplicates %d, lost %d, out of order %d, sequence gaps %d, failed below an acked seq %d, "+
		"wrong offset %d, foreign %d, offset gaps %d, torn tails repaired %d, "+
		"records in flight at kills %d, "+
		"franz-go data loss %d, restart mean %s max %s, took %s",
		kills, sent, acked, failed, r.found, r.unackedFound, r.duplicates, r.lost, r.outOfOrder,
		r.seqGaps, r.failedBelowAcked, r.wrongOffset, r.foreign, r.gaps, torn, inflightAtKills, dataLoss.Load(),
		(restartSum / time.Duration(max(kills, 1))).Round(time.Millisecond), restartMax.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	t.Log(summary)
	if os.Getenv("STREAMLITE_CRASH_SUMMARY") != "" {
		fmt.Println("CRASH SUMMARY:", summary)
	}
	if failed > 0 {
		t.Errorf("%d records failed although retries are unbounded", failed)
	}
	if acked == 0 {
		t.Errorf("no record was acknowledged: the test proved nothing")
	}
}

// run produces records 0, 1, 2, ... with at most crashInflight awaiting their promise, until
// stop is closed.
func (p *producer) run(stop <-chan struct{}) {
	sem := make(chan struct{}, crashInflight)
	key := []byte(fmt.Sprintf("producer-%d", p.id))
	for seq := int64(0); ; seq++ {
		select {
		case <-stop:
			return
		case sem <- struct{}{}:
		}
		// A stop racing with a free slot may still produce one more record; that is fine.
		rec := &kgo.Record{Key: key, Value: encodeValue(p.id, seq), Partition: p.partition}
		p.sent.Add(1)
		p.cl.Produce(context.Background(), rec, func(r *kgo.Record, err error) {
			p.mu.Lock()
			if err == nil {
				p.acked = append(p.acked, ack{seq: seq, partition: r.Partition, offset: r.Offset})
			} else {
				p.failed++
				p.failedSeqs = append(p.failedSeqs, seq)
				if len(p.errs) < 3 {
					p.errs = append(p.errs, fmt.Errorf("seq %d: %w", seq, err))
				}
			}
			p.mu.Unlock()
			<-sem
		})
	}
}

// encodeValue is "p<producer> s<seq> " padded with dots to crashValueSize bytes.
func encodeValue(pid int, seq int64) []byte {
	v := make([]byte, 0, crashValueSize)
	v = fmt.Appendf(v, "p%d s%d ", pid, seq)
	for len(v) < crashValueSize {
		v = append(v, '.')
	}
	return v
}

// decodeValue parses encodeValue's output.
func decodeValue(v []byte) (pid int, seq int64, ok bool) {
	f := strings.Fields(string(v[:min(len(v), 48)]))
	if len(f) < 2 || !strings.HasPrefix(f[0], "p") || !strings.HasPrefix(f[1], "s") {
		return 0, 0, false
	}
	p, err1 := strconv.Atoi(f[0][1:])
	s, err2 := strconv.ParseInt(f[1][1:], 10, 64)
	return p, s, err1 == nil && err2 == nil
}

// createTopic creates the crash topic.
func createTopic(t *testing.T, addr string, sh shape) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seg := strconv.Itoa(sh.segmentBytes)
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(sh.partitions), 1, map[string]*string{"segment.bytes": &seg}, crashTopic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("creating topic %s: %v", crashTopic, err)
	}
}

// result is what verify found.
type result struct {
	found        int64 // records read back
	unackedFound int64 // found records whose promise did not succeed (none expected after a full Flush)
	duplicates   int64 // extra copies of a (producer, seq)
	lost         int64 // acknowledged records not found
	outOfOrder   int64 // records whose seq is not above every earlier one of their producer in the partition
	wrongOffset  int64 // acknowledged records not at the offset their promise reported
	foreign      int64 // records that do not parse or sit in another producer's partition
	gaps         int64 // jumps in the offsets read back
	// seqGaps counts a producer's sequence numbers missing from its partition although a
	// higher one is there or was acknowledged: with idempotence and retries a later record
	// cannot land while an earlier one is lost. An acknowledged missing record is also lost.
	seqGaps int64
	// failedBelowAcked counts records whose promise failed although a later record of their
	// producer was acknowledged: a gap franz-go reported.
	failedBelowAcked int64
}

// rid names a record: producer and sequence number. pid -1 means none.
type rid struct {
	pid int32
	seq int64
}

// verify reads every partition from its start to its high watermark with a fresh client and
// checks the acknowledged records against it, reporting each kind of violation (the first
// few of each with evidence) as a test error.
func verify(t *testing.T, addr string, sh shape, ps []*producer) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{crashTopic: func() map[int32]kgo.Offset {
			m := make(map[int32]kgo.Offset, sh.partitions)
			for p := int32(0); p < int32(sh.partitions); p++ {
				m[p] = kgo.NewOffset().AtStart()
			}
			return m
		}()}),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	starts, err := adm.ListStartOffsets(ctx, crashTopic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		t.Fatalf("listing start offsets: %v", err)
	}
	ends, err := adm.ListEndOffsets(ctx, crashTopic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("listing end offsets: %v", err)
	}
	hwm := make([]int64, sh.partitions)
	for p := int32(0); p < int32(sh.partitions); p++ {
		if o, ok := starts.Lookup(crashTopic, p); !ok || o.Offset != 0 {
			t.Errorf("partition %d starts at %d, want 0", p, o.Offset)
		}
		o, ok := ends.Lookup(crashTopic, p)
		if !ok {
			t.Fatalf("no end offset for partition %d", p)
		}
		hwm[p] = o.Offset
	}

	// byOffset[p][o] is the record at offset o of partition p.
	byOffset := make([][]rid, sh.partitions)
	for p := range byOffset {
		byOffset[p] = make([]rid, hwm[p])
		for o := range byOffset[p] {
			byOffset[p][o] = rid{pid: -1}
		}
	}
	var r result
	var errMu sync.Mutex
	report := func(kind string, n int64, format string, args ...any) {
		errMu.Lock()
		defer errMu.Unlock()
		if n <= 5 {
			t.Errorf(kind+": "+format, args...)
		}
	}
	next := make([]int64, sh.partitions)
	lastSeq := make([]int64, len(ps))
	for i := range lastSeq {
		lastSeq[i] = -1
	}
	count := make([][]uint8, len(ps))
	for i, p := range ps {
		count[i] = make([]uint8, p.sent.Load())
	}
	done := func() bool {
		for p := range next {
			if next[p] < hwm[p] {
				return false
			}
		}
		return true
	}
	for !done() {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("reading back: stuck at offsets %v of %v: %v", next, hwm, err)
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Logf("fetch %s/%d: %v (retrying)", topic, p, err)
		})
		fs.EachRecord(func(rec *kgo.Record) {
			p := rec.Partition
			if rec.Offset >= hwm[p] {
				return // produced after we listed the end; none is expected
			}
			if rec.Offset != next[p] {
				r.gaps++
				report("offset gap", r.gaps, "partition %d: read offset %d, expected %d", p, rec.Offset, next[p])
			}
			next[p] = rec.Offset + 1
			r.found++
			pid, seq, ok := decodeValue(rec.Value)
			if !ok || pid < 0 || pid >= len(ps) || ps[pid].partition != p ||
				string(rec.Key) != fmt.Sprintf("producer-%d", pid) || seq < 0 || seq >= int64(len(count[pid])) {
				r.foreign++
				report("foreign record", r.foreign, "partition %d offset %d: key %q value %.40q", p, rec.Offset, rec.Key, rec.Value)
				return
			}
			byOffset[p][rec.Offset] = rid{int32(pid), seq}
			if count[pid][seq] < 255 {
				count[pid][seq]++
			}
			if count[pid][seq] > 1 {
				r.duplicates++
				report("duplicate", r.duplicates, "producer %d seq %d again at partition %d offset %d (copy %d)", pid, seq, p, rec.Offset, count[pid][seq])
			}
			if seq <= lastSeq[pid] { // strictly increasing in offset order; an equal seq is also a duplicate
				r.outOfOrder++
				report("out of order", r.outOfOrder, "producer %d seq %d at partition %d offset %d follows seq %d", pid, seq, p, rec.Offset, lastSeq[pid])
			}
			lastSeq[pid] = max(lastSeq[pid], seq)
		})
	}

	for i, p := range ps {
		p.mu.Lock()
		isAcked := make([]bool, len(count[i]))
		maxAcked := int64(-1)
		for _, a := range p.acked {
			isAcked[a.seq] = true
			maxAcked = max(maxAcked, a.seq)
			if count[i][a.seq] == 0 {
				r.lost++
				report("lost", r.lost, "producer %d seq %d acknowledged at partition %d offset %d is missing (high watermark %d)", i, a.seq, a.partition, a.offset, hwm[a.partition])
				continue
			}
			var at rid
			if a.partition >= 0 && a.partition < int32(sh.partitions) && a.offset >= 0 && a.offset < hwm[a.partition] {
				at = byOffset[a.partition][a.offset]
			}
			if at != (rid{int32(i), a.seq}) {
				r.wrongOffset++
				report("wrong offset", r.wrongOffset, "producer %d seq %d acknowledged at partition %d offset %d, which holds producer %d seq %d", i, a.seq, a.partition, a.offset, at.pid, at.seq)
			}
		}
		for _, seq := range p.failedSeqs {
			if seq < maxAcked {
				r.failedBelowAcked++
				report("gap", r.failedBelowAcked, "producer %d seq %d failed although its seq %d was acknowledged", i, seq, maxAcked)
			}
		}
		p.mu.Unlock()
		// No gaps: every seq below the highest one found or acknowledged is there.
		top := max(maxAcked, lastSeq[i])
		for seq, n := range count[i] {
			if n > 0 && !isAcked[seq] {
				r.unackedFound++
			}
			if n == 0 && int64(seq) < top {
				r.seqGaps++
				report("sequence gap", r.seqGaps, "producer %d seq %d is missing from partition %d although seq %d is there or acknowledged (highest acknowledged %d)", i, seq, p.partition, top, maxAcked)
			}
		}
	}
	return r
}

// inflight counts records handed to Produce whose promise has not returned.
func inflight(ps []*producer) int64 {
	var n int64
	for _, p := range ps {
		p.mu.Lock()
		n += p.sent.Load() - int64(len(p.acked)+p.failed)
		p.mu.Unlock()
	}
	return n
}

// totalAcked counts acknowledged records so far.
func totalAcked(ps []*producer) int {
	n := 0
	for _, p := range ps {
		p.mu.Lock()
		n += len(p.acked)
		p.mu.Unlock()
	}
	return n
}

// keepDataDir copies the broker's data directory out of the test's temporary directory,
// which is removed, so a failure can be examined; it logs where.
func keepDataDir(t *testing.T, b *broker) {
	dst, err := os.MkdirTemp("", "streamlite-crash-data-")
	if err == nil {
		err = os.CopyFS(filepath.Join(dst, "data"), os.DirFS(b.dataDir))
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dst, "broker.log"), []byte(b.log()), 0o644)
	}
	if err != nil {
		t.Logf("keeping the data dir: %v", err)
		return
	}
	t.Logf("data dir and broker log kept in %s", dst)
}

// crashSeed returns STREAMLITE_CRASH_SEED, or a fresh seed if it is not set.
func crashSeed(t *testing.T) uint64 {
	s := os.Getenv("STREAMLITE_CRASH_SEED")
	if s == "" {
		return uint64(time.Now().UnixNano())
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("STREAMLITE_CRASH_SEED=%q: %v", s, err)
	}
	return v
}

// envInt reads a non-negative integer from the environment, or returns def.
func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, s)
	}
	return n
}
