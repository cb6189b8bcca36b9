package group

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Defaults filled in for zero fields of Config.
const (
	// DefaultInitialRebalanceDelay is group.initial.rebalance.delay.ms here (Kafka: 3 s).
	DefaultInitialRebalanceDelay = 100 * time.Millisecond
	// DefaultMinSessionTimeout is group.min.session.timeout.ms.
	DefaultMinSessionTimeout = 6 * time.Second
	// DefaultMaxSessionTimeout is group.max.session.timeout.ms.
	DefaultMaxSessionTimeout = 30 * time.Minute
	// DefaultOffsetsPartitions is offsets.topic.num.partitions.
	DefaultOffsetsPartitions = 50
	// offsetsSegmentBytes is offsets.topic.segment.bytes.
	offsetsSegmentBytes = "104857600"
	// maxMetadataBytes is offset.metadata.max.bytes.
	maxMetadataBytes = 4096
	// newMemberJoinTimeout is Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: how long a
	// member that has never completed a join may wait in one.
	newMemberJoinTimeout = 5 * time.Minute
)

// Config configures a Coordinator. Only Cluster is required.
type Config struct {
	// Cluster holds __consumer_offsets and tells which topics exist. Required.
	Cluster *cluster.Cluster
	// Logger receives rebalance and replay reports; nil discards.
	Logger *slog.Logger
	// InitialRebalanceDelay is group.initial.rebalance.delay.ms: how long the first rebalance
	// of an empty group waits for more members. 0 means DefaultInitialRebalanceDelay; negative
	// means no delay.
	InitialRebalanceDelay time.Duration
	// MinSessionTimeout is group.min.session.timeout.ms; 0 means 6 s.
	MinSessionTimeout time.Duration
	// MaxSessionTimeout is group.max.session.timeout.ms; 0 means 30 min.
	MaxSessionTimeout time.Duration
	// ConsumerHeartbeatInterval is group.consumer.heartbeat.interval.ms, the interval the
	// consumer protocol (KIP-848) asks members to heartbeat at; 0 means 5 s (Kafka's).
	ConsumerHeartbeatInterval time.Duration
	// ConsumerSessionTimeout is group.consumer.session.timeout.ms; 0 means 45 s (Kafka's).
	ConsumerSessionTimeout time.Duration
	// OffsetsPartitions is offsets.topic.num.partitions, used when __consumer_offsets is
	// created; 0 means 50. An existing topic keeps its own count.
	OffsetsPartitions int32
}

// Client says who sent a request: its client id and "/host" as Kafka reports it.
type Client struct {
	ID   string
	Host string
}

// Coordinator is the group coordinator of the one broker. Its methods are safe for concurrent
// use.
type Coordinator struct {
	cfg    Config
	c      *cluster.Cluster
	logger *slog.Logger

	quit chan struct{} // closed by Close
	wg   sync.WaitGroup

	mu     sync.RWMutex // guards groups and closed
	groups map[string]*group
	closed bool
}

// New returns a Coordinator for cfg, with every group and committed offset recorded in
// __consumer_offsets replayed.
func New(cfg Config) (*Coordinator, error) {
	if cfg.Cluster == nil {
		return nil, errors.New("group: a cluster is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.InitialRebalanceDelay == 0 {
		cfg.InitialRebalanceDelay = DefaultInitialRebalanceDelay
	} else if cfg.InitialRebalanceDelay < 0 {
		cfg.InitialRebalanceDelay = 0
	}
	if cfg.MinSessionTimeout <= 0 {
		cfg.MinSessionTimeout = DefaultMinSessionTimeout
	}
	if cfg.MaxSessionTimeout <= 0 {
		cfg.MaxSessionTimeout = DefaultMaxSessionTimeout
	}
	if cfg.ConsumerHeartbeatInterval <= 0 {
		cfg.ConsumerHeartbeatInterval = DefaultConsumerHeartbeatInterval
	}
	if cfg.ConsumerSessionTimeout <= 0 {
		cfg.ConsumerSessionTimeout = DefaultConsumerSessionTimeout
	}
	if cfg.OffsetsPartitions <= 0 {
		cfg.OffsetsPartitions = DefaultOffsetsPartitions
	}
	c := &Coordinator{
		cfg:    cfg,
		c:      cfg.Cluster,
		logger: cfg.Logger,
		quit:   make(chan struct{}),
		groups: make(map[string]*group),
	}
	if err := c.replay(); err != nil {
		return nil, err
	}
	return c, nil
}

// replay rebuilds groups and offsets from __consumer_offsets.
func (c *Coordinator) replay() error {
	t := c.c.Topic(OffsetsTopic)
	if t == nil {
		return nil
	}
	st := newReplayState()
	for p, lp := range t.Partitions() {
		err := lp.EachBatch(func(batch []byte) {
			if why := st.applyBatch(int32(p), batch); why != skipNone {
				c.logger.Warn("skipping a batch in the offsets topic", "partition", p, "why", string(why))
			}
		})
		if errors.Is(err, log.ErrCorruptBatch) {
			c.logger.Warn("offsets topic replay stopped early", "partition", p, "err", err)
		} else if err != nil {
			return fmt.Errorf("group: replaying %s/%d: %w", OffsetsTopic, p, err)
		}
	}
	pending := 0
	for name, rg := range st.groups {
		g := c.newGroup(name)
		g.persisted = true
		g.offsets = rg.offsets
		g.txn = rg.txn
		if len(rg.txn) > 0 {
			pending++
		}
		if m := rg.meta; m != nil {
			g.protocolType = m.ProtocolType
			g.generation = m.Generation
			if m.Protocol != nil {
				g.protocol = *m.Protocol
			}
		}
		c.groups[name] = g
		c.startGroup(g)
	}
	if len(st.groups) > 0 {
		c.logger.Info("groups replayed from the offsets topic", "groups", len(st.groups), "with_pending_txn_offsets", pending)
	}
	return nil
}

// Close stops every group and waits for their goroutines. Requests still waiting are
// answered with COORDINATOR_NOT_AVAILABLE.
func (c *Coordinator) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.wg.Wait()
		return nil
	}
	c.closed = true
	close(c.quit)
	c.mu.Unlock()
	c.wg.Wait()
	return nil
}

