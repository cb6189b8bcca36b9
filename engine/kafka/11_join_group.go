package kafka

import (
	"net"

	"github.com/streamlite/streamlite/engine/group"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// JoinGroup: versions 0-9.
//
// v1 RebalanceTimeout (v0 uses the session timeout); v4 a first join without a member id gets
// MEMBER_ID_REQUIRED and its id (KIP-394); v5 static membership through group.instance.id,
// a rejoin under a known instance id fencing the old member id (KIP-345); v6 flexible; v7
// ProtocolType in the response (KIP-559); v8 Reason (KIP-800, ignored); v9 SkipAssignment for a
// static leader rejoining a stable group (KIP-814). The request parks the connection's reader
// until the rebalance answers it, as Kafka parks it; the engine/group package holds the rules.

func (s *Server) handleJoinGroup(r *request, req *kmsg.JoinGroupRequest) kmsg.Response {
	if s.cfg.Groups == nil {
		resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	return s.cfg.Groups.JoinGroup(r.ctx, clientOf(r), req)
}

// clientOf says who sent r, as Kafka reports members: client id and "/host".
func clientOf(r *request) group.Client {
	host := r.conn.remote
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return group.Client{ID: r.clientID, Host: "/" + host}
}
