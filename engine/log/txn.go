package log

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"slices"
	"sort"
	"sync/atomic"
	"time"
)

// Marker is a transaction marker: the control batch the transaction
// coordinator writes to each partition of a transaction to commit or abort it.
type Marker struct {
	ProducerID       int64
	ProducerEpoch    int16
	Commit           bool // false: abort
	CoordinatorEpoch int32
}

// AbortedTxn is one aborted transaction as Fetch reports it: the producer and
// the first offset of its records in the partition.
type AbortedTxn struct {
	ProducerID, FirstOffset int64
}

// ProducerInfo is what the partition knows of one producer (DescribeProducers).
type ProducerInfo struct {
	ProducerID    int64
	ProducerEpoch int16
	// LastSequence is the sequence of the producer's last record, -1 if it
	// wrote none with a sequence.
	LastSequence int32
	// LastTimestamp is the ms of its last write, by the broker's clock.
	LastTimestamp    int64
	CoordinatorEpoch int32
	// CurrentTxnStartOffset is the first offset of its open transaction, -1 if none.
	CurrentTxnStartOffset int64
}

// abortedTxn is an entry of the aborted-transactions list; last is the
// offset of the abort marker.
type abortedTxn struct {
	pid, first, last int64
}

// endedTxn is a transaction whose marker is written but not yet below the
// high watermark: until it is, the transaction still holds back the last
// stable offset, so a read_committed consumer never reads past records whose
// outcome a crash could take back.
type endedTxn struct {
	first, marker int64
}

// txnState is the transaction view readers need (Fetch, ListOffsets),
// guarded by Partition.t; writers change it with a held too.
type txnState struct {
	ongoing map[int64]int64 // producer id → first offset of its open transaction
	ended   []endedTxn      // ascending marker
	aborted []abortedTxn    // ascending last; last >= log start
	// maxSpan is the largest last-first of any aborted entry, so AbortedTxns
	// knows where entries can no longer reach back into a range.
	maxSpan int64
	// unstable mirrors len(ongoing)+len(ended) > 0, stored with the lock
	// held, so LastStableOffset of a partition without transactions (every
	// fetch asks) takes no lock.
	unstable atomic.Bool
}

// noteUnstableLocked refreshes unstable after ongoing or ended changed; t
// must be held.
func (p *Partition) noteUnstableLocked() {
	p.t.unstable.Store(len(p.t.ongoing)+len(p.t.ended) > 0)
}

// Control record layout (Kafka's ControlRecordType key and EndTransactionMarker value).
const (
	controlAbort  = 0
	controlCommit = 1
)

// markerBatch encodes m as a one-record control batch with timestamp ts;
// base offset 0, to be stamped by the append.
func markerBatch(m Marker, ts int64) []byte {
	var rec []byte
	rec = append(rec, 0)                        // attributes
	rec = binary.AppendVarint(rec, 0)           // timestamp delta
	rec = binary.AppendVarint(rec, 0)           // offset delta
	rec = binary.AppendVarint(rec, 4)           // key length
	rec = binary.BigEndian.AppendUint16(rec, 0) // key version
	typ := uint16(controlAbort)
	if m.Commit {
		typ = controlCommit
	}
	rec = binary.BigEndian.AppendUint16(rec, typ)
	rec = binary.AppendVarint(rec, 6)           // value length
	rec = binary.BigEndian.AppendUint16(rec, 0) // value version
	rec = binary.BigEndian.AppendUint32(rec, uint32(m.CoordinatorEpoch))
	rec = binary.AppendVarint(rec, 0) // headers

	b := make([]byte, batchHeaderSize, batchHeaderSize+binary.MaxVarintLen32+len(rec))
	b = binary.AppendVarint(b, int64(len(rec)))
	b = append(b, rec...)
	binary.BigEndian.PutUint32(b[offBatchLength:], uint32(len(b)-logOverhead))
	b[offMagic] = 2
	binary.BigEndian.PutUint16(b[offAttributes:], attrTransactional|attrControl)
	binary.BigEndian.PutUint64(b[offFirstTimestamp:], uint64(ts))
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(ts))
	binary.BigEndian.PutUint64(b[offProducerID:], uint64(m.ProducerID))
	binary.BigEndian.PutUint16(b[offProducerEpoch:], uint16(m.ProducerEpoch))
	binary.BigEndian.PutUint32(b[offBaseSequence:], math.MaxUint32) // -1
	binary.BigEndian.PutUint32(b[offNumRecords:], 1)
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b
}