// lookup returns the named group; with create, a new one if none exists. nil if there is
// none (or the coordinator is closed).
func (c *Coordinator) lookup(name string, create bool) *group {
	c.mu.RLock()
	g, closed := c.groups[name], c.closed
	c.mu.RUnlock()
	if g != nil || !create || closed {
		return g
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	if g = c.groups[name]; g == nil {
		g = c.newGroup(name)
		c.groups[name] = g
		c.startGroup(g)
	}
	return g
}

// do runs fn on the named group's goroutine (creating the group if create). It reports
// false if there is no such group or the coordinator is closed.
func (c *Coordinator) do(name string, create bool, fn func(*group)) bool {
	for {
		g := c.lookup(name, create)
		if g == nil {
			return false
		}
		if g.submit(func() { fn(g) }) {
			return true
		}
		// The group stopped (deleted) after the lookup: look again.
		c.mu.RLock()
		closed := c.closed
		c.mu.RUnlock()
		if closed {
			return false
		}
	}
}

// remove drops g from the map once it is dead.
func (c *Coordinator) remove(g *group) {
	c.mu.Lock()
	if c.groups[g.name] == g {
		delete(c.groups, g.name)
	}
	c.mu.Unlock()
}

// all returns every group, sorted by name.
func (c *Coordinator) all() []*group {
	c.mu.RLock()
	gs := make([]*group, 0, len(c.groups))
	for _, g := range c.groups {
		gs = append(gs, g)
	}
	c.mu.RUnlock()
	sort.Slice(gs, func(i, j int) bool { return gs[i].name < gs[j].name })
	return gs
}

// wait waits for a reply on ch, the end of ctx or Close, whichever is first; it returns the
// reply, or nil.
func wait[T any](c *Coordinator, ctx context.Context, ch <-chan T) (T, bool) {
	select {
	case r := <-ch:
		return r, true
	case <-ctx.Done():
	case <-c.quit:
	}
	var zero T
	return zero, false
}

// offsetsPartition returns the __consumer_offsets partition of a group, creating the topic
// on first use.
func (c *Coordinator) offsetsPartition(group string) (*log.Partition, error) {
	ps, err := c.offsetsPartitions()
	if err != nil {
		return nil, err
	}
	return ps[cluster.KeyPartition(group, int32(len(ps)))], nil
}

// offsetsPartitions returns the partitions of __consumer_offsets, creating the topic on first
// use; never an empty slice without an error.
func (c *Coordinator) offsetsPartitions() ([]*log.Partition, error) {
	t := c.c.Topic(OffsetsTopic)
	if t == nil {
		var err error
		if t, err = c.OffsetsTopic(); err != nil {
			return nil, err
		}
	}
	ps := t.Partitions()
	if len(ps) == 0 {
		return nil, fmt.Errorf("group: %s has no partitions", OffsetsTopic)
	}
	return ps, nil
}

// OffsetsPartition returns the __consumer_offsets partition index a group maps to,
// abs(javaStringHashCode(group)) % partitions as in Kafka, creating the topic if needed. The
// transaction coordinator writes a transaction's marker there (WriteTxnMarker).
func (c *Coordinator) OffsetsPartition(group string) (int32, error) {
	ps, err := c.offsetsPartitions()
	if err != nil {
		return 0, err
	}
	return cluster.KeyPartition(group, int32(len(ps))), nil
}

// OffsetsTopic returns the __consumer_offsets topic, creating it (compacted, with
// offsets.topic.num.partitions partitions) if it does not exist.
func (c *Coordinator) OffsetsTopic() (*cluster.Topic, error) {
	return c.c.EnsureTopic(cluster.CreateSpec{
		Name:              OffsetsTopic,
		Partitions:        c.cfg.OffsetsPartitions,
		ReplicationFactor: -1,
		Configs: map[string]string{
			"cleanup.policy": "compact",
			"segment.bytes":  offsetsSegmentBytes,
			// Until the log compacts, time retention must not delete committed offsets.
			"retention.ms": "-1",
		},
	})
}

// appendBatch appends batch to group's __consumer_offsets partition on the caller's goroutine.
// It returns the partition and where the batch went, or the Kafka error code of the failure.
func (c *Coordinator) appendBatch(group string, batch []byte) (*log.Partition, log.AppendResult, int16) {
	lp, err := c.offsetsPartition(group)
	if err != nil {
		c.logger.Warn("offsets topic unavailable", "group", group, "err", err)
		return nil, log.AppendResult{}, kerr.CoordinatorNotAvailable.Code
	}
	res, err := lp.Append(batch, time.Now())
	if err != nil {
		c.logger.Warn("writing to the offsets topic", "group", group, "err", err)
		return nil, log.AppendResult{}, storeErrorCode(err)
	}
	return lp, res, 0
}

// durable calls done with the Kafka error code of the outcome once lastOffset of lp is
// durable (or failed). done runs on another goroutine, or inline.
func (c *Coordinator) durable(group string, lp *log.Partition, lastOffset int64, done func(code int16)) {
	lp.Durable(lastOffset, func(err error) {
		if err != nil {
			c.logger.Warn("syncing the offsets topic", "group", group, "err", err)
		}
		done(storeErrorCode(err))
	})
}

// storeErrorCode maps a write failure to what Kafka's coordinator answers: the client looks
// the coordinator up again and retries; a fenced producer's transactional write is refused.
func storeErrorCode(err error) int16 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, log.ErrClosed):
		return kerr.NotCoordinator.Code
	case errors.Is(err, log.ErrInvalidProducerEpoch):
		return kerr.InvalidProducerEpoch.Code
	default:
		return kerr.CoordinatorNotAvailable.Code
	}
}

