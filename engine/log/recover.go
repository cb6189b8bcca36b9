package log

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// scanStop says why a scan ended before the end of the store.
type scanStop struct {
	reason string
	hdr    header // the offending batch's header, when it parsed
	parsed bool
}

// scanStore reads the batches in st from pos to end in order and calls fn
// with each whole batch's position and header (and, with checkCRC, its
// bytes, valid until fn returns) until fn returns false. A batch is whole
// when its header parses, its base offset is not below expect (the previous
// batch's next offset), it ends by end and, with checkCRC, its CRC matches.
// It returns the position after the last whole batch and, if that is before
// end, why.
func scanStore(st store, pos, end, expect int64, checkCRC bool, fn func(pos int64, h *header, b []byte) bool) (int64, *scanStop) {
	// Size the buffer to the range: loadIndexes scans only a segment's tail.
	r := bufio.NewReaderSize(io.NewSectionReader(st, pos, end-pos), int(min(end-pos, 256<<10)))
	var hdr [batchHeaderSize]byte
	var buf []byte
	for pos < end {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return pos, &scanStop{reason: "short header"}
		}
		h, ok := parseHeader(hdr[:])
		if !ok {
			return pos, &scanStop{reason: "bad header"}
		}
		stop := &scanStop{hdr: h, parsed: true}
		switch {
		case h.baseOffset < expect:
			stop.reason = "offset below the previous batch's end"
			return pos, stop
		case int64(h.size()) > end-pos:
			stop.reason = "batch runs past the end of the segment"
			return pos, stop
		}
		var b []byte
		if checkCRC {
			buf = slices.Grow(buf[:0], h.size())[:h.size()]
			copy(buf, hdr[:])
			if _, err := io.ReadFull(r, buf[batchHeaderSize:]); err != nil {
				stop.reason = "short batch"
				return pos, stop
			}
			if !crcOK(buf) {
				stop.reason = "crc mismatch"
				return pos, stop
			}
			b = buf
		} else if _, err := r.Discard(h.size() - batchHeaderSize); err != nil {
			stop.reason = "short batch"
			return pos, stop
		}
		if !fn(pos, &h, b) {
			return pos + int64(h.size()), nil
		}
		pos += int64(h.size())
		expect = h.lastOffset() + 1
	}
	return pos, nil
}

// recover loads the partition directory: see Open.
func (p *Partition) recover() error {
	if err := p.recoverCleaner(); err != nil {
		return err
	}
	ents, err := os.ReadDir(p.dir)
	if err != nil {
		return fmt.Errorf("log: reading partition dir: %w", err)
	}
	var bases, snaps []int64
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".tmp"):
			os.Remove(filepath.Join(p.dir, name))
		case strings.HasSuffix(name, snapshotExt):
			if off, ok := parseSnapshotName(name); ok {
				snaps = append(snaps, off)
			}
		case strings.HasSuffix(name, ".log"):
			base, err := strconv.ParseInt(strings.TrimSuffix(name, ".log"), 10, 64)
			if err != nil || base < 0 {
				continue
			}
			bases = append(bases, base)
		}
	}
	slices.Sort(bases)
	logStart, err := p.readCheckpoint()
	if err != nil {
		return err
	}
	if err := p.readCleanerCheckpoint(); err != nil {
		return err
	}
	// Segments wholly below the log start were being deleted when the
	// process stopped: finish that.
	for len(bases) > 1 && bases[1] <= logStart {
		s := &segment{path: segmentPath(p.dir, bases[0])}
		if err := s.removeFiles(); err != nil {
			return err
		}
		bases = bases[1:]
	}
	created := false
	if len(bases) == 0 {
		bases = []int64{max(logStart, 0)}
		created = true
	}
	interval := p.a.cfg.IndexIntervalBytes
	for i, base := range bases {
		seg, err := createFileSegment(p.dir, base)
		if err != nil {
			return err
		}
		p.s.segs = append(p.s.segs, seg)
		if i == len(bases)-1 {
			if err := p.recoverSegment(seg, interval); err != nil {
				return err
			}
			break
		}
		seg.sealed = true
		if p.loadIndexes(seg, bases[i+1], interval) {
			continue
		}
		p.logger.Info("log: rebuilding segment indexes", "dir", p.dir, "segment", base)
		if err := p.recoverSegment(seg, interval); err != nil {
			return err
		}
		if err := seg.writeIndexes(); err != nil {
			return err
		}
	}

	act := p.activeLocked()
	if act.rollTs < 0 {
		act.rollTs = time.Now().UnixMilli()
	}
	var size int64
	for _, s := range p.s.segs {
		size += s.size
	}
	p.size.Store(size)
	p.leo.Store(act.next)
	p.logStart.Store(min(max(logStart, p.s.segs[0].base), act.next))
	if err := p.recoverProducers(snaps); err != nil {
		return err
	}
	p.pruneAbortedLocked(p.abortedFloor())
	// What recovery found may still sit only in the page cache (a killed
	// process): make it durable before serving it as the high watermark.
	if err := act.st.sync(); err != nil {
		return err
	}
	if created {
		if err := syncDir(p.dir); err != nil {
			return err
		}
	}
	p.hw.Store(act.next)
	return nil
}

