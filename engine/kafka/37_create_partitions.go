package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxPartitionsPerRequest is Kafka's cap on the partitions one CreateTopics request may ask
// for (MAX_PARTITIONS_PER_BATCH), applied to CreatePartitions too.
const maxPartitionsPerRequest = 10_000

// CreatePartitions: versions 0-3.
//
// Raises a topic's partition count; an explicit assignment may only name broker 0.
// ValidateOnly is honoured in every version.

func (s *Server) handleCreatePartitions(req *kmsg.CreatePartitionsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewCreatePartitionsResponseTopic()
		st.Topic = rt.Topic
		var assignment [][]int32
		if rt.Assignment != nil {
			assignment = make([][]int32, 0, len(rt.Assignment))
			for _, a := range rt.Assignment {
				assignment = append(assignment, a.Replicas)
			}
		}
		if t := s.c.Topic(rt.Topic); t != nil && int64(rt.Count)-int64(len(t.Partitions())) > maxPartitionsPerRequest {
			// The same per-request cap as CreateTopics, so one request cannot make the
			// broker open millions of partition logs.
			st.ErrorCode = kerr.PolicyViolation.Code
			msg := "Excessively large number of partitions per request."
			st.ErrorMessage = &msg
			resp.Topics = append(resp.Topics, st)
			continue
		}
		if err := s.c.CreatePartitions(rt.Topic, rt.Count, assignment, req.ValidateOnly); err != nil {
			st.ErrorCode = errorCode(err)
			st.ErrorMessage = errorMessage(err)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
