package kafka

import (
	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/twmb/franz-go/pkg/kerr"
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
	var total int64
	for _, rt := range req.Topics {
		seen[rt.Topic]++
		switch {
		case len(rt.ReplicaAssignment) > 0:
			total += int64(len(rt.ReplicaAssignment))
		case rt.NumPartitions == -1:
			total += int64(s.c.DefaultPartitions())
		case rt.NumPartitions > 0:
			total += int64(rt.NumPartitions)
		}
	}
	// Kafka's controller refuses a request asking for more than 10,000 partitions in all
	// (ReplicationControlManager.MAX_PARTITIONS_PER_BATCH) with POLICY_VIOLATION; without the
	// cap one request could make the broker open millions of partition logs.
	tooMany := total > maxPartitionsPerRequest
	for _, rt := range req.Topics {
		st := kmsg.NewCreateTopicsResponseTopic()
		st.Topic = rt.Topic
		st.NumPartitions, st.ReplicationFactor = -1, -1
		if tooMany {
			st.ErrorCode = kerr.PolicyViolation.Code
			msg := "Excessively large number of partitions per request."
			st.ErrorMessage = &msg
			resp.Topics = append(resp.Topics, st)
			continue
		}
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
		// Kafka numbers assigned partitions 0..n-1, each once; a negative, out-of-range or
		// repeated index is INVALID_REPLICA_ASSIGNMENT. Checked before indexing, so a
		// hostile index can neither panic nor size a huge slice.
		if n := len(rt.ReplicaAssignment); n > 0 {
			spec.Assignment = make([][]int32, n)
			assigned := make([]bool, n)
			var bad bool
			for _, a := range rt.ReplicaAssignment {
				if a.Partition < 0 || int(a.Partition) >= n || assigned[a.Partition] {
					bad = true
					break
				}
				assigned[a.Partition] = true
				spec.Assignment[a.Partition] = a.Replicas
			}
			if bad {
				st.ErrorCode = kerr.InvalidReplicaAssignment.Code
				msg := "replica assignment partitions must be numbered 0 to n-1, each once"
				st.ErrorMessage = &msg
				resp.Topics = append(resp.Topics, st)
				continue
			}
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
		for _, e := range describeTopicConfigs(t, s.c.BrokerConfigs(), nil, false, false) {
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