// recoverSegment scans seg with CRC checks, rebuilding its indexes, and cuts
// a torn or corrupt tail (fsynced and logged with what was lost).
func (p *Partition) recoverSegment(seg *segment, interval int) error {
	seg.ix, seg.ti, seg.size, seg.next, seg.sinceIndex = offsetIndex{}, timeIndex{}, 0, seg.base, 0
	end := seg.st.len()
	valid, stop := scanStore(seg.st, 0, end, seg.base, true, func(pos int64, h *header, _ []byte) bool {
		if seg.rollTs < 0 && h.maxTimestamp >= 0 {
			seg.rollTs = h.maxTimestamp
		}
		seg.appended(h, pos, interval)
		return true
	})
	if valid == end {
		return nil
	}
	attrs := []any{"dir", p.dir, "segment", seg.base, "position", valid,
		"bytes_cut", end - valid, "first_lost_offset", seg.next, "reason", stop.reason}
	if stop.parsed {
		attrs = append(attrs, "torn_batch_offsets", fmt.Sprintf("%d-%d", stop.hdr.baseOffset, stop.hdr.lastOffset()))
	}
	p.logger.Warn("log: truncating torn segment tail", attrs...)
	if err := seg.st.truncate(valid); err != nil {
		return err
	}
	return seg.st.sync()
}

// loadIndexes loads a closed segment's index files and reports whether they
// are consistent with the segment: well formed, inside the segment, and
// complete (the batches after the last offset index entry would not have
// earned another entry, and none raises the time index's max).
func (p *Partition) loadIndexes(seg *segment, nextBase int64, interval int) bool {
	size := seg.st.len()
	maxRel := nextBase - 1 - seg.base
	ixb, err := os.ReadFile(seg.path + ".index")
	if err != nil {
		return false
	}
	tib, err := os.ReadFile(seg.path + ".timeindex")
	if err != nil {
		return false
	}
	ix, ok := decodeOffsetIndex(ixb, size, maxRel)
	if !ok {
		return false
	}
	ti, ok := decodeTimeIndex(tib, maxRel)
	if !ok {
		return false
	}
	var start int64
	if n := len(ix.entries); n > 0 {
		start = int64(ix.entries[n-1].pos)
	}
	tmax, _, _ := ti.max()
	since, first, bad := 0, true, false
	valid, _ := scanStore(seg.st, start, size, seg.base, false, func(_ int64, h *header, _ []byte) bool {
		if (!first && since > interval) || h.maxTimestamp > tmax || h.lastOffset() >= nextBase {
			bad = true
			return false
		}
		first = false
		since += h.size()
		return true
	})
	if bad || valid != size {
		return false
	}
	seg.ix, seg.ti, seg.size, seg.next = ix, ti, size, nextBase
	return true
}

