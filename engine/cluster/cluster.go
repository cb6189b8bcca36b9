// Package cluster is the broker's live state: the topics, their partition logs and their
// configs. Every change goes first to the metadata log (engine/meta) and only then to the
// partition logs on disk, so a crash between the two is repaired on the next Open by
// reconciling the partition directories with the metadata.
//
// The Kafka wire server (engine/kafka) calls a Cluster from many connection goroutines at once.
// Reads (Topic, TopicByID, Topics) take a read lock and return *Topic values whose partition
// list is swapped atomically, so produce and fetch never wait behind an admin change.
//
// Lock order: adminMu, then mu. adminMu serializes admin changes (create, delete, alter) across
// the metadata append and the file work that follows; mu guards the topic maps only and is never
// held across I/O.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/engine/meta"
	"github.com/streamlite/streamlite/engine/schema"
)

// Sentinel errors; the wire server maps each to its Kafka error code.
var (
	ErrUnknownTopic             = errors.New("cluster: unknown topic or partition")
	ErrTopicExists              = errors.New("cluster: topic already exists")
	ErrInvalidTopic             = errors.New("cluster: invalid topic name")
	ErrInvalidPartitions        = errors.New("cluster: invalid number of partitions")
	ErrInvalidReplicationFactor = errors.New("cluster: invalid replication factor")
	ErrInvalidReplicaAssignment = errors.New("cluster: invalid replica assignment")
	ErrInvalidConfig            = errors.New("cluster: invalid config")
	ErrClosed                   = errors.New("cluster: closed")
)

// BrokerID is the node id of the one broker a streamlite process is.
const BrokerID int32 = 0

// Options configures a Cluster. The zero value is an in-memory cluster with Kafka's defaults.
type Options struct {
	// DataDir holds the partition logs under DataDir/topics; "" keeps them in memory.
	DataDir string
	// Meta is the metadata log; nil means a fresh in-memory one. A log opened by the caller
	// should pass Cluster.MetadataAppended as its OnAppend hook (once the cluster is open), so
	// __cluster_metadata shows changes as they happen rather than from the next start.
	Meta *meta.Log
	// Flusher group-commits the partition logs of DataDir; required when DataDir is set.
	Flusher *log.Flusher
	// Logger receives recovery and retention reports; nil discards.
	Logger *slog.Logger
	// DefaultPartitions is num.partitions, for auto-created topics and CreateTopics with -1;
	// 0 means 1.
	DefaultPartitions int32
	// RetentionCheckInterval is how often Run enforces retention (log.retention.check.interval.ms);
	// 0 means 10 s.
	RetentionCheckInterval time.Duration
	// CleanerInterval is how often Run offers every compacted partition a cleaning pass
	// (log.cleaner.backoff.ms, 15 s in Kafka); 0 means 5 s.
	CleanerInterval time.Duration
	// Tier turns on tiered storage (remote.storage.enable topics); nil
	// leaves every segment local.
	Tier *TierOptions
}

// Topic is one topic: its identity, its explicitly set configs and its partitions.
type Topic struct {
	Name string
	ID   [16]byte

	parts   atomic.Pointer[[]*log.Partition]
	configs atomic.Pointer[topicConfigs]
	maxMsg  atomic.Int32
	minISR  atomic.Int32
	schemas atomic.Pointer[schema.ProduceRules]
}

// topicConfigs is what a topic's effective configs are made of. Stored values are never
// written: a change stores a new one.
type topicConfigs struct {
	set    map[string]string // set on the topic; never nil
	broker map[string]string // cluster-wide defaults, by topic config name; nil for none
}

// merged returns the effective set: the topic's own configs over the broker's defaults.
func (tc *topicConfigs) merged() map[string]string {
	if len(tc.broker) == 0 {
		return tc.set
	}
	m := maps.Clone(tc.broker)
	maps.Copy(m, tc.set)
	return m
}

