package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DeleteGroups: versions 0-2.
//
// v2 flexible. A group with members is NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND; an
// empty group's offsets and metadata are tombstoned in __consumer_offsets and the answer waits
// for the tombstones to be durable.

func (s *Server) handleDeleteGroups(r *request, req *kmsg.DeleteGroupsRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
		for _, g := range req.Groups {
			dg := kmsg.NewDeleteGroupsResponseGroup()
			dg.Group = g
			dg.ErrorCode = kerr.CoordinatorNotAvailable.Code
			resp.Groups = append(resp.Groups, dg)
		}
		return resp
	}
	return s.cfg.Groups.DeleteGroups(r.ctx, req)
}
