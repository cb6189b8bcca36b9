package log

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"
)

// CleanResult reports what one Clean call did.
type CleanResult struct {
	// Cleaned is true when a pass ran; false when the partition is not
	// compacted or nothing was due (Reason is then "").
	Cleaned bool
	// Reason says why the pass ran: "dirty ratio", "max compaction lag"
	// or "tombstones due".
	Reason string
	// DirtyRatio is dirty bytes over cleanable bytes when the pass was
	// planned (closed segments below the high watermark and outside
	// min.compaction.lag.ms only).
	DirtyRatio float64
	// FirstDirtyOffset is where the dirty section began (the previous
	// cleaner checkpoint, or the log start); EndOffset the new checkpoint:
	// every closed segment below it was cleaned.
	FirstDirtyOffset, EndOffset int64
	// SegmentsBefore segments were read and SegmentsAfter written in
	// their place; BytesBefore and BytesAfter are their sizes.
	SegmentsBefore, SegmentsAfter int
	BytesBefore, BytesAfter       int64
	// RecordsRead were decoded; RecordsRemoved were dropped, of which
	// TombstonesRemoved were tombstones past their delete horizon.
	RecordsRead, RecordsRemoved, TombstonesRemoved int64
	Duration                                       time.Duration
}

// Cleaner tuning, variables so tests can shrink them.
var (
	// cleanerMapBudget bounds the bytes of the key → offset map one pass
	// builds (log.cleaner.dedupe.buffer.size, 128 MiB in Kafka): past it
	// the pass cleans only up to the segment where the map filled.
	cleanerMapBudget = 128 << 20
	// cleanerWriteBuffer is how many bytes of cleaned batches are gathered
	// before one write to the new segment.
	cleanerWriteBuffer = 1 << 20
)

// mapEntryOverhead estimates a map entry's bytes besides its key.
const mapEntryOverhead = 48

// cleanerCheckpointName holds "checkpoint horizon": the offset below which
// every closed segment is clean, and the earliest delete horizon (ms) of a
// tombstone the last pass kept (0 for none), so a restart still purges
// tombstones on time.
const cleanerCheckpointName = "cleaner-offset.checkpoint"

// Suffixes of a pass's files: a group of segments is cleaned into
// BASE.log.cleaned, which becomes BASE.END.swap at the commit point and
// BASE.log at the end (see the package doc).
const (
	cleanedExt = ".log.cleaned"
	swapExt    = ".swap"
)

var (
	errCleanStopped = errors.New("log: cleaning stopped")
	errCleanRaced   = errors.New("log: segments changed during cleaning")
)

