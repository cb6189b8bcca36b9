package group

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrClosed is returned by WriteTxnMarker when the Coordinator is closed before the groups
// applied the marker.
var ErrClosed = errors.New("group: coordinator closed")

// TxnOffsetCommit handles TxnOffsetCommit v0-4 (KIP-98; v3+ carries the member, KIP-447), as
// Kafka's group coordinator does:
//
//   - A partition of a topic that does not exist is UNKNOWN_TOPIC_OR_PARTITION, answered
//     before the group is looked at; a request with no other partition ends there.
//   - A group that does not exist is created (empty, to hold offsets) for a negative
//     generation (always so before v3); with a generation it is ILLEGAL_GENERATION.
//   - A commit naming a generation, a member or an instance id must come from a current member
//     (UNKNOWN_MEMBER_ID; FENCED_INSTANCE_ID for a static member's other member id) of the
//     current generation (ILLEGAL_GENERATION). In a consumer group (KIP-848) the generation is
//     the member epoch, checked as OffsetCommit checks it, and a stale epoch is
//     ILLEGAL_GENERATION for the whole request, as in Kafka. An anonymous commit is accepted
//     whatever the state of a classic group (older clients send no member).
//   - Metadata over offset.metadata.max.bytes is OFFSET_METADATA_TOO_LARGE, per partition.
//
// The offsets are written as one transactional batch of the request's producer id and epoch
// (base sequence -1) to the group's __consumer_offsets partition, and kept pending for that
// producer from the moment of the append: they are not committed offsets until
// WriteTxnMarker commits them. A later commit of the same producer for a partition replaces
// its pending offset. The answer comes once the batch is durable; a write refused for an old
// producer epoch is INVALID_PRODUCER_EPOCH. The caller (engine/kafka) has checked with the
// transaction coordinator that the group's offsets partition is part of the producer's
// ongoing transaction. When TxnOffsetCommit returns, even early because ctx ended, its batch
// has been appended or never will be.
func (c *Coordinator) TxnOffsetCommit(ctx context.Context, req *kmsg.TxnOffsetCommitRequest) *kmsg.TxnOffsetCommitResponse {
	fail := func(code int16) *kmsg.TxnOffsetCommitResponse {
		r := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
		c.fillTxnCommit(req, r, code)
		return r
	}
	known := false
	for _, rt := range req.Topics {
		for _, rp := range rt.Partitions {
			known = known || c.partitionExists(rt.Topic, rp.Partition)
		}
	}
	switch {
	case !known:
		return fail(0)
	case !validGroupID(req.Group, false):
		return fail(kerr.InvalidGroupID.Code)
	}
	gen, _, _ := txnCommitter(req)
	ch := make(chan *kmsg.TxnOffsetCommitResponse, 1)
	// When this returns, the batch is appended or never will be: the caller then lets the
	// transaction's markers be written, and no batch of the transaction may follow them.
	var state atomic.Int32 // txnQueued, then txnRunning (by the group) or txnAbandoned
	appended := make(chan struct{})
	if !c.do(req.Group, gen < 0, func(g *group) {
		if state.CompareAndSwap(txnQueued, txnRunning) {
			defer close(appended)
			g.txnCommit(req, ch)
		}
	}) {
		if c.isClosed() {
			return fail(kerr.CoordinatorNotAvailable.Code)
		}
		return fail(kerr.IllegalGeneration.Code)
	}
	r, ok := wait(c, ctx, ch)
	if !ok {
		if !state.CompareAndSwap(txnQueued, txnAbandoned) {
			<-appended // running: its append is a matter of a disk write
		}
		return fail(kerr.CoordinatorNotAvailable.Code)
	}
	return r
}

// States of a queued TxnOffsetCommit.
const (
	txnQueued int32 = iota
	txnRunning
	txnAbandoned
)

// txnCommitter returns who sent a TxnOffsetCommit: before v3 nobody (generation -1).
func txnCommitter(req *kmsg.TxnOffsetCommitRequest) (generation int32, memberID string, instanceID *string) {
	if req.Version < 3 {
		return -1, "", nil
	}
	return req.Generation, req.MemberID, req.InstanceID
}

