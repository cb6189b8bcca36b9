package meta

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tidwall/wal"
)

// Repair is one cut Open made to the log's tail.
type Repair struct {
	// File is the segment file whose end was cut and Bytes how many bytes
	// went, for a cut of an incomplete wal frame; "" and 0 for a cut of
	// whole entries through the wal.
	File  string
	Bytes int64
	// From and To are the indexes of the first and last entry dropped.
	// For an incomplete frame both are the index it would have had.
	From, To uint64
	// Reason says what was wrong, for the operator.
	Reason string
}

func walOptions(segSize int) *wal.Options {
	return &wal.Options{
		NoSync:           false, // every WriteBatch fsyncs before returning
		SegmentSize:      segSize,
		LogFormat:        wal.Binary,
		SegmentCacheSize: 2,
		AllowEmpty:       true, // a cut may remove every entry
		DirPerms:         0o750,
		FilePerms:        0o640,
	}
}

// openWAL opens the wal in dir. If the wal reports its last segment
// corrupt, the segment is cut after its last complete frame and opened
// again.
func openWAL(dir string, logger *slog.Logger, segSize int) (*wal.Log, []Repair, error) {
	w, err := wal.Open(dir, walOptions(segSize))
	if err == nil {
		return w, nil, nil
	}
	if !errors.Is(err, wal.ErrCorrupt) {
		return nil, nil, fmt.Errorf("meta: opening log in %s: %w", dir, err)
	}
	rep, cut, rerr := cutSegmentTail(dir)
	if rerr != nil {
		return nil, nil, rerr
	}
	if !cut {
		// Not a torn frame (for example, leftovers of an interrupted
		// truncation the wal cannot resolve): leave it to an operator.
		return nil, nil, fmt.Errorf("%w: opening log in %s: %w", ErrCorrupt, dir, err)
	}
	logger.Warn("meta: cut incomplete frame from the log tail",
		"dir", dir, "file", rep.File, "bytes", rep.Bytes, "index", rep.From)
	if w, err = wal.Open(dir, walOptions(segSize)); err != nil {
		return nil, nil, fmt.Errorf("meta: opening log in %s after repair: %w", dir, err)
	}
	return w, []Repair{rep}, nil
}

// cutSegmentTail truncates the last segment file in dir after its last
// complete frame (uvarint size, then that many bytes: the wal's binary
// format) and fsyncs it. It reports whether anything was cut.
func cutSegmentTail(dir string) (Repair, bool, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return Repair{}, false, fmt.Errorf("meta: listing %s: %w", dir, err)
	}
	// The wal names segments by their first index in 20 digits, so the
	// last in name order is the tail.
	var name string
	var first uint64
	for _, de := range des {
		n := de.Name()
		if de.IsDir() || len(n) != 20 {
			continue
		}
		if idx, err := strconv.ParseUint(n, 10, 64); err == nil && idx > 0 && n > name {
			name, first = n, idx
		}
	}
	if name == "" {
		return Repair{}, false, nil
	}
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		return Repair{}, false, fmt.Errorf("meta: reading %s: %w", path, err)
	}
	keep, frames := completeFrames(data)
	if keep == len(data) {
		return Repair{}, false, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return Repair{}, false, fmt.Errorf("meta: repairing %s: %w", path, err)
	}
	err = f.Truncate(int64(keep))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Repair{}, false, fmt.Errorf("meta: repairing %s: %w", path, err)
	}
	idx := first + uint64(frames)
	return Repair{
		File:   name,
		Bytes:  int64(len(data) - keep),
		From:   idx,
		To:     idx,
		Reason: "incomplete wal frame at the end of the last segment",
	}, true, nil
}

// completeFrames returns the length of data's prefix made of complete
// frames, and how many there are.
func completeFrames(data []byte) (n, frames int) {
	for n < len(data) {
		size, k := binary.Uvarint(data[n:])
		if k <= 0 || uint64(len(data)-n-k) < size {
			break
		}
		n += k + int(size)
		frames++
	}
	return n, frames
}

