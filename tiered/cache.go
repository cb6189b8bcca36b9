package tiered

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/streamlite/streamlite/tiered/objstore"
)

// Cache defaults.
const (
	// DefaultCacheBytes is CacheConfig.MaxBytes when zero.
	DefaultCacheBytes = 256 << 20
	// DefaultChunkSize is CacheConfig.ChunkSize when zero.
	DefaultChunkSize = 1 << 20
	// DefaultReadAhead is CacheConfig.ReadAhead when zero.
	DefaultReadAhead = 4
	// DefaultReadAheadWorkers is CacheConfig.ReadAheadWorkers when zero.
	DefaultReadAheadWorkers = 4

	chunkSuffix  = ".chunk"
	maxSeqKeys   = 4096 // .log objects whose last read chunk is remembered
	maxQueueSize = 256  // read-ahead chunks waiting for a worker
)

// CacheConfig configures a Cache. The zero value is usable: chunks in
// memory, DefaultCacheBytes of them.
type CacheConfig struct {
	// Dir holds cached chunks as files; "" keeps them in memory. The cache
	// owns the *.chunk files in it and deletes those it finds at start.
	Dir string
	// MaxBytes bounds the bytes of cached chunks (least recently used
	// go first); 0 means DefaultCacheBytes (256 MiB). A chunk being read
	// is served even when it does not fit.
	MaxBytes int64
	// ChunkSize is the unit objects are fetched (one GetRange) and cached
	// in; 0 means DefaultChunkSize (1 MiB).
	ChunkSize int64
	// ReadAhead is how many chunks past a sequential read of a .log object
	// are fetched in the background; 0 means DefaultReadAhead (4), -1 none.
	// Chunks of one large read after its first are fetched the same way,
	// in parallel with it, whatever this is (unless -1).
	ReadAhead int
	// ReadAheadWorkers bounds the goroutines fetching in the background;
	// 0 means DefaultReadAheadWorkers (4). They start on demand and exit
	// when idle.
	ReadAheadWorkers int
}

// CacheStats are a Cache's counters, for /metrics. Counts are of chunk
// reads: a Read spanning three chunks counts three.
type CacheStats struct {
	Hits       int64 // served from a cached chunk
	Misses     int64 // fetched from the store by the reader
	Joins      int64 // waited for a fetch already running (another reader's or read-ahead)
	ReadAheads int64 // chunks fetched in the background
	Evictions  int64 // chunks dropped to stay within MaxBytes
	Errors     int64 // fetches that failed
	Bytes      int64 // bytes cached now
	Chunks     int64 // chunks cached now
}

// Cache keeps fixed-size chunks of remote objects, in files under a
// directory or in memory, within a byte bound with LRU eviction. Concurrent
// reads of a chunk being fetched wait for that one fetch; sequential reads
// of a .log object make it fetch the next chunks in the background. One
// Cache serves every partition of one object store; it is safe for
// concurrent use. Objects are immutable once written (segment objects
// never change), so a cached chunk is never stale; Remote drops the chunks
// of objects it deletes.
type Cache struct {
	store  objstore.Store
	cfg    CacheConfig
	logger *slog.Logger
	ctx    context.Context // canceled by Close; background fetches use it
	cancel context.CancelFunc
	wg     sync.WaitGroup // background workers

	// mu guards everything below. It is a leaf lock, never held across
	// I/O: files are read, written and removed outside it.
	mu struct {
		sync.Mutex
		closed   bool
		entries  map[chunkID]*chunk
		lru      list.List // present chunks, most recently used at the front
		bytes    int64
		nextFile uint64
		seq      map[string]int64 // .log key -> last chunk read, for read-ahead
		queue    []fetchTask
		queued   map[chunkID]bool
		workers  int
		stats    CacheStats
		warned   bool // a failed chunk write was logged
	}
}

type chunkID struct {
	key string
	idx int64
}

// chunk is a cache entry: loading until done is closed, then present (in
// the LRU list) unless its fetch failed or it was dropped meanwhile.
type chunk struct {
	id      chunkID
	done    chan struct{}
	err     error // set before done is closed
	present bool
	size    int64
	data    []byte // memory mode; immutable once present
	path    string // directory mode
	elem    *list.Element
}

// fetchTask is a chunk queued for a background fetch.
type fetchTask struct {
	id   chunkID
	size int64
}

