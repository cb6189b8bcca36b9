package tiered

import "errors"

// Sentinel errors returned by this package, wrapped with context; compare
// with errors.Is. Errors of the object store are wrapped as they are (an
// absent object wraps objstore.ErrNotFound).
var (
	// ErrOffsetOutOfRange is returned by Read for an offset outside
	// [StartOffset, EndOffset), including one whose segment a concurrent
	// deletion removed while it was being read.
	ErrOffsetOutOfRange = errors.New("tiered: offset out of range")
	// ErrCorrupt is returned when what the store holds cannot be right: a
	// manifest or topic.json that fails to decode or validate, an object
	// the manifest lists that is missing or of another size, or batch
	// headers that do not parse where the indexes point.
	ErrCorrupt = errors.New("tiered: remote data corrupt")
	// ErrOutOfOrder is returned by Upload for a segment starting below
	// EndOffset that is not already in the manifest.
	ErrOutOfOrder = errors.New("tiered: segment out of order")
	// ErrInvalidSegment is returned by Upload for segment files that do not
	// match their SegmentFiles description or engine/log's formats (size,
	// offsets, index entries, max timestamp).
	ErrInvalidSegment = errors.New("tiered: invalid segment files")
	// ErrCacheClosed is returned by reads through a Cache after Close.
	ErrCacheClosed = errors.New("tiered: cache closed")
)
