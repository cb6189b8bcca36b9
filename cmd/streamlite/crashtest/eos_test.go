package crashtest

import (
	"context"
	binenc "encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Limits of the exactly-once crash run.
const (
	eosInput      = "eos-in"
	eosOutput     = "eos-out"
	eosGroup      = "eos"
	eosPartitions = 4
	eosWorkers    = 3
	// eosMaxPoll bounds the records of one transaction, so that the input takes hundreds of
	// transactions and the kills land in many of them.
	eosMaxPoll = 100
	// eosTxnTimeout is the workers' transaction.timeout.ms: a transaction its worker gave up
	// on is aborted by the broker within this time.
	eosTxnTimeout = 10 * time.Second
)

// TestCrashExactlyOnce is issue 5's exactly-once crash test (must-show 3). An idempotent
// producer fills the topic eos-in with STREAMLITE_CRASH_EOS_RECORDS records (default 4,000
// per kill, at least 20,000; key and value the decimal index i) before the first kill. Then
// three consume-transform-produce workers, each a franz-go GroupTransactSession with its own
// transactional id in one consumer group, read eos-in with read_committed and write
// "out-<i>" to eos-out, at most eosMaxPoll records per transaction, committing their input
// offsets in the transaction. Meanwhile the broker is killed with SIGKILL
// STREAMLITE_CRASH_EOS_KILLS times (default 5; seed: STREAMLITE_CRASH_SEED) at random
// moments, each after the workers committed again since the last restart, and restarted on
// the same port and data directory. Workers treat an error from their session (the broker
// being away) as the end of that session: they close it and start a new one with the same
// transactional id, which fences and aborts what the old one left open. Once the group's
// committed offsets reach eos-in's end the workers stop, and eos-out, read from its start
// with read_committed, must hold every "out-<i>" exactly once and nothing else. A
// read_uncommitted pass counts the aborted records, to show that aborts happened.
func TestCrashExactlyOnce(t *testing.T) {
	kills := envInt(t, "STREAMLITE_CRASH_EOS_KILLS", 5)
	// About 4,000 records go through per kill; keep the input from running out early.
	records := envInt(t, "STREAMLITE_CRASH_EOS_RECORDS", max(20000, 4000*kills))
	seed := crashSeed(t)
	t.Logf("kills %d, records %d, seed %d (replay with STREAMLITE_CRASH_SEED=%d)", kills, records, seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0xe05e05))
	began := time.Now()

	b := newBroker(t)
	b.start()
	defer func() {
		if t.Failed() {
			t.Log(b.logTail())
			keepDataDir(t, b)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	admCl := newClient(t, b.addr, crashRetryOpts()...)
	adm := kadm.NewClient(admCl)
	seg := strconv.Itoa(64 << 10) // segments roll during the run
	for _, topic := range []string{eosInput, eosOutput} {
		resp, err := adm.CreateTopic(ctx, eosPartitions, 1, map[string]*string{"segment.bytes": &seg}, topic)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			t.Fatalf("creating topic %s: %v", topic, err)
		}
	}
	fillInput(ctx, t, b.addr, records)
	inEnds := endOffsets(ctx, t, adm, eosInput)
	t.Logf("input: %d records in %s", records, time.Since(began).Round(time.Millisecond))

	ws := make([]*eosWorker, eosWorkers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range ws {
		ws[i] = &eosWorker{id: i, addr: b.addr, rng: rand.New(rand.NewPCG(seed, uint64(i)))}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws[i].run(stop)
		}()
	}
	stopped := false
	stopWorkers := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopWorkers()

	// Each kill comes after a random delay once the workers committed a transaction since
	// the last restart (or the input is done), so that kills hit a working pipeline rather
	// than one still rejoining, and so that a broker that no longer lets transactions
	// commit after a restart shows as stalls.
	var restartSum, restartMax time.Duration
	stalls, idleKills := 0, 0
	for k := 0; k < kills; k++ {
		if !waitFor(30*time.Second, func() bool { return eosCommitted(ws) > 0 || eosDone(ws, records) }) {
			stalls++
			t.Logf("kill %d: no transaction committed in 30 s since the last restart", k+1)
		}
		if eosDone(ws, records) {
			idleKills++
		}
		time.Sleep(50*time.Millisecond + time.Duration(rng.Int64N(int64(450*time.Millisecond))))
		b.kill()
		for _, w := range ws {
			w.sinceRestart.Store(0) // no transaction can commit until the restart
		}
		t0 := time.Now()
		b.start()
		restart := time.Since(t0)
		restartSum += restart
		restartMax = max(restartMax, restart)
		if testing.Verbose() && (k+1)%10 == 0 {
			t.Logf("%d kills, %d input records committed so far", k+1, eosRecords(ws))
		}
	}

	// The broker stays up now: let the workers finish the input.
	finish := time.Now()
	var committed map[int32]int64
	if !waitFor(3*time.Minute, func() bool {
		committed = groupOffsets(ctx, adm)
		for p, end := range inEnds {
			if committed[p] < end {
				return false
			}
		}
		return true
	}) {
		t.Errorf("group %s committed offsets %v, input ends %v three minutes after the last restart", eosGroup, committed, inEnds)
	}
	finishTook := time.Since(finish)
	stopWorkers()
	for p, end := range inEnds {
		if committed[p] != end {
			t.Errorf("group %s committed offset %d for %s/%d, whose end is %d", eosGroup, committed[p], eosInput, p, end)
		}
	}

	// Every transaction is over once the workers are: the last stable offset reaches the
	// high watermark, at the latest when the broker aborts an abandoned transaction.
	var hwm, lso map[int32]int64
	if !waitFor(eosTxnTimeout+20*time.Second, func() bool {
		hwm, lso = endOffsets(ctx, t, adm, eosOutput), stableOffsets(ctx, t, adm, eosOutput)
		for p := range hwm {
			if lso[p] != hwm[p] {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("%s: last stable offsets %v still below the high watermarks %v after the workers stopped", eosOutput, lso, hwm)
	}

	r := verifyEOS(ctx, t, b.addr, records, hwm)
	var sum eosStats
	for _, w := range ws {
		sum.add(w)
		w.mu.Lock()
		for _, err := range w.errs {
			t.Logf("worker %d: %v", w.id, err)
		}
		w.mu.Unlock()
	}
	summary := fmt.Sprintf("kills %d (after the input was done %d, stalls %d), input %d, "+
		"transactions committed %d, aborted %d, End errors %d, sessions %d, "+
		"output: committed records %d, aborted records %d, commit markers %d, abort markers %d, "+
		"missing %d, duplicates %d, foreign %d, restart mean %s max %s, finish after the kills %s, took %s",
		kills, idleKills, stalls, records, sum.committed, sum.aborted, sum.endErrs, sum.sessions,
		r.committed, r.aborted, r.commitMarkers, r.abortMarkers, r.missing, r.duplicates, r.foreign,
		(restartSum / time.Duration(max(kills, 1))).Round(time.Millisecond), restartMax.Round(time.Millisecond),
		finishTook.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	t.Log(summary)
	if os.Getenv("STREAMLITE_CRASH_SUMMARY") != "" {
		fmt.Println("EOS CRASH SUMMARY:", summary)
	}
}

// fillInput produces records 0..n-1 (key and value the decimal index) to eosInput with an
// idempotent producer and waits until all are acknowledged.
func fillInput(ctx context.Context, t *testing.T, addr string, n int) {
	t.Helper()
	cl := newClient(t, addr, kgo.DefaultProduceTopic(eosInput), kgo.ProducerLinger(time.Millisecond))
	defer cl.Close()
	const chunk = 1000
	for from := 0; from < n; from += chunk {
		recs := make([]*kgo.Record, 0, chunk)
		for i := from; i < min(from+chunk, n); i++ {
			v := []byte(strconv.Itoa(i))
			recs = append(recs, &kgo.Record{Key: v, Value: v})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("filling %s: %v", eosInput, err)
		}
	}
}

// crashRetryOpts are the client options that ride out a broker restart: retry everything,
// for long, with short backoffs, and refresh metadata at once when the broker is back.
func crashRetryOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.RecordRetries(1 << 30),
		kgo.RecordDeliveryTimeout(0),
		kgo.UnknownTopicRetries(-1),
		kgo.RequestRetries(1 << 20),
		kgo.RetryTimeout(30 * time.Second),
		kgo.RetryBackoffFn(func(n int) time.Duration {
			return min(time.Duration(n)*10*time.Millisecond, 200*time.Millisecond)
		}),
		kgo.DialTimeout(time.Second),
		kgo.AlwaysRetryEOF(), // see runCrash
		kgo.MetadataMinAge(50 * time.Millisecond),
	}
}

// eosWorker is one consume-transform-produce loop and what it did.
type eosWorker struct {
	id   int
	addr string
	rng  *rand.Rand // owned by run's goroutine

	sessions     atomic.Int64 // sessions made
	committed    atomic.Int64 // transactions End reported committed
	aborted      atomic.Int64 // transactions End reported not committed
	endErrs      atomic.Int64 // End errors (each ends the session)
	records      atomic.Int64 // input records in committed transactions
	sinceRestart atomic.Int64 // committed transactions since the kill loop last reset it

	mu   sync.Mutex
	errs []error // the first few errors that ended a session
}

// eosStats sums the workers' counters.
type eosStats struct{ sessions, committed, aborted, endErrs int64 }

// add adds w's counters.
func (s *eosStats) add(w *eosWorker) {
	s.sessions += w.sessions.Load()
	s.committed += w.committed.Load()
	s.aborted += w.aborted.Load()
	s.endErrs += w.endErrs.Load()
}

// run makes sessions, one after the other, until stop is closed.
func (w *eosWorker) run(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		s, err := kgo.NewGroupTransactSession(append(crashRetryOpts(),
			kgo.SeedBrokers(w.addr),
			kgo.TransactionalID(fmt.Sprintf("eos-worker-%d", w.id)),
			kgo.TransactionTimeout(eosTxnTimeout),
			kgo.ConsumerGroup(eosGroup),
			kgo.ConsumeTopics(eosInput),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()), // RequireStable is automatic for a transact session
			kgo.SessionTimeout(6*time.Second),            // group.min.session.timeout.ms
			kgo.HeartbeatInterval(500*time.Millisecond),
			kgo.RebalanceTimeout(10*time.Second),
			kgo.DefaultProduceTopic(eosOutput),
			kgo.RecordPartitioner(kgo.ManualPartitioner()), // see eosPartition
			kgo.ProducerLinger(0),
			kgo.FetchMaxWait(100*time.Millisecond),
		)...)
		if err != nil {
			w.note(fmt.Errorf("new session: %w", err))
			return
		}
		w.sessions.Add(1)
		w.session(s, stop)
		// Leave the group with a bound, so that a broker away does not hold us for the
		// retry timeout; the next session's InitProducerID aborts what this one left open.
		lctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		s.Client().LeaveGroupContext(lctx)
		cancel()
		s.Close()
	}
}

// session runs transactions on s until stop is closed or s fails.
func (w *eosWorker) session(s *kgo.GroupTransactSession, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		pctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		fs := s.PollRecords(pctx, eosMaxPoll)
		cancel()
		if fs.IsClientClosed() {
			return
		}
		// Fetch errors while the broker is away are expected; the client retries them.
		if fs.NumRecords() == 0 {
			continue
		}
		if err := s.Begin(); err != nil {
			w.note(fmt.Errorf("begin: %w", err))
			return
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			i, _ := strconv.ParseInt(string(r.Value), 10, 64)
			out := &kgo.Record{Key: r.Key, Value: append([]byte("out-"), r.Value...), Partition: eosPartition(i)}
			s.Produce(context.Background(), out, func(*kgo.Record, error) {
				// A failed record fails the transaction; End reports it.
			})
		})
		// A pause inside the transaction, so that kills also land between the produce and
		// the commit.
		time.Sleep(time.Duration(w.rng.Int64N(int64(20 * time.Millisecond))))
		ectx, cancel := context.WithTimeout(context.Background(), time.Minute)
		committed, err := s.End(ectx, kgo.TryCommit)
		cancel()
		switch {
		case err != nil:
			w.endErrs.Add(1)
			w.note(fmt.Errorf("end: %w", err))
			return
		case committed:
			w.committed.Add(1)
			w.sinceRestart.Add(1)
			w.records.Add(int64(n))
		default:
			w.aborted.Add(1)
		}
	}
}

