package tiered

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// putObject stores n pseudo-random bytes under key and returns them.
func putObject(t testing.TB, st *testStore, key string, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	if err := putBytes(context.Background(), st, key, b); err != nil {
		t.Fatal(err)
	}
	return b
}

// readChunkByte reads one byte of chunk idx (chunks of 1000 bytes) and
// checks it.
func readChunkByte(t testing.TB, c *Cache, key string, obj []byte, idx int64) {
	t.Helper()
	var p [1]byte
	off := idx*1000 + 17
	if err := c.ReadAt(context.Background(), key, int64(len(obj)), p[:], off); err != nil {
		t.Fatal(err)
	}
	if p[0] != obj[off] {
		t.Fatalf("byte at %d = %d, want %d", off, p[0], obj[off])
	}
}

// waitIdle waits until no background fetch is queued or running.
func waitIdle(t testing.TB, c *Cache) {
	t.Helper()
	waitFor(t, "read-ahead to finish", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.mu.workers == 0 && len(c.mu.queue) == 0
	})
}

func chunkFiles(t testing.TB, dir string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+chunkSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

func TestCacheLRU(t *testing.T) {
	for _, mode := range []string{"memory", "dir"} {
		t.Run(mode, func(t *testing.T) {
			st := wrapStore(newFileStore(t))
			cfg := CacheConfig{ChunkSize: 1000, MaxBytes: 4000, ReadAhead: -1}
			if mode == "dir" {
				cfg.Dir = t.TempDir()
			}
			c := newTestCache(t, st, cfg)
			obj := putObject(t, st, "o.log", 20_500)
			for i := range int64(10) {
				readChunkByte(t, c, "o.log", obj, i)
			}
			s := c.Stats()
			if s.Bytes > cfg.MaxBytes || s.Chunks != 4 || s.Evictions != 6 || s.Misses != 10 {
				t.Fatalf("after 10 chunks: %+v", s)
			}
			if mode == "dir" && chunkFiles(t, cfg.Dir) != 4 {
				t.Fatalf("%d chunk files, want 4", chunkFiles(t, cfg.Dir))
			}
			// 6..9 are cached, 6 the least recently used. Touch 6, load 10:
			// 7 goes, not 6.
			n := st.getRanges.Load()
			readChunkByte(t, c, "o.log", obj, 6)
			readChunkByte(t, c, "o.log", obj, 10)
			readChunkByte(t, c, "o.log", obj, 6)
			if got := st.getRanges.Load() - n; got != 1 {
				t.Fatalf("%d fetches, want 1 (chunk 10)", got)
			}
			readChunkByte(t, c, "o.log", obj, 7)
			if got := st.getRanges.Load() - n; got != 2 {
				t.Fatalf("%d fetches, want 2: chunk 7 was evicted", got)
			}
			// The short last chunk, and a read across chunks.
			p := make([]byte, 2600)
			if err := c.ReadAt(context.Background(), "o.log", int64(len(obj)), p, 17_900); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p, obj[17_900:]) {
				t.Fatal("read across chunks returned wrong bytes")
			}
			if s := c.Stats(); s.Bytes > cfg.MaxBytes || s.Hits != 2 {
				t.Fatalf("end: %+v", s)
			}
			if mode == "dir" && chunkFiles(t, cfg.Dir) > 4 {
				t.Fatalf("%d chunk files, want at most 4", chunkFiles(t, cfg.Dir))
			}
			if err := c.ReadAt(context.Background(), "o.log", int64(len(obj)), p, 18_000); err == nil {
				t.Fatal("read past the object's end accepted")
			}
			if err := c.ReadAt(context.Background(), "o.log", 30_000, p[:10], 25_000); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("object shorter than said: %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestCacheConcurrentReadersFetchOnce(t *testing.T) {
	st := wrapStore(newFileStore(t))
	c := newTestCache(t, st, CacheConfig{ChunkSize: 1000, ReadAhead: -1})
	obj := putObject(t, st, "o.log", 5000)
	gate := make(chan struct{})
	st.setGate(gate)

	const readers = 10
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := make([]byte, 600)
			if err := c.ReadAt(context.Background(), "o.log", 5000, p, 2100); err != nil {
				errs <- err
			} else if !bytes.Equal(p, obj[2100:2700]) {
				errs <- errors.New("wrong bytes")
			}
		}()
	}
	waitFor(t, "readers to join the fetch", func() bool { return c.Stats().Joins == readers-1 })
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := st.getRanges.Load(); n != 1 {
		t.Fatalf("%d fetches of one chunk, want 1", n)
	}

	// The fetching reader gives up: a waiting one fetches for itself.
	gate = make(chan struct{})
	st.setGate(gate)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { first <- c.ReadAt(ctx, "o.log", 5000, make([]byte, 10), 10) }()
	waitFor(t, "the first fetch", func() bool { return st.getRanges.Load() == 2 })
	second := make(chan error, 1)
	go func() { second <- c.ReadAt(context.Background(), "o.log", 5000, make([]byte, 10), 20) }()
	waitFor(t, "the second reader to join", func() bool { return c.Stats().Joins == readers })
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled reader: %v", err)
	}
	waitFor(t, "the second reader's own fetch", func() bool { return st.getRanges.Load() == 3 })
	close(gate)
	if err := <-second; err != nil {
		t.Fatalf("second reader: %v", err)
	}
}

func TestCacheReadAhead(t *testing.T) {
	ctx := context.Background()
	st := wrapStore(newFileStore(t))
	c := newTestCache(t, st, CacheConfig{ChunkSize: 1000, ReadAhead: 3, ReadAheadWorkers: 2})
	obj := putObject(t, st, "s.log", 20_000)

	// A sequential consumer: 700-byte reads. After the first read every
	// chunk should be fetched ahead of it, each exactly once.
	p := make([]byte, 700)
	for off := int64(0); off < 20_000; off += 700 {
		n := min(700, 20_000-off)
		if err := c.ReadAt(ctx, "s.log", 20_000, p[:n], off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p[:n], obj[off:off+n]) {
			t.Fatalf("wrong bytes at %d", off)
		}
		waitIdle(t, c) // a consumer processes what it read meanwhile
	}
	s := c.Stats()
	if got := st.calls("s.log"); got != 20 {
		t.Fatalf("%d fetches for 20 chunks", got)
	}
	if s.ReadAheads < 18 || s.Misses > 2 { // chunk 0, and 1 if the reader got there first
		t.Fatalf("sequential reads: %+v; want nearly every chunk read ahead", s)
	}

	// Random reads, and sequential reads of an object that is not a .log,
	// fetch only what they read.
	putObject(t, st, "r.log", 20_000)
	putObject(t, st, "r.index", 20_000)
	for _, idx := range []int64{10, 3, 15, 7} {
		if err := c.ReadAt(ctx, "r.log", 20_000, p[:10], idx*1000); err != nil {
			t.Fatal(err)
		}
	}
	for off := int64(0); off < 5000; off += 500 {
		if err := c.ReadAt(ctx, "r.index", 20_000, p[:500], off); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond) // let a wrongly started read-ahead show
	if got := st.calls("r.log"); got != 4 {
		t.Fatalf("random reads: %d fetches, want 4", got)
	}
	if got := st.calls("r.index"); got != 5 {
		t.Fatalf("sequential .index reads: %d fetches, want 5", got)
	}
	if got := c.Stats().ReadAheads; got != s.ReadAheads {
		t.Fatalf("read-ahead ran for random reads: %d -> %d", s.ReadAheads, got)
	}
}

// TestRemoteSequentialReadAhead: a consumer reading a segment from the
// start through Remote.Read gets its chunks fetched ahead, once each.
func TestRemoteSequentialReadAhead(t *testing.T) {
	ctx := context.Background()
	st := wrapStore(newFileStore(t))
	c := newTestCache(t, st, CacheConfig{ChunkSize: 2048, ReadAhead: 4})
	w := newSegWriter(t, 1024)
	w.valueSize, w.records = 150, 4
	for range 200 {
		w.add()
	}
	seg := w.segments()[0]
	r := mustOpen(t, st, c)
	mustUpload(t, r, seg)
	for off := r.StartOffset(); off < r.EndOffset(); {
		b, err := r.Read(ctx, off, 1500, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		hs := b
		for len(hs) > 0 {
			h, err := parseHeader(hs)
			if err != nil {
				t.Fatal(err)
			}
			off = h.lastOffset + 1
			hs = hs[h.size:]
		}
		waitIdle(t, c)
	}
	chunks := (seg.Size + 2047) / 2048
	key := segmentKey(partitionPrefix(testRef), seg.Base, extLog)
	s := c.Stats()
	if got := int64(st.calls(key)); got != chunks {
		t.Fatalf("%d fetches of the .log for %d chunks", got, chunks)
	}
	if s.ReadAheads < chunks-3 {
		t.Fatalf("%+v: want most of %d chunks read ahead", s, chunks)
	}
}

func TestCacheCloseStopsWorkers(t *testing.T) {
	st := wrapStore(newFileStore(t))
	c, err := NewCache(st, CacheConfig{ChunkSize: 1000, ReadAhead: 8, ReadAheadWorkers: 3}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	obj := putObject(t, st, "w.log", 20_000)
	readChunkByte(t, c, "w.log", obj, 0)
	gate := make(chan struct{})
	st.setGate(gate) // every fetch from now on hangs
	t.Cleanup(func() { close(gate) })
	go func() {
		// Sequential: starts read-ahead, then waits for chunk 1.
		_ = c.ReadAt(context.Background(), "w.log", 20_000, make([]byte, 1500), 500)
	}()
	waitFor(t, "workers blocked in fetches", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.mu.workers == 3 && st.getRanges.Load() >= 4
	})
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop the read-ahead workers")
	}
	c.mu.Lock()
	workers := c.mu.workers
	c.mu.Unlock()
	if workers != 0 {
		t.Fatalf("%d workers after Close", workers)
	}
	if err := c.ReadAt(context.Background(), "w.log", 20_000, make([]byte, 1), 0); !errors.Is(err, ErrCacheClosed) {
		t.Fatalf("ReadAt after Close: %v", err)
	}
}

func TestCacheDirClearedOnStart(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"1.chunk", "77.chunk", "keep.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st := wrapStore(newFileStore(t))
	c := newTestCache(t, st, CacheConfig{Dir: dir, ChunkSize: 1000})
	if chunkFiles(t, dir) != 0 {
		t.Fatal("stale chunk files left")
	}
	if _, err := os.Stat(filepath.Join(dir, "keep.txt")); err != nil {
		t.Fatal("a file the cache does not own was removed")
	}
	obj := putObject(t, st, "d.log", 3000)
	readChunkByte(t, c, "d.log", obj, 1) // the new "1.chunk" is not a stale file
	readChunkByte(t, c, "d.log", obj, 1)
	if s := c.Stats(); s.Hits != 1 || s.Misses != 1 {
		t.Fatalf("%+v", s)
	}
}
