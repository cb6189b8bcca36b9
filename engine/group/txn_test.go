package group

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/engine/meta"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Transactional offsets (KIP-98, KIP-447) against a real cluster: TxnOffsetCommit, the markers
// of WriteTxnMarker, OffsetFetch's RequireStable, and the replay of all of it after a restart.

// txnEnv is a durable cluster (data dir, metadata log, fsync flusher) with topic "t" of four
// partitions and a group coordinator over it; reopen closes everything and opens it again on
// the same directory, as a process restart does.
type txnEnv struct {
	t   *testing.T
	dir string
	m   *meta.Log
	fl  *log.Flusher
	cl  *cluster.Cluster
	c   *Coordinator
}

func newTxnEnv(t *testing.T) *txnEnv {
	e := &txnEnv{t: t, dir: t.TempDir()}
	e.open()
	if _, err := e.cl.CreateTopic(cluster.CreateSpec{Name: "t", Partitions: 4, ReplicationFactor: -1}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	return e
}

func (e *txnEnv) open() {
	e.t.Helper()
	var err error
	if e.m, err = meta.Open(filepath.Join(e.dir, "meta"), nil); err != nil {
		e.t.Fatal(err)
	}
	e.fl = log.NewFlusher(log.FlushSync, 0, nil)
	if e.cl, err = cluster.Open(cluster.Options{DataDir: e.dir, Meta: e.m, Flusher: e.fl}); err != nil {
		e.t.Fatal(err)
	}
	if e.c, err = New(Config{Cluster: e.cl, MinSessionTimeout: time.Millisecond, InitialRebalanceDelay: -1}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *txnEnv) close() {
	if e.c == nil {
		return
	}
	for _, err := range []error{e.c.Close(), e.cl.Close(), e.fl.Close(), e.m.Close()} {
		if err != nil {
			e.t.Error(err)
		}
	}
	e.c = nil
}

func (e *txnEnv) reopen() {
	e.t.Helper()
	e.close()
	e.open()
}

// tpo is one partition's offset in a request or an answer.
type tpo struct {
	topic     string
	partition int32
	offset    int64
}

func txnCommitReq(group string, pid int64, version int16, offs ...tpo) *kmsg.TxnOffsetCommitRequest {
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.Version = version
	req.TransactionalID = "tx"
	req.Group = group
	req.ProducerID, req.ProducerEpoch = pid, 0
	for _, o := range offs {
		rt := kmsg.NewTxnOffsetCommitRequestTopic()
		rt.Topic = o.topic
		rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset = o.partition, o.offset
		rp.Metadata = kmsg.StringPtr("md")
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// txnCodes returns the error code of every partition of r, keyed "topic/partition".
func txnCodes(r *kmsg.TxnOffsetCommitResponse) map[string]int16 {
	out := map[string]int16{}
	for _, rt := range r.Topics {
		for _, rp := range rt.Partitions {
			out[fmt.Sprintf("%s/%d", rt.Topic, rp.Partition)] = rp.ErrorCode
		}
	}
	return out
}

// mustTxnCommit commits offs for producer pid (v3, no member) and fails on any error.
func (e *txnEnv) mustTxnCommit(group string, pid int64, offs ...tpo) {
	e.t.Helper()
	r := e.c.TxnOffsetCommit(context.Background(), txnCommitReq(group, pid, 3, offs...))
	for k, code := range txnCodes(r) {
		if code != 0 {
			e.t.Fatalf("txn commit %s: %v", k, kerr.ErrorForCode(code))
		}
	}
}

func (e *txnEnv) marker(group string, pid int64, commit bool) {
	e.t.Helper()
	p, err := e.c.OffsetsPartition(group)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.c.WriteTxnMarker(context.Background(), p, log.Marker{ProducerID: pid, Commit: commit}); err != nil {
		e.t.Fatalf("marker: %v", err)
	}
}

// fetched is one partition of an OffsetFetch answer.
type fetched struct {
	offset int64
	code   int16
}

// fetch sends OffsetFetch v7 (one group, per-partition codes) for partitions 0-3 of "t".
func (e *txnEnv) fetch(group string, stable bool) [4]fetched {
	e.t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 7
	req.Group = group
	req.RequireStable = stable
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic, rt.Partitions = "t", []int32{0, 1, 2, 3}
	req.Topics = append(req.Topics, rt)
	r := e.c.OffsetFetch(context.Background(), req)
	if r.ErrorCode != 0 {
		e.t.Fatalf("offset fetch: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	var out [4]fetched
	for _, rp := range r.Topics[0].Partitions {
		out[rp.Partition] = fetched{rp.Offset, rp.ErrorCode}
	}
	return out
}

// fetchV8 sends OffsetFetch v8 (the per-group shape) for partitions 0-3 of "t".
func (e *txnEnv) fetchV8(group string, stable bool) [4]fetched {
	e.t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 8
	req.RequireStable = stable
	rg := kmsg.NewOffsetFetchRequestGroup()
	rg.Group = group
	rt := kmsg.NewOffsetFetchRequestGroupTopic()
	rt.Topic, rt.Partitions = "t", []int32{0, 1, 2, 3}
	rg.Topics = append(rg.Topics, rt)
	req.Groups = append(req.Groups, rg)
	r := e.c.OffsetFetch(context.Background(), req)
	if r.Groups[0].ErrorCode != 0 {
		e.t.Fatalf("offset fetch: %v", kerr.ErrorForCode(r.Groups[0].ErrorCode))
	}
	var out [4]fetched
	for _, rp := range r.Groups[0].Topics[0].Partitions {
		out[rp.Partition] = fetched{rp.Offset, rp.ErrorCode}
	}
	return out
}

// plainCommit commits offs with OffsetCommit as a simple (memberless) consumer.
func (e *txnEnv) plainCommit(group string, offs ...tpo) {
	e.t.Helper()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version = 8
	req.Group = group
	for _, o := range offs {
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = o.topic
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset = o.partition, o.offset
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
	}
	r := e.c.OffsetCommit(context.Background(), req)
	for _, rt := range r.Topics {
		for _, rp := range rt.Partitions {
			if rp.ErrorCode != 0 {
				e.t.Fatalf("commit: %v", kerr.ErrorForCode(rp.ErrorCode))
			}
		}
	}
}

const unstable = 88 // UNSTABLE_OFFSET_COMMIT

func TestUnstableCodeIsKafkas(t *testing.T) {
	if kerr.UnstableOffsetCommit.Code != unstable {
		t.Fatalf("UNSTABLE_OFFSET_COMMIT is %d", kerr.UnstableOffsetCommit.Code)
	}
}

// A TxnOffsetCommit is not a committed offset until the commit marker: OffsetFetch serves the
// previous offset meanwhile, and with RequireStable (KIP-447) UNSTABLE_OFFSET_COMMIT for the
// pending partitions only; after WriteTxnMarker(commit) returns, the offsets are served. On
// disk, the offsets are one transactional batch (attributes 0x10, the producer's id and epoch,
// base sequence -1) and the marker a control batch after it, as Kafka writes them.
func TestTxnOffsetsVisibleAfterCommitMarker(t *testing.T) {
	t.Parallel()
	e := newTxnEnv(t)
	e.plainCommit("g", tpo{"t", 0, 5})
	e.mustTxnCommit("g", 7, tpo{"t", 0, 10}, tpo{"t", 1, 20})

	want := [4]fetched{{5, 0}, {-1, 0}, {-1, 0}, {-1, 0}}
	if got := e.fetch("g", false); got != want {
		t.Fatalf("before the marker: %v, want %v", got, want)
	}
	want = [4]fetched{{-1, unstable}, {-1, unstable}, {-1, 0}, {-1, 0}}
	if got := e.fetch("g", true); got != want {
		t.Fatalf("before the marker, stable: %v, want %v", got, want)
	}
	if got := e.fetchV8("g", true); got != want {
		t.Fatalf("before the marker, stable, v8: %v, want %v", got, want)
	}

	e.marker("g", 7, true)
	want = [4]fetched{{10, 0}, {20, 0}, {-1, 0}, {-1, 0}}
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after the commit marker: %v, want %v", got, want)
	}
	if got := e.fetchV8("g", false); got != want {
		t.Fatalf("after the commit marker, v8: %v, want %v", got, want)
	}
	// Idempotent: the recovery path sends the same marker again.
	e.marker("g", 7, true)
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after a repeated marker: %v, want %v", got, want)
	}

	// The batches on disk: plain commit, transactional batch, control batch, control batch.
	p, _ := e.c.OffsetsPartition("g")
	lp := e.cl.Topic(OffsetsTopic).Partition(p)
	buf, err := lp.Read(lp.LogStartOffset(), 1<<20, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	var batches [][]byte
	log.WalkBatches(buf, func(b []byte) { batches = append(batches, b) })
	if len(batches) != 4 {
		t.Fatalf("%d batches in the offsets partition, want 4", len(batches))
	}
	attrs := func(b []byte) uint16 { return binary.BigEndian.Uint16(b[21:]) }
	if a := attrs(batches[0]); a != 0 {
		t.Fatalf("plain commit batch attributes %#x", a)
	}
	tb := batches[1]
	pid, epoch, seq := int64(binary.BigEndian.Uint64(tb[43:])), int16(binary.BigEndian.Uint16(tb[51:])), int32(binary.BigEndian.Uint32(tb[53:]))
	if a := attrs(tb); a != 0x10 || pid != 7 || epoch != 0 || seq != -1 {
		t.Fatalf("transactional batch: attributes %#x, producer %d epoch %d, base sequence %d", a, pid, epoch, seq)
	}
	if n := binary.BigEndian.Uint32(tb[57:]); n != 2 {
		t.Fatalf("transactional batch holds %d records, want 2 (one batch per request)", n)
	}
	for _, mb := range batches[2:] {
		m, ok := log.ParseMarker(mb)
		if !ok || attrs(mb)&0x20 == 0 || !m.Commit || m.ProducerID != 7 {
			t.Fatalf("marker batch: attributes %#x, %+v %v", attrs(mb), m, ok)
		}
	}
}

// An abort marker drops the pending offsets: the previous committed offset stays. A later
// commit of the same producer for a partition replaces its pending offset; a plain commit
// written after a transactional one (before its marker) keeps its offset when the marker
// commits, as in Kafka (the later record wins).
func TestTxnOffsetsAbortAndOrder(t *testing.T) {
	t.Parallel()
	e := newTxnEnv(t)
	e.plainCommit("g", tpo{"t", 0, 5})
	e.mustTxnCommit("g", 7, tpo{"t", 0, 10}, tpo{"t", 1, 11})
	e.marker("g", 7, false)
	want := [4]fetched{{5, 0}, {-1, 0}, {-1, 0}, {-1, 0}}
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after the abort marker: %v, want %v", got, want)
	}

	e.mustTxnCommit("g", 8, tpo{"t", 0, 30}, tpo{"t", 2, 32})
	e.mustTxnCommit("g", 8, tpo{"t", 0, 40}) // replaces t/0's pending 30
	e.plainCommit("g", tpo{"t", 2, 6})       // after the transaction's t/2 record
	e.mustTxnCommit("g", 9, tpo{"t", 3, 93}) // another producer, left open
	e.marker("g", 8, true)
	want = [4]fetched{{40, 0}, {-1, 0}, {6, 0}, {-1, unstable}}
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after the commit marker: %v, want %v", got, want)
	}
	// A marker of another producer, or of the same producer in another offsets partition,
	// completes nothing of producer 9's.
	e.marker("g", 10, true)
	p, _ := e.c.OffsetsPartition("g")
	if err := e.c.WriteTxnMarker(context.Background(), (p+1)%DefaultOffsetsPartitions, log.Marker{ProducerID: 9, Commit: true}); err != nil {
		t.Fatal(err)
	}
	if got := e.fetch("g", true); got[3] != (fetched{-1, unstable}) {
		t.Fatalf("t/3 after unrelated markers: %v", got[3])
	}
}

// TxnOffsetCommit checks the group, member and generation as Kafka's coordinator checks a
// transactional commit (GroupCoordinator/ClassicGroup.validateOffsetCommit with isTransactional).
func TestTxnOffsetCommitChecks(t *testing.T) {
	t.Parallel()
	e := newTxnEnv(t)
	ctx := context.Background()
	code := func(req *kmsg.TxnOffsetCommitRequest) int16 {
		t.Helper()
		codes := txnCodes(e.c.TxnOffsetCommit(ctx, req))
		return codes["t/0"]
	}
	member := func(group string, gen int32, id string, inst *string) *kmsg.TxnOffsetCommitRequest {
		req := txnCommitReq(group, 1, 3, tpo{"t", 0, 1})
		req.Generation, req.MemberID, req.InstanceID = gen, id, inst
		return req
	}

	// A group that does not exist: created for a commit with no generation, otherwise
	// ILLEGAL_GENERATION.
	if c := code(member("new", 4, "m", nil)); c != kerr.IllegalGeneration.Code {
		t.Fatalf("commit with a generation to a missing group: %v", kerr.ErrorForCode(c))
	}
	if c := code(member("new", -1, "", nil)); c != 0 {
		t.Fatalf("anonymous commit to a missing group: %v", kerr.ErrorForCode(c))
	}
	if c := code(txnCommitReq("old-client", 1, 0, tpo{"t", 0, 1})); c != 0 {
		t.Fatalf("v0 commit to a missing group: %v", kerr.ErrorForCode(c))
	}

	// A classic group with one static member (group.instance.id "i1"), joined without a
	// member id as Kafka lets static members.
	inst := kmsg.StringPtr("i1")
	sj := testJoin("cg", "", 30000, 30000)
	sj.InstanceID = inst
	static := e.c.JoinGroup(ctx, Client{ID: "c"}, sj)
	if static.ErrorCode != 0 {
		t.Fatalf("static join: %v", kerr.ErrorForCode(static.ErrorCode))
	}
	gen := static.Generation

	for _, tc := range []struct {
		name string
		req  *kmsg.TxnOffsetCommitRequest
		want int16
	}{
		{"member of the generation", member("cg", gen, static.MemberID, nil), 0},
		{"static member", member("cg", gen, static.MemberID, inst), 0},
		{"unknown member", member("cg", gen, "nobody", nil), kerr.UnknownMemberID.Code},
		{"old generation", member("cg", gen-1, static.MemberID, nil), kerr.IllegalGeneration.Code},
		{"newer generation", member("cg", gen+1, static.MemberID, inst), kerr.IllegalGeneration.Code},
		{"static member fenced", member("cg", gen, "other-id", inst), kerr.FencedInstanceID.Code},
		{"unknown instance", member("cg", gen, static.MemberID, kmsg.StringPtr("i2")), kerr.UnknownMemberID.Code},
		// Kafka does not enforce the group's state for transactional commits: older
		// clients send no member at all.
		{"anonymous, group not empty", member("cg", -1, "", nil), 0},
		{"v2, group not empty", txnCommitReq("cg", 1, 2, tpo{"t", 0, 1}), 0},
		{"generation, no member", member("cg", gen, "", nil), kerr.UnknownMemberID.Code},
	} {
		if c := code(tc.req); c != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, kerr.ErrorForCode(c), kerr.ErrorForCode(tc.want))
		}
	}

	// Per partition: an unknown topic or partition, and metadata over 4096 bytes.
	req := txnCommitReq("cg", 1, 3, tpo{"t", 0, 1}, tpo{"t", 9, 1}, tpo{"nope", 0, 1}, tpo{"t", 2, 1})
	req.Topics[3].Partitions[0].Metadata = kmsg.StringPtr(strings.Repeat("x", maxMetadataBytes+1))
	r := e.c.TxnOffsetCommit(ctx, req)
	wantCodes := []int16{0, kerr.UnknownTopicOrPartition.Code, kerr.UnknownTopicOrPartition.Code, kerr.OffsetMetadataTooLarge.Code}
	for i, rt := range r.Topics {
		if c := rt.Partitions[0].ErrorCode; c != wantCodes[i] {
			t.Errorf("partition %d: %v, want %v", i, kerr.ErrorForCode(c), kerr.ErrorForCode(wantCodes[i]))
		}
	}
	// Only unknown partitions: answered without looking at (or creating) the group.
	r = e.c.TxnOffsetCommit(ctx, txnCommitReq("never", 1, 3, tpo{"nope", 0, 1}))
	if c := r.Topics[0].Partitions[0].ErrorCode; c != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("unknown topic only: %v", kerr.ErrorForCode(c))
	}
	if s := stateOf(e.c, "never"); s.Name != "" {
		t.Fatalf("group created for a commit of unknown partitions only: %+v", s)
	}
	if c := code(txnCommitReq("", 1, 3, tpo{"t", 0, 1})); c != kerr.InvalidGroupID.Code {
		t.Fatalf("empty group id: %v", kerr.ErrorForCode(c))
	}

	// A fenced producer: once the partition knows epoch 1, epoch 0 is INVALID_PRODUCER_EPOCH.
	bumped := txnCommitReq("g2", 5, 3, tpo{"t", 0, 1})
	bumped.ProducerEpoch = 1
	if c := code(bumped); c != 0 {
		t.Fatalf("epoch 1: %v", kerr.ErrorForCode(c))
	}
	if c := code(txnCommitReq("g2", 5, 3, tpo{"t", 0, 2})); c != kerr.InvalidProducerEpoch.Code {
		t.Fatalf("epoch 0 after 1: %v", kerr.ErrorForCode(c))
	}
}

