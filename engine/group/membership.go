package group

import (
	"bytes"
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The classic protocol, as Kafka's GroupCoordinator runs it:
//
//	Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
//	  ▲                 ▲      │ nobody left                           │ leader's SyncGroup
//	  └─────────────────┼──────┘                                       ▼ (stored)
//	                    └──── join with new metadata, leave, expiry ── Stable
//
// JoinGroup and SyncGroup park their reply channel on the member; the rebalance answers them.

// JoinGroup handles a JoinGroup request: it blocks until the member's join completes (the
// rebalance finishes, or the join is refused), or ctx ends.
func (c *Coordinator) JoinGroup(ctx context.Context, cl Client, req *kmsg.JoinGroupRequest) *kmsg.JoinGroupResponse {
	fail := func(code int16) *kmsg.JoinGroupResponse {
		r := req.ResponseKind().(*kmsg.JoinGroupResponse)
		r.ErrorCode = code
		return r
	}
	if !validGroupID(req.Group, false) {
		return fail(kerr.InvalidGroupID.Code)
	}
	if st := time.Duration(req.SessionTimeoutMillis) * time.Millisecond; st < c.cfg.MinSessionTimeout || st > c.cfg.MaxSessionTimeout {
		return fail(kerr.InvalidSessionTimeout.Code)
	}
	// The request's byte slices alias the connection's buffer, which is reused once this
	// returns; the group keeps copies.
	req.Protocols = cloneProtocols(req.Protocols)
	ch := make(chan *kmsg.JoinGroupResponse, 1)
	if !c.do(req.Group, req.MemberID == "", func(g *group) { g.join(cl, req, ch) }) {
		if c.isClosed() {
			return fail(kerr.CoordinatorNotAvailable.Code)
		}
		return fail(kerr.UnknownMemberID.Code)
	}
	r, ok := wait(c, ctx, ch)
	if !ok {
		return fail(kerr.CoordinatorNotAvailable.Code)
	}
	return r
}

func (c *Coordinator) isClosed() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.closed
}

func (g *group) join(cl Client, req *kmsg.JoinGroupRequest, ch chan<- *kmsg.JoinGroupResponse) {
	fail := func(code int16, memberID string) {
		r := req.ResponseKind().(*kmsg.JoinGroupResponse)
		r.ErrorCode = code
		r.MemberID = memberID
		ch <- r
	}
	if g.state == stateDead {
		fail(kerr.CoordinatorNotAvailable.Code, req.MemberID)
		return
	}
	if g.cg != nil {
		// Classic members cannot join a consumer group with members (no online migration
		// here); an empty consumer group becomes a classic group again.
		if len(g.cg.members) > 0 {
			fail(kerr.InconsistentGroupProtocol.Code, req.MemberID)
			return
		}
		g.cg = nil
	}
	if !g.supportsProtocols(req.ProtocolType, req.Protocols) {
		fail(kerr.InconsistentGroupProtocol.Code, req.MemberID)
		return
	}
	if req.MemberID == "" {
		prefix := cl.ID
		if req.InstanceID != nil {
			prefix = *req.InstanceID
		}
		id := newMemberID(prefix)
		if req.InstanceID != nil {
			if old := g.members[g.static[*req.InstanceID]]; old != nil {
				g.replaceStatic(old, id, cl, req, ch)
				return
			}
			g.addMember(id, cl, req, ch)
			return
		}
		if req.Version >= 4 {
			// KIP-394: hand out the id and have the member come back with it, so a member
			// that times out waiting leaves no orphan behind.
			g.pending[id] = time.Now().Add(time.Duration(req.SessionTimeoutMillis) * time.Millisecond)
			fail(kerr.MemberIDRequired.Code, id)
			return
		}
		g.addMember(id, cl, req, ch)
		return
	}
	if _, ok := g.pending[req.MemberID]; ok {
		if req.InstanceID != nil {
			// Kafka never makes a static member pending.
			fail(kerr.UnknownMemberID.Code, req.MemberID)
			return
		}
		delete(g.pending, req.MemberID)
		g.addMember(req.MemberID, cl, req, ch)
		return
	}
	if code := g.validateMember(req.MemberID, req.InstanceID); code != 0 {
		fail(code, req.MemberID)
		return
	}
	m := g.members[req.MemberID]
	switch g.state {
	case statePreparingRebalance:
		g.updateMember(m, cl, req, ch)
		g.tryCompleteJoin()
	case stateCompletingRebalance:
		if m.matches(req.Protocols) {
			// A member that missed its join response asks again: answer it the same.
			ch <- g.joinResponse(m, req.Version)
			return
		}
		g.updateMember(m, cl, req, ch)
		g.prepareRebalance()
	case stateStable:
		if g.leader != m.id && m.matches(req.Protocols) {
			ch <- g.joinResponse(m, req.Version)
			return
		}
		g.updateMember(m, cl, req, ch)
		g.prepareRebalance()
	default:
		fail(kerr.UnknownMemberID.Code, req.MemberID)
	}
}