// NewCache returns a cache of chunks of store's objects. With cfg.Dir set,
// it creates the directory and removes chunk files a previous run left.
func NewCache(store objstore.Store, cfg CacheConfig, logger *slog.Logger) (*Cache, error) {
	if store == nil {
		return nil, errors.New("tiered: cache needs a store")
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultCacheBytes
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.ReadAhead == 0 {
		cfg.ReadAhead = DefaultReadAhead
	}
	if cfg.ReadAheadWorkers == 0 {
		cfg.ReadAheadWorkers = DefaultReadAheadWorkers
	}
	if cfg.MaxBytes < 0 || cfg.ChunkSize < 0 || cfg.ReadAhead < -1 || cfg.ReadAheadWorkers < 0 {
		return nil, fmt.Errorf("tiered: invalid cache config %+v", cfg)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Dir != "" {
		if err := clearChunkDir(cfg.Dir); err != nil {
			return nil, err
		}
	}
	c := &Cache{store: store, cfg: cfg, logger: logger}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.mu.entries = make(map[chunkID]*chunk)
	c.mu.seq = make(map[string]int64)
	c.mu.queued = make(map[chunkID]bool)
	return c, nil
}

// clearChunkDir creates dir and removes the chunk files in it.
func clearChunkDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tiered: creating cache dir: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("tiered: reading cache dir: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), chunkSuffix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("tiered: clearing cache dir: %w", err)
			}
		}
	}
	return nil
}

// Store returns the object store the cache reads from.
func (c *Cache) Store() objstore.Store { return c.store }

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.mu.stats
	s.Bytes, s.Chunks = c.mu.bytes, int64(c.mu.lru.Len())
	return s
}

// Close stops background fetches and waits for their goroutines. Reads
// after Close fail with ErrCacheClosed; chunk files stay until the next
// NewCache on the directory.
func (c *Cache) Close() error {
	c.mu.Lock()
	c.mu.closed = true
	c.mu.queue, c.mu.queued = nil, nil
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	return nil
}

// ReadAt fills p from the object key, of size objSize, at off, through
// the cache. Reads of a .log object that continue the previous one start
// read-ahead.
func (c *Cache) ReadAt(ctx context.Context, key string, objSize int64, p []byte, off int64) error {
	return c.readAt(ctx, key, objSize, p, off, true)
}

// readAt is ReadAt; seq=false keeps the read out of sequential-read
// detection (batch header probes, index lookups).
func (c *Cache) readAt(ctx context.Context, key string, objSize int64, p []byte, off int64, seq bool) error {
	if len(p) == 0 {
		return nil
	}
	end := off + int64(len(p))
	if off < 0 || end > objSize {
		return fmt.Errorf("tiered: reading %s: range %d+%d outside %d bytes", key, off, len(p), objSize)
	}
	cs := c.cfg.ChunkSize
	first, last := off/cs, (end-1)/cs
	c.noteRead(key, first, last, objSize, seq)
	for idx := first; idx <= last; idx++ {
		cstart := idx * cs
		from, to := max(off, cstart), min(end, cstart+cs)
		err := c.readChunk(ctx, chunkID{key, idx}, min(cs, objSize-cstart), p[from-off:to-off], from-cstart)
		if err != nil {
			return err
		}
	}
	return nil
}