// eosPartition is the partition of eosOutput that input i's result goes to. The input is
// partitioned by key hash, so one transaction, which reads one input partition, writes to
// every output partition, and a kill can land between its markers.
func eosPartition(i int64) int32 { return int32(i % eosPartitions) }

// note keeps err if it is one of the first few.
func (w *eosWorker) note(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.errs) < 5 {
		w.errs = append(w.errs, err)
	}
}

// eosCommitted counts the transactions committed since the kill loop last reset the counts.
func eosCommitted(ws []*eosWorker) int64 {
	var n int64
	for _, w := range ws {
		n += w.sinceRestart.Load()
	}
	return n
}

// eosRecords counts the input records in committed transactions, as the workers saw them.
func eosRecords(ws []*eosWorker) int64 {
	var n int64
	for _, w := range ws {
		n += w.records.Load()
	}
	return n
}

// eosDone reports whether the workers committed transactions holding all records, as far
// as they know (a commit whose answer a kill lost is not counted).
func eosDone(ws []*eosWorker, records int) bool { return eosRecords(ws) >= int64(records) }

// waitFor polls cond every 50 ms until it holds (true) or timeout passes (false).
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// endOffsets returns topic's high watermarks by partition.
func endOffsets(ctx context.Context, t *testing.T, adm *kadm.Client, topic string) map[int32]int64 {
	t.Helper()
	return listed(t, topic, "end offsets")(adm.ListEndOffsets(ctx, topic))
}