// Partitions returns the topic's partition logs, indexed by partition number. The slice is
// shared: callers must not modify it.
func (t *Topic) Partitions() []*log.Partition { return *t.parts.Load() }

// Partition returns partition p, or nil if the topic has no such partition.
func (t *Topic) Partition(p int32) *log.Partition {
	ps := t.Partitions()
	if p < 0 || int(p) >= len(ps) {
		return nil
	}
	return ps[p]
}

// Configs returns a copy of the topic's explicitly set configs.
func (t *Topic) Configs() map[string]string { return maps.Clone(t.configs.Load().set) }

// Config returns the effective value of a topic config and whether it was set explicitly on
// the topic. A value not set on the topic is the cluster-wide broker override, if any (see
// Cluster.AlterBrokerConfigs), else Kafka's default; ConfigSource tells the two apart.
func (t *Topic) Config(name string) (value string, set bool) {
	v, src := t.ConfigSource(name)
	return v, src == SourceTopic
}

// ConfigSource returns the effective value of a topic config and where it comes from.
func (t *Topic) ConfigSource(name string) (value string, src ConfigSource) {
	tc := t.configs.Load()
	if v, ok := tc.set[name]; ok {
		return v, SourceTopic
	}
	if v, ok := tc.broker[name]; ok {
		return v, SourceBrokerDefault
	}
	return effective(nil, name), SourceDefault
}

// MaxMessageBytes is the topic's max.message.bytes: the largest record batch it accepts.
func (t *Topic) MaxMessageBytes() int32 { return t.maxMsg.Load() }

// MinInsyncReplicas is the topic's min.insync.replicas.
func (t *Topic) MinInsyncReplicas() int32 { return t.minISR.Load() }

// SchemaRules is what the topic's configs ask the broker to check in
// produced records (confluent.*.schema.validation and the like).
func (t *Topic) SchemaRules() schema.ProduceRules { return *t.schemas.Load() }

// IDString is the topic id in Kafka's base64 form is not needed on the wire (ids travel as
// bytes); this hex form names the topic's directory.
func (t *Topic) IDString() string { return hex.EncodeToString(t.ID[:]) }

// setConfigs stores the topic's own configs and the broker's defaults (by topic config name)
// and returns the partition log settings they make, for the caller to apply. Neither map may
// be written afterwards.
func (t *Topic) setConfigs(set, broker map[string]string) log.Config {
	if set == nil {
		set = map[string]string{} // a topic loaded without configs is still altered in place
	}
	tc := &topicConfigs{set: set, broker: broker}
	t.configs.Store(tc)
	eff := tc.merged()
	t.maxMsg.Store(int32(effectiveInt(eff, "max.message.bytes")))
	t.minISR.Store(int32(effectiveInt(eff, "min.insync.replicas")))
	rules := schema.ProduceRulesFromConfigs(eff)
	t.schemas.Store(&rules)
	lc := logConfig(eff)
	if strings.HasPrefix(t.Name, "__") {
		// Internal topics stay local whatever a broker-wide default says:
		// the tier manager never uploads them, so their local retention must
		// not wait for it.
		lc.RemoteStorage = false
	}
	return lc
}

// Cluster is the set of topics with their logs. Its methods are safe for concurrent use.
type Cluster struct {
	opts   Options
	meta   *meta.Log
	logger *slog.Logger

	adminMu sync.Mutex // serializes admin changes; taken before mu
	mu      sync.RWMutex
	topics  map[string]*Topic
	byID    map[[16]byte]*Topic
	closed  bool

	// mirror copies the metadata log into __cluster_metadata; set by Open, before any append.
	mirror *metaMirror

	// brokerDefaults are the broker config overrides by the topic config they default, as
	// the metadata log holds them; guarded by adminMu, replaced, never written.
	brokerDefaults map[string]string

	// tier uploads segments of remote-storage topics; nil without Options.Tier.
	tier *tierManager

	pidMu   sync.Mutex // guards the producer-id block
	pidNext int64
	pidEnd  int64
}