// addMember adds a new member, parked in the join, and starts or continues a rebalance.
func (g *group) addMember(id string, cl Client, req *kmsg.JoinGroupRequest, ch chan<- *kmsg.JoinGroupResponse) {
	m := &member{
		id:         id,
		instanceID: req.InstanceID,
		isNew:      true,
		// A new member cannot heartbeat, and its parked join hides a disconnect: Kafka gives
		// it NewMemberJoinTimeoutMs before dropping it.
		deadline: time.Now().Add(newMemberJoinTimeout),
	}
	g.setMemberFields(m, cl, req)
	if g.state == statePreparingRebalance && g.generation == 0 {
		g.newMemberAdded = true
	}
	if len(g.members) == 0 {
		g.protocolType = req.ProtocolType
	}
	g.members[id] = m
	if g.leader == "" {
		g.leader = id
	}
	if m.instanceID != nil {
		g.static[*m.instanceID] = id
	}
	m.joinCh, m.joinVersion = ch, req.Version
	g.awaitingJoin++
	g.maybePrepareRebalance()
	g.tryCompleteJoin()
}

func (g *group) setMemberFields(m *member, cl Client, req *kmsg.JoinGroupRequest) {
	m.clientID, m.clientHost = cl.ID, cl.Host
	m.sessionTimeout = time.Duration(req.SessionTimeoutMillis) * time.Millisecond
	m.rebalanceTimeout = time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond
	if req.Version == 0 || req.RebalanceTimeoutMillis < 0 {
		m.rebalanceTimeout = m.sessionTimeout // JoinGroup v0 has no rebalance timeout
	}
	m.protocolType = req.ProtocolType
	m.protocols = req.Protocols
}

// updateMember takes a rejoining member's new metadata and parks its join.
func (g *group) updateMember(m *member, cl Client, req *kmsg.JoinGroupRequest, ch chan<- *kmsg.JoinGroupResponse) {
	g.setMemberFields(m, cl, req)
	if m.joinCh == nil {
		g.awaitingJoin++
	}
	m.joinCh, m.joinVersion = ch, req.Version
}

// replaceStatic gives a known static member (group.instance.id) a new member id: the old id is
// fenced (a request parked under it is answered FENCED_INSTANCE_ID) and the member keeps its
// assignment. In a Stable group whose protocol would not change, no rebalance happens (KIP-345);
// the new id is stored and the join answered with the current generation.
func (g *group) replaceStatic(m *member, newID string, cl Client, req *kmsg.JoinGroupRequest, ch chan<- *kmsg.JoinGroupResponse) {
	oldID := m.id
	g.answerJoinErr(m, kerr.FencedInstanceID.Code)
	g.answerSyncErr(m, kerr.FencedInstanceID.Code)
	prevLeader := g.leader
	delete(g.members, oldID)
	m.id = newID
	g.members[newID] = m
	if g.leader == oldID {
		g.leader = newID
	}
	g.static[*req.InstanceID] = newID
	if g.pendingSync[oldID] {
		delete(g.pendingSync, oldID)
		g.pendingSync[newID] = true
	}
	g.setMemberFields(m, cl, req)
	g.heartbeat(m)

	switch g.state {
	case stateStable:
		if g.selectProtocol() == g.protocol {
			isLeader := g.leader == newID
			assignments := make(map[string][]byte, len(g.members))
			for id, mm := range g.members {
				assignments[id] = mm.assignment
			}
			gen := g.generation
			g.store(assignments, func(code int16) {
				r := kmsg.NewPtrJoinGroupResponse()
				r.Version = req.Version
				if code != 0 {
					r.ErrorCode = code
					ch <- r
					return
				}
				r.Generation = gen
				r.ProtocolType = kmsg.StringPtr(g.protocolType)
				r.Protocol = kmsg.StringPtr(g.protocol)
				// The old leader id is returned so the rejoined leader does not assign
				// (its assignment would not be propagated by a Stable group); v9
				// SkipAssignment tells it so directly (KIP-814).
				r.LeaderID = prevLeader
				r.MemberID = newID
				r.SkipAssignment = isLeader
				if isLeader {
					r.Members = g.memberMetadata()
				}
				ch <- r
			})
			return
		}
		g.updateMember(m, cl, req, ch)
		g.prepareRebalance()
	case stateCompletingRebalance:
		// The leader may be assigning with the old id: rebalance again.
		g.updateMember(m, cl, req, ch)
		g.prepareRebalance()
	default: // PreparingRebalance
		g.updateMember(m, cl, req, ch)
		g.tryCompleteJoin()
	}
}

