package tiered

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/streamlite/streamlite/tiered/objstore"
)

// DeleteBefore moves the tier's start to offset (DeleteRecords): segments
// wholly below it are dropped, and a start inside a segment is recorded in
// the manifest so reads and OffsetForTimestamp honour it. The manifest is
// written first, then the dropped segments' objects deleted; a crash in
// between leaves orphans OpenRemote removes, and a failed deletion is
// retried by the next change. An offset at or below the start is a no-op;
// one past EndOffset empties the tier and is kept as the start for the
// next Upload.
func (r *Remote) DeleteBefore(ctx context.Context, offset int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.man.Load()
	if offset <= m.StartOffset {
		return r.deletePendingLocked(ctx)
	}
	k := 0
	for k < len(m.Segments) && m.Segments[k].Next <= offset {
		k++
	}
	_, err := r.dropFrontLocked(ctx, m, k, offset)
	return err
}

// EnforceRetention applies Kafka's retention rules to the tier: from the
// oldest, a segment is dropped while its max timestamp is more than
// retentionMs before now (-1: kept forever; a segment without timestamps is
// never old, as in engine/log), or while the log without it still holds
// retentionBytes (-1: unlimited) counting the tier's .log bytes plus
// totalLocalBytes, the bytes of the local log not in the tier. The first
// segment kept stops it. It returns how many segments were dropped from
// the tier (also when only deleting their objects then failed: they are
// retried by the next change); the manifest is written before objects are
// deleted, as in DeleteBefore.
func (r *Remote) EnforceRetention(ctx context.Context, now time.Time, retentionMs, retentionBytes, totalLocalBytes int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.man.Load()
	nowMs := now.UnixMilli()
	total := m.bytes + totalLocalBytes
	k := 0
	for ; k < len(m.Segments); k++ {
		s := m.Segments[k]
		byTime := retentionMs >= 0 && s.MaxTimestamp >= 0 && nowMs-s.MaxTimestamp > retentionMs
		bySize := retentionBytes >= 0 && total-s.Size >= retentionBytes
		if !byTime && !bySize {
			break
		}
		total -= s.Size
	}
	if k == 0 {
		return 0, r.deletePendingLocked(ctx)
	}
	start := m.EndOffset
	if k < len(m.Segments) {
		start = m.Segments[k].Base
	}
	if published, err := r.dropFrontLocked(ctx, m, k, start); err != nil {
		if !published {
			k = 0
		}
		return k, err
	}
	r.logger.Debug("tiered: retention dropped remote segments", "count", k, "start", r.StartOffset())
	return k, nil
}

// dropFrontLocked publishes a manifest without m's first k segments and
// starting at start, then deletes their objects. published reports whether
// the new manifest took effect (an error after it is a failed deletion,
// left pending). r.mu must be held.
func (r *Remote) dropFrontLocked(ctx context.Context, m *manifest, k int, start int64) (published bool, err error) {
	nm := m.with(slices.Clone(m.Segments[k:]), start, m.EndOffset)
	if err := r.publishLocked(ctx, nm); err != nil {
		return false, err
	}
	for _, s := range m.Segments[:k] {
		keys := segmentKeys(r.prefix, s.Base)
		r.pending = append(r.pending, keys[:]...)
	}
	if err := r.deletePendingLocked(ctx); err != nil {
		return true, fmt.Errorf("tiered: %s: the start moved to %d but: %w", r.ref, nm.StartOffset, err)
	}
	return true, nil
}

// deletePendingLocked deletes the objects of dropped segments and forgets
// their cached chunks; on failure they stay pending. r.mu must be held.
func (r *Remote) deletePendingLocked(ctx context.Context) error {
	if len(r.pending) == 0 {
		return nil
	}
	if r.cache != nil {
		r.cache.forget(r.pending...)
	}
	if err := r.store.Delete(ctx, r.pending...); err != nil {
		return fmt.Errorf("deleting %d objects of dropped segments: %w", len(r.pending), err)
	}
	r.pending = r.pending[:0]
	return nil
}

// DeleteAll removes the partition from the store (its topic was deleted):
// the manifest first, then every object under the partition's prefix, so
// an interrupted DeleteAll leaves only orphans, which OpenRemote (or
// DeleteAll again) removes. Afterwards the tier is empty, as if nothing had
// been uploaded.
func (r *Remote) DeleteAll(ctx context.Context) error {
	r.upload.Lock()
	defer r.upload.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.store.Delete(ctx, r.manifestKey()); err != nil {
		return fmt.Errorf("tiered: %s: deleting manifest: %w", r.ref, err)
	}
	r.man.Store(emptyManifest(r.ref))
	r.pending = r.pending[:0]
	objs, err := r.store.List(ctx, r.prefix)
	if err != nil {
		return fmt.Errorf("tiered: %s: listing objects to delete: %w", r.ref, err)
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	if r.cache != nil {
		r.cache.forget(keys...)
	}
	if err := r.store.Delete(ctx, keys...); err != nil {
		return fmt.Errorf("tiered: %s: deleting objects: %w", r.ref, err)
	}
	return nil
}

// putBytes stores b under key.
func putBytes(ctx context.Context, store objstore.Store, key string, b []byte) error {
	return store.Put(ctx, key, bytes.NewReader(b), int64(len(b)))
}