// recoverWAL brings the wal w in line with the snapshot Open loaded (if
// any) and replays the entries after it onto the snapshot's state. It
// returns the wal to use (a new one if it had to be rebuilt; nil if that
// failed), the state, the tally of the replayed entries and what it cut.
//
// Cases, with S the snapshot's index (0 without one) and the wal holding
// first..last:
//   - first > S+1: records S+1..first-1 are gone: ErrCorrupt.
//   - last < S: every entry is covered by the snapshot, but the wal could
//     not take S+1 next; it is rebuilt empty, starting at S+1 (a Repair).
//   - first <= S: a crash stopped a snapshot before its truncation; the
//     entries through S are skipped, then dropped.
func recoverWAL(w *wal.Log, dir string, segSize int, logger *slog.Logger, ld loaded) (*wal.Log, *state, tally, []Repair, error) {
	st := ld.st
	if st == nil {
		st = newState()
	}
	snap := st.lastIndex
	first, last, err := walRange(w, dir)
	if err != nil {
		return w, nil, tally{}, nil, err
	}
	var repairs []Repair
	if last < snap {
		rep := Repair{From: first, To: last, Reason: fmt.Sprintf("wal ends at entry %d, before snapshot %d; rebuilt empty from entry %d", last, snap, snap+1)}
		if w, err = resetWAL(w, dir, segSize, snap+1); err != nil {
			return w, nil, tally{}, nil, err
		}
		logger.Warn("meta: rebuilt wal behind its snapshot", "dir", dir, "wal_last", last, "snapshot", snap)
		repairs = append(repairs, rep)
		first, last = snap+1, snap
	}
	if first > snap+1 {
		err := fmt.Errorf("%w: log in %s starts at entry %d, but ", ErrCorrupt, dir, first)
		if ld.st == nil {
			err = fmt.Errorf("%w there is no snapshot", err)
		} else {
			err = fmt.Errorf("%w the newest valid snapshot covers only through %d", err, snap)
		}
		for i, idx := range ld.bad {
			err = fmt.Errorf("%w (snapshot %d is damaged: %w)", err, idx, ld.why[i])
		}
		return w, nil, tally{}, nil, err
	}
	cnt, cut, err := replay(w, dir, logger, st, last)
	if err != nil {
		return w, nil, tally{}, nil, err
	}
	repairs = append(repairs, cut...)
	if first <= snap {
		// The snapshot's directory entry may not be durable yet if the
		// crash came right after its rename.
		if err := syncDir(snapDir(dir)); err != nil {
			return w, nil, tally{}, nil, err
		}
		if err := w.TruncateFront(snap + 1); err != nil {
			return w, nil, tally{}, nil, fmt.Errorf("meta: dropping wal entries %d..%d in %s, covered by snapshot %d: %w", first, snap, dir, snap, err)
		}
		logger.Info("meta: finished an interrupted snapshot's wal truncation", "dir", dir, "snapshot", snap, "dropped", snap-first+1)
	}
	return w, st, cnt, repairs, nil
}

func walRange(w *wal.Log, dir string) (first, last uint64, err error) {
	if first, err = w.FirstIndex(); err == nil {
		last, err = w.LastIndex()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("meta: reading log in %s: %w", dir, err)
	}
	return first, last, nil
}

// resetWAL closes w, removes its segment files and opens an empty wal in
// dir whose next entry is next. It returns nil and an error if it fails.
func resetWAL(w *wal.Log, dir string, segSize int, next uint64) (*wal.Log, error) {
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("meta: closing log in %s to rebuild it: %w", dir, err)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("meta: listing %s: %w", dir, err)
	}
	for _, de := range des {
		if n := de.Name(); !de.IsDir() && len(n) >= 20 {
			if _, err := strconv.ParseUint(n[:20], 10, 64); err == nil {
				if err := os.Remove(filepath.Join(dir, n)); err != nil {
					return nil, fmt.Errorf("meta: rebuilding log in %s: %w", dir, err)
				}
			}
		}
	}
	path := filepath.Join(dir, fmt.Sprintf("%020d", next))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err == nil {
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("meta: rebuilding log in %s: %w", dir, err)
	}
	if w, err = wal.Open(dir, walOptions(segSize)); err != nil {
		return nil, fmt.Errorf("meta: opening rebuilt log in %s: %w", dir, err)
	}
	return w, nil
}