// answerJoinErr answers m's parked join, if any, with code.
func (g *group) answerJoinErr(m *member, code int16) {
	if m.joinCh == nil {
		return
	}
	r := kmsg.NewPtrJoinGroupResponse()
	r.Version = m.joinVersion
	r.ErrorCode = code
	r.MemberID = m.id
	m.joinCh <- r
	m.joinCh = nil
	g.awaitingJoin--
}

// answerSyncErr answers m's parked sync, if any, with code.
func (g *group) answerSyncErr(m *member, code int16) {
	if m.syncCh == nil {
		return
	}
	r := kmsg.NewPtrSyncGroupResponse()
	r.Version = m.syncVersion
	r.ErrorCode = code
	m.syncCh <- r
	m.syncCh = nil
}

// maybePrepareRebalance starts a rebalance unless one is being prepared.
func (g *group) maybePrepareRebalance() {
	switch g.state {
	case stateStable, stateCompletingRebalance, stateEmpty:
		g.prepareRebalance()
	}
}

// prepareRebalance moves to PreparingRebalance: parked syncs are answered
// REBALANCE_IN_PROGRESS, and the join barrier is armed: the initial delay for an empty group,
// otherwise the largest rebalance timeout (or completed at once if everyone has joined).
func (g *group) prepareRebalance() {
	if g.state == stateCompletingRebalance {
		for _, m := range g.members {
			m.assignment = nil
			g.answerSyncErr(m, kerr.RebalanceInProgress.Code)
		}
	}
	g.pendingSync, g.syncDeadline = nil, time.Time{}
	now := time.Now()
	if g.state == stateEmpty {
		delay := g.c.cfg.InitialRebalanceDelay
		g.joinInitial = true
		g.joinDeadline = now.Add(delay)
		g.joinRemaining = max(g.rebalanceTimeout()-delay, 0)
	} else {
		g.joinInitial = false
		g.joinDeadline = now.Add(g.rebalanceTimeout())
	}
	g.setState(statePreparingRebalance)
	g.c.logger.Debug("preparing to rebalance", "group", g.name, "generation", g.generation, "members", len(g.members))
	// As Kafka's tryCompleteElseWatch: a group whose members have all joined already (or
	// that has none left) completes at once.
	g.tryCompleteJoin()
}

// tryCompleteJoin completes the join barrier once every member rejoined and no member id
// handed out is still pending (Kafka's hasAllMembersJoined), unless the initial delay holds it.
func (g *group) tryCompleteJoin() {
	if g.state != statePreparingRebalance || g.joinInitial {
		return
	}
	if g.awaitingJoin == len(g.members) && len(g.pending) == 0 {
		g.completeJoin()
	}
}

// onJoinDeadline: the initial delay extends while new members keep arriving (up to the
// rebalance timeout), as Kafka's InitialDelayedJoin; otherwise the join completes.
func (g *group) onJoinDeadline(now time.Time) {
	if g.state != statePreparingRebalance {
		g.joinDeadline = time.Time{}
		return
	}
	if g.joinInitial && g.newMemberAdded && g.joinRemaining > 0 {
		g.newMemberAdded = false
		d := min(g.c.cfg.InitialRebalanceDelay, g.joinRemaining)
		g.joinRemaining -= d
		g.joinDeadline = now.Add(d)
		return
	}
	g.completeJoin()
}

