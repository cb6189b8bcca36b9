package tiered

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/streamlite/streamlite/tiered/objstore"
)

// Read appends to buf whole batches from the one containing offset (or
// the first batch after it: offsets may have gaps), all from the one
// segment holding that batch, stopping before the batch that would take
// the appended size past maxBytes; if minOne is set and nothing fits, the
// first batch is appended whole anyway (KIP-74). The batches are the
// uploaded bytes as they are. The segment's .index (through the cache)
// finds where to start. An offset outside [StartOffset, EndOffset), or
// whose segment a concurrent deletion removed, is an error wrapping
// ErrOffsetOutOfRange; on any error buf is returned unchanged.
func (r *Remote) Read(ctx context.Context, offset int64, maxBytes int, minOne bool, buf []byte) ([]byte, error) {
	m := r.man.Load()
	if len(m.Segments) == 0 || offset < m.StartOffset || offset >= m.EndOffset {
		return buf, r.outOfRange(m, offset)
	}
	s := m.Segments[m.find(offset)] // offset < EndOffset: found
	out, err := r.readSegment(ctx, s, max(offset, s.Base), maxBytes, minOne, buf)
	if err != nil {
		return buf, r.readErr(err, s, offset)
	}
	return out, nil
}

func (r *Remote) readSegment(ctx context.Context, s SegmentInfo, offset int64, maxBytes int, minOne bool, buf []byte) ([]byte, error) {
	key := segmentKey(r.prefix, s.Base, extLog)
	pos, h, err := r.locate(ctx, s, offset)
	if err != nil {
		return nil, err
	}
	start := len(buf)
	want := min(s.Size-pos, int64(max(maxBytes, 0)))
	var n int64
	if want >= h.size {
		buf = slices.Grow(buf, int(want))[:start+int(want)]
		if err := r.readAt(ctx, key, s.Size, buf[start:], pos, true); err != nil {
			return nil, err
		}
		for n+batchHeaderSize <= want {
			b := buf[start+int(n):]
			length := int64(int32(binary.BigEndian.Uint32(b[offBatchLength:])))
			if length < batchHeaderSize-logOverhead {
				return nil, fmt.Errorf("%w: segment %s: batch length %d at %d", ErrCorrupt, key, length, pos+n)
			}
			if n+length+logOverhead > want {
				break
			}
			n += length + logOverhead
		}
	}
	if n == 0 && minOne {
		n = h.size
		buf = slices.Grow(buf[:start], int(n))[:start+int(n)]
		if err := r.readAt(ctx, key, s.Size, buf[start:], pos, true); err != nil {
			return nil, err
		}
	}
	return buf[:start+int(n)], nil
}

// locate finds, in segment s, the batch holding offset or the first one
// after it: the .index names the last indexed batch ending at or before
// offset, and headers are read from there.
func (r *Remote) locate(ctx context.Context, s SegmentInfo, offset int64) (int64, header, error) {
	pos, err := r.indexLookup(ctx, s, offset-s.Base)
	if err != nil {
		return 0, header{}, err
	}
	key := segmentKey(r.prefix, s.Base, extLog)
	var hb [batchHeaderSize]byte
	for pos+batchHeaderSize <= s.Size {
		if err := r.readAt(ctx, key, s.Size, hb[:], pos, false); err != nil {
			return 0, header{}, err
		}
		h, err := parseHeader(hb[:])
		if err != nil {
			return 0, header{}, fmt.Errorf("%w: segment %s at %d: %v", ErrCorrupt, key, pos, err)
		}
		if pos+h.size > s.Size {
			return 0, header{}, fmt.Errorf("%w: segment %s: batch at %d of %d bytes passes the end (%d)", ErrCorrupt, key, pos, h.size, s.Size)
		}
		if h.lastOffset >= offset {
			return pos, h, nil
		}
		pos += h.size
	}
	return 0, header{}, fmt.Errorf("%w: segment %s [%d, %d) has no batch at or after %d", ErrCorrupt, key, s.Base, s.Next, offset)
}

// indexLookup returns the position of the last indexed batch whose last
// offset is at or below rel (0 if none), by a binary search over the
// .index object read entry by entry.
func (r *Remote) indexLookup(ctx context.Context, s SegmentInfo, rel int64) (int64, error) {
	key := segmentKey(r.prefix, s.Base, extIndex)
	var e [indexEntrySize]byte
	var err error
	i := sort.Search(int(s.IndexSize/indexEntrySize), func(i int) bool {
		if err != nil {
			return true
		}
		if err = r.readAt(ctx, key, s.IndexSize, e[:], int64(i)*indexEntrySize, false); err != nil {
			return true
		}
		return int64(decodeIndexEntry(e[:]).rel) > rel
	})
	if err != nil || i == 0 {
		return 0, err
	}
	if err := r.readAt(ctx, key, s.IndexSize, e[:], int64(i-1)*indexEntrySize, false); err != nil {
		return 0, err
	}
	pos := int64(decodeIndexEntry(e[:]).pos)
	if pos >= s.Size {
		return 0, fmt.Errorf("%w: index %s points at %d, past the segment's %d bytes", ErrCorrupt, key, pos, s.Size)
	}
	return pos, nil
}

