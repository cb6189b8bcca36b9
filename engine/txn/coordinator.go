package txn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/group"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// StateTopic is Kafka's internal topic of transaction state.
const StateTopic = "__transaction_state"

// Defaults filled in for zero fields of Config.
const (
	// DefaultStatePartitions is transaction.state.log.num.partitions.
	DefaultStatePartitions = 50
	// DefaultMaxTimeout is transaction.max.timeout.ms.
	DefaultMaxTimeout = 15 * time.Minute
	// DefaultIDExpiration is transactional.id.expiration.ms.
	DefaultIDExpiration = 7 * 24 * time.Hour
	// DefaultCheckInterval is how often Run looks for timed-out transactions and expired ids
	// (Kafka: transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s).
	DefaultCheckInterval = time.Second
	// stateSegmentBytes is transaction.state.log.segment.bytes.
	stateSegmentBytes = "104857600"
	// maxMarkerWriters bounds the partitions one transaction writes markers to at once.
	maxMarkerWriters = 32
	// maxRecoveries bounds the in-doubt transactions New finishes at once.
	maxRecoveries = 16
)

// Config configures a Coordinator. Only Cluster is required.
type Config struct {
	// Cluster holds __transaction_state and the partitions markers go to. Required.
	Cluster *cluster.Cluster
	// Groups writes markers to __consumer_offsets and maps a group to its partition
	// (AddOffsetsToTxn). nil refuses AddOffsetsToTxn with COORDINATOR_NOT_AVAILABLE.
	Groups *group.Coordinator
	// Logger receives recovery, timeout and marker reports; nil discards.
	Logger *slog.Logger
	// MaxTimeout is transaction.max.timeout.ms: InitProducerID refuses a longer transaction
	// timeout. 0 means 15 min.
	MaxTimeout time.Duration
	// IDExpiration is transactional.id.expiration.ms: an id idle that long with no
	// transaction open is forgotten. 0 means 7 days.
	IDExpiration time.Duration
	// CheckInterval is how often Run aborts timed-out transactions, retries missing markers
	// and expires ids. 0 means 1 s.
	CheckInterval time.Duration
	// StatePartitions is transaction.state.log.num.partitions, used when __transaction_state
	// is created; 0 means 50. An existing topic keeps its own count.
	StatePartitions int32
}

// Coordinator is the transaction coordinator of the one broker. Its methods are safe for
// concurrent use.
type Coordinator struct {
	cfg    Config
	c      *cluster.Cluster
	groups *group.Coordinator
	logger *slog.Logger

	// ctx ends at Close: waits for an id's op lock and marker writes to __consumer_offsets
	// stop there.
	ctx    context.Context
	cancel context.CancelFunc

	mu struct {
		sync.RWMutex // guards txns and closed; taken after a txn's op lock, before its mu
		txns         map[string]*txn
		closed       bool
	}
	ops sync.WaitGroup // operations and Run in progress; Add only with mu held and !closed

}

// New returns a Coordinator for cfg. It replays __transaction_state (if it exists) and
// finishes the transactions a crash left between their decision and their markers before it
// returns.
func New(cfg Config) (*Coordinator, error) {
	if cfg.Cluster == nil {
		return nil, errors.New("txn: a cluster is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxTimeout <= 0 {
		cfg.MaxTimeout = DefaultMaxTimeout
	}
	if cfg.IDExpiration <= 0 {
		cfg.IDExpiration = DefaultIDExpiration
	}
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = DefaultCheckInterval
	}
	if cfg.StatePartitions <= 0 {
		cfg.StatePartitions = DefaultStatePartitions
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Coordinator{cfg: cfg, c: cfg.Cluster, groups: cfg.Groups, logger: cfg.Logger, ctx: ctx, cancel: cancel}
	c.mu.txns = make(map[string]*txn)
	if err := c.replay(); err != nil {
		cancel()
		return nil, err
	}
	c.recover()
	return c, nil
}

// replay loads every id's last state from __transaction_state.
func (c *Coordinator) replay() error {
	t := c.c.Topic(StateTopic)
	if t == nil {
		return nil
	}
	states := make(map[string]*txnState)
	for p, lp := range t.Partitions() {
		err := lp.EachBatch(func(batch []byte) {
			why := decodeBatch(batch, func(id string, value []byte) {
				if value == nil {
					delete(states, id)
					return
				}
				s, ok := stateFromValue(value)
				if !ok {
					c.logger.Warn("skipping an undecodable transaction state", "partition", p, "transactional_id", id)
					return
				}
				states[id] = &s
			})
			if why != skipNone {
				c.logger.Warn("skipping a batch in the transaction state topic", "partition", p, "why", string(why))
			}
		})
		if errors.Is(err, log.ErrCorruptBatch) {
			c.logger.Warn("transaction state replay stopped early", "partition", p, "err", err)
		} else if err != nil {
			return fmt.Errorf("txn: replaying %s/%d: %w", StateTopic, p, err)
		}
	}
	for id, s := range states {
		switch s.state {
		case kmsg.TransactionStateDead:
			continue
		case kmsg.TransactionStatePrepareEpochFence:
			// Kafka never writes it (the fence persists PrepareAbort); read as an abort.
			s.state = kmsg.TransactionStatePrepareAbort
		case kmsg.TransactionStateEmpty, kmsg.TransactionStateOngoing, kmsg.TransactionStatePrepareCommit,
			kmsg.TransactionStatePrepareAbort, kmsg.TransactionStateCompleteCommit, kmsg.TransactionStateCompleteAbort:
		default:
			c.logger.Warn("skipping a transaction in an unknown state", "transactional_id", id, "state", int8(s.state))
			continue
		}
		tx := newTxn(id)
		tx.s, tx.live = *s, true
		c.mu.txns[id] = tx
	}
	if len(states) > 0 {
		c.logger.Info("transactions replayed from the transaction state topic", "transactional_ids", len(c.mu.txns))
	}
	return nil
}

// recover writes the markers of every transaction replayed in PrepareCommit or PrepareAbort
// and completes it. One that cannot be finished now stays prepared; Run retries it.
func (c *Coordinator) recover() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxRecoveries)
	for _, t := range c.all() {
		if !t.s.preparing() {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t.lock(context.Background(), nil)
			defer t.unlock()
			commit := t.s.state == kmsg.TransactionStatePrepareCommit
			if err := c.finish(t); err != nil {
				c.logger.Warn("an in-doubt transaction is not finished yet; retrying", "transactional_id", t.id, "commit", commit, "err", err)
				return
			}
			c.logger.Info("finished an in-doubt transaction", "transactional_id", t.id, "commit", commit,
				"producer_id", t.s.pid, "producer_epoch", t.s.epoch)
		}()
	}
	wg.Wait()
}