// In a consumer group (KIP-848) the generation of a TxnOffsetCommit is the member epoch; a
// stale one is ILLEGAL_GENERATION, as Kafka answers a transactional commit.
func TestTxnOffsetCommitConsumerGroup(t *testing.T) {
	t.Parallel()
	e := newTxnEnv(t)
	ctx := context.Background()
	hb := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	hb.Version = 1
	hb.Group, hb.MemberID, hb.MemberEpoch = "kg", "member-1", 0
	hb.RebalanceTimeoutMillis = 30000
	hb.SubscribedTopicNames = []string{"t"}
	hb.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	r := e.c.ConsumerGroupHeartbeat(ctx, Client{ID: "c"}, hb)
	if r.ErrorCode != 0 {
		t.Fatalf("join: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	epoch := r.MemberEpoch
	commit := func(id string, ep int32) int16 {
		req := txnCommitReq("kg", 1, 3, tpo{"t", 0, 1})
		req.Generation, req.MemberID = ep, id
		return txnCodes(e.c.TxnOffsetCommit(ctx, req))["t/0"]
	}
	for _, tc := range []struct {
		name  string
		id    string
		epoch int32
		want  int16
	}{
		{"current epoch", "member-1", epoch, 0},
		{"newer epoch", "member-1", epoch + 1, kerr.IllegalGeneration.Code},
		{"epoch before the partition was assigned", "member-1", epoch - 1, kerr.IllegalGeneration.Code},
		{"unknown member", "member-2", epoch, kerr.UnknownMemberID.Code},
		{"anonymous, group has members", "", -1, kerr.UnknownMemberID.Code},
	} {
		if c := commit(tc.id, tc.epoch); c != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, kerr.ErrorForCode(c), kerr.ErrorForCode(tc.want))
		}
	}
}

