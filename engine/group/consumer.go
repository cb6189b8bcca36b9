package group

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The KIP-848 consumer protocol, as Kafka's GroupMetadataManager runs it:
//
//   - The group has an epoch, bumped whenever membership, a subscription, the assignor or the
//     partitions of a subscribed topic change; each bump recomputes the target assignment at
//     once (so the group is never "Assigning") with the server-side assignor.
//   - Each member moves toward its target by itself, heartbeat by heartbeat: first it is told
//     to give up what it holds but is no longer its target (its epoch unchanged), and acks by
//     heartbeating without those partitions; then it is handed the target partitions nobody
//     else still holds, and its epoch becomes the target epoch. A partition goes to its new
//     owner only after the previous owner revoked it.
//   - Members are not persisted: after a restart they get UNKNOWN_MEMBER_ID and rejoin with
//     epoch 0. Committed offsets persist as for classic groups.

// Assignors served; the first is the default (group.consumer.assignors).
var consumerAssignors = []string{"uniform", "range"}

// Defaults of the consumer protocol's broker configs.
const (
	// DefaultConsumerHeartbeatInterval is group.consumer.heartbeat.interval.ms (Kafka's).
	DefaultConsumerHeartbeatInterval = 5 * time.Second
	// DefaultConsumerSessionTimeout is group.consumer.session.timeout.ms (Kafka's).
	DefaultConsumerSessionTimeout = 45 * time.Second
	// reconcilingHeartbeatInterval is the interval asked of a member still moving toward its
	// target assignment (Kafka asks the configured interval of everyone): partitions move
	// between members in heartbeat round trips, so this shortens a rebalance from several
	// intervals to about one.
	reconcilingHeartbeatInterval = 250 * time.Millisecond
)

// cgroup is the state of a group using the consumer protocol; group.cg is nil for a classic
// group. It is owned by the group's goroutine.
type cgroup struct {
	epoch       int32 // the group epoch
	targetEpoch int32 // the epoch the target assignment was computed at
	assignor    string
	members     map[string]*cmember
	static      map[string]string         // group.instance.id → member id
	owners      map[topicPartition]string // partitions a member holds (assigned or revoking)
	sig         string                    // the subscribed topics' metadata the target was computed from
}

// cmember is one member of a consumer-protocol group.
type cmember struct {
	id         string
	instanceID *string
	rackID     *string
	clientID   string
	clientHost string

	epoch, prevEpoch int32
	rebalanceTimeout time.Duration
	topics           []string // subscribed names, sorted
	regex            string
	re               *regexp.Regexp
	assignor         string // the preferred server assignor, "" for none

	target   map[topicPartition]bool
	assigned map[topicPartition]int32 // held and acknowledged → the epoch it was given at
	revoking map[topicPartition]int32 // held, to be revoked by the member

	deadline       time.Time // session expiry
	revokeDeadline time.Time // the rebalance timeout while revoking (zero: none)
}

func newCgroup() *cgroup {
	return &cgroup{
		assignor: consumerAssignors[0],
		members:  make(map[string]*cmember),
		static:   make(map[string]string),
		owners:   make(map[topicPartition]string),
	}
}

// cstate is the consumer group's state as Kafka names it.
func (cg *cgroup) state() string {
	if len(cg.members) == 0 {
		return "Empty"
	}
	if cg.targetEpoch != cg.epoch {
		return "Assigning"
	}
	for _, m := range cg.members {
		if m.epoch == -2 {
			continue
		}
		if m.epoch != cg.targetEpoch || len(m.revoking) > 0 || !m.hasTarget() {
			return "Reconciling"
		}
	}
	return "Stable"
}

// hasTarget says the member holds exactly its target.
func (m *cmember) hasTarget() bool {
	if len(m.assigned) != len(m.target) {
		return false
	}
	for tp := range m.target {
		if _, ok := m.assigned[tp]; !ok {
			return false
		}
	}
	return true
}

