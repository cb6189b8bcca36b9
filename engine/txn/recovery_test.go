package txn

import (
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/group"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Every id's state comes back after a restart: producer id, epoch, timeout, state and the
// partitions of an open transaction, which can then be committed.
func TestStateSurvivesRestart(t *testing.T) {
	f := newFixture(t, true, Config{})
	f.createTopic("t", 2)
	pidE, epochE := f.init("empty", 1000)
	pidO, epochO := f.init("ongoing", 60000)
	f.add("ongoing", pidO, epochO, nil, tp{"t", 0}, tp{"t", 1})
	f.produce("ongoing", pidO, epochO, 0, tp{"t", 1}, "pending")
	f.init("committed", 60000)
	pidC, epochC := f.init("committed", 60000) // epoch 1
	f.add("committed", pidC, epochC, nil, tp{"t", 0})
	wantCode(t, "EndTxn", f.end(3, "committed", pidC, epochC, true), nil)
	before := f.describe("ongoing")

	f.restart()
	f.wantState("empty", "Empty", pidE, epochE)
	f.wantState("committed", "CompleteCommit", pidC, epochC)
	after := f.wantState("ongoing", "Ongoing", pidO, epochO)
	if after.TimeoutMillis != before.TimeoutMillis || after.StartTimestamp != before.StartTimestamp ||
		len(after.Topics) != 1 || len(after.Topics[0].Partitions) != 2 {
		t.Fatalf("ongoing after restart %+v, before %+v", after, before)
	}

	// The producers go on where they were.
	f.produce("ongoing", pidO, epochO, 1, tp{"t", 1}, "more")
	wantCode(t, "EndTxn after restart", f.end(3, "ongoing", pidO, epochO, true), nil)
	f.wantMarkers(tp{"t", 1}, log.Marker{ProducerID: pidO, ProducerEpoch: epochO, Commit: true})
	if pid, epoch := f.init("empty", 1000); pid != pidE || epoch != epochE+1 {
		t.Fatalf("re-init after restart: pid %d epoch %d, want %d and %d", pid, epoch, pidE, epochE+1)
	}
	// Producer ids are never handed out twice across restarts.
	if pid, _ := f.init("new", 1000); pid == pidE || pid == pidO || pid == pidC {
		t.Fatalf("new id got producer id %d, already in use", pid)
	}
}

// A transaction found PrepareCommit or PrepareAbort at start (the crash came between the
// decision and the markers) gets its markers, in data partitions and in __consumer_offsets,
// and is completed before New returns; the group's transactional offsets are committed with
// it, or dropped.
func TestPreparedTransactionIsFinishedAtStart(t *testing.T) {
	for _, commit := range []bool{true, false} {
		name := map[bool]string{true: "commit", false: "abort"}[commit]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, true, Config{})
			f.createTopic("t", 2)
			parts := []tp{{"t", 0}, {"t", 1}}
			pid, epoch := f.init("a", 60000)
			f.add("a", pid, epoch, nil, parts...)
			wantCode(t, "AddOffsetsToTxn", f.addOffsets(3, "a", pid, epoch, "g"), nil)
			for _, x := range parts {
				f.produce("a", pid, epoch, 0, x, "v")
			}
			f.txnOffsetCommit("a", pid, epoch, "g", tp{"t", 0}, 42)

			// The crash: the decision is durable, no marker is written.
			prepared := f.c.lookup("a").s.clone()
			prepared.state = kmsg.TransactionStatePrepareAbort
			if commit {
				prepared.state = kmsg.TransactionStatePrepareCommit
			}
			if err := f.c.persist("a", &prepared); err != nil {
				t.Fatal(err)
			}
			f.restart()

			state := map[bool]string{true: "CompleteCommit", false: "CompleteAbort"}[commit]
			f.wantState("a", state, pid, epoch)
			m := log.Marker{ProducerID: pid, ProducerEpoch: epoch, Commit: commit}
			for _, x := range parts {
				f.wantMarkers(x, m)
				if lp := f.cl.Topic(x.topic).Partition(x.partition); lp.LastStableOffset() != lp.HighWatermark() {
					t.Fatalf("%s/%d: last stable offset %d, high watermark %d", x.topic, x.partition, lp.LastStableOffset(), lp.HighWatermark())
				}
			}
			op, err := f.groups.OffsetsPartition("g")
			if err != nil {
				t.Fatal(err)
			}
			f.wantMarkers(tp{group.OffsetsTopic, op}, m)
			want := int64(-1)
			if commit {
				want = 42
			}
			if got := f.committed("g", tp{"t", 0}); got != want {
				t.Fatalf("committed offset %d after recovery, want %d", got, want)
			}
		})
	}
}

