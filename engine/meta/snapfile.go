package meta

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Snapshot files: snapshots/<index, 20 digits>.snap in the wal directory
// (tidwall/wal skips directories when it loads). See the package doc for
// the layout.
const (
	snapDirName = "snapshots"
	snapSuffix  = ".snap"
	tmpSuffix   = ".tmp"  // a snapshot being written
	walTemp     = ".TEMP" // tidwall/wal's file being written by a truncation
	// snapVersion is the newest layout version this build reads and
	// writes. Version 2 adds broker_configs (the state
	// BrokerConfigChanged records build), version 3 registry (the schema
	// registry's state); a snapshot is written with the lowest version
	// that holds its state, so one without either is still version 1,
	// which older builds read.
	snapVersion = 3
	// snapHeader is magic, version, index, payload length and CRC.
	snapHeader = 4 + 1 + 8 + 8 + 4
	// snapKeep is how many snapshots are kept: the newest and one older,
	// in case the newest is damaged later.
	snapKeep = 2
)

// snapMagic opens every snapshot file. It and the version byte after it
// keep their place in every layout version.
const snapMagic = "SLMS"

// The snapshot payload, a JSON object. Field names are the on-disk
// contract, with the same rules as record payloads: readers ignore fields
// they do not know.
type (
	wireSnapshot struct {
		LastIndex      uint64      `json:"last_index"`
		NextProducerID int64       `json:"next_producer_id"`
		Time           time.Time   `json:"time"`
		Topics         []wireTopic `json:"topics"`
		// BrokerConfigs is new in version 2.
		BrokerConfigs map[string]string `json:"broker_configs,omitempty"`
		// Registry is new in version 3.
		Registry *wireRegistry `json:"registry,omitempty"`
	}
	wireTopic struct {
		Name       string            `json:"name"`
		ID         wireID            `json:"id"`
		Partitions int32             `json:"partitions"`
		Configs    map[string]string `json:"configs,omitempty"`
	}
)

// snapInfo describes a snapshot file.
type snapInfo struct {
	index uint64
	time  time.Time // when it was written, from its payload
	size  int64     // file size in bytes
}

func snapDir(dir string) string { return filepath.Join(dir, snapDirName) }

func snapName(index uint64) string { return fmt.Sprintf("%020d%s", index, snapSuffix) }

// parseSnapName returns the index a snapshot file name carries.
func parseSnapName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, snapSuffix)
	if !ok || len(digits) != 20 {
		return 0, false
	}
	idx, err := strconv.ParseUint(digits, 10, 64)
	return idx, err == nil && idx > 0
}

// encodeSnapshot returns the snapshot file of st.
func encodeSnapshot(st *state, now time.Time) ([]byte, error) {
	w := wireSnapshot{
		LastIndex:      st.lastIndex,
		NextProducerID: st.nextProducerID,
		Time:           now.UTC(),
		Topics:         make([]wireTopic, 0, st.topics.Len()),
		BrokerConfigs:  st.brokerConfigs,
		Registry:       encodeRegistry(st.registry),
	}
	for _, t := range st.topicsSorted() {
		w.Topics = append(w.Topics, wireTopic{t.Name, t.ID, t.Partitions, t.Configs})
	}
	payload, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("meta: encoding snapshot at %d: %w", st.lastIndex, err)
	}
	b := make([]byte, snapHeader, snapHeader+len(payload))
	copy(b, snapMagic)
	b[4] = 1
	if len(st.brokerConfigs) > 0 {
		b[4] = 2 // an older build must refuse it, not drop the overrides
	}
	if w.Registry != nil {
		b[4] = 3 // the same for the registry's state
	}
	binary.LittleEndian.PutUint64(b[5:], st.lastIndex)
	binary.LittleEndian.PutUint64(b[13:], uint64(len(payload)))
	crc := crc32.Update(crc32.Checksum(b[:21], castagnoli), castagnoli, payload)
	binary.LittleEndian.PutUint32(b[21:], crc)
	return append(b, payload...), nil
}