// ConsumerGroupHeartbeat handles a ConsumerGroupHeartbeat request (KIP-848): joining (epoch 0),
// heartbeating and reconciling (the member's epoch), leaving (-1) and a static member's
// temporary leave (-2).
func (c *Coordinator) ConsumerGroupHeartbeat(ctx context.Context, cl Client, req *kmsg.ConsumerGroupHeartbeatRequest) *kmsg.ConsumerGroupHeartbeatResponse {
	resp := req.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
	resp.HeartbeatIntervalMillis = int32(c.cfg.ConsumerHeartbeatInterval / time.Millisecond)
	fail := func(code int16, msg string) *kmsg.ConsumerGroupHeartbeatResponse {
		resp.ErrorCode = code
		if msg != "" {
			resp.ErrorMessage = kmsg.StringPtr(msg)
		}
		return resp
	}
	if msg := invalidHeartbeat(req); msg != "" {
		return fail(kerr.InvalidRequest.Code, msg)
	}
	if req.ServerAssignor != nil && !slices.Contains(consumerAssignors, *req.ServerAssignor) {
		return fail(kerr.UnsupportedAssignor.Code, "ServerAssignor "+*req.ServerAssignor+" is not supported. Supported assignors: "+strings.Join(consumerAssignors, ", ")+".")
	}
	var re *regexp.Regexp
	if req.SubscribedTopicRegex != nil {
		var err error
		if _, err = regexp.Compile(*req.SubscribedTopicRegex); err != nil {
			return fail(kerr.InvalidRegularExpression.Code, err.Error())
		}
		// Kafka matches the whole topic name (RE2/J's matches()).
		re = regexp.MustCompile("^(?:" + *req.SubscribedTopicRegex + ")$")
	}
	// The request's slices alias the connection's buffer; the group keeps copies.
	req.SubscribedTopicNames = slices.Clone(req.SubscribedTopicNames)
	ch := make(chan *kmsg.ConsumerGroupHeartbeatResponse, 1)
	if !c.do(req.Group, req.MemberEpoch == 0, func(g *group) { ch <- g.consumerHeartbeat(cl, req, re, resp) }) {
		if c.isClosed() {
			return fail(kerr.CoordinatorNotAvailable.Code, "")
		}
		return fail(kerr.UnknownMemberID.Code, "Group "+req.Group+" not found.")
	}
	r, ok := wait(c, ctx, ch)
	if !ok {
		return fail(kerr.CoordinatorNotAvailable.Code, "")
	}
	return r
}

// invalidHeartbeat is Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid: it returns why
// req is malformed, or "".
func invalidHeartbeat(req *kmsg.ConsumerGroupHeartbeatRequest) string {
	switch {
	case req.Group == "":
		return "GroupId can't be empty."
	case req.InstanceID != nil && *req.InstanceID == "":
		return "InstanceId can't be empty."
	case req.RackID != nil && *req.RackID == "":
		return "RackId can't be empty."
	case req.Version >= 1 && req.MemberID == "":
		return "MemberId can't be empty."
	}
	switch e := req.MemberEpoch; {
	case e > 0:
		if req.MemberID == "" {
			return "MemberId can't be empty."
		}
	case e == 0:
		if req.RebalanceTimeoutMillis == -1 {
			return "RebalanceTimeoutMs must be provided in first request."
		}
		if req.Topics == nil || len(req.Topics) > 0 {
			return "TopicPartitions must be empty when (re-)joining."
		}
		if req.SubscribedTopicNames == nil && req.SubscribedTopicRegex == nil {
			return "SubscribedTopicNames or SubscribedTopicRegex must be set in first request."
		}
	case e == -1:
		if req.MemberID == "" {
			return "MemberId can't be empty."
		}
	case e == -2:
		if req.MemberID == "" {
			return "MemberId can't be empty."
		}
		if req.InstanceID == nil {
			return "InstanceId can't be null."
		}
	default:
		return "MemberEpoch is invalid."
	}
	return ""
}

