package group

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// empty says the group has no members, under either protocol.
func (g *group) empty() bool {
	if g.cg != nil {
		return len(g.cg.members) == 0
	}
	return g.state == stateEmpty
}

// state is a classic group's state, named as Kafka names them.
type state int8

const (
	stateEmpty state = iota
	statePreparingRebalance
	stateCompletingRebalance
	stateStable
	stateDead
)

func (s state) String() string {
	switch s {
	case stateEmpty:
		return "Empty"
	case statePreparingRebalance:
		return "PreparingRebalance"
	case stateCompletingRebalance:
		return "CompletingRebalance"
	case stateStable:
		return "Stable"
	}
	return "Dead"
}

type topicPartition struct {
	topic     string
	partition int32
}

// offset is one committed (or pending transactional) offset.
type offset struct {
	offset      int64
	leaderEpoch int32
	metadata    string
	commitMs    int64
	// record is the offset in __consumer_offsets of the record holding it: of two commits of
	// a partition, the later record wins (see commitInto).
	record int64
}

// member is one member of a group.
type member struct {
	id               string
	instanceID       *string
	clientID         string
	clientHost       string
	sessionTimeout   time.Duration
	rebalanceTimeout time.Duration
	protocolType     string
	protocols        []kmsg.JoinGroupRequestProtocol // owned copies
	assignment       []byte

	// joinCh, if set, is the parked JoinGroup waiting for this rebalance to complete;
	// syncCh the parked SyncGroup waiting for the leader's assignment.
	joinCh      chan<- *kmsg.JoinGroupResponse
	joinVersion int16
	syncCh      chan<- *kmsg.SyncGroupResponse
	syncVersion int16

	isNew bool
	// deadline is when the member expires unless it heartbeats (zero: none armed).
	deadline time.Time
}

// metadata returns the member's metadata for protocol.
func (m *member) metadata(protocol string) []byte {
	for _, p := range m.protocols {
		if p.Name == protocol {
			return p.Metadata
		}
	}
	return nil
}

// matches is Kafka's MemberMetadata.matches: the same protocols, in order, with the same
// metadata.
func (m *member) matches(ps []kmsg.JoinGroupRequestProtocol) bool {
	if len(ps) != len(m.protocols) {
		return false
	}
	for i := range ps {
		if ps[i].Name != m.protocols[i].Name || !bytes.Equal(ps[i].Metadata, m.protocols[i].Metadata) {
			return false
		}
	}
	return true
}

func cloneProtocols(ps []kmsg.JoinGroupRequestProtocol) []kmsg.JoinGroupRequestProtocol {
	out := make([]kmsg.JoinGroupRequestProtocol, len(ps))
	for i, p := range ps {
		out[i] = kmsg.JoinGroupRequestProtocol{Name: p.Name, Metadata: bytes.Clone(p.Metadata)}
	}
	return out
}

// group is one group. Fields below q are owned by the group's goroutine (run).
type group struct {
	c    *Coordinator
	name string

	q struct {
		sync.Mutex
		work    []func()
		stopped bool
	}
	wake chan struct{} // cap 1: work was queued

	state        state
	protocolType string
	protocol     string
	generation   int32
	leader       string
	members      map[string]*member
	pending      map[string]time.Time // member ids handed out with MEMBER_ID_REQUIRED → expiry
	static       map[string]string    // group.instance.id → member id
	awaitingJoin int                  // members with joinCh set
	stateSince   time.Time

	// The join barrier of PreparingRebalance: completes at joinDeadline, or earlier once
	// everyone joined unless joinInitial (the initial delay of an empty group) holds it.
	joinDeadline   time.Time
	joinInitial    bool
	joinRemaining  time.Duration
	newMemberAdded bool

	// Members that have not sent SyncGroup since the join completed, and when they expire.
	pendingSync  map[string]bool
	syncDeadline time.Time

	// subscribed is the topics the members of a consumer group subscribe to; nil if unknown.
	subscribed map[string]bool

	// cg is the consumer protocol's state (KIP-848); nil while the group is a classic group.
	cg *cgroup

	offsets map[topicPartition]offset
	// txn holds the transactional offsets (TxnOffsetCommit) whose transaction has no marker
	// yet, by producer id; WriteTxnMarker commits or drops them.
	txn       pendingTxns
	inflight  int  // writes not yet completed
	persisted bool // something about the group is in the offsets topic
}

func (c *Coordinator) newGroup(name string) *group {
	return &group{
		c:          c,
		name:       name,
		wake:       make(chan struct{}, 1),
		members:    make(map[string]*member),
		pending:    make(map[string]time.Time),
		static:     make(map[string]string),
		offsets:    make(map[topicPartition]offset),
		txn:        make(pendingTxns),
		stateSince: time.Now(),
	}
}

// startGroup starts g's goroutine; c.mu is held.
func (c *Coordinator) startGroup(g *group) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		g.run()
	}()
}

