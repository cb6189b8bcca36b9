package log

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// FlushPolicy says when appended bytes are fsynced and when acks=all is
// answered. Sync costs an fsync round per group of writes but survives power
// loss; Interval and None survive a process kill (the page cache holds the
// bytes) but may lose the last writes on power loss.
type FlushPolicy int

const (
	// FlushSync fsyncs before acks=all is answered, with group commit: one
	// round covers every partition written since the previous round. The
	// high watermark is the fsynced end.
	FlushSync FlushPolicy = iota
	// FlushInterval fsyncs every interval; acks=all is answered after the write.
	FlushInterval
	// FlushNone never fsyncs (the OS decides); acks=all is answered after the write.
	FlushNone
)

// maxSyncers bounds the goroutines one flush round uses to fsync partitions
// concurrently.
const maxSyncers = 8

// Flusher fsyncs dirty partitions of one data dir in rounds (group commit).
// Create one per data dir, pass it to every Open, and Close it after the
// partitions. Its goroutine runs from NewFlusher until Close.
type Flusher struct {
	policy   FlushPolicy
	interval time.Duration
	logger   *slog.Logger

	mu struct {
		sync.Mutex
		dirty  []*Partition // queued for the next round
		spare  []*Partition // the previous round's slice, reused
		closed bool
	}
	wake chan struct{} // cap 1: a round is wanted (FlushSync)
	stop chan struct{}
	done chan struct{}
}

// NewFlusher starts a flusher. interval is used only by FlushInterval
// (default 1s when <= 0).
func NewFlusher(policy FlushPolicy, interval time.Duration, logger *slog.Logger) *Flusher {
	if logger == nil {
		logger = slog.Default()
	}
	if interval <= 0 {
		interval = time.Second
	}
	f := &Flusher{
		policy: policy, interval: interval, logger: logger,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	if policy == FlushNone {
		close(f.done)
		return f
	}
	go f.run()
	return f
}

// Close runs a final round over everything dirty, stops the goroutine and
// waits for it. Partitions appended to afterwards flush inline.
func (f *Flusher) Close() error {
	f.mu.Lock()
	if f.mu.closed {
		f.mu.Unlock()
		return nil
	}
	f.mu.closed = true
	f.mu.Unlock()
	if f.policy != FlushNone {
		close(f.stop)
	}
	<-f.done
	return nil
}

func (f *Flusher) run() {
	defer close(f.done)
	var tick <-chan time.Time
	if f.policy == FlushInterval {
		t := time.NewTicker(f.interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-f.wake:
		case <-tick:
		case <-f.stop:
			f.round()
			return
		}
		f.round()
	}
}

// enqueue queues p for the next round; the caller won p.dirty's false→true
// swap. It reports false if the flusher is closed.
func (f *Flusher) enqueue(p *Partition) bool {
	f.mu.Lock()
	if f.mu.closed {
		f.mu.Unlock()
		return false
	}
	f.mu.dirty = append(f.mu.dirty, p)
	f.mu.Unlock()
	if f.policy == FlushSync {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// round syncs every queued partition, then completes their waiters. Appends
// arriving meanwhile queue for the next round.
func (f *Flusher) round() {
	f.mu.Lock()
	work := f.mu.dirty
	f.mu.dirty = f.mu.spare[:0]
	f.mu.Unlock()
	if len(work) == 0 {
		f.mu.Lock()
		f.mu.spare = work
		f.mu.Unlock()
		return
	}
	if len(work) == 1 {
		f.flushOne(work[0])
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(len(work), maxSyncers) {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= len(work) {
						return
					}
					f.flushOne(work[i])
				}
			})
		}
		wg.Wait()
	}
	clear(work)
	f.mu.Lock()
	f.mu.spare = work[:0]
	f.mu.Unlock()
}

func (f *Flusher) flushOne(p *Partition) {
	// Clear before capturing the end: an append after this point queues the
	// partition again, so nothing is left behind.
	p.dirty.Store(false)
	if p.closed.Load() {
		return
	}
	leo, err := p.syncData()
	if err != nil {
		f.logger.Error("log: fsync failed", "dir", p.dir, "err", err)
	}
	p.complete(leo, err)
}

// markDirty queues the partition on the flusher once. O(1).
func (p *Partition) markDirty() {
	if p.dirty.Load() || !p.dirty.CompareAndSwap(false, true) {
		return
	}
	if !p.fl.enqueue(p) {
		// The flusher is gone: flush here so waiters still complete.
		p.dirty.Store(false)
		leo, err := p.syncData()
		p.complete(leo, err)
	}
}