func (g *group) consumerHeartbeat(cl Client, req *kmsg.ConsumerGroupHeartbeatRequest, re *regexp.Regexp, resp *kmsg.ConsumerGroupHeartbeatResponse) *kmsg.ConsumerGroupHeartbeatResponse {
	fail := func(code int16, msg string) *kmsg.ConsumerGroupHeartbeatResponse {
		resp.ErrorCode = code
		if msg != "" {
			resp.ErrorMessage = kmsg.StringPtr(msg)
		}
		return resp
	}
	if g.state == stateDead {
		return fail(kerr.CoordinatorNotAvailable.Code, "")
	}
	if g.cg == nil {
		// A classic group becomes a consumer group only while it has no members.
		if len(g.members) > 0 || len(g.pending) > 0 || g.state != stateEmpty {
			return fail(kerr.GroupIDNotFound.Code, "Group "+g.name+" is not a consumer group.")
		}
		if req.MemberEpoch != 0 {
			return fail(kerr.UnknownMemberID.Code, "")
		}
		g.cg = newCgroup()
		g.protocolType, g.protocol, g.leader = "", "", ""
	}
	cg := g.cg
	switch req.MemberEpoch {
	case 0:
		return g.consumerJoin(cl, req, re, resp)
	case -1, -2:
		m := cg.members[req.MemberID]
		if m == nil {
			return fail(kerr.UnknownMemberID.Code, "")
		}
		if code := cg.checkInstance(m, req.InstanceID); code != 0 {
			return fail(code, "")
		}
		resp.MemberID = kmsg.StringPtr(m.id)
		resp.MemberEpoch = req.MemberEpoch
		if req.MemberEpoch == -2 && m.instanceID != nil {
			// A static member leaving for a while keeps its assignment until it rejoins or its
			// session expires; the group epoch does not change.
			g.releaseAll(m, false)
			m.epoch = -2
			m.revokeDeadline = time.Time{}
			g.c.logger.Info("static member left temporarily", "group", g.name, "member", m.id)
			return resp
		}
		g.c.logger.Info("member left", "group", g.name, "member", m.id)
		g.removeConsumer(m)
		return resp
	}
	m := cg.members[req.MemberID]
	if m == nil {
		if req.InstanceID != nil {
			if id, ok := cg.static[*req.InstanceID]; ok && id != req.MemberID {
				return fail(kerr.FencedInstanceID.Code, "")
			}
		}
		return fail(kerr.UnknownMemberID.Code, "")
	}
	if code := cg.checkInstance(m, req.InstanceID); code != 0 {
		return fail(code, "")
	}
	if req.MemberEpoch != m.epoch {
		// The member may have missed the answer that bumped its epoch: its previous epoch is
		// accepted if it owns no more than it is assigned.
		if req.MemberEpoch != m.prevEpoch || req.Topics == nil || !g.ownsSubsetOf(req.Topics, m.assigned) {
			return fail(kerr.FencedMemberEpoch.Code, fmt.Sprintf("The consumer group member has a greater member epoch (%d) than the one known by the group coordinator (%d). The member must abandon all its partitions and rejoin.", req.MemberEpoch, m.epoch))
		}
	}
	m.clientID, m.clientHost = cl.ID, cl.Host
	g.consumerSession(m)
	changed := m.update(req, re)
	return g.reconcileAndAnswer(m, req, changed, resp)
}

// checkInstance is Kafka's throwIfInstanceIdIsFenced: a static member must keep its instance id.
// A heartbeat may leave the instance id out (null: unchanged).
func (cg *cgroup) checkInstance(m *cmember, instanceID *string) int16 {
	if instanceID == nil {
		return 0
	}
	if m.instanceID == nil || *m.instanceID != *instanceID {
		return kerr.FencedInstanceID.Code
	}
	return 0
}

// update takes the subscription, assignor and timeouts of a heartbeat; it reports whether the
// subscription or assignor changed.
func (m *cmember) update(req *kmsg.ConsumerGroupHeartbeatRequest, re *regexp.Regexp) bool {
	changed := false
	if req.SubscribedTopicNames != nil {
		names := slices.Clone(req.SubscribedTopicNames)
		slices.Sort(names)
		names = slices.Compact(names)
		if !slices.Equal(names, m.topics) {
			m.topics, changed = names, true
		}
	}
	if req.SubscribedTopicRegex != nil && *req.SubscribedTopicRegex != m.regex {
		m.regex, m.re, changed = *req.SubscribedTopicRegex, re, true
		if m.regex == "" {
			m.re = nil
		}
	}
	if req.ServerAssignor != nil && *req.ServerAssignor != m.assignor {
		m.assignor, changed = *req.ServerAssignor, true
	}
	if req.RebalanceTimeoutMillis > 0 {
		m.rebalanceTimeout = time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond
	}
	if req.RackID != nil {
		m.rackID = kmsg.StringPtr(*req.RackID)
	}
	return changed
}