// Close stops the coordinator: operations still waiting for an id end, marker writes to
// __consumer_offsets stop (the transaction stays prepared; the next start finishes it), and
// Close waits for the operations in progress and for Run. Call it before closing the group
// coordinator and the cluster.
func (c *Coordinator) Close() error {
	c.mu.Lock()
	c.mu.closed = true
	c.mu.Unlock()
	c.cancel()
	c.ops.Wait()
	return nil
}

// enter registers an operation; false once the coordinator is closed. Pair with c.ops.Done.
func (c *Coordinator) enter() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.mu.closed {
		return false
	}
	c.ops.Add(1)
	return true
}

// lookup returns the id's txn, or nil.
func (c *Coordinator) lookup(id string) *txn {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.mu.txns[id]
}

// acquire returns the id's txn with its op lock held; with create, a new (not yet live) one if
// there is none. It returns nil when there is no such id, or when ctx or Close ends the wait
// (then ok is false).
func (c *Coordinator) acquire(ctx context.Context, id string, create bool) (t *txn, ok bool) {
	for {
		c.mu.Lock()
		t = c.mu.txns[id]
		if t == nil && create {
			t = newTxn(id)
			c.mu.txns[id] = t
		}
		c.mu.Unlock()
		if t == nil {
			return nil, true
		}
		if !t.lock(ctx, c.ctx.Done()) {
			return nil, false
		}
		t.mu.Lock()
		removed, live := t.removed, t.live
		t.mu.Unlock()
		if !removed {
			if !live && !create {
				// Another InitProducerID is creating it and failed to: treat as unknown.
				t.unlock()
				return nil, true
			}
			return t, true
		}
		t.unlock()
	}
}

// forget removes t from the map (op held): its id expired, or its first write failed.
func (c *Coordinator) forget(t *txn) {
	c.mu.Lock()
	if c.mu.txns[t.id] == t {
		delete(c.mu.txns, t.id)
	}
	c.mu.Unlock()
	t.mu.Lock()
	t.removed = true
	t.mu.Unlock()
}

// all returns every txn, sorted by id.
func (c *Coordinator) all() []*txn {
	c.mu.RLock()
	ts := make([]*txn, 0, len(c.mu.txns))
	for _, t := range c.mu.txns {
		ts = append(ts, t)
	}
	c.mu.RUnlock()
	sort.Slice(ts, func(i, j int) bool { return ts[i].id < ts[j].id })
	return ts
}

// TransactionStateTopic returns the __transaction_state topic, creating it (compacted, with
// transaction.state.log.num.partitions partitions) if it does not exist.
func (c *Coordinator) TransactionStateTopic() (*cluster.Topic, error) {
	return c.c.EnsureTopic(cluster.CreateSpec{
		Name:              StateTopic,
		Partitions:        c.cfg.StatePartitions,
		ReplicationFactor: -1,
		Configs: map[string]string{
			"cleanup.policy": "compact",
			"segment.bytes":  stateSegmentBytes,
			// Until the log compacts, time retention must not delete live state.
			"retention.ms": "-1",
		},
	})
}

// persist writes id's state (s nil: a tombstone) to its __transaction_state partition and
// returns once it is durable.
func (c *Coordinator) persist(id string, s *txnState) error {
	t := c.c.Topic(StateTopic)
	if t == nil {
		var err error
		if t, err = c.TransactionStateTopic(); err != nil {
			return err
		}
	}
	ps := t.Partitions()
	if len(ps) == 0 {
		return fmt.Errorf("txn: %s has no partitions", StateTopic)
	}
	lp := ps[cluster.KeyPartition(id, int32(len(ps)))]
	var value []byte
	if s != nil {
		value = txnValue(s)
	}
	now := time.Now()
	res, err := lp.Append(buildBatch(txnKey(id), value, now.UnixMilli()), now)
	if err != nil {
		return fmt.Errorf("txn: writing the state of %q: %w", id, err)
	}
	if err := durable(lp, res.LastOffset); err != nil {
		return fmt.Errorf("txn: syncing the state of %q: %w", id, err)
	}
	return nil
}

// durable waits until lastOffset of lp is durable.
func durable(lp *log.Partition, lastOffset int64) error {
	done := make(chan error, 1)
	lp.Durable(lastOffset, func(err error) { done <- err })
	return <-done
}

// storeErrorCode maps a failed state write to what Kafka's coordinator answers (its
// appendTransactionToLog): the client looks the coordinator up again and retries.
func storeErrorCode(err error) int16 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, log.ErrClosed), errors.Is(err, cluster.ErrClosed):
		return kerr.NotCoordinator.Code
	default:
		return kerr.CoordinatorNotAvailable.Code
	}
}