// Open loads every topic in the metadata log, opens (and recovers) its partition logs, and
// removes partition directories that belong to no live topic.
func Open(opts Options) (*Cluster, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.DefaultPartitions <= 0 {
		opts.DefaultPartitions = 1
	}
	if opts.RetentionCheckInterval <= 0 {
		opts.RetentionCheckInterval = 10 * time.Second
	}
	if opts.CleanerInterval <= 0 {
		opts.CleanerInterval = 5 * time.Second
	}
	if opts.DataDir != "" && opts.Flusher == nil {
		return nil, errors.New("cluster: a data dir needs a flusher")
	}
	c := &Cluster{
		opts:   opts,
		logger: opts.Logger,
		topics: make(map[string]*Topic),
		byID:   make(map[[16]byte]*Topic),
	}
	if opts.Tier != nil && opts.DataDir != "" {
		c.tier = newTierManager(c, *opts.Tier)
	}
	if opts.Meta == nil {
		opts.Meta = meta.OpenMemoryOptions(meta.Options{OnAppend: c.MetadataAppended})
		c.opts.Meta = opts.Meta
	}
	c.meta = opts.Meta
	c.brokerDefaults = topicDefaults(c.meta.BrokerConfigs())
	live := make(map[string]bool)
	for _, mt := range c.meta.Topics() {
		t := &Topic{Name: mt.Name, ID: mt.ID}
		lc := t.setConfigs(maps.Clone(mt.Configs), c.brokerDefaults)
		parts, err := c.openPartitions(t, 0, mt.Partitions, lc, false)
		if err != nil {
			c.closeAll()
			return nil, err
		}
		t.parts.Store(&parts)
		c.topics[t.Name] = t
		c.byID[t.ID] = t
		live[c.topicDirName(t)] = true
	}
	if err := c.openMetadataTopic(live); err != nil {
		c.closeAll()
		return nil, err
	}
	if opts.DataDir != "" {
		if err := c.removeStrayDirs(live); err != nil {
			c.closeAll()
			return nil, err
		}
	}
	return c, nil
}

func (c *Cluster) topicDirName(t *Topic) string { return TopicDirName(t.Name, t.ID) }

// TopicDirName is the name of a topic's directory under DATA/topics: its
// name and id, so a topic created again under the same name never meets
// the old one's files. Its partitions are the subdirectories 0, 1, ...
func TopicDirName(name string, id [16]byte) string { return name + "~" + hex.EncodeToString(id[:]) }

// PartitionDir is the directory of a topic's partition in dataDir.
func PartitionDir(dataDir, name string, id [16]byte, partition int32) string {
	return filepath.Join(dataDir, "topics", TopicDirName(name, id), strconv.Itoa(int(partition)))
}

func (c *Cluster) topicsDir() string { return filepath.Join(c.opts.DataDir, "topics") }

// removeStrayDirs deletes topic directories the metadata log does not know: the leftovers of a
// delete that crashed after its metadata record was written.
func (c *Cluster) removeStrayDirs(live map[string]bool) error {
	ents, err := os.ReadDir(c.topicsDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cluster: listing topic dirs: %w", err)
	}
	for _, e := range ents {
		if live[e.Name()] {
			continue
		}
		c.logger.Warn("removing data of a deleted topic", "dir", e.Name())
		if err := os.RemoveAll(filepath.Join(c.topicsDir(), e.Name())); err != nil {
			return fmt.Errorf("cluster: removing stray topic dir %s: %w", e.Name(), err)
		}
	}
	return nil
}