// stableOffsets returns topic's last stable offsets by partition (ListOffsets with
// read_committed).
func stableOffsets(ctx context.Context, t *testing.T, adm *kadm.Client, topic string) map[int32]int64 {
	t.Helper()
	return listed(t, topic, "last stable offsets")(adm.ListCommittedOffsets(ctx, topic))
}

// listed turns a kadm listing into offsets by partition, failing the test on an error.
func listed(t *testing.T, topic, what string) func(kadm.ListedOffsets, error) map[int32]int64 {
	return func(l kadm.ListedOffsets, err error) map[int32]int64 {
		t.Helper()
		if err == nil {
			err = l.Error()
		}
		if err != nil {
			t.Fatalf("listing %s of %s: %v", what, topic, err)
		}
		m := make(map[int32]int64)
		l.Each(func(o kadm.ListedOffset) { m[o.Partition] = o.Offset })
		if len(m) != eosPartitions {
			t.Fatalf("listing %s of %s: %d partitions, want %d", what, topic, len(m), eosPartitions)
		}
		return m
	}
}

// groupOffsets returns eosGroup's committed offsets of eosInput by partition (none on an
// error: the caller polls).
func groupOffsets(ctx context.Context, adm *kadm.Client) map[int32]int64 {
	m := make(map[int32]int64)
	resps, err := adm.FetchOffsets(ctx, eosGroup)
	if err != nil {
		return m
	}
	resps.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.Topic == eosInput {
			m[o.Partition] = o.At
		}
	})
	return m
}

