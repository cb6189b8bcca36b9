package txn

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/group"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// InitProducerID: a new id gets epoch 0, each re-init bumps the epoch, and the second producer
// fences the first: its AddPartitionsToTxn and EndTxn get PRODUCER_FENCED (v2+;
// INVALID_PRODUCER_EPOCH below) and its transactional writes INVALID_PRODUCER_EPOCH.
func TestInitProducerIDBumpsEpochAndFences(t *testing.T) {
	f := newFixture(t, false, Config{})
	f.createTopic("t", 2)
	p0 := tp{"t", 0}

	pid, e0 := f.init("a", 60000)
	if e0 != 0 {
		t.Fatalf("first epoch %d, want 0", e0)
	}
	pid1, e1 := f.init("a", 60000)
	if pid1 != pid || e1 != 1 {
		t.Fatalf("re-init: pid %d epoch %d, want %d and 1", pid1, e1, pid)
	}
	f.wantState("a", "Empty", pid, 1)

	// The zombie at epoch 0.
	for x, code := range f.addParts(3, "a", pid, 0, p0) {
		wantCode(t, "zombie AddPartitionsToTxn v3 "+x.topic, code, kerr.ProducerFenced)
	}
	for _, code := range f.addParts(1, "a", pid, 0, p0) {
		wantCode(t, "zombie AddPartitionsToTxn v1", code, kerr.InvalidProducerEpoch)
	}
	wantCode(t, "zombie AddOffsetsToTxn v3", f.addOffsets(3, "a", pid, 0, "g"), kerr.ProducerFenced)
	wantCode(t, "zombie EndTxn v3", f.end(3, "a", pid, 0, true), kerr.ProducerFenced)
	wantCode(t, "zombie EndTxn v1", f.end(1, "a", pid, 0, true), kerr.InvalidProducerEpoch)

	// The live producer opens a transaction; the zombie cannot write into it.
	f.add("a", pid, 1, nil, p0)
	_, err := f.c.BeginWrite("a", pid, 0, "t", 0)
	wantErr(t, "zombie BeginWrite", err, kerr.InvalidProducerEpoch)
	f.produce("a", pid, 1, 0, p0, "live")
	wantCode(t, "EndTxn", f.end(3, "a", pid, 1, true), nil)
	f.wantState("a", "CompleteCommit", pid, 1)
}

// KIP-360: a v3+ InitProducerID passing the caller's id and epoch bumps the epoch only if they
// are the current ones; a retry of that call gets the same answer; anything else is fenced
// (PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH below).
func TestInitProducerIDKIP360(t *testing.T) {
	f := newFixture(t, false, Config{})
	pid, _ := f.init("a", 60000) // epoch 0

	r := f.c.InitProducerID(testCtx(t), initReq(4, "a", 60000, pid, 0))
	wantCode(t, "KIP-360 bump", r.ErrorCode, nil)
	if r.ProducerID != pid || r.ProducerEpoch != 1 {
		t.Fatalf("KIP-360 bump: pid %d epoch %d, want %d and 1", r.ProducerID, r.ProducerEpoch, pid)
	}
	end := f.stateEnd()
	r = f.c.InitProducerID(testCtx(t), initReq(4, "a", 60000, pid, 0))
	wantCode(t, "retry", r.ErrorCode, nil)
	if r.ProducerID != pid || r.ProducerEpoch != 1 {
		t.Fatalf("retry: pid %d epoch %d, want %d and 1", r.ProducerID, r.ProducerEpoch, pid)
	}
	if !slices.Equal(end, f.stateEnd()) {
		t.Fatal("a retried InitProducerID wrote state")
	}

	f.init("a", 60000) // another producer takes the id: epoch 2; the retry window closes
	r = f.c.InitProducerID(testCtx(t), initReq(4, "a", 60000, pid, 1))
	wantCode(t, "stale KIP-360 v4", r.ErrorCode, kerr.ProducerFenced)
	r = f.c.InitProducerID(testCtx(t), initReq(3, "a", 60000, pid, 0))
	wantCode(t, "stale KIP-360 v3", r.ErrorCode, kerr.InvalidProducerEpoch)
	r = f.c.InitProducerID(testCtx(t), initReq(4, "a", 60000, pid+1000, 2))
	wantCode(t, "other producer id", r.ErrorCode, kerr.ProducerFenced)
	f.wantState("a", "Empty", pid, 2)

	// An unknown id with a KIP-360 id and epoch (the producer's id expired) starts afresh.
	r = f.c.InitProducerID(testCtx(t), initReq(4, "b", 60000, 77, 3))
	wantCode(t, "KIP-360 for an unknown id", r.ErrorCode, nil)
	if r.ProducerEpoch != 0 {
		t.Fatalf("unknown id: epoch %d, want 0", r.ProducerEpoch)
	}
}