// openPartitions opens partitions [from, to) of t; created says they are new, so the
// directories naming them are fsynced too.
func (c *Cluster) openPartitions(t *Topic, from, to int32, cfg log.Config, created bool) ([]*log.Partition, error) {
	parts := make([]*log.Partition, 0, to-from)
	for p := from; p < to; p++ {
		if c.opts.DataDir == "" {
			parts = append(parts, log.OpenMemory(cfg))
			continue
		}
		dir := filepath.Join(c.topicsDir(), c.topicDirName(t), strconv.Itoa(int(p)))
		lp, err := log.Open(dir, cfg, c.opts.Flusher, c.logger.With("topic", t.Name, "partition", p))
		if err != nil {
			for _, o := range parts {
				_ = o.Close()
			}
			return nil, fmt.Errorf("cluster: opening %s/%d: %w", t.Name, p, err)
		}
		parts = append(parts, lp)
	}
	if created && c.opts.DataDir != "" && to > from {
		// The partition logs fsync their own directories; the entries naming them in
		// topics/ and topics/NAME~ID/ must reach the disk too, or a power loss could
		// drop a whole topic's directory after its records were acknowledged.
		for _, d := range []string{filepath.Join(c.topicsDir(), c.topicDirName(t)), c.topicsDir(), c.opts.DataDir} {
			if err := syncDir(d); err != nil {
				for _, o := range parts {
					_ = o.Close()
				}
				return nil, fmt.Errorf("cluster: syncing %s: %w", d, err)
			}
		}
	}
	return parts, nil
}

// syncDir fsyncs a directory so the entries created in it are durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Topic returns the named topic, or nil.
func (c *Cluster) Topic(name string) *Topic {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.topics[name]
}

// TopicByID returns the topic with the given id, or nil.
func (c *Cluster) TopicByID(id [16]byte) *Topic {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byID[id]
}

// Topics returns every topic, sorted by name.
func (c *Cluster) Topics() []*Topic {
	c.mu.RLock()
	ts := make([]*Topic, 0, len(c.topics))
	for _, t := range c.topics {
		ts = append(ts, t)
	}
	c.mu.RUnlock()
	slices.SortFunc(ts, func(a, b *Topic) int { return strings.Compare(a.Name, b.Name) })
	return ts
}

// DefaultPartitions is num.partitions.
func (c *Cluster) DefaultPartitions() int32 { return c.opts.DefaultPartitions }

// Persistent reports whether partition data is kept on disk.
func (c *Cluster) Persistent() bool { return c.opts.DataDir != "" }

// DataDir is the directory holding the partition logs ("" in memory).
func (c *Cluster) DataDir() string { return c.opts.DataDir }

var topicNameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// ValidateTopicName checks a name as Kafka does: 1 to 249 of [a-zA-Z0-9._-], not "." or "..".
func ValidateTopicName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: topic name is empty", ErrInvalidTopic)
	case name == "." || name == "..":
		return fmt.Errorf("%w: topic name cannot be %q", ErrInvalidTopic, name)
	case len(name) > 249:
		return fmt.Errorf("%w: topic name is %d characters long, the limit is 249", ErrInvalidTopic, len(name))
	case !topicNameRE.MatchString(name):
		return fmt.Errorf("%w: topic name %q has characters other than ASCII alphanumerics, '.', '_' and '-'", ErrInvalidTopic, name)
	}
	return nil
}

// CreateSpec is what CreateTopic needs: Kafka's CreateTopics fields for one topic.
type CreateSpec struct {
	Name              string
	Partitions        int32 // -1: num.partitions
	ReplicationFactor int16 // -1: 1
	// Assignment, if given, lists the replicas of each partition (and so the partition count).
	Assignment [][]int32
	Configs    map[string]string
	// AutoCreated marks a topic created on first use: it gets ConfigAutoCreated=true.
	AutoCreated bool
}

