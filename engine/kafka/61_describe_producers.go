package kafka

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeProducers: version 0.
//
// KIP-664's tooling view of a partition's producer state: every producer the partition tracks
// (idempotent or transactional, until producer.id.expiration.ms forgets it) with its epoch, last
// sequence (-1 if it wrote none with a sequence), last write time, the coordinator epoch of its
// last marker and the first offset of its open transaction (-1 if none). A hanging transaction
// shows up here as an old CurrentTxnStartOffset.

func (s *Server) handleDescribeProducers(req *kmsg.DescribeProducersRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DescribeProducersResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewDescribeProducersResponseTopic()
		st.Topic = rt.Topic
		t := s.c.Topic(rt.Topic)
		for _, pn := range rt.Partitions {
			sp := kmsg.NewDescribeProducersResponseTopicPartition()
			sp.Partition = pn
			if t == nil || t.Partition(pn) == nil {
				sp.ErrorCode = unknownTopic
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			for _, pi := range t.Partition(pn).Producers() {
				ap := kmsg.NewDescribeProducersResponseTopicPartitionActiveProducer()
				ap.ProducerID = pi.ProducerID
				ap.ProducerEpoch = int32(pi.ProducerEpoch)
				ap.LastSequence = pi.LastSequence
				ap.LastTimestamp = pi.LastTimestamp
				ap.CoordinatorEpoch = pi.CoordinatorEpoch
				ap.CurrentTxnStartOffset = pi.CurrentTxnStartOffset
				sp.ActiveProducers = append(sp.ActiveProducers, ap)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
