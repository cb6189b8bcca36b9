package txn

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fencedCode is PRODUCER_FENCED from the request version that knows it (KIP-588), and
// INVALID_PRODUCER_EPOCH below, as Kafka's API layer maps it.
func fencedCode(version, since int16) int16 {
	if version >= since {
		return kerr.ProducerFenced.Code
	}
	return kerr.InvalidProducerEpoch.Code
}

// InitProducerID answers InitProducerID for a transactional id (the caller serves idempotent
// producers, whose TransactionalID is nil, itself). A new id gets a fresh producer id at epoch
// 0. An existing id gets its epoch bumped (a fresh producer id once the epoch is exhausted),
// which fences any other producer still holding the id; a transaction it has open is aborted
// first, with the epoch bumped once more for the markers. v3+ callers passing their producer
// id and epoch (KIP-360) must hold the current ones, or be retrying the call that gave them,
// else PRODUCER_FENCED (INVALID_PRODUCER_EPOCH below v4).
func (c *Coordinator) InitProducerID(ctx context.Context, req *kmsg.InitProducerIDRequest) *kmsg.InitProducerIDResponse {
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	fail := func(code int16) *kmsg.InitProducerIDResponse {
		resp.ErrorCode = code
		return resp
	}
	if req.TransactionalID == nil || *req.TransactionalID == "" {
		return fail(kerr.InvalidRequest.Code)
	}
	id := *req.TransactionalID
	if req.TransactionTimeoutMillis <= 0 || int64(req.TransactionTimeoutMillis) > c.cfg.MaxTimeout.Milliseconds() {
		return fail(kerr.InvalidTransactionTimeout.Code)
	}
	if !c.enter() {
		return fail(kerr.CoordinatorNotAvailable.Code)
	}
	defer c.ops.Done()
	t, ok := c.acquire(ctx, id, true)
	if !ok {
		return fail(kerr.CoordinatorNotAvailable.Code)
	}
	defer t.unlock()
	now := time.Now().UnixMilli()

	if !t.live {
		pid, err := c.c.NextProducerID()
		if err != nil {
			c.forget(t)
			c.logger.Warn("allocating a producer id", "transactional_id", id, "err", err)
			return fail(kerr.CoordinatorNotAvailable.Code)
		}
		next := txnState{
			pid: pid, epoch: 0, timeoutMs: req.TransactionTimeoutMillis,
			state: kmsg.TransactionStateEmpty, parts: map[topicPartition]struct{}{},
			startMs: -1, updateMs: now,
		}
		if err := c.persist(id, &next); err != nil {
			c.forget(t)
			c.logger.Warn("persisting a new transactional id", "transactional_id", id, "err", err)
			return fail(storeErrorCode(err))
		}
		t.set(next)
		resp.ProducerID, resp.ProducerEpoch = pid, 0
		return resp
	}

	if t.s.preparing() {
		// A decided transaction whose markers a failed write left missing: finish it now.
		if err := c.finish(t); err != nil {
			c.logger.Warn("finishing a prepared transaction", "transactional_id", id, "err", err)
			return fail(kerr.ConcurrentTransactions.Code)
		}
	}
	expected := req.Version >= 3 && req.ProducerID >= 0 && req.ProducerEpoch >= 0
	if expected && (req.ProducerID != t.s.pid || req.ProducerEpoch != t.s.epoch) {
		if req.ProducerID == t.lastPID && req.ProducerEpoch == t.lastEpoch {
			// A retry of the call that produced the current id and epoch.
			resp.ProducerID, resp.ProducerEpoch = t.s.pid, t.s.epoch
			return resp
		}
		return fail(fencedCode(req.Version, 4))
	}
	if t.s.state == kmsg.TransactionStateOngoing {
		finishErr, err := c.fenceAbort(t)
		if err != nil {
			c.logger.Warn("aborting the open transaction of a re-initialized id", "transactional_id", id, "err", err)
			return fail(storeErrorCode(err))
		}
		if finishErr != nil {
			c.logger.Warn("aborting the open transaction of a re-initialized id", "transactional_id", id, "err", finishErr)
			return fail(kerr.ConcurrentTransactions.Code)
		}
	}

	next := t.s.clone()
	next.state = kmsg.TransactionStateEmpty
	clear(next.parts)
	next.startMs = -1
	next.timeoutMs = req.TransactionTimeoutMillis
	next.updateMs = now
	if epochExhausted(t.s.epoch) {
		pid, err := c.c.NextProducerID()
		if err != nil {
			c.logger.Warn("allocating a producer id", "transactional_id", id, "err", err)
			return fail(kerr.CoordinatorNotAvailable.Code)
		}
		next.pid, next.epoch = pid, 0
	} else {
		next.epoch++
	}
	if err := c.persist(id, &next); err != nil {
		c.logger.Warn("persisting a producer epoch bump", "transactional_id", id, "err", err)
		return fail(storeErrorCode(err))
	}
	lastPID, lastEpoch := int64(-1), int16(-1)
	if expected {
		lastPID, lastEpoch = t.s.pid, t.s.epoch
	}
	t.set(next)
	t.mu.Lock()
	t.lastPID, t.lastEpoch = lastPID, lastEpoch
	t.mu.Unlock()
	resp.ProducerID, resp.ProducerEpoch = next.pid, next.epoch
	return resp
}