// CreateTopic validates spec and, unless validateOnly, creates the topic. It returns the topic
// (a preview when validateOnly).
func (c *Cluster) CreateTopic(spec CreateSpec, validateOnly bool) (*Topic, error) {
	if err := ValidateTopicName(spec.Name); err != nil {
		return nil, err
	}
	parts := spec.Partitions
	if len(spec.Assignment) > 0 {
		if parts != -1 || spec.ReplicationFactor != -1 {
			return nil, fmt.Errorf("%w: both partitions/replication factor and a replica assignment were given", ErrInvalidReplicaAssignment)
		}
		for i, rs := range spec.Assignment {
			if len(rs) != 1 || rs[0] != BrokerID {
				return nil, fmt.Errorf("%w: partition %d lists replicas %v; the only broker is %d", ErrInvalidReplicaAssignment, i, rs, BrokerID)
			}
		}
		parts = int32(len(spec.Assignment))
	} else {
		if err := checkReplicationFactor(spec.ReplicationFactor); err != nil {
			return nil, err
		}
	}
	if parts == -1 {
		parts = c.opts.DefaultPartitions
	}
	if parts <= 0 {
		return nil, fmt.Errorf("%w: number of partitions must be larger than 0", ErrInvalidPartitions)
	}
	for k, v := range spec.Configs {
		if err := ValidateTopicConfig(k, v); err != nil {
			return nil, err
		}
	}
	if err := checkConfigCombination(spec.Configs); err != nil {
		return nil, err
	}
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	if c.isClosed() {
		return nil, ErrClosed
	}
	if c.Topic(spec.Name) != nil {
		return nil, fmt.Errorf("%w: topic '%s' already exists", ErrTopicExists, spec.Name)
	}
	t := &Topic{Name: spec.Name}
	if _, err := rand.Read(t.ID[:]); err != nil {
		return nil, fmt.Errorf("cluster: topic id: %w", err)
	}
	cfgs := maps.Clone(spec.Configs)
	if cfgs == nil {
		cfgs = map[string]string{}
	}
	if spec.AutoCreated {
		cfgs[ConfigAutoCreated] = "true"
	}
	lc := t.setConfigs(cfgs, c.brokerDefaults)
	if validateOnly {
		empty := make([]*log.Partition, parts)
		t.parts.Store(&empty)
		return t, nil
	}
	if err := c.meta.Append(meta.TopicCreated{Name: t.Name, ID: t.ID, Partitions: parts, Configs: cfgs}); err != nil {
		return nil, fmt.Errorf("cluster: recording topic %s: %w", t.Name, err)
	}
	ps, err := c.openPartitions(t, 0, parts, lc, true)
	if err != nil {
		return nil, err
	}
	t.parts.Store(&ps)
	c.mu.Lock()
	c.topics[t.Name] = t
	c.byID[t.ID] = t
	c.mu.Unlock()
	c.logger.Info("topic created", "topic", t.Name, "partitions", parts)
	return t, nil
}

func checkReplicationFactor(rf int16) error {
	if rf == -1 || rf == 1 {
		return nil
	}
	if rf <= 0 {
		return fmt.Errorf("%w: replication factor must be larger than 0, or -1 to use the default", ErrInvalidReplicationFactor)
	}
	return fmt.Errorf("%w: unable to replicate the partition %d time(s): the target replication factor of %d cannot be reached because only 1 broker(s) are registered (streamlite is a single node)", ErrInvalidReplicationFactor, rf, rf)
}

// liveTopicLocked returns the named topic for an admin change; adminMu must be held.
func (c *Cluster) liveTopicLocked(name string) (*Topic, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	t := c.Topic(name)
	if t == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownTopic, name)
	}
	if t.Name == MetadataTopic {
		return nil, ErrReadOnlyTopic
	}
	return t, nil
}

func (c *Cluster) isClosed() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.closed
}

// DeleteTopic deletes the named topic and its data.
func (c *Cluster) DeleteTopic(name string) error {
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	t, err := c.liveTopicLocked(name)
	if err != nil {
		return err
	}
	return c.deleteLocked(t)
}

// DeleteTopicByID deletes the topic with the given id.
func (c *Cluster) DeleteTopicByID(id [16]byte) (string, error) {
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	if c.isClosed() {
		return "", ErrClosed
	}
	t := c.TopicByID(id)
	if t == nil {
		return "", fmt.Errorf("%w: topic id %x", ErrUnknownTopic, id)
	}
	return t.Name, c.deleteLocked(t)
}

