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
	epoch int16
	// coordEpoch is the coordinator epoch of the producer's last marker, -1
	// before any.
	coordEpoch int32
	// txnFirst is the first offset of the producer's transaction open in
	// this partition, -1 if none. Mirrored in Partition.t.ongoing.
	txnFirst int64
	batches  [producerBatches]batchMeta // ring; batches[(head+n-1)%5] is the newest
	head, n  int
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

// tracked reports whether the partition keeps producer state for h: an
// idempotent batch, or a data batch of a transaction (the group
// coordinator writes transactional offsets without sequences).
func tracked(h *header) bool {
	return h.producerID >= 0 && !h.control() && (h.baseSequence >= 0 || h.attributes&attrTransactional != 0)
}

func newProducerState(epoch int16) *producerState {
	return &producerState{epoch: epoch, coordEpoch: -1, txnFirst: -1}
}

// producers maps producer id to state.
type producers map[int64]*producerState

// observe records the data batch h, seen at ts (ms), creating the
// producer's state if needed, and returns the state (nil if h is not
// tracked). A transactional batch of a producer with no open transaction
// here opens one at h's base offset; the caller mirrors that into
// Partition.t. Used by Append after a write and by recovery while scanning.
func (m producers) observe(h *header, ts int64) *producerState {
	if !tracked(h) {
		return nil
	}
	ps := m[h.producerID]
	if ps == nil {
		ps = newProducerState(h.producerEpoch)
		m[h.producerID] = ps
	}
	if h.baseSequence >= 0 {
		ps.record(h)
	} else if h.producerEpoch > ps.epoch {
		ps.epoch = h.producerEpoch
		ps.head, ps.n = 0, 0
	}
	ps.lastTs = ts
	if h.attributes&attrTransactional != 0 && ps.txnFirst < 0 {
		ps.txnFirst = h.baseOffset
	}
	return ps
}

// expire forgets the producers whose last append is ttl ms or more before
// now, as Kafka does after producer.id.expiration.ms; such a producer's
// next batch is accepted at any sequence, like a new producer's. A producer
// with a transaction open here is kept until its marker.
func (m producers) expire(now, ttl int64) {
	for id, ps := range m {
		if now-ps.lastTs >= ttl && ps.txnFirst < 0 {
			delete(m, id)
		}
	}
}
