package log

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
)

// KV is one record for EncodeBatch: a nil Value is a tombstone.
type KV struct {
	Key, Value []byte
}

// EncodeBatch encodes recs as one uncompressed magic-2 record batch with base offset 0 (Append
// assigns it), every timestamp nowMs, no headers, producer id pid and epoch (-1, -1 for none),
// base sequence -1 and, if transactional, the transactional attribute. It is how the
// coordinators write their internal topics (Kafka's own record formats, one batch per write).
func EncodeBatch(recs []KV, nowMs, pid int64, epoch int16, transactional bool) []byte {
	b := make([]byte, batchHeaderSize, batchHeaderSize+64*len(recs))
	var rec []byte
	for i, r := range recs {
		rec = append(rec[:0], 0)                 // attributes
		rec = binary.AppendVarint(rec, 0)        // timestamp delta
		rec = binary.AppendVarint(rec, int64(i)) // offset delta
		rec = appendVarBytes(rec, r.Key)         // key (null: -1)
		rec = appendVarBytes(rec, r.Value)       // value (null: tombstone)
		rec = binary.AppendVarint(rec, 0)        // headers
		b = binary.AppendVarint(b, int64(len(rec)))
		b = append(b, rec...)
	}
	binary.BigEndian.PutUint32(b[offBatchLength:], uint32(len(b)-logOverhead))
	b[offMagic] = 2
	var attrs uint16
	if transactional {
		attrs = attrTransactional
	}
	binary.BigEndian.PutUint16(b[offAttributes:], attrs)
	binary.BigEndian.PutUint32(b[offLastOffsetDelta:], uint32(max(len(recs)-1, 0)))
	binary.BigEndian.PutUint64(b[offFirstTimestamp:], uint64(nowMs))
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(nowMs))
	binary.BigEndian.PutUint64(b[offProducerID:], uint64(pid))
	binary.BigEndian.PutUint16(b[offProducerEpoch:], uint16(epoch))
	binary.BigEndian.PutUint32(b[offBaseSequence:], math.MaxUint32) // -1
	binary.BigEndian.PutUint32(b[offNumRecords:], uint32(len(recs)))
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b
}

// appendVarBytes appends a varint length and v, or length -1 for nil.
func appendVarBytes(dst, v []byte) []byte {
	if v == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(v)))
	return append(dst, v...)
}

// WalkBatches calls fn for each whole batch at the front of b (a Read result) and returns the
// offset after the last whole batch, -1 if none. It stops at a partial or malformed length and
// never panics, whatever b holds; fn gets the batch unchecked beyond its length.
func WalkBatches(b []byte, fn func(batch []byte)) (next int64) {
	next = -1
	for len(b) >= batchHeaderSize {
		n := int64(int32(binary.BigEndian.Uint32(b[offBatchLength:]))) + logOverhead
		if n < batchHeaderSize || n > int64(len(b)) {
			return next
		}
		batch := b[:n]
		base := int64(binary.BigEndian.Uint64(batch[offBaseOffset:]))
		next = base + int64(int32(binary.BigEndian.Uint32(batch[offLastOffsetDelta:]))) + 1
		fn(batch)
		b = b[n:]
	}
	return next
}

// EachBatch calls fn with every whole batch from the log start to the high watermark, in
// order, reading up to 1 MiB at a time; fn must not keep the slice. The coordinators replay
// their internal topics with it. A read that finds no whole batch below the high watermark
// stops the walk with an error wrapping ErrCorruptBatch; a failed read returns its error.
func (p *Partition) EachBatch(fn func(batch []byte)) error {
	var buf []byte
	off, hw := p.LogStartOffset(), p.HighWatermark()
	for off < hw {
		var err error
		if buf, err = p.Read(off, 1<<20, true, buf[:0]); err != nil {
			return fmt.Errorf("log: reading at offset %d: %w", off, err)
		}
		next := WalkBatches(buf, fn)
		if next <= off {
			return fmt.Errorf("%w: no whole batch at offset %d below the high watermark %d", ErrCorruptBatch, off, hw)
		}
		off = next
	}
	return nil
}

// EachRecord calls fn with the offset, key and value (nil for null) of each record of one
// whole batch, decompressing it if needed, until fn returns false. Control batches have
// records too (their key is the control type). The slices are only valid during the call.
func EachRecord(batch []byte, fn func(offset int64, key, value []byte) bool) error {
	h, ok := parseHeader(batch)
	if !ok || h.size() > len(batch) {
		return ErrCorruptBatch
	}
	data, err := decompress(int(h.attributes&attrCodecMask), batch[batchHeaderSize:h.size()])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorruptBatch, err)
	}
	recs, err := parseRecords(nil, data, h.numRecords)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorruptBatch, err)
	}
	for _, r := range recs {
		if !fn(h.baseOffset+int64(r.offDelta), r.key, r.value) {
			break
		}
	}
	return nil
}