// completeJoin is Kafka's onCompleteJoin: dynamic members that did not rejoin are dropped,
// the generation advances, a protocol is chosen, and every parked join is answered (the
// leader with every member's metadata). With no members left the group is Empty.
func (g *group) completeJoin() {
	g.joinDeadline, g.joinInitial, g.joinRemaining = time.Time{}, false, 0
	for _, m := range g.members {
		if m.joinCh == nil && m.instanceID == nil {
			g.removeMember(m)
		}
	}
	if !g.electJoinedLeader() && len(g.members) > 0 {
		// Only static members that have not rejoined remain: wait for them (or their
		// session timeouts) another rebalance timeout.
		g.joinDeadline = time.Now().Add(g.rebalanceTimeout())
		return
	}
	g.generation++
	if len(g.members) == 0 {
		g.protocol = ""
		g.subscribed = nil
		g.setState(stateEmpty)
		g.awaitingJoin = 0
		if g.persisted || len(g.offsets) > 0 {
			g.store(nil, nil)
		}
		g.c.logger.Info("group is empty", "group", g.name, "generation", g.generation)
		return
	}
	g.protocol = g.selectProtocol()
	g.computeSubscribed()
	g.setState(stateCompletingRebalance)
	g.pendingSync = make(map[string]bool, len(g.members))
	now := time.Now()
	for _, m := range g.members {
		if m.joinCh != nil {
			m.joinCh <- g.joinResponse(m, m.joinVersion)
			m.joinCh = nil
		}
		m.isNew = false
		m.deadline = now.Add(m.sessionTimeout)
		g.pendingSync[m.id] = true
	}
	g.awaitingJoin = 0
	g.syncDeadline = now.Add(g.rebalanceTimeout())
	g.c.logger.Info("group stabilizing", "group", g.name, "generation", g.generation, "protocol", g.protocol, "members", len(g.members))
}

// electJoinedLeader keeps the leader if it rejoined, else picks any member that did. It
// reports false if no member rejoined.
func (g *group) electJoinedLeader() bool {
	if l := g.members[g.leader]; l != nil && l.joinCh != nil {
		return true
	}
	best := ""
	for id, m := range g.members {
		if m.joinCh != nil && (best == "" || id < best) {
			best = id
		}
	}
	if best == "" {
		return false
	}
	g.leader = best
	return true
}

// joinResponse is the answer to a completed join for m.
func (g *group) joinResponse(m *member, version int16) *kmsg.JoinGroupResponse {
	r := kmsg.NewPtrJoinGroupResponse()
	r.Version = version
	r.Generation = g.generation
	r.ProtocolType = kmsg.StringPtr(g.protocolType)
	r.Protocol = kmsg.StringPtr(g.protocol)
	r.LeaderID = g.leader
	r.MemberID = m.id
	if m.id == g.leader {
		r.Members = g.memberMetadata()
	}
	return r
}

// memberMetadata lists every member with its metadata for the chosen protocol.
func (g *group) memberMetadata() []kmsg.JoinGroupResponseMember {
	out := make([]kmsg.JoinGroupResponseMember, 0, len(g.members))
	for _, m := range g.sortedMembers() {
		jm := kmsg.NewJoinGroupResponseMember()
		jm.MemberID = m.id
		jm.InstanceID = m.instanceID
		jm.ProtocolMetadata = m.metadata(g.protocol)
		out = append(out, jm)
	}
	return out
}

func (g *group) sortedMembers() []*member {
	ms := make([]*member, 0, len(g.members))
	for _, m := range g.members {
		ms = append(ms, m)
	}
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].id < ms[j-1].id; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
	return ms
}

