package log

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
)

// Read appends to buf whole batches starting with the batch containing
// offset, never past the high watermark, stopping before the batch that
// would push the appended size past maxBytes; if minOne is true and nothing
// fits, the first batch is appended whole anyway (KIP-74). offset equal to
// the high watermark returns buf unchanged. offset below the log start or
// above the high watermark is ErrOffsetOutOfRange. Batches come from one
// segment per call, as in Kafka. Safe concurrently with Append and other
// Reads: no partition lock is held while bytes are read.
func (p *Partition) Read(offset int64, maxBytes int, minOne bool, buf []byte) ([]byte, error) {
	return p.ReadTo(offset, -1, maxBytes, minOne, buf)
}

// ReadTo is Read with batches further bounded by end: only batches that
// start below end are appended (read_committed passes LastStableOffset,
// where a batch always starts). end < 0, or above the high watermark, means
// the high watermark. An offset from end up to the high watermark returns
// buf unchanged: in range, nothing readable yet.
func (p *Partition) ReadTo(offset, end int64, maxBytes int, minOne bool, buf []byte) ([]byte, error) {
	if p.closed.Load() {
		return buf, ErrClosed
	}
	hw := p.hw.Load()
	if offset < p.logStart.Load() || offset > hw {
		return buf, ErrOffsetOutOfRange
	}
	if end >= 0 && end < hw {
		hw = end
	}
	if offset >= hw {
		return buf, nil
	}
	seg, pos, end, gen := p.segmentAt(offset)
	if seg == nil {
		return buf, ErrOffsetOutOfRange
	}
	for seg != nil {
		out, found, err := readSegment(seg, pos, end, offset, hw, maxBytes, minOne, buf)
		base := seg.base
		seg.release()
		if err != nil || found {
			return out, err
		}
		// offset falls after this segment's last batch (a gap left by a
		// cut tail or by compaction): the next segment holds what follows.
		seg, pos, end, gen = p.segmentAfter(base, offset, gen)
	}
	return buf, nil
}

// segmentAt returns, with a reference, the segment holding offset (the
// first one if offset is below all), the index position to scan from, the
// segment's size and the list generation. nil if the partition has no
// segments (closed).
func (p *Partition) segmentAt(offset int64) (*segment, int64, int64, uint64) {
	p.s.RLock()
	defer p.s.RUnlock()
	return p.segmentAtLocked(offset)
}

func (p *Partition) segmentAtLocked(offset int64) (*segment, int64, int64, uint64) {
	segs := p.s.segs
	if len(segs) == 0 {
		return nil, 0, 0, p.s.gen
	}
	i := sort.Search(len(segs), func(i int) bool { return segs[i].base > offset }) - 1
	var pos int64
	if i < 0 {
		i = 0
	} else {
		rel := offset - segs[i].base
		if rel > math.MaxUint32 {
			rel = math.MaxUint32
		}
		pos = segs[i].ix.lookup(uint32(rel))
	}
	s := segs[i]
	s.acquire()
	return s, pos, s.size, p.s.gen
}

// segmentAfter returns, with a reference, the segment to read after the one
// at base found no batch ending at or after offset: the first segment whose
// base is above base, with scan position 0 and its size; nil if none. If the
// cleaner replaced segments since gen, it is the segment holding offset in
// the new list instead (a cleaned segment starting below base may hold the
// batches that follow).
func (p *Partition) segmentAfter(base, offset int64, gen uint64) (*segment, int64, int64, uint64) {
	p.s.RLock()
	defer p.s.RUnlock()
	if p.s.gen != gen {
		return p.segmentAtLocked(offset)
	}
	segs := p.s.segs
	i := sort.Search(len(segs), func(i int) bool { return segs[i].base > base })
	if i == len(segs) {
		return nil, 0, 0, gen
	}
	s := segs[i]
	s.acquire()
	return s, 0, s.size, gen
}

// readSegment does Read's work inside one segment. found=false means the
// segment holds no batch at or after offset.
func readSegment(seg *segment, pos, end, offset, hw int64, maxBytes int, minOne bool, buf []byte) ([]byte, bool, error) {
	start := len(buf)
	buf = slices.Grow(buf, batchHeaderSize)
	scratch := buf[start : start+batchHeaderSize]
	var h header
	for {
		if pos+batchHeaderSize > end {
			return buf, false, nil
		}
		if err := readFull(seg.st, scratch, pos); err != nil {
			return buf, true, err
		}
		var ok bool
		if h, ok = parseHeader(scratch); !ok {
			return buf, true, fmt.Errorf("log: corrupt batch header in segment %d at %d", seg.base, pos)
		}
		if h.baseOffset >= hw {
			return buf, true, nil
		}
		if h.lastOffset() >= offset {
			break
		}
		pos += int64(h.size())
	}

	want := int(min(end-pos, int64(max(maxBytes, 0))))
	n := 0
	if want >= h.size() {
		buf = slices.Grow(buf, want)[:start+want]
		if err := readFull(seg.st, buf[start:], pos); err != nil {
			return buf[:start], true, err
		}
		for n+batchHeaderSize <= want {
			b := buf[start+n:]
			size := int(binary.BigEndian.Uint32(b[offBatchLength:])) + logOverhead
			if int64(binary.BigEndian.Uint64(b[offBaseOffset:])) >= hw || n+size > want {
				break
			}
			n += size
		}
	}
	if n == 0 && minOne {
		n = h.size()
		buf = slices.Grow(buf[:start], n)[:start+n]
		if err := readFull(seg.st, buf[start:], pos); err != nil {
			return buf[:start], true, err
		}
	}
	return buf[:start+n], true, nil
}

// readFull fills b from st at off.
func readFull(st store, b []byte, off int64) error {
	n, err := st.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("log: reading segment: %w", err)
}

// forEachBatch calls fn with the header of each batch from the one holding
// from up to (excluding) the first at or above hw, across segments, until fn
// returns false or an error. fn may read the batch from seg.st at pos.
func (p *Partition) forEachBatch(from, hw int64, fn func(seg *segment, pos int64, h *header) (bool, error)) error {
	seg, pos, end, gen := p.segmentAt(from)
	var scratch [batchHeaderSize]byte
	for seg != nil {
		for pos+batchHeaderSize <= end {
			if err := readFull(seg.st, scratch[:], pos); err != nil {
				seg.release()
				return err
			}
			h, ok := parseHeader(scratch[:])
			if !ok {
				seg.release()
				return fmt.Errorf("log: corrupt batch header in segment %d at %d", seg.base, pos)
			}
			if h.baseOffset >= hw {
				seg.release()
				return nil
			}
			if h.lastOffset() >= from {
				more, err := fn(seg, pos, &h)
				if err != nil || !more {
					seg.release()
					return err
				}
				from = h.lastOffset() + 1 // after a segment swap, resume past it
			}
			pos += int64(h.size())
		}
		base := seg.base
		seg.release()
		seg, pos, end, gen = p.segmentAfter(base, from, gen)
	}
	return nil
}

// readBatch returns the whole batch at pos.
func readBatch(seg *segment, pos int64, h *header) ([]byte, error) {
	b := make([]byte, h.size())
	if err := readFull(seg.st, b, pos); err != nil {
		return nil, err
	}
	return b, nil
}