// After a restart the replay of __consumer_offsets restores committed transactional offsets,
// drops aborted ones and keeps undecided ones pending, which a marker written after the
// restart then completes. A deleted group's pending offsets are gone for good.
func TestTxnOffsetsReplay(t *testing.T) {
	t.Parallel()
	e := newTxnEnv(t)
	e.mustTxnCommit("g", 1, tpo{"t", 0, 11})
	e.marker("g", 1, true)
	e.mustTxnCommit("g", 2, tpo{"t", 1, 22})
	e.marker("g", 2, false)
	e.mustTxnCommit("g", 3, tpo{"t", 2, 33})
	e.mustTxnCommit("g", 4, tpo{"t", 3, 44})
	// A group with only pending offsets, deleted: its transaction later commits nothing.
	e.mustTxnCommit("gone", 5, tpo{"t", 0, 55})
	dg := kmsg.NewPtrDeleteGroupsRequest()
	dg.Groups = []string{"gone"}
	if c := e.c.DeleteGroups(context.Background(), dg).Groups[0].ErrorCode; c != 0 {
		t.Fatalf("delete group: %v", kerr.ErrorForCode(c))
	}
	e.marker("gone", 5, true)

	e.reopen()
	want := [4]fetched{{11, 0}, {-1, 0}, {-1, unstable}, {-1, unstable}}
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after the restart: %v, want %v", got, want)
	}
	if got := e.fetch("gone", true); got != ([4]fetched{{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}}) {
		t.Fatalf("deleted group after the restart: %v", got)
	}
	e.marker("g", 3, true)
	e.marker("g", 4, false)
	want = [4]fetched{{11, 0}, {-1, 0}, {33, 0}, {-1, 0}}
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after the markers: %v, want %v", got, want)
	}
	e.reopen()
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after a second restart: %v, want %v", got, want)
	}
}