// CommittedOffset is one committed offset of a group.
type CommittedOffset struct {
	Group     string
	Topic     string
	Partition int32
	Offset    int64
}

// CommittedOffsets returns every group's committed offsets, sorted by group, topic and
// partition. It is for metrics and the CLI; it is a snapshot taken group by group.
func (c *Coordinator) CommittedOffsets() []CommittedOffset {
	var out []CommittedOffset
	for _, g := range c.all() {
		ch := make(chan []CommittedOffset, 1)
		if !g.submit(func() { ch <- g.committedOffsets() }) {
			continue
		}
		if os, ok := wait(c, context.Background(), ch); ok {
			out = append(out, os...)
		}
	}
	return out
}

// GroupSummary describes one group for metrics and the CLI.
type GroupSummary struct {
	Name string
	// Type is "classic" or "consumer" (KIP-848).
	Type string
	// State is Kafka's name: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead for a
	// classic group; Empty, Assigning, Reconciling, Stable for a consumer group.
	State        string
	ProtocolType string
	Protocol     string // the server assignor of a consumer group
	Generation   int32  // the group epoch of a consumer group
	Members      int
}

// Groups returns a summary of every group, sorted by name.
func (c *Coordinator) Groups() []GroupSummary {
	var out []GroupSummary
	for _, g := range c.all() {
		ch := make(chan GroupSummary, 1)
		if !g.submit(func() { ch <- g.summary() }) {
			continue
		}
		if s, ok := wait(c, context.Background(), ch); ok && s.State != stateDead.String() {
			out = append(out, s)
		}
	}
	return out
}

// validGroupID is Kafka's isValidGroupId: OffsetCommit, OffsetFetch, DescribeGroups and
// DeleteGroups accept the empty group id (for old simple consumers); the others do not.
func validGroupID(id string, emptyOK bool) bool { return emptyOK || id != "" }

// partitionExists says whether topic exists and has partition p (Kafka's API layer refuses
// commits for partitions its metadata does not know).
func (c *Coordinator) partitionExists(topic string, p int32) bool {
	t := c.c.Topic(topic)
	return t != nil && p >= 0 && int(p) < len(t.Partitions())
}
