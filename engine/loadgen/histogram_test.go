package loadgen

import (
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for _, us := range []uint64{0, 1, 1023, 1024, 1025, 2047, 2048, 1 << 20, 1<<40 + 12345, 1<<64 - 1} {
		i := histIndex(us)
		if i < prev || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d after %d", us, i, prev)
		}
		prev = i
		lo := histLower(i)
		if lo > us || (i+1 < histBuckets && histLower(i+1) <= us) {
			t.Fatalf("%dµs in bucket %d = [%d, %d)", us, i, lo, histLower(i+1))
		}
		if us >= histLinear && float64(us-lo)/float64(us) > 1.0/512 {
			t.Fatalf("%dµs: bucket lower bound %d too far", us, lo)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	if h.quantile(0.5) != 0 {
		t.Fatal("empty histogram has a median")
	}
	for i := 1; i <= 100; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	near := func(got, want time.Duration) bool { return got <= want && got >= want-want/256 }
	if p := h.quantile(0.5); !near(p, 50*time.Millisecond) {
		t.Fatalf("p50 = %v", p)
	}
	if p := h.quantile(0.99); !near(p, 99*time.Millisecond) {
		t.Fatalf("p99 = %v", p)
	}
	var sum histogram
	sum.add(&h)
	sum.add(&h)
	if p := sum.quantile(1); !near(p, 100*time.Millisecond) {
		t.Fatalf("max of sum = %v", p)
	}
	h.record(-time.Second)
	if p := h.quantile(0.001); p != 0 {
		t.Fatalf("negative duration recorded as %v", p)
	}
}

func TestProduceAllocations(t *testing.T) {
	// The per-record work outside the client: taking a slot, filling it
	// and the promise must not allocate.
	p := &producer{hist: new(histogram), free: make(chan *slot, 1), value: makeValue(10), chunk: 1, partitions: 1}
	s := &slot{}
	s.ctx.s = s
	p.free <- s
	allocs := testing.AllocsPerRun(1000, func() {
		s := <-p.free
		p.fill(s, 0)
		p.done(&s.rec, nil)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per record", allocs)
	}
}
