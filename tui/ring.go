package tui

import "github.com/streamlite/streamlite/tui/cluster"

// ring keeps the newest records of a records screen, at most max of them. Records are
// numbered by arrival (their seq, from 0); the oldest kept is total-n.
type ring struct {
	max   int
	buf   []cluster.Record // grows to max, then wraps
	head  int              // index in buf of the oldest record once full
	n     int
	total int64 // records ever pushed
}

// push appends recs, dropping the oldest beyond max; it returns how many were dropped.
func (r *ring) push(recs []cluster.Record) (dropped int) {
	if len(recs) > r.max { // only the newest max can stay
		dropped = len(recs) - r.max
		r.total += int64(dropped)
		recs = recs[dropped:]
	}
	for i := range recs {
		if len(r.buf) < r.max {
			r.buf = append(r.buf, recs[i])
			r.n++
		} else {
			r.buf[r.head] = recs[i]
			r.head = (r.head + 1) % r.max
			dropped++
		}
		r.total++
	}
	return dropped
}

// len is how many records are kept.
func (r *ring) len() int { return r.n }

// first is the seq of the oldest record kept.
func (r *ring) first() int64 { return r.total - int64(r.n) }

// at returns the i-th oldest record kept (0 <= i < len).
func (r *ring) at(i int) *cluster.Record {
	if len(r.buf) < r.max {
		return &r.buf[i]
	}
	return &r.buf[(r.head+i)%r.max]
}

// bySeq returns the record numbered seq, nil when it is no longer kept.
func (r *ring) bySeq(seq int64) *cluster.Record {
	i := seq - r.first()
	if i < 0 || i >= int64(r.n) {
		return nil
	}
	return r.at(int(i))
}