// OffsetDelete of a partition with only a pending transactional offset writes a tombstone that
// drops it: its commit marker then commits nothing there, live and after a restart.
func TestOffsetDeleteDropsPendingTxnOffsets(t *testing.T) {
	t.Parallel()
	e := newTxnEnv(t)
	e.mustTxnCommit("g", 1, tpo{"t", 0, 10}, tpo{"t", 1, 11})
	req := kmsg.NewPtrOffsetDeleteRequest()
	req.Group = "g"
	rt := kmsg.NewOffsetDeleteRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewOffsetDeleteRequestTopicPartition()
	rp.Partition = 0
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	r := e.c.OffsetDelete(context.Background(), req)
	if r.ErrorCode != 0 || r.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("offset delete: %v %v", kerr.ErrorForCode(r.ErrorCode), kerr.ErrorForCode(r.Topics[0].Partitions[0].ErrorCode))
	}
	want := [4]fetched{{-1, 0}, {-1, unstable}, {-1, 0}, {-1, 0}}
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after OffsetDelete: %v, want %v", got, want)
	}
	e.marker("g", 1, true)
	want = [4]fetched{{-1, 0}, {11, 0}, {-1, 0}, {-1, 0}}
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after the marker: %v, want %v", got, want)
	}
	e.reopen()
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after a restart: %v, want %v", got, want)
	}
}

