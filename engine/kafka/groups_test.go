package kafka_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The group APIs' answers to requests that are wrong, checked against the error codes Kafka's
// GroupCoordinator returns (core/src/main/scala/kafka/coordinator/group/GroupCoordinator.scala,
// validateSyncGroup, validateHeartbeat, validateOffsetCommit, handleJoinGroup).

func joinReq(group, member string, instance *string) *kmsg.JoinGroupRequest {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group = group
	req.MemberID = member
	req.InstanceID = instance
	req.SessionTimeoutMillis = 10000
	req.RebalanceTimeoutMillis = 10000
	req.ProtocolType = "consumer"
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name = "range"
	p.Metadata = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	req.Protocols = append(req.Protocols, p)
	return req
}

// joinOne joins group as its only member (v9: MEMBER_ID_REQUIRED, then the join) and syncs
// with an empty assignment; it returns the member id and generation.
func joinOne(t *testing.T, c *rawConn, group string) (string, int32) {
	t.Helper()
	r := c.roundTrip(joinReq(group, "", nil), 9).(*kmsg.JoinGroupResponse)
	errCode(t, "first join", r.ErrorCode, kerr.MemberIDRequired)
	if r.MemberID == "" {
		t.Fatal("MEMBER_ID_REQUIRED without a member id")
	}
	r = c.roundTrip(joinReq(group, r.MemberID, nil), 9).(*kmsg.JoinGroupResponse)
	errCode(t, "join", r.ErrorCode, nil)
	if r.LeaderID != r.MemberID || len(r.Members) != 1 || r.Generation < 1 {
		t.Fatalf("join answer: leader %q member %q members %d generation %d", r.LeaderID, r.MemberID, len(r.Members), r.Generation)
	}
	if r.Protocol == nil || *r.Protocol != "range" || r.ProtocolType == nil || *r.ProtocolType != "consumer" {
		t.Fatalf("join answer protocol %v type %v", r.Protocol, r.ProtocolType)
	}
	s := syncReq(group, r.MemberID, r.Generation)
	a := kmsg.NewSyncGroupRequestGroupAssignment()
	a.MemberID = r.MemberID
	a.MemberAssignment = []byte("assigned")
	s.GroupAssignment = append(s.GroupAssignment, a)
	sr := c.roundTrip(s, 5).(*kmsg.SyncGroupResponse)
	errCode(t, "sync", sr.ErrorCode, nil)
	if string(sr.MemberAssignment) != "assigned" {
		t.Fatalf("assignment %q", sr.MemberAssignment)
	}
	return r.MemberID, r.Generation
}

func syncReq(group, member string, gen int32) *kmsg.SyncGroupRequest {
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group, req.MemberID, req.Generation = group, member, gen
	return req
}

func heartbeat(c *rawConn, group, member string, gen int32) int16 {
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.MemberID, req.Generation = group, member, gen
	return c.roundTrip(req, 4).(*kmsg.HeartbeatResponse).ErrorCode
}

