package meta

import "time"

// Stats describes the log, for `streamlite meta describe`.
type Stats struct {
	// Dir is the log's directory; "" for a memory log.
	Dir string
	// LastIndex, FirstIndex and SnapshotIndex are what the methods of the
	// same names return.
	LastIndex, FirstIndex, SnapshotIndex uint64
	// SnapshotTime is when the newest snapshot was written (zero if there
	// is none) and SnapshotSize its file's size in bytes.
	SnapshotTime time.Time
	SnapshotSize int64
	// BytesSinceSnapshot is the size of the wal entries after
	// SnapshotIndex, as written: what SnapshotThreshold is compared with.
	// Always 0 for a memory log, which writes no entries.
	BytesSinceSnapshot int64
	// SnapshotThreshold is Options.SnapshotBytes in effect: negative when
	// automatic snapshots are off (always for a memory log).
	SnapshotThreshold int64
	// Topics is the number of topics.
	Topics int
	// NextProducerID is what the method of the same name returns.
	NextProducerID int64
	// RecordsSinceSnapshot counts records by type name (TopicCreated, ...)
	// after SnapshotIndex: the records the next Open replays (for a memory
	// log, every record since it was opened). It is counted when Open
	// replays the wal and on each Append, not by reading the wal: entries
	// a snapshot covers but a crash kept in the wal are not in it.
	RecordsSinceSnapshot map[string]uint64
}

// Stats returns a description of the log now. It takes no lock that an
// Append holds across its fsync.
func (l *Log) Stats() Stats {
	l.stats.Lock()
	st := l.state.Load()
	since := l.stats.appended.minus(l.stats.atSnap)
	info := l.stats.snap
	snapIdx := l.snapIndex.Load()
	l.stats.Unlock()
	s := Stats{
		Dir:                  l.dir,
		LastIndex:            st.lastIndex,
		FirstIndex:           snapIdx + 1,
		SnapshotIndex:        snapIdx,
		SnapshotTime:         info.time,
		SnapshotSize:         info.size,
		BytesSinceSnapshot:   since.bytes,
		SnapshotThreshold:    l.snapBytes,
		Topics:               st.topics.Len(),
		NextProducerID:       st.nextProducerID,
		RecordsSinceSnapshot: map[string]uint64{},
	}
	for t, n := range since.records {
		if n > 0 {
			s.RecordsSinceSnapshot[RecordType(t).String()] = n
		}
	}
	return s
}

// tally counts entries: their bytes as written to the wal, and records by
// type.
type tally struct {
	bytes   int64
	records [256]uint64
}

func (t *tally) add(r RecordType, bytes int) {
	t.bytes += int64(bytes)
	t.records[r]++
}

func (t tally) minus(o tally) tally {
	t.bytes -= o.bytes
	for i := range t.records {
		t.records[i] -= o.records[i]
	}
	return t
}