// An exhausted epoch (MaxInt16-1) is never bumped: the id gets a fresh producer id at epoch 0,
// and a KIP-360 retry with the old id and epoch gets the same answer.
func TestInitProducerIDRotatesAnExhaustedEpoch(t *testing.T) {
	f := newFixture(t, false, Config{})
	pid, _ := f.init("a", 60000)
	s := txnState{pid: pid, epoch: math.MaxInt16 - 1, timeoutMs: 60000, state: kmsg.TransactionStateEmpty,
		parts: map[topicPartition]struct{}{}, startMs: -1, updateMs: time.Now().UnixMilli()}
	if err := f.c.persist("a", &s); err != nil {
		t.Fatal(err)
	}
	f.restartCoordinator()
	f.wantState("a", "Empty", pid, math.MaxInt16-1)

	r := f.c.InitProducerID(testCtx(t), initReq(4, "a", 60000, pid, math.MaxInt16-1))
	wantCode(t, "rotate", r.ErrorCode, nil)
	if r.ProducerID == pid || r.ProducerEpoch != 0 {
		t.Fatalf("rotate: pid %d epoch %d, want a new pid (not %d) at 0", r.ProducerID, r.ProducerEpoch, pid)
	}
	again := f.c.InitProducerID(testCtx(t), initReq(4, "a", 60000, pid, math.MaxInt16-1))
	wantCode(t, "retry of rotate", again.ErrorCode, nil)
	if again.ProducerID != r.ProducerID || again.ProducerEpoch != 0 {
		t.Fatalf("retry of rotate: pid %d epoch %d, want %d at 0", again.ProducerID, again.ProducerEpoch, r.ProducerID)
	}
}

