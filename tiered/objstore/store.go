package objstore

import (
	"context"
	"errors"
	"io"
)

// ErrNotFound is wrapped by a Store's errors for a key that holds no object.
var ErrNotFound = errors.New("objstore: object not found")

// Object describes one stored object.
type Object struct {
	Key  string
	Size int64
}

// Store is an object store: S3 (s3://bucket/prefix) or a local directory
// (file://DIR). Keys are relative to the store's prefix, '/'-separated, and
// never a "directory" of another key (an object "a" and an object "a/b" do
// not both exist; some S3-compatible servers map keys to files). Every
// method is safe for concurrent use. A Put is atomic: readers see the old
// object or the whole new one, never part of it.
type Store interface {
	// Put stores size bytes read from body under key, replacing any
	// object there. body is read from its start; it may be read again if
	// the request is retried.
	Put(ctx context.Context, key string, body io.ReadSeeker, size int64) error
	// Get returns the whole object under key.
	Get(ctx context.Context, key string) ([]byte, error)
	// GetRange returns n bytes of the object under key from offset off
	// (fewer only if the object ends first).
	GetRange(ctx context.Context, key string, off, n int64) ([]byte, error)
	// Size returns the size of the object under key.
	Size(ctx context.Context, key string) (int64, error)
	// List returns every object whose key starts with prefix, in key order.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Delete removes the objects under keys; a key holding nothing is not
	// an error.
	Delete(ctx context.Context, keys ...string) error
	// String names the store for logs: its URL, without credentials.
	String() string
}