// syncData fsyncs the data written so far: sealed segments not yet synced
// and the active segment; then it publishes the producer snapshots written
// at rolls since the last round (fsync, rename) and fsyncs the directory if
// a segment file was created. It returns the log end offset it covers.
func (p *Partition) syncData() (int64, error) {
	p.s.Lock()
	if len(p.s.segs) == 0 {
		p.s.Unlock()
		return p.leo.Load(), ErrClosed
	}
	leo := p.leo.Load()
	work := make([]*segment, 0, len(p.s.unsynced)+1)
	work = append(work, p.s.unsynced...)
	clear(p.s.unsynced)
	p.s.unsynced = p.s.unsynced[:0]
	act := p.activeLocked()
	act.acquire()
	work = append(work, act)
	dirSync := p.s.needDirSync
	p.s.needDirSync = false
	var snaps []int64
	if len(p.s.pendingSnaps) > 0 {
		snaps = slices.Clone(p.s.pendingSnaps)
		p.s.pendingSnaps = p.s.pendingSnaps[:0]
	}
	p.s.Unlock()

	var err error
	for _, s := range work {
		if serr := s.st.sync(); serr != nil && err == nil {
			err = serr
		}
		s.release()
	}
	if len(snaps) > 0 && err == nil {
		p.publishPending(snaps)
	}
	if dirSync && err == nil {
		err = syncDir(p.dir)
	}
	if err != nil && (dirSync || len(snaps) > 0) {
		// Retry in the next round; snapshots not yet published stay pending.
		p.s.Lock()
		p.s.needDirSync = true
		p.s.pendingSnaps = append(p.s.pendingSnaps, snaps...)
		p.s.Unlock()
	}
	return leo, err
}

// waiter is a Durable callback waiting for offset to be synced.
type waiter struct {
	offset int64
	done   func(error)
}

// complete finishes a flush that covered offsets below leo: on success it
// advances the high watermark; either way it answers the covered waiters.
func (p *Partition) complete(leo int64, err error) {
	var ready []waiter
	p.f.Lock()
	if err == nil && leo > p.hw.Load() {
		p.hw.Store(leo)
		p.notifyLocked()
	}
	kept := p.f.waiters[:0]
	for _, w := range p.f.waiters {
		if w.offset < leo {
			ready = append(ready, w)
		} else {
			kept = append(kept, w)
		}
	}
	clear(p.f.waiters[len(kept):])
	p.f.waiters = kept
	p.f.Unlock()
	for _, w := range ready {
		w.done(err)
	}
}

// advance moves the high watermark to leo without a sync (FlushInterval,
// FlushNone, memory mode).
func (p *Partition) advance(leo int64) {
	p.f.Lock()
	if leo > p.hw.Load() {
		p.hw.Store(leo)
		p.notifyLocked()
	}
	p.f.Unlock()
}

// Durable calls done(nil) once every offset <= lastOffset is on stable
// storage per the flush policy: under FlushSync after the flusher's round
// that covers it (file fdatasync, plus the directory fsync if a segment file
// was created); under FlushInterval, FlushNone and in memory mode at once,
// inline. done(err) reports a failed fsync. done runs on the flusher
// goroutine (or inline) and must not block.
func (p *Partition) Durable(lastOffset int64, done func(error)) {
	if p.closed.Load() {
		done(ErrClosed)
		return
	}
	if p.policy != FlushSync {
		done(nil)
		return
	}
	p.f.Lock()
	if lastOffset < p.hw.Load() {
		p.f.Unlock()
		done(nil)
		return
	}
	p.f.waiters = append(p.f.waiters, waiter{offset: lastOffset, done: done})
	p.f.Unlock()
}

// watcher is one Watch registration.
type watcher struct{ ch chan<- struct{} }

// Watch arranges a non-blocking send on ch each time HighWatermark advances,
// until cancel is called.
func (p *Partition) Watch(ch chan<- struct{}) (cancel func()) {
	w := &watcher{ch: ch}
	p.f.Lock()
	p.f.watchers = append(p.f.watchers, w)
	p.f.Unlock()
	return func() {
		p.f.Lock()
		defer p.f.Unlock()
		for i, x := range p.f.watchers {
			if x == w {
				p.f.watchers = slices.Delete(p.f.watchers, i, i+1)
				return
			}
		}
	}
}

// notifyLocked wakes watchers; f must be held.
func (p *Partition) notifyLocked() {
	for _, w := range p.f.watchers {
		select {
		case w.ch <- struct{}{}:
		default:
		}
	}
}
