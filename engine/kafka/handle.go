package kafka

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// handle answers one decoded request whose version is served. It runs on the connection's
// reader goroutine. A nil reply means nothing is written (never for a served request today;
// acks=0 produce returns a skip reply so ordering is kept).
func (s *Server) handle(r *request) *reply {
	var resp kmsg.Response
	switch req := r.kreq.(type) {
	case *kmsg.ProduceRequest:
		return s.handleProduce(r, req)
	case *kmsg.FetchRequest:
		return s.handleFetch(r, req)
	case *kmsg.ListOffsetsRequest:
		resp = s.handleListOffsets(r, req)
	case *kmsg.MetadataRequest:
		resp = s.handleMetadata(req)
	case *kmsg.ApiVersionsRequest:
		resp = apiVersionsResponse(r.version, 0)
	case *kmsg.CreateTopicsRequest:
		resp = s.handleCreateTopics(req)
	case *kmsg.DeleteTopicsRequest:
		resp = s.handleDeleteTopics(req)
	case *kmsg.DeleteRecordsRequest:
		resp = s.handleDeleteRecords(r, req)
	case *kmsg.InitProducerIDRequest:
		resp = s.handleInitProducerID(r, req)
	case *kmsg.AddPartitionsToTxnRequest:
		resp = s.handleAddPartitionsToTxn(r, req)
	case *kmsg.AddOffsetsToTxnRequest:
		resp = s.handleAddOffsetsToTxn(r, req)
	case *kmsg.EndTxnRequest:
		resp = s.handleEndTxn(r, req)
	case *kmsg.TxnOffsetCommitRequest:
		resp = s.handleTxnOffsetCommit(r, req)
	case *kmsg.DescribeTransactionsRequest:
		resp = s.handleDescribeTransactions(req)
	case *kmsg.ListTransactionsRequest:
		resp = s.handleListTransactions(req)
	case *kmsg.OffsetForLeaderEpochRequest:
		resp = s.handleOffsetForLeaderEpoch(req)
	case *kmsg.DescribeConfigsRequest:
		resp = s.handleDescribeConfigs(req)
	case *kmsg.AlterConfigsRequest:
		resp = s.handleAlterConfigs(req)
	case *kmsg.IncrementalAlterConfigsRequest:
		resp = s.handleIncrementalAlterConfigs(req)
	case *kmsg.DescribeLogDirsRequest:
		resp = s.handleDescribeLogDirs(req)
	case *kmsg.CreatePartitionsRequest:
		resp = s.handleCreatePartitions(req)
	case *kmsg.DescribeClusterRequest:
		resp = s.handleDescribeCluster(req)
	case *kmsg.DescribeProducersRequest:
		resp = s.handleDescribeProducers(req)
	case *kmsg.OffsetCommitRequest:
		resp = s.handleOffsetCommit(r, req)
	case *kmsg.OffsetFetchRequest:
		resp = s.handleOffsetFetch(r, req)
	case *kmsg.FindCoordinatorRequest:
		resp = s.handleFindCoordinator(req)
	case *kmsg.JoinGroupRequest:
		resp = s.handleJoinGroup(r, req)
	case *kmsg.HeartbeatRequest:
		resp = s.handleHeartbeat(r, req)
	case *kmsg.LeaveGroupRequest:
		resp = s.handleLeaveGroup(r, req)
	case *kmsg.SyncGroupRequest:
		resp = s.handleSyncGroup(r, req)
	case *kmsg.DescribeGroupsRequest:
		resp = s.handleDescribeGroups(r, req)
	case *kmsg.ListGroupsRequest:
		resp = s.handleListGroups(r, req)
	case *kmsg.DeleteGroupsRequest:
		resp = s.handleDeleteGroups(r, req)
	case *kmsg.OffsetDeleteRequest:
		resp = s.handleOffsetDelete(r, req)
	case *kmsg.ConsumerGroupHeartbeatRequest:
		resp = s.handleConsumerGroupHeartbeat(r, req)
	case *kmsg.ConsumerGroupDescribeRequest:
		resp = s.handleConsumerGroupDescribe(r, req)
	default:
		resp = r.kreq.ResponseKind()
		setErrorCodes(resp, unsupportedVersion)
	}
	return &reply{resp: resp}
}