// fillTxnCommit answers every partition of req with code; partitions of unknown topics get
// UNKNOWN_TOPIC_OR_PARTITION.
func (c *Coordinator) fillTxnCommit(req *kmsg.TxnOffsetCommitRequest, resp *kmsg.TxnOffsetCommitResponse, code int16) {
	resp.Topics = resp.Topics[:0]
	for _, rt := range req.Topics {
		st := kmsg.NewTxnOffsetCommitResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.ErrorCode = code
			if !c.partitionExists(rt.Topic, rp.Partition) {
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
}

// validateTxnCommit is Kafka's validateOffsetCommit with isTransactional set, for a classic
// group; consumer groups go to validateConsumerTxnCommit.
func (g *group) validateTxnCommit(req *kmsg.TxnOffsetCommitRequest) int16 {
	if g.state == stateDead {
		return kerr.CoordinatorNotAvailable.Code
	}
	gen, memberID, instanceID := txnCommitter(req)
	if g.cg != nil {
		return g.validateConsumerTxnCommit(req, gen, memberID)
	}
	if gen < 0 && g.state == stateEmpty {
		return 0
	}
	if gen >= 0 || memberID != "" || instanceID != nil {
		if code := g.validateMember(memberID, instanceID); code != 0 {
			return code
		}
		if g.members[memberID] == nil {
			return kerr.UnknownMemberID.Code
		}
		if gen != g.generation {
			return kerr.IllegalGeneration.Code
		}
	}
	return 0
}

// validateConsumerTxnCommit is Kafka's ConsumerGroup.validateOffsetCommit for a transactional
// commit: a negative epoch is accepted while the group has no members; otherwise the member
// must exist, and an epoch newer than the member's, or older than the epoch a committed
// partition was given to the member at (KIP-1251's relaxed check, as OffsetCommit), is
// ILLEGAL_GENERATION: Kafka turns STALE_MEMBER_EPOCH into ILLEGAL_GENERATION here.
func (g *group) validateConsumerTxnCommit(req *kmsg.TxnOffsetCommitRequest, epoch int32, memberID string) int16 {
	cg := g.cg
	if epoch < 0 && len(cg.members) == 0 {
		return 0
	}
	m := cg.members[memberID]
	if m == nil {
		return kerr.UnknownMemberID.Code
	}
	if epoch > m.epoch || epoch < 0 {
		return kerr.IllegalGeneration.Code
	}
	for _, rt := range req.Topics {
		for _, rp := range rt.Partitions {
			tp := topicPartition{rt.Topic, rp.Partition}
			e, ok := m.assigned[tp]
			if !ok {
				e, ok = m.revoking[tp]
			}
			if ok && epoch < e {
				return kerr.IllegalGeneration.Code
			}
		}
	}
	return 0
}

func (g *group) txnCommit(req *kmsg.TxnOffsetCommitRequest, ch chan<- *kmsg.TxnOffsetCommitResponse) {
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	g.c.fillTxnCommit(req, resp, g.validateTxnCommit(req))
	type pending struct {
		sp *kmsg.TxnOffsetCommitResponseTopicPartition
		tp topicPartition
		o  offset
	}
	var recs []kv
	var todo []pending
	now := time.Now().UnixMilli()
	for i, rt := range req.Topics {
		for j, rp := range rt.Partitions {
			sp := &resp.Topics[i].Partitions[j]
			if sp.ErrorCode != 0 {
				continue
			}
			md := ""
			if rp.Metadata != nil {
				md = *rp.Metadata
			}
			if len(md) > maxMetadataBytes {
				sp.ErrorCode = kerr.OffsetMetadataTooLarge.Code
				continue
			}
			le := rp.LeaderEpoch
			if req.Version < 2 {
				le = -1
			}
			o := offset{offset: rp.Offset, leaderEpoch: le, metadata: md, commitMs: now}
			tp := topicPartition{rt.Topic, rp.Partition}
			recs = append(recs, kv{key: offsetKey(g.name, tp.topic, tp.partition), value: offsetValue(o)})
			todo = append(todo, pending{sp, tp, o})
		}
	}
	if len(recs) == 0 {
		ch <- resp
		return
	}
	g.persisted = true
	pid := req.ProducerID
	batch := buildTxnBatch(recs, now, pid, req.ProducerEpoch)
	appended := false // set and read on the group's goroutine
	g.writeBatch(batch, func(base int64) {
		// Pending from the append on, before the batch is durable: a marker is written only
		// after this append (the transaction coordinator sees to it), so the marker always
		// finds these.
		appended = true
		for i := range todo {
			todo[i].o.record = base + int64(i)
			g.txn.put(pid, todo[i].tp, todo[i].o)
		}
	}, func(code int16) {
		if code != 0 {
			// Forget what the failed write left pending, unless a later write replaced it.
			for _, p := range todo {
				if cur, ok := g.txn[pid][p.tp]; appended && ok && cur.record == p.o.record {
					delete(g.txn[pid], p.tp)
					if len(g.txn[pid]) == 0 {
						delete(g.txn, pid)
					}
				}
				p.sp.ErrorCode = code
			}
		}
		ch <- resp
	}, func(code int16) {
		// Deleted meanwhile: the offsets were written before the group's tombstones.
		for _, p := range todo {
			p.sp.ErrorCode = code
		}
		ch <- resp
	})
}

// WriteTxnMarker writes transaction marker m to partition `partition` of __consumer_offsets
// (creating the topic if needed), waits until it is durable, then completes the pending
// transactional offsets of producer m.ProducerID in every group of that partition: a commit
// makes them the committed offsets (a partition committed by a later record keeps that
// offset), an abort drops them. It returns once every group has applied the marker, so an
// OffsetFetch after it sees the outcome. Calling it again with the same marker (recovery) is
// harmless: a second control batch is written and nothing is pending any more. A marker with
// an epoch older than the producer's in that partition is log.ErrInvalidProducerEpoch
// (wrapped). If ctx ends or the Coordinator closes first, it returns that error; the marker
// may still be applied.
func (c *Coordinator) WriteTxnMarker(ctx context.Context, partition int32, m log.Marker) error {
	if c.isClosed() {
		return ErrClosed
	}
	ps, err := c.offsetsPartitions()
	if err != nil {
		return err
	}
	if partition < 0 || int(partition) >= len(ps) {
		return fmt.Errorf("group: %s has no partition %d", OffsetsTopic, partition)
	}
	lp := ps[partition]
	res, err := lp.AppendMarker(m, time.Now())
	if err != nil {
		return fmt.Errorf("group: writing a transaction marker of producer %d to %s/%d: %w", m.ProducerID, OffsetsTopic, partition, err)
	}
	done := make(chan error, 1)
	lp.Durable(res.LastOffset, func(err error) {
		if err != nil {
			done <- fmt.Errorf("group: syncing a transaction marker to %s/%d: %w", OffsetsTopic, partition, err)
			return
		}
		c.completeTxn(partition, int32(len(ps)), m, func() { done <- nil })
	})
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-c.quit:
		return ErrClosed
	}
}

// completeTxn applies marker m on the goroutine of every group of offsets-topic partition p
// (of n) and calls fin once all have. Only groups that exist now can hold offsets of the
// transaction m ends: their records were appended before m.
func (c *Coordinator) completeTxn(p, n int32, m log.Marker, fin func()) {
	var gs []*group
	for _, g := range c.all() {
		if cluster.KeyPartition(g.name, n) == p {
			gs = append(gs, g)
		}
	}
	left := atomic.Int64{}
	left.Store(int64(len(gs)) + 1)
	one := func() {
		if left.Add(-1) == 0 {
			fin()
		}
	}
	for _, g := range gs {
		if !g.submit(func() {
			g.completeTxn(m.ProducerID, m.Commit)
			one()
		}) {
			one() // stopped: deleted, its offsets gone with it
		}
	}
	one()
}

// completeTxn commits or drops producer pid's pending offsets.
func (g *group) completeTxn(pid int64, commit bool) {
	pend := g.txn.take(pid)
	if len(pend) == 0 || g.state == stateDead {
		return
	}
	if commit {
		commitInto(g.offsets, pend)
		g.c.logger.Debug("transactional offsets committed", "group", g.name, "producer_id", pid, "partitions", len(pend))
	}
}
