package txn

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/streamlite/streamlite/engine/group"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// errNoGroups is a marker for __consumer_offsets with no group coordinator to write it.
var errNoGroups = errors.New("txn: no group coordinator to write __consumer_offsets markers")

// prepare persists the decision of t's ongoing transaction (op held, state Ongoing):
// PrepareCommit or PrepareAbort, at epoch (the current one, or one more when the coordinator
// aborts to fence). Nothing changes in memory unless the decision is durable.
func (c *Coordinator) prepare(t *txn, commit bool, epoch int16) error {
	next := t.s.clone()
	next.state = kmsg.TransactionStatePrepareAbort
	if commit {
		next.state = kmsg.TransactionStatePrepareCommit
	}
	next.epoch = epoch
	next.updateMs = time.Now().UnixMilli()
	if err := c.persist(t.id, &next); err != nil {
		return err
	}
	t.set(next)
	return nil
}

// fenceAbort aborts t's ongoing transaction with the epoch bumped, so the producer holding the
// old epoch is fenced in the coordinator and in every partition of the transaction (Kafka's
// prepareFenceProducerEpoch): the transaction timeout and an InitProducerID that finds a
// transaction open use it. op held, state Ongoing. The prepared abort is durable when it
// returns nil; finishErr reports markers not yet written.
func (c *Coordinator) fenceAbort(t *txn) (finishErr, err error) {
	epoch := t.s.epoch
	if epoch < math.MaxInt16 {
		epoch++
	}
	if err := c.prepare(t, false, epoch); err != nil {
		return nil, err
	}
	// The fenced producer's KIP-360 retry must not pass as a retry of an earlier bump.
	t.mu.Lock()
	t.lastPID, t.lastEpoch = -1, -1
	t.mu.Unlock()
	return c.finish(t), nil
}

// finish writes the markers of t's prepared transaction (op held, state PrepareCommit or
// PrepareAbort) to every partition still missing one, then persists CompleteCommit or
// CompleteAbort. It waits first for the appends admitted by BeginWrite before the decision,
// so no batch of the transaction lands after its marker. On error the transaction stays
// prepared with the partitions still to do; calling finish again resumes.
func (c *Coordinator) finish(t *txn) error {
	t.waitWriters()
	m := log.Marker{
		ProducerID:    t.s.pid,
		ProducerEpoch: t.s.epoch,
		Commit:        t.s.state == kmsg.TransactionStatePrepareCommit,
	}
	t.mu.Lock()
	parts := t.s.sortedParts()
	t.mu.Unlock()

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	sem := make(chan struct{}, maxMarkerWriters)
	for _, tp := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := c.writeMarker(tp, m); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s/%d: %w", tp.topic, tp.partition, err))
				mu.Unlock()
				return
			}
			t.donePart(tp)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("txn: writing markers of %q: %w", t.id, err)
	}

	next := t.s.clone()
	next.state = kmsg.TransactionStateCompleteAbort
	if m.Commit {
		next.state = kmsg.TransactionStateCompleteCommit
	}
	clear(next.parts)
	next.updateMs = time.Now().UnixMilli()
	if err := c.persist(t.id, &next); err != nil {
		return err
	}
	t.set(next)
	return nil
}

// writeMarker writes m to one partition and waits until it is durable. A partition whose topic
// no longer exists (deleted meanwhile) has nowhere to take it and counts as done, as in Kafka.
func (c *Coordinator) writeMarker(tp topicPartition, m log.Marker) error {
	var err error
	if tp.topic == group.OffsetsTopic {
		if c.groups == nil {
			return errNoGroups
		}
		err = c.groups.WriteTxnMarker(c.ctx, tp.partition, m)
	} else {
		topic := c.c.Topic(tp.topic)
		if topic == nil {
			return nil
		}
		lp := topic.Partition(tp.partition)
		if lp == nil {
			return nil
		}
		var res log.AppendResult
		if res, err = lp.AppendMarker(m, time.Now()); err == nil {
			err = durable(lp, res.LastOffset)
		}
		if err != nil && c.c.Topic(tp.topic) != topic {
			return nil // deleted (and maybe re-created) while we wrote
		}
	}
	if errors.Is(err, log.ErrInvalidProducerEpoch) {
		// The partition knows a newer epoch of this producer id: a later transaction already
		// superseded this one here. Kafka's marker writer gives up on such a partition too.
		c.logger.Warn("a transaction marker is older than the partition's producer epoch; skipped",
			"topic", tp.topic, "partition", tp.partition, "producer_id", m.ProducerID, "producer_epoch", m.ProducerEpoch)
		return nil
	}
	return err
}