// ParseMarker returns the marker a control batch holds; ok is false for any
// other batch, and for a control batch that is malformed or compressed.
// batch is one whole v2 record batch.
func ParseMarker(batch []byte) (m Marker, ok bool) {
	h, ok := parseHeader(batch)
	if !ok || !h.control() || h.size() > len(batch) || h.numRecords < 1 || h.attributes&attrCodecMask != 0 {
		return Marker{}, false
	}
	r := batch[batchHeaderSize:h.size()]
	n, k := binary.Varint(r)
	if k <= 0 || n < 0 || int64(len(r)-k) < n {
		return Marker{}, false
	}
	rec := r[k : k+int(n)]
	if len(rec) < 1 {
		return Marker{}, false
	}
	rec = rec[1:] // attributes
	for range 2 { // timestamp and offset deltas
		if _, k = binary.Varint(rec); k <= 0 {
			return Marker{}, false
		}
		rec = rec[k:]
	}
	kl, k := binary.Varint(rec)
	if k <= 0 || kl < 4 || int64(len(rec)-k) < kl {
		return Marker{}, false
	}
	key := rec[k : k+int(kl)]
	rec = rec[k+int(kl):]
	switch binary.BigEndian.Uint16(key[2:]) {
	case controlAbort:
	case controlCommit:
		m.Commit = true
	default:
		return Marker{}, false
	}
	m.ProducerID, m.ProducerEpoch = h.producerID, h.producerEpoch
	if vl, k := binary.Varint(rec); k > 0 && vl >= 6 && int64(len(rec)-k) >= vl {
		m.CoordinatorEpoch = int32(binary.BigEndian.Uint32(rec[k+2:]))
	}
	return m, true
}

// AppendMarker appends m as a one-record control batch at the log end and
// ends the producer's open transaction in this partition; an abort is kept
// in the aborted-transactions list Fetch serves. Wait with Durable for its
// LastOffset as after Append. A marker with an epoch older than the one the
// partition knows for the producer is ErrInvalidProducerEpoch; a newer one
// becomes the producer's epoch (a coordinator that timed a transaction out
// fences with a bumped epoch). A marker for a producer with no open
// transaction here is written all the same, as Kafka does.
func (p *Partition) AppendMarker(m Marker, now time.Time) (AppendResult, error) {
	nowMs := now.UnixMilli()
	batch := markerBatch(m, nowMs)
	h, _ := parseHeader(batch)
	p.a.Lock()
	defer p.a.Unlock()
	if p.closed.Load() {
		return AppendResult{}, ErrClosed
	}
	if ps := p.a.producers[m.ProducerID]; ps != nil && m.ProducerEpoch < ps.epoch {
		return AppendResult{}, ErrInvalidProducerEpoch
	}
	res, err := p.appendLocked(batch, &h, now)
	if err != nil {
		return res, err
	}
	p.endTxnLocked(m, res.BaseOffset, nowMs)
	p.publishLocked(res.LastOffset)
	return res, nil
}

// endTxnLocked applies marker m, written at offset, to the producer and
// transaction state. a must be held.
func (p *Partition) endTxnLocked(m Marker, offset, nowMs int64) {
	ps := p.a.producers[m.ProducerID]
	if ps == nil {
		ps = newProducerState(m.ProducerEpoch)
		p.a.producers[m.ProducerID] = ps
	}
	if m.ProducerEpoch > ps.epoch {
		ps.epoch = m.ProducerEpoch
		ps.head, ps.n = 0, 0
	}
	ps.coordEpoch = m.CoordinatorEpoch
	ps.lastTs = nowMs
	first := ps.txnFirst
	ps.txnFirst = -1
	if first < 0 {
		return
	}
	p.t.Lock()
	delete(p.t.ongoing, m.ProducerID)
	p.pruneEndedLocked(p.hw.Load())
	p.t.ended = append(p.t.ended, endedTxn{first: first, marker: offset})
	p.noteUnstableLocked()
	if !m.Commit {
		p.t.aborted = append(p.t.aborted, abortedTxn{pid: m.ProducerID, first: first, last: offset})
		p.t.maxSpan = max(p.t.maxSpan, offset-first)
	}
	p.t.Unlock()
}

