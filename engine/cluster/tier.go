package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/tiered"
	"github.com/streamlite/streamlite/tiered/objstore"
)

// TierOptions turns on tiered storage: partitions of topics with
// remote.storage.enable=true copy their closed segments to Store, and
// local.retention.* then deletes the local copies.
type TierOptions struct {
	// Store is the object store. Required.
	Store objstore.Store
	// Cache serves remote reads; nil reads the store every time.
	Cache *tiered.Cache
	// Uploads bounds segment uploads running at once; 0 means 4.
	Uploads int
	// Interval is how often partitions are checked for segments to upload
	// and remote retention; 0 means 1 s.
	Interval time.Duration
}

// Upload retry backoff after a failure: doubling from the first, capped.
const (
	tierBackoffFirst = 200 * time.Millisecond
	tierBackoffMax   = 30 * time.Second
)

// tierKey names a partition across topic re-creation.
type tierKey struct {
	id        [16]byte
	partition int32
}

// tierPart is one partition's remote tier and upload state.
type tierPart struct {
	topic     string
	p         *log.Partition
	remote    *tiered.Remote // nil until opened
	uploading bool
	failures  int
	retryAt   time.Time
	lastErr   string
}

// tierManager uploads closed segments, applies remote retention and keeps
// each topic's description in the store. Run owns its goroutines.
type tierManager struct {
	c    *Cluster
	opts TierOptions
	sem  chan struct{}

	mu     sync.Mutex // guards parts and topics; never held across store calls
	parts  map[tierKey]*tierPart
	topics map[[16]byte]string // topic.json written, by id: the configs' fingerprint
}