// recoverProducers rebuilds the idempotent producer state once the
// segments are recovered: it loads the newest snapshot at or below the log
// end that decodes, then reads the headers of the batches from its offset to
// the log end (every segment's if no snapshot is usable). Snapshots past the
// log end (a tail was cut) and unusable ones are deleted and logged, as are
// those below both the first segment and the loaded snapshot (their
// segments were deleted); the directory is fsynced if any went, so a stale
// snapshot cannot come back and describe offsets written anew.
func (p *Partition) recoverProducers(snaps []int64) error {
	slices.Sort(snaps)
	leo, first := p.leo.Load(), p.s.segs[0].base
	from := int64(-1)
	var kept []int64
	removed := false
	remove := func(off int64) {
		if err := os.Remove(snapshotPath(p.dir, off)); err == nil {
			removed = true
		}
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		off := snaps[i]
		if off > leo {
			p.logger.Info("log: removing producer snapshot past the log end", "dir", p.dir, "offset", off, "log_end", leo)
			remove(off)
			continue
		}
		if from < 0 {
			b, err := os.ReadFile(snapshotPath(p.dir, off))
			var m producers
			var ab []abortedTxn
			if err == nil {
				m, ab, err = decodeSnapshot(b, off)
			}
			if err != nil {
				p.logger.Warn("log: ignoring producer snapshot", "dir", p.dir, "offset", off, "err", err)
				if errors.Is(err, errBadSnapshot) {
					remove(off)
				}
				continue
			}
			p.a.producers, from = m, off
			p.t.aborted = ab
			for _, e := range ab {
				p.t.maxSpan = max(p.t.maxSpan, e.last-e.first)
			}
			for id, ps := range m {
				p.openTxnLocked(id, ps)
			}
		}
		if off < min(first, from) {
			remove(off)
			continue
		}
		kept = append(kept, off)
	}
	slices.Reverse(kept)
	p.a.snaps = kept
	start := time.Now()
	msg := "log: producer state loaded from a snapshot and the batch headers after it"
	if from < 0 {
		from = first
		msg = "log: no usable producer snapshot; producer state rebuilt from every segment's batch headers"
	}
	if scanned := p.scanProducers(from, start.UnixMilli()); scanned > 0 {
		p.logger.Info(msg, "dir", p.dir, "from_offset", from, "segments_scanned", scanned,
			"producers", len(p.a.producers), "took", time.Since(start))
	}
	if removed {
		return syncDir(p.dir)
	}
	return nil
}

// scanProducers observes every idempotent batch from offset from to the log
// end, reading only batch headers (a pread each; bodies are skipped by their
// length), and returns how many non-empty segments it read. The producers
// are stamped as seen at ts: when they last appended is not recorded in the
// log, and expiring them later than due is safe while earlier is not. A
// header that does not parse ends that segment's scan, logged; the active
// segment was CRC-checked already, and closed segments were written whole.
func (p *Partition) scanProducers(from, ts int64) int {
	segs := p.s.segs
	i := max(sort.Search(len(segs), func(i int) bool { return segs[i].base > from })-1, 0)
	var hdr [batchHeaderSize]byte
	scanned := 0
	for _, seg := range segs[i:] {
		var pos int64
		if from > seg.base {
			if from >= seg.next {
				continue
			}
			pos = seg.ix.lookup(seg.rel(from))
		}
		if pos < seg.size {
			scanned++
		}
		for pos < seg.size {
			var h header
			ok := pos+batchHeaderSize <= seg.size && readFull(seg.st, hdr[:], pos) == nil
			if ok {
				h, ok = parseHeader(hdr[:])
			}
			if !ok || int64(h.size()) > seg.size-pos {
				p.logger.Warn("log: unreadable batch header; producer state may miss batches after it",
					"dir", p.dir, "segment", seg.base, "position", pos)
				break
			}
			if h.baseOffset >= from {
				p.observeScanned(seg, pos, &h, ts)
			}
			pos += int64(h.size())
		}
	}
	return scanned
}

// observeScanned applies a batch header found by scanProducers to the
// producer and transaction state; a control batch is read whole for its
// marker. a must be held (or the partition not yet shared).
func (p *Partition) observeScanned(seg *segment, pos int64, h *header, ts int64) {
	if !h.control() {
		p.openTxnLocked(h.producerID, p.a.producers.observe(h, ts))
		return
	}
	b := make([]byte, h.size())
	if err := readFull(seg.st, b, pos); err != nil {
		p.logger.Warn("log: unreadable transaction marker; transaction state may be stale",
			"dir", p.dir, "segment", seg.base, "position", pos, "err", err)
		return
	}
	if m, ok := ParseMarker(b); ok {
		p.endTxnLocked(m, h.baseOffset, ts)
	}
}

// checkpointName holds the log start offset moved by DeleteRecordsBefore or
// retention, as decimal text.
const checkpointName = "log-start-offset.checkpoint"

// readCheckpoint returns the persisted log start offset, or 0.
func (p *Partition) readCheckpoint() (int64, error) {
	b, err := os.ReadFile(filepath.Join(p.dir, checkpointName))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("log: reading log start checkpoint: %w", err)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v < 0 {
		p.logger.Warn("log: ignoring malformed log start checkpoint", "dir", p.dir)
		return 0, nil
	}
	return v, nil
}
