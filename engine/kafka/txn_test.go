package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/engine/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A transactional producer commits and aborts; a read_committed consumer sees exactly the
// committed records, a read_uncommitted one all of them.
func TestTxnCommitAndAbortReadCommitted(t *testing.T) {
	t.Parallel()
	const topic = "txn-rc"
	b := enginetest.New(t, enginetest.Topics(3, topic))
	ctx := testCtx(t)
	tx := b.Client(kgo.TransactionalID("txn-rc-producer"), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	var committed []string
	all := 0
	for round := range 6 {
		if err := tx.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		commit := round%3 != 1
		for i := range 30 {
			v := fmt.Sprintf("r%d-%d", round, i)
			produceSync(t, tx, kgo.StringRecord(v))
			all++
			if commit {
				committed = append(committed, v)
			}
		}
		if err := tx.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatalf("round %d: end (commit %t): %v", round, commit, err)
		}
	}
	// Plain records after the transactions: read_committed reaches them only if every
	// transaction before them is closed by its marker.
	plain := b.Client(kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	for i := range 3 {
		v := fmt.Sprintf("plain-%d", i)
		produceSync(t, plain, kgo.StringRecord(v))
		committed = append(committed, v)
		all++
	}

	values := func(rs []*kgo.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, string(r.Value))
		}
		slices.Sort(out)
		return out
	}
	slices.Sort(committed)
	got := values(consume(t, b, topic, len(committed), kgo.FetchIsolationLevel(kgo.ReadCommitted())))
	if !slices.Equal(got, committed) {
		t.Fatalf("read_committed got %d records %v\nwant %d %v", len(got), got, len(committed), committed)
	}
	if got := consume(t, b, topic, all); len(got) != all {
		t.Fatalf("read_uncommitted got %d records, want %d", len(got), all)
	}
}

// A consume-transform-produce loop (GroupTransactSession, two members, some transactions
// aborted on purpose) moves every input record to the output exactly once.
func TestTxnGroupTransactSessionExactlyOnce(t *testing.T) {
	t.Parallel()
	const n = 600
	b := enginetest.New(t, enginetest.Topics(3, "eos-in", "eos-out"))
	ctx := testCtx(t)
	in := b.Client(kgo.DefaultProduceTopic("eos-in"), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, kgo.StringRecord(fmt.Sprintf("in-%d", i)))
	}
	produceSync(t, in, recs...)

	out := b.Client(kgo.ConsumeTopics("eos-out"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	total := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}
	readerDone := make(chan error, 1)
	readCtx, stopReader := context.WithCancel(ctx)
	defer stopReader()
	go func() {
		for readCtx.Err() == nil {
			fs := out.PollFetches(readCtx)
			var err error
			fs.EachError(func(_ string, _ int32, e error) {
				if !errors.Is(e, context.Canceled) {
					err = e
				}
			})
			if err != nil {
				readerDone <- err
				return
			}
			mu.Lock()
			for _, r := range fs.Records() {
				seen[string(r.Value)]++
			}
			mu.Unlock()
		}
		readerDone <- nil
	}()

	var wg sync.WaitGroup
	errs := make(chan error, 2)
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess, err := kgo.NewGroupTransactSession(
				kgo.SeedBrokers(b.Addr()),
				kgo.TransactionalID(fmt.Sprintf("eos-worker-%d", w)),
				kgo.ConsumerGroup("eos"),
				kgo.ConsumeTopics("eos-in"),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
				kgo.FetchIsolationLevel(kgo.ReadCommitted()),
				kgo.DefaultProduceTopic("eos-out"),
			)
			if err != nil {
				errs <- err
				return
			}
			defer sess.Close()
			for round := 0; workCtx.Err() == nil; round++ {
				pollCtx, cancel := context.WithTimeout(workCtx, 200*time.Millisecond)
				fs := sess.PollFetches(pollCtx)
				cancel()
				if fs.Empty() {
					continue
				}
				if err := sess.Begin(); err != nil {
					errs <- fmt.Errorf("worker %d: begin: %w", w, err)
					return
				}
				fs.EachRecord(func(r *kgo.Record) {
					sess.Produce(workCtx, kgo.StringRecord("out-"+string(r.Value)), nil)
				})
				// Every fourth transaction is aborted: its input comes back and is redone.
				if _, err := sess.End(workCtx, kgo.TransactionEndTry(round%4 != 3)); err != nil {
					if workCtx.Err() != nil {
						return
					}
					errs <- fmt.Errorf("worker %d: end: %w", w, err)
					return
				}
			}
		}()
	}
	waitFor := time.Now().Add(testTimeout)
	for total() < n && time.Now().Before(waitFor) && len(errs) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // anything extra (a duplicate) would show by now
	stopWork()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	stopReader()
	if err := <-readerDone; err != nil {
		t.Fatalf("reading the output: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range n {
		v := fmt.Sprintf("out-in-%d", i)
		if seen[v] != 1 {
			t.Errorf("%s read %d times, want exactly once", v, seen[v])
		}
	}
	if len(seen) != n {
		t.Fatalf("output holds %d distinct records, want %d", len(seen), n)
	}
}

