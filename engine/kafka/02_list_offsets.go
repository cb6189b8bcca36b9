package kafka

import (
	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListOffsets: versions 1-10.
//
// Timestamps: -1 latest (the high watermark; for read_committed, v2+, the last stable offset:
// the start of the earliest open transaction), -2 earliest, -3 the record with the largest timestamp
// (v7, KIP-734), -4 earliest local (v8, KIP-405; everything is local until tiered storage),
// -5 latest tiered (v9, KIP-1005: -1 as nothing is tiered yet); a timestamp >= 0 finds the first
// record at or after it through the time index (offsetsForTimes), or -1 if there is none.
// v2 isolation level: under read_committed a timestamp lookup that lands at or past the last
// stable offset finds nothing (-1), as in Kafka; v4 leader epochs (always 0).

func (s *Server) handleListOffsets(r *request, req *kmsg.ListOffsetsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		t := s.c.Topic(rt.Topic)
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			var p *log.Partition
			if t != nil {
				p = t.Partition(rp.Partition)
			}
			if p == nil {
				sp.ErrorCode = unknownTopic
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			sp.LeaderEpoch = 0
			sp.Timestamp = -1
			end := p.HighWatermark()
			if req.IsolationLevel == 1 {
				end = p.LastStableOffset()
			}
			switch ts := rp.Timestamp; {
			case ts == -1:
				sp.Offset = end
			case ts == -2:
				sp.Offset = p.LogStartOffset()
			case ts == -4: // earliest local (KIP-1005)
				sp.Offset = p.LocalLogStartOffset()
			case ts == -3:
				off, mts, ok, err := p.MaxTimestamp()
				switch {
				case err != nil:
					sp.ErrorCode = errorCode(err)
				case ok && off < end:
					sp.Offset, sp.Timestamp = off, mts
				default:
					sp.Offset = -1
				}
			case ts == -5: // latest tiered (KIP-1005): the last offset in the remote tier
				sp.Offset = -1
				if t := p.Remote(); t != nil && t.EndOffset() > 0 {
					sp.Offset = t.EndOffset() - 1
				}
			case ts < 0:
				sp.ErrorCode = unsupportedVersion
			default:
				off, rts, ok, err := p.RemoteOffsetForTimestamp(r.ctx, ts)
				if err == nil && !ok {
					off, rts, ok, err = p.OffsetForTimestamp(ts)
				}
				switch {
				case err != nil:
					sp.ErrorCode = errorCode(err)
				case ok && off < end:
					sp.Offset, sp.Timestamp = off, rts
				default:
					sp.Offset = -1
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