// removeMember drops m from the group without starting a rebalance. A join or sync parked
// under it is answered UNKNOWN_MEMBER_ID, so no connection waits for nothing.
func (g *group) removeMember(m *member) {
	g.answerJoinErr(m, kerr.UnknownMemberID.Code)
	g.answerSyncErr(m, kerr.UnknownMemberID.Code)
	delete(g.members, m.id)
	if m.instanceID != nil && g.static[*m.instanceID] == m.id {
		delete(g.static, *m.instanceID)
	}
	delete(g.pendingSync, m.id)
	if g.leader == m.id {
		g.leader = ""
		for _, o := range g.sortedMembers() {
			g.leader = o.id
			break
		}
	}
}

// removeMemberAndUpdate removes m and moves the group on: a rebalance if it was Stable or
// completing one, the join barrier checked if one is being prepared.
func (g *group) removeMemberAndUpdate(m *member) {
	g.removeMember(m)
	switch g.state {
	case stateStable, stateCompletingRebalance:
		g.maybePrepareRebalance()
	case statePreparingRebalance:
		g.tryCompleteJoin()
	}
}

// onSyncDeadline drops the members that never sent SyncGroup after the join (Kafka's
// onExpirePendingSync) and rebalances.
func (g *group) onSyncDeadline() {
	g.syncDeadline = time.Time{}
	if len(g.pendingSync) == 0 || (g.state != stateCompletingRebalance && g.state != stateStable) {
		g.pendingSync = nil
		return
	}
	for id := range g.pendingSync {
		if m := g.members[id]; m != nil {
			g.c.logger.Info("member did not sync in time", "group", g.name, "member", id)
			g.removeMember(m)
		}
	}
	g.pendingSync = nil
	g.prepareRebalance()
}

// SyncGroup handles a SyncGroup request: a follower waits for the leader's assignment; the
// leader's assignment is stored, then everyone waiting is answered.
func (c *Coordinator) SyncGroup(ctx context.Context, req *kmsg.SyncGroupRequest) *kmsg.SyncGroupResponse {
	fail := func(code int16) *kmsg.SyncGroupResponse {
		r := req.ResponseKind().(*kmsg.SyncGroupResponse)
		r.ErrorCode = code
		return r
	}
	if !validGroupID(req.Group, false) {
		return fail(kerr.InvalidGroupID.Code)
	}
	for i := range req.GroupAssignment {
		req.GroupAssignment[i].MemberAssignment = bytes.Clone(req.GroupAssignment[i].MemberAssignment)
	}
	ch := make(chan *kmsg.SyncGroupResponse, 1)
	if !c.do(req.Group, false, func(g *group) { g.sync(req, ch) }) {
		if c.isClosed() {
			return fail(kerr.CoordinatorNotAvailable.Code)
		}
		return fail(kerr.UnknownMemberID.Code)
	}
	r, ok := wait(c, ctx, ch)
	if !ok {
		return fail(kerr.CoordinatorNotAvailable.Code)
	}
	return r
}

func (g *group) sync(req *kmsg.SyncGroupRequest, ch chan<- *kmsg.SyncGroupResponse) {
	fail := func(code int16) {
		r := req.ResponseKind().(*kmsg.SyncGroupResponse)
		r.ErrorCode = code
		ch <- r
	}
	if g.state == stateDead {
		fail(kerr.CoordinatorNotAvailable.Code)
		return
	}
	if code := g.validateMember(req.MemberID, req.InstanceID); code != 0 {
		fail(code)
		return
	}
	switch {
	case req.Generation != g.generation:
		fail(kerr.IllegalGeneration.Code)
		return
	case req.ProtocolType != nil && *req.ProtocolType != g.protocolType,
		req.Protocol != nil && *req.Protocol != g.protocol:
		fail(kerr.InconsistentGroupProtocol.Code)
		return
	}
	m := g.members[req.MemberID]
	switch g.state {
	case statePreparingRebalance:
		fail(kerr.RebalanceInProgress.Code)
	case stateCompletingRebalance:
		m.syncCh, m.syncVersion = ch, req.Version
		g.synced(m.id)
		if m.id != g.leader {
			return
		}
		assignments := make(map[string][]byte, len(g.members))
		for id := range g.members {
			assignments[id] = []byte{}
		}
		for _, a := range req.GroupAssignment {
			if _, ok := assignments[a.MemberID]; ok {
				assignments[a.MemberID] = a.MemberAssignment
			}
		}
		gen := g.generation
		g.store(assignments, func(code int16) {
			// Members may have joined or left while the write was in flight.
			if g.state != stateCompletingRebalance || g.generation != gen {
				return
			}
			if code != 0 {
				for _, m := range g.members {
					m.assignment = nil
					g.answerSyncErr(m, code)
				}
				g.maybePrepareRebalance()
				return
			}
			g.setState(stateStable)
			now := time.Now()
			for id, m := range g.members {
				m.assignment = assignments[id]
				if m.syncCh != nil {
					r := kmsg.NewPtrSyncGroupResponse()
					r.Version = m.syncVersion
					r.ProtocolType = kmsg.StringPtr(g.protocolType)
					r.Protocol = kmsg.StringPtr(g.protocol)
					r.MemberAssignment = m.assignment
					m.syncCh <- r
					m.syncCh = nil
					m.deadline = now.Add(m.sessionTimeout)
				}
			}
			g.c.logger.Info("group stable", "group", g.name, "generation", g.generation, "members", len(g.members))
		})
	case stateStable:
		g.synced(m.id)
		r := req.ResponseKind().(*kmsg.SyncGroupResponse)
		r.ProtocolType = kmsg.StringPtr(g.protocolType)
		r.Protocol = kmsg.StringPtr(g.protocol)
		r.MemberAssignment = m.assignment
		g.heartbeat(m)
		ch <- r
	default: // Empty
		fail(kerr.UnknownMemberID.Code)
	}
}

