package group

import (
	"context"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetCommit handles an OffsetCommit request. A group that does not exist is created for a
// commit with a negative generation (a "simple" consumer group, committing without joining);
// a commit with a generation to a group that does not exist is ILLEGAL_GENERATION. The answer
// comes once the offsets are durable in __consumer_offsets.
func (c *Coordinator) OffsetCommit(ctx context.Context, req *kmsg.OffsetCommitRequest) *kmsg.OffsetCommitResponse {
	fail := func(code int16) *kmsg.OffsetCommitResponse {
		r := req.ResponseKind().(*kmsg.OffsetCommitResponse)
		fillCommit(req, r, code)
		return r
	}
	ch := make(chan *kmsg.OffsetCommitResponse, 1)
	if !c.do(req.Group, req.Generation < 0, func(g *group) { g.commit(req, ch) }) {
		if c.isClosed() {
			return fail(kerr.CoordinatorNotAvailable.Code)
		}
		return fail(kerr.IllegalGeneration.Code)
	}
	r, ok := wait(c, ctx, ch)
	if !ok {
		return fail(kerr.CoordinatorNotAvailable.Code)
	}
	return r
}

// fillCommit answers every partition of req with code.
func fillCommit(req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, code int16) {
	resp.Topics = resp.Topics[:0]
	for _, rt := range req.Topics {
		st := kmsg.NewOffsetCommitResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetCommitResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.ErrorCode = code
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
}

// validateCommit is Kafka's validateOffsetCommit: a commit naming a member or a generation must
// come from a current member of the current generation; an anonymous commit (generation < 0,
// no member) is only accepted while the group has no members.
func (g *group) validateCommit(req *kmsg.OffsetCommitRequest) int16 {
	if g.state == stateDead {
		return kerr.CoordinatorNotAvailable.Code
	}
	if req.Generation >= 0 || req.MemberID != "" || req.InstanceID != nil {
		if req.InstanceID != nil {
			known, ok := g.static[*req.InstanceID]
			switch {
			case !ok:
				return kerr.UnknownMemberID.Code
			case known != req.MemberID:
				return kerr.FencedInstanceID.Code
			}
		}
		if g.members[req.MemberID] == nil {
			return kerr.UnknownMemberID.Code
		}
		if req.Generation != g.generation {
			return kerr.IllegalGeneration.Code
		}
		return 0
	}
	if g.state != stateEmpty {
		return kerr.UnknownMemberID.Code
	}
	return 0
}

func (g *group) commit(req *kmsg.OffsetCommitRequest, ch chan<- *kmsg.OffsetCommitResponse) {
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	var code int16
	var stale func(topicPartition) bool
	if g.cg != nil && g.state != stateDead {
		code, stale = g.validateConsumerCommit(req)
	} else {
		code = g.validateCommit(req)
	}
	if code == 0 && g.state == stateCompletingRebalance {
		// The member has its new generation but not its assignment yet.
		code = kerr.RebalanceInProgress.Code
	}
	if code != 0 {
		fillCommit(req, resp, code)
		ch <- resp
		return
	}
	if m := g.members[req.MemberID]; m != nil {
		g.heartbeat(m)
	}
	fillCommit(req, resp, 0)
	type pending struct {
		sp *kmsg.OffsetCommitResponseTopicPartition
		tp topicPartition
		o  offset
	}
	var recs []kv
	var todo []pending
	now := time.Now().UnixMilli()
	for i, rt := range req.Topics {
		for j, rp := range rt.Partitions {
			sp := &resp.Topics[i].Partitions[j]
			md := ""
			if rp.Metadata != nil {
				md = *rp.Metadata
			}
			switch {
			case !g.c.partitionExists(rt.Topic, rp.Partition):
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				continue
			case len(md) > maxMetadataBytes:
				sp.ErrorCode = kerr.OffsetMetadataTooLarge.Code
				continue
			case stale != nil && stale(topicPartition{rt.Topic, rp.Partition}):
				sp.ErrorCode = kerr.StaleMemberEpoch.Code
				continue
			}
			le := rp.LeaderEpoch
			if req.Version < 6 {
				le = -1
			}
			o := offset{offset: rp.Offset, leaderEpoch: le, metadata: md, commitMs: now}
			tp := topicPartition{rt.Topic, rp.Partition}
			recs = append(recs, kv{key: offsetKey(g.name, tp.topic, tp.partition), value: offsetValue(o)})
			todo = append(todo, pending{sp, tp, o})
		}
	}
	if len(recs) == 0 {
		ch <- resp
		return
	}
	g.persisted = true
	fail := func(code int16) {
		for _, p := range todo {
			p.sp.ErrorCode = code
		}
		ch <- resp
	}
	var base int64 // set by the append, read once durable: both on the group's goroutine
	g.writeBatch(buildBatch(recs, now), func(b int64) { base = b }, func(code int16) {
		if code != 0 {
			fail(code)
			return
		}
		for i, p := range todo {
			p.o.record = base + int64(i)
			commitOne(g.offsets, p.tp, p.o)
		}
		ch <- resp
	}, func(code int16) {
		// Deleted meanwhile: the offsets were written before the group's tombstones.
		ch <- resp
	})
}

// fetchTopic is one topic of an OffsetFetch, in any version's shape.
type fetchTopic struct {
	topic      string
	partitions []int32
}

type fetchedPartition struct {
	partition   int32
	offset      int64
	leaderEpoch int32
	metadata    string
	code        int16 // UNSTABLE_OFFSET_COMMIT or 0
}

type fetchedTopic struct {
	topic      string
	partitions []fetchedPartition
}

// OffsetFetch handles an OffsetFetch request: v0-7 one group, v8+ several (KIP-709). Null
// topics (v2+) ask for every committed offset of the group. A partition with no committed
// offset, and every partition of a group that does not exist, is answered offset -1 with no
// error, as Kafka does. Offsets of a transaction without its marker yet (TxnOffsetCommit) are not
// served: the partition answers its previous committed offset, or, with RequireStable (v7+,
// KIP-447), UNSTABLE_OFFSET_COMMIT (offset -1), so the client asks again after the marker.
func (c *Coordinator) OffsetFetch(ctx context.Context, req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	if req.Version >= 8 {
		for _, rg := range req.Groups {
			var topics []fetchTopic
			if rg.Topics != nil {
				topics = make([]fetchTopic, 0, len(rg.Topics))
				for _, t := range rg.Topics {
					topics = append(topics, fetchTopic{t.Topic, t.Partitions})
				}
			}
			var member *fetchMember
			if req.Version >= 9 {
				member = &fetchMember{rg.MemberID, rg.MemberEpoch}
			}
			got, code := c.fetch(ctx, rg.Group, topics, rg.Topics == nil, member, req.RequireStable)
			sg := kmsg.NewOffsetFetchResponseGroup()
			sg.Group = rg.Group
			sg.ErrorCode = code
			for _, ft := range got {
				st := kmsg.NewOffsetFetchResponseGroupTopic()
				st.Topic = ft.topic
				for _, fp := range ft.partitions {
					sp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					sp.Partition, sp.Offset, sp.LeaderEpoch = fp.partition, fp.offset, fp.leaderEpoch
					sp.Metadata = kmsg.StringPtr(fp.metadata)
					sp.ErrorCode = fp.code
					st.Partitions = append(st.Partitions, sp)
				}
				sg.Topics = append(sg.Topics, st)
			}
			resp.Groups = append(resp.Groups, sg)
		}
		return resp
	}
	var topics []fetchTopic
	for _, t := range req.Topics {
		topics = append(topics, fetchTopic{t.Topic, t.Partitions})
	}
	got, code := c.fetch(ctx, req.Group, topics, req.Topics == nil && req.Version >= 2, nil, req.RequireStable && req.Version >= 7)
	resp.ErrorCode = code
	for _, ft := range got {
		st := kmsg.NewOffsetFetchResponseTopic()
		st.Topic = ft.topic
		for _, fp := range ft.partitions {
			sp := kmsg.NewOffsetFetchResponseTopicPartition()
			sp.Partition, sp.Offset, sp.LeaderEpoch = fp.partition, fp.offset, fp.leaderEpoch
			sp.Metadata = kmsg.StringPtr(fp.metadata)
			sp.ErrorCode = code
			if fp.code != 0 {
				sp.ErrorCode = fp.code
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

// fetchMember is the member id and epoch of an OffsetFetch v9+ (KIP-848).
type fetchMember struct {
	id    *string
	epoch int32
}

type fetchResult struct {
	topics []fetchedTopic
	code   int16
}

// fetch returns the committed offsets of the named group for topics (every offset if all).
// member, if set, is checked against a consumer group's members. With stable, partitions with
// pending transactional offsets are answered UNSTABLE_OFFSET_COMMIT.
func (c *Coordinator) fetch(ctx context.Context, name string, topics []fetchTopic, all bool, member *fetchMember, stable bool) ([]fetchedTopic, int16) {
	ch := make(chan fetchResult, 1)
	if !c.do(name, false, func(g *group) {
		if member != nil && g.cg != nil && g.state != stateDead {
			if code := g.validateConsumerFetch(member.id, member.epoch); code != 0 {
				ch <- fetchResult{code: code}
				return
			}
		}
		ch <- fetchResult{topics: g.fetch(topics, all, stable)}
	}) {
		if c.isClosed() {
			return nil, kerr.CoordinatorNotAvailable.Code
		}
		return fetchFrom(nil, nil, topics, all), 0
	}
	got, ok := wait(c, ctx, ch)
	if !ok {
		return nil, kerr.CoordinatorNotAvailable.Code
	}
	return got.topics, got.code
}

func (g *group) fetch(topics []fetchTopic, all, stable bool) []fetchedTopic {
	if g.state == stateDead {
		return fetchFrom(nil, nil, topics, all)
	}
	var unstable map[topicPartition]bool
	if stable && len(g.txn) > 0 {
		unstable = g.txn.partitions()
	}
	return fetchFrom(g.offsets, unstable, topics, all)
}

// fetchFrom answers an OffsetFetch from offsets; partitions in unstable are answered
// UNSTABLE_OFFSET_COMMIT. Fetching every offset reports the partitions with a committed
// offset, as Kafka does.
func fetchFrom(offsets map[topicPartition]offset, unstable map[topicPartition]bool, topics []fetchTopic, all bool) []fetchedTopic {
	answer := func(tp topicPartition) fetchedPartition {
		fp := fetchedPartition{partition: tp.partition, offset: -1, leaderEpoch: -1}
		if unstable[tp] {
			fp.code = kerr.UnstableOffsetCommit.Code
		} else if o, ok := offsets[tp]; ok {
			fp.offset, fp.leaderEpoch, fp.metadata = o.offset, o.leaderEpoch, o.metadata
		}
		return fp
	}
	var out []fetchedTopic
	if all {
		byTopic := make(map[string][]fetchedPartition)
		for tp := range offsets {
			byTopic[tp.topic] = append(byTopic[tp.topic], answer(tp))
		}
		names := make([]string, 0, len(byTopic))
		for n := range byTopic {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			ps := byTopic[n]
			sort.Slice(ps, func(i, j int) bool { return ps[i].partition < ps[j].partition })
			out = append(out, fetchedTopic{n, ps})
		}
		return out
	}
	for _, t := range topics {
		ft := fetchedTopic{topic: t.topic}
		for _, p := range t.partitions {
			ft.partitions = append(ft.partitions, answer(topicPartition{t.topic, p}))
		}
		out = append(out, ft)
	}
	return out
}

// OffsetDelete handles an OffsetDelete request (KIP-496): an empty group's offsets can all be
// deleted; a consumer group with members keeps the offsets of topics it subscribes to
// (GROUP_SUBSCRIBED_TO_TOPIC); any other group with members is NON_EMPTY_GROUP. A partition
// with a committed or a pending transactional offset gets a tombstone, which drops both.
func (c *Coordinator) OffsetDelete(ctx context.Context, req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	if !validGroupID(req.Group, false) {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return resp
	}
	ch := make(chan *kmsg.OffsetDeleteResponse, 1)
	if !c.do(req.Group, false, func(g *group) { g.offsetDelete(req, ch) }) {
		resp.ErrorCode = kerr.GroupIDNotFound.Code
		if c.isClosed() {
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		}
		return resp
	}
	r, ok := wait(c, ctx, ch)
	if !ok {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	return r
}

func (g *group) offsetDelete(req *kmsg.OffsetDeleteRequest, ch chan<- *kmsg.OffsetDeleteResponse) {
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	switch {
	case g.state == stateDead:
		resp.ErrorCode = kerr.GroupIDNotFound.Code
		ch <- resp
		return
	case !g.empty() && g.protocolType != "consumer" && g.cg == nil:
		resp.ErrorCode = kerr.NonEmptyGroup.Code
		ch <- resp
		return
	}
	var recs []kv
	var gone []topicPartition
	for _, rt := range req.Topics {
		st := kmsg.NewOffsetDeleteResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetDeleteResponseTopicPartition()
			sp.Partition = rp.Partition
			tp := topicPartition{rt.Topic, rp.Partition}
			switch {
			case !g.c.partitionExists(rt.Topic, rp.Partition):
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case !g.empty() && g.isSubscribedTo(rt.Topic):
				sp.ErrorCode = kerr.GroupSubscribedToTopic.Code
			default:
				// A tombstone also drops the partition's pending transactional offsets,
				// as in Kafka (and in replay).
				if _, ok := g.offsets[tp]; ok || g.txn.has(tp) {
					recs = append(recs, kv{key: offsetKey(g.name, tp.topic, tp.partition)})
					gone = append(gone, tp)
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	if len(recs) == 0 {
		ch <- resp
		return
	}
	// The offsets are gone from reads at once; the answer waits for the tombstones.
	for _, tp := range gone {
		delete(g.offsets, tp)
		g.txn.drop(tp)
	}
	g.writeThen(recs, func(code int16) {
		if code != 0 {
			resp.ErrorCode = code
		}
		ch <- resp
	}, func(code int16) { ch <- resp })
}
