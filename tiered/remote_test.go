package tiered

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/streamlite/streamlite/tiered/objstore"
)

// cacheVariant is one way a Remote reads: uncached, or through a cache in
// memory or in a directory. Chunks are small so that batches cross chunk
// boundaries and the bound forces evictions.
type cacheVariant struct {
	name string
	cfg  *CacheConfig
}

var cacheVariants = []cacheVariant{
	{name: "uncached"},
	{name: "memory", cfg: &CacheConfig{ChunkSize: 4096, MaxBytes: 64 << 10}},
	{name: "dir", cfg: &CacheConfig{Dir: "set by forCacheVariants", ChunkSize: 3000, MaxBytes: 16 << 10, ReadAheadWorkers: 2}},
}

// forCacheVariants runs fn once per cache variant over a fresh FileStore
// wrapped in a testStore.
func forCacheVariants(t *testing.T, fn func(t *testing.T, st *testStore, c *Cache)) {
	for _, v := range cacheVariants {
		t.Run(v.name, func(t *testing.T) {
			st := wrapStore(newFileStore(t))
			var c *Cache
			if v.cfg != nil {
				cfg := *v.cfg
				if cfg.Dir != "" {
					cfg.Dir = t.TempDir()
				}
				c = newTestCache(t, st, cfg)
			}
			fn(t, st, c)
		})
	}
}

// buildTestLog writes four segments with every kind of gap: inside a
// segment, between segments, and batches of a few bytes up to several
// chunks.
func buildTestLog(t testing.TB) *segWriter {
	w := newSegWriter(t, 500)
	for i := 0; i < 25; i++ { // segment 0: small batches, a gap in the middle
		if i == 12 {
			w.gap(7)
		}
		w.add()
	}
	w.roll(0) // segment 1: contiguous with 0, large batches
	w.valueSize, w.records = 900, 5
	for i := 0; i < 8; i++ {
		w.add()
	}
	w.roll(40) // segment 2: after a gap, mixed sizes
	for i := 0; i < 20; i++ {
		w.valueSize, w.records = 10+i*37, 1+i%4
		w.add()
	}
	w.roll(0) // segment 3: one batch
	w.add()
	return w
}

func TestReadEveryOffset(t *testing.T) {
	forCacheVariants(t, func(t *testing.T, st *testStore, c *Cache) {
		ctx := context.Background()
		w := buildTestLog(t)
		segs := w.segments()
		r := mustOpen(t, st, c)
		mustUpload(t, r, segs...)

		if got, want := r.StartOffset(), segs[0].Base; got != want {
			t.Fatalf("StartOffset = %d, want %d", got, want)
		}
		if got, want := r.EndOffset(), segs[len(segs)-1].Next; got != want {
			t.Fatalf("EndOffset = %d, want %d", got, want)
		}
		var total int64
		for _, s := range segs {
			total += s.Size
		}
		if r.Bytes() != total || len(r.Segments()) != len(segs) {
			t.Fatalf("Bytes %d, %d segments; want %d, %d", r.Bytes(), len(r.Segments()), total, len(segs))
		}
		// The model's batches are the local files' bytes.
		for _, b := range w.batches {
			f, err := os.ReadFile(segs[slices.IndexFunc(segs, func(s SegmentFiles) bool { return s.Base == b.segmentBase })].Log)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f[b.pos:b.pos+int64(len(b.data))], b.data) {
				t.Fatalf("batch %d differs from the local file", b.base)
			}
		}

		limits := []struct {
			maxBytes int
			minOne   bool
		}{{1 << 20, false}, {1, true}, {1, false}, {0, true}, {700, true}, {700, false}, {5000, false}}
		prefix := []byte("xy")
		for off := r.StartOffset(); off < r.EndOffset(); off++ {
			for _, l := range limits {
				got, err := r.Read(ctx, off, l.maxBytes, l.minOne, slices.Clone(prefix))
				if err != nil {
					t.Fatalf("Read(%d, %d, %v): %v", off, l.maxBytes, l.minOne, err)
				}
				want := append(slices.Clone(prefix), expectRead(w.batches, r.Segments(), off, l.maxBytes, l.minOne)...)
				if !bytes.Equal(got, want) {
					t.Fatalf("Read(%d, %d, %v): %d bytes, want %d", off, l.maxBytes, l.minOne, len(got), len(want))
				}
			}
		}
	})
}

