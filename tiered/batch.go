package tiered

import (
	"encoding/binary"
	"fmt"
)

// Record batch v2 header fields this package reads (big-endian), and the
// index entry sizes; see the package doc.
const (
	offBaseOffset      = 0
	offBatchLength     = 8
	offMagic           = 16
	offLastOffsetDelta = 23
	offFirstTimestamp  = 27
	offMaxTimestamp    = 35
	batchHeaderSize    = 61
	logOverhead        = 12 // baseOffset + batchLength, not counted by batchLength

	indexEntrySize = 8
	timeEntrySize  = 12
)

// header is the part of a batch header this package uses.
type header struct {
	baseOffset     int64
	size           int64 // whole batch, batchLength + 12
	lastOffset     int64
	firstTimestamp int64
	maxTimestamp   int64
}

// parseHeader decodes the first batchHeaderSize bytes of a batch and checks
// that it is magic v2 with a sane length.
func parseHeader(b []byte) (header, error) {
	if len(b) < batchHeaderSize {
		return header{}, fmt.Errorf("batch header of %d bytes", len(b))
	}
	if b[offMagic] != 2 {
		return header{}, fmt.Errorf("batch magic %d", b[offMagic])
	}
	length := int32(binary.BigEndian.Uint32(b[offBatchLength:]))
	delta := int32(binary.BigEndian.Uint32(b[offLastOffsetDelta:]))
	if length < batchHeaderSize-logOverhead || delta < 0 {
		return header{}, fmt.Errorf("batch length %d, last offset delta %d", length, delta)
	}
	base := int64(binary.BigEndian.Uint64(b[offBaseOffset:]))
	return header{
		baseOffset:     base,
		size:           int64(length) + logOverhead,
		lastOffset:     base + int64(delta),
		firstTimestamp: int64(binary.BigEndian.Uint64(b[offFirstTimestamp:])),
		maxTimestamp:   int64(binary.BigEndian.Uint64(b[offMaxTimestamp:])),
	}, nil
}

// indexEntry is one .index entry.
type indexEntry struct{ rel, pos uint32 }

func decodeIndexEntry(b []byte) indexEntry {
	return indexEntry{rel: binary.BigEndian.Uint32(b), pos: binary.BigEndian.Uint32(b[4:])}
}

// timeEntry is one .timeindex entry.
type timeEntry struct {
	ts  int64
	rel uint32
}

func decodeTimeEntry(b []byte) timeEntry {
	return timeEntry{ts: int64(binary.BigEndian.Uint64(b)), rel: binary.BigEndian.Uint32(b[8:])}
}

// checkOffsetIndex checks a whole .index as engine/log does on open: whole
// entries, strictly increasing offsets and positions, positions inside the
// segment, offsets below its next offset.
func checkOffsetIndex(b []byte, size, maxRel int64) error {
	if len(b)%indexEntrySize != 0 {
		return fmt.Errorf("offset index of %d bytes", len(b))
	}
	var prev indexEntry
	for i := 0; i < len(b); i += indexEntrySize {
		e := decodeIndexEntry(b[i:])
		if int64(e.pos) >= size || int64(e.rel) > maxRel {
			return fmt.Errorf("offset index entry %d (%d@%d) outside the segment", i/indexEntrySize, e.rel, e.pos)
		}
		if i > 0 && (e.rel <= prev.rel || e.pos <= prev.pos) {
			return fmt.Errorf("offset index entry %d (%d@%d) not ascending", i/indexEntrySize, e.rel, e.pos)
		}
		prev = e
	}
	return nil
}

// checkTimeIndex checks a whole .timeindex: whole entries, timestamps and
// offsets strictly increasing, offsets inside the segment. It returns the
// last timestamp, -1 if there is no entry.
func checkTimeIndex(b []byte, maxRel int64) (int64, error) {
	if len(b)%timeEntrySize != 0 {
		return 0, fmt.Errorf("time index of %d bytes", len(b))
	}
	var prev timeEntry
	last := int64(-1)
	for i := 0; i < len(b); i += timeEntrySize {
		e := decodeTimeEntry(b[i:])
		if e.ts < 0 || int64(e.rel) > maxRel {
			return 0, fmt.Errorf("time index entry %d (%d@%d) outside the segment", i/timeEntrySize, e.ts, e.rel)
		}
		if i > 0 && (e.ts <= prev.ts || e.rel <= prev.rel) {
			return 0, fmt.Errorf("time index entry %d (%d@%d) not ascending", i/timeEntrySize, e.ts, e.rel)
		}
		prev, last = e, e.ts
	}
	return last, nil
}