func commitReq(group, member string, gen int32, topic string, offset int64) *kmsg.OffsetCommitRequest {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.MemberID, req.Generation = group, member, gen
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewOffsetCommitRequestTopicPartition()
	rp.Partition = 0
	rp.Offset = offset
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

func commitCode(t *testing.T, c *rawConn, req *kmsg.OffsetCommitRequest, v int16) int16 {
	t.Helper()
	r := c.roundTrip(req, v).(*kmsg.OffsetCommitResponse)
	if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 {
		t.Fatalf("commit response shape %+v", r)
	}
	return r.Topics[0].Partitions[0].ErrorCode
}

func TestFindCoordinator(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t)
	c := dialRaw(t, b.Addr())
	host, portS, _ := net.SplitHostPort(b.Addr())
	port, _ := strconv.Atoi(portS)
	for v := int16(0); v <= 3; v++ {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorKey = "g"
		r := c.roundTrip(req, v).(*kmsg.FindCoordinatorResponse)
		errCode(t, "group coordinator", r.ErrorCode, nil)
		if r.NodeID != 0 || r.Host != host || r.Port != int32(port) {
			t.Fatalf("v%d: coordinator %d %s:%d, want 0 %s", v, r.NodeID, r.Host, r.Port, b.Addr())
		}
		if v >= 1 {
			req.CoordinatorType = 1
			r = c.roundTrip(req, v).(*kmsg.FindCoordinatorResponse)
			errCode(t, "transaction coordinator", r.ErrorCode, nil)
			if r.NodeID != 0 || r.Host != host || r.Port != int32(port) {
				t.Fatalf("v%d: transaction coordinator %d %s:%d, want 0 %s", v, r.NodeID, r.Host, r.Port, b.Addr())
			}
		}
	}
	for v := int16(4); v <= 6; v++ {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorKeys = []string{"a", "b"}
		r := c.roundTrip(req, v).(*kmsg.FindCoordinatorResponse)
		if len(r.Coordinators) != 2 || r.Coordinators[1].Key != "b" {
			t.Fatalf("v%d: %+v", v, r.Coordinators)
		}
		for _, co := range r.Coordinators {
			errCode(t, "batched group key", co.ErrorCode, nil)
			if co.Host != host || co.Port != int32(port) {
				t.Fatalf("v%d: %s at %s:%d", v, co.Key, co.Host, co.Port)
			}
		}
		req.CoordinatorType = 1
		r = c.roundTrip(req, v).(*kmsg.FindCoordinatorResponse)
		errCode(t, "batched txn key", r.Coordinators[0].ErrorCode, nil)
		if co := r.Coordinators[0]; co.NodeID != 0 || co.Host != host || co.Port != int32(port) {
			t.Fatalf("v%d: transaction coordinator of %s at %d %s:%d", v, co.Key, co.NodeID, co.Host, co.Port)
		}
		req.CoordinatorType = 7
		r = c.roundTrip(req, v).(*kmsg.FindCoordinatorResponse)
		errCode(t, "unknown key type", r.Coordinators[0].ErrorCode, kerr.InvalidRequest)
	}
}

// Malformed joins: Kafka checks the group id, then the session timeout against
// group.min/max.session.timeout.ms, then the protocol type and protocols.
func TestJoinGroupRefusals(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t)
	c := dialRaw(t, b.Addr())

	errCode(t, "empty group id", c.roundTrip(joinReq("", "", nil), 9).(*kmsg.JoinGroupResponse).ErrorCode, kerr.InvalidGroupID)
	for _, st := range []int32{5999, 1800001} {
		req := joinReq("g", "", nil)
		req.SessionTimeoutMillis = st
		errCode(t, "session timeout "+strconv.Itoa(int(st)), c.roundTrip(req, 9).(*kmsg.JoinGroupResponse).ErrorCode, kerr.InvalidSessionTimeout)
	}
	req := joinReq("g", "", nil)
	req.ProtocolType = ""
	errCode(t, "empty protocol type", c.roundTrip(req, 9).(*kmsg.JoinGroupResponse).ErrorCode, kerr.InconsistentGroupProtocol)
	req = joinReq("g", "", nil)
	req.Protocols = nil
	errCode(t, "no protocols", c.roundTrip(req, 9).(*kmsg.JoinGroupResponse).ErrorCode, kerr.InconsistentGroupProtocol)
	errCode(t, "unknown member of an unknown group", c.roundTrip(joinReq("nope", "m-1", nil), 9).(*kmsg.JoinGroupResponse).ErrorCode, kerr.UnknownMemberID)

	member, _ := joinOne(t, c, "g")
	// The group now has protocol type "consumer" and protocol "range".
	req = joinReq("g", "", nil)
	req.ProtocolType = "connect"
	errCode(t, "other protocol type", c.roundTrip(req, 9).(*kmsg.JoinGroupResponse).ErrorCode, kerr.InconsistentGroupProtocol)
	req = joinReq("g", "", nil)
	req.Protocols[0].Name = "roundrobin"
	errCode(t, "no common protocol", c.roundTrip(req, 9).(*kmsg.JoinGroupResponse).ErrorCode, kerr.InconsistentGroupProtocol)
	errCode(t, "unknown member id", c.roundTrip(joinReq("g", member+"x", nil), 9).(*kmsg.JoinGroupResponse).ErrorCode, kerr.UnknownMemberID)
}