// replay applies the wal entries after st.lastIndex through last to st,
// in place, and tallies them. A damaged entry or an unfinished batch at
// the tail is cut through w; damage followed by a later batch is an
// error.
func replay(w *wal.Log, dir string, logger *slog.Logger, st *state, last uint64) (tally, []Repair, error) {
	var cnt tally
	var batch []entry // the entries of the batch being read
	var start uint64  // index of batch[0]
	for i := st.lastIndex + 1; i <= last; i++ {
		e, err := readEntry(w, i)
		if errors.Is(err, errChecksum) {
			if len(batch) == 0 {
				start = i
			}
			rep, err := cutTail(w, start, i, last, "entry checksum mismatch")
			if err != nil {
				return tally{}, nil, err
			}
			logCut(logger, dir, rep)
			return cnt, []Repair{rep}, nil
		}
		if err != nil {
			return tally{}, nil, fmt.Errorf("meta: replaying entry %d in %s: %w", i, dir, err)
		}
		if e.pos != uint64(len(batch)) || len(batch) > 0 && batch[0].rem != e.pos+e.rem {
			return tally{}, nil, fmt.Errorf("%w: entry %d in %s is out of place in its batch", ErrCorrupt, i, dir)
		}
		if e.pos == 0 {
			start = i
		}
		batch = append(batch, e)
		if e.rem > 0 {
			continue
		}
		for k, e := range batch {
			if _, err := st.apply(e.rec); err != nil {
				return tally{}, nil, fmt.Errorf("%w: entry %d in %s does not apply: %w", ErrCorrupt, start+uint64(k), dir, err)
			}
			cnt.add(e.rec.Type(), e.size)
		}
		st.lastIndex = i
		batch = batch[:0]
	}
	if len(batch) == 0 {
		return cnt, nil, nil
	}
	reason := fmt.Sprintf("batch of %d entries ends after %d", batch[0].rem+1, len(batch))
	rep, err := cutTail(w, start, last+1, last, reason)
	if err != nil {
		return tally{}, nil, err
	}
	logCut(logger, dir, rep)
	return cnt, []Repair{rep}, nil
}

func readEntry(w *wal.Log, i uint64) (entry, error) {
	data, err := w.Read(i)
	if errors.Is(err, wal.ErrCorrupt) {
		return entry{}, fmt.Errorf("%w: wal segment holding entry %d: %w", ErrCorrupt, i, err)
	}
	if err != nil {
		return entry{}, fmt.Errorf("reading entry %d: %w", i, err)
	}
	return decodeEntry(data)
}

// cutTail drops entries start..last, the batch holding the damaged entry
// bad (or, with bad > last, an unfinished batch). It first makes sure no
// entry after bad belongs to a later batch: a later batch is only written
// after the earlier one was fsynced, so bad would then be acknowledged
// data gone bad, not a torn write, and cutting would lose records.
func cutTail(w *wal.Log, start, bad, last uint64, reason string) (Repair, error) {
	for k := bad + 1; k <= last; k++ {
		e, err := readEntry(w, k)
		switch {
		case errors.Is(err, errChecksum):
			continue
		case err != nil:
			return Repair{}, fmt.Errorf("%w: entry %d is damaged and entry %d after it cannot be read: %w", ErrCorrupt, bad, k, err)
		case k-e.pos > bad:
			return Repair{}, fmt.Errorf("%w: entry %d is damaged but entry %d of a later batch is intact", ErrCorrupt, bad, k)
		}
	}
	if err := w.TruncateBack(start - 1); err != nil {
		return Repair{}, fmt.Errorf("meta: cutting log tail from entry %d: %w", start, err)
	}
	return Repair{From: start, To: last, Reason: reason}, nil
}

func logCut(logger *slog.Logger, dir string, r Repair) {
	logger.Warn("meta: cut torn tail from the log",
		"dir", dir, "from", r.From, "to", r.To, "entries", r.To-r.From+1, "reason", r.Reason)
}