func (g *group) consumerJoin(cl Client, req *kmsg.ConsumerGroupHeartbeatRequest, re *regexp.Regexp, resp *kmsg.ConsumerGroupHeartbeatResponse) *kmsg.ConsumerGroupHeartbeatResponse {
	cg := g.cg
	id := req.MemberID
	if id == "" { // v0: the coordinator names the member
		id = newMemberID(cl.ID)
	}
	var inherit *cmember
	if req.InstanceID != nil {
		if oldID, ok := cg.static[*req.InstanceID]; ok {
			if old := cg.members[oldID]; old != nil {
				if old.epoch != -2 && oldID != id {
					resp.ErrorCode = kerr.UnreleasedInstanceID.Code
					resp.ErrorMessage = kmsg.StringPtr("Static member " + *req.InstanceID + " of group " + g.name + " is still in use by member " + oldID + ".")
					return resp
				}
				if old.epoch == -2 {
					inherit = old
				}
			}
		}
	}
	changed := true
	if inherit != nil {
		// The static member comes back under a new (or the same) member id and takes over its
		// assignment: nothing moves.
		delete(cg.members, inherit.id)
		m := inherit
		for tp := range m.assigned {
			cg.owners[tp] = id
		}
		m.id, m.epoch, m.prevEpoch = id, cg.targetEpoch, 0
		oldTopics, oldRegex, oldAssignor := m.topics, m.regex, m.assignor
		m.update(req, re)
		changed = !slices.Equal(oldTopics, m.topics) || oldRegex != m.regex || oldAssignor != m.assignor
		cg.members[id] = m
	} else {
		if old := cg.members[id]; old != nil {
			// A member rejoining under its id has given up everything it held.
			g.releaseAll(old, true)
			delete(cg.members, id)
		}
		m := &cmember{
			id:               id,
			rebalanceTimeout: time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond,
			target:           make(map[topicPartition]bool),
			assigned:         make(map[topicPartition]int32),
			revoking:         make(map[topicPartition]int32),
		}
		if req.InstanceID != nil {
			m.instanceID = kmsg.StringPtr(*req.InstanceID)
		}
		m.update(req, re)
		if m.rebalanceTimeout <= 0 {
			m.rebalanceTimeout = DefaultConsumerSessionTimeout
		}
		cg.members[id] = m
		g.c.logger.Info("member joined", "group", g.name, "member", id)
	}
	m := cg.members[id]
	if m.instanceID != nil {
		cg.static[*m.instanceID] = id
	}
	m.clientID, m.clientHost = cl.ID, cl.Host
	g.consumerSession(m)
	return g.reconcileAndAnswer(m, req, changed, resp)
}

// reconcileAndAnswer bumps the group epoch if the member's subscription changed or the
// subscribed topics' metadata did, moves the member toward its target, and answers it.
func (g *group) reconcileAndAnswer(m *cmember, req *kmsg.ConsumerGroupHeartbeatRequest, changed bool, resp *kmsg.ConsumerGroupHeartbeatResponse) *kmsg.ConsumerGroupHeartbeatResponse {
	cg := g.cg
	if sig := g.topicSig(); changed || sig != cg.sig {
		g.bumpEpoch()
	}
	beforeEpoch, before := m.epoch, maps.Clone(m.assigned)
	g.reconcile(m, req.Topics)
	resp.MemberID = kmsg.StringPtr(m.id)
	resp.MemberEpoch = m.epoch
	full := req.RebalanceTimeoutMillis != -1 && (req.SubscribedTopicNames != nil || req.SubscribedTopicRegex != nil) && req.Topics != nil
	if full || req.MemberEpoch == 0 || m.epoch != beforeEpoch || !maps.Equal(before, m.assigned) {
		resp.Assignment = g.assignmentOf(m.assigned)
	}
	if len(m.revoking) > 0 || !m.hasTarget() {
		// Not done reconciling: the partitions it waits for are freed by other members'
		// heartbeats, so it is asked back sooner than the configured interval.
		resp.HeartbeatIntervalMillis = int32(min(g.c.cfg.ConsumerHeartbeatInterval, reconcilingHeartbeatInterval) / time.Millisecond)
	}
	return resp
}

// assignmentOf encodes a member's partitions by topic id; topics gone are left out.
func (g *group) assignmentOf(held map[topicPartition]int32) *kmsg.ConsumerGroupHeartbeatResponseAssignment {
	a := new(kmsg.ConsumerGroupHeartbeatResponseAssignment)
	for _, tp := range sortedTPs(held) {
		t := g.c.c.Topic(tp.topic)
		if t == nil {
			continue
		}
		if n := len(a.Topics); n == 0 || a.Topics[n-1].TopicID != t.ID {
			at := kmsg.NewConsumerGroupHeartbeatResponseAssignmentTopic()
			at.TopicID = t.ID
			a.Topics = append(a.Topics, at)
		}
		at := &a.Topics[len(a.Topics)-1]
		at.Partitions = append(at.Partitions, tp.partition)
	}
	return a
}