// submit queues fn to run on the group's goroutine. It never blocks (it is called from
// flusher callbacks too) and reports false once the group has stopped.
func (g *group) submit(fn func()) bool {
	g.q.Lock()
	if g.q.stopped {
		g.q.Unlock()
		return false
	}
	g.q.work = append(g.q.work, fn)
	g.q.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
	return true
}

// run is the group's goroutine: it runs queued work and expires deadlines until the group is
// dead or the coordinator closes.
func (g *group) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		g.drain()
		if g.state == stateDead {
			g.stop()
			return
		}
		if g.disposable() && g.dispose() {
			return
		}
		if next := g.nextDeadline(); next.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(time.Until(next))
		}
		select {
		case <-g.wake:
		case <-timer.C:
			g.expire(time.Now())
		case <-g.c.quit:
			g.q.Lock()
			g.q.stopped = true
			g.q.work = nil
			g.q.Unlock()
			g.failParked()
			return
		}
	}
}

// drain runs queued work until none is left.
func (g *group) drain() {
	for {
		g.q.Lock()
		work := g.q.work
		g.q.work = nil
		g.q.Unlock()
		if len(work) == 0 {
			return
		}
		for _, fn := range work {
			fn()
		}
	}
}

// stop refuses further work and runs what was queued before (against the dead group), so
// every queued request is answered.
func (g *group) stop() {
	g.q.Lock()
	g.q.stopped = true
	g.q.Unlock()
	g.drain()
}

// disposable says the group holds nothing worth keeping: never written to the offsets topic,
// no members, no pending joins, no offsets, no writes in flight. Kafka would remove such a
// group at its next offsets-expiration sweep; it is removed at once here.
func (g *group) disposable() bool {
	return g.state == stateEmpty && !g.persisted && len(g.members) == 0 && len(g.pending) == 0 &&
		len(g.offsets) == 0 && len(g.txn) == 0 && g.inflight == 0 && (g.cg == nil || len(g.cg.members) == 0)
}

// dispose removes a disposable group unless work arrived for it meanwhile. Holding c.mu and
// then q, nothing can find the group or queue to it between the check and the removal.
func (g *group) dispose() bool {
	g.c.mu.Lock()
	defer g.c.mu.Unlock()
	g.q.Lock()
	defer g.q.Unlock()
	if len(g.q.work) > 0 {
		return false
	}
	g.setState(stateDead)
	if g.c.groups[g.name] == g {
		delete(g.c.groups, g.name)
	}
	g.q.stopped = true
	return true
}

// failParked answers every parked request when the coordinator closes.
func (g *group) failParked() {
	for _, m := range g.members {
		g.answerJoinErr(m, kerr.CoordinatorNotAvailable.Code)
		g.answerSyncErr(m, kerr.CoordinatorNotAvailable.Code)
	}
}

func (g *group) setState(s state) {
	g.state = s
	g.stateSince = time.Now()
}

// nextDeadline returns the earliest armed deadline, or zero.
func (g *group) nextDeadline() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	consider(g.joinDeadline)
	consider(g.syncDeadline)
	for _, t := range g.pending {
		consider(t)
	}
	for _, m := range g.members {
		consider(m.deadline)
	}
	g.consumerDeadlines(consider)
	return next
}

// expire handles every deadline that has passed by now.
func (g *group) expire(now time.Time) {
	for id, t := range g.pending {
		if !t.After(now) {
			g.c.logger.Debug("pending member expired", "group", g.name, "member", id)
			delete(g.pending, id)
			g.tryCompleteJoin()
		}
	}
	var expired []*member
	for _, m := range g.members {
		if m.deadline.IsZero() || m.deadline.After(now) {
			continue
		}
		// Kafka's hasSatisfiedHeartbeat: a member waiting in a rebalance is not expired (its
		// deadline is re-armed when the rebalance answers it), unless it never joined before.
		if !m.isNew && (m.joinCh != nil || m.syncCh != nil) {
			m.deadline = time.Time{}
			continue
		}
		expired = append(expired, m)
	}
	sort.Slice(expired, func(i, j int) bool { return expired[i].id < expired[j].id })
	for _, m := range expired {
		if g.members[m.id] != m {
			continue
		}
		g.c.logger.Info("member session expired", "group", g.name, "member", m.id)
		g.removeMemberAndUpdate(m)
	}
	if !g.joinDeadline.IsZero() && !g.joinDeadline.After(now) {
		g.onJoinDeadline(now)
	}
	if !g.syncDeadline.IsZero() && !g.syncDeadline.After(now) {
		g.onSyncDeadline()
	}
	g.expireConsumers(now)
}

// heartbeat re-arms m's session deadline.
func (g *group) heartbeat(m *member) {
	m.deadline = time.Now().Add(m.sessionTimeout)
}