// Heartbeat and SyncGroup: unknown member, wrong generation, inconsistent protocol.
func TestHeartbeatAndSyncRefusals(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t)
	c := dialRaw(t, b.Addr())
	errCode(t, "heartbeat to an unknown group", heartbeat(c, "g", "m", 1), kerr.UnknownMemberID)
	member, gen := joinOne(t, c, "g")
	errCode(t, "heartbeat", heartbeat(c, "g", member, gen), nil)
	errCode(t, "heartbeat, unknown member", heartbeat(c, "g", "someone-else", gen), kerr.UnknownMemberID)
	errCode(t, "heartbeat, wrong generation", heartbeat(c, "g", member, gen+1), kerr.IllegalGeneration)
	errCode(t, "heartbeat, old generation", heartbeat(c, "g", member, gen-1), kerr.IllegalGeneration)

	sr := c.roundTrip(syncReq("g", member, gen+5), 5).(*kmsg.SyncGroupResponse)
	errCode(t, "sync, wrong generation", sr.ErrorCode, kerr.IllegalGeneration)
	sr = c.roundTrip(syncReq("g", "someone-else", gen), 5).(*kmsg.SyncGroupResponse)
	errCode(t, "sync, unknown member", sr.ErrorCode, kerr.UnknownMemberID)
	s := syncReq("g", member, gen)
	s.ProtocolType = kmsg.StringPtr("connect")
	errCode(t, "sync, other protocol type", c.roundTrip(s, 5).(*kmsg.SyncGroupResponse).ErrorCode, kerr.InconsistentGroupProtocol)
	s = syncReq("g", member, gen)
	s.Protocol = kmsg.StringPtr("sticky")
	errCode(t, "sync, other protocol", c.roundTrip(s, 5).(*kmsg.SyncGroupResponse).ErrorCode, kerr.InconsistentGroupProtocol)
	// A stable group answers a repeated sync with the stored assignment.
	sr = c.roundTrip(syncReq("g", member, gen), 5).(*kmsg.SyncGroupResponse)
	errCode(t, "repeated sync", sr.ErrorCode, nil)
	if string(sr.MemberAssignment) != "assigned" {
		t.Fatalf("repeated sync assignment %q", sr.MemberAssignment)
	}
	errCode(t, "sync, unknown group", c.roundTrip(syncReq("nope", member, gen), 5).(*kmsg.SyncGroupResponse).ErrorCode, kerr.UnknownMemberID)
}

