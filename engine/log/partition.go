package log

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Partition is one partition's log. All methods are safe for concurrent use.
//
// Lock order (take left before right, never the reverse):
//
//	cl (cleaning pass) → m (closed-segment changes) → a (append state) → s (segment list) → f (durability waiters and watchers)
//	a → t (transaction view); t is taken alone by readers and never held with s or f
//	a → Flusher.mu (Append marking the partition dirty)
//
// The flusher goroutine takes Flusher.mu alone, then s, then f, never a.
// No lock is held across a read of segment bytes; a is held across the
// write of a batch, which only other mutators wait for. Clean holds cl for
// its whole pass but m only to commit one cleaned group, and a and s only
// briefly, so appends, reads and retention never wait for a pass.
type Partition struct {
	dir    string // "" in memory mode
	logger *slog.Logger
	fl     *Flusher    // nil: no background flushing (memory mode, or Open without a flusher)
	policy FlushPolicy // fl's policy, FlushNone when fl is nil

	// cl serializes cleaning passes; Close and Remove take it (after
	// setting cleanStop) so no pass outlives the partition.
	cl sync.Mutex
	// m serializes changes to the closed segments: a cleaned group's commit
	// against EnforceRetention, DeleteRecordsBefore, Close and Remove.
	m sync.Mutex
	// c is the cleaner's state, guarded by cl (and set by recover).
	c struct {
		checkpoint int64 // first offset not known clean (cleaner-offset.checkpoint)
		horizon    int64 // earliest delete horizon of a kept tombstone (ms); 0 none
		// hook, set only by tests, runs at each step of a pass; an error
		// stops the pass there as a kill would (nothing is undone).
		hook func(step string) error
	}

	// a serializes mutators: Append, roll, retention, DeleteRecordsBefore,
	// SetConfig, Close.
	a struct {
		sync.Mutex
		cfg       Config
		producers producers
		snaps     []int64 // ascending offsets of producer snapshot files, published or pending
		snapBuf   []byte  // reused to encode snapshots
	}

	// s guards the segment list and every segment's metadata. Readers hold
	// it shared only to find positions and take segment references.
	s struct {
		sync.RWMutex
		segs         []*segment // ascending base; the last is active
		unsynced     []*segment // sealed since the last flush round, one reference each
		needDirSync  bool       // a segment file was created since the last flush round
		pendingSnaps []int64    // snapshots written at rolls, published by the next flush round
		// gen counts replacements of closed segments by the cleaner, so a
		// reader walking segment to segment notices the list changed
		// under it and looks its offset up again.
		gen uint64
	}

	// t guards the transaction view readers use (LastStableOffset,
	// AbortedTxns); changed with a held too.
	t struct {
		sync.Mutex
		txnState
	}

	// f guards what the flusher completes.
	f struct {
		sync.Mutex
		waiters  []waiter
		watchers []*watcher
	}

	leo      atomic.Int64 // log end offset; stored with s held
	hw       atomic.Int64 // high watermark; stored with f held
	logStart atomic.Int64 // stored with a and s held
	// remote is the attached remote tier (tiered storage), nil if none;
	// remoteRange the offsets it held at its last recorded change.
	remote      atomic.Pointer[remoteRef]
	remoteRange atomic.Pointer[remoteRange]
	size        atomic.Int64 // bytes of all segments; stored with s held
	closed      atomic.Bool
	dirty       atomic.Bool // queued on the flusher

	compacted atomic.Bool // the policy includes compaction; mirrors a.cfg
	cleanStop atomic.Bool // set by Close and Remove: a running pass stops at the next batch
}

// AppendResult describes where Append put a batch.
type AppendResult struct {
	BaseOffset, LastOffset int64
	LogAppendTime          int64 // -1 unless Config.LogAppendTime
	LogStartOffset         int64
	Duplicate              bool // an idempotent retry of a batch already in the log: nothing was written; offsets are the original ones
}