// Clean runs one pass of Kafka's log cleaner if one is due, and reports it.
// It does nothing (a zero result) unless cleanup.policy includes compact.
//
// A pass is due when the dirty closed segments (from the cleaner checkpoint
// up to the first segment not yet below the high watermark and the last
// stable offset (so every transaction in them is decided), or holding a
// record newer than min.compaction.lag.ms, or the active segment, which is
// never cleaned) are at least min.cleanable.dirty.ratio of the closed
// segments up to there; or one of them has a first batch older than
// max.compaction.lag.ms; or a kept tombstone's delete horizon has passed.
//
// The pass maps each key of the dirty section to its latest offset, then
// rewrites every closed segment up to the end of that section, in groups
// merged up to segment.bytes, keeping each key's latest record only (see
// batchFilter.filter for what survives and how offsets stay unchanged).
// Each group is written to a new file and swapped in (crash-safe: see the
// package doc); readers holding the old segments finish on them, and
// appends never wait for a pass. Finally the checkpoint is persisted.
//
// Clean must not be called concurrently with itself for one partition
// (calls are serialized). Close and Remove stop a running pass at the next
// batch; it then returns ErrClosed.
func (p *Partition) Clean(now time.Time) (CleanResult, error) {
	if !p.compacted.Load() {
		return CleanResult{}, nil
	}
	p.cl.Lock()
	defer p.cl.Unlock()
	if p.closed.Load() || p.cleanStop.Load() {
		return CleanResult{}, ErrClosed
	}
	start := time.Now()
	p.a.Lock()
	cfg := p.a.cfg
	lastBatch := make(map[int64]int64, len(p.a.producers))
	for id, ps := range p.a.producers {
		if b, ok := ps.newest(); ok {
			lastBatch[id] = b.lastOffset
		}
	}
	p.a.Unlock()

	// Below the last stable offset every transaction is decided; taken
	// before planning, it can only be lower than the one the plan sees.
	lso := p.LastStableOffset()
	aborted := make(map[int64][]abortedTxn)
	p.t.Lock()
	for _, a := range p.t.aborted {
		if a.first < lso {
			aborted[a.pid] = append(aborted[a.pid], a)
		}
	}
	p.t.Unlock()

	pl, err := p.planClean(&cfg, now, lso)
	defer pl.release()
	res := CleanResult{Reason: pl.reason, DirtyRatio: pl.ratio, FirstDirtyOffset: pl.firstDirty, EndOffset: pl.firstDirty}
	if err != nil || pl.reason == "" {
		return res, err
	}
	res.Cleaned = true
	if err := p.step("planned"); err != nil {
		return res, err
	}

	// The map of the dirty section: each key's latest offset.
	f := &batchFilter{
		keys: make(map[string]int64), nowMs: now.UnixMilli(),
		deleteRet: cfg.DeleteRetentionMs, lastBatch: lastBatch, aborted: aborted,
	}
	n, used := len(pl.segs), 0
	for j := pl.dirty; j < n; j++ {
		err := p.eachBatch(pl.segs[j], func(h *header, b []byte, crcOK bool) error {
			if !crcOK {
				return nil
			}
			added, err := f.mapKeys(b, h)
			if err != nil {
				p.logger.Warn("log: cleaner cannot decode a batch; it is kept whole and hides no other record",
					"dir", p.dir, "offset", h.baseOffset, "err", err)
			}
			used += added
			return nil
		})
		if err != nil {
			return res, err
		}
		if used > cleanerMapBudget && j+1 < n {
			n = j + 1 // the map is full: clean up to here, the rest next time
			break
		}
	}
	res.EndOffset = pl.ends[n-1]
	if err := p.step("mapped"); err != nil {
		return res, err
	}

	// Rewrite the segments below the end of the dirty section, a group at a time.
	for i := 0; i < n; {
		j := i + 1
		size := pl.segs[i].size
		for j < n && size+pl.segs[j].size <= cfg.SegmentBytes && pl.ends[j]-pl.segs[i].base-1 <= math.MaxInt32 {
			size += pl.segs[j].size
			j++
		}
		group := pl.segs[i:j]
		ns, changed, err := p.cleanGroup(group, pl.ends[j-1], f, cfg.IndexIntervalBytes)
		if err != nil {
			return res, err
		}
		res.SegmentsBefore += len(group)
		res.BytesBefore += size
		res.SegmentsAfter++
		res.BytesAfter += ns.size
		if !changed {
			p.discard(ns)
			res.BytesAfter += size - ns.size
		} else if err := p.commitGroup(group, pl.ends[j-1], ns); err != nil {
			if errors.Is(err, errCleanRaced) {
				// Retention removed some of these segments meanwhile: they
				// are gone, so are the rest's reasons to be cleaned now.
				p.logger.Info("log: cleaning pass ended early: segments were removed meanwhile", "dir", p.dir)
				return res, nil
			}
			return res, err
		}
		i = j
	}
	res.RecordsRead, res.RecordsRemoved, res.TombstonesRemoved = f.read, f.removed, f.tombstonesRemoved
	if err := p.writeCleanerCheckpoint(res.EndOffset, f.horizon); err != nil {
		return res, err
	}
	p.c.checkpoint, p.c.horizon = res.EndOffset, f.horizon
	res.Duration = time.Since(start)
	return res, p.step("done")
}