// WriteTxnMarker returns only after every group of the partition has applied the marker, and
// a cancelled context or a closed coordinator ends the wait.
func TestWriteTxnMarkerErrors(t *testing.T) {
	t.Parallel()
	e := newTxnEnv(t)
	if err := e.c.WriteTxnMarker(context.Background(), DefaultOffsetsPartitions, log.Marker{ProducerID: 1}); err == nil {
		t.Fatal("marker to a partition that does not exist accepted")
	}
	e.mustTxnCommit("g", 1, tpo{"t", 0, 10})
	p, _ := e.c.OffsetsPartition("g")
	// The partition now knows producer 1 at epoch 2; a marker of epoch 1 is fenced.
	if err := e.c.WriteTxnMarker(context.Background(), p, log.Marker{ProducerID: 1, ProducerEpoch: 2, Commit: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.WriteTxnMarker(context.Background(), p, log.Marker{ProducerID: 1, ProducerEpoch: 1, Commit: true}); err == nil || !strings.Contains(err.Error(), log.ErrInvalidProducerEpoch.Error()) {
		t.Fatalf("marker of an old epoch: %v", err)
	}
	e.c.Close()
	if err := e.c.WriteTxnMarker(context.Background(), p, log.Marker{ProducerID: 1, ProducerEpoch: 2}); err == nil {
		t.Fatal("marker after Close succeeded")
	}
}

// A TxnOffsetCommit whose context ends early still returns only once its batch is appended or
// can no longer be: a marker written right after it returns is never followed in the log by
// the commit's batch, so after a restart nothing is left pending.
func TestTxnOffsetCommitCancelledNeverFollowsMarker(t *testing.T) {
	t.Parallel()
	e := newTxnEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for pid := int64(1); pid <= 50; pid++ {
		e.c.TxnOffsetCommit(ctx, txnCommitReq("g", pid, 3, tpo{"t", 0, pid}))
		e.marker("g", pid, false)
	}
	want := [4]fetched{{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}}
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after the markers: %v, want %v", got, want)
	}
	e.reopen()
	if got := e.fetch("g", true); got != want {
		t.Fatalf("after a restart: %v, want %v", got, want)
	}
}
