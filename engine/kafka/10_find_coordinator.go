package kafka

import (
	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FindCoordinator: versions 0-6.
//
// v1 CoordinatorType (0 group, 1 transaction) and error messages; v3 flexible; v4 batched
// CoordinatorKeys with a result per key (KIP-699); v5 and v6 add nothing we answer differently
// (v6's share-group key type 2, KIP-932, is not served). Every group and every transactional
// id is coordinated by this broker (node 0, at the advertised address); without a group or
// transaction coordinator the key type is COORDINATOR_NOT_AVAILABLE, which clients retry. An
// unknown key type is INVALID_REQUEST, as Kafka answers it.

func (s *Server) handleFindCoordinator(req *kmsg.FindCoordinatorRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	host, port := s.advertised()
	answer := func(key string) kmsg.FindCoordinatorResponseCoordinator {
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		c.Key = key
		c.NodeID, c.Host, c.Port = -1, "", -1
		var err *kerr.Error
		switch {
		case req.CoordinatorType == 0 && s.cfg.Groups != nil, req.CoordinatorType == 1 && s.cfg.Txn != nil:
			c.NodeID, c.Host, c.Port = cluster.BrokerID, host, port
			return c
		case req.CoordinatorType == 0, req.CoordinatorType == 1:
			err = kerr.CoordinatorNotAvailable
		default:
			err = kerr.InvalidRequest
		}
		c.ErrorCode = err.Code
		c.ErrorMessage = kmsg.StringPtr(err.Message)
		return c
	}
	if req.Version >= 4 {
		for _, key := range req.CoordinatorKeys {
			resp.Coordinators = append(resp.Coordinators, answer(key))
		}
		return resp
	}
	c := answer(req.CoordinatorKey)
	resp.ErrorCode, resp.ErrorMessage = c.ErrorCode, c.ErrorMessage
	resp.NodeID, resp.Host, resp.Port = c.NodeID, c.Host, c.Port
	return resp
}