func (c *Cluster) deleteLocked(t *Topic) error {
	if t.Name == MetadataTopic {
		return ErrReadOnlyTopic
	}
	if err := c.meta.Append(meta.TopicDeleted{Name: t.Name, ID: t.ID}); err != nil {
		return fmt.Errorf("cluster: recording deletion of %s: %w", t.Name, err)
	}
	c.mu.Lock()
	delete(c.topics, t.Name)
	delete(c.byID, t.ID)
	c.mu.Unlock()
	var errs []error
	for _, p := range t.Partitions() {
		if err := p.Remove(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.opts.DataDir != "" {
		if err := os.RemoveAll(filepath.Join(c.topicsDir(), c.topicDirName(t))); err != nil {
			errs = append(errs, err)
		}
	}
	c.logger.Info("topic deleted", "topic", t.Name)
	if err := errors.Join(errs...); err != nil {
		// The metadata says deleted; the next Open removes what is left.
		c.logger.Warn("removing a deleted topic's files", "topic", t.Name, "err", err)
	}
	return nil
}

// CreatePartitions raises the named topic's partition count to total.
func (c *Cluster) CreatePartitions(name string, total int32, assignment [][]int32, validateOnly bool) error {
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	t, err := c.liveTopicLocked(name)
	if err != nil {
		return err
	}
	cur := int32(len(t.Partitions()))
	if total <= cur {
		return fmt.Errorf("%w: topic currently has %d partitions, which is higher than or equal to the requested %d", ErrInvalidPartitions, cur, total)
	}
	if assignment != nil {
		if int32(len(assignment)) != total-cur {
			return fmt.Errorf("%w: %d replica assignments for %d new partitions", ErrInvalidReplicaAssignment, len(assignment), total-cur)
		}
		for i, rs := range assignment {
			if len(rs) != 1 || rs[0] != BrokerID {
				return fmt.Errorf("%w: new partition %d lists replicas %v; the only broker is %d", ErrInvalidReplicaAssignment, i, rs, BrokerID)
			}
		}
	}
	if validateOnly {
		return nil
	}
	if err := c.meta.Append(meta.PartitionsAdded{Name: t.Name, ID: t.ID, Total: total}); err != nil {
		return fmt.Errorf("cluster: recording partitions of %s: %w", t.Name, err)
	}
	added, err := c.openPartitions(t, cur, total, logConfig(t.configs.Load().merged()), true)
	if err != nil {
		return err
	}
	ps := append(slices.Clip(t.Partitions()), added...)
	t.parts.Store(&ps)
	c.logger.Info("partitions added", "topic", t.Name, "partitions", total)
	return nil
}

// AlterConfigs changes the named topic's configs: with replace, the topic's set configs become
// exactly set (AlterConfigs); otherwise set and del are applied on top (IncrementalAlterConfigs).
func (c *Cluster) AlterConfigs(name string, set map[string]string, del []string, replace, validateOnly bool) error {
	for k, v := range set {
		if err := ValidateTopicConfig(k, v); err != nil {
			return err
		}
	}
	for _, k := range del {
		if _, ok := TopicConfigDef(k); !ok {
			return fmt.Errorf("%w: unknown topic config name %q", ErrInvalidConfig, k)
		}
		if k == ConfigAutoCreated {
			return ValidateTopicConfig(k, "")
		}
	}
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	t, err := c.liveTopicLocked(name)
	if err != nil {
		return err
	}
	cur := t.configs.Load().set
	next := maps.Clone(cur)
	if replace {
		next = maps.Clone(set)
		if next == nil {
			next = map[string]string{}
		}
		// The auto-created mark is the broker's, not the caller's: a full replace keeps it.
		if v, ok := cur[ConfigAutoCreated]; ok {
			next[ConfigAutoCreated] = v
		}
		del = nil
		for k := range cur {
			if _, ok := next[k]; !ok {
				del = append(del, k)
			}
		}
	} else {
		maps.Copy(next, set)
		for _, k := range del {
			delete(next, k)
		}
	}
	if err := checkConfigCombination(next); err != nil {
		return err
	}
	if validateOnly || maps.Equal(cur, next) {
		return nil
	}
	slices.Sort(del)
	if err := c.meta.Append(meta.ConfigChanged{Name: t.Name, ID: t.ID, Set: set, Delete: del}); err != nil {
		return fmt.Errorf("cluster: recording configs of %s: %w", t.Name, err)
	}
	lc := t.setConfigs(next, c.brokerDefaults)
	for _, p := range t.Partitions() {
		p.SetConfig(lc)
	}
	return nil
}

// NextProducerID hands out a fresh producer id. Ids come from blocks recorded in the metadata
// log, so an id is never handed out twice, across restarts too.
func (c *Cluster) NextProducerID() (int64, error) {
	const block = 1000
	c.pidMu.Lock()
	defer c.pidMu.Unlock()
	if c.pidNext >= c.pidEnd {
		start, err := c.meta.AllocateProducerIDs(block)
		if err != nil {
			return 0, fmt.Errorf("cluster: allocating producer ids: %w", err)
		}
		c.pidNext, c.pidEnd = start, start+block
	}
	id := c.pidNext
	c.pidNext++
	return id, nil
}

// Run enforces retention on every partition every RetentionCheckInterval, and cleans compacted
// partitions every CleanerInterval on a goroutine of its own (a long pass never delays
// retention), until ctx ends; it returns once both have stopped.
func (c *Cluster) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	if c.tier != nil {
		wg.Go(func() { c.tier.run(ctx) })
	}
	wg.Go(func() {
		t := time.NewTicker(c.opts.CleanerInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				c.Clean(now)
			}
		}
	})
	t := time.NewTicker(c.opts.RetentionCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.EnforceRetention(now)
		}
	}
}