// A marker write that fails leaves the transaction decided (EndTxn answers success, as Kafka
// does once the decision is durable) with the partition still to do: the id's next requests
// get CONCURRENT_TRANSACTIONS, the opposite outcome INVALID_TXN_STATE, and the restart writes
// the missing markers (again where one landed: harmless).
func TestFailedMarkerWriteKeepsTheDecision(t *testing.T) {
	f := newFixture(t, true, Config{})
	f.createTopic("t", 2)
	p0, p1 := tp{"t", 0}, tp{"t", 1}
	pid, epoch := f.init("a", 60000)
	f.add("a", pid, epoch, nil, p0, p1)
	f.produce("a", pid, epoch, 0, p0, "v")
	f.produce("a", pid, epoch, 0, p1, "v")
	if err := f.cl.Topic("t").Partition(1).Close(); err != nil { // the marker write to t/1 fails
		t.Fatal(err)
	}

	wantCode(t, "EndTxn", f.end(3, "a", pid, epoch, true), nil)
	st := f.wantState("a", "PrepareCommit", pid, epoch)
	if len(st.Topics) != 1 || len(st.Topics[0].Partitions) != 1 || st.Topics[0].Partitions[0] != 1 {
		t.Fatalf("partitions still to do: %+v, want t/1", st.Topics)
	}
	m := log.Marker{ProducerID: pid, ProducerEpoch: epoch, Commit: true}
	f.wantMarkers(p0, m)
	f.add("a", pid, epoch, kerr.ConcurrentTransactions, p0)
	wantCode(t, "InitProducerID", f.c.InitProducerID(testCtx(t), initReq(4, "a", 60000, -1, -1)).ErrorCode, kerr.ConcurrentTransactions)
	wantCode(t, "EndTxn commit retry", f.end(3, "a", pid, epoch, true), kerr.ConcurrentTransactions)
	wantCode(t, "EndTxn abort", f.end(3, "a", pid, epoch, false), kerr.InvalidTxnState)
	_, err := f.c.BeginWrite("a", pid, epoch, "t", 0)
	wantErr(t, "BeginWrite while decided", err, kerr.InvalidTxnState)

	f.restart()
	f.wantState("a", "CompleteCommit", pid, epoch)
	f.wantMarkers(p0, m, m)
	f.wantMarkers(p1, m)
}

// Run retries the markers of a decided transaction: here the partition that refused them is
// deleted, so the transaction completes without it.
func TestRunFinishesADecidedTransaction(t *testing.T) {
	f := newFixture(t, false, Config{CheckInterval: 5 * time.Millisecond})
	f.createTopic("t", 1)
	f.createTopic("gone", 1)
	pid, epoch := f.init("a", 60000)
	f.add("a", pid, epoch, nil, tp{"t", 0}, tp{"gone", 0})
	if err := f.cl.Topic("gone").Partition(0).Close(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "EndTxn", f.end(3, "a", pid, epoch, false), nil)
	f.wantState("a", "PrepareAbort", pid, epoch)
	f.run()
	time.Sleep(30 * time.Millisecond) // a few failing retries
	f.wantState("a", "PrepareAbort", pid, epoch)
	if err := f.cl.DeleteTopic("gone"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the abort to complete", func() bool { return f.describe("a").State == "CompleteAbort" })
	f.wantMarkers(tp{"t", 0}, log.Marker{ProducerID: pid, ProducerEpoch: epoch})
}

// txnOffsetCommit commits offset for x in grp inside id's transaction, as the TxnOffsetCommit
// handler does (BeginWrite on the group's offsets partition around the group coordinator).
func (f *fixture) txnOffsetCommit(id string, pid int64, epoch int16, grp string, x tp, offset int64) {
	f.t.Helper()
	op, err := f.groups.OffsetsPartition(grp)
	if err != nil {
		f.t.Fatal(err)
	}
	release, err := f.c.BeginWrite(id, pid, epoch, group.OffsetsTopic, op)
	if err != nil {
		f.t.Fatalf("BeginWrite %s/%d: %v", group.OffsetsTopic, op, err)
	}
	defer release()
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.Version = 3
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = id, grp, pid, epoch
	req.Generation = -1
	rt := kmsg.NewTxnOffsetCommitRequestTopic()
	rt.Topic = x.topic
	rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	rp.Partition, rp.Offset = x.partition, offset
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := f.groups.TxnOffsetCommit(testCtx(f.t), req)
	wantCode(f.t, "TxnOffsetCommit", resp.Topics[0].Partitions[0].ErrorCode, nil)
}

// committed returns grp's committed offset of x (-1 for none).
func (f *fixture) committed(grp string, x tp) int64 {
	f.t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 7
	req.Group = grp
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic, rt.Partitions = x.topic, []int32{x.partition}
	req.Topics = append(req.Topics, rt)
	resp := f.groups.OffsetFetch(testCtx(f.t), req)
	wantCode(f.t, "OffsetFetch", resp.ErrorCode, nil)
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		f.t.Fatalf("OffsetFetch shape: %+v", resp)
	}
	p := resp.Topics[0].Partitions[0]
	wantCode(f.t, "OffsetFetch partition", p.ErrorCode, nil)
	return p.Offset
}