// step runs the test hook, if any, at a named step of a pass.
func (p *Partition) step(name string) error {
	if p.c.hook != nil {
		return p.c.hook(name)
	}
	return nil
}

// cleanPlan is a pass's view of the closed segments it may clean.
type cleanPlan struct {
	segs       []*segment // closed segments from the first, each with a reference
	ends       []int64    // ends[i]: base of the segment after segs[i]
	dirty      int        // index of the first dirty segment
	firstDirty int64
	ratio      float64
	reason     string
}

func (pl *cleanPlan) release() {
	for _, s := range pl.segs {
		s.release()
	}
	pl.segs = nil
}

// planClean picks the cleanable segments, measures the dirty ratio and says
// whether a pass is due.
func (p *Partition) planClean(cfg *Config, now time.Time, lso int64) (*cleanPlan, error) {
	nowMs := now.UnixMilli()
	pl := &cleanPlan{}
	p.s.RLock()
	segs := p.s.segs
	hw := min(p.hw.Load(), lso)
	pl.firstDirty = max(p.c.checkpoint, p.logStart.Load())
	lagCut := nowMs - cfg.MinCompactionLagMs
	for i := 0; i < len(segs)-1 && segs[i+1].base <= hw; i++ {
		if cfg.MinCompactionLagMs > 0 && segs[i].maxTimestamp() > lagCut {
			break
		}
		segs[i].acquire()
		pl.segs = append(pl.segs, segs[i])
		pl.ends = append(pl.ends, segs[i+1].base)
	}
	p.s.RUnlock()
	if len(pl.segs) == 0 {
		return pl, nil
	}
	// A segment is dirty if it reaches past the checkpoint; one straddling
	// it counts as dirty, which is always safe (a larger map).
	pl.dirty = len(pl.segs)
	var clean, dirty int64
	for i, s := range pl.segs {
		if pl.ends[i] > pl.firstDirty && pl.dirty == len(pl.segs) {
			pl.dirty = i
		}
		if i < pl.dirty {
			clean += s.size
		} else {
			dirty += s.size
		}
	}
	if pl.dirty < len(pl.segs) {
		pl.firstDirty = max(pl.firstDirty, pl.segs[pl.dirty].base)
	}
	if clean+dirty > 0 {
		pl.ratio = float64(dirty) / float64(clean+dirty)
	}
	switch {
	case dirty > 0 && pl.ratio >= cfg.MinCleanableDirtyRatio:
		pl.reason = "dirty ratio"
	case p.c.horizon > 0 && nowMs >= p.c.horizon:
		pl.reason = "tombstones due"
	case dirty > 0 && cfg.MaxCompactionLagMs < math.MaxInt64:
		for _, s := range pl.segs[pl.dirty:] {
			ts, err := firstBatchTimestamp(s)
			if err != nil {
				return pl, err
			}
			if ts >= 0 && nowMs-ts > cfg.MaxCompactionLagMs {
				pl.reason = "max compaction lag"
				break
			}
		}
	}
	return pl, nil
}

// firstBatchTimestamp returns the max timestamp of s's first batch, or -1.
func firstBatchTimestamp(s *segment) (int64, error) {
	if s.size < batchHeaderSize {
		return -1, nil
	}
	var hdr [batchHeaderSize]byte
	if err := readFull(s.st, hdr[:], 0); err != nil {
		return -1, err
	}
	h, ok := parseHeader(hdr[:])
	if !ok {
		return -1, fmt.Errorf("log: corrupt batch header in segment %d at 0", s.base)
	}
	return h.maxTimestamp, nil
}

