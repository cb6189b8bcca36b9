package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Heartbeat: versions 0-4.
//
// v3 InstanceID (KIP-345); v4 flexible. REBALANCE_IN_PROGRESS while the group prepares a
// rebalance (the heartbeat still counts), UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and
// FENCED_INSTANCE_ID as Kafka answers them.

func (s *Server) handleHeartbeat(r *request, req *kmsg.HeartbeatRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	return s.cfg.Groups.Heartbeat(r.ctx, req)
}