// A second member joining puts the group in PreparingRebalance: the first member's heartbeat
// and sync say REBALANCE_IN_PROGRESS (a commit is still accepted, as Kafka accepts it); once
// both joined, a commit before the sync is REBALANCE_IN_PROGRESS too.
func TestRebalanceInProgress(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "t"))
	c1 := dialRaw(t, b.Addr())
	m1, gen := joinOne(t, c1, "g")

	c2 := dialRaw(t, b.Addr())
	r := c2.roundTrip(joinReq("g", "", nil), 9).(*kmsg.JoinGroupResponse)
	errCode(t, "second member's first join", r.ErrorCode, kerr.MemberIDRequired)
	m2 := r.MemberID
	corr := c2.send(func() kmsg.Request { q := joinReq("g", m2, nil); q.SetVersion(9); return q }())

	// The join parks; the group prepares a rebalance.
	for {
		code := heartbeat(c1, "g", m1, gen)
		if code == kerr.RebalanceInProgress.Code {
			break
		}
		errCode(t, "heartbeat before the rebalance starts", code, nil)
	}
	errCode(t, "sync during the rebalance", c1.roundTrip(syncReq("g", m1, gen), 5).(*kmsg.SyncGroupResponse).ErrorCode, kerr.RebalanceInProgress)
	errCode(t, "commit during PreparingRebalance", commitCode(t, c1, commitReq("g", m1, gen, "t", 5), 9), nil)

	// m1 rejoins: the rebalance completes at once for both.
	r1 := c1.roundTrip(joinReq("g", m1, nil), 9).(*kmsg.JoinGroupResponse)
	errCode(t, "rejoin", r1.ErrorCode, nil)
	resp2 := kmsg.NewPtrJoinGroupResponse()
	resp2.SetVersion(9)
	c2.read(corr, resp2)
	errCode(t, "parked join", resp2.ErrorCode, nil)
	if r1.Generation != gen+1 || resp2.Generation != gen+1 {
		t.Fatalf("generations %d and %d, want %d", r1.Generation, resp2.Generation, gen+1)
	}
	if r1.LeaderID != m1 || len(r1.Members) != 2 || len(resp2.Members) != 0 {
		t.Fatalf("leader %q (want %q), leader sees %d members, follower %d", r1.LeaderID, m1, len(r1.Members), len(resp2.Members))
	}
	errCode(t, "commit before sync", commitCode(t, c1, commitReq("g", m1, r1.Generation, "t", 6), 9), kerr.RebalanceInProgress)
	errCode(t, "old generation's commit", commitCode(t, c2, commitReq("g", m2, gen, "t", 6), 9), kerr.IllegalGeneration)

	// The follower syncs first and waits for the leader's assignment.
	fcorr := c2.send(func() kmsg.Request { q := syncReq("g", m2, r1.Generation); q.SetVersion(5); return q }())
	ls := syncReq("g", m1, r1.Generation)
	for _, m := range []string{m1, m2} {
		a := kmsg.NewSyncGroupRequestGroupAssignment()
		a.MemberID, a.MemberAssignment = m, []byte("for "+m)
		ls.GroupAssignment = append(ls.GroupAssignment, a)
	}
	lr := c1.roundTrip(ls, 5).(*kmsg.SyncGroupResponse)
	errCode(t, "leader sync", lr.ErrorCode, nil)
	fr := kmsg.NewPtrSyncGroupResponse()
	fr.SetVersion(5)
	c2.read(fcorr, fr)
	errCode(t, "follower sync", fr.ErrorCode, nil)
	if string(lr.MemberAssignment) != "for "+m1 || string(fr.MemberAssignment) != "for "+m2 {
		t.Fatalf("assignments %q and %q", lr.MemberAssignment, fr.MemberAssignment)
	}
	errCode(t, "commit when stable", commitCode(t, c2, commitReq("g", m2, r1.Generation, "t", 7), 9), nil)
}