// decodeSnapshot decodes a snapshot file that its name says covers index.
// Errors: ErrNewerVersion, or ErrCorrupt for anything else wrong (bad
// magic, checksum, index, payload, or a state that could not have been
// built by records). It never panics.
func decodeSnapshot(b []byte, index uint64) (*state, snapInfo, error) {
	info := snapInfo{index: index, size: int64(len(b))}
	if len(b) < 5 || string(b[:4]) != snapMagic {
		return nil, info, fmt.Errorf("%w: not a snapshot file", ErrCorrupt)
	}
	switch v := b[4]; {
	case v == 0:
		return nil, info, fmt.Errorf("%w: snapshot version 0", ErrCorrupt)
	case v > snapVersion:
		return nil, info, fmt.Errorf("%w: snapshot version %d, this build reads %d", ErrNewerVersion, v, snapVersion)
	}
	if len(b) < snapHeader {
		return nil, info, fmt.Errorf("%w: snapshot header cut short", ErrCorrupt)
	}
	payload := b[snapHeader:]
	if n := binary.LittleEndian.Uint64(b[13:]); n != uint64(len(payload)) {
		return nil, info, fmt.Errorf("%w: snapshot payload is %d bytes, header says %d", ErrCorrupt, len(payload), n)
	}
	crc := crc32.Update(crc32.Checksum(b[:21], castagnoli), castagnoli, payload)
	if crc != binary.LittleEndian.Uint32(b[21:]) {
		return nil, info, fmt.Errorf("%w: snapshot checksum mismatch", ErrCorrupt)
	}
	if h := binary.LittleEndian.Uint64(b[5:]); h != index {
		return nil, info, fmt.Errorf("%w: snapshot named %d holds index %d", ErrCorrupt, index, h)
	}
	var w wireSnapshot
	if err := json.Unmarshal(payload, &w); err != nil {
		return nil, info, fmt.Errorf("%w: snapshot payload: %v", ErrCorrupt, err)
	}
	if w.LastIndex != index {
		return nil, info, fmt.Errorf("%w: snapshot named %d has payload for %d", ErrCorrupt, index, w.LastIndex)
	}
	if w.NextProducerID < 0 {
		return nil, info, fmt.Errorf("%w: snapshot next producer id %d", ErrCorrupt, w.NextProducerID)
	}
	// Rebuild through apply, so a snapshot obeys every rule records do.
	st := newState()
	for _, t := range w.Topics {
		if _, err := st.apply(TopicCreated{t.Name, t.ID, t.Partitions, t.Configs}); err != nil {
			return nil, info, fmt.Errorf("%w: snapshot topic: %w", ErrCorrupt, err)
		}
	}
	if len(w.BrokerConfigs) > 0 {
		if b[4] < 2 {
			return nil, info, fmt.Errorf("%w: version 1 snapshot with broker configs", ErrCorrupt)
		}
		if _, err := st.apply(BrokerConfigChanged{Set: w.BrokerConfigs}); err != nil {
			return nil, info, fmt.Errorf("%w: snapshot broker configs: %w", ErrCorrupt, err)
		}
	}
	if w.Registry != nil {
		if b[4] < 3 {
			return nil, info, fmt.Errorf("%w: version %d snapshot with registry state", ErrCorrupt, b[4])
		}
		if err := decodeRegistry(st, w.Registry); err != nil {
			return nil, info, fmt.Errorf("%w: snapshot registry: %w", ErrCorrupt, err)
		}
	}
	st.nextProducerID = w.NextProducerID
	st.lastIndex = w.LastIndex
	info.time = w.Time
	return st, info, nil
}

