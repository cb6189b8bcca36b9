package tiered

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestConcurrentReadsAndChanges reads random offsets while segments are
// uploaded and dropped: every Read returns the right bytes or, for an
// offset dropped meanwhile, ErrOffsetOutOfRange.
func TestConcurrentReadsAndChanges(t *testing.T) {
	forCacheVariants(t, func(t *testing.T, st *testStore, c *Cache) {
		ctx := context.Background()
		w := newSegWriter(t, 300)
		for s := range 12 {
			if s > 0 {
				w.roll(int64(s % 3))
			}
			w.valueSize = 30 + 200*(s%4)
			for range 10 {
				w.add()
			}
		}
		segs := w.segments()
		r := mustOpen(t, st, c)
		mustUpload(t, r, segs[:2]...)

		// Every segment ever listed, for the model.
		all := make([]SegmentInfo, len(segs))
		for i, s := range segs {
			all[i] = SegmentInfo{Base: s.Base, Next: s.Next}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(g), 1))
				for {
					select {
					case <-stop:
						return
					default:
					}
					start, end := r.StartOffset(), r.EndOffset()
					if start < 0 {
						continue
					}
					off := start + rng.Int64N(end-start+5) - 2
					maxBytes := rng.IntN(3000)
					got, err := r.Read(ctx, off, maxBytes, true, nil)
					if errors.Is(err, ErrOffsetOutOfRange) {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					want := expectRead(w.batches, all, max(off, 0), maxBytes, true)
					if off < start || !bytes.Equal(got, want) { // start only grows; end may have grown since
						errs <- errors.New("read returned wrong bytes")
						return
					}
				}
			}()
		}
		for i := 2; i < len(segs); i++ {
			mustUpload(t, r, segs[i])
			if i%3 == 0 {
				if err := r.DeleteBefore(ctx, segs[i-2].Base+5); err != nil {
					t.Error(err)
				}
			}
			if i%4 == 0 {
				if _, err := r.EnforceRetention(ctx, testNow, -1, r.Bytes()-segs[i-1].Size, 0); err != nil {
					t.Error(err)
				}
			}
		}
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		readAll(t, mustOpen(t, st, c), w)
	})
}