func TestReadOutOfRange(t *testing.T) {
	ctx := context.Background()
	st := newFileStore(t)
	r := mustOpen(t, st, nil)
	if _, err := r.Read(ctx, 0, 100, true, nil); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("Read on an empty tier: %v, want ErrOffsetOutOfRange", err)
	}
	if r.StartOffset() != -1 || r.EndOffset() != -1 {
		t.Fatalf("empty tier: start %d, end %d", r.StartOffset(), r.EndOffset())
	}
	w := newSegWriter(t, 100)
	w.gap(10)
	for i := 0; i < 5; i++ {
		w.add()
	}
	mustUpload(t, r, w.segments()...)
	for _, off := range []int64{-1, 0, 9, r.EndOffset(), r.EndOffset() + 100} {
		buf := []byte("keep")
		out, err := r.Read(ctx, off, 100, true, buf)
		if !errors.Is(err, ErrOffsetOutOfRange) || string(out) != "keep" {
			t.Fatalf("Read(%d) = %q, %v; want buf unchanged and ErrOffsetOutOfRange", off, out, err)
		}
	}
	if _, err := r.Read(ctx, 10, 100, true, nil); err != nil {
		t.Fatalf("Read at the start: %v", err)
	}
}

func TestReopenSeesManifestAndRemovesOrphans(t *testing.T) {
	ctx := context.Background()
	st := newFileStore(t)
	w := buildTestLog(t)
	segs := w.segments()
	r := mustOpen(t, st, nil)
	mustUpload(t, r, segs...)
	if err := r.DeleteBefore(ctx, segs[0].Base+5); err != nil {
		t.Fatal(err)
	}
	prefix := partitionPrefix(testRef)
	other := partitionPrefix(PartitionRef{Topic: testRef.Topic, TopicID: testRef.TopicID, Partition: 30})
	for _, k := range []string{prefix + "00000000000000099999.log", prefix + "junk", other + "00000000000000000000.log"} {
		if err := putBytes(ctx, st, k, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	r2 := mustOpen(t, st, nil)
	if !slices.Equal(r2.Segments(), r.Segments()) || r2.StartOffset() != r.StartOffset() || r2.EndOffset() != r.EndOffset() {
		t.Fatalf("reopened: %v [%d, %d), want %v [%d, %d)", r2.Segments(), r2.StartOffset(), r2.EndOffset(),
			r.Segments(), r.StartOffset(), r.EndOffset())
	}
	got := keys(t, st, prefix)
	want := []string{manifestName}
	for _, s := range segs {
		want = append(want, segmentKey("", s.Base, extIndex), segmentKey("", s.Base, extLog), segmentKey("", s.Base, extTimeIndex))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("keys after reopen:\n%v\nwant\n%v", got, want)
	}
	if len(keys(t, st, other)) != 1 {
		t.Fatal("another partition's object was removed")
	}
	b, err := r2.Read(ctx, r2.StartOffset(), 1, true, nil)
	if err != nil || len(b) == 0 {
		t.Fatalf("Read after reopen: %d bytes, %v", len(b), err)
	}
}

func TestCorruptManifestIsAnError(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (objstore.Store, []SegmentFiles, []byte) {
		st := newFileStore(t)
		w := buildTestLog(t)
		segs := w.segments()
		mustUpload(t, mustOpen(t, st, nil), segs...)
		b, err := st.Get(ctx, partitionPrefix(testRef)+manifestName)
		if err != nil {
			t.Fatal(err)
		}
		return st, segs, b
	}
	mkey := partitionPrefix(testRef) + manifestName
	cases := []struct {
		name   string
		mangle func(t *testing.T, st objstore.Store, segs []SegmentFiles, b []byte) []byte
	}{
		{"value changed", func(_ *testing.T, _ objstore.Store, _ []SegmentFiles, b []byte) []byte {
			return bytes.Replace(b, []byte(`"base":0,`), []byte(`"base":1,`), 1)
		}},
		{"truncated", func(_ *testing.T, _ objstore.Store, _ []SegmentFiles, b []byte) []byte { return b[:len(b)/2] }},
		{"empty", func(_ *testing.T, _ objstore.Store, _ []SegmentFiles, b []byte) []byte { return nil }},
		{"trailing data", func(_ *testing.T, _ objstore.Store, _ []SegmentFiles, b []byte) []byte {
			return append(slices.Clone(b), []byte(`{}`)...)
		}},
		{"unknown field", func(_ *testing.T, _ objstore.Store, _ []SegmentFiles, b []byte) []byte {
			return bytes.Replace(b, []byte(`{"version"`), []byte(`{"extra":1,"version"`), 1)
		}},
		{"other version", func(t *testing.T, _ objstore.Store, _ []SegmentFiles, b []byte) []byte {
			m := reencode(t, b, func(m *manifest) { m.Version = 2 })
			return m
		}},
		{"other partition", func(t *testing.T, _ objstore.Store, _ []SegmentFiles, b []byte) []byte {
			return reencode(t, b, func(m *manifest) { m.Partition = 4 })
		}},
		{"overlapping segments", func(t *testing.T, _ objstore.Store, _ []SegmentFiles, b []byte) []byte {
			return reencode(t, b, func(m *manifest) { m.Segments[1].Base = m.Segments[0].Next - 1 })
		}},
		{"start outside first segment", func(t *testing.T, _ objstore.Store, _ []SegmentFiles, b []byte) []byte {
			return reencode(t, b, func(m *manifest) { m.StartOffset = m.Segments[0].Next })
		}},
		{"end not the last segment's", func(t *testing.T, _ objstore.Store, _ []SegmentFiles, b []byte) []byte {
			return reencode(t, b, func(m *manifest) { m.EndOffset++ })
		}},
		{"listed object missing", func(t *testing.T, st objstore.Store, segs []SegmentFiles, b []byte) []byte {
			if err := st.Delete(ctx, segmentKey(partitionPrefix(testRef), segs[1].Base, extTimeIndex)); err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"listed object of another size", func(t *testing.T, st objstore.Store, segs []SegmentFiles, b []byte) []byte {
			if err := putBytes(ctx, st, segmentKey(partitionPrefix(testRef), segs[2].Base, extLog), []byte("short")); err != nil {
				t.Fatal(err)
			}
			return b
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, segs, b := setup(t)
			if err := putBytes(ctx, st, mkey, tc.mangle(t, st, segs, b)); err != nil {
				t.Fatal(err)
			}
			_, err := OpenRemote(ctx, st, testRef, nil, testLogger(t))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("OpenRemote: %v, want ErrCorrupt", err)
			}
			t.Log(err)
		})
	}
	t.Run("reformatted is fine", func(t *testing.T) {
		st, _, b := setup(t)
		var ind bytes.Buffer
		ind.WriteString("  ")
		for _, c := range b {
			ind.WriteByte(c)
			if c == ',' {
				ind.WriteString("\n   ")
			}
		}
		if err := putBytes(ctx, st, mkey, ind.Bytes()); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenRemote(ctx, st, testRef, nil, testLogger(t)); err != nil {
			t.Fatalf("OpenRemote of a reformatted manifest: %v", err)
		}
	})
}

// reencode decodes a manifest without checks, changes it and encodes it
// with a matching CRC, so only validation can refuse it.
func reencode(t *testing.T, b []byte, change func(*manifest)) []byte {
	t.Helper()
	var m manifest
	if err := decodeStrict(b, &m); err != nil {
		t.Fatal(err)
	}
	change(&m)
	out, err := m.encode()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUploadRules(t *testing.T) {
	ctx := context.Background()
	st := wrapStore(newFileStore(t))
	w := newSegWriter(t, 200)
	for range 5 {
		w.add()
	}
	w.roll(0)
	for range 5 {
		w.add()
	}
	w.roll(100)
	for range 5 {
		w.add()
	}
	segs := w.segments()
	r := mustOpen(t, st, nil)
	mustUpload(t, r, segs[0])

	var puts int
	st.setFail(func(string) bool { puts++; return false }, nil)
	if err := r.Upload(ctx, segs[0]); err != nil || puts != 0 {
		t.Fatalf("re-upload of a listed segment: %v after %d puts; want a no-op", err, puts)
	}
	mustUpload(t, r, segs[2]) // a gap is fine
	if err := r.Upload(ctx, segs[1]); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("upload below the end: %v, want ErrOutOfOrder", err)
	}
	if got := r.EndOffset(); got != segs[2].Next {
		t.Fatalf("EndOffset %d, want %d", got, segs[2].Next)
	}

	w2 := newSegWriter(t, 200)
	w2.gap(segs[2].Next + 10)
	for range 5 {
		w2.add()
	}
	good := w2.segments()[0]
	bad := func(name string, change func(s *SegmentFiles)) {
		t.Run(name, func(t *testing.T) {
			s := good
			change(&s)
			if err := r.Upload(ctx, s); !errors.Is(err, ErrInvalidSegment) {
				t.Fatalf("Upload: %v, want ErrInvalidSegment", err)
			}
			if r.EndOffset() != segs[2].Next {
				t.Fatal("a refused upload changed the tier")
			}
		})
	}
	bad("size", func(s *SegmentFiles) { s.Size-- })
	bad("next below the last batch", func(s *SegmentFiles) { s.Next-- })
	bad("base above the first batch", func(s *SegmentFiles) { s.Base++ })
	bad("max timestamp", func(s *SegmentFiles) { s.MaxTimestamp++ })
	bad("index entries", func(s *SegmentFiles) {
		p := s.Index + ".bad"
		if err := os.WriteFile(p, []byte{0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 2}, 0o644); err != nil {
			t.Fatal(err)
		}
		s.Index = p
	})
	bad("log content", func(s *SegmentFiles) {
		p := s.Log + ".bad"
		if err := os.WriteFile(p, make([]byte, s.Size), 0o644); err != nil {
			t.Fatal(err)
		}
		s.Log = p
	})
	t.Run("missing file", func(t *testing.T) {
		s := good
		s.TimeIndex += ".gone"
		if err := r.Upload(ctx, s); err == nil || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Upload: %v, want a not-exist error", err)
		}
	})
	mustUpload(t, r, good)
}

// TestReadUsesIndex: a Read deep in a segment starts from the .index, so
// it reads a few batch headers, not every one before its offset.
func TestReadUsesIndex(t *testing.T) {
	ctx := context.Background()
	st := wrapStore(newFileStore(t))
	w := newSegWriter(t, 1000) // an index entry about every 4 batches
	for range 400 {
		w.add()
	}
	seg := w.segments()[0]
	r := mustOpen(t, st, nil) // uncached: every read is a GetRange
	mustUpload(t, r, seg)
	key := segmentKey(partitionPrefix(testRef), seg.Base, extLog)
	for _, b := range []tbatch{w.batches[0], w.batches[217], w.batches[399]} {
		before := st.calls(key)
		got, err := r.Read(ctx, b.base+1, 1, true, nil)
		if err != nil || !bytes.Equal(got, b.data) {
			t.Fatalf("Read(%d): %d bytes, %v", b.base+1, len(got), err)
		}
		if n := st.calls(key) - before; n > 6 {
			t.Fatalf("Read(%d) made %d reads of the .log; the index should bound it to about 5", b.base+1, n)
		}
	}
}
