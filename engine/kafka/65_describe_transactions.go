package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeTransactions: version 0.
//
// KIP-664: per transactional id, its state by Kafka's name ("Empty", "Ongoing",
// "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort"), transaction timeout,
// start time (-1 before the first transaction), producer id and epoch, and the partitions of
// the open transaction. An unknown id is TRANSACTIONAL_ID_NOT_FOUND.

func (s *Server) handleDescribeTransactions(req *kmsg.DescribeTransactionsRequest) kmsg.Response {
	if s.cfg.Txn == nil {
		resp := req.ResponseKind().(*kmsg.DescribeTransactionsResponse)
		for _, id := range req.TransactionalIDs {
			st := kmsg.NewDescribeTransactionsResponseTransactionState()
			st.TransactionalID = id
			st.ErrorCode = kerr.CoordinatorNotAvailable.Code
			resp.TransactionStates = append(resp.TransactionStates, st)
		}
		return resp
	}
	return s.cfg.Txn.DescribeTransactions(req)
}
