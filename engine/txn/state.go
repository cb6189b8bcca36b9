package txn

import (
	"context"
	"maps"
	"math"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// txnState is what __transaction_state records of one transactional id: Kafka's
// TransactionMetadata as TxnMetadataValue v0 stores it.
type txnState struct {
	pid       int64
	epoch     int16
	timeoutMs int32
	state     kmsg.TransactionState
	parts     map[topicPartition]struct{} // the transaction's partitions; empty unless Ongoing or Prepare*
	startMs   int64                       // when the transaction became Ongoing; -1 before the first
	updateMs  int64                       // last change, for transactional.id.expiration.ms
}

// clone returns a deep copy, the base of the next state a transition persists.
func (s *txnState) clone() txnState {
	c := *s
	c.parts = maps.Clone(s.parts)
	if c.parts == nil {
		c.parts = make(map[topicPartition]struct{})
	}
	return c
}

// sortedParts returns the partitions sorted by topic and partition.
func (s *txnState) sortedParts() []topicPartition {
	out := make([]topicPartition, 0, len(s.parts))
	for tp := range s.parts {
		out = append(out, tp)
	}
	sortTopicPartitions(out)
	return out
}

// preparing reports whether the state is a decided outcome whose markers may still be missing.
func (s *txnState) preparing() bool {
	return s.state == kmsg.TransactionStatePrepareCommit || s.state == kmsg.TransactionStatePrepareAbort
}

// epochExhausted is Kafka's TransactionMetadata.isEpochExhausted: an epoch of MaxInt16-1 or more
// is never handed to a client, so the coordinator can always fence with one more.
func epochExhausted(epoch int16) bool { return epoch >= math.MaxInt16-1 }

// txn is one transactional id.
//
// Locks: op serializes the operations on the id (InitProducerID, AddPartitionsToTxn,
// AddOffsetsToTxn, EndTxn, a timeout abort, expiry) and is held across their writes to
// __transaction_state and to the partitions (markers). mu guards the fields below it and is
// never held across I/O. A field of s is written with both held, so an operation holding op
// may read s without mu; BeginWrite, DescribeTransactions and ListTransactions read it under
// mu alone and so never wait behind an operation's I/O. Order: op, then Coordinator.mu, then mu.
type txn struct {
	id string
	op chan struct{} // cap 1: holding a value is holding the op lock (so waits can be cancelled)

	mu      sync.Mutex
	drained *sync.Cond // on mu; broadcast when writers drops to 0
	// live is set once the id's first state is durable; until then (the first InitProducerID
	// is writing it) the id is unknown to everyone else.
	live    bool
	removed bool // expired (or its first write failed): look the id up again
	s       txnState
	// lastPID and lastEpoch are the producer id and epoch the last InitProducerID with the
	// caller's own id and epoch (KIP-360) replaced, so a retry of it is answered the same; -1
	// after any other transition. Kafka keeps them in memory as well under TV1 (value v0 has
	// no field for them), so a retry that spans a restart is fenced, as on a Kafka failover.
	lastPID   int64
	lastEpoch int16
	// writers counts BeginWrite holders: transactional appends in flight. EndTxn and aborts
	// wait for it to drop to 0 after the state left Ongoing, before writing markers.
	writers int
}

func newTxn(id string) *txn {
	t := &txn{id: id, op: make(chan struct{}, 1), lastPID: -1, lastEpoch: -1}
	t.drained = sync.NewCond(&t.mu)
	return t
}

// lock takes the op lock, or gives up when ctx or stop ends first.
func (t *txn) lock(ctx context.Context, stop <-chan struct{}) bool {
	select {
	case t.op <- struct{}{}:
		return true
	case <-ctx.Done():
	case <-stop:
	}
	return false
}

// tryLock takes the op lock if it is free.
func (t *txn) tryLock() bool {
	select {
	case t.op <- struct{}{}:
		return true
	default:
		return false
	}
}

func (t *txn) unlock() { <-t.op }

// set makes next the current state (op held). It is called only once next is durable.
func (t *txn) set(next txnState) {
	t.mu.Lock()
	t.s = next
	t.live = true
	t.mu.Unlock()
}

// waitWriters waits until no BeginWrite holder is left (op held, state no longer Ongoing, so
// no new one can start).
func (t *txn) waitWriters() {
	t.mu.Lock()
	for t.writers > 0 {
		t.drained.Wait()
	}
	t.mu.Unlock()
}

// donePart drops a partition whose marker is durable from the in-memory list (op held), so a
// retry writes only the markers still missing, as Kafka's marker manager does.
func (t *txn) donePart(tp topicPartition) {
	t.mu.Lock()
	delete(t.s.parts, tp)
	t.mu.Unlock()
}