// OffsetForTimestamp is ListOffsets by time over the tier: the first
// offset (at or above StartOffset) of the first batch whose max timestamp
// is >= ts; ok=false when no batch has one. Segments are skipped by the
// manifest's max timestamps; within the segment the .timeindex names the
// batch. The caller decodes that batch's records if it needs the exact
// record.
func (r *Remote) OffsetForTimestamp(ctx context.Context, ts int64) (offset int64, ok bool, err error) {
	m := r.man.Load()
	for _, s := range m.Segments {
		if s.MaxTimestamp < ts || s.MaxTimestamp < 0 {
			continue
		}
		offset, ok, err = r.offsetForTimestamp(ctx, m, s, ts)
		if err != nil {
			return 0, false, r.readErr(err, s, max(s.Base, m.StartOffset))
		}
		if ok {
			return offset, true, nil
		}
	}
	return 0, false, nil
}

func (r *Remote) offsetForTimestamp(ctx context.Context, m *manifest, s SegmentInfo, ts int64) (int64, bool, error) {
	rel, err := r.timeLookup(ctx, s, ts)
	if err != nil {
		return 0, false, err
	}
	_, h, err := r.locate(ctx, s, s.Base+rel)
	if err != nil {
		return 0, false, err
	}
	if h.lastOffset >= m.StartOffset {
		return max(h.baseOffset, m.StartOffset), true, nil
	}
	// The batch lies below the start (DeleteBefore moved it inside this,
	// the first segment): look at the batches from the start on.
	key := segmentKey(r.prefix, s.Base, extLog)
	pos, h, err := r.locate(ctx, s, m.StartOffset)
	if err != nil {
		return 0, false, err
	}
	var hb [batchHeaderSize]byte
	for {
		if h.maxTimestamp >= ts {
			return max(h.baseOffset, m.StartOffset), true, nil
		}
		pos += h.size
		if pos+batchHeaderSize > s.Size {
			return 0, false, nil
		}
		if err := r.readAt(ctx, key, s.Size, hb[:], pos, false); err != nil {
			return 0, false, err
		}
		if h, err = parseHeader(hb[:]); err != nil {
			return 0, false, fmt.Errorf("%w: segment %s at %d: %v", ErrCorrupt, key, pos, err)
		}
	}
}

// timeLookup returns the relative last offset of the first .timeindex
// entry whose timestamp is >= ts; the segment's max timestamp is, so one
// exists unless the object is corrupt.
func (r *Remote) timeLookup(ctx context.Context, s SegmentInfo, ts int64) (int64, error) {
	key := segmentKey(r.prefix, s.Base, extTimeIndex)
	n := int(s.TimeIndexSize / timeEntrySize)
	var e [timeEntrySize]byte
	var err error
	i := sort.Search(n, func(i int) bool {
		if err != nil {
			return true
		}
		if err = r.readAt(ctx, key, s.TimeIndexSize, e[:], int64(i)*timeEntrySize, false); err != nil {
			return true
		}
		return decodeTimeEntry(e[:]).ts >= ts
	})
	if err != nil {
		return 0, err
	}
	if i == n {
		return 0, fmt.Errorf("%w: time index %s has no entry at or above %d, the segment's max is %d", ErrCorrupt, key, ts, s.MaxTimestamp)
	}
	if err := r.readAt(ctx, key, s.TimeIndexSize, e[:], int64(i)*timeEntrySize, false); err != nil {
		return 0, err
	}
	return int64(decodeTimeEntry(e[:]).rel), nil
}

// outOfRange is the error for an offset the tier m does not hold.
func (r *Remote) outOfRange(m *manifest, offset int64) error {
	if len(m.Segments) == 0 {
		return fmt.Errorf("%w: %s: offset %d, the remote tier is empty", ErrOffsetOutOfRange, r.ref, offset)
	}
	return fmt.Errorf("%w: %s: offset %d outside the remote tier [%d, %d)", ErrOffsetOutOfRange, r.ref, offset, m.StartOffset, m.EndOffset)
}

// readErr turns an object found missing while reading segment s into
// ErrOffsetOutOfRange when a deletion has meanwhile dropped s (or moved
// the start past offset); other errors get the partition as context.
func (r *Remote) readErr(err error, s SegmentInfo, offset int64) error {
	if errors.Is(err, objstore.ErrNotFound) {
		m := r.man.Load()
		i := m.find(s.Base)
		if offset < m.StartOffset || i == len(m.Segments) || m.Segments[i].Base != s.Base {
			return r.outOfRange(m, offset)
		}
	}
	return fmt.Errorf("tiered: %s: reading segment %d: %w", r.ref, s.Base, err)
}