// eachBatch reads the closed segment s batch by batch and calls fn with
// each whole batch (valid until fn returns) and whether its CRC matches.
// It stops with errCleanStopped once Close or Remove asks.
func (p *Partition) eachBatch(s *segment, fn func(h *header, b []byte, crcOK bool) error) error {
	r := bufio.NewReaderSize(io.NewSectionReader(s.st, 0, s.size), int(min(max(s.size, 16), 256<<10)))
	var buf []byte
	for pos := int64(0); pos < s.size; {
		if p.cleanStop.Load() {
			return errCleanStopped
		}
		buf = slices.Grow(buf[:0], batchHeaderSize)[:batchHeaderSize]
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("log: cleaner reading segment %d at %d: %w", s.base, pos, err)
		}
		h, ok := parseHeader(buf)
		if !ok || int64(h.size()) > s.size-pos {
			return fmt.Errorf("log: corrupt batch header in segment %d at %d", s.base, pos)
		}
		buf = slices.Grow(buf, h.size())[:h.size()]
		if _, err := io.ReadFull(r, buf[batchHeaderSize:]); err != nil {
			return fmt.Errorf("log: cleaner reading segment %d at %d: %w", s.base, pos, err)
		}
		if err := fn(&h, buf, crcOK(buf)); err != nil {
			return err
		}
		pos += int64(h.size())
	}
	return nil
}

// cleanGroup writes the cleaned contents of group (consecutive closed
// segments; end is the base of the segment after them) into a new sealed
// segment at the group's base: BASE.log.cleaned, fsynced, or memory. It
// reports whether anything differs from the group (more than one segment
// always does: they merge).
func (p *Partition) cleanGroup(group []*segment, end int64, f *batchFilter, interval int) (*segment, bool, error) {
	base := group[0].base
	var ns *segment
	if p.dir == "" {
		ns = newSegment(base, &memStore{}, "")
	} else {
		name := segmentPath(p.dir, base) + cleanedExt
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, false, fmt.Errorf("log: removing stale cleaned segment: %w", err)
		}
		st, err := openFileStore(name)
		if err != nil {
			return nil, false, err
		}
		ns = newSegment(base, st, segmentPath(p.dir, base))
	}
	ns.sealed = true
	changed := len(group) > 1
	var out []byte
	flush := func() error {
		if len(out) == 0 {
			return nil
		}
		err := ns.st.write(out)
		out = out[:0]
		return err
	}
	emit := func(h *header, b []byte) error {
		nh, _ := parseHeader(b)
		ns.appended(&nh, ns.size, interval)
		out = append(out, b...)
		if len(out) >= cleanerWriteBuffer {
			return flush()
		}
		return nil
	}
	for _, s := range group {
		err := p.eachBatch(s, func(h *header, b []byte, crcOK bool) error {
			if !crcOK {
				p.logger.Warn("log: cleaner found a batch with a bad CRC; it is kept as it is",
					"dir", p.dir, "segment", s.base, "offset", h.baseOffset)
				return emit(h, b)
			}
			res, err := f.filter(b, h)
			if err != nil {
				p.logger.Warn("log: cleaner cannot decode a batch; it is kept whole",
					"dir", p.dir, "offset", h.baseOffset, "err", err)
			}
			switch res {
			case rewriteBatch:
				changed = true
				return emit(h, f.out)
			case dropBatch:
				changed = true
				return nil
			default:
				return emit(h, b)
			}
		})
		if err != nil {
			p.discard(ns)
			return nil, false, err
		}
	}
	ns.next = end
	if err := flush(); err != nil {
		p.discard(ns)
		return nil, false, err
	}
	if !changed {
		return ns, false, nil
	}
	if err := ns.st.sync(); err != nil {
		p.discard(ns)
		return nil, false, err
	}
	if err := p.step("cleaned"); err != nil {
		return nil, false, err
	}
	return ns, true, nil
}

