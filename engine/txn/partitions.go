package txn

import (
	"context"
	"sync"
	"time"

	"github.com/streamlite/streamlite/engine/group"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// AddPartitionsToTxn answers AddPartitionsToTxn v0-3 (the request's v3-and-below fields; v4+
// batching is KIP-890 and not served). A partition that does not exist is
// UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED; otherwise one error goes
// to every partition: INVALID_PRODUCER_ID_MAPPING for an unknown id or another producer id,
// PRODUCER_FENCED (INVALID_PRODUCER_EPOCH below v2) for another epoch, CONCURRENT_TRANSACTIONS
// while a decided transaction's markers cannot be written yet. On success the partitions
// join the transaction, which becomes (or stays) Ongoing, durably.
func (c *Coordinator) AddPartitionsToTxn(ctx context.Context, req *kmsg.AddPartitionsToTxnRequest) *kmsg.AddPartitionsToTxnResponse {
	resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	answer := func(code func(topic string, p int32) int16) *kmsg.AddPartitionsToTxnResponse {
		for _, rt := range req.Topics {
			st := kmsg.NewAddPartitionsToTxnResponseTopic()
			st.Topic = rt.Topic
			for _, p := range rt.Partitions {
				sp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
				sp.Partition = p
				sp.ErrorCode = code(rt.Topic, p)
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp
	}
	all := func(code int16) *kmsg.AddPartitionsToTxnResponse {
		return answer(func(string, int32) int16 { return code })
	}
	if req.TransactionalID == "" {
		return all(kerr.InvalidRequest.Code)
	}
	var tps []topicPartition
	missing := false
	for _, rt := range req.Topics {
		for _, p := range rt.Partitions {
			if !c.partitionExists(rt.Topic, p) {
				missing = true
			}
			tps = append(tps, topicPartition{rt.Topic, p})
		}
	}
	if missing {
		return answer(func(topic string, p int32) int16 {
			if !c.partitionExists(topic, p) {
				return kerr.UnknownTopicOrPartition.Code
			}
			return kerr.OperationNotAttempted.Code
		})
	}
	return all(c.addPartitions(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, fencedCode(req.Version, 2), tps))
}

// AddOffsetsToTxn answers AddOffsetsToTxn v0-4: the group's __consumer_offsets partition joins
// the transaction, with AddPartitionsToTxn's checks and errors (PRODUCER_FENCED from v2), so
// that EndTxn writes its marker and the group coordinator commits or drops the offsets
// TxnOffsetCommit wrote.
func (c *Coordinator) AddOffsetsToTxn(ctx context.Context, req *kmsg.AddOffsetsToTxnRequest) *kmsg.AddOffsetsToTxnResponse {
	resp := req.ResponseKind().(*kmsg.AddOffsetsToTxnResponse)
	if req.TransactionalID == "" {
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp
	}
	if c.groups == nil {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	p, err := c.groups.OffsetsPartition(req.Group)
	if err != nil {
		c.logger.Warn("offsets topic unavailable", "group", req.Group, "err", err)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	resp.ErrorCode = c.addPartitions(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch,
		fencedCode(req.Version, 2), []topicPartition{{group.OffsetsTopic, p}})
	return resp
}

// addPartitions adds tps to id's transaction and returns the Kafka error code of the outcome;
// fenced is the code for a wrong epoch at the request's version.
func (c *Coordinator) addPartitions(ctx context.Context, id string, pid int64, epoch int16, fenced int16, tps []topicPartition) int16 {
	if !c.enter() {
		return kerr.CoordinatorNotAvailable.Code
	}
	defer c.ops.Done()
	t, ok := c.acquire(ctx, id, false)
	if !ok {
		return kerr.CoordinatorNotAvailable.Code
	}
	if t == nil {
		return kerr.InvalidProducerIDMapping.Code
	}
	defer t.unlock()
	switch {
	case t.s.pid != pid:
		return kerr.InvalidProducerIDMapping.Code
	case t.s.epoch != epoch:
		return fenced
	}
	if t.s.preparing() {
		if err := c.finish(t); err != nil {
			c.logger.Warn("finishing a prepared transaction", "transactional_id", id, "err", err)
			return kerr.ConcurrentTransactions.Code
		}
	}
	if t.s.state == kmsg.TransactionStateOngoing {
		added := true
		for _, tp := range tps {
			if _, ok := t.s.parts[tp]; !ok {
				added = false
				break
			}
		}
		if added {
			return 0 // nothing new to persist
		}
	}
	now := time.Now().UnixMilli()
	next := t.s.clone()
	if next.state != kmsg.TransactionStateOngoing {
		next.startMs = now
	}
	next.state = kmsg.TransactionStateOngoing
	for _, tp := range tps {
		next.parts[tp] = struct{}{}
	}
	next.updateMs = now
	if err := c.persist(id, &next); err != nil {
		c.logger.Warn("persisting added partitions", "transactional_id", id, "err", err)
		return storeErrorCode(err)
	}
	t.set(next)
	return 0
}

// BeginWrite is called by the Produce and TxnOffsetCommit handlers before appending a
// transactional batch for (topic, partition): it checks that txnID exists, that producerID and
// epoch are the transaction's current ones and that the partition was added to the ongoing
// transaction; it returns a release func that the caller calls right after its append(s)
// (calling it more than once is harmless). While any write is between BeginWrite and release,
// EndTxn (and a timeout abort) waits before writing markers, so no transactional batch can
// land after its transaction's marker.
//
// err is a *kerr.Error: INVALID_PRODUCER_ID_MAPPING (unknown id / other producer id),
// INVALID_PRODUCER_EPOCH (other epoch: a fenced producer), INVALID_TXN_STATE (not ongoing, or
// partition not added). It never blocks on I/O.
func (c *Coordinator) BeginWrite(txnID string, producerID int64, epoch int16, topic string, partition int32) (release func(), err error) {
	t := c.lookup(txnID)
	if t == nil {
		return nil, kerr.InvalidProducerIDMapping
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case !t.live || t.removed, t.s.pid != producerID:
		return nil, kerr.InvalidProducerIDMapping
	case t.s.epoch != epoch:
		return nil, kerr.InvalidProducerEpoch
	case t.s.state != kmsg.TransactionStateOngoing:
		return nil, kerr.InvalidTxnState
	}
	if _, ok := t.s.parts[topicPartition{topic, partition}]; !ok {
		return nil, kerr.InvalidTxnState
	}
	t.writers++
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			t.writers--
			if t.writers == 0 {
				t.drained.Broadcast()
			}
			t.mu.Unlock()
		})
	}, nil
}

// partitionExists says whether topic exists and has partition p.
func (c *Coordinator) partitionExists(topic string, p int32) bool {
	t := c.c.Topic(topic)
	return t != nil && t.Partition(p) != nil
}