func sortedTPs[V any](s map[topicPartition]V) []topicPartition {
	out := slices.Collect(maps.Keys(s))
	slices.SortFunc(out, func(a, b topicPartition) int {
		return cmp.Or(strings.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition))
	})
	return out
}

// ownedSet resolves a heartbeat's owned partitions to names; unknown topic ids are dropped.
func (g *group) ownedSet(ts []kmsg.ConsumerGroupHeartbeatRequestTopic) map[topicPartition]bool {
	out := make(map[topicPartition]bool)
	for _, t := range ts {
		top := g.c.c.TopicByID(t.TopicID)
		if top == nil {
			continue
		}
		for _, p := range t.Partitions {
			out[topicPartition{top.Name, p}] = true
		}
	}
	return out
}

func (g *group) ownsSubsetOf(ts []kmsg.ConsumerGroupHeartbeatRequestTopic, assigned map[topicPartition]int32) bool {
	for tp := range g.ownedSet(ts) {
		if _, ok := assigned[tp]; !ok {
			return false
		}
	}
	return true
}

// reconcile moves m toward its target (Kafka's CurrentAssignmentBuilder): revocations the
// member acknowledged (by no longer reporting them as owned) release their partitions; then,
// if it holds partitions that are not its target, it is asked to revoke them with its epoch
// unchanged; otherwise it is given the target partitions nobody else holds and takes the
// target epoch. owned nil means "as before" (a lightweight heartbeat).
func (g *group) reconcile(m *cmember, owned []kmsg.ConsumerGroupHeartbeatRequestTopic) {
	cg := g.cg
	if m.epoch == -2 {
		return
	}
	if len(m.revoking) > 0 && owned != nil {
		still := g.ownedSet(owned)
		for tp := range m.revoking {
			if !still[tp] {
				delete(m.revoking, tp)
				if cg.owners[tp] == m.id {
					delete(cg.owners, tp)
				}
			}
		}
	}
	if len(m.revoking) > 0 {
		return
	}
	m.revokeDeadline = time.Time{}
	for tp, e := range m.assigned {
		if !m.target[tp] {
			delete(m.assigned, tp)
			m.revoking[tp] = e
		}
	}
	if len(m.revoking) > 0 {
		m.revokeDeadline = time.Now().Add(m.rebalanceTimeout)
		return
	}
	if m.epoch != cg.targetEpoch {
		m.prevEpoch, m.epoch = m.epoch, cg.targetEpoch
	}
	for tp := range m.target {
		if _, ok := m.assigned[tp]; ok {
			continue
		}
		if owner, ok := cg.owners[tp]; ok && owner != m.id {
			continue // unreleased: its previous owner has not revoked it yet
		}
		cg.owners[tp] = m.id
		m.assigned[tp] = m.epoch
	}
}

// releaseAll frees what m holds; with assigned, its acknowledged partitions too (else only
// those it was revoking).
func (g *group) releaseAll(m *cmember, assigned bool) {
	cg := g.cg
	for tp := range m.revoking {
		if cg.owners[tp] == m.id {
			delete(cg.owners, tp)
		}
	}
	clear(m.revoking)
	if assigned {
		for tp := range m.assigned {
			if cg.owners[tp] == m.id {
				delete(cg.owners, tp)
			}
		}
		clear(m.assigned)
	}
}

// removeConsumer removes m (left, expired or fenced) and rebalances the rest.
func (g *group) removeConsumer(m *cmember) {
	cg := g.cg
	g.releaseAll(m, true)
	delete(cg.members, m.id)
	if m.instanceID != nil && cg.static[*m.instanceID] == m.id {
		delete(cg.static, *m.instanceID)
	}
	g.bumpEpoch()
}

// consumerSession re-arms m's session deadline.
func (g *group) consumerSession(m *cmember) {
	m.deadline = time.Now().Add(g.c.cfg.ConsumerSessionTimeout)
}

