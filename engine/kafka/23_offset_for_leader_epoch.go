package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetForLeaderEpoch: versions 2-4.
//
// A single node has one leader epoch, 0, for every partition. Asked for epoch 0 (or below)
// the end offset is the high watermark; asked for a later epoch the answer is undefined
// (-1, -1), as Kafka answers an epoch it has not reached. A CurrentLeaderEpoch above 0 means
// the client believes in a leader epoch this broker never had: UNKNOWN_LEADER_EPOCH.

func (s *Server) handleOffsetForLeaderEpoch(req *kmsg.OffsetForLeaderEpochRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		t := s.c.Topic(rt.Topic)
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LeaderEpoch, sp.EndOffset = -1, -1
			switch {
			case t == nil || t.Partition(rp.Partition) == nil:
				sp.ErrorCode = unknownTopic
			case rp.CurrentLeaderEpoch > 0:
				sp.ErrorCode = kerr.UnknownLeaderEpoch.Code
			case rp.LeaderEpoch <= 0:
				sp.LeaderEpoch = 0
				sp.EndOffset = t.Partition(rp.Partition).HighWatermark()
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
