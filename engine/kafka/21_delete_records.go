package kafka

import (
	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DeleteRecords: versions 0-2.
//
// Moves a partition's log start offset forward (-1 means the high watermark); whole segments
// below it are deleted and the new start survives restarts. The response carries the new low
// watermark. On a remote-storage topic the remote tier's start moves too, its objects below
// deleted. A topic with cleanup.policy=compact alone refuses with POLICY_VIOLATION, as Kafka
// does: its records go only by compaction.

func (s *Server) handleDeleteRecords(r *request, req *kmsg.DeleteRecordsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		t := s.c.Topic(rt.Topic)
		compactOnly := false
		if t != nil {
			policy, _ := t.Config("cleanup.policy")
			compactOnly = log.ParseCleanupPolicy(policy) == log.CleanupCompact
		}
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LowWatermark = -1
			if t == nil || t.Partition(rp.Partition) == nil {
				sp.ErrorCode = unknownTopic
			} else if compactOnly {
				sp.ErrorCode = kerr.PolicyViolation.Code
			} else if lw, err := t.Partition(rp.Partition).DeleteRecordsBeforeContext(r.ctx, rp.Offset); err != nil {
				sp.ErrorCode = errorCode(err)
			} else {
				sp.LowWatermark = lw
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
