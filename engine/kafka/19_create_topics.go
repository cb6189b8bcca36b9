package kafka

import (
	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// CreateTopics: versions 2-7.
//
// v1 ValidateOnly and error messages; v4 default partitions / replication factor (-1);
// v5 the created topic's partitions, replication factor and configs in the response;
// v7 topic ids. Replication factors above 1 are refused with INVALID_REPLICATION_FACTOR, as a
// one-broker Kafka cluster refuses them.

func (s *Server) handleCreateTopics(req *kmsg.CreateTopicsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	seen := make(map[string]int)
	for _, rt := range req.Topics {
		seen[rt.Topic]++
	}
	for _, rt := range req.Topics {
		st := kmsg.NewCreateTopicsResponseTopic()
		st.Topic = rt.Topic
		st.NumPartitions, st.ReplicationFactor = -1, -1
		if seen[rt.Topic] > 1 {
			st.ErrorCode = invalidRequest
			msg := "topic " + rt.Topic + " appears more than once in the request"
			st.ErrorMessage = &msg
			resp.Topics = append(resp.Topics, st)
			continue
		}
		spec := cluster.CreateSpec{
			Name:              rt.Topic,
			Partitions:        rt.NumPartitions,
			ReplicationFactor: rt.ReplicationFactor,
			Configs:           make(map[string]string, len(rt.Configs)),
		}
		for _, a := range rt.ReplicaAssignment {
			for int(a.Partition) >= len(spec.Assignment) {
				spec.Assignment = append(spec.Assignment, nil)
			}
			spec.Assignment[a.Partition] = a.Replicas
		}
		for _, c := range rt.Configs {
			if c.Value != nil {
				spec.Configs[c.Name] = *c.Value
			}
		}
		t, err := s.c.CreateTopic(spec, req.ValidateOnly)
		if err != nil {
			st.ErrorCode = errorCode(err)
			st.ErrorMessage = errorMessage(err)
			resp.Topics = append(resp.Topics, st)
			continue
		}
		st.TopicID = t.ID
		st.NumPartitions = int32(len(t.Partitions()))
		st.ReplicationFactor = 1
		for _, e := range describeTopicConfigs(t, nil, false, false) {
			c := kmsg.NewCreateTopicsResponseTopicConfig()
			c.Name = e.Name
			c.Value = e.Value
			c.ReadOnly = e.ReadOnly
			c.Source = int8(e.Source)
			c.IsSensitive = e.IsSensitive
			st.Configs = append(st.Configs, c)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
