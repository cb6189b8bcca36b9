package tiered

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

var testNow = time.UnixMilli(5_000_000)

func TestDeleteBefore(t *testing.T) {
	forCacheVariants(t, func(t *testing.T, st *testStore, c *Cache) {
		ctx := context.Background()
		w := buildTestLog(t)
		segs := w.segments()
		r := mustOpen(t, st, c)
		mustUpload(t, r, segs[:3]...)
		readAll(t, r, w) // fill the cache

		// Inside the first segment: only the start moves.
		mid := segs[0].Base + 20
		if err := r.DeleteBefore(ctx, mid); err != nil {
			t.Fatal(err)
		}
		if r.StartOffset() != mid || len(r.Segments()) != 3 {
			t.Fatalf("start %d, %d segments; want %d, 3", r.StartOffset(), len(r.Segments()), mid)
		}
		if _, err := r.Read(ctx, mid-1, 100, true, nil); !errors.Is(err, ErrOffsetOutOfRange) {
			t.Fatalf("Read below the start: %v", err)
		}
		readAll(t, r, w)
		if err := r.DeleteBefore(ctx, mid-5); err != nil || r.StartOffset() != mid {
			t.Fatalf("moving back: %v, start %d", err, r.StartOffset())
		}

		// Into the gap after segment 1: segments 0 and 1 go.
		gapOff := segs[1].Next + 3
		if err := r.DeleteBefore(ctx, gapOff); err != nil {
			t.Fatal(err)
		}
		if r.StartOffset() != segs[2].Base || len(r.Segments()) != 1 {
			t.Fatalf("start %d, %d segments; want %d, 1", r.StartOffset(), len(r.Segments()), segs[2].Base)
		}
		prefix := partitionPrefix(testRef)
		if got := keys(t, st, prefix); len(got) != 4 {
			t.Fatalf("objects left: %v", got)
		}
		readAll(t, r, w)

		// Past the end: the tier empties, the end stays, the start is
		// remembered for the next upload.
		beyond := segs[3].Base + 1 // inside segment 3, not uploaded yet
		if err := r.DeleteBefore(ctx, beyond); err != nil {
			t.Fatal(err)
		}
		if r.StartOffset() != -1 || r.EndOffset() != segs[2].Next || r.Bytes() != 0 {
			t.Fatalf("emptied tier: [%d, %d) %d bytes", r.StartOffset(), r.EndOffset(), r.Bytes())
		}
		if got := keys(t, st, prefix); !slices.Equal(got, []string{manifestName}) {
			t.Fatalf("objects left: %v", got)
		}
		mustUpload(t, r, segs[3])
		if r.StartOffset() != beyond {
			t.Fatalf("start after upload %d, want %d", r.StartOffset(), beyond)
		}
		readAll(t, r, w)
		r2 := mustOpen(t, st, c)
		if r2.StartOffset() != beyond || r2.EndOffset() != segs[3].Next {
			t.Fatalf("reopened: [%d, %d)", r2.StartOffset(), r2.EndOffset())
		}
	})
}

func TestUploadBelowDeletedStart(t *testing.T) {
	ctx := context.Background()
	st := newFileStore(t)
	w := buildTestLog(t)
	segs := w.segments()
	r := mustOpen(t, st, nil)
	if err := r.DeleteBefore(ctx, segs[1].Base+2); err != nil {
		t.Fatal(err)
	}
	mustUpload(t, r, segs[0]) // all its offsets are deleted: not listed, end moves
	if r.StartOffset() != -1 || r.EndOffset() != segs[0].Next {
		t.Fatalf("[%d, %d)", r.StartOffset(), r.EndOffset())
	}
	if got := keys(t, st, partitionPrefix(testRef)); !slices.Equal(got, []string{manifestName}) {
		t.Fatalf("objects: %v", got)
	}
	mustUpload(t, r, segs[1])
	if r.StartOffset() != segs[1].Base+2 {
		t.Fatalf("start %d", r.StartOffset())
	}
	readAll(t, r, w)
}