// synced notes that id sent its SyncGroup.
func (g *group) synced(id string) {
	delete(g.pendingSync, id)
	if len(g.pendingSync) == 0 {
		g.syncDeadline = time.Time{}
	}
}

// store writes the group's metadata record (members with assignments as given) and calls done
// on the group's goroutine with the outcome. done may be nil.
func (g *group) store(assignments map[string][]byte, done func(code int16)) {
	v := kmsg.GroupMetadataValue{
		Version:               groupValueVersion,
		ProtocolType:          g.protocolType,
		Generation:            g.generation,
		CurrentStateTimestamp: time.Now().UnixMilli(),
	}
	if g.protocol != "" {
		v.Protocol = kmsg.StringPtr(g.protocol)
	}
	if g.leader != "" && len(g.members) > 0 {
		v.Leader = kmsg.StringPtr(g.leader)
	}
	for _, m := range g.sortedMembers() {
		vm := kmsg.NewGroupMetadataValueMember()
		vm.MemberID = m.id
		vm.InstanceID = m.instanceID
		vm.ClientID = m.clientID
		vm.ClientHost = m.clientHost
		vm.RebalanceTimeoutMillis = int32(m.rebalanceTimeout / time.Millisecond)
		vm.SessionTimeoutMillis = int32(m.sessionTimeout / time.Millisecond)
		vm.Subscription = m.metadata(g.protocol)
		vm.Assignment = assignments[m.id]
		if vm.Assignment == nil {
			vm.Assignment = []byte{}
		}
		v.Members = append(v.Members, vm)
	}
	g.persisted = true
	g.writeThen([]kv{{key: groupKey(g.name), value: v.AppendTo(nil)}}, func(code int16) {
		if code != 0 {
			g.c.logger.Warn("storing group metadata failed", "group", g.name, "code", code)
		}
		if done != nil {
			done(code)
		}
	}, nil)
}

// writeThen writes recs and runs then(code) on the group's goroutine once they are durable
// (or failed). If the group has stopped by then, ifStopped(code) runs instead, on whatever
// goroutine completed the write (it may be nil).
func (g *group) writeThen(recs []kv, then, ifStopped func(code int16)) {
	g.writeBatch(buildBatch(recs, time.Now().UnixMilli()), nil, then, ifStopped)
}

// writeBatch appends batch to the group's offsets-topic partition at once (on the group's
// goroutine) and, if that succeeded, calls appended with the offset of its first record before
// it returns. then and ifStopped are as for writeThen.
func (g *group) writeBatch(batch []byte, appended func(base int64), then, ifStopped func(code int16)) {
	g.inflight++
	finish := func(code int16) {
		if !g.submit(func() {
			g.inflight--
			then(code)
		}) && ifStopped != nil {
			ifStopped(code)
		}
	}
	lp, res, code := g.c.appendBatch(g.name, batch)
	if code != 0 {
		finish(code)
		return
	}
	if appended != nil {
		appended(res.BaseOffset)
	}
	g.c.durable(g.name, lp, res.LastOffset, finish)
}

