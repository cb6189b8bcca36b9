package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetDelete: version 0 (KIP-496).
//
// Deletes committed offsets of an empty group, or of topics a consumer group with members does
// not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC for those it does; NON_EMPTY_GROUP for a group
// with members of another protocol type). Unknown topics or partitions are
// UNKNOWN_TOPIC_OR_PARTITION, an unknown group GROUP_ID_NOT_FOUND.

func (s *Server) handleOffsetDelete(r *request, req *kmsg.OffsetDeleteRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	return s.cfg.Groups.OffsetDelete(r.ctx, req)
}
