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
// Transactional ids are not served until engine/txn lands: they are refused with
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED, a fatal error every client reports plainly, rather
// than an error it would retry forever.

func (s *Server) handleInitProducerID(req *kmsg.InitProducerIDRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return resp
	}
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
