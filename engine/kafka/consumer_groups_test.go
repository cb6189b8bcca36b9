package kafka_test

import (
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The KIP-848 APIs' answers to wrong requests, checked against Kafka's GroupMetadataManager
// (throwIfConsumerGroupHeartbeatRequestIsInvalid, throwIfMemberEpochIsInvalid,
// ConsumerGroup.validateOffsetCommit/validateOffsetFetch).

func cgJoinReq(group, member string) *kmsg.ConsumerGroupHeartbeatRequest {
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Group, req.MemberID = group, member
	req.RebalanceTimeoutMillis = 10000
	req.SubscribedTopicNames = []string{"t"}
	req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	return req
}

func cgHeartbeat(c *rawConn, req *kmsg.ConsumerGroupHeartbeatRequest) *kmsg.ConsumerGroupHeartbeatResponse {
	return c.roundTrip(req, 1).(*kmsg.ConsumerGroupHeartbeatResponse)
}

func TestConsumerGroupHeartbeatRefusals(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(2, "t"))
	c := dialRaw(t, b.Addr())

	bad := func(what string, mod func(*kmsg.ConsumerGroupHeartbeatRequest), want *kerr.Error) {
		t.Helper()
		req := cgJoinReq("bad", "m-bad")
		mod(req)
		errCode(t, what, cgHeartbeat(c, req).ErrorCode, want)
	}
	bad("empty group", func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.Group = "" }, kerr.InvalidRequest)
	bad("v1 empty member id", func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.MemberID = "" }, kerr.InvalidRequest)
	bad("join without rebalance timeout", func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.RebalanceTimeoutMillis = -1 }, kerr.InvalidRequest)
	bad("join owning partitions", func(r *kmsg.ConsumerGroupHeartbeatRequest) {
		r.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{{Partitions: []int32{0}}}
	}, kerr.InvalidRequest)
	bad("join with null owned", func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.Topics = nil }, kerr.InvalidRequest)
	bad("join without subscription", func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.SubscribedTopicNames = nil }, kerr.InvalidRequest)
	bad("epoch -3", func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.MemberEpoch = -3 }, kerr.InvalidRequest)
	bad("static leave without instance id", func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.MemberEpoch = -2 }, kerr.InvalidRequest)
	bad("unknown assignor", func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.ServerAssignor = kmsg.StringPtr("sticky") }, kerr.UnsupportedAssignor)
	bad("bad regex", func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.SubscribedTopicRegex = kmsg.StringPtr("(") }, kerr.InvalidRegularExpression)
	bad("heartbeat to no group", func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.MemberEpoch = 3 }, kerr.UnknownMemberID)

	// A member joins and gets both partitions at epoch 1.
	r := cgHeartbeat(c, cgJoinReq("g", "m1"))
	errCode(t, "join", r.ErrorCode, nil)
	if r.MemberEpoch != 1 || r.MemberID == nil || *r.MemberID != "m1" || r.Assignment == nil ||
		len(r.Assignment.Topics) != 1 || len(r.Assignment.Topics[0].Partitions) != 2 || r.HeartbeatIntervalMillis <= 0 {
		t.Fatalf("join answer %+v", r)
	}
	hb := func(member string, epoch int32) *kmsg.ConsumerGroupHeartbeatResponse {
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch, req.RebalanceTimeoutMillis = "g", member, epoch, -1
		return cgHeartbeat(c, req)
	}
	errCode(t, "heartbeat", hb("m1", 1).ErrorCode, nil)
	errCode(t, "unknown member", hb("nobody", 1).ErrorCode, kerr.UnknownMemberID)
	errCode(t, "epoch ahead", hb("m1", 7).ErrorCode, kerr.FencedMemberEpoch)
	errCode(t, "join without its fields", hb("m1", 0).ErrorCode, kerr.InvalidRequest)

	// A second member bumps the epoch; m1 is asked to revoke one partition and keeps epoch 1.
	r2 := cgHeartbeat(c, cgJoinReq("g", "m2"))
	errCode(t, "second join", r2.ErrorCode, nil)
	if r2.MemberEpoch != 2 || r2.Assignment == nil || len(r2.Assignment.Topics) != 0 {
		t.Fatalf("second member should wait for m1's revocation: %+v", r2)
	}
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Group, req.MemberID, req.MemberEpoch, req.RebalanceTimeoutMillis = "g", "m1", 1, 10000
	req.SubscribedTopicNames = []string{"t"}
	req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{{TopicID: r.Assignment.Topics[0].TopicID, Partitions: []int32{0, 1}}}
	r1 := cgHeartbeat(c, req)
	errCode(t, "m1 heartbeat", r1.ErrorCode, nil)
	if r1.MemberEpoch != 1 || r1.Assignment == nil || len(r1.Assignment.Topics) != 1 || len(r1.Assignment.Topics[0].Partitions) != 1 {
		t.Fatalf("m1 should be told to keep one partition at epoch 1: %+v", r1)
	}
	kept := r1.Assignment.Topics[0].Partitions[0]

	// A commit from m1 at epoch 2 is ahead of it: STALE_MEMBER_EPOCH; at epoch 1 it is fine.
	commit := func(member string, epoch int32, v int16) int16 {
		req := commitReq("g", member, epoch, "t", 5)
		return c.roundTrip(req, v).(*kmsg.OffsetCommitResponse).Topics[0].Partitions[0].ErrorCode
	}
	errCode(t, "commit ahead", commit("m1", 2, 9), kerr.StaleMemberEpoch)
	errCode(t, "commit", commit("m1", 1, 9), nil)
	errCode(t, "commit v8", commit("m1", 1, 8), kerr.UnsupportedVersion)
	errCode(t, "commit unknown member", commit("zz", 1, 9), kerr.UnknownMemberID)
	errCode(t, "anonymous commit to a group with members", commit("", -1, 9), kerr.UnknownMemberID)

	fetch := func(member *string, epoch int32) int16 {
		req := kmsg.NewPtrOffsetFetchRequest()
		g := kmsg.NewOffsetFetchRequestGroup()
		g.Group, g.MemberID, g.MemberEpoch = "g", member, epoch
		req.Groups = append(req.Groups, g)
		return c.roundTrip(req, 9).(*kmsg.OffsetFetchResponse).Groups[0].ErrorCode
	}
	errCode(t, "fetch", fetch(kmsg.StringPtr("m1"), 1), nil)
	errCode(t, "fetch stale", fetch(kmsg.StringPtr("m1"), 2), kerr.StaleMemberEpoch)
	errCode(t, "fetch unknown", fetch(kmsg.StringPtr("zz"), 1), kerr.UnknownMemberID)
	errCode(t, "admin fetch", fetch(nil, -1), nil)

	// m1 acks the revocation; m1 moves to epoch 2, and m2 gets the freed partition.
	req.Topics[0].Partitions = []int32{kept}
	r1 = cgHeartbeat(c, req)
	errCode(t, "m1 ack", r1.ErrorCode, nil)
	if r1.MemberEpoch != 2 {
		t.Fatalf("m1 after revoking: %+v", r1)
	}
	req2 := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req2.Group, req2.MemberID, req2.MemberEpoch, req2.RebalanceTimeoutMillis = "g", "m2", 2, 10000
	req2.SubscribedTopicNames = []string{"t"}
	req2.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	r2 = cgHeartbeat(c, req2)
	errCode(t, "m2 heartbeat", r2.ErrorCode, nil)
	if r2.Assignment == nil || len(r2.Assignment.Topics) != 1 || len(r2.Assignment.Topics[0].Partitions) != 1 || r2.Assignment.Topics[0].Partitions[0] == kept {
		t.Fatalf("m2 should now hold the other partition: %+v", r2)
	}

	// ConsumerGroupDescribe: Stable at epoch 2.
	dreq := kmsg.NewPtrConsumerGroupDescribeRequest()
	dreq.Groups = []string{"g", "missing"}
	d := c.roundTrip(dreq, 1).(*kmsg.ConsumerGroupDescribeResponse)
	if dg := d.Groups[0]; dg.ErrorCode != 0 || dg.State != "Stable" || dg.Epoch != 2 || len(dg.Members) != 2 || dg.AssignorName != "uniform" {
		t.Fatalf("described %+v", dg)
	}
	errCode(t, "describe missing", d.Groups[1].ErrorCode, kerr.GroupIDNotFound)

	// Classic requests to the consumer group: a join is INCONSISTENT_GROUP_PROTOCOL, a classic
	// heartbeat UNKNOWN_MEMBER_ID, DeleteGroups NON_EMPTY_GROUP.
	jr := c.roundTrip(joinReq("g", "", nil), 9).(*kmsg.JoinGroupResponse)
	errCode(t, "classic join", jr.ErrorCode, kerr.InconsistentGroupProtocol)
	errCode(t, "classic heartbeat", heartbeat(c, "g", "m1", 2), kerr.UnknownMemberID)
	del := kmsg.NewPtrDeleteGroupsRequest()
	del.Groups = []string{"g"}
	errCode(t, "delete", c.roundTrip(del, 2).(*kmsg.DeleteGroupsResponse).Groups[0].ErrorCode, kerr.NonEmptyGroup)

	// Leaving: m1 then m2; a leave of an unknown member is UNKNOWN_MEMBER_ID.
	leave := func(member string) *kmsg.ConsumerGroupHeartbeatResponse {
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch = "g", member, -1
		return cgHeartbeat(c, req)
	}
	if lr := leave("m1"); lr.ErrorCode != 0 || lr.MemberEpoch != -1 {
		t.Fatalf("leave %+v", lr)
	}
	errCode(t, "leave again", leave("m1").ErrorCode, kerr.UnknownMemberID)
	errCode(t, "m2 leaves", leave("m2").ErrorCode, nil)
	d = c.roundTrip(dreq, 1).(*kmsg.ConsumerGroupDescribeResponse)
	if d.Groups[0].State != "Empty" {
		t.Fatalf("after leaving: %+v", d.Groups[0])
	}
	errCode(t, "admin commit to the empty group", commit("", -1, 9), nil)

	// A classic group with members refuses consumer heartbeats.
	joinOne(t, c, "classic")
	req = cgJoinReq("classic", "m")
	errCode(t, "consumer join to a classic group", cgHeartbeat(c, req).ErrorCode, kerr.GroupIDNotFound)
	dreq.Groups = []string{"classic"}
	d = c.roundTrip(dreq, 1).(*kmsg.ConsumerGroupDescribeResponse)
	errCode(t, "describe classic", d.Groups[0].ErrorCode, kerr.GroupIDNotFound)
}