// discard drops a cleaned segment that will not be swapped in.
func (p *Partition) discard(ns *segment) {
	ns.release()
	if p.dir != "" {
		os.Remove(ns.path + cleanedExt)
	}
}

// commitGroup swaps the cleaned segment ns in for group. In order, each
// step durable before the next (a kill anywhere leaves a log Open repairs,
// see the package doc):
//
//  1. rename BASE.log.cleaned to BASE.END.swap, fsync the dir: committed;
//  2. replace the group by ns in the segment list (s held briefly; readers
//     keep the old segments until they release them);
//  3. remove the group's other files and BASE's index files, fsync the dir;
//  4. rename BASE.END.swap over BASE.log, fsync the dir;
//  5. write ns's index files (not fsynced: rebuilt on Open if torn).
//
// It holds m throughout, so retention cannot remove the group meanwhile;
// if retention already did, it returns errCleanRaced and changes nothing.
func (p *Partition) commitGroup(group []*segment, end int64, ns *segment) error {
	p.m.Lock()
	defer p.m.Unlock()
	if p.closed.Load() || p.cleanStop.Load() {
		p.discard(ns)
		return ErrClosed
	}
	p.s.RLock()
	at := slices.Index(p.s.segs, group[0])
	ok := at >= 0 && at+len(group) < len(p.s.segs)
	for k := 1; ok && k < len(group); k++ {
		ok = p.s.segs[at+k] == group[k]
	}
	p.s.RUnlock()
	if !ok {
		p.discard(ns)
		return errCleanRaced
	}
	base := group[0].base
	var swap string
	if p.dir != "" {
		cleaned := ns.path + cleanedExt
		swap = swapPath(p.dir, base, end)
		if err := os.Rename(cleaned, swap); err != nil {
			p.discard(ns)
			return fmt.Errorf("log: committing cleaned segment: %w", err)
		}
		if err := p.step("renamed-swap"); err != nil {
			return err
		}
		if err := syncDir(p.dir); err != nil {
			// Not known durable: undo, so no half-made swap outlives this.
			os.Remove(swap)
			ns.release()
			return err
		}
		if err := p.step("committed"); err != nil {
			return err
		}
	}

	p.s.Lock()
	segs := make([]*segment, 0, len(p.s.segs)-len(group)+1)
	segs = append(segs, p.s.segs[:at]...)
	segs = append(segs, ns)
	segs = append(segs, p.s.segs[at+len(group):]...)
	p.s.segs = segs
	p.s.gen++
	var oldSize int64
	for _, s := range group {
		oldSize += s.size
	}
	p.size.Add(ns.size - oldSize)
	p.s.Unlock()
	defer func() {
		for _, s := range group {
			s.release() // the list's reference; readers may still hold theirs
		}
	}()
	if err := p.step("swapped"); err != nil {
		return err
	}
	if p.dir == "" {
		return nil
	}

	var errs []error
	for _, ext := range []string{".index", ".timeindex"} {
		if err := os.Remove(group[0].path + ext); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, s := range group[1:] {
		errs = append(errs, s.removeFiles())
		if err := p.step("removed-old"); err != nil {
			return err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("log: removing cleaned-away segments (Open completes it): %w", err)
	}
	if err := syncDir(p.dir); err != nil {
		return err
	}
	if err := p.step("removed-synced"); err != nil {
		return err
	}
	if err := os.Rename(swap, ns.path+".log"); err != nil {
		return fmt.Errorf("log: installing cleaned segment (Open completes it): %w", err)
	}
	if err := syncDir(p.dir); err != nil {
		return err
	}
	if fs, ok := ns.st.(*fileStore); ok {
		fs.name = ns.path + ".log"
	}
	if err := p.step("installed"); err != nil {
		return err
	}
	if err := ns.writeIndexes(); err != nil {
		p.logger.Warn("log: index files not written; they will be rebuilt on open", "dir", p.dir, "err", err)
	}
	return nil
}
