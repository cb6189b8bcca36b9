package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ConsumerGroupHeartbeat: versions 0-1 (KIP-848).
//
// v0 the coordinator names a joining member that sends no member id; v1 SubscribedTopicRegex
// (matched with Go's RE2 syntax, as Kafka matches with RE2/J) and the member names itself
// (KIP-1082: an empty member id is INVALID_REQUEST). Epoch 0 joins, -1 leaves, -2 is a static
// member's temporary leave; any other epoch must be the member's (or its previous epoch with
// no more owned than assigned), else FENCED_MEMBER_EPOCH. Malformed fields are
// INVALID_REQUEST, an unknown ServerAssignor UNSUPPORTED_ASSIGNOR ("uniform", the default, and
// "range" are served), a group with classic members GROUP_ID_NOT_FOUND. The engine/group
// package holds the rules.

func (s *Server) handleConsumerGroupHeartbeat(r *request, req *kmsg.ConsumerGroupHeartbeatRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	return s.cfg.Groups.ConsumerGroupHeartbeat(r.ctx, clientOf(r), req)
}
