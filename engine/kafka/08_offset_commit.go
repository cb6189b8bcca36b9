package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetCommit: versions 0-9.
//
// v0 and any commit with generation -1 and no member id is a "simple" commit, accepted while
// the group has no members (and creating the group if needed); v1 generation, member id and a
// per-partition timestamp (ignored); v2-4 RetentionTime (ignored: offsets do not expire here);
// v6 LeaderEpoch per partition (KIP-320); v7 InstanceID (KIP-345); v8 flexible; v9 adds nothing
// for classic groups; a consumer group (KIP-848) takes its commits from members at v9+ only
// (UNSUPPORTED_VERSION below), the generation being the member epoch: newer than the member's
// is STALE_MEMBER_EPOCH, and so is a partition given to the member after the request's epoch
// (KIP-1251's relaxed check). Unknown topics or partitions are UNKNOWN_TOPIC_OR_PARTITION, metadata over
// offset.metadata.max.bytes (4096) OFFSET_METADATA_TOO_LARGE. The response waits until the
// offsets are durable in __consumer_offsets.

func (s *Server) handleOffsetCommit(r *request, req *kmsg.OffsetCommitRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind()
		setErrorCodes(resp, kerr.CoordinatorNotAvailable.Code)
		return resp
	}
	return s.cfg.Groups.OffsetCommit(r.ctx, req)
}
