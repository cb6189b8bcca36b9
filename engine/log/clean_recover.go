package log

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// swapPath names a committed cleaned segment: BASE.END.swap replaces every
// segment with a base in [BASE, END).
func swapPath(dir string, base, end int64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d.%020d%s", base, end, swapExt))
}

// parseSwapName returns the range a swap file name carries.
func parseSwapName(name string) (base, end int64, ok bool) {
	s, ok := strings.CutSuffix(name, swapExt)
	if !ok || len(s) != 41 || s[20] != '.' {
		return 0, 0, false
	}
	base, err1 := strconv.ParseInt(s[:20], 10, 64)
	end, err2 := strconv.ParseInt(s[21:], 10, 64)
	return base, end, err1 == nil && err2 == nil && base >= 0 && end > base
}

// recoverCleaner finishes or discards what a cleaning pass left when the
// process stopped: a BASE.END.swap file was committed, so every segment
// with a base in [BASE, END) is removed and the swap renamed to BASE.log;
// a .log.cleaned file was not, so it is removed. The directory is fsynced
// after each repair. It runs before the segments are listed.
func (p *Partition) recoverCleaner() error {
	ents, err := os.ReadDir(p.dir)
	if err != nil {
		return fmt.Errorf("log: reading partition dir: %w", err)
	}
	var bases []int64
	for _, e := range ents {
		if b, ok := strings.CutSuffix(e.Name(), ".log"); ok {
			if v, err := strconv.ParseInt(b, 10, 64); err == nil {
				bases = append(bases, v)
			}
		}
	}
	changed := false
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, cleanedExt) {
			if err := os.Remove(filepath.Join(p.dir, name)); err != nil {
				return fmt.Errorf("log: removing unfinished cleaned segment: %w", err)
			}
			p.logger.Info("log: removed a cleaned segment the cleaner did not commit", "dir", p.dir, "file", name)
			changed = true
			continue
		}
		base, end, ok := parseSwapName(name)
		if !ok {
			continue
		}
		for _, b := range bases {
			if b >= base && b < end {
				s := &segment{path: segmentPath(p.dir, b)}
				if err := s.removeFiles(); err != nil {
					return err
				}
			}
		}
		// BASE's index files described the old segment.
		(&segment{path: segmentPath(p.dir, base)}).removeFiles()
		if err := syncDir(p.dir); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(p.dir, name), segmentPath(p.dir, base)+".log"); err != nil {
			return fmt.Errorf("log: installing committed cleaned segment: %w", err)
		}
		p.logger.Info("log: completed an interrupted cleaner swap", "dir", p.dir, "base", base, "end", end)
		changed = true
	}
	if changed {
		return syncDir(p.dir)
	}
	return nil
}

// writeCleanerCheckpoint persists the cleaner checkpoint and the earliest
// kept tombstone's delete horizon (file mode only).
func (p *Partition) writeCleanerCheckpoint(offset, horizon int64) error {
	if p.dir == "" {
		return nil
	}
	content := strconv.FormatInt(offset, 10) + " " + strconv.FormatInt(horizon, 10) + "\n"
	if err := writeFileSynced(p.dir, cleanerCheckpointName, content); err != nil {
		return fmt.Errorf("log: writing cleaner checkpoint: %w", err)
	}
	return nil
}

// readCleanerCheckpoint loads the cleaner checkpoint into p.c; a missing or
// malformed file means nothing is known clean (a malformed one is logged).
func (p *Partition) readCleanerCheckpoint() error {
	b, err := os.ReadFile(filepath.Join(p.dir, cleanerCheckpointName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("log: reading cleaner checkpoint: %w", err)
	}
	f := strings.Fields(string(b))
	var off, hz int64
	var e1, e2 error
	if len(f) == 2 {
		off, e1 = strconv.ParseInt(f[0], 10, 64)
		hz, e2 = strconv.ParseInt(f[1], 10, 64)
	}
	if len(f) != 2 || e1 != nil || e2 != nil || off < 0 || hz < 0 {
		p.logger.Warn("log: ignoring malformed cleaner checkpoint", "dir", p.dir)
		return nil
	}
	p.c.checkpoint, p.c.horizon = off, hz
	return nil
}