// A regex subscription (v1) matches whole topic names.
func TestConsumerGroupRegexSubscription(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(2, "orders-a"), enginetest.Topics(3, "orders-b"), enginetest.Topics(1, "xorders-c"))
	c := dialRaw(t, b.Addr())
	req := cgJoinReq("rx", "m")
	req.SubscribedTopicNames = nil
	req.SubscribedTopicRegex = kmsg.StringPtr("orders-.*")
	r := cgHeartbeat(c, req)
	errCode(t, "regex join", r.ErrorCode, nil)
	n := 0
	for _, at := range r.Assignment.Topics {
		n += len(at.Partitions)
	}
	if len(r.Assignment.Topics) != 2 || n != 5 {
		t.Fatalf("regex assignment %+v", r.Assignment)
	}
}

// Static membership: a second member with the same instance id is UNRELEASED_INSTANCE_ID
// until the first leaves with epoch -2; the new member then takes over the assignment.
func TestConsumerGroupStaticMembers(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(2, "t"))
	c := dialRaw(t, b.Addr())
	req := cgJoinReq("s", "a")
	req.InstanceID = kmsg.StringPtr("i1")
	r := cgHeartbeat(c, req)
	errCode(t, "join", r.ErrorCode, nil)
	req2 := cgJoinReq("s", "b")
	req2.InstanceID = kmsg.StringPtr("i1")
	errCode(t, "second with the same instance", cgHeartbeat(c, req2).ErrorCode, kerr.UnreleasedInstanceID)

	lv := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	lv.Group, lv.MemberID, lv.MemberEpoch, lv.InstanceID = "s", "a", -2, kmsg.StringPtr("i1")
	if lr := cgHeartbeat(c, lv); lr.ErrorCode != 0 || lr.MemberEpoch != -2 {
		t.Fatalf("static leave %+v", lr)
	}
	r2 := cgHeartbeat(c, req2)
	errCode(t, "replacement", r2.ErrorCode, nil)
	if r2.MemberEpoch != r.MemberEpoch || r2.Assignment == nil || len(r2.Assignment.Topics) != 1 || len(r2.Assignment.Topics[0].Partitions) != 2 {
		t.Fatalf("the replacement should take over at the same epoch: %+v (was %+v)", r2, r)
	}
	hb := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	hb.Group, hb.MemberID, hb.MemberEpoch, hb.RebalanceTimeoutMillis = "s", "a", r.MemberEpoch, -1
	errCode(t, "the replaced member", cgHeartbeat(c, hb).ErrorCode, kerr.UnknownMemberID)
}