// Bad input gets Kafka's error codes and writes nothing to __transaction_state.
func TestBadRequests(t *testing.T) {
	f := newFixture(t, false, Config{MaxTimeout: time.Minute})
	f.createTopic("t", 1)
	p0 := tp{"t", 0}
	pid, epoch := f.init("a", 60000)
	before := f.stateEnd()

	for _, timeout := range []int32{0, -1, 60001} {
		r := f.c.InitProducerID(testCtx(t), initReq(4, "a", timeout, -1, -1))
		wantCode(t, "InitProducerID timeout", r.ErrorCode, kerr.InvalidTransactionTimeout)
		if r.ProducerID != -1 || r.ProducerEpoch != -1 {
			t.Fatalf("refused InitProducerID answered pid %d epoch %d", r.ProducerID, r.ProducerEpoch)
		}
	}
	wantCode(t, "InitProducerID empty id", f.c.InitProducerID(testCtx(t), initReq(4, "", 1000, -1, -1)).ErrorCode, kerr.InvalidRequest)

	// Unknown transactional ids and other producer ids.
	f.add("nope", pid, epoch, kerr.InvalidProducerIDMapping, p0)
	f.add("a", pid+1, epoch, kerr.InvalidProducerIDMapping, p0)
	wantCode(t, "AddOffsetsToTxn unknown id", f.addOffsets(3, "nope", pid, epoch, "g"), kerr.InvalidProducerIDMapping)
	wantCode(t, "EndTxn unknown id", f.end(3, "nope", pid, epoch, true), kerr.InvalidProducerIDMapping)
	wantCode(t, "EndTxn other producer id", f.end(3, "a", pid+1, epoch, true), kerr.InvalidProducerIDMapping)
	_, err := f.c.BeginWrite("nope", pid, epoch, "t", 0)
	wantErr(t, "BeginWrite unknown id", err, kerr.InvalidProducerIDMapping)
	_, err = f.c.BeginWrite("a", pid+1, epoch, "t", 0)
	wantErr(t, "BeginWrite other producer id", err, kerr.InvalidProducerIDMapping)

	// EndTxn without a transaction; a write with no transaction open.
	wantCode(t, "EndTxn commit without a transaction", f.end(3, "a", pid, epoch, true), kerr.InvalidTxnState)
	wantCode(t, "EndTxn abort without a transaction", f.end(3, "a", pid, epoch, false), kerr.InvalidTxnState)
	_, err = f.c.BeginWrite("a", pid, epoch, "t", 0)
	wantErr(t, "BeginWrite without a transaction", err, kerr.InvalidTxnState)

	// A partition that does not exist: the others are not attempted.
	codes := f.addParts(3, "a", pid, epoch, p0, tp{"t", 5}, tp{"missing", 0})
	wantCode(t, "existing partition", codes[p0], kerr.OperationNotAttempted)
	wantCode(t, "partition 5", codes[tp{"t", 5}], kerr.UnknownTopicOrPartition)
	wantCode(t, "missing topic", codes[tp{"missing", 0}], kerr.UnknownTopicOrPartition)
	f.add("", pid, epoch, kerr.InvalidRequest, p0)
	wantCode(t, "EndTxn empty id", f.end(3, "", pid, epoch, true), kerr.InvalidRequest)

	if !slices.Equal(before, f.stateEnd()) {
		t.Fatalf("refused requests wrote state: log ends %v, then %v", before, f.stateEnd())
	}
	f.wantState("a", "Empty", pid, epoch)

	// A write to a partition the transaction does not hold.
	f.createTopic("u", 1)
	f.add("a", pid, epoch, nil, p0)
	_, err = f.c.BeginWrite("a", pid, epoch, "u", 0)
	wantErr(t, "BeginWrite partition not added", err, kerr.InvalidTxnState)

	// After a commit: its retry succeeds, an abort of it is INVALID_TXN_STATE.
	wantCode(t, "EndTxn", f.end(3, "a", pid, epoch, true), nil)
	wantCode(t, "EndTxn commit retry", f.end(3, "a", pid, epoch, true), nil)
	wantCode(t, "EndTxn abort after commit", f.end(3, "a", pid, epoch, false), kerr.InvalidTxnState)
	f.add("a", pid, epoch, nil, p0)
	wantCode(t, "EndTxn abort", f.end(3, "a", pid, epoch, false), nil)
	wantCode(t, "EndTxn abort retry", f.end(3, "a", pid, epoch, false), nil)
	wantCode(t, "EndTxn commit after abort", f.end(3, "a", pid, epoch, true), kerr.InvalidTxnState)
}

