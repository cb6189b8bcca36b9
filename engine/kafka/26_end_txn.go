package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// EndTxn: versions 0-4.
//
// Commits or aborts the transaction: the coordinator (engine/txn) persists the decision,
// writes a commit or abort marker to every partition of the transaction (and to the group's
// __consumer_offsets partition after AddOffsetsToTxn) and answers once the outcome is durable.
// v1 adds nothing we answer differently; v2 PRODUCER_FENCED for a stale epoch
// (INVALID_PRODUCER_EPOCH below); v3 flexible; v4 adds nothing (Kafka 4.0 bumped it for TV2
// error handling). v5 (KIP-890: the epoch bumped by every EndTxn) is not served. EndTxn with
// no transaction open is INVALID_TXN_STATE; a retry of a completed one succeeds.

func (s *Server) handleEndTxn(r *request, req *kmsg.EndTxnRequest) kmsg.Response {
	if s.cfg.Txn == nil {
		resp := req.ResponseKind().(*kmsg.EndTxnResponse)
		resp.ProducerID, resp.ProducerEpoch = -1, -1
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	return s.cfg.Txn.EndTxn(r.ctx, req)
}