func newMemberID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return prefix + "-" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// rebalanceTimeout is the largest rebalance timeout of the members.
func (g *group) rebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		d = max(d, m.rebalanceTimeout)
	}
	return d
}

// candidates returns the protocols every member supports.
func (g *group) candidates() map[string]bool {
	counts := make(map[string]int)
	for _, m := range g.members {
		seen := make(map[string]bool)
		for _, p := range m.protocols {
			if !seen[p.Name] {
				seen[p.Name] = true
				counts[p.Name]++
			}
		}
	}
	out := make(map[string]bool)
	for name, n := range counts {
		if n == len(g.members) {
			out[name] = true
		}
	}
	return out
}

// supportsProtocols is Kafka's GroupMetadata.supportsProtocols: an empty group takes any
// non-empty protocol type and protocol list; otherwise the type must match and one of the
// protocols must be supported by every member.
func (g *group) supportsProtocols(protocolType string, ps []kmsg.JoinGroupRequestProtocol) bool {
	if len(g.members) == 0 {
		return protocolType != "" && len(ps) > 0
	}
	if protocolType != g.protocolType {
		return false
	}
	cands := g.candidates()
	for _, p := range ps {
		if cands[p.Name] {
			return true
		}
	}
	return false
}

// selectProtocol is Kafka's selectProtocol: among the protocols every member supports, each
// member votes for the first it lists; most votes wins (ties: the leader's preference, then
// the name).
func (g *group) selectProtocol() string {
	cands := g.candidates()
	votes := make(map[string]int)
	for _, m := range g.members {
		for _, p := range m.protocols {
			if cands[p.Name] {
				votes[p.Name]++
				break
			}
		}
	}
	rank := func(name string) int {
		if l := g.members[g.leader]; l != nil {
			for i, p := range l.protocols {
				if p.Name == name {
					return i
				}
			}
		}
		return 1 << 30
	}
	best := ""
	for name, v := range votes {
		switch {
		case best == "", v > votes[best]:
			best = name
		case v == votes[best] && (rank(name) < rank(best) || rank(name) == rank(best) && name < best):
			best = name
		}
	}
	if best == "" {
		// Unreachable while joins are checked with supportsProtocols; never panic on it.
		for _, m := range g.members {
			if len(m.protocols) > 0 {
				return m.protocols[0].Name
			}
		}
	}
	return best
}

// computeSubscribed records the topics a consumer group's members subscribe to, from their
// ConsumerMemberMetadata; nil (unknown) if the group is not a consumer group or any metadata
// does not decode.
func (g *group) computeSubscribed() {
	g.subscribed = nil
	if g.protocolType != "consumer" || g.protocol == "" {
		return
	}
	subs := make(map[string]bool)
	for _, m := range g.members {
		var md kmsg.ConsumerMemberMetadata
		if err := md.ReadFrom(m.metadata(g.protocol)); err != nil {
			return
		}
		for _, t := range md.Topics {
			subs[t] = true
		}
	}
	g.subscribed = subs
}

func (g *group) isSubscribedTo(topic string) bool {
	if g.cg != nil {
		return g.consumerSubscribed(topic)
	}
	if g.subscribed == nil {
		return true
	}
	return g.subscribed[topic]
}

// validateMember is Kafka's GroupMetadata.validateMember.
func (g *group) validateMember(memberID string, instanceID *string) int16 {
	if instanceID != nil {
		known, ok := g.static[*instanceID]
		if !ok {
			return kerr.UnknownMemberID.Code
		}
		if known != memberID {
			return kerr.FencedInstanceID.Code
		}
		return 0
	}
	if g.members[memberID] == nil {
		return kerr.UnknownMemberID.Code
	}
	return 0
}

// summary describes the group for metrics.
func (g *group) summary() GroupSummary {
	if g.cg != nil && g.state != stateDead {
		return GroupSummary{
			Name:         g.name,
			Type:         "consumer",
			State:        g.cg.state(),
			ProtocolType: "consumer",
			Protocol:     g.cg.assignor,
			Generation:   g.cg.epoch,
			Members:      len(g.cg.members),
		}
	}
	return GroupSummary{
		Type:         "classic",
		Name:         g.name,
		State:        g.state.String(),
		ProtocolType: g.protocolType,
		Protocol:     g.protocol,
		Generation:   g.generation,
		Members:      len(g.members),
	}
}

func (g *group) committedOffsets() []CommittedOffset {
	out := make([]CommittedOffset, 0, len(g.offsets))
	for tp, o := range g.offsets {
		out = append(out, CommittedOffset{Group: g.name, Topic: tp.topic, Partition: tp.partition, Offset: o.offset})
	}
	slices.SortFunc(out, func(a, b CommittedOffset) int {
		if a.Topic != b.Topic {
			if a.Topic < b.Topic {
				return -1
			}
			return 1
		}
		return int(a.Partition - b.Partition)
	})
	return out
}