// eosResult is what verifyEOS found in the output.
type eosResult struct {
	committed     int64 // data records read with read_committed
	aborted       int64 // data records read with read_uncommitted only
	commitMarkers int64 // control records of either read, from read_uncommitted
	abortMarkers  int64
	missing       int64 // inputs without an output record
	duplicates    int64 // extra output records of an input
	foreign       int64 // output records that are no input's result, or in the wrong partition
}

// verifyEOS reads eosOutput twice up to hwm (which must be the last stable offsets too):
// with read_committed it checks that every input's result is there exactly once and nothing
// else; with read_uncommitted it counts the aborted records and the markers.
func verifyEOS(ctx context.Context, t *testing.T, addr string, records int, hwm map[int32]int64) eosResult {
	t.Helper()
	var r eosResult
	report := func(kind string, n int64, format string, args ...any) {
		if n <= 5 {
			t.Errorf(kind+": "+format, args...)
		}
	}

	committed := readOutput(ctx, t, addr, kgo.ReadCommitted(), hwm)
	count := make([]uint16, records)
	where := make([]string, records) // the first copy's partition/offset, for reports
	for po, i := range committed.data {
		r.committed++
		if i < 0 || i >= int64(records) || eosPartition(i) != po.partition {
			r.foreign++
			report("foreign record", r.foreign, "%s %s holds no input's result", eosOutput, po)
			continue
		}
		count[i]++
		if count[i] == 1 {
			where[i] = po.String()
		} else {
			r.duplicates++
			report("duplicate", r.duplicates, "out-%d at %s, also at %s", i, po, where[i])
		}
	}
	for i, n := range count {
		if n == 0 {
			r.missing++
			report("missing", r.missing, "no out-%d in %s read with read_committed", i, eosOutput)
		}
	}

	all := readOutput(ctx, t, addr, kgo.ReadUncommitted(), hwm)
	r.commitMarkers, r.abortMarkers = all.commits, all.aborts
	for po, i := range all.data {
		j, ok := committed.data[po]
		switch {
		case !ok:
			r.aborted++
		case i != j:
			t.Errorf("%s %s: input %d read with read_uncommitted, %d with read_committed", eosOutput, po, i, j)
		}
	}
	if int64(len(all.data)) < r.committed {
		t.Errorf("read_committed saw %d data records, read_uncommitted only %d", r.committed, len(all.data))
	}
	return r
}

