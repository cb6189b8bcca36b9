package kafka

import (
	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeCluster: versions 0-1.
//
// The one broker, the cluster id and broker 0 as controller. v1 endpoint types: brokers (1)
// are described; controllers (2) are not a separate endpoint here.

func (s *Server) handleDescribeCluster(req *kmsg.DescribeClusterRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	if req.Version >= 1 && req.EndpointType != 1 {
		resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		return resp
	}
	host, port := s.advertised()
	resp.ClusterID = s.cfg.ClusterID
	resp.ControllerID = cluster.BrokerID
	resp.EndpointType = 1
	resp.ClusterAuthorizedOperations = -2147483648
	b := kmsg.NewDescribeClusterResponseBroker()
	b.NodeID, b.Host, b.Port = cluster.BrokerID, host, port
	resp.Brokers = append(resp.Brokers, b)
	return resp
}
