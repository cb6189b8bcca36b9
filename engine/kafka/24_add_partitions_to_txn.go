package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// AddPartitionsToTxn: versions 0-3.
//
// v1 adds nothing we answer differently; v2 PRODUCER_FENCED for a stale epoch
// (INVALID_PRODUCER_EPOCH below, KIP-588); v3 flexible. v4+ (KIP-890: batched transactions,
// broker-side verification) is not served: the broker does not advertise transaction.version
// 2, so clients add partitions with v3 and below. A partition that does not exist is
// UNKNOWN_TOPIC_OR_PARTITION and the others in the request OPERATION_NOT_ATTEMPTED; otherwise
// the transaction coordinator (engine/txn) answers every partition with one code, once the
// partitions are durably part of the transaction.

func (s *Server) handleAddPartitionsToTxn(r *request, req *kmsg.AddPartitionsToTxnRequest) kmsg.Response {
	if s.cfg.Txn == nil {
		resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewAddPartitionsToTxnResponseTopic()
			st.Topic = rt.Topic
			for _, p := range rt.Partitions {
				sp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
				sp.Partition = p
				sp.ErrorCode = kerr.CoordinatorNotAvailable.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp
	}
	return s.cfg.Txn.AddPartitionsToTxn(r.ctx, req)
}