// kadm's ListTransactions and DescribeTransactions show a transaction while it is open and
// after it is committed.
func TestTxnAdminListAndDescribe(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(2, "txn-adm"))
	ctx := testCtx(t)
	tx := b.Client(kgo.TransactionalID("txn-adm-producer"), kgo.DefaultProduceTopic("txn-adm"),
		kgo.TransactionTimeout(45*time.Second))
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	produceSync(t, tx, &kgo.Record{Partition: 0, Value: []byte("a")})
	adm := kadm.NewClient(b.Client())

	described := func() kadm.DescribedTransaction {
		t.Helper()
		ds, err := adm.DescribeTransactions(ctx, "txn-adm-producer")
		if err != nil {
			t.Fatal(err)
		}
		d, ok := ds["txn-adm-producer"]
		if !ok || d.Err != nil {
			t.Fatalf("describe: %+v", ds)
		}
		return d
	}
	d := described()
	if d.State != "Ongoing" || d.TimeoutMillis != 45000 || d.StartTimestamp <= 0 || d.ProducerID < 0 {
		t.Fatalf("described %+v", d)
	}
	if ps := d.Topics["txn-adm"]; len(d.Topics) != 1 || len(ps) == 0 {
		t.Fatalf("described partitions %v", d.Topics)
	}
	list, err := adm.ListTransactions(ctx, nil, []string{"Ongoing"})
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := list["txn-adm-producer"]; !ok || l.State != "Ongoing" || l.ProducerID != d.ProducerID {
		t.Fatalf("listed %+v", list)
	}

	if err := tx.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	if d := described(); d.State != "CompleteCommit" || len(d.Topics) != 0 {
		t.Fatalf("after commit: %+v", d)
	}
	list, err = adm.ListTransactions(ctx, []int64{d.ProducerID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l := list["txn-adm-producer"]; len(list) != 1 || l.State != "CompleteCommit" {
		t.Fatalf("listed after commit %+v", list)
	}
	ds, err := adm.DescribeTransactions(ctx, "no-such-txn")
	if err != nil {
		t.Fatal(err)
	}
	if d := ds["no-such-txn"]; !errors.Is(d.Err, kerr.TransactionalIDNotFound) {
		t.Fatalf("unknown id described with %v", d.Err)
	}
}

// On the wire: a second InitProducerID with the same transactional id fences the first
// producer: its AddPartitionsToTxn and EndTxn get PRODUCER_FENCED, its transactional produce
// INVALID_PRODUCER_EPOCH and its TxnOffsetCommit PRODUCER_FENCED (v3+); EndTxn without a
// transaction is INVALID_TXN_STATE; the coordinator is this broker and __transaction_state is
// internal.
func TestTxnFencingOnTheWire(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "txn-wire"))
	c := dialRaw(t, b.Addr())

	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorType = 1
	fc.CoordinatorKeys = []string{"wire"}
	fr := c.roundTrip(fc, 4).(*kmsg.FindCoordinatorResponse)
	if len(fr.Coordinators) != 1 || fr.Coordinators[0].ErrorCode != 0 || fr.Coordinators[0].NodeID != 0 {
		t.Fatalf("FindCoordinator(transaction): %+v", fr.Coordinators)
	}

	initPID := func() (int64, int16) {
		req := kmsg.NewPtrInitProducerIDRequest()
		id := "wire"
		req.TransactionalID = &id
		req.TransactionTimeoutMillis = 60000
		resp := c.roundTrip(req, 4).(*kmsg.InitProducerIDResponse)
		errCode(t, "InitProducerID", resp.ErrorCode, nil)
		return resp.ProducerID, resp.ProducerEpoch
	}
	addPartition := func(pid int64, epoch int16) int16 {
		req := kmsg.NewPtrAddPartitionsToTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch = "wire", pid, epoch
		req.Topics = []kmsg.AddPartitionsToTxnRequestTopic{{Topic: "txn-wire", Partitions: []int32{0}}}
		resp := c.roundTrip(req, 3).(*kmsg.AddPartitionsToTxnResponse)
		return resp.Topics[0].Partitions[0].ErrorCode
	}
	endTxn := func(pid int64, epoch int16) int16 {
		req := kmsg.NewPtrEndTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = "wire", pid, epoch, true
		return c.roundTrip(req, 3).(*kmsg.EndTxnResponse).ErrorCode
	}
	produce := func(pid int64, epoch int16, seq int32) int16 {
		req := kmsg.NewPtrProduceRequest()
		id := "wire"
		req.TransactionID = &id
		req.Acks = -1
		req.TimeoutMillis = 10000
		batch := kafka.MakeBatch(t, 0, time.Now().UnixMilli(), "v")
		setTxnProducer(batch, pid, epoch, seq)
		req.Topics = []kmsg.ProduceRequestTopic{{Topic: "txn-wire", Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 0, Records: kafka.ResealBatch(batch)}}}}
		resp := c.roundTrip(req, 9).(*kmsg.ProduceResponse)
		return resp.Topics[0].Partitions[0].ErrorCode
	}

	pid, epoch := initPID()
	errCode(t, "EndTxn without a transaction", endTxn(pid, epoch), kerr.InvalidTxnState)
	errCode(t, "produce before AddPartitionsToTxn", produce(pid, epoch, 0), kerr.InvalidTxnState)
	errCode(t, "AddPartitionsToTxn", addPartition(pid, epoch), nil)
	errCode(t, "produce", produce(pid, epoch, 0), nil)

	pid2, epoch2 := initPID() // the second producer: aborts the open transaction, fences
	if pid2 != pid || epoch2 <= epoch {
		t.Fatalf("second InitProducerID: pid %d epoch %d after pid %d epoch %d", pid2, epoch2, pid, epoch)
	}
	end := listOffset(t, c, "txn-wire", 0, -1).Offset // after the fence's abort marker
	errCode(t, "fenced produce", produce(pid, epoch, 1), kerr.InvalidProducerEpoch)
	errCode(t, "fenced AddPartitionsToTxn", addPartition(pid, epoch), kerr.ProducerFenced)
	errCode(t, "fenced EndTxn", endTxn(pid, epoch), kerr.ProducerFenced)
	{
		req := kmsg.NewPtrEndTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = "no-such-id", pid, epoch, true
		errCode(t, "EndTxn of an unknown id", c.roundTrip(req, 3).(*kmsg.EndTxnResponse).ErrorCode, kerr.InvalidProducerIDMapping)
	}
	// The new producer's transaction: a sequence gap is refused as in any idempotent write.
	errCode(t, "AddPartitionsToTxn (new epoch)", addPartition(pid2, epoch2), nil)
	errCode(t, "produce (new epoch)", produce(pid2, epoch2, 0), nil)
	end++
	errCode(t, "produce with a sequence gap", produce(pid2, epoch2, 5), kerr.OutOfOrderSequenceNumber)
	if got := listOffset(t, c, "txn-wire", 0, -1).Offset; got != end {
		t.Fatalf("log end %d after the refused writes, want %d: something refused was stored", got, end)
	}
	for v, want := range map[int16]*kerr.Error{2: kerr.InvalidProducerEpoch, 3: kerr.ProducerFenced} {
		req := kmsg.NewPtrTxnOffsetCommitRequest()
		req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = "wire", "wire-group", pid, epoch
		req.Generation = -1
		req.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: "txn-wire", Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{{Partition: 0, Offset: 1}}}}
		resp := c.roundTrip(req, v).(*kmsg.TxnOffsetCommitResponse)
		errCode(t, fmt.Sprintf("fenced TxnOffsetCommit v%d", v), resp.Topics[0].Partitions[0].ErrorCode, want)
	}

	mr := kmsg.NewPtrMetadataRequest()
	st := kmsg.NewMetadataRequestTopic()
	st.Topic = kmsg.StringPtr("__transaction_state")
	mr.Topics = append(mr.Topics, st)
	meta := c.roundTrip(mr, 12).(*kmsg.MetadataResponse)
	if len(meta.Topics) != 1 || meta.Topics[0].ErrorCode != 0 || !meta.Topics[0].IsInternal || len(meta.Topics[0].Partitions) != 50 {
		t.Fatalf("__transaction_state metadata: %+v", meta.Topics)
	}
}

