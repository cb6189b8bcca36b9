package kafka

import (
	"math"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// InitProducerID: versions 0-5.
//
// Idempotent producers (no transactional id) get a fresh producer id at epoch 0; v3+ callers
// that pass their current id and epoch (KIP-360, after an out-of-order or unknown-producer
// error) get the same id at the next epoch, or a fresh id when the epoch would overflow.
// Transactional ids go to the transaction coordinator (engine/txn): a new id gets a fresh
// producer id, an existing one its epoch bumped, fencing the producer that held it and
// aborting its open transaction; v1 ThrottleMillis, v2 flexible, v3 the KIP-360 id and epoch
// (checked: another epoch is fenced), v4 PRODUCER_FENCED (INVALID_PRODUCER_EPOCH below), v5
// adds nothing here (KIP-890's epoch bump per transaction is not served). The empty
// transactional id is INVALID_REQUEST, a timeout outside 1..transaction.max.timeout.ms
// INVALID_TRANSACTION_TIMEOUT.

func (s *Server) handleInitProducerID(r *request, req *kmsg.InitProducerIDRequest) kmsg.Response {
	if req.TransactionalID != nil {
		if s.cfg.Txn == nil {
			resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
			resp.ProducerID, resp.ProducerEpoch = -1, -1
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
			return resp
		}
		return s.cfg.Txn.InitProducerID(r.ctx, req)
	}
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.ProducerID >= 0 && req.ProducerEpoch >= 0 && req.ProducerEpoch < math.MaxInt16-1 {
		resp.ProducerID, resp.ProducerEpoch = req.ProducerID, req.ProducerEpoch+1
		return resp
	}
	id, err := s.c.NextProducerID()
	if err != nil {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return resp
}