// OffsetCommit's checks: generation and member must be current; an anonymous commit is only
// for a group with no members; a generation for a group that does not exist is
// ILLEGAL_GENERATION; unknown partitions and oversized metadata are refused per partition.
func TestOffsetCommitRefusals(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "t"))
	c := dialRaw(t, b.Addr())
	errCode(t, "generation for an unknown group", commitCode(t, c, commitReq("g", "m", 3, "t", 1), 9), kerr.IllegalGeneration)
	errCode(t, "unknown topic", commitCode(t, c, commitReq("simple", "", -1, "nope", 1), 9), kerr.UnknownTopicOrPartition)
	big := commitReq("simple", "", -1, "t", 1)
	big.Topics[0].Partitions[0].Metadata = kmsg.StringPtr(string(make([]byte, 4097)))
	errCode(t, "metadata too large", commitCode(t, c, big, 9), kerr.OffsetMetadataTooLarge)

	member, gen := joinOne(t, c, "g")
	errCode(t, "unknown member", commitCode(t, c, commitReq("g", "other", gen, "t", 1), 9), kerr.UnknownMemberID)
	errCode(t, "wrong generation", commitCode(t, c, commitReq("g", member, gen+1, "t", 1), 9), kerr.IllegalGeneration)
	errCode(t, "anonymous commit to a group with members", commitCode(t, c, commitReq("g", "", -1, "t", 1), 9), kerr.UnknownMemberID)
	errCode(t, "v1 anonymous commit to a group with members", commitCode(t, c, commitReq("g", "", -1, "t", 1), 1), kerr.UnknownMemberID)
	errCode(t, "member's commit", commitCode(t, c, commitReq("g", member, gen, "t", 42), 9), nil)

	// Static membership: a commit naming an instance id must match its member.
	errCode(t, "unknown instance id", commitCode(t, c, func() *kmsg.OffsetCommitRequest {
		q := commitReq("g", member, gen, "t", 1)
		q.InstanceID = kmsg.StringPtr("i-1")
		return q
	}(), 9), kerr.UnknownMemberID)

	// Simple consumer groups (v0, v1 and later with generation -1) commit without joining.
	for _, v := range []int16{0, 1, 2, 5, 9} {
		errCode(t, "simple commit v"+strconv.Itoa(int(v)), commitCode(t, c, commitReq("simple", "", -1, "t", int64(100+v)), v), nil)
	}
	for _, v := range []int16{1, 5, 7} {
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Group = "simple"
		rt := kmsg.NewOffsetFetchRequestTopic()
		rt.Topic = "t"
		rt.Partitions = []int32{0, 1}
		req.Topics = append(req.Topics, rt)
		r := c.roundTrip(req, v).(*kmsg.OffsetFetchResponse)
		if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 2 {
			t.Fatalf("fetch v%d shape: %+v", v, r)
		}
		if p := r.Topics[0].Partitions; p[0].Offset != 109 || p[1].Offset != -1 {
			t.Fatalf("fetch v%d: offsets %d, %d; want 109, -1", v, p[0].Offset, p[1].Offset)
		}
	}
	// v8 several groups; null topics are every committed offset.
	req := kmsg.NewPtrOffsetFetchRequest()
	for _, g := range []string{"simple", "g", "none"} {
		rg := kmsg.NewOffsetFetchRequestGroup()
		rg.Group = g
		req.Groups = append(req.Groups, rg)
	}
	r := c.roundTrip(req, 9).(*kmsg.OffsetFetchResponse)
	if len(r.Groups) != 3 {
		t.Fatalf("fetch v9: %d groups", len(r.Groups))
	}
	got := map[string]int64{}
	for _, g := range r.Groups {
		errCode(t, "fetch group "+g.Group, g.ErrorCode, nil)
		for _, tp := range g.Topics {
			for _, p := range tp.Partitions {
				got[g.Group] = p.Offset
			}
		}
	}
	if got["simple"] != 109 || got["g"] != 42 || len(got) != 2 {
		t.Fatalf("fetch v9 offsets %v", got)
	}
}