// expireConsumers removes members whose session expired and fences members that did not
// revoke within their rebalance timeout.
func (g *group) expireConsumers(now time.Time) {
	if g.cg == nil {
		return
	}
	for _, id := range slices.Sorted(maps.Keys(g.cg.members)) {
		m := g.cg.members[id]
		switch {
		case !m.deadline.After(now):
			g.c.logger.Info("member session expired", "group", g.name, "member", id)
			g.removeConsumer(m)
		case !m.revokeDeadline.IsZero() && !m.revokeDeadline.After(now):
			g.c.logger.Info("member fenced: it did not revoke its partitions within its rebalance timeout", "group", g.name, "member", id)
			g.removeConsumer(m)
		}
	}
}

// consumerDeadlines calls consider with each armed consumer deadline.
func (g *group) consumerDeadlines(consider func(time.Time)) {
	if g.cg == nil {
		return
	}
	for _, m := range g.cg.members {
		consider(m.deadline)
		consider(m.revokeDeadline)
	}
}

// subscriptions resolves every member's subscription against the existing topics: member id →
// topics, and topic → partition count.
func (g *group) subscriptions() (map[string][]string, map[string]int32) {
	counts := make(map[string]int32)
	subs := make(map[string][]string, len(g.cg.members))
	var all []string // topic names, for regexes, listed once
	for _, m := range g.cg.members {
		set := make(map[string]bool)
		for _, t := range m.topics {
			if top := g.c.c.Topic(t); top != nil {
				set[t] = true
				counts[t] = int32(len(top.Partitions()))
			}
		}
		if m.re != nil {
			if all == nil {
				// Internal topics match too, as in Kafka: a regex naming one gets it.
				for _, t := range g.c.c.Topics() {
					all = append(all, t.Name)
				}
			}
			for _, t := range all {
				if m.re.MatchString(t) {
					if top := g.c.c.Topic(t); top != nil {
						set[t] = true
						counts[t] = int32(len(top.Partitions()))
					}
				}
			}
		}
		subs[m.id] = slices.Sorted(maps.Keys(set))
	}
	return subs, counts
}

// topicSig fingerprints the subscribed topics and their partition counts.
func (g *group) topicSig() string {
	_, counts := g.subscriptions()
	var b strings.Builder
	for _, t := range slices.Sorted(maps.Keys(counts)) {
		b.WriteString(t)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(int(counts[t])))
		b.WriteByte(',')
	}
	return b.String()
}

// bumpEpoch starts a new group epoch and computes its target assignment.
func (g *group) bumpEpoch() {
	cg := g.cg
	cg.epoch++
	subs, counts := g.subscriptions()
	cg.sig = g.topicSig()
	assignor := g.pickAssignor()
	if assignor != cg.assignor {
		for _, m := range cg.members {
			clear(m.target)
		}
		cg.assignor = assignor
	}
	ids := slices.Sorted(maps.Keys(cg.members))
	switch assignor {
	case "range":
		g.assignRange(ids, subs, counts)
	default:
		g.assignUniform(ids, subs, counts)
	}
	cg.targetEpoch = cg.epoch
	g.c.logger.Debug("consumer group target assignment computed", "group", g.name, "epoch", cg.epoch, "assignor", assignor, "members", len(ids))
}

// pickAssignor is the assignor most members prefer (ties: the first served), or the default.
func (g *group) pickAssignor() string {
	votes := make(map[string]int)
	for _, m := range g.cg.members {
		if m.assignor != "" {
			votes[m.assignor]++
		}
	}
	best := consumerAssignors[0]
	for _, a := range consumerAssignors {
		if votes[a] > votes[best] {
			best = a
		}
	}
	return best
}

