package txn

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeTransactions answers DescribeTransactions v0 (KIP-664): per id its state by Kafka's
// name ("Empty", "Ongoing", "PrepareCommit", ...), timeout, start timestamp (-1 before its
// first transaction), producer id and epoch, and the partitions of the transaction (those
// still missing a marker while it is prepared). An unknown id is TRANSACTIONAL_ID_NOT_FOUND,
// the empty id INVALID_REQUEST.
func (c *Coordinator) DescribeTransactions(req *kmsg.DescribeTransactionsRequest) *kmsg.DescribeTransactionsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeTransactionsResponse)
	c.mu.RLock()
	closed := c.mu.closed
	c.mu.RUnlock()
	for _, id := range req.TransactionalIDs {
		st := kmsg.NewDescribeTransactionsResponseTransactionState()
		st.TransactionalID = id
		st.ProducerID, st.ProducerEpoch, st.StartTimestamp = -1, -1, -1
		switch t := c.lookup(id); {
		case closed:
			st.ErrorCode = kerr.CoordinatorNotAvailable.Code
		case id == "":
			st.ErrorCode = kerr.InvalidRequest.Code
		case t == nil:
			st.ErrorCode = kerr.TransactionalIDNotFound.Code
		default:
			t.mu.Lock()
			if !t.live || t.removed {
				st.ErrorCode = kerr.TransactionalIDNotFound.Code
			} else {
				s := &t.s
				st.State = s.state.String()
				st.TimeoutMillis = s.timeoutMs
				st.StartTimestamp = s.startMs
				st.ProducerID, st.ProducerEpoch = s.pid, s.epoch
				for _, tp := range s.sortedParts() {
					if n := len(st.Topics); n == 0 || st.Topics[n-1].Topic != tp.topic {
						dt := kmsg.NewDescribeTransactionsResponseTransactionStateTopic()
						dt.Topic = tp.topic
						st.Topics = append(st.Topics, dt)
					}
					last := &st.Topics[len(st.Topics)-1]
					last.Partitions = append(last.Partitions, tp.partition)
				}
			}
			t.mu.Unlock()
		}
		resp.TransactionStates = append(resp.TransactionStates, st)
	}
	return resp
}

// ListTransactions answers ListTransactions v0-1 (KIP-664) as Kafka's TransactionStateManager
// does: StateFilters by exact state name (names it does not know are echoed in
// UnknownStateFilters and match nothing), ProducerIDFilters, and from v1
// DurationFilterMillis: only transactions whose start is more than that long ago (an id that
// never began one has start -1 and so always passes). Empty filters match everything.
func (c *Coordinator) ListTransactions(req *kmsg.ListTransactionsRequest) *kmsg.ListTransactionsResponse {
	resp := req.ResponseKind().(*kmsg.ListTransactionsResponse)
	c.mu.RLock()
	closed := c.mu.closed
	c.mu.RUnlock()
	if closed {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	known := make(map[string]bool)
	for _, name := range kmsg.TransactionStateStrings() {
		known[name] = true
	}
	states := make(map[string]bool)
	for _, name := range req.StateFilters {
		if known[name] {
			states[name] = true
		} else {
			resp.UnknownStateFilters = append(resp.UnknownStateFilters, name)
		}
	}
	pids := make(map[int64]bool)
	for _, pid := range req.ProducerIDFilters {
		pids[pid] = true
	}
	duration := int64(-1)
	if req.Version >= 1 {
		duration = req.DurationFilterMillis
	}
	now := time.Now().UnixMilli()
	for _, t := range c.all() {
		t.mu.Lock()
		s := t.s
		ok := t.live && !t.removed &&
			(len(pids) == 0 || pids[s.pid]) &&
			(len(req.StateFilters) == 0 || states[s.state.String()]) &&
			(duration < 0 || now-s.startMs > duration)
		t.mu.Unlock()
		if !ok {
			continue
		}
		ts := kmsg.NewListTransactionsResponseTransactionState()
		ts.TransactionalID = t.id
		ts.ProducerID = s.pid
		ts.TransactionState = s.state.String()
		resp.TransactionStates = append(resp.TransactionStates, ts)
	}
	return resp
}