func TestLeaveGroup(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t)
	c := dialRaw(t, b.Addr())
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group, leave.MemberID = "g", "m"
	errCode(t, "v0 leave of an unknown group", c.roundTrip(leave, 0).(*kmsg.LeaveGroupResponse).ErrorCode, kerr.UnknownMemberID)
	member, _ := joinOne(t, c, "g")
	errCode(t, "v1 leave, unknown member", c.roundTrip(leave, 1).(*kmsg.LeaveGroupResponse).ErrorCode, kerr.UnknownMemberID)

	batch := kmsg.NewPtrLeaveGroupRequest()
	batch.Group = "g"
	batch.Members = []kmsg.LeaveGroupRequestMember{
		{MemberID: member}, {MemberID: "ghost"}, {InstanceID: kmsg.StringPtr("i-9")},
	}
	r := c.roundTrip(batch, 5).(*kmsg.LeaveGroupResponse)
	errCode(t, "batch leave", r.ErrorCode, nil)
	if len(r.Members) != 3 {
		t.Fatalf("batch leave: %d member results", len(r.Members))
	}
	errCode(t, "leaving member", r.Members[0].ErrorCode, nil)
	errCode(t, "ghost", r.Members[1].ErrorCode, kerr.UnknownMemberID)
	errCode(t, "unknown instance id", r.Members[2].ErrorCode, kerr.UnknownMemberID)

	d := kmsg.NewPtrDescribeGroupsRequest()
	d.Groups = []string{"g", "never"}
	dr := c.roundTrip(d, 5).(*kmsg.DescribeGroupsResponse)
	if dr.Groups[0].State != "Empty" || len(dr.Groups[0].Members) != 0 {
		t.Fatalf("after leave: state %s, %d members", dr.Groups[0].State, len(dr.Groups[0].Members))
	}
	if dr.Groups[1].State != "Dead" || dr.Groups[1].ErrorCode != 0 {
		t.Fatalf("unknown group described as %s / %v", dr.Groups[1].State, kerr.ErrorForCode(dr.Groups[1].ErrorCode))
	}
}

// Static membership (KIP-345): a member rejoining under its group.instance.id gets a new member
// id without a rebalance, and the old id is fenced.
func TestStaticMemberReplacement(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t)
	c := dialRaw(t, b.Addr())
	inst := kmsg.StringPtr("instance-1")
	r := c.roundTrip(joinReq("g", "", inst), 9).(*kmsg.JoinGroupResponse)
	errCode(t, "static join (no MEMBER_ID_REQUIRED)", r.ErrorCode, nil)
	old, gen := r.MemberID, r.Generation
	s := syncReq("g", old, gen)
	s.InstanceID = inst
	a := kmsg.NewSyncGroupRequestGroupAssignment()
	a.MemberID, a.MemberAssignment = old, []byte("mine")
	s.GroupAssignment = append(s.GroupAssignment, a)
	errCode(t, "sync", c.roundTrip(s, 5).(*kmsg.SyncGroupResponse).ErrorCode, nil)

	r = c.roundTrip(joinReq("g", "", inst), 9).(*kmsg.JoinGroupResponse)
	errCode(t, "static rejoin", r.ErrorCode, nil)
	if r.MemberID == old || r.Generation != gen || !r.SkipAssignment {
		t.Fatalf("static rejoin: member %q (old %q), generation %d (was %d), skip assignment %v", r.MemberID, old, r.Generation, gen, r.SkipAssignment)
	}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation, hb.InstanceID = "g", old, gen, inst
	errCode(t, "old member id", c.roundTrip(hb, 4).(*kmsg.HeartbeatResponse).ErrorCode, kerr.FencedInstanceID)
	hb.MemberID = r.MemberID
	errCode(t, "new member id", c.roundTrip(hb, 4).(*kmsg.HeartbeatResponse).ErrorCode, nil)
	s = syncReq("g", r.MemberID, gen)
	s.InstanceID = inst
	sr := c.roundTrip(s, 5).(*kmsg.SyncGroupResponse)
	errCode(t, "sync under the new id", sr.ErrorCode, nil)
	if string(sr.MemberAssignment) != "mine" {
		t.Fatalf("assignment after replacement %q", sr.MemberAssignment)
	}
}

