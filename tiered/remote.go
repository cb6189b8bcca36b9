package tiered

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/streamlite/streamlite/tiered/objstore"
)

// Remote is the remote tier of one partition: its manifest, the segments
// it lists in the object store, and the reads and deletions over them. It
// is safe for concurrent use; see the package doc for the lock order.
type Remote struct {
	store  objstore.Store
	ref    PartitionRef
	prefix string // partitionPrefix(ref)
	cache  *Cache // nil: reads go to the store uncached
	logger *slog.Logger

	// man is the published manifest, never modified once stored.
	man atomic.Pointer[manifest]

	// upload is lock 1: held by Upload throughout and by DeleteAll.
	upload sync.Mutex
	// mu is lock 2 (after upload): held while a manifest change is
	// computed, written and published and dropped objects are deleted. It
	// guards pending.
	mu sync.Mutex
	// pending are keys of dropped segments whose deletion failed after the
	// manifest stopped listing them; the next change retries them.
	pending []string
}

// OpenRemote opens the remote tier of ref in store: it loads the
// manifest (none means an empty tier), checks that every object it lists
// is stored with the recorded size, and deletes the objects under the
// partition's prefix it does not list, which an upload or deletion a crash
// interrupted left. The caller guarantees that no upload of this
// partition runs yet. cache, if not nil, must read from the same store;
// without one reads go to the store directly. A manifest that cannot be
// read or that disagrees with the store is an error (ErrCorrupt), never an
// empty tier.
func OpenRemote(ctx context.Context, store objstore.Store, ref PartitionRef, cache *Cache, logger *slog.Logger) (*Remote, error) {
	if err := ref.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Remote{store: store, ref: ref, prefix: partitionPrefix(ref), cache: cache,
		logger: logger.With("partition", ref.String())}
	m := emptyManifest(ref)
	b, err := store.Get(ctx, r.manifestKey())
	switch {
	case errors.Is(err, objstore.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("tiered: opening %s: reading manifest: %w", ref, err)
	default:
		if m, err = decodeManifest(b, ref); err != nil {
			return nil, fmt.Errorf("tiered: opening %s: %w", ref, err)
		}
	}
	objs, err := store.List(ctx, r.prefix)
	if err != nil {
		return nil, fmt.Errorf("tiered: opening %s: listing objects: %w", ref, err)
	}
	want := make(map[string]int64, 3*len(m.Segments))
	for _, s := range m.Segments {
		keys := segmentKeys(r.prefix, s.Base)
		want[keys[0]], want[keys[1]], want[keys[2]] = s.Size, s.IndexSize, s.TimeIndexSize
	}
	var orphans []string
	for _, o := range objs {
		size, listed := want[o.Key]
		switch {
		case o.Key == r.manifestKey():
		case !listed:
			orphans = append(orphans, o.Key)
		case size != o.Size:
			return nil, fmt.Errorf("tiered: opening %s: %w: object %s has %d bytes, the manifest says %d", ref, ErrCorrupt, o.Key, o.Size, size)
		default:
			delete(want, o.Key)
		}
	}
	if len(want) > 0 {
		missing := make([]string, 0, len(want))
		for k := range want {
			missing = append(missing, k)
		}
		slices.Sort(missing)
		return nil, fmt.Errorf("tiered: opening %s: %w: %d objects the manifest lists are missing, first %s", ref, ErrCorrupt, len(missing), missing[0])
	}
	if len(orphans) > 0 {
		if err := store.Delete(ctx, orphans...); err != nil {
			return nil, fmt.Errorf("tiered: opening %s: deleting %d orphaned objects: %w", ref, len(orphans), err)
		}
		if cache != nil {
			cache.forget(orphans...)
		}
		r.logger.Info("tiered: removed objects the manifest does not list (an interrupted upload or deletion)",
			"count", len(orphans), "first", orphans[0], "last", orphans[len(orphans)-1])
	}
	r.man.Store(m)
	return r, nil
}

func (r *Remote) manifestKey() string { return r.prefix + manifestName }

// Ref returns the partition the tier belongs to.
func (r *Remote) Ref() PartitionRef { return r.ref }

// StartOffset is the first offset the tier can serve, -1 if it holds no
// segment.
func (r *Remote) StartOffset() int64 {
	m := r.man.Load()
	if len(m.Segments) == 0 {
		return -1
	}
	return m.StartOffset
}

// EndOffset is the offset after the last batch ever uploaded, -1 if
// nothing was: every closed segment below it is safely stored (or was
// deleted from the tier by retention or DeleteBefore, which keep it).
func (r *Remote) EndOffset() int64 { return r.man.Load().EndOffset }

// Bytes is the size of the tier's .log objects (what retention.bytes
// counts; indexes are not included).
func (r *Remote) Bytes() int64 { return r.man.Load().bytes }

// Segments returns the tier's segments, oldest first. The slice is the
// caller's.
func (r *Remote) Segments() []SegmentInfo { return slices.Clone(r.man.Load().Segments) }

// publishLocked writes m as the manifest and publishes it. r.mu must be
// held.
func (r *Remote) publishLocked(ctx context.Context, m *manifest) error {
	b, err := m.encode()
	if err != nil {
		return err
	}
	if err := putBytes(ctx, r.store, r.manifestKey(), b); err != nil {
		return fmt.Errorf("tiered: %s: writing manifest: %w", r.ref, err)
	}
	r.man.Store(m)
	return nil
}

// readAt fills p from the object key (of size bytes) at off, through the
// cache if there is one. seq marks reads of a consumer's batches (see
// Cache.ReadAt).
func (r *Remote) readAt(ctx context.Context, key string, size int64, p []byte, off int64, seq bool) error {
	if r.cache != nil {
		return r.cache.readAt(ctx, key, size, p, off, seq)
	}
	b, err := r.store.GetRange(ctx, key, off, int64(len(p)))
	if err != nil {
		return fmt.Errorf("tiered: reading %s: %w", key, err)
	}
	if len(b) != len(p) {
		return fmt.Errorf("%w: object %s has %d bytes at %d, want %d", ErrCorrupt, key, len(b), off, len(p))
	}
	copy(p, b)
	return nil
}
