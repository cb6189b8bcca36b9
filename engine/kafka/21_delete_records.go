package kafka

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DeleteRecords: versions 0-2.
//
// Moves a partition's log start offset forward (-1 means the high watermark); whole segments
// below it are deleted and the new start survives restarts. The response carries the new low
// watermark.

func (s *Server) handleDeleteRecords(req *kmsg.DeleteRecordsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		t := s.c.Topic(rt.Topic)
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LowWatermark = -1
			if t == nil || t.Partition(rp.Partition) == nil {
				sp.ErrorCode = unknownTopic
			} else if lw, err := t.Partition(rp.Partition).DeleteRecordsBefore(rp.Offset); err != nil {
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