// Every served version of every group API, on one group per JoinGroup version: join, sync,
// heartbeat, commit, fetch, describe, list, leave, delete.
func TestGroupAPIsEveryVersion(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "t"))
	c := dialRaw(t, b.Addr())
	for v := int16(0); v <= 9; v++ {
		g := "gv" + strconv.Itoa(int(v))
		req := joinReq(g, "", nil)
		r := c.roundTrip(req, v).(*kmsg.JoinGroupResponse)
		if v >= 4 {
			errCode(t, g+" first join", r.ErrorCode, kerr.MemberIDRequired)
			r = c.roundTrip(joinReq(g, r.MemberID, nil), v).(*kmsg.JoinGroupResponse)
		}
		errCode(t, g+" join", r.ErrorCode, nil)
		if r.LeaderID != r.MemberID || len(r.Members) != 1 || r.Generation != 1 {
			t.Fatalf("%s join: %+v", g, r)
		}
		s := syncReq(g, r.MemberID, r.Generation)
		a := kmsg.NewSyncGroupRequestGroupAssignment()
		a.MemberID, a.MemberAssignment = r.MemberID, []byte{1}
		s.GroupAssignment = append(s.GroupAssignment, a)
		sr := c.roundTrip(s, min(v, 5)).(*kmsg.SyncGroupResponse)
		errCode(t, g+" sync", sr.ErrorCode, nil)
		if len(sr.MemberAssignment) != 1 {
			t.Fatalf("%s sync assignment %v", g, sr.MemberAssignment)
		}
		errCode(t, g+" heartbeat", func() int16 {
			hb := kmsg.NewPtrHeartbeatRequest()
			hb.Group, hb.MemberID, hb.Generation = g, r.MemberID, r.Generation
			return c.roundTrip(hb, min(v, 4)).(*kmsg.HeartbeatResponse).ErrorCode
		}(), nil)
		if v >= 1 {
			errCode(t, g+" commit", commitCode(t, c, commitReq(g, r.MemberID, r.Generation, "t", int64(v)), v), nil)
			f := kmsg.NewPtrOffsetFetchRequest()
			f.Group = g
			ft := kmsg.NewOffsetFetchRequestTopic()
			ft.Topic, ft.Partitions = "t", []int32{0}
			f.Topics = append(f.Topics, ft)
			fr := c.roundTrip(f, min(v, 7)).(*kmsg.OffsetFetchResponse)
			if len(fr.Topics) != 1 || fr.Topics[0].Partitions[0].Offset != int64(v) {
				t.Fatalf("%s fetch v%d: %+v", g, min(v, 7), fr.Topics)
			}
		}
		d := kmsg.NewPtrDescribeGroupsRequest()
		d.Groups = []string{g}
		dr := c.roundTrip(d, min(v, 5)).(*kmsg.DescribeGroupsResponse)
		if len(dr.Groups) != 1 || dr.Groups[0].State != "Stable" || len(dr.Groups[0].Members) != 1 || dr.Groups[0].Protocol != "range" {
			t.Fatalf("%s describe v%d: %+v", g, min(v, 5), dr.Groups)
		}
		l := kmsg.NewPtrListGroupsRequest()
		lr := c.roundTrip(l, min(v, 5)).(*kmsg.ListGroupsResponse)
		var listed bool
		for _, lg := range lr.Groups {
			listed = listed || lg.Group == g
		}
		if !listed {
			t.Fatalf("%s not listed by ListGroups v%d", g, min(v, 5))
		}
		lv := kmsg.NewPtrLeaveGroupRequest()
		lv.Group, lv.MemberID = g, r.MemberID
		lv.Members = []kmsg.LeaveGroupRequestMember{{MemberID: r.MemberID}}
		errCode(t, g+" leave", c.roundTrip(lv, min(v, 5)).(*kmsg.LeaveGroupResponse).ErrorCode, nil)
		del := kmsg.NewPtrDeleteGroupsRequest()
		del.Groups = []string{g}
		delr := c.roundTrip(del, min(v, 2)).(*kmsg.DeleteGroupsResponse)
		errCode(t, g+" delete right after the leave", delr.Groups[0].ErrorCode, nil)
	}
	od := kmsg.NewPtrOffsetDeleteRequest()
	od.Group = "gv9"
	errCode(t, "offset delete of a deleted group", c.roundTrip(od, 0).(*kmsg.OffsetDeleteResponse).ErrorCode, kerr.GroupIDNotFound)
}
