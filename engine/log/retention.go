package log

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// DeleteRecordsBefore moves the log start offset to offset (-1 means the high
// watermark) and deletes the whole segments below it. The new start is
// persisted in a checkpoint file (written to a temporary file, fsynced,
// renamed, directory fsynced) before any segment is deleted, so a restart
// keeps it. An offset above the high watermark is ErrOffsetOutOfRange. It
// returns the new log start offset, which never moves backwards.
func (p *Partition) DeleteRecordsBefore(offset int64) (int64, error) {
	p.m.Lock()
	defer p.m.Unlock()
	p.a.Lock()
	defer p.a.Unlock()
	if p.closed.Load() {
		return 0, ErrClosed
	}
	hw := p.hw.Load()
	if offset == -1 {
		offset = hw
	}
	if offset < 0 || offset > hw {
		return 0, ErrOffsetOutOfRange
	}
	ls := p.logStart.Load()
	if offset <= ls {
		return ls, nil
	}
	// An active segment wholly below the new start is sealed so it can go.
	if act := p.s.segs[len(p.s.segs)-1]; act.size > 0 && act.next <= offset {
		if _, err := p.rollLocked(p.leo.Load(), time.Now().UnixMilli()); err != nil {
			return 0, err
		}
	}
	if err := p.writeCheckpoint(offset); err != nil {
		return 0, err
	}
	p.s.Lock()
	p.logStart.Store(offset)
	p.s.Unlock()
	p.pruneAbortedLocked(offset)
	n := 0
	for n < len(p.s.segs)-1 && p.s.segs[n+1].base <= offset {
		n++
	}
	return offset, p.dropFrontLocked(n)
}

// EnforceRetention deletes closed segments from the oldest while they are
// past retention.ms (by the segment's max timestamp) or while the log without
// them still holds retention.bytes. The active segment and segments not yet
// below the high watermark are kept. It returns how many segments it removed.
// A partition whose cleanup.policy is compact alone keeps every segment.
func (p *Partition) EnforceRetention(now time.Time) (int, error) {
	p.m.Lock()
	defer p.m.Unlock()
	p.a.Lock()
	defer p.a.Unlock()
	if p.closed.Load() {
		return 0, ErrClosed
	}
	cfg := p.a.cfg
	if !cfg.deletes() {
		return 0, nil
	}
	nowMs := now.UnixMilli()
	hw := p.hw.Load()
	segs := p.s.segs // changed only with a or m held, and both are
	total := p.size.Load()
	retMs, retBytes := cfg.RetentionMs, cfg.RetentionBytes
	limit := hw
	if cfg.RemoteStorage && p.dir != "" {
		// Local retention, and only of segments the remote tier holds;
		// memory mode has no tier, so retention.* applies as usual.
		// retention.* applies to the whole log through the tier.
		retMs, retBytes = cfg.LocalRetentionMs, cfg.LocalRetentionBytes
		limit = -1
		if r := p.Remote(); r != nil {
			limit = min(hw, r.EndOffset())
		}
	}
	n := 0
	for ; n < len(segs)-1 && segs[n+1].base <= hw && segs[n].next <= limit; n++ {
		s := segs[n]
		ts := s.maxTimestamp()
		byTime := retMs >= 0 && ts >= 0 && nowMs-ts > retMs
		bySize := retBytes > 0 && total-s.size >= retBytes
		if !byTime && !bySize {
			break
		}
		total -= s.size
	}
	if n == 0 {
		return 0, nil
	}
	if start := segs[n].base; start > p.logStart.Load() {
		if err := p.writeCheckpoint(start); err != nil {
			return 0, err
		}
		p.s.Lock()
		p.logStart.Store(start)
		p.s.Unlock()
		p.pruneAbortedLocked(p.abortedFloor())
	}
	return n, p.dropFrontLocked(n)
}

// dropFrontLocked removes the first n segments from the list and deletes
// their files and the producer snapshots below the first segment left;
// readers holding references finish first. a must be held.
func (p *Partition) dropFrontLocked(n int) error {
	if n == 0 {
		return nil
	}
	p.s.Lock()
	gone := make([]*segment, n)
	copy(gone, p.s.segs[:n])
	p.s.segs = append(p.s.segs[:0:0], p.s.segs[n:]...)
	for _, s := range gone {
		p.size.Add(-s.size)
	}
	p.s.Unlock()
	var errs []error
	for _, s := range gone {
		errs = append(errs, s.removeFiles(), s.release())
	}
	if p.dir != "" {
		errs = append(errs, p.dropSnapshotsBelowLocked(p.s.segs[0].base))
	}
	return errors.Join(errs...)
}

// writeCheckpoint persists the log start offset (file mode only).
func (p *Partition) writeCheckpoint(offset int64) error {
	if p.dir == "" {
		return nil
	}
	if err := writeFileSynced(p.dir, checkpointName, strconv.FormatInt(offset, 10)+"\n"); err != nil {
		return fmt.Errorf("log: writing log start checkpoint: %w", err)
	}
	return nil
}

// writeFileSynced replaces dir/name with content durably: a temporary file
// written and fsynced, renamed over name, then the directory fsynced.
func writeFileSynced(dir, name, content string) error {
	name = filepath.Join(dir, name)
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}
