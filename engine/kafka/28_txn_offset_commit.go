package kafka

import (
	"errors"

	"github.com/streamlite/streamlite/engine/group"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TxnOffsetCommit: versions 0-4.
//
// Commits a group's offsets inside a transaction: the offsets are written to the group's
// __consumer_offsets partition as a transactional batch and become the committed offsets only
// when EndTxn commits (engine/group). The transaction coordinator (engine/txn) first checks
// the producer and that AddOffsetsToTxn added the partition (INVALID_PRODUCER_ID_MAPPING,
// INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE for every partition), and EndTxn waits for the
// write to finish before it writes markers. v1 adds nothing we answer differently; v2
// ThrottleMillis; v3 flexible, the member id, generation and instance id (KIP-447: a zombie
// member of an older generation is refused) and PRODUCER_FENCED for a stale epoch
// (INVALID_PRODUCER_EPOCH below); v4 adds nothing here. v5+ (KIP-890's implicit AddOffsetsToTxn)
// is not served.

func (s *Server) handleTxnOffsetCommit(r *request, req *kmsg.TxnOffsetCommitRequest) kmsg.Response {
	if s.cfg.Txn == nil || s.cfg.Groups == nil {
		return txnOffsetCommitError(req, kerr.CoordinatorNotAvailable.Code)
	}
	p, err := s.cfg.Groups.OffsetsPartition(req.Group)
	if err != nil {
		s.logger.Warn("offsets topic unavailable", "group", req.Group, "err", err)
		return txnOffsetCommitError(req, kerr.CoordinatorNotAvailable.Code)
	}
	release, err := s.cfg.Txn.BeginWrite(req.TransactionalID, req.ProducerID, req.ProducerEpoch, group.OffsetsTopic, p)
	if err != nil {
		code := kerr.UnknownServerError.Code
		var ke *kerr.Error
		if errors.As(err, &ke) {
			code = ke.Code
		}
		if code == kerr.InvalidProducerEpoch.Code && req.Version >= 3 {
			code = kerr.ProducerFenced.Code
		}
		return txnOffsetCommitError(req, code)
	}
	defer release()
	return s.cfg.Groups.TxnOffsetCommit(r.ctx, req)
}

// txnOffsetCommitError answers every partition of req with code.
func txnOffsetCommitError(req *kmsg.TxnOffsetCommitRequest, code int16) *kmsg.TxnOffsetCommitResponse {
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewTxnOffsetCommitResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.ErrorCode = code
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
