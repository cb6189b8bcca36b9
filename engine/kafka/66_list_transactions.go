package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListTransactions: versions 0-1.
//
// KIP-664: every transactional id with its producer id and state, filtered by state names
// (exact, as Kafka names them; unknown names come back in UnknownStateFilters) and producer
// ids; v1 DurationFilterMillis (KIP-994) keeps only transactions started longer ago than that.
// v2's TransactionalIDPattern (KIP-1152) is not served.

func (s *Server) handleListTransactions(req *kmsg.ListTransactionsRequest) kmsg.Response {
	if s.cfg.Txn == nil {
		resp := req.ResponseKind().(*kmsg.ListTransactionsResponse)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	return s.cfg.Txn.ListTransactions(req)
}
