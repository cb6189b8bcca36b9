package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// LeaveGroup: versions 0-5.
//
// v0-2 one member id, its error at the top level; v3 a batch of members by member id or group
// instance id, one result each (KIP-345; an instance id alone removes that static member, as
// kafka-consumer-groups does); v4 flexible; v5 a Reason per member (KIP-800, ignored).

func (s *Server) handleLeaveGroup(r *request, req *kmsg.LeaveGroupRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	return s.cfg.Groups.LeaveGroup(r.ctx, req)
}