func newPartition(dir string, cfg Config, fl *Flusher, logger *slog.Logger) *Partition {
	if logger == nil {
		logger = slog.Default()
	}
	p := &Partition{dir: dir, logger: logger, fl: fl, policy: FlushNone}
	if fl != nil {
		p.policy = fl.policy
	}
	p.a.cfg = cfg.withDefaults()
	p.compacted.Store(p.a.cfg.compact())
	p.a.producers = make(producers)
	p.t.ongoing = make(map[int64]int64)
	return p
}

// Open opens the partition log in dir, creating dir if needed, and recovers
// it: the active segment is scanned and a torn tail cut (and logged), closed
// segments' indexes are loaded or rebuilt, producer state is loaded from the
// newest valid producer snapshot and brought up to date from the batch
// headers after it (from every segment's if there is none). f may be nil,
// meaning never fsync (as FlushNone).
func Open(dir string, cfg Config, f *Flusher, logger *slog.Logger) (*Partition, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("log: creating partition dir: %w", err)
	}
	p := newPartition(dir, cfg, f, logger)
	// The remote range first: recovery keeps the aborted transactions the
	// remote tier's offsets still need.
	if rerr := p.loadRemoteRange(); rerr != nil {
		// Only a hint: the tier's manifest is the truth once attached.
		p.logger.Warn("log: ignoring the recorded remote tier range", "dir", dir, "err", rerr)
	}
	if err := p.recover(); err != nil {
		for _, s := range p.s.segs {
			s.release()
		}
		return nil, err
	}
	return p, nil
}

// OpenMemory returns a partition that keeps its segments in memory (the
// --memory mode). It behaves as a file log under FlushNone; Append copies the
// batch, so the caller may reuse its buffer.
func OpenMemory(cfg Config) *Partition {
	p := newPartition("", cfg, nil, slog.Default())
	p.s.segs = []*segment{newSegment(0, &memStore{}, "")}
	return p
}

// newSegmentLocked creates the store for a segment starting at base.
func (p *Partition) newSegment(base int64) (*segment, error) {
	if p.dir == "" {
		return newSegment(base, &memStore{}, ""), nil
	}
	return createFileSegment(p.dir, base)
}

// activeLocked returns the active segment; s must be held.
func (p *Partition) activeLocked() *segment { return p.s.segs[len(p.s.segs)-1] }

// Append writes one validated batch (the caller already checked size, magic
// and CRC). It assigns offsets, writing the base offset into batch[0:8] in
// place, rolls the segment first if segment.bytes, segment.ms or the
// relative-offset range say so, writes the batch (no fsync), updates the
// indexes and marks the partition dirty for the flusher. Concurrent Appends
// are serialized.
//
// Idempotence: for producerId >= 0 the partition remembers the producer's
// epoch and last 5 batches. A batch equal to one of them is a Duplicate (the
// original offsets are returned and nothing is written); an older epoch is
// ErrInvalidProducerEpoch; in the same epoch baseSequence must be the last
// sequence + 1 (wrapping at MaxInt32), and a newer epoch must start at 0,
// else ErrOutOfOrderSequence. An unknown producer may start anywhere; a
// producer idle for Config.ProducerIDExpirationMs (by now) is forgotten when
// the next producer snapshot is written. The state survives restarts: see
// the package doc.
//
// Transactions: a batch with the transactional attribute opens the
// producer's transaction in this partition if none is open (holding back
// LastStableOffset) until AppendMarker ends it. A transactional batch with
// baseSequence -1 (the group coordinator's offsets) is checked for fencing
// only. Control batches are refused (ErrCorruptBatch): only AppendMarker
// writes them.
func (p *Partition) Append(batch []byte, now time.Time) (AppendResult, error) {
	h, ok := parseHeader(batch)
	if !ok || h.size() != len(batch) || h.control() {
		return AppendResult{}, ErrCorruptBatch
	}
	p.a.Lock()
	defer p.a.Unlock()
	if p.closed.Load() {
		return AppendResult{}, ErrClosed
	}
	var ps *producerState
	if tracked(&h) {
		ps = p.a.producers[h.producerID]
	}
	if ps != nil {
		if h.baseSequence < 0 {
			// A coordinator-written transactional batch: fencing only.
			if h.producerEpoch < ps.epoch {
				return AppendResult{}, ErrInvalidProducerEpoch
			}
		} else {
			dup, isDup, err := ps.check(&h)
			if err != nil {
				return AppendResult{}, err
			}
			if isDup {
				return AppendResult{
					BaseOffset: dup.baseOffset, LastOffset: dup.lastOffset,
					LogAppendTime: -1, LogStartOffset: p.logStart.Load(), Duplicate: true,
				}, nil
			}
		}
	}
	res, err := p.appendLocked(batch, &h, now)
	if err != nil {
		return res, err
	}
	if tracked(&h) {
		p.openTxnLocked(h.producerID, p.a.producers.observe(&h, now.UnixMilli()))
	}
	p.publishLocked(res.LastOffset)
	return res, nil
}

