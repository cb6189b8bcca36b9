package log

// producerBatches is how many recent batches per producer are remembered for
// duplicate detection, as in Kafka (max.in.flight.requests.per.connection=5).
const producerBatches = 5

// batchMeta is one remembered batch of an idempotent producer.
type batchMeta struct {
	baseSeq, lastSeq       int32
	baseOffset, lastOffset int64
}

// producerState is what the partition knows about one producer id. Guarded
// by Partition.a.
type producerState struct {
	epoch   int16
	batches [producerBatches]batchMeta // ring; batches[(head+n-1)%5] is the newest
	head, n int
	// lastTs is the ms of the producer's last append, by the clock passed
	// to Append (by the Open clock for batches recovery found past the
	// snapshot); producer.id.expiration.ms counts from it.
	lastTs int64
}

// newest returns the last batch written, if any.
func (ps *producerState) newest() (batchMeta, bool) {
	if ps.n == 0 {
		return batchMeta{}, false
	}
	return ps.batches[(ps.head+ps.n-1)%producerBatches], true
}

// check validates h against the state: it returns the original batch for a
// duplicate, or an error for a fenced epoch or a sequence gap.
func (ps *producerState) check(h *header) (dup batchMeta, isDup bool, err error) {
	switch {
	case h.producerEpoch < ps.epoch:
		return batchMeta{}, false, ErrInvalidProducerEpoch
	case h.producerEpoch > ps.epoch:
		if h.baseSequence != 0 {
			return batchMeta{}, false, ErrOutOfOrderSequence
		}
		return batchMeta{}, false, nil
	}
	last := h.lastSequence()
	for i := 0; i < ps.n; i++ {
		b := ps.batches[(ps.head+i)%producerBatches]
		if b.baseSeq == h.baseSequence && b.lastSeq == last {
			return b, true, nil
		}
	}
	if nb, ok := ps.newest(); ok && h.baseSequence != addSeq(nb.lastSeq, 1) {
		return batchMeta{}, false, ErrOutOfOrderSequence
	}
	return batchMeta{}, false, nil
}

// record remembers a written batch; a new epoch forgets the old batches.
func (ps *producerState) record(h *header) {
	if h.producerEpoch != ps.epoch {
		ps.epoch = h.producerEpoch
		ps.head, ps.n = 0, 0
	}
	m := batchMeta{
		baseSeq: h.baseSequence, lastSeq: h.lastSequence(),
		baseOffset: h.baseOffset, lastOffset: h.lastOffset(),
	}
	if ps.n < producerBatches {
		ps.batches[(ps.head+ps.n)%producerBatches] = m
		ps.n++
		return
	}
	ps.batches[ps.head] = m
	ps.head = (ps.head + 1) % producerBatches
}

// idempotent reports whether h takes part in sequence checks.
func idempotent(h *header) bool {
	return h.producerID >= 0 && h.baseSequence >= 0 && !h.control()
}

// producers maps producer id to state.
type producers map[int64]*producerState

// observe records h, seen at ts (ms), creating the producer's state if
// needed; used by Append after a write and by recovery while scanning.
func (m producers) observe(h *header, ts int64) {
	if !idempotent(h) {
		return
	}
	ps := m[h.producerID]
	if ps == nil {
		ps = &producerState{epoch: h.producerEpoch}
		m[h.producerID] = ps
	}
	ps.record(h)
	ps.lastTs = ts
}

// expire forgets the producers whose last append is ttl ms or more before
// now, as Kafka does after producer.id.expiration.ms; such a producer's
// next batch is accepted at any sequence, like a new producer's.
func (m producers) expire(now, ttl int64) {
	for id, ps := range m {
		if now-ps.lastTs >= ttl {
			delete(m, id)
		}
	}
}
