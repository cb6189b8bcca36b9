package tiered

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
)

// SegmentFiles is a closed segment's local files and what the log knows of
// them, as Upload takes it.
type SegmentFiles struct {
	Base         int64  // first offset the segment may hold (its name)
	Next         int64  // offset after its last batch
	Size         int64  // bytes of the .log file
	MaxTimestamp int64  // largest batch max timestamp, -1 if none
	Log          string // path of the .log file
	Index        string // path of the .index file
	TimeIndex    string // path of the .timeindex file
}

// Upload copies a closed segment to the tier: the .log, .index and
// .timeindex objects, then a manifest listing it. Only after it returns nil
// may the caller delete the local copy. Segments go in offset order:
// seg.Base must be at or above EndOffset (a gap is fine); a segment already
// in the manifest (same base) is a no-op success. The files are checked
// against seg and engine/log's formats first (ErrInvalidSegment). A
// segment whose offsets a DeleteBefore has meanwhile removed entirely is
// not listed: its objects are deleted again and only EndOffset moves.
func (r *Remote) Upload(ctx context.Context, seg SegmentFiles) error {
	r.upload.Lock()
	defer r.upload.Unlock()
	m := r.man.Load()
	if _, found := slices.BinarySearchFunc(m.Segments, seg.Base, func(s SegmentInfo, base int64) int {
		return cmp.Compare(s.Base, base)
	}); found {
		return nil
	}
	if seg.Base < m.EndOffset {
		return fmt.Errorf("tiered: %s: uploading segment %d: %w: the tier ends at %d", r.ref, seg.Base, ErrOutOfOrder, m.EndOffset)
	}
	files, info, err := openSegment(seg)
	if err != nil {
		return fmt.Errorf("tiered: %s: uploading segment %d: %w", r.ref, seg.Base, err)
	}
	defer files.close()
	keys := segmentKeys(r.prefix, seg.Base)
	sizes := [3]int64{info.Size, info.IndexSize, info.TimeIndexSize}
	for i, f := range files {
		if err := r.store.Put(ctx, keys[i], f, sizes[i]); err != nil {
			return fmt.Errorf("tiered: %s: uploading segment %d: %w", r.ref, seg.Base, err)
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	m = r.man.Load() // a DeleteBefore or retention may have moved the start meanwhile
	var nm *manifest
	listed := len(m.Segments) > 0 || m.StartOffset < seg.Next
	if listed {
		nm = m.with(append(slices.Clone(m.Segments), info), m.StartOffset, seg.Next)
	} else {
		nm = m.with(nil, m.StartOffset, seg.Next)
	}
	if err := r.publishLocked(ctx, nm); err != nil {
		return err
	}
	if !listed {
		r.pending = append(r.pending, keys[:]...)
		r.logger.Info("tiered: uploaded segment lies wholly below the start; not listed",
			"base", seg.Base, "next", seg.Next, "start", nm.StartOffset)
	}
	r.logger.Debug("tiered: uploaded segment", "base", seg.Base, "next", seg.Next, "bytes", seg.Size)
	if err := r.deletePendingLocked(ctx); err != nil {
		r.logger.Warn("tiered: deleting dropped segments' objects failed; retried at the next change", "err", err)
	}
	return nil
}

// segmentFiles are a segment's open .log, .index and .timeindex files.
type segmentFiles [3]*os.File

func (f segmentFiles) close() {
	for _, x := range f {
		if x != nil {
			x.Close()
		}
	}
}

// openSegment opens seg's files (open files outlive a concurrent local
// deletion) and checks them: the .log size and its first batch header,
// both indexes in full (as engine/log checks them on open), and the max
// timestamp against the time index's last entry.
func openSegment(seg SegmentFiles) (segmentFiles, SegmentInfo, error) {
	var files segmentFiles
	fail := func(err error) (segmentFiles, SegmentInfo, error) {
		files.close()
		return segmentFiles{}, SegmentInfo{}, err
	}
	invalid := func(format string, args ...any) (segmentFiles, SegmentInfo, error) {
		return fail(fmt.Errorf("%w: %s", ErrInvalidSegment, fmt.Sprintf(format, args...)))
	}
	maxRel := seg.Next - 1 - seg.Base
	if seg.Base < 0 || maxRel < 0 || maxRel > 1<<32-1 || seg.Size < batchHeaderSize || seg.Size > 1<<32-1 || seg.MaxTimestamp < -1 {
		return invalid("base %d, next %d, size %d, max timestamp %d", seg.Base, seg.Next, seg.Size, seg.MaxTimestamp)
	}
	var sizes [3]int64
	for i, p := range []string{seg.Log, seg.Index, seg.TimeIndex} {
		f, err := os.Open(p)
		if err != nil {
			return fail(fmt.Errorf("opening segment file: %w", err))
		}
		files[i] = f
		fi, err := f.Stat()
		if err != nil {
			return fail(fmt.Errorf("opening segment file: %w", err))
		}
		sizes[i] = fi.Size()
	}
	if sizes[0] != seg.Size {
		return invalid("%s has %d bytes, want %d", seg.Log, sizes[0], seg.Size)
	}
	var hb [batchHeaderSize]byte
	if _, err := files[0].ReadAt(hb[:], 0); err != nil {
		return fail(fmt.Errorf("reading %s: %w", seg.Log, err))
	}
	h, err := parseHeader(hb[:])
	if err != nil {
		return invalid("%s: first batch: %v", seg.Log, err)
	}
	if h.baseOffset < seg.Base || h.lastOffset >= seg.Next || h.size > seg.Size {
		return invalid("%s: first batch holds offsets %d..%d (%d bytes), segment [%d, %d) of %d bytes",
			seg.Log, h.baseOffset, h.lastOffset, h.size, seg.Base, seg.Next, seg.Size)
	}
	ix, err := readWhole(files[1], sizes[1])
	if err != nil {
		return fail(fmt.Errorf("reading %s: %w", seg.Index, err))
	}
	if err := checkOffsetIndex(ix, seg.Size, maxRel); err != nil {
		return invalid("%s: %v", seg.Index, err)
	}
	ti, err := readWhole(files[2], sizes[2])
	if err != nil {
		return fail(fmt.Errorf("reading %s: %w", seg.TimeIndex, err))
	}
	last, err := checkTimeIndex(ti, maxRel)
	if err != nil {
		return invalid("%s: %v", seg.TimeIndex, err)
	}
	if last != seg.MaxTimestamp {
		return invalid("%s ends at timestamp %d, segment max timestamp %d", seg.TimeIndex, last, seg.MaxTimestamp)
	}
	return files, SegmentInfo{
		Base: seg.Base, Next: seg.Next, Size: seg.Size, IndexSize: sizes[1], TimeIndexSize: sizes[2],
		FirstTimestamp: h.firstTimestamp, MaxTimestamp: seg.MaxTimestamp,
	}, nil
}

// readWhole reads the first n bytes of f.
func readWhole(f *os.File, n int64) ([]byte, error) {
	b := make([]byte, n)
	if m, err := f.ReadAt(b, 0); m != len(b) {
		return nil, err
	}
	return b, nil
}
