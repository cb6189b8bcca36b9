package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListGroups: versions 0-5.
//
// v3 flexible; v4 StatesFilter and each group's state (KIP-518); v5 TypesFilter and each
// group's type (KIP-848: "classic", or "consumer" for a group using ConsumerGroupHeartbeat). Filters match case-insensitively.

func (s *Server) handleListGroups(r *request, req *kmsg.ListGroupsRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	return s.cfg.Groups.ListGroups(r.ctx, req)
}