// setTxnProducer makes a batch transactional for producer pid at epoch, from sequence seq
// (the caller reseals it).
func setTxnProducer(b []byte, pid int64, epoch int16, seq int32) {
	b[22] |= 0x10 // attributes: transactional
	for i := range 8 {
		b[43+i] = byte(pid >> (56 - 8*i))
	}
	b[51], b[52] = byte(epoch>>8), byte(epoch)
	for i := range 4 {
		b[53+i] = byte(seq >> (24 - 8*i))
	}
}

// A transaction open across a broker restart carries on: the producer keeps writing into it
// and commits, and read_committed sees all of it, once.
func TestTxnSurvivesBrokerRestart(t *testing.T) {
	t.Parallel()
	const topic = "txn-restart"
	b := enginetest.New(t, enginetest.Durable(), enginetest.Topics(2, topic))
	ctx := testCtx(t)
	tx := b.Client(kgo.TransactionalID("txn-restart-producer"), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		produceSync(t, tx, kgo.StringRecord(fmt.Sprintf("before-%d", i)))
	}
	b.Restart()
	for i := range 10 {
		produceSync(t, tx, kgo.StringRecord(fmt.Sprintf("after-%d", i)))
	}
	if err := tx.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	got := consume(t, b, topic, 20, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	seen := map[string]bool{}
	for _, r := range got {
		if seen[string(r.Value)] {
			t.Fatalf("%s read twice", r.Value)
		}
		seen[string(r.Value)] = true
	}
	if len(seen) != 20 {
		t.Fatalf("read_committed got %d records, want 20", len(seen))
	}
}