// assignRange is the range assignor: for each topic, its subscribers (static members by
// instance id first, then the others by member id) get contiguous ranges, the first ones one
// more partition when the count does not divide.
func (g *group) assignRange(ids []string, subs map[string][]string, counts map[string]int32) {
	cg := g.cg
	for _, m := range cg.members {
		clear(m.target)
	}
	order := slices.Clone(ids)
	slices.SortFunc(order, func(a, b string) int {
		ma, mb := cg.members[a], cg.members[b]
		switch {
		case ma.instanceID != nil && mb.instanceID != nil:
			return strings.Compare(*ma.instanceID, *mb.instanceID)
		case ma.instanceID != nil:
			return -1
		case mb.instanceID != nil:
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, t := range slices.Sorted(maps.Keys(counts)) {
		var who []*cmember
		for _, id := range order {
			if slices.Contains(subs[id], t) {
				who = append(who, cg.members[id])
			}
		}
		if len(who) == 0 {
			continue
		}
		n := int(counts[t])
		per, extra := n/len(who), n%len(who)
		p := 0
		for i, m := range who {
			k := per
			if i < extra {
				k++
			}
			for range k {
				m.target[topicPartition{t, int32(p)}] = true
				p++
			}
		}
	}
}

// assignUniform is the uniform assignor: balanced and sticky. Each member keeps the target
// partitions it still subscribes to, up to its share; the rest go one by one to the subscribed
// member with the fewest.
func (g *group) assignUniform(ids []string, subs map[string][]string, counts map[string]int32) {
	cg := g.cg
	var all []topicPartition
	for _, t := range slices.Sorted(maps.Keys(counts)) {
		for p := range counts[t] {
			all = append(all, topicPartition{t, p})
		}
	}
	if len(ids) == 0 {
		return
	}
	subscribed := func(id, topic string) bool { return slices.Contains(subs[id], topic) }
	taken := make(map[topicPartition]bool)
	load := make(map[string]int)
	for _, id := range ids {
		m := cg.members[id]
		for tp := range m.target {
			if taken[tp] || tp.partition >= counts[tp.topic] || !subscribed(id, tp.topic) {
				delete(m.target, tp)
				continue
			}
			taken[tp] = true
		}
		load[id] = len(m.target)
	}
	// Shares: len(all)/members each, one more for the most loaded members first (the least
	// movement).
	share := len(all) / len(ids)
	extra := len(all) % len(ids)
	byLoad := slices.Clone(ids)
	slices.SortStableFunc(byLoad, func(a, b string) int { return cmp.Compare(load[b], load[a]) })
	for i, id := range byLoad {
		allowed := share
		if i < extra {
			allowed++
		}
		m := cg.members[id]
		if over := len(m.target) - allowed; over > 0 {
			held := sortedTPs(m.target)
			for _, tp := range held[len(held)-over:] {
				delete(m.target, tp)
				delete(taken, tp)
			}
			load[id] = allowed
		}
	}
	for _, tp := range all {
		if taken[tp] {
			continue
		}
		best := ""
		for _, id := range ids {
			if subscribed(id, tp.topic) && (best == "" || load[id] < load[best]) {
				best = id
			}
		}
		if best == "" {
			continue
		}
		cg.members[best].target[tp] = true
		load[best]++
	}
}

// validateConsumerCommit is Kafka's ConsumerGroup.validateOffsetCommit with KIP-1251's relaxed
// epoch check: a commit with a negative epoch is accepted while the group has no members;
// otherwise it must come from a member (OffsetCommit v9+) whose epoch is not older than
// the request's. Partitions given to the member after the request's epoch are answered
// STALE_MEMBER_EPOCH one by one (staleFor).
func (g *group) validateConsumerCommit(req *kmsg.OffsetCommitRequest) (code int16, staleFor func(topicPartition) bool) {
	cg := g.cg
	if req.Generation < 0 && len(cg.members) == 0 {
		return 0, nil
	}
	m := cg.members[req.MemberID]
	if m == nil {
		return kerr.UnknownMemberID.Code, nil
	}
	if req.Version < 9 {
		return kerr.UnsupportedVersion.Code, nil
	}
	if req.Generation > m.epoch || req.Generation < 0 {
		return kerr.StaleMemberEpoch.Code, nil
	}
	g.consumerSession(m)
	return 0, func(tp topicPartition) bool {
		if e, ok := m.assigned[tp]; ok {
			return req.Generation < e
		}
		if e, ok := m.revoking[tp]; ok {
			return req.Generation < e
		}
		return false
	}
}

// validateConsumerFetch is Kafka's ConsumerGroup.validateOffsetFetch: a fetch naming no member
// with a negative epoch (an admin) is always served; otherwise the member must exist and its
// epoch match.
func (g *group) validateConsumerFetch(memberID *string, epoch int32) int16 {
	if memberID == nil && epoch < 0 {
		return 0
	}
	if memberID == nil {
		return kerr.UnknownMemberID.Code
	}
	m := g.cg.members[*memberID]
	if m == nil {
		return kerr.UnknownMemberID.Code
	}
	if m.epoch != epoch {
		return kerr.StaleMemberEpoch.Code
	}
	return 0
}

// ConsumerGroupDescribe handles a ConsumerGroupDescribe request. A group that does not exist,
// or is a classic group, is GROUP_ID_NOT_FOUND, as Kafka answers.
func (c *Coordinator) ConsumerGroupDescribe(ctx context.Context, req *kmsg.ConsumerGroupDescribeRequest) *kmsg.ConsumerGroupDescribeResponse {
	resp := req.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
	for _, name := range req.Groups {
		notFound := func() kmsg.ConsumerGroupDescribeResponseGroup {
			dg := kmsg.NewConsumerGroupDescribeResponseGroup()
			dg.Group = name
			dg.ErrorCode = kerr.GroupIDNotFound.Code
			dg.ErrorMessage = kmsg.StringPtr("Group " + name + " not found.")
			return dg
		}
		var dg kmsg.ConsumerGroupDescribeResponseGroup
		ch := make(chan kmsg.ConsumerGroupDescribeResponseGroup, 1)
		switch {
		case name == "":
			dg = kmsg.NewConsumerGroupDescribeResponseGroup()
			dg.ErrorCode = kerr.InvalidGroupID.Code
		case c.do(name, false, func(g *group) {
			if g.cg == nil || g.state == stateDead {
				d := notFound()
				if g.cg == nil && g.state != stateDead {
					d.ErrorMessage = kmsg.StringPtr("Group " + name + " is not a consumer group.")
				}
				ch <- d
				return
			}
			ch <- g.describeConsumer()
		}):
			var ok bool
			if dg, ok = wait(c, ctx, ch); !ok {
				dg = kmsg.NewConsumerGroupDescribeResponseGroup()
				dg.Group = name
				dg.ErrorCode = kerr.CoordinatorNotAvailable.Code
			}
		case c.isClosed():
			dg = kmsg.NewConsumerGroupDescribeResponseGroup()
			dg.Group = name
			dg.ErrorCode = kerr.CoordinatorNotAvailable.Code
		default:
			dg = notFound()
		}
		resp.Groups = append(resp.Groups, dg)
	}
	return resp
}

func (g *group) describeConsumer() kmsg.ConsumerGroupDescribeResponseGroup {
	cg := g.cg
	dg := kmsg.NewConsumerGroupDescribeResponseGroup()
	dg.Group = g.name
	dg.State = cg.state()
	dg.Epoch = cg.epoch
	dg.AssignmentEpoch = cg.targetEpoch
	dg.AssignorName = cg.assignor
	for _, id := range slices.Sorted(maps.Keys(cg.members)) {
		m := cg.members[id]
		dm := kmsg.NewConsumerGroupDescribeResponseGroupMember()
		dm.MemberID = m.id
		dm.InstanceID = m.instanceID
		dm.RackID = m.rackID
		dm.MemberEpoch = m.epoch
		dm.ClientID = m.clientID
		dm.ClientHost = m.clientHost
		dm.SubscribedTopics = slices.Clone(m.topics)
		if dm.SubscribedTopics == nil {
			dm.SubscribedTopics = []string{}
		}
		if m.regex != "" {
			dm.SubscribedTopicRegex = kmsg.StringPtr(m.regex)
		}
		dm.MemberType = 1 // consumer (the classic protocol's members are 0)
		dm.Assignment = g.describedAssignment(m.assigned)
		target := make(map[topicPartition]int32, len(m.target))
		for tp := range m.target {
			target[tp] = 0
		}
		dm.TargetAssignment = g.describedAssignment(target)
		dg.Members = append(dg.Members, dm)
	}
	return dg
}

func (g *group) describedAssignment(held map[topicPartition]int32) kmsg.Assignment {
	a := kmsg.NewAssignment()
	for _, tp := range sortedTPs(held) {
		t := g.c.c.Topic(tp.topic)
		if t == nil {
			continue
		}
		if n := len(a.TopicPartitions); n == 0 || a.TopicPartitions[n-1].Topic != tp.topic {
			at := kmsg.NewAssignmentTopicPartition()
			at.TopicID, at.Topic = t.ID, tp.topic
			a.TopicPartitions = append(a.TopicPartitions, at)
		}
		at := &a.TopicPartitions[len(a.TopicPartitions)-1]
		at.Partitions = append(at.Partitions, tp.partition)
	}
	return a
}

// consumerSubscribed says whether some member of a consumer group subscribes to topic.
func (g *group) consumerSubscribed(topic string) bool {
	subs, _ := g.subscriptions()
	for _, ts := range subs {
		if slices.Contains(ts, topic) {
			return true
		}
	}
	return false
}