func newTierManager(c *Cluster, opts TierOptions) *tierManager {
	if opts.Uploads <= 0 {
		opts.Uploads = 4
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	return &tierManager{
		c: c, opts: opts, sem: make(chan struct{}, opts.Uploads),
		parts: map[tierKey]*tierPart{}, topics: map[[16]byte]string{},
	}
}

// run checks every partition each interval until ctx ends, then waits for
// uploads in flight.
func (m *tierManager) run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(m.opts.Interval)
	defer t.Stop()
	lastRetention := time.Time{}
	for {
		now := time.Now()
		m.pass(ctx, &wg, now)
		if now.Sub(lastRetention) >= m.c.opts.RetentionCheckInterval {
			m.remoteRetention(ctx, now)
			lastRetention = now
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pass opens the remote tiers of remote-storage partitions not yet open,
// starts uploads of their closed segments, and drops tiers of deleted
// topics.
func (m *tierManager) pass(ctx context.Context, wg *sync.WaitGroup, now time.Time) {
	live := map[[16]byte]bool{}
	for _, t := range m.c.Topics() {
		live[t.ID] = true
		if !t.remoteStorage() {
			// A topic whose remote.storage.enable was turned off keeps the
			// tier it has (still readable) but uploads nothing more.
			continue
		}
		m.describeTopic(ctx, t)
		for i, p := range t.Partitions() {
			k := tierKey{t.ID, int32(i)}
			m.mu.Lock()
			tp := m.parts[k]
			if tp == nil {
				tp = &tierPart{topic: t.Name, p: p}
				m.parts[k] = tp
			}
			ready := !tp.uploading && !now.Before(tp.retryAt)
			if ready {
				tp.uploading = true
			}
			m.mu.Unlock()
			if !ready {
				continue
			}
			select {
			case m.sem <- struct{}{}:
			case <-ctx.Done():
				m.done(tp, nil)
				return
			}
			wg.Go(func() {
				defer func() { <-m.sem }()
				m.done(tp, m.upload(ctx, t, k, tp))
			})
		}
	}
	// A deleted topic's remote data goes too, as in Kafka.
	m.mu.Lock()
	gone := map[tierKey]*tierPart{}
	for k, tp := range m.parts {
		if !live[k.id] && !tp.uploading {
			delete(m.parts, k)
			gone[k] = tp
		}
	}
	for id := range m.topics {
		if !live[id] {
			delete(m.topics, id)
		}
	}
	m.mu.Unlock()
	topics := map[[16]byte]string{}
	for k, tp := range gone {
		topics[k.id] = tp.topic
		if tp.remote == nil {
			continue
		}
		if err := tp.remote.DeleteAll(ctx); err != nil {
			m.c.logger.Warn("tiered storage: deleting the remote tier of a deleted topic", "topic", tp.topic, "err", err)
		}
	}
	for id, name := range topics {
		if err := tiered.DeleteTopic(ctx, m.opts.Store, name, id); err != nil {
			m.c.logger.Warn("tiered storage: deleting a deleted topic's description", "topic", name, "err", err)
		}
	}
}

// done records the outcome of an upload pass.
func (m *tierManager) done(tp *tierPart, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tp.uploading = false
	if err == nil {
		tp.failures, tp.lastErr = 0, ""
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	tp.failures++
	backoff := min(tierBackoffFirst<<min(tp.failures-1, 16), tierBackoffMax)
	tp.retryAt = time.Now().Add(backoff)
	tp.lastErr = err.Error()
	m.c.logger.Warn("tiered storage: upload failed; the local segments stay until it succeeds",
		"topic", tp.topic, "err", err, "failures", tp.failures, "retry_in", backoff)
}

// upload opens tp's remote tier if needed and copies its closed segments
// below the last stable offset, oldest first; each segment's local copy
// may go once its Upload returned.
func (m *tierManager) upload(ctx context.Context, t *Topic, k tierKey, tp *tierPart) error {
	if tp.remote == nil {
		r, err := tiered.OpenRemote(ctx, m.opts.Store, tiered.PartitionRef{Topic: t.Name, TopicID: t.ID, Partition: k.partition}, m.opts.Cache, m.c.logger)
		if err != nil {
			return fmt.Errorf("opening the remote tier of %s/%d: %w", t.Name, k.partition, err)
		}
		m.mu.Lock()
		tp.remote = r
		m.mu.Unlock()
		tp.p.AttachRemote(r)
	}
	defer func() {
		if err := tp.p.SetRemoteRange(tp.remote.StartOffset(), tp.remote.EndOffset()); err != nil && !errors.Is(err, log.ErrClosed) {
			m.c.logger.Warn("tiered storage: recording the remote range", "topic", t.Name, "err", err)
		}
	}()
	from := max(tp.remote.EndOffset(), 0)
	limit := min(tp.p.HighWatermark(), tp.p.LastStableOffset())
	uploaded := 0
	for _, seg := range tp.p.ClosedSegments(from, limit) {
		err := tp.remote.Upload(ctx, tiered.SegmentFiles{
			Base: seg.Base, Next: seg.Next, Size: seg.Size, MaxTimestamp: seg.MaxTimestamp,
			Log: seg.Log, Index: seg.Index, TimeIndex: seg.TimeIndex,
		})
		if err != nil {
			if seg.Base < tp.p.LocalLogStartOffset() {
				continue // deleted locally meanwhile (DeleteRecords): nothing to keep
			}
			return err // names the partition and segment already
		}
		uploaded++
	}
	if uploaded > 0 {
		if _, err := tp.p.EnforceRetention(time.Now()); err != nil && !errors.Is(err, log.ErrClosed) {
			return fmt.Errorf("local retention of %s/%d: %w", t.Name, k.partition, err)
		}
	}
	return nil
}

// remoteRetention applies retention.ms and retention.bytes to the remote
// tiers, then moves each partition's log start to what is left.
func (m *tierManager) remoteRetention(ctx context.Context, now time.Time) {
	m.mu.Lock()
	parts := make([]*tierPart, 0, len(m.parts))
	for _, tp := range m.parts {
		if tp.remote != nil && !tp.uploading {
			parts = append(parts, tp)
		}
	}
	m.mu.Unlock()
	for _, tp := range parts {
		cfg := tp.p.Config()
		n, err := tp.remote.EnforceRetention(ctx, now, cfg.RetentionMs, cfg.RetentionBytes, tp.p.Size())
		if err == nil {
			err = tp.p.SetRemoteRange(tp.remote.StartOffset(), tp.remote.EndOffset())
		}
		if err != nil {
			m.c.logger.Warn("tiered storage: remote retention", "topic", tp.topic, "err", err)
			continue
		}
		if n > 0 {
			m.c.logger.Info("tiered storage: remote retention removed segments", "topic", tp.topic, "segments", n)
		}
	}
}

// describeTopic keeps topics/<topic>-<id>/topic.json current, so a bucket
// alone can rebuild the topic (streamlite restore).
func (m *tierManager) describeTopic(ctx context.Context, t *Topic) {
	cfgs := t.Configs()
	fp := fmt.Sprint(len(t.Partitions()), cfgs)
	m.mu.Lock()
	same := m.topics[t.ID] == fp
	m.mu.Unlock()
	if same {
		return
	}
	info := tiered.TopicInfo{Name: t.Name, ID: t.ID, Partitions: int32(len(t.Partitions())), Configs: maps.Clone(cfgs)}
	if err := tiered.WriteTopic(ctx, m.opts.Store, info); err != nil {
		m.c.logger.Warn("tiered storage: writing the topic description", "topic", t.Name, "err", err)
		return
	}
	m.mu.Lock()
	m.topics[t.ID] = fp
	m.mu.Unlock()
}

// TierStatus is one partition's tiered storage state.
type TierStatus struct {
	Topic       string
	Partition   int32
	LocalBytes  int64
	RemoteBytes int64
	// UploadLag is the bytes of closed segments not yet in the remote tier.
	UploadLag int64
	// RemoteStart and RemoteEnd bound the offsets the remote tier holds
	// (-1 when empty).
	RemoteStart, RemoteEnd int64
	// LastError is the last upload failure, "" after a success.
	LastError string
}

// TierStatus reports the tiered storage state of every remote-storage
// partition (nil when tiered storage is off).
func (c *Cluster) TierStatus() []TierStatus {
	if c.tier == nil {
		return nil
	}
	m := c.tier
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]TierStatus, 0, len(m.parts))
	for k, tp := range m.parts {
		st := TierStatus{Topic: tp.topic, Partition: k.partition, LocalBytes: tp.p.Size(), RemoteStart: -1, RemoteEnd: -1, LastError: tp.lastErr}
		from := int64(0)
		if tp.remote != nil {
			st.RemoteBytes = tp.remote.Bytes()
			st.RemoteStart, st.RemoteEnd = tp.remote.StartOffset(), tp.remote.EndOffset()
			from = max(st.RemoteEnd, 0)
		}
		for _, s := range tp.p.ClosedSegments(from, tp.p.HighWatermark()) {
			st.UploadLag += s.Size
		}
		out = append(out, st)
	}
	return out
}

// remoteStorage reports whether the topic is tiered: remote.storage.enable=true
// (its own or the broker-wide default), not compacted, not internal.
func (t *Topic) remoteStorage() bool {
	return !strings.HasPrefix(t.Name, "__") && remoteStorage(t.configs.Load().merged())
}