// partOffset names a record of eosOutput.
type partOffset struct {
	partition int32
	offset    int64
}

// String is "partition/offset".
func (po partOffset) String() string { return fmt.Sprintf("%d/%d", po.partition, po.offset) }

// outputRead is one read of eosOutput.
type outputRead struct {
	data            map[partOffset]int64 // data records: the input index, -1 if not "out-<i>" keyed i
	commits, aborts int64                // control records
}

// readOutput reads every partition of eosOutput from its start to ends with a fresh client
// at isolation level level, keeping control records, which a completed transaction always
// ends with: so the record at ends[p]-1 is seen at either level.
func readOutput(ctx context.Context, t *testing.T, addr string, level kgo.IsolationLevel, ends map[int32]int64) outputRead {
	t.Helper()
	parts := make(map[int32]kgo.Offset, len(ends))
	next := make(map[int32]int64, len(ends))
	for p := range ends {
		parts[p] = kgo.NewOffset().AtStart()
		next[p] = 0
	}
	cl := newClient(t, addr,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{eosOutput: parts}),
		kgo.FetchIsolationLevel(level),
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	defer cl.Close()
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	out := outputRead{data: make(map[partOffset]int64)}
	done := func() bool {
		for p, end := range ends {
			if next[p] < end {
				return false
			}
		}
		return true
	}
	for !done() {
		fs := cl.PollFetches(rctx)
		if rctx.Err() != nil {
			t.Fatalf("reading %s: stuck at offsets %v of %v", eosOutput, next, ends)
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Logf("fetch %s/%d: %v (retrying)", topic, p, err)
		})
		fs.EachRecord(func(rec *kgo.Record) {
			p := rec.Partition
			if rec.Offset >= ends[p] {
				return // after the end we listed; none is expected
			}
			next[p] = max(next[p], rec.Offset+1)
			if rec.Attrs.IsControl() {
				if len(rec.Key) >= 4 && binenc.BigEndian.Uint16(rec.Key[2:]) == 1 {
					out.commits++
				} else {
					out.aborts++
				}
				return
			}
			out.data[partOffset{p, rec.Offset}] = inputIndex(rec)
		})
	}
	return out
}

// inputIndex returns i for a record keyed i with value "out-<i>", or -1.
func inputIndex(rec *kgo.Record) int64 {
	i, err := strconv.ParseInt(string(rec.Key), 10, 64)
	if err != nil || i < 0 || strconv.FormatInt(i, 10) != string(rec.Key) || string(rec.Value) != "out-"+string(rec.Key) {
		return -1
	}
	return i
}
