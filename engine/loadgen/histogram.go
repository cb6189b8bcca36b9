package loadgen

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram counts durations in log-linear buckets: exact microseconds below
// 1024µs, then 512 buckets per power of two (0.2% wide). Record is safe for
// concurrent use and does not allocate.
type histogram struct {
	counts [histBuckets]atomic.Int64
}

const (
	histLinear  = 1024 // exact buckets, one per microsecond
	histSubBits = 9    // 512 buckets per power of two above
	histBuckets = histLinear + (64-10)<<histSubBits
)

func histIndex(us uint64) int {
	if us < histLinear {
		return int(us)
	}
	e := bits.Len64(us) - (histSubBits + 1) // >= 1
	sub := us>>e - 1<<histSubBits           // 0..511
	return histLinear + (e-1)<<histSubBits + int(sub)
}

// histLower is the smallest microsecond count in bucket i.
func histLower(i int) uint64 {
	if i < histLinear {
		return uint64(i)
	}
	i -= histLinear
	e := i>>histSubBits + 1
	sub := uint64(i & (1<<histSubBits - 1))
	return (1<<histSubBits + sub) << e
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d/time.Microsecond))].Add(1)
}

// add adds o's counts to h's.
func (h *histogram) add(o *histogram) {
	for i := range o.counts {
		if n := o.counts[i].Load(); n != 0 {
			h.counts[i].Add(n)
		}
	}
}

// quantile returns the q-th quantile (0 < q <= 1): the lower bound of the
// bucket holding the ceil(q*n)-th smallest duration; 0 if empty.
func (h *histogram) quantile(q float64) time.Duration {
	var n int64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	if n == 0 {
		return 0
	}
	rank := int64(q*float64(n) + 0.999999)
	rank = max(rank, 1)
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(histLower(i)) * time.Microsecond
		}
	}
	return 0
}
