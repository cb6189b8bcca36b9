package log

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// RemoteTier is the part of a partition's log kept in an object store
// (package tiered): closed segments copied there, readable after their
// local copies are gone. Its methods are safe for concurrent use.
type RemoteTier interface {
	// StartOffset is the first offset the tier can serve, -1 if empty.
	StartOffset() int64
	// EndOffset is the offset after the last batch the tier holds, -1 if
	// empty: every closed segment below it is safely stored.
	EndOffset() int64
	// Read appends whole batches from the one containing offset, as
	// Partition.Read does, from the tier.
	Read(ctx context.Context, offset int64, maxBytes int, minOne bool, buf []byte) ([]byte, error)
	// OffsetForTimestamp is the first offset of a batch whose max timestamp
	// is >= ts, ok=false if the tier holds none.
	OffsetForTimestamp(ctx context.Context, ts int64) (offset int64, ok bool, err error)
	// DeleteBefore moves the tier's start to offset (DeleteRecords),
	// deleting what lies wholly below it.
	DeleteBefore(ctx context.Context, offset int64) error
}

// remoteRef holds an attached tier (atomic.Pointer needs a concrete type).
type remoteRef struct{ RemoteTier }

// remoteRangeName is the file, in a partition's directory, that remembers
// which offsets the remote tier held at its last change, so a restarted
// broker answers for them before the tier is attached again (its
// manifest read from the object store).
const remoteRangeName = "remote-tier.checkpoint"

// remoteRange is the remote tier's offsets as last recorded: [start, end).
type remoteRange struct{ start, end int64 }

// ErrRemoteUnavailable is returned for offsets the remote tier holds while
// it is not attached (the object store not reached yet since start): a
// retriable condition, answered KAFKA_STORAGE_ERROR, not an out-of-range
// offset that would send consumers to the local start.
var ErrRemoteUnavailable = errors.New("log: the remote tier holding these offsets is not available yet")

// SetRemoteRange records the offsets the remote tier holds, durably, for
// the next start (see ErrRemoteUnavailable). The tier's owner calls it after
// every change of the tier's start or end; start -1 means empty.
func (p *Partition) SetRemoteRange(start, end int64) error {
	rr := &remoteRange{start, end}
	if old := p.remoteRange.Load(); old != nil && *old == *rr {
		return nil
	}
	if p.dir != "" {
		if err := writeFileSynced(p.dir, remoteRangeName, fmt.Sprintf("%d %d\n", start, end)); err != nil {
			return fmt.Errorf("log: recording the remote tier's range: %w", err)
		}
	}
	p.remoteRange.Store(rr)
	return nil
}