// appendLocked assigns h's batch its offsets (stamping batch in place),
// rolls first if the active segment is full or old, and writes it. The
// caller updates producer state, then calls publishLocked. a must be held.
func (p *Partition) appendLocked(batch []byte, h *header, now time.Time) (AppendResult, error) {
	cfg := &p.a.cfg
	nowMs := now.UnixMilli()
	base := p.leo.Load()
	last := base + int64(h.lastOffsetDelta)
	// The cleaner replaces closed segments without a, so the list is read
	// under s; the active segment itself changes only with a held.
	p.s.RLock()
	seg := p.s.segs[len(p.s.segs)-1]
	p.s.RUnlock()
	if seg.size > 0 && (seg.size+int64(len(batch)) > cfg.SegmentBytes ||
		nowMs-seg.rollTs >= cfg.SegmentMs || !seg.fits(last)) {
		var err error
		if seg, err = p.rollLocked(base, nowMs); err != nil {
			return AppendResult{}, err
		}
	}

	stampBatch(batch, base)
	h.baseOffset = base
	res := AppendResult{BaseOffset: base, LastOffset: last, LogAppendTime: -1}
	if cfg.LogAppendTime {
		stampLogAppendTime(batch, nowMs)
		h.firstTimestamp, h.maxTimestamp = nowMs, nowMs
		h.attributes |= attrLogAppendTime
		res.LogAppendTime = nowMs
	}

	pos := seg.size
	if err := seg.st.write(batch); err != nil {
		// Cut whatever part reached the store so the next batch starts clean.
		if terr := seg.st.truncate(pos); terr != nil {
			p.logger.Error("log: cannot undo partial write", "dir", p.dir, "err", terr)
		}
		return AppendResult{}, err
	}

	p.s.Lock()
	if seg.rollTs < 0 {
		seg.rollTs = nowMs
	}
	seg.appended(h, pos, cfg.IndexIntervalBytes)
	p.leo.Store(last + 1)
	p.size.Add(int64(len(batch)))
	p.s.Unlock()
	res.LogStartOffset = p.logStart.Load()
	return res, nil
}

// publishLocked hands a written batch ending at last to the flush policy:
// queued for the flusher, or visible at once. a must be held.
func (p *Partition) publishLocked(last int64) {
	switch p.policy {
	case FlushSync:
		p.markDirty()
	case FlushInterval:
		p.markDirty()
		p.advance(last + 1)
	default:
		p.advance(last + 1)
	}
}

// rollLocked seals the active segment, starts a new one at base and writes
// the producer snapshot at base (expiring producers idle at nowMs). a must
// be held.
func (p *Partition) rollLocked(base, nowMs int64) (*segment, error) {
	p.s.RLock()
	old := p.s.segs[len(p.s.segs)-1]
	p.s.RUnlock()
	if old.base == base && old.size == 0 {
		return old, nil
	}
	ns, err := p.newSegment(base)
	if err != nil {
		return nil, err
	}
	if err := old.writeIndexes(); err != nil {
		p.logger.Warn("log: index files not written; they will be rebuilt on open", "dir", p.dir, "err", err)
	}
	p.s.Lock()
	old.sealed = true
	if p.dir != "" && p.policy != FlushNone {
		old.acquire()
		p.s.unsynced = append(p.s.unsynced, old)
		p.s.needDirSync = true
	}
	p.s.segs = append(p.s.segs, ns)
	p.s.Unlock()
	if p.dir != "" {
		p.snapshotLocked(base, nowMs, false)
	}
	return ns, nil
}

