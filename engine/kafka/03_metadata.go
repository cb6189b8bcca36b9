package kafka

import (
	"errors"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/group"
	"github.com/streamlite/streamlite/engine/txn"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Metadata: versions 0-13.
//
// v1 null topics = all topics (v0: empty = all); v4 AllowAutoTopicCreation (earlier versions
// always allow it); v10 topic ids; v8-10 authorized operations (answered as "not requested").
// Auto-created topics are created synchronously, so they come back with their partitions and
// no LEADER_NOT_AVAILABLE round trip. __consumer_offsets and __transaction_state are reported
// IsInternal (v1+), and auto-created, if asked for, as their coordinators create them.
// __cluster_metadata, the metadata log as JSON records, is internal and read-only.

func (s *Server) handleMetadata(req *kmsg.MetadataRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	host, port := s.advertised()
	resp.Brokers = []kmsg.MetadataResponseBroker{{NodeID: cluster.BrokerID, Host: host, Port: port}}
	resp.ClusterID = &s.cfg.ClusterID
	resp.ControllerID = cluster.BrokerID
	resp.AuthorizedOperations = -2147483648

	all := req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0)
	if all {
		for _, t := range s.c.Topics() {
			resp.Topics = append(resp.Topics, metadataTopic(t))
		}
		return resp
	}
	autoCreate := s.cfg.AutoCreateTopics && (req.Version < 4 || req.AllowAutoTopicCreation)
	for _, rt := range req.Topics {
		var t *cluster.Topic
		var name string
		if rt.Topic != nil {
			name = *rt.Topic
			t = s.c.Topic(name)
		} else {
			t = s.c.TopicByID(rt.TopicID)
		}
		if t == nil && rt.Topic != nil && autoCreate {
			var err error
			if name == group.OffsetsTopic && s.cfg.Groups != nil {
				// Made as the coordinator makes it: compacted, 50 partitions.
				t, err = s.cfg.Groups.OffsetsTopic()
			} else if name == txn.StateTopic && s.cfg.Txn != nil {
				t, err = s.cfg.Txn.TransactionStateTopic()
			} else {
				t, err = s.c.CreateTopic(cluster.CreateSpec{Name: name, Partitions: -1, ReplicationFactor: -1, AutoCreated: true}, false)
			}
			if errors.Is(err, cluster.ErrTopicExists) {
				t, err = s.c.Topic(name), nil
			}
			if err != nil {
				mt := kmsg.NewMetadataResponseTopic()
				mt.Topic = rt.Topic
				mt.ErrorCode = errorCode(err)
				resp.Topics = append(resp.Topics, mt)
				continue
			}
		}
		if t == nil {
			mt := kmsg.NewMetadataResponseTopic()
			mt.Topic = rt.Topic
			mt.TopicID = rt.TopicID
			mt.ErrorCode = unknownTopic
			if rt.Topic == nil {
				mt.ErrorCode = unknownTopicID
			} else if cluster.ValidateTopicName(name) != nil {
				mt.ErrorCode = kerr.InvalidTopicException.Code
			}
			resp.Topics = append(resp.Topics, mt)
			continue
		}
		resp.Topics = append(resp.Topics, metadataTopic(t))
	}
	return resp
}

func metadataTopic(t *cluster.Topic) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	name := t.Name
	mt.Topic = &name
	mt.TopicID = t.ID
	mt.IsInternal = name == group.OffsetsTopic || name == txn.StateTopic || name == cluster.MetadataTopic
	mt.AuthorizedOperations = -2147483648
	n := len(t.Partitions())
	mt.Partitions = make([]kmsg.MetadataResponseTopicPartition, n)
	for i := range n {
		p := kmsg.NewMetadataResponseTopicPartition()
		p.Partition = int32(i)
		p.Leader = cluster.BrokerID
		p.LeaderEpoch = 0
		p.Replicas = []int32{cluster.BrokerID}
		p.ISR = []int32{cluster.BrokerID}
		p.OfflineReplicas = []int32{}
		mt.Partitions[i] = p
	}
	return mt
}