// Commit and abort markers land in every partition of the transaction, data partitions and
// the group's __consumer_offsets partition alike, after the transaction's records.
func TestMarkersLandInEveryPartition(t *testing.T) {
	f := newFixture(t, true, Config{})
	f.createTopic("a", 3)
	f.createTopic("b", 2)
	parts := []tp{{"a", 0}, {"a", 1}, {"a", 2}, {"b", 0}, {"b", 1}}
	pid, epoch := f.init("x", 60000)
	op, err := f.groups.OffsetsPartition("g")
	if err != nil {
		t.Fatal(err)
	}
	offsets := tp{group.OffsetsTopic, op}

	var want []log.Marker
	for i, commit := range []bool{true, false, true} {
		f.add("x", pid, epoch, nil, parts...)
		wantCode(t, "AddOffsetsToTxn", f.addOffsets(3, "x", pid, epoch, "g"), nil)
		st := f.wantState("x", "Ongoing", pid, epoch)
		if len(st.Topics) != 3 || st.StartTimestamp <= 0 {
			t.Fatalf("described: %+v", st)
		}
		last := map[tp]int64{}
		for _, x := range parts {
			last[x] = f.produce("x", pid, epoch, int32(i), x, "v")
		}
		wantCode(t, "EndTxn", f.end(3, "x", pid, epoch, commit), nil)
		want = append(want, log.Marker{ProducerID: pid, ProducerEpoch: epoch, Commit: commit})
		for _, x := range parts {
			ms := f.wantMarkers(x, want...)
			if ms[len(ms)-1].offset <= last[x] {
				t.Fatalf("%s/%d: marker at %d, before the record at %d", x.topic, x.partition, ms[len(ms)-1].offset, last[x])
			}
			if lp := f.cl.Topic(x.topic).Partition(x.partition); lp.LastStableOffset() != lp.HighWatermark() {
				t.Fatalf("%s/%d: last stable offset %d, high watermark %d", x.topic, x.partition, lp.LastStableOffset(), lp.HighWatermark())
			}
		}
		f.wantMarkers(offsets, want...)
		state := "CompleteAbort"
		if commit {
			state = "CompleteCommit"
		}
		if st := f.wantState("x", state, pid, epoch); len(st.Topics) != 0 {
			t.Fatalf("completed transaction still lists partitions: %+v", st.Topics)
		}
	}
}