// openTxnLocked mirrors a transaction ps just opened into t. a must be held.
func (p *Partition) openTxnLocked(pid int64, ps *producerState) {
	if ps == nil || ps.txnFirst < 0 {
		return
	}
	p.t.Lock()
	if _, ok := p.t.ongoing[pid]; !ok {
		p.t.ongoing[pid] = ps.txnFirst
		p.noteUnstableLocked()
	}
	p.t.Unlock()
}

// LastStableOffset is the end a read_committed consumer may read: the first
// offset of the earliest transaction still open, or ended by a marker not
// yet below the high watermark; the high watermark if there is none.
func (p *Partition) LastStableOffset() int64 {
	// The high watermark first: a transaction opened after the load of
	// unstable was written above this high watermark.
	hw := p.hw.Load()
	if !p.t.unstable.Load() {
		return hw
	}
	p.t.Lock()
	defer p.t.Unlock()
	p.pruneEndedLocked(hw)
	lso := hw
	for _, e := range p.t.ended {
		lso = min(lso, e.first)
	}
	for _, first := range p.t.ongoing {
		lso = min(lso, first)
	}
	return lso
}

// pruneEndedLocked forgets ended transactions whose marker is below hw: they
// no longer hold back the last stable offset. t must be held.
func (p *Partition) pruneEndedLocked(hw int64) {
	n := 0
	for n < len(p.t.ended) && p.t.ended[n].marker < hw {
		n++
	}
	if n > 0 {
		p.t.ended = append(p.t.ended[:0], p.t.ended[n:]...)
		p.noteUnstableLocked()
	}
}

// AbortedTxns appends to dst the aborted transactions with records in
// [from, to): those that began before to and whose abort marker is at or
// after from, as a read_committed Fetch of that range must report them.
func (p *Partition) AbortedTxns(from, to int64, dst []AbortedTxn) []AbortedTxn {
	p.t.Lock()
	defer p.t.Unlock()
	ab := p.t.aborted
	i := sort.Search(len(ab), func(i int) bool { return ab[i].last >= from })
	for ; i < len(ab); i++ {
		e := ab[i]
		if e.last-p.t.maxSpan >= to {
			break // every later entry began at or after to
		}
		if e.first < to {
			dst = append(dst, AbortedTxn{ProducerID: e.pid, FirstOffset: e.first})
		}
	}
	return dst
}

// pruneAbortedLocked forgets aborted transactions whose marker is below
// logStart: no fetch can reach them. a must be held.
func (p *Partition) pruneAbortedLocked(logStart int64) {
	p.t.Lock()
	ab := p.t.aborted
	n := sort.Search(len(ab), func(i int) bool { return ab[i].last >= logStart })
	if n > 0 {
		p.t.aborted = append(ab[:0], ab[n:]...)
	}
	p.t.Unlock()
}

// Producers describes every producer the partition keeps state for, by
// ascending id.
func (p *Partition) Producers() []ProducerInfo {
	p.a.Lock()
	defer p.a.Unlock()
	out := make([]ProducerInfo, 0, len(p.a.producers))
	for id, ps := range p.a.producers {
		pi := ProducerInfo{
			ProducerID: id, ProducerEpoch: ps.epoch, LastSequence: -1,
			LastTimestamp: ps.lastTs, CoordinatorEpoch: ps.coordEpoch,
			CurrentTxnStartOffset: ps.txnFirst,
		}
		if b, ok := ps.newest(); ok {
			pi.LastSequence = b.lastSeq
		}
		out = append(out, pi)
	}
	slices.SortFunc(out, func(a, b ProducerInfo) int {
		switch {
		case a.ProducerID < b.ProducerID:
			return -1
		case a.ProducerID > b.ProducerID:
			return 1
		}
		return 0
	})
	return out
}

// NextOffset returns the offset after the last whole batch in batches (a
// Read result), or -1 if it holds none.
func NextOffset(batches []byte) int64 {
	return WalkBatches(batches, func([]byte) {})
}
