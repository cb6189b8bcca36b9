package tiered

import (
	"context"
	"testing"
)

// expectOffsetForTimestamp is the model: the first batch at or above start
// whose max timestamp is >= ts gives max(its base offset, start).
func expectOffsetForTimestamp(batches []tbatch, start, end, ts int64) (int64, bool) {
	for _, b := range batches {
		if b.last >= start && b.last < end && b.maxTs >= ts {
			return max(b.base, start), true
		}
	}
	return 0, false
}

func TestOffsetForTimestamp(t *testing.T) {
	forCacheVariants(t, func(t *testing.T, st *testStore, c *Cache) {
		ctx := context.Background()
		// Timestamps rise overall but not batch by batch: a batch may carry
		// a lower max than one before it, in the same segment or the next.
		w := newSegWriter(t, 150)
		tss := [][]int64{
			{100, 101}, {105}, {103, 104}, {110, 109}, {108}, {120}, // segment 0
			{115, 116}, {130}, {125}, {131, 140}, // segment 1
			{-1}, {200}, {150, 150}, {210}, // segment 2, a gap before it
		}
		for i, ts := range tss {
			switch i {
			case 6:
				w.roll(0)
			case 10:
				w.roll(9)
			case 3:
				w.gap(4)
			}
			w.addTs(ts)
		}
		segs := w.segments()
		r := mustOpen(t, st, c)
		mustUpload(t, r, segs...)

		check := func() {
			t.Helper()
			for ts := int64(-2); ts <= 212; ts++ {
				off, ok, err := r.OffsetForTimestamp(ctx, ts)
				if err != nil {
					t.Fatalf("OffsetForTimestamp(%d): %v", ts, err)
				}
				wantOff, wantOK := expectOffsetForTimestamp(w.batches, r.StartOffset(), r.EndOffset(), ts)
				if off != wantOff || ok != wantOK {
					t.Fatalf("OffsetForTimestamp(%d) = %d, %v; want %d, %v (start %d)", ts, off, ok, wantOff, wantOK, r.StartOffset())
				}
			}
		}
		check()
		// The start inside the first segment, past the batch the time index
		// names for some timestamps: later batches must be scanned.
		for _, b := range w.batches[:5] {
			if err := r.DeleteBefore(ctx, b.last+1); err != nil {
				t.Fatal(err)
			}
			check()
		}
		if err := r.DeleteBefore(ctx, segs[2].Base+1); err != nil {
			t.Fatal(err)
		}
		check()
		if err := r.DeleteAll(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := r.OffsetForTimestamp(ctx, 0); ok || err != nil {
			t.Fatalf("empty tier: ok=%v, %v", ok, err)
		}
	})
}