// While a transactional append is between BeginWrite and release, EndTxn decides but waits to
// write markers; BeginWrite refuses new appends once the transaction is decided; the marker
// lands after the append.
func TestEndTxnWaitsForWritesInFlight(t *testing.T) {
	f := newFixture(t, false, Config{})
	f.createTopic("t", 1)
	p0 := tp{"t", 0}
	pid, epoch := f.init("a", 60000)
	f.add("a", pid, epoch, nil, p0)
	release, err := f.c.BeginWrite("a", pid, epoch, "t", 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int16, 1)
	go func() { done <- f.end(3, "a", pid, epoch, true) }()
	waitFor(t, "the commit to be decided", func() bool { return f.describe("a").State == "PrepareCommit" })
	_, err = f.c.BeginWrite("a", pid, epoch, "t", 0)
	wantErr(t, "BeginWrite after the decision", err, kerr.InvalidTxnState)
	select {
	case code := <-done:
		t.Fatalf("EndTxn answered (%v) with a write in flight", kerr.ErrorForCode(code))
	case <-time.After(50 * time.Millisecond):
	}
	lp := f.cl.Topic("t").Partition(0)
	res, err := lp.Append(txnBatch(pid, epoch, 0, "late but admitted"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	release()
	release() // harmless
	wantCode(t, "EndTxn", <-done, nil)
	ms := f.wantMarkers(p0, log.Marker{ProducerID: pid, ProducerEpoch: epoch, Commit: true})
	if ms[0].offset <= res.LastOffset {
		t.Fatalf("marker at %d, before the admitted batch ending at %d", ms[0].offset, res.LastOffset)
	}
}

// A transaction that outlives its timeout is aborted with the epoch bumped: abort markers of
// the new epoch in its partitions, and the producer fenced everywhere.
func TestTimeoutAbortsAndFences(t *testing.T) {
	f := newFixture(t, false, Config{CheckInterval: 5 * time.Millisecond})
	f.run()
	f.createTopic("t", 2)
	parts := []tp{{"t", 0}, {"t", 1}}
	pid, epoch := f.init("a", 100)
	f.add("a", pid, epoch, nil, parts...)
	f.produce("a", pid, epoch, 0, parts[0], "doomed")
	lp := f.cl.Topic("t").Partition(0)
	if lp.LastStableOffset() == lp.HighWatermark() {
		t.Fatal("an open transaction does not hold the last stable offset back")
	}
	waitFor(t, "the timeout abort", func() bool { return f.describe("a").State == "CompleteAbort" })
	f.wantState("a", "CompleteAbort", pid, epoch+1)
	for _, x := range parts {
		f.wantMarkers(x, log.Marker{ProducerID: pid, ProducerEpoch: epoch + 1})
	}
	if lp.LastStableOffset() != lp.HighWatermark() {
		t.Fatalf("last stable offset %d after the abort, high watermark %d", lp.LastStableOffset(), lp.HighWatermark())
	}
	_, err := f.c.BeginWrite("a", pid, epoch, "t", 0)
	wantErr(t, "BeginWrite after the timeout", err, kerr.InvalidProducerEpoch)
	if _, err := lp.Append(txnBatch(pid, epoch, 1, "zombie"), time.Now()); err != log.ErrInvalidProducerEpoch {
		t.Fatalf("the partition took a batch of the fenced epoch: %v", err)
	}
	wantCode(t, "EndTxn after the timeout", f.end(3, "a", pid, epoch, true), kerr.ProducerFenced)
	f.add("a", pid, epoch, kerr.ProducerFenced, parts[0])

	// The producer starts over with InitProducerID and goes on.
	pid2, epoch2 := f.init("a", 60000)
	if pid2 != pid || epoch2 != epoch+2 {
		t.Fatalf("re-init: pid %d epoch %d, want %d and %d", pid2, epoch2, pid, epoch+2)
	}
	f.add("a", pid, epoch2, nil, parts[0])
	f.produce("a", pid, epoch2, 0, parts[0], "again")
	wantCode(t, "EndTxn", f.end(3, "a", pid, epoch2, true), nil)
}

// InitProducerID finding a transaction open aborts it with the epoch bumped (fencing the old
// producer in its partitions) and answers the epoch after that.
func TestInitProducerIDAbortsTheOpenTransaction(t *testing.T) {
	f := newFixture(t, false, Config{})
	f.createTopic("t", 1)
	p0 := tp{"t", 0}
	pid, epoch := f.init("a", 60000)
	f.add("a", pid, epoch, nil, p0)
	f.produce("a", pid, epoch, 0, p0, "zombie's")

	pid2, epoch2 := f.init("a", 60000)
	if pid2 != pid || epoch2 != epoch+2 {
		t.Fatalf("re-init: pid %d epoch %d, want %d and %d", pid2, epoch2, pid, epoch+2)
	}
	f.wantMarkers(p0, log.Marker{ProducerID: pid, ProducerEpoch: epoch + 1})
	f.wantState("a", "Empty", pid, epoch2)
	_, err := f.c.BeginWrite("a", pid, epoch, "t", 0)
	wantErr(t, "zombie BeginWrite", err, kerr.InvalidProducerEpoch)
	wantCode(t, "zombie EndTxn", f.end(3, "a", pid, epoch, true), kerr.ProducerFenced)
}

// DescribeTransactions and ListTransactions: states by Kafka's names, filters, unknown ids.
func TestDescribeAndListTransactions(t *testing.T) {
	f := newFixture(t, false, Config{})
	f.createTopic("t", 2)
	pidE, _ := f.init("empty", 1000)
	pidO, epochO := f.init("ongoing", 60000)
	f.add("ongoing", pidO, epochO, nil, tp{"t", 1}, tp{"t", 0})
	pidC, epochC := f.init("committed", 2000)
	f.add("committed", pidC, epochC, nil, tp{"t", 0})
	wantCode(t, "EndTxn", f.end(3, "committed", pidC, epochC, true), nil)

	st := f.wantState("ongoing", "Ongoing", pidO, epochO)
	if st.TimeoutMillis != 60000 || st.StartTimestamp <= 0 || len(st.Topics) != 1 || !slices.Equal(st.Topics[0].Partitions, []int32{0, 1}) {
		t.Fatalf("ongoing described as %+v", st)
	}
	if st := f.wantState("empty", "Empty", pidE, 0); st.StartTimestamp != -1 || st.TimeoutMillis != 1000 {
		t.Fatalf("empty described as %+v", st)
	}
	f.wantState("committed", "CompleteCommit", pidC, epochC)
	wantCode(t, "describe unknown", f.describe("nope").ErrorCode, kerr.TransactionalIDNotFound)

	list := func(v int16, states []string, pids []int64, duration int64) (ids []string, unknown []string) {
		req := kmsg.NewPtrListTransactionsRequest()
		req.Version = v
		req.StateFilters, req.ProducerIDFilters, req.DurationFilterMillis = states, pids, duration
		resp := f.c.ListTransactions(req)
		wantCode(t, "ListTransactions", resp.ErrorCode, nil)
		for _, ts := range resp.TransactionStates {
			ids = append(ids, ts.TransactionalID+"="+ts.TransactionState)
		}
		return ids, resp.UnknownStateFilters
	}
	if ids, _ := list(0, nil, nil, -1); !slices.Equal(ids, []string{"committed=CompleteCommit", "empty=Empty", "ongoing=Ongoing"}) {
		t.Fatalf("list all: %v", ids)
	}
	if ids, unknown := list(0, []string{"Ongoing", "Bogus"}, nil, -1); !slices.Equal(ids, []string{"ongoing=Ongoing"}) || !slices.Equal(unknown, []string{"Bogus"}) {
		t.Fatalf("list Ongoing+Bogus: %v, unknown %v", ids, unknown)
	}
	if ids, _ := list(0, []string{"Bogus"}, nil, -1); len(ids) != 0 {
		t.Fatalf("list with only an unknown state: %v", ids)
	}
	if ids, _ := list(0, nil, []int64{pidE, pidC}, -1); !slices.Equal(ids, []string{"committed=CompleteCommit", "empty=Empty"}) {
		t.Fatalf("list by producer id: %v", ids)
	}
	// v1: only transactions started more than an hour ago (an id that never began one has
	// start -1 and passes, as in Kafka).
	if ids, _ := list(1, nil, nil, time.Hour.Milliseconds()); !slices.Equal(ids, []string{"empty=Empty"}) {
		t.Fatalf("list by duration: %v", ids)
	}
	// v0 ignores the duration filter.
	if ids, _ := list(0, nil, nil, time.Hour.Milliseconds()); len(ids) != 3 {
		t.Fatalf("v0 applied the duration filter: %v", ids)
	}
}

// An id idle for transactional.id.expiration.ms with no transaction open is removed (a
// tombstone in __transaction_state, so it stays removed after a restart); an open transaction
// keeps its id.
func TestTransactionalIDExpiry(t *testing.T) {
	f := newFixture(t, true, Config{CheckInterval: 5 * time.Millisecond, IDExpiration: 200 * time.Millisecond})
	f.createTopic("t", 1)
	pid, epoch := f.init("idle", 60000)
	pidO, epochO := f.init("open", 60000)
	f.add("open", pidO, epochO, nil, tp{"t", 0})
	f.run()
	waitFor(t, "the idle id to expire", func() bool { return f.describe("idle").ErrorCode == kerr.TransactionalIDNotFound.Code })
	f.wantState("open", "Ongoing", pidO, epochO)
	wantCode(t, "EndTxn of an expired id", f.end(3, "idle", pid, epoch, true), kerr.InvalidProducerIDMapping)

	f.restart()
	wantCode(t, "expired id after restart", f.describe("idle").ErrorCode, kerr.TransactionalIDNotFound)
	f.wantState("open", "Ongoing", pidO, epochO)
	pid2, epoch2 := f.init("idle", 60000)
	if pid2 == pid || epoch2 != 0 {
		t.Fatalf("re-used expired id: pid %d epoch %d, want a fresh pid at 0", pid2, epoch2)
	}
}