// loadRemoteRange reads the remote range file, if any (file mode).
func (p *Partition) loadRemoteRange() error {
	b, err := os.ReadFile(filepath.Join(p.dir, remoteRangeName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("log: reading %s: %w", remoteRangeName, err)
	}
	var rr remoteRange
	if _, err := fmt.Sscanf(string(b), "%d %d\n", &rr.start, &rr.end); err != nil {
		return fmt.Errorf("log: %s is damaged (%q): %w", remoteRangeName, b, err)
	}
	p.remoteRange.Store(&rr)
	return nil
}

// remoteBounds returns the remote tier's [start, end): the attached tier's,
// else the recorded range; ok=false when neither holds anything.
func (p *Partition) remoteBounds() (start, end int64, attached, ok bool) {
	if r := p.Remote(); r != nil {
		start, end = r.StartOffset(), r.EndOffset()
		return start, end, true, start >= 0
	}
	if rr := p.remoteRange.Load(); rr != nil && rr.start >= 0 {
		return rr.start, rr.end, false, true
	}
	return 0, 0, false, false
}

// AttachRemote attaches the partition's remote tier. Until a tier is
// attached, a RemoteStorage partition deletes nothing for local retention,
// and reads below the local log start fail as out of range.
func (p *Partition) AttachRemote(r RemoteTier) { p.remote.Store(&remoteRef{r}) }

// Remote returns the attached remote tier, or nil.
func (p *Partition) Remote() RemoteTier {
	if r := p.remote.Load(); r != nil {
		return r.RemoteTier
	}
	return nil
}

// LocalLogStartOffset is the first offset held on local disk. It equals
// LogStartOffset unless a remote tier holds older offsets.
func (p *Partition) LocalLogStartOffset() int64 { return p.logStart.Load() }

// InRemote reports whether offset is below the local log start and inside
// the attached remote tier, so a fetch of it is served by ReadRemote.
func (p *Partition) InRemote(offset int64) bool {
	if offset >= p.logStart.Load() {
		return false
	}
	start, end, _, ok := p.remoteBounds()
	return ok && offset >= start && offset < end
}

// ReadRemote reads from the remote tier as Read reads locally, for an
// offset InRemote accepts; otherwise ErrOffsetOutOfRange.
func (p *Partition) ReadRemote(ctx context.Context, offset int64, maxBytes int, minOne bool, buf []byte) ([]byte, error) {
	if !p.InRemote(offset) {
		return buf, ErrOffsetOutOfRange
	}
	r := p.Remote()
	if r == nil {
		return buf, ErrRemoteUnavailable
	}
	out, err := r.Read(ctx, offset, maxBytes, minOne, buf)
	if err != nil {
		return buf, fmt.Errorf("log: reading offset %d from the remote tier: %w", offset, err)
	}
	return out, nil
}

// SegmentFiles is a closed segment's files, for copying to the remote tier.
type SegmentFiles struct {
	Base         int64 // first offset the segment may hold
	Next         int64 // offset after its last batch
	Size         int64 // bytes of batches
	MaxTimestamp int64 // largest batch max timestamp, -1 if none
	Log          string
	Index        string
	TimeIndex    string
}

// ClosedSegments returns the sealed segments whose batches all lie below
// limit (a caller passes the high watermark or, for transactional data,
// the last stable offset) and at or above from, oldest first. Their files
// are final; a segment may still be deleted by retention while the caller
// reads them. Memory mode has none.
func (p *Partition) ClosedSegments(from, limit int64) []SegmentFiles {
	if p.dir == "" {
		return nil
	}
	p.s.RLock()
	defer p.s.RUnlock()
	var out []SegmentFiles
	for _, s := range p.s.segs {
		if !s.sealed || s.next > limit {
			break
		}
		if s.base < from || s.size == 0 {
			continue
		}
		out = append(out, SegmentFiles{
			Base: s.base, Next: s.next, Size: s.size, MaxTimestamp: s.maxTimestamp(),
			Log: s.path + ".log", Index: s.path + ".index", TimeIndex: s.path + ".timeindex",
		})
	}
	return out
}

// RemoteOffsetForTimestamp is OffsetForTimestamp over the remote tier: the
// earliest record below the local log start whose timestamp is >= ts, and
// its timestamp; ok=false when the tier holds none (the caller then asks
// the local log). The tier finds the batch; its records are decoded here.
func (p *Partition) RemoteOffsetForTimestamp(ctx context.Context, ts int64) (offset, timestamp int64, ok bool, err error) {
	start0, _, attached, held := p.remoteBounds()
	if !held || start0 >= p.logStart.Load() {
		return 0, 0, false, nil
	}
	if !attached {
		return 0, 0, false, ErrRemoteUnavailable
	}
	r := p.Remote()
	start, found, err := r.OffsetForTimestamp(ctx, ts)
	if err != nil || !found {
		return 0, 0, false, err
	}
	for from := max(start, r.StartOffset()); from < min(r.EndOffset(), p.logStart.Load()); {
		b, err := r.Read(ctx, from, 1<<20, true, nil)
		if err != nil {
			return 0, 0, false, fmt.Errorf("log: remote timestamp lookup at %d: %w", from, err)
		}
		if len(b) == 0 {
			return 0, 0, false, nil
		}
		next := int64(-1)
		WalkBatches(b, func(batch []byte) {
			if ok || err != nil {
				return
			}
			h, _ := parseHeader(batch)
			next = h.lastOffset() + 1
			if h.control() || h.maxTimestamp < ts {
				return
			}
			err = recordTimes(batch, func(rt recordTime) bool {
				if rt.offset >= from && rt.timestamp >= ts {
					offset, timestamp, ok = rt.offset, rt.timestamp, true
					return false
				}
				return true
			})
		})
		if ok || err != nil || next <= from {
			return offset, timestamp, ok, err
		}
		from = next
	}
	return 0, 0, false, nil
}

// DeleteRecordsBeforeContext is DeleteRecordsBefore over both tiers: the
// remote tier's start moves first (its objects below go), then the local
// log's. It returns the new log start offset.
func (p *Partition) DeleteRecordsBeforeContext(ctx context.Context, offset int64) (int64, error) {
	if r := p.Remote(); r != nil && r.StartOffset() >= 0 {
		target := offset
		if target == -1 {
			target = p.hw.Load()
		}
		if target < 0 || target > p.hw.Load() {
			return 0, ErrOffsetOutOfRange
		}
		if target > r.StartOffset() {
			if err := r.DeleteBefore(ctx, target); err != nil {
				return 0, fmt.Errorf("log: deleting records below %d from the remote tier: %w", target, err)
			}
			if err := p.SetRemoteRange(r.StartOffset(), r.EndOffset()); err != nil {
				return 0, err
			}
		}
	}
	if _, err := p.DeleteRecordsBefore(offset); err != nil {
		return 0, err
	}
	return p.LogStartOffset(), nil
}

// PrepareRemoteOnly makes dir (created if needed) a partition directory
// that opens as an empty log starting at end whose remote tier holds
// [start, end) (start -1: nothing), durably: how a restore rebuilds a
// partition whose records are all in the object store.
func PrepareRemoteOnly(dir string, start, end int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("log: creating %s: %w", dir, err)
	}
	if err := writeFileSynced(dir, checkpointName, strconv.FormatInt(end, 10)+"\n"); err != nil {
		return fmt.Errorf("log: writing the log start checkpoint in %s: %w", dir, err)
	}
	if start >= 0 {
		if err := writeFileSynced(dir, remoteRangeName, fmt.Sprintf("%d %d\n", start, end)); err != nil {
			return fmt.Errorf("log: writing the remote range in %s: %w", dir, err)
		}
	}
	return nil
}

// abortedFloor is where aborted transactions may be forgotten: below the
// log start over both tiers, since read_committed fetches of the remote
// tier still need to know which of its batches were aborted.
func (p *Partition) abortedFloor() int64 { return p.LogStartOffset() }
