package txn

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Run aborts timed-out transactions, retries missing markers and expires idle transactional
// ids every CheckInterval, until ctx ends or Close is called. Call it once, on a goroutine of
// its own.
func (c *Coordinator) Run(ctx context.Context) {
	if !c.enter() {
		return
	}
	defer c.ops.Done()
	tk := time.NewTicker(c.cfg.CheckInterval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.ctx.Done():
			return
		case now := <-tk.C:
			c.tick(now)
		}
	}
}

// chore is what a tick has to do for one id.
type chore int

const (
	choreNone   chore = iota
	choreFinish       // a decided transaction is missing markers
	choreAbort        // an ongoing transaction outlived its timeout
	choreExpire       // an idle id outlived transactional.id.expiration.ms
)

// choreOf says what t needs at nowMs; mu or op held.
func (c *Coordinator) choreOf(t *txn, nowMs int64) chore {
	if !t.live || t.removed {
		return choreNone
	}
	s := &t.s
	switch s.state {
	case kmsg.TransactionStatePrepareCommit, kmsg.TransactionStatePrepareAbort:
		return choreFinish
	case kmsg.TransactionStateOngoing:
		// Kafka's TransactionStateManager.timedOutTransactions: start + timeout < now.
		if s.startMs+int64(s.timeoutMs) < nowMs {
			return choreAbort
		}
	case kmsg.TransactionStateEmpty, kmsg.TransactionStateCompleteCommit, kmsg.TransactionStateCompleteAbort:
		if s.updateMs <= nowMs-c.cfg.IDExpiration.Milliseconds() {
			return choreExpire
		}
	}
	return choreNone
}

// tick does one round of chores. An id whose op lock is taken is busy with a request and is
// looked at again next tick.
func (c *Coordinator) tick(now time.Time) {
	for _, t := range c.all() {
		if c.ctx.Err() != nil {
			return
		}
		t.mu.Lock()
		ch := c.choreOf(t, now.UnixMilli())
		t.mu.Unlock()
		if ch == choreNone || !t.tryLock() {
			continue
		}
		c.doChore(t)
		t.unlock()
	}
}

// doChore does t's chore (op held), checked again now that nothing else can change t.
func (c *Coordinator) doChore(t *txn) {
	switch c.choreOf(t, time.Now().UnixMilli()) {
	case choreFinish:
		if err := c.finish(t); err != nil {
			c.logger.Warn("a decided transaction is still missing markers", "transactional_id", t.id, "err", err)
		} else {
			c.logger.Info("wrote the missing markers of a decided transaction", "transactional_id", t.id)
		}
	case choreAbort:
		c.logger.Info("aborting a transaction that outlived its timeout", "transactional_id", t.id,
			"producer_id", t.s.pid, "producer_epoch", t.s.epoch, "timeout_ms", t.s.timeoutMs)
		finishErr, err := c.fenceAbort(t)
		if err == nil {
			err = finishErr
		}
		if err != nil {
			c.logger.Warn("aborting a timed-out transaction", "transactional_id", t.id, "err", err)
		}
	case choreExpire:
		if err := c.persist(t.id, nil); err != nil {
			c.logger.Warn("expiring a transactional id", "transactional_id", t.id, "err", err)
			return
		}
		c.forget(t)
		c.logger.Info("transactional id expired", "transactional_id", t.id, "producer_id", t.s.pid)
	}
}