// Heartbeat handles a Heartbeat request.
func (c *Coordinator) Heartbeat(ctx context.Context, req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	if !validGroupID(req.Group, false) {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return resp
	}
	ch := make(chan int16, 1)
	if !c.do(req.Group, false, func(g *group) { ch <- g.heartbeatReq(req) }) {
		resp.ErrorCode = kerr.UnknownMemberID.Code
		if c.isClosed() {
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		}
		return resp
	}
	code, ok := wait(c, ctx, ch)
	if !ok {
		code = kerr.CoordinatorNotAvailable.Code
	}
	resp.ErrorCode = code
	return resp
}

func (g *group) heartbeatReq(req *kmsg.HeartbeatRequest) int16 {
	if g.state == stateDead {
		return kerr.CoordinatorNotAvailable.Code
	}
	if code := g.validateMember(req.MemberID, req.InstanceID); code != 0 {
		return code
	}
	if req.Generation != g.generation {
		return kerr.IllegalGeneration.Code
	}
	m := g.members[req.MemberID]
	switch g.state {
	case stateCompletingRebalance, stateStable:
		g.heartbeat(m)
		return 0
	case statePreparingRebalance:
		g.heartbeat(m)
		return kerr.RebalanceInProgress.Code
	}
	return kerr.UnknownMemberID.Code
}

// LeaveGroup handles a LeaveGroup request: v0-2 one member by id, v3+ a batch of member ids or
// group instance ids (KIP-345).
func (c *Coordinator) LeaveGroup(ctx context.Context, req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	members := req.Members
	if req.Version < 3 {
		members = []kmsg.LeaveGroupRequestMember{{MemberID: req.MemberID}}
	}
	finish := func() *kmsg.LeaveGroupResponse {
		if req.Version < 3 {
			if resp.ErrorCode == 0 && len(resp.Members) > 0 {
				resp.ErrorCode = resp.Members[0].ErrorCode
			}
			resp.Members = nil
		}
		return resp
	}
	if !validGroupID(req.Group, false) {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return finish()
	}
	ch := make(chan *kmsg.LeaveGroupResponse, 1)
	if !c.do(req.Group, false, func(g *group) { ch <- g.leave(members, resp) }) {
		if c.isClosed() {
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
			return finish()
		}
		for _, lm := range members {
			rm := kmsg.NewLeaveGroupResponseMember()
			rm.MemberID, rm.InstanceID, rm.ErrorCode = lm.MemberID, lm.InstanceID, kerr.UnknownMemberID.Code
			resp.Members = append(resp.Members, rm)
		}
		return finish()
	}
	r, ok := wait(c, ctx, ch)
	if !ok {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return finish()
	}
	resp = r
	return finish()
}

func (g *group) leave(members []kmsg.LeaveGroupRequestMember, resp *kmsg.LeaveGroupResponse) *kmsg.LeaveGroupResponse {
	if g.state == stateDead {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	for _, lm := range members {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID = lm.MemberID, lm.InstanceID
		switch {
		case lm.MemberID == "":
			// Administrative removal by group.instance.id alone.
			if lm.InstanceID == nil || g.members[g.static[*lm.InstanceID]] == nil {
				rm.ErrorCode = kerr.UnknownMemberID.Code
			} else {
				g.removeMemberAndUpdate(g.members[g.static[*lm.InstanceID]])
			}
		case g.isPending(lm.MemberID):
			delete(g.pending, lm.MemberID)
			g.tryCompleteJoin()
		default:
			if code := g.validateMember(lm.MemberID, lm.InstanceID); code != 0 {
				rm.ErrorCode = code
			} else {
				g.c.logger.Info("member left", "group", g.name, "member", lm.MemberID)
				g.removeMemberAndUpdate(g.members[lm.MemberID])
			}
		}
		resp.Members = append(resp.Members, rm)
	}
	return resp
}

func (g *group) isPending(id string) bool {
	_, ok := g.pending[id]
	return ok
}