// HighWatermark is the exclusive end a consumer may read: under FlushSync the
// fsynced end, advanced by the flusher; otherwise the log end.
func (p *Partition) HighWatermark() int64 { return p.hw.Load() }

// LogEndOffset is the offset the next appended record will get.
func (p *Partition) LogEndOffset() int64 { return p.leo.Load() }

// LogStartOffset is the first offset still readable: the local log start,
// or the remote tier's start when an attached tier holds older offsets.
func (p *Partition) LogStartOffset() int64 {
	ls := p.logStart.Load()
	if rs, _, _, ok := p.remoteBounds(); ok && rs < ls {
		return rs
	}
	return ls
}

// Size is the number of bytes of all segments.
func (p *Partition) Size() int64 { return p.size.Load() }

// Config returns the partition's settings, with defaults filled in.
func (p *Partition) Config() Config {
	p.a.Lock()
	defer p.a.Unlock()
	return p.a.cfg
}

// SetConfig replaces the partition's settings; they apply from the next
// Append, EnforceRetention or Clean.
func (p *Partition) SetConfig(cfg Config) {
	p.a.Lock()
	p.a.cfg = cfg.withDefaults()
	p.compacted.Store(p.a.cfg.compact())
	p.a.Unlock()
}

// Compacted reports whether cleanup.policy includes compact. Kafka refuses
// a record without a key on such a topic at produce time (INVALID_RECORD,
// "Compacted topic cannot accept message without key"); the wire layer
// checks that, since the log never decodes records on the produce path.
// Safe to call from any goroutine; no lock.
func (p *Partition) Compacted() bool { return p.compacted.Load() }

// Close syncs every written byte, writes the active segment's index files
// and the producer snapshot at the log end (fsynced, so the next Open reads
// no batch headers for producer state) and closes the files. Durable
// callbacks still pending complete. Every later call returns ErrClosed.
func (p *Partition) Close() error {
	p.cleanStop.Store(true)
	p.cl.Lock()
	defer p.cl.Unlock()
	p.m.Lock()
	defer p.m.Unlock()
	p.a.Lock()
	defer p.a.Unlock()
	if p.closed.Swap(true) {
		return ErrClosed
	}
	return p.closeLocked(true)
}

// closeLocked syncs, writes the index files and, if snapshot, the producer
// snapshot at the log end, then releases every segment. a must be held.
func (p *Partition) closeLocked(snapshot bool) error {
	var errs []error
	if p.dir != "" {
		leo, err := p.syncData()
		errs = append(errs, err)
		p.complete(leo, err)
		errs = append(errs, p.activeLocked().writeIndexes())
		// A snapshot at the log end may exist already: an empty active segment.
		if n := len(p.a.snaps); snapshot && err == nil && (n == 0 || p.a.snaps[n-1] != leo) {
			p.snapshotLocked(leo, time.Now().UnixMilli(), true)
		}
	} else {
		p.complete(p.leo.Load(), nil)
	}
	p.s.Lock()
	segs, unsynced := p.s.segs, p.s.unsynced
	p.s.segs, p.s.unsynced = nil, nil
	p.s.Unlock()
	for _, s := range unsynced {
		errs = append(errs, s.release())
	}
	for _, s := range segs {
		errs = append(errs, s.release())
	}
	p.f.Lock()
	ws := p.f.waiters
	p.f.waiters = nil
	p.f.Unlock()
	for _, w := range ws {
		w.done(ErrClosed)
	}
	return errors.Join(errs...)
}

// Remove closes the partition and deletes its directory.
func (p *Partition) Remove() error {
	p.cleanStop.Store(true)
	p.cl.Lock()
	defer p.cl.Unlock()
	p.m.Lock()
	defer p.m.Unlock()
	p.a.Lock()
	defer p.a.Unlock()
	if p.closed.Swap(true) {
		return ErrClosed
	}
	err := p.closeLocked(false)
	if p.dir != "" {
		if rerr := os.RemoveAll(p.dir); rerr != nil {
			return errors.Join(err, fmt.Errorf("log: removing partition dir: %w", rerr))
		}
	}
	return err
}
