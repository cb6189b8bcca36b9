package log

import (
	"encoding/binary"
	"sort"
)

// timeEntrySize is one time index entry: maxTimestamp int64 + relOffset uint32.
const timeEntrySize = 12

// timeEntry records that the batch ending at relative offset rel raised the
// segment's max timestamp to ts.
type timeEntry struct {
	ts  int64
	rel uint32
}

// timeIndex holds one entry per batch that raised the segment's max
// timestamp, so timestamps are strictly increasing and the last entry is the
// segment's max.
type timeIndex struct {
	entries []timeEntry
}

// maybeAdd adds an entry if ts exceeds the current max.
func (ti *timeIndex) maybeAdd(ts int64, rel uint32) {
	if n := len(ti.entries); n > 0 && ts <= ti.entries[n-1].ts {
		return
	}
	if ts < 0 {
		return
	}
	ti.entries = append(ti.entries, timeEntry{ts: ts, rel: rel})
}

// max returns the segment's max timestamp and the relative last offset of
// the batch that first carried it; ok=false if no batch had a timestamp.
func (ti *timeIndex) max() (ts int64, rel uint32, ok bool) {
	if len(ti.entries) == 0 {
		return -1, 0, false
	}
	e := ti.entries[len(ti.entries)-1]
	return e.ts, e.rel, true
}

// firstAtOrAfter returns the relative last offset of the first batch whose
// max timestamp is >= ts. Every batch before it has a max timestamp < ts,
// because entries are written each time the running max grows.
func (ti *timeIndex) firstAtOrAfter(ts int64) (rel uint32, ok bool) {
	i := sort.Search(len(ti.entries), func(i int) bool { return ti.entries[i].ts >= ts })
	if i == len(ti.entries) {
		return 0, false
	}
	return ti.entries[i].rel, true
}

func (ti *timeIndex) encode(dst []byte) []byte {
	for _, e := range ti.entries {
		dst = binary.BigEndian.AppendUint64(dst, uint64(e.ts))
		dst = binary.BigEndian.AppendUint32(dst, e.rel)
	}
	return dst
}

// decodeTimeIndex parses a time index file: whole entries, timestamps and
// offsets strictly increasing, offsets inside the segment.
func decodeTimeIndex(b []byte, maxRel int64) (timeIndex, bool) {
	if len(b)%timeEntrySize != 0 {
		return timeIndex{}, false
	}
	ti := timeIndex{entries: make([]timeEntry, 0, len(b)/timeEntrySize)}
	for i := 0; i < len(b); i += timeEntrySize {
		e := timeEntry{ts: int64(binary.BigEndian.Uint64(b[i:])), rel: binary.BigEndian.Uint32(b[i+8:])}
		if e.ts < 0 || int64(e.rel) > maxRel {
			return timeIndex{}, false
		}
		if n := len(ti.entries); n > 0 && (e.ts <= ti.entries[n-1].ts || e.rel <= ti.entries[n-1].rel) {
			return timeIndex{}, false
		}
		ti.entries = append(ti.entries, e)
	}
	return ti, true
}