// readChunk fills dst from chunk id (of size bytes) at from.
func (c *Cache) readChunk(ctx context.Context, id chunkID, size int64, dst []byte, from int64) error {
	for {
		c.mu.Lock()
		if c.mu.closed {
			c.mu.Unlock()
			return ErrCacheClosed
		}
		e := c.mu.entries[id]
		switch {
		case e != nil && e.present:
			c.mu.stats.Hits++
			c.mu.lru.MoveToFront(e.elem)
			data, path := e.data, e.path
			c.mu.Unlock()
			if data != nil {
				copy(dst, data[from:])
				return nil
			}
			err := readFileAt(path, dst, from)
			if errors.Is(err, fs.ErrNotExist) {
				continue // evicted since: fetch it again
			}
			return err
		case e != nil:
			c.mu.stats.Joins++
			c.mu.Unlock()
			select {
			case <-e.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			if e.err != nil && !(isContextErr(e.err) && ctx.Err() == nil) {
				return e.err
			}
			continue // present now, or its fetcher gave up: look again
		}
		c.mu.stats.Misses++
		e = &chunk{id: id, done: make(chan struct{})}
		c.mu.entries[id] = e
		c.mu.Unlock()
		data, err := c.fetch(ctx, e, size)
		if err != nil {
			return err
		}
		copy(dst, data[from:])
		return nil
	}
}

// fetch loads the chunk e, which the caller registered as loading, from
// the store, caches it and wakes its waiters. The bytes are returned
// whether or not they could be kept.
func (c *Cache) fetch(ctx context.Context, e *chunk, size int64) ([]byte, error) {
	data, err := c.store.GetRange(ctx, e.id.key, e.id.idx*c.cfg.ChunkSize, size)
	if err == nil && int64(len(data)) != size {
		err = fmt.Errorf("%w: object %s has %d bytes at %d, want %d", ErrCorrupt, e.id.key, len(data), e.id.idx*c.cfg.ChunkSize, size)
	}
	if err != nil {
		err = fmt.Errorf("tiered: fetching %s chunk %d: %w", e.id.key, e.id.idx, err)
	}
	var path string
	keep := err == nil
	if keep && c.cfg.Dir != "" {
		c.mu.Lock()
		c.mu.nextFile++
		path = filepath.Join(c.cfg.Dir, fmt.Sprintf("%d%s", c.mu.nextFile, chunkSuffix))
		c.mu.Unlock()
		if werr := os.WriteFile(path, data, 0o644); werr != nil {
			_ = os.Remove(path)
			keep = false
			c.warnWrite(werr)
		}
	}

	var evicted []string
	c.mu.Lock()
	if err != nil {
		c.mu.stats.Errors++
	}
	current := c.mu.entries[e.id] == e
	if keep && current && !c.mu.closed {
		e.present, e.size, e.path = true, size, path
		if path == "" {
			e.data = data
		}
		e.elem = c.mu.lru.PushFront(e)
		c.mu.bytes += size
		evicted = c.evictLocked()
	} else {
		if current {
			delete(c.mu.entries, e.id)
		}
		if path != "" {
			evicted = append(evicted, path)
		}
	}
	e.err = err
	close(e.done)
	c.mu.Unlock()
	removeFiles(evicted)
	return data, err
}

// evictLocked drops least recently used chunks until the bound holds and
// returns their files for the caller to remove after unlocking.
func (c *Cache) evictLocked() []string {
	var paths []string
	for c.mu.bytes > c.cfg.MaxBytes && c.mu.lru.Len() > 0 {
		e := c.mu.lru.Back().Value.(*chunk)
		if p := c.removeLocked(e); p != "" {
			paths = append(paths, p)
		}
		c.mu.stats.Evictions++
	}
	return paths
}

// removeLocked takes a present chunk out of the cache and returns its file.
func (c *Cache) removeLocked(e *chunk) string {
	c.mu.lru.Remove(e.elem)
	delete(c.mu.entries, e.id)
	c.mu.bytes -= e.size
	return e.path
}

// forget drops every cached chunk of keys (objects deleted from the store)
// and any background fetch of them; fetches running now are not kept.
func (c *Cache) forget(keys ...string) {
	if len(keys) == 0 {
		return
	}
	gone := make(map[string]bool, len(keys))
	for _, k := range keys {
		gone[k] = true
	}
	var paths []string
	c.mu.Lock()
	for id, e := range c.mu.entries {
		if !gone[id.key] {
			continue
		}
		if e.present {
			if p := c.removeLocked(e); p != "" {
				paths = append(paths, p)
			}
		} else {
			delete(c.mu.entries, id) // its fetch will see it is no longer current
		}
	}
	q := c.mu.queue[:0]
	for _, t := range c.mu.queue {
		if gone[t.id.key] {
			delete(c.mu.queued, t.id)
		} else {
			q = append(q, t)
		}
	}
	c.mu.queue = q
	for k := range gone {
		delete(c.mu.seq, k)
	}
	c.mu.Unlock()
	removeFiles(paths)
}

func (c *Cache) warnWrite(err error) {
	c.mu.Lock()
	warned := c.mu.warned
	c.mu.warned = true
	c.mu.Unlock()
	if !warned {
		c.logger.Warn("tiered: cannot write cache chunk; serving uncached", "dir", c.cfg.Dir, "err", err)
	}
}

// readFileAt fills dst from the file at path, offset off.
func readFileAt(path string, dst []byte, off int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("tiered: reading cache chunk: %w", err)
	}
	defer f.Close()
	n, err := f.ReadAt(dst, off)
	if n == len(dst) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("tiered: reading cache chunk: %w", err)
}

func removeFiles(paths []string) {
	for _, p := range paths {
		_ = os.Remove(p) // a leftover is cleared by the next NewCache
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