// listSnapshots returns the indexes of the snapshot files in dir's
// snapshots directory, newest first; nil if there is no such directory.
func listSnapshots(dir string) ([]uint64, error) {
	des, err := os.ReadDir(snapDir(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("meta: listing snapshots in %s: %w", dir, err)
	}
	var idxs []uint64
	for _, de := range des {
		if idx, ok := parseSnapName(de.Name()); ok && de.Type().IsRegular() {
			idxs = append(idxs, idx)
		}
	}
	slices.Sort(idxs)
	slices.Reverse(idxs)
	return idxs, nil
}

// loaded is what loadSnapshot found.
type loaded struct {
	st   *state   // the newest valid snapshot's state; nil if none
	info snapInfo // its file
	bad  []uint64 // damaged snapshots newer than st, to delete once Open succeeds
	why  []error  // why each of bad is damaged
}

// loadSnapshot loads the newest snapshot in dir that validates. A damaged
// one is logged at Warn and the next older one tried. A snapshot from a
// newer version fails with ErrNewerVersion: it is neither skipped nor
// deleted.
func loadSnapshot(dir string, logger *slog.Logger) (loaded, error) {
	var ld loaded
	idxs, err := listSnapshots(dir)
	if err != nil {
		return ld, err
	}
	for _, idx := range idxs {
		path := filepath.Join(snapDir(dir), snapName(idx))
		b, err := os.ReadFile(path)
		if err != nil {
			return ld, fmt.Errorf("meta: reading snapshot %s: %w", path, err)
		}
		st, info, err := decodeSnapshot(b, idx)
		if errors.Is(err, ErrNewerVersion) {
			return ld, fmt.Errorf("meta: snapshot %s: %w", path, err)
		}
		if err != nil {
			logger.Warn("meta: skipping damaged snapshot", "file", path, "err", err)
			ld.bad = append(ld.bad, idx)
			ld.why = append(ld.why, err)
			continue
		}
		ld.st, ld.info = st, info
		return ld, nil
	}
	return ld, nil
}

// removeTemps removes files left by a crash in the middle of writing: a
// snapshot being written (snapshots/*.tmp) and tidwall/wal's copy of a
// segment being truncated (*.TEMP, which the wal never looks at again).
// Each removal is logged at Warn.
func removeTemps(dir string, logger *slog.Logger) error {
	for _, c := range []struct{ dir, suffix string }{{dir, walTemp}, {snapDir(dir), tmpSuffix}} {
		des, err := os.ReadDir(c.dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("meta: listing %s: %w", c.dir, err)
		}
		removed := false
		for _, de := range des {
			if de.IsDir() || !strings.HasSuffix(de.Name(), c.suffix) {
				continue
			}
			path := filepath.Join(c.dir, de.Name())
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("meta: removing leftover %s: %w", path, err)
			}
			logger.Warn("meta: removed file left by an interrupted write", "file", path)
			removed = true
		}
		if removed {
			if err := syncDir(c.dir); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeSnapshots deletes the snapshots with the given indexes and fsyncs
// the directory.
func removeSnapshots(dir string, idxs []uint64) error {
	if len(idxs) == 0 {
		return nil
	}
	for _, idx := range idxs {
		path := filepath.Join(snapDir(dir), snapName(idx))
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("meta: removing snapshot %s: %w", path, err)
		}
	}
	return syncDir(snapDir(dir))
}

// pruneSnapshots deletes all but the newest snapKeep snapshots.
func pruneSnapshots(dir string) error {
	idxs, err := listSnapshots(dir)
	if err != nil || len(idxs) <= snapKeep {
		return err
	}
	return removeSnapshots(dir, idxs[snapKeep:])
}

// writeSnapshot writes st as a snapshot file: to a temp file, fsynced,
// renamed to its final name, and the directory fsynced. It calls step at
// the named points (a test hook; an error from it stops everything right
// there, as a crash would, leaving files as they are).
func writeSnapshot(dir string, st *state, now time.Time, step func(string) error) (snapInfo, error) {
	b, err := encodeSnapshot(st, now)
	if err != nil {
		return snapInfo{}, err
	}
	sd := snapDir(dir)
	if err := makeDir(sd); err != nil {
		return snapInfo{}, err
	}
	final := filepath.Join(sd, snapName(st.lastIndex))
	tmp := final + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return snapInfo{}, fmt.Errorf("meta: writing snapshot: %w", err)
	}
	half := len(b) / 2
	_, err = f.Write(b[:half])
	if err == nil {
		if err = step("snapshot-half-written"); err != nil {
			f.Close()
			return snapInfo{}, err
		}
		_, err = f.Write(b[half:])
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return snapInfo{}, fmt.Errorf("meta: writing snapshot %s: %w", tmp, err)
	}
	if err := step("snapshot-written"); err != nil {
		return snapInfo{}, err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return snapInfo{}, fmt.Errorf("meta: renaming snapshot into place: %w", err)
	}
	if err := step("snapshot-renamed"); err != nil {
		return snapInfo{}, err
	}
	if err := syncDir(sd); err != nil {
		return snapInfo{}, err
	}
	return snapInfo{index: st.lastIndex, time: now.UTC(), size: int64(len(b))}, nil
}
