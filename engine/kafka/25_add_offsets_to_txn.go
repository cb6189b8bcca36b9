package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// AddOffsetsToTxn: versions 0-4.
//
// Adds the group's __consumer_offsets partition to the transaction, so the offsets
// TxnOffsetCommit writes are committed or dropped with it (engine/txn, engine/group). v1 adds
// nothing we answer differently; v2 PRODUCER_FENCED for a stale epoch (INVALID_PRODUCER_EPOCH
// below); v3 flexible; v4 adds nothing (Kafka 4.0 bumped it for TV2 error handling, which is
// not served).

func (s *Server) handleAddOffsetsToTxn(r *request, req *kmsg.AddOffsetsToTxnRequest) kmsg.Response {
	if s.cfg.Txn == nil {
		resp := req.ResponseKind().(*kmsg.AddOffsetsToTxnResponse)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	return s.cfg.Txn.AddOffsetsToTxn(r.ctx, req)
}
