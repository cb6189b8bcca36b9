package group

import (
	"context"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeGroups handles a DescribeGroups request. A group that does not exist is described
// as Kafka describes it before v6: state Dead, no error. Members carry their metadata and
// assignment only while the group is Stable.
func (c *Coordinator) DescribeGroups(ctx context.Context, req *kmsg.DescribeGroupsRequest) *kmsg.DescribeGroupsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	for _, name := range req.Groups {
		ch := make(chan kmsg.DescribeGroupsResponseGroup, 1)
		var dg kmsg.DescribeGroupsResponseGroup
		if c.do(name, false, func(g *group) { ch <- g.describe() }) {
			var ok bool
			if dg, ok = wait(c, ctx, ch); !ok {
				dg = kmsg.NewDescribeGroupsResponseGroup()
				dg.Group = name
				dg.ErrorCode = kerr.CoordinatorNotAvailable.Code
			}
		} else {
			dg = deadDescription(name)
			if c.isClosed() {
				dg.ErrorCode = kerr.CoordinatorNotAvailable.Code
			}
		}
		resp.Groups = append(resp.Groups, dg)
	}
	return resp
}

func deadDescription(name string) kmsg.DescribeGroupsResponseGroup {
	dg := kmsg.NewDescribeGroupsResponseGroup()
	dg.Group = name
	dg.State = stateDead.String()
	return dg
}

func (g *group) describe() kmsg.DescribeGroupsResponseGroup {
	if g.state == stateDead || g.cg != nil {
		// A consumer group is not a classic group: Kafka describes it as Dead (v0-5).
		return deadDescription(g.name)
	}
	dg := kmsg.NewDescribeGroupsResponseGroup()
	dg.Group = g.name
	dg.State = g.state.String()
	dg.ProtocolType = g.protocolType
	if g.state == stateStable {
		dg.Protocol = g.protocol
	}
	for _, m := range g.sortedMembers() {
		dm := kmsg.NewDescribeGroupsResponseGroupMember()
		dm.MemberID = m.id
		dm.InstanceID = m.instanceID
		dm.ClientID = m.clientID
		dm.ClientHost = m.clientHost
		if g.state == stateStable {
			dm.ProtocolMetadata = m.metadata(g.protocol)
			dm.MemberAssignment = m.assignment
		}
		dg.Members = append(dg.Members, dm)
	}
	return dg
}

// ListGroups handles a ListGroups request: v4 filters by state (KIP-518), v5 by type
// (KIP-848: "classic" or "consumer"). Filters match case-insensitively.
func (c *Coordinator) ListGroups(ctx context.Context, req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	if c.isClosed() {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	match := func(filter []string, v string) bool {
		if len(filter) == 0 {
			return true
		}
		for _, f := range filter {
			if strings.EqualFold(f, v) {
				return true
			}
		}
		return false
	}
	for _, g := range c.all() {
		ch := make(chan GroupSummary, 1)
		if !g.submit(func() { ch <- g.summary() }) {
			continue
		}
		s, ok := wait(c, ctx, ch)
		if !ok || s.State == stateDead.String() || !match(req.StatesFilter, s.State) || !match(req.TypesFilter, s.Type) {
			continue
		}
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group = s.Name
		lg.ProtocolType = s.ProtocolType
		lg.GroupState = s.State
		lg.GroupType = s.Type
		resp.Groups = append(resp.Groups, lg)
	}
	return resp
}

// DeleteGroups handles a DeleteGroups request: a group with members is NON_EMPTY_GROUP; an
// empty group's offsets (committed, and pending transactional ones) and metadata are
// tombstoned, and the answer waits for the tombstones to be durable.
func (c *Coordinator) DeleteGroups(ctx context.Context, req *kmsg.DeleteGroupsRequest) *kmsg.DeleteGroupsResponse {
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	for _, name := range req.Groups {
		dg := kmsg.NewDeleteGroupsResponseGroup()
		dg.Group = name
		ch := make(chan int16, 1)
		switch {
		case c.do(name, false, func(g *group) { g.deleteGroup(ch) }):
			code, ok := wait(c, ctx, ch)
			if !ok {
				code = kerr.CoordinatorNotAvailable.Code
			}
			dg.ErrorCode = code
		case c.isClosed():
			dg.ErrorCode = kerr.CoordinatorNotAvailable.Code
		default:
			dg.ErrorCode = kerr.GroupIDNotFound.Code
		}
		resp.Groups = append(resp.Groups, dg)
	}
	return resp
}

func (g *group) deleteGroup(ch chan<- int16) {
	if g.cg != nil && len(g.cg.members) > 0 && g.state != stateDead {
		ch <- kerr.NonEmptyGroup.Code
		return
	}
	switch g.state {
	case stateDead:
		ch <- kerr.GroupIDNotFound.Code
		return
	case stateEmpty:
	default:
		ch <- kerr.NonEmptyGroup.Code
		return
	}
	// Tombstones for the committed offsets and for the partitions with only pending
	// transactional offsets: a tombstone drops both (Kafka's deleteAllOffsets), so a later
	// commit marker of those transactions finds nothing, live and in replay alike.
	var recs []kv
	for tp := range g.offsets {
		recs = append(recs, kv{key: offsetKey(g.name, tp.topic, tp.partition)})
	}
	for tp := range g.txn.partitions() {
		if _, ok := g.offsets[tp]; !ok {
			recs = append(recs, kv{key: offsetKey(g.name, tp.topic, tp.partition)})
		}
	}
	if g.persisted {
		recs = append(recs, kv{key: groupKey(g.name)})
	}
	// The group is gone for every request from now on: the ones queued behind this see it
	// Dead, new ones make a new group, whose writes follow the tombstones in the log.
	g.setState(stateDead)
	g.offsets = make(map[topicPartition]offset)
	g.txn = make(pendingTxns)
	g.c.remove(g)
	g.c.logger.Info("group deleted", "group", g.name)
	if len(recs) == 0 {
		ch <- 0
		return
	}
	answer := func(code int16) { ch <- code }
	g.writeThen(recs, answer, answer)
}