// EnforceRetention applies retention.ms and retention.bytes to every partition once.
func (c *Cluster) EnforceRetention(now time.Time) {
	for _, t := range c.Topics() {
		for i, p := range t.Partitions() {
			n, err := p.EnforceRetention(now)
			if err != nil && !errors.Is(err, log.ErrClosed) {
				c.logger.Warn("retention", "topic", t.Name, "partition", i, "err", err)
			} else if n > 0 {
				c.logger.Info("retention removed segments", "topic", t.Name, "partition", i, "segments", n)
			}
		}
	}
}

// Clean offers every partition of a compacted topic one cleaning pass (log.Partition.Clean) and
// logs each pass that ran.
func (c *Cluster) Clean(now time.Time) {
	for _, t := range c.Topics() {
		for i, p := range t.Partitions() {
			if p == nil || !p.Compacted() {
				continue
			}
			res, err := p.Clean(now)
			switch {
			case err != nil && !errors.Is(err, log.ErrClosed):
				c.logger.Warn("log cleaner", "topic", t.Name, "partition", i, "err", err)
			case res.Cleaned:
				c.logger.Info("log cleaner cleaned", "topic", t.Name, "partition", i, "reason", res.Reason,
					"dirty_ratio", res.DirtyRatio, "clean_up_to", res.EndOffset,
					"segments_before", res.SegmentsBefore, "segments_after", res.SegmentsAfter,
					"bytes_before", res.BytesBefore, "bytes_after", res.BytesAfter,
					"records_removed", res.RecordsRemoved, "tombstones_removed", res.TombstonesRemoved,
					"took", res.Duration)
			}
		}
	}
}

// Close closes every partition log. The metadata log and flusher belong to the caller.
func (c *Cluster) Close() error {
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	return c.closeAll()
}

func (c *Cluster) closeAll() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var errs []error
	for _, t := range c.topics {
		for _, p := range t.Partitions() {
			if err := p.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
