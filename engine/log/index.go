package log

import (
	"encoding/binary"
	"fmt"
	"os"
	"sort"
)

// indexEntrySize is one offset index entry: relOffset uint32 + position uint32.
const indexEntrySize = 8

// indexEntry maps a batch's last offset (relative to the segment base) to the
// file position where that batch starts, as Kafka's .index does.
type indexEntry struct {
	rel uint32
	pos uint32
}

// offsetIndex is a segment's sparse offset index, kept in memory; the file
// copy is written when the segment is sealed or the partition closed.
type offsetIndex struct {
	entries []indexEntry
}

// lookup returns the position of the last indexed batch whose last offset is
// <= rel, or 0. Scanning forward from it finds the batch containing rel.
func (ix *offsetIndex) lookup(rel uint32) int64 {
	i := sort.Search(len(ix.entries), func(i int) bool { return ix.entries[i].rel > rel })
	if i == 0 {
		return 0
	}
	return int64(ix.entries[i-1].pos)
}

func (ix *offsetIndex) add(rel, pos uint32) {
	ix.entries = append(ix.entries, indexEntry{rel: rel, pos: pos})
}

// encode appends the file form of the entries to dst.
func (ix *offsetIndex) encode(dst []byte) []byte {
	for _, e := range ix.entries {
		dst = binary.BigEndian.AppendUint32(dst, e.rel)
		dst = binary.BigEndian.AppendUint32(dst, e.pos)
	}
	return dst
}

// decodeOffsetIndex parses an index file and checks it against the segment:
// whole entries, strictly increasing offsets and positions, every position
// inside the segment, every offset below the segment's next offset.
func decodeOffsetIndex(b []byte, size int64, maxRel int64) (offsetIndex, bool) {
	if len(b)%indexEntrySize != 0 {
		return offsetIndex{}, false
	}
	ix := offsetIndex{entries: make([]indexEntry, 0, len(b)/indexEntrySize)}
	for i := 0; i < len(b); i += indexEntrySize {
		e := indexEntry{rel: binary.BigEndian.Uint32(b[i:]), pos: binary.BigEndian.Uint32(b[i+4:])}
		if int64(e.pos) >= size || int64(e.rel) > maxRel {
			return offsetIndex{}, false
		}
		if n := len(ix.entries); n > 0 && (e.rel <= ix.entries[n-1].rel || e.pos <= ix.entries[n-1].pos) {
			return offsetIndex{}, false
		}
		ix.entries = append(ix.entries, e)
	}
	return ix, true
}

// writeIndexFile replaces name with b. No fsync: an index that did not reach
// the disk is found inconsistent on open and rebuilt from the segment.
func writeIndexFile(name string, b []byte) error {
	if err := os.WriteFile(name, b, 0o644); err != nil {
		return fmt.Errorf("log: writing index: %w", err)
	}
	return nil
}
