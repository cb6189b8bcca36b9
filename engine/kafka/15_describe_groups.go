package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeGroups: versions 0-5.
//
// v3 AuthorizedOperations (answered "not requested": no ACLs yet); v4 InstanceID per member;
// v5 flexible. A group that does not exist is state Dead with no error (v6 would make that
// GROUP_ID_NOT_FOUND, KIP-1043; not served). Member metadata and assignments are filled only
// while the group is Stable, as Kafka fills them.

func (s *Server) handleDescribeGroups(r *request, req *kmsg.DescribeGroupsRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
		for _, g := range req.Groups {
			dg := kmsg.NewDescribeGroupsResponseGroup()
			dg.Group = g
			dg.ErrorCode = kerr.CoordinatorNotAvailable.Code
			resp.Groups = append(resp.Groups, dg)
		}
		return resp
	}
	return s.cfg.Groups.DescribeGroups(r.ctx, req)
}
