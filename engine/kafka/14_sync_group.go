package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// SyncGroup: versions 0-5.
//
// v3 InstanceID (KIP-345); v4 flexible; v5 ProtocolType and Protocol, checked against the
// group's (INCONSISTENT_GROUP_PROTOCOL) and returned (KIP-559). Followers park until the
// leader's assignment is stored; members the leader left out get an empty assignment, as in
// Kafka.

func (s *Server) handleSyncGroup(r *request, req *kmsg.SyncGroupRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	return s.cfg.Groups.SyncGroup(r.ctx, req)
}
