package log

// OffsetForTimestamp returns the earliest offset whose record timestamp is
// >= ts and that record's timestamp (ListOffsets with a timestamp). The time
// index finds the first batch whose max timestamp reaches ts; its records are
// decoded (decompressed if needed) to find the record. ok=false if no record
// qualifies; the caller then answers with the log end offset and timestamp
// -1. Records of LogAppendTime batches all carry the batch max timestamp.
func (p *Partition) OffsetForTimestamp(ts int64) (offset, timestamp int64, ok bool, err error) {
	if p.closed.Load() {
		return 0, 0, false, ErrClosed
	}
	hw, ls := p.hw.Load(), p.logStart.Load()
	start := int64(-1)
	p.s.RLock()
	for _, s := range p.s.segs {
		if s.next <= ls || s.maxTimestamp() < ts {
			continue
		}
		rel, _ := s.ti.firstAtOrAfter(ts)
		start = s.base + int64(rel)
		break
	}
	p.s.RUnlock()
	if start < 0 {
		return 0, 0, false, nil
	}
	err = p.forEachBatch(max(start, ls), hw, func(seg *segment, pos int64, h *header) (bool, error) {
		if h.maxTimestamp < ts {
			return true, nil
		}
		b, err := readBatch(seg, pos, h)
		if err != nil {
			return false, err
		}
		err = recordTimes(b, func(r recordTime) bool {
			if r.offset >= ls && r.timestamp >= ts {
				offset, timestamp, ok = r.offset, r.timestamp, true
				return false
			}
			return true
		})
		return !ok && err == nil, err
	})
	return offset, timestamp, ok, err
}

// MaxTimestamp returns the offset and timestamp of the record with the
// largest timestamp (ListOffsets -3, KIP-734), the earliest such record on
// ties; ok=false on an empty log.
func (p *Partition) MaxTimestamp() (offset, timestamp int64, ok bool, err error) {
	if p.closed.Load() {
		return 0, 0, false, ErrClosed
	}
	hw, ls := p.hw.Load(), p.logStart.Load()
	if ls >= hw {
		return 0, 0, false, nil
	}
	// The segment metadata names the batch; it is used when that batch is
	// visible and wholly above the log start, otherwise scan.
	best, bestTs := int64(-1), int64(-1)
	p.s.RLock()
	for _, s := range p.s.segs {
		if ts, rel, ok := s.ti.max(); ok && ts > bestTs {
			best, bestTs = s.base+int64(rel), ts
		}
	}
	p.s.RUnlock()
	from := best
	if best < 0 || best >= hw || best < ls {
		from, bestTs = ls, -1
		err = p.forEachBatch(ls, hw, func(_ *segment, _ int64, h *header) (bool, error) {
			if h.maxTimestamp > bestTs {
				from, bestTs = max(h.baseOffset, ls), h.maxTimestamp
			}
			return true, nil
		})
		if err != nil {
			return 0, 0, false, err
		}
	}
	offset, timestamp = -1, -1
	err = p.forEachBatch(from, hw, func(seg *segment, pos int64, h *header) (bool, error) {
		b, err := readBatch(seg, pos, h)
		if err != nil {
			return false, err
		}
		err = recordTimes(b, func(r recordTime) bool {
			if r.offset >= ls && r.timestamp > timestamp {
				offset, timestamp = r.offset, r.timestamp
			}
			return true
		})
		return false, err
	})
	if err != nil {
		return 0, 0, false, err
	}
	if offset < 0 {
		// Only records without timestamps: answer the last offset as Kafka does.
		return hw - 1, -1, true, nil
	}
	return offset, timestamp, true, nil
}
