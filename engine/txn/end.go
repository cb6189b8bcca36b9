package txn

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// EndTxn answers EndTxn v0-4: it commits or aborts the ongoing transaction. The decision
// (PrepareCommit or PrepareAbort) is persisted first; then, once the appends BeginWrite let in
// are done, a marker goes to every partition of the transaction and CompleteCommit or
// CompleteAbort is persisted, and only then is the request answered.
//
// Errors, as Kafka's TransactionCoordinator gives them: INVALID_PRODUCER_ID_MAPPING for an
// unknown id or another producer id; PRODUCER_FENCED (INVALID_PRODUCER_EPOCH below v2) for
// another epoch; INVALID_TXN_STATE with no transaction open (Empty) or for the opposite of an
// outcome already decided; success for a retry of a completed one. A decided transaction whose
// markers a failed write left missing is finished by its retry, or answers
// CONCURRENT_TRANSACTIONS (retriable) while that still fails.
//
// If the decision is durable but a marker write fails, EndTxn still answers success, as Kafka
// does (it answers once the decision is in its log and writes markers afterwards): the outcome
// is fixed and will not change; Run retries the missing markers every CheckInterval and New
// finishes them after a restart. Meanwhile the partitions' last stable offset holds
// read_committed consumers back and the id's next operation gets CONCURRENT_TRANSACTIONS.
func (c *Coordinator) EndTxn(ctx context.Context, req *kmsg.EndTxnRequest) *kmsg.EndTxnResponse {
	resp := req.ResponseKind().(*kmsg.EndTxnResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	resp.ErrorCode = c.endTxn(ctx, req)
	return resp
}

func (c *Coordinator) endTxn(ctx context.Context, req *kmsg.EndTxnRequest) int16 {
	if req.TransactionalID == "" {
		return kerr.InvalidRequest.Code
	}
	if !c.enter() {
		return kerr.CoordinatorNotAvailable.Code
	}
	defer c.ops.Done()
	t, ok := c.acquire(ctx, req.TransactionalID, false)
	if !ok {
		return kerr.CoordinatorNotAvailable.Code
	}
	if t == nil {
		return kerr.InvalidProducerIDMapping.Code
	}
	defer t.unlock()
	switch {
	case t.s.pid != req.ProducerID:
		return kerr.InvalidProducerIDMapping.Code
	case t.s.epoch != req.ProducerEpoch:
		return fencedCode(req.Version, 2)
	}
	commit := req.Commit
	switch st := t.s.state; {
	case st == kmsg.TransactionStateOngoing:
		if err := c.prepare(t, commit, t.s.epoch); err != nil {
			c.logger.Warn("persisting a transaction's outcome", "transactional_id", t.id, "commit", commit, "err", err)
			return storeErrorCode(err)
		}
		if err := c.finish(t); err != nil {
			c.logger.Warn("a decided transaction is missing markers; retrying in the background",
				"transactional_id", t.id, "commit", commit, "err", err)
		}
		return 0
	case st == kmsg.TransactionStateCompleteCommit && commit, st == kmsg.TransactionStateCompleteAbort && !commit:
		return 0 // a retry of the EndTxn that completed it
	case st == kmsg.TransactionStatePrepareCommit && commit, st == kmsg.TransactionStatePrepareAbort && !commit:
		if err := c.finish(t); err != nil {
			c.logger.Warn("finishing a prepared transaction", "transactional_id", t.id, "err", err)
			return kerr.ConcurrentTransactions.Code
		}
		return 0
	default:
		return kerr.InvalidTxnState.Code
	}
}
