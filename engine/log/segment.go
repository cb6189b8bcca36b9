package log

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
)

// segment is one file (or memory store) of consecutive batches starting at
// base, with its indexes.
type segment struct {
	base int64
	st   store
	path string // dir/%020d without extension; "" in memory mode

	// refs counts the partition's list (1 while the segment is listed) plus
	// readers and flush rounds using st; the store is closed at zero.
	refs atomic.Int32

	// Guarded by Partition.mu; written only with Partition.appendMu held too.
	size       int64 // bytes of whole batches written
	next       int64 // offset after the last batch
	ix         offsetIndex
	ti         timeIndex
	sinceIndex int   // bytes appended since the last offset index entry
	rollTs     int64 // ms the segment's age counts from (segment.ms); -1 until the first batch
	sealed     bool  // no longer the active segment
}

func segmentPath(dir string, base int64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d", base))
}

func newSegment(base int64, st store, path string) *segment {
	s := &segment{base: base, st: st, path: path, next: base, rollTs: -1}
	s.refs.Store(1)
	return s
}

// createFileSegment creates (or opens) the segment file for base in dir.
func createFileSegment(dir string, base int64) (*segment, error) {
	path := segmentPath(dir, base)
	st, err := openFileStore(path + ".log")
	if err != nil {
		return nil, err
	}
	s := newSegment(base, st, path)
	return s, nil
}

// acquire takes a reference; the caller must hold Partition.mu (read or
// write), which guarantees the list's own reference is still there.
func (s *segment) acquire() { s.refs.Add(1) }

// release drops a reference and closes the store at zero.
func (s *segment) release() error {
	if s.refs.Add(-1) == 0 {
		return s.st.close()
	}
	return nil
}

// rel converts an absolute offset to one relative to the base.
func (s *segment) rel(off int64) uint32 { return uint32(off - s.base) }

// fits reports whether a batch ending at lastOffset can be indexed here.
func (s *segment) fits(lastOffset int64) bool {
	return lastOffset-s.base <= math.MaxInt32
}

// appended records a batch of header h written at pos: indexes, size, next
// offset. Kafka's rule: an offset index entry is added for a batch when more
// than interval bytes were written since the previous entry.
func (s *segment) appended(h *header, pos int64, interval int) {
	last := h.lastOffset()
	if s.sinceIndex > interval {
		s.ix.add(s.rel(last), uint32(pos))
		s.sinceIndex = 0
	}
	s.sinceIndex += h.size()
	s.ti.maybeAdd(h.maxTimestamp, s.rel(last))
	s.size = pos + int64(h.size())
	s.next = last + 1
}

// maxTimestamp is the largest batch max timestamp in the segment, or -1.
func (s *segment) maxTimestamp() int64 {
	ts, _, _ := s.ti.max()
	return ts
}

// writeIndexes writes both index files in full (file mode only).
func (s *segment) writeIndexes() error {
	if s.path == "" {
		return nil
	}
	if err := writeIndexFile(s.path+".index", s.ix.encode(nil)); err != nil {
		return err
	}
	return writeIndexFile(s.path+".timeindex", s.ti.encode(nil))
}

// removeFiles unlinks the segment's files; open readers keep the data until
// they release it.
func (s *segment) removeFiles() error {
	if s.path == "" {
		return nil
	}
	for _, ext := range []string{".log", ".index", ".timeindex"} {
		if err := os.Remove(s.path + ext); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("log: removing segment: %w", err)
		}
	}
	return nil
}
