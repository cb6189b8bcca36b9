package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetFetch: versions 0-9.
//
// v1 reads offsets kept by the coordinator (v0 read ZooKeeper in old Kafka; served the same
// here); v2 null topics = every committed offset, and a top-level error code; v5 LeaderEpoch;
// v6 flexible; v7 RequireStable (KIP-447; nothing is ever pending without transactions); v8
// several groups per request (KIP-709); v9 member id and epoch (KIP-848: checked for consumer groups,
// UNKNOWN_MEMBER_ID or STALE_MEMBER_EPOCH; not for classic groups). A partition with no committed offset is offset -1 with no error.

func (s *Server) handleOffsetFetch(r *request, req *kmsg.OffsetFetchRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		for _, g := range req.Groups {
			sg := kmsg.NewOffsetFetchResponseGroup()
			sg.Group = g.Group
			sg.ErrorCode = kerr.CoordinatorNotAvailable.Code
			resp.Groups = append(resp.Groups, sg)
		}
		return resp
	}
	return s.cfg.Groups.OffsetFetch(r.ctx, req)
}
