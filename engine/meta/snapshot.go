package meta

import (
	"errors"
	"fmt"
	"time"
)

// Snapshot writes a snapshot of the state now (if the newest one is older
// than LastIndex) and then drops the wal entries it covers; it returns the
// index the snapshot covers (0 for an empty log, which has nothing to
// snapshot). The snapshot is encoded from the published state and
// written with no append lock held, so Appends go on meanwhile; only the
// wal truncation after it holds them up. One Snapshot runs at a time: a
// second call waits for the first. Errors: ErrMemoryLog, ErrClosed, or a
// wrapped I/O error; a failed truncation also makes Append return
// ErrLogFailed, as the wal may be half-truncated (the next Open finishes
// the job).
func (l *Log) Snapshot() (uint64, error) {
	if l.wal == nil {
		return 0, ErrMemoryLog
	}
	l.snapMu.Lock()
	defer l.snapMu.Unlock()
	l.mu.Lock()
	closed := l.mu.closed
	l.mu.Unlock()
	if closed {
		return 0, ErrClosed
	}

	l.stats.Lock()
	st, mark := l.state.Load(), l.stats.appended
	l.stats.Unlock()
	idx := st.lastIndex
	if prev := l.snapIndex.Load(); idx <= prev {
		return prev, nil
	}
	info, err := writeSnapshot(l.dir, st, time.Now(), l.step)
	if err != nil {
		return 0, err
	}
	// The snapshot is durable: it is the newest, and the records it
	// covers stop being readable (FirstIndex moves before the truncation,
	// so ReadRecords can tell a dropped record from a lost one).
	l.stats.Lock()
	l.snapIndex.Store(idx)
	l.stats.atSnap = mark
	l.stats.snap = info
	l.stats.Unlock()
	if err := l.step("snapshot-synced"); err != nil {
		return 0, err
	}
	if err := l.truncateWAL(idx); err != nil {
		return 0, err
	}
	if err := l.step("wal-truncated"); err != nil {
		return 0, err
	}
	if err := pruneSnapshots(l.dir); err != nil {
		// The snapshot stands; an extra old file costs only disk space.
		l.logger.Warn("meta: removing old snapshots", "dir", l.dir, "err", err)
	}
	return idx, nil
}

// truncateWAL drops the wal entries through idx, which a durable snapshot
// covers. tidwall/wal's TruncateFront rewrites the rest of the segment
// holding idx+1 as a .START file, deletes the segments before it and
// renames the .START file into place; Open resolves a crash at any point
// of that. It holds mu, so Appends wait for it (they would wait on the
// wal's own lock anyway).
func (l *Log) truncateWAL(idx uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.closed {
		return ErrClosed
	}
	if err := l.wal.TruncateFront(idx + 1); err != nil {
		l.mu.failed = err
		return fmt.Errorf("meta: dropping wal entries through %d in %s after a snapshot: %w", idx, l.dir, err)
	}
	if err := syncDir(l.dir); err != nil {
		l.mu.failed = err
		return err
	}
	return nil
}

// step runs the test hook, if any, at a named step of Snapshot.
func (l *Log) step(name string) error {
	if l.hook != nil {
		return l.hook(name)
	}
	return nil
}

// snapshotDue reports whether enough bytes were appended since the newest
// snapshot for the next one.
func (l *Log) snapshotDue() bool {
	l.stats.Lock()
	defer l.stats.Unlock()
	return l.stats.appended.bytes-l.stats.atSnap.bytes >= l.snapBytes
}

// snapshotLoop is the background snapshotter, owned by the Log: Open
// starts it, Close closes stop and waits for done. Append kicks it once
// SnapshotBytes were appended since the newest snapshot; it writes one
// snapshot at a time, and after a failure waits snapshotRetry before it
// tries again.
func (l *Log) snapshotLoop() {
	defer close(l.done)
	for {
		select {
		case <-l.stop:
			return
		case <-l.kick:
		}
		if !l.snapshotDue() {
			continue
		}
		_, err := l.Snapshot()
		if errors.Is(err, ErrClosed) {
			return
		}
		if err == nil {
			continue
		}
		l.logger.Warn("meta: background snapshot failed", "dir", l.dir, "err", err)
		t := time.NewTimer(snapshotRetry)
		select {
		case <-l.stop:
			t.Stop()
			return
		case <-t.C:
		}
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}