func TestEnforceRetention(t *testing.T) {
	ctx := context.Background()
	// Four segments whose max timestamps are 1000 ms apart, and one more
	// without timestamps.
	setup := func(t *testing.T) (*Remote, []SegmentFiles, *testStore) {
		st := wrapStore(newFileStore(t))
		w := newSegWriter(t, 300)
		for s := range 4 {
			if s > 0 {
				w.roll(0)
			}
			for i := range 5 {
				w.addTs([]int64{int64(s*1000 + i)})
			}
		}
		segs := w.segments()
		r := mustOpen(t, st, nil)
		mustUpload(t, r, segs...)
		return r, segs, st
	}
	t.Run("time", func(t *testing.T) {
		r, segs, st := setup(t)
		now := time.UnixMilli(2004 + 500) // segment 2's max is 2004
		n, err := r.EnforceRetention(ctx, now, 501, -1, 0)
		if err != nil || n != 2 {
			t.Fatalf("EnforceRetention = %d, %v; want 2", n, err)
		}
		if r.StartOffset() != segs[2].Base {
			t.Fatalf("start %d, want %d", r.StartOffset(), segs[2].Base)
		}
		if n, _ := r.EnforceRetention(ctx, now, 500, -1, 0); n != 0 {
			t.Fatalf("at exactly retention.ms: dropped %d", n) // Kafka deletes only when older than
		}
		if n, _ := r.EnforceRetention(ctx, now, 499, -1, 0); n != 1 {
			t.Fatalf("past retention.ms: dropped %d", n)
		}
		if len(keys(t, st, partitionPrefix(testRef))) != 1+3*1 {
			t.Fatalf("objects: %v", keys(t, st, partitionPrefix(testRef)))
		}
	})
	t.Run("bytes", func(t *testing.T) {
		r, segs, _ := setup(t)
		local := int64(10_000)
		limit := r.Bytes() + local - segs[0].Size // the log without segment 0 is exactly at the limit
		if n, err := r.EnforceRetention(ctx, testNow, -1, limit, local); err != nil || n != 1 {
			t.Fatalf("EnforceRetention = %d, %v; want 1", n, err)
		}
		if n, _ := r.EnforceRetention(ctx, testNow, -1, limit, local); n != 0 {
			t.Fatalf("again: dropped %d", n)
		}
		if n, _ := r.EnforceRetention(ctx, testNow, -1, local, local); n != 3 {
			t.Fatalf("local bytes alone at the limit: dropped %d, want all 3", n)
		}
		if r.StartOffset() != -1 || r.EndOffset() != segs[3].Next {
			t.Fatalf("emptied: [%d, %d)", r.StartOffset(), r.EndOffset())
		}
	})
	t.Run("unlimited", func(t *testing.T) {
		r, _, _ := setup(t)
		if n, err := r.EnforceRetention(ctx, time.UnixMilli(1<<50), -1, -1, 1<<40); err != nil || n != 0 {
			t.Fatalf("EnforceRetention = %d, %v; want 0", n, err)
		}
	})
	t.Run("no timestamps", func(t *testing.T) {
		st := newFileStore(t)
		w := newSegWriter(t, 300)
		w.addTs([]int64{-1, -1})
		w.roll(0)
		w.addTs([]int64{5})
		segs := w.segments()
		if segs[0].MaxTimestamp != -1 {
			t.Fatalf("max timestamp %d", segs[0].MaxTimestamp)
		}
		r := mustOpen(t, st, nil)
		mustUpload(t, r, segs...)
		if n, _ := r.EnforceRetention(ctx, testNow, 0, -1, 0); n != 0 {
			t.Fatalf("a segment without timestamps is never old; dropped %d", n)
		}
		if off, ok, err := r.OffsetForTimestamp(ctx, 0); err != nil || !ok || off != segs[1].Base {
			t.Fatalf("OffsetForTimestamp(0) = %d, %v, %v", off, ok, err)
		}
	})
}

func TestDeleteAll(t *testing.T) {
	forCacheVariants(t, func(t *testing.T, st *testStore, c *Cache) {
		ctx := context.Background()
		w := buildTestLog(t)
		segs := w.segments()
		other := PartitionRef{Topic: testRef.Topic, TopicID: testRef.TopicID, Partition: 33}
		ro, err := OpenRemote(ctx, st, other, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustUpload(t, ro, segs[0])
		r := mustOpen(t, st, c)
		mustUpload(t, r, segs...)
		readAll(t, r, w)

		// Interrupted after the manifest went: OpenRemote finishes it.
		st.setFail(nil, func(k string) bool { return k != partitionPrefix(testRef)+manifestName })
		if err := r.DeleteAll(ctx); !errors.Is(err, errInjected) {
			t.Fatalf("DeleteAll: %v", err)
		}
		st.setFail(nil, nil)
		r2 := mustOpen(t, st, c)
		if got := keys(t, st, partitionPrefix(testRef)); len(got) != 0 {
			t.Fatalf("left after an interrupted DeleteAll and reopen: %v", got)
		}

		mustUpload(t, r2, segs[0])
		if err := r2.DeleteAll(ctx); err != nil {
			t.Fatal(err)
		}
		if got := keys(t, st, partitionPrefix(testRef)); len(got) != 0 {
			t.Fatalf("left after DeleteAll: %v", got)
		}
		if r2.StartOffset() != -1 || r2.EndOffset() != -1 || len(r2.Segments()) != 0 {
			t.Fatal("tier not empty after DeleteAll")
		}
		if _, err := r2.Read(ctx, segs[0].Base, 100, true, nil); !errors.Is(err, ErrOffsetOutOfRange) {
			t.Fatalf("Read after DeleteAll: %v", err)
		}
		if len(keys(t, st, partitionPrefix(other))) != 4 {
			t.Fatal("another partition was touched")
		}
		if c != nil {
			c.mu.Lock()
			for id := range c.mu.entries {
				if strings.HasPrefix(id.key, partitionPrefix(testRef)) {
					t.Errorf("chunk of a deleted object still cached: %v", id)
				}
			}
			c.mu.Unlock()
		}
	})
}
