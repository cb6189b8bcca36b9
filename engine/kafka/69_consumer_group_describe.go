package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ConsumerGroupDescribe: versions 0-1 (KIP-848).
//
// v1 MemberType per member (1: the consumer protocol). A group that does not exist, or that
// is a classic group, is GROUP_ID_NOT_FOUND; an empty group id INVALID_GROUP_ID. Authorized
// operations are not computed (there are no ACLs).

func (s *Server) handleConsumerGroupDescribe(r *request, req *kmsg.ConsumerGroupDescribeRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
		for _, g := range req.Groups {
			sg := kmsg.NewConsumerGroupDescribeResponseGroup()
			sg.Group = g
			sg.ErrorCode = kerr.CoordinatorNotAvailable.Code
			resp.Groups = append(resp.Groups, sg)
		}
		return resp
	}
	return s.cfg.Groups.ConsumerGroupDescribe(r.ctx, req)
}
