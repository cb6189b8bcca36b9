package log

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
)

// Header is one record header.
type Header struct {
	Key   string
	Value []byte // nil for a null value
}

// Record is one record read from a batch by [Records]: its index in the
// batch, offset delta and timestamp, and slices of the batch's (possibly
// decompressed) bytes.
type Record struct {
	Index       int
	OffsetDelta int32
	Timestamp   int64
	Key, Value  []byte // nil for null
	Headers     []Header
}

// ScanRecords calls fn with the index, key and value (nil for null) of each
// record of one whole batch in turn, decompressing it if needed, until fn
// returns false, without collecting them first: it allocates nothing for an
// uncompressed batch. A malformed record ends the scan with ErrCorruptBatch
// after fn has seen the records before it. The slices are only valid during
// the call.
func ScanRecords(batch []byte, fn func(i int, key, value []byte) bool) error {
	h, ok := parseHeader(batch)
	if !ok || h.size() > len(batch) {
		return ErrCorruptBatch
	}
	data, err := decompress(int(h.attributes&attrCodecMask), batch[batchHeaderSize:h.size()])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorruptBatch, err)
	}
	for i := range int(h.numRecords) {
		var r record
		if r, data, err = parseRecord(data); err != nil {
			return fmt.Errorf("%w: record %d: %w", ErrCorruptBatch, i, err)
		}
		if !fn(i, r.key, r.value) {
			return nil
		}
	}
	if len(data) != 0 {
		return fmt.Errorf("%w: %d bytes after the last record", ErrCorruptBatch, len(data))
	}
	return nil
}

// Records decodes the records of batch (a whole v2 batch, compressed or
// not) whose indexes are in want (ascending), headers included.
func Records(batch []byte, want []int) ([]Record, error) {
	h, ok := parseHeader(batch)
	if !ok || h.size() > len(batch) {
		return nil, ErrCorruptBatch
	}
	data, err := decompress(int(h.attributes&attrCodecMask), batch[batchHeaderSize:h.size()])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptBatch, err)
	}
	recs, err := parseRecords(nil, data, h.numRecords)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptBatch, err)
	}
	out := make([]Record, 0, len(want))
	for _, i := range want {
		if i < 0 || i >= len(recs) {
			return nil, fmt.Errorf("log: record %d of a batch of %d", i, len(recs))
		}
		r := &recs[i]
		hs, err := recordHeaders(r.rest)
		if err != nil {
			return nil, fmt.Errorf("%w: record %d: %w", ErrCorruptBatch, i, err)
		}
		out = append(out, Record{
			Index: i, OffsetDelta: r.offDelta, Timestamp: h.firstTimestamp + r.tsDelta,
			Key: r.key, Value: r.value, Headers: hs,
		})
	}
	return out, nil
}

// recordHeaders decodes the headers at the end of rest (a record's bytes
// from its key length on).
func recordHeaders(rest []byte) ([]Header, error) {
	for range 2 { // skip the key and the value
		n, k := binary.Varint(rest)
		if k <= 0 || n < -1 || n > int64(len(rest)-k) {
			return nil, errBadRecords
		}
		rest = rest[k+max(int(n), 0):]
	}
	count, k := binary.Varint(rest)
	if k <= 0 || count < 0 || count > int64(len(rest)) {
		return nil, errBadRecords
	}
	rest = rest[k:]
	var hs []Header
	for range count {
		kl, k := binary.Varint(rest)
		if k <= 0 || kl < 0 || kl > int64(len(rest)-k) {
			return nil, errBadRecords
		}
		key := string(rest[k : k+int(kl)])
		rest = rest[k+int(kl):]
		vl, k := binary.Varint(rest)
		if k <= 0 || vl < -1 || vl > int64(len(rest)-k) {
			return nil, errBadRecords
		}
		var val []byte
		if vl >= 0 {
			val = rest[k : k+int(vl)]
		}
		rest = rest[k+max(int(vl), 0):]
		hs = append(hs, Header{Key: key, Value: val})
	}
	return hs, nil
}

// DropRecords returns a copy of batch without the records whose indexes are
// in drop (ascending), as compaction removes records: the batch keeps its
// base offset, last offset delta, producer id, epoch and base sequence, and
// each kept record its offset delta, so an idempotent producer's sequence
// is unchanged and the dropped records' offsets become gaps. A batch that
// loses every record keeps its header with no records. It is compressed
// again with its codec. batch must be whole and valid (CRC checked).
func DropRecords(batch []byte, drop []int) ([]byte, error) {
	h, ok := parseHeader(batch)
	if !ok || h.size() > len(batch) {
		return nil, ErrCorruptBatch
	}
	codec := int(h.attributes & attrCodecMask)
	data, err := decompress(codec, batch[batchHeaderSize:h.size()])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptBatch, err)
	}
	recs, err := parseRecords(nil, data, h.numRecords)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptBatch, err)
	}
	var plain []byte
	var tmp [3 * binary.MaxVarintLen64]byte
	kept := int32(0)
	maxTs := int64(math.MinInt64)
	for i := range recs {
		if _, gone := slices.BinarySearch(drop, i); gone {
			continue
		}
		r := &recs[i]
		hd := append(tmp[:0], r.attr)
		hd = binary.AppendVarint(hd, r.tsDelta)
		hd = binary.AppendVarint(hd, int64(r.offDelta))
		plain = binary.AppendVarint(plain, int64(len(hd)+len(r.rest)))
		plain = append(plain, hd...)
		plain = append(plain, r.rest...)
		kept++
		maxTs = max(maxTs, h.firstTimestamp+r.tsDelta)
	}
	if kept == 0 || h.attributes&attrLogAppendTime != 0 {
		maxTs = h.maxTimestamp
	}
	recBytes := plain
	if codec != codecNone && kept > 0 {
		xerial := codec == codecSnappy && len(batch) >= batchHeaderSize+len(xerialMagic) &&
			string(batch[batchHeaderSize:batchHeaderSize+len(xerialMagic)]) == string(xerialMagic)
		if recBytes, err = compressRecords(nil, codec, xerial, plain); err != nil {
			return nil, err
		}
	}
	attrs := h.attributes
	if kept == 0 {
		attrs &^= attrCodecMask // nothing to compress
	}
	return appendBatch(nil, &h, attrs, h.firstTimestamp, maxTs, kept, recBytes), nil
}

// EncodeRecords encodes recs as one uncompressed magic-2 batch with no
// producer (id and epoch -1), base offset 0 (Append assigns it), each
// record keeping its timestamp, key, value and headers; their offset
// deltas are their positions. Index and OffsetDelta are ignored.
func EncodeRecords(recs []Record) []byte {
	b := make([]byte, batchHeaderSize, batchHeaderSize+128*len(recs))
	first, last := int64(-1), int64(-1)
	for i, r := range recs {
		if i == 0 || r.Timestamp < first {
			first = r.Timestamp
		}
		last = max(last, r.Timestamp)
	}
	var rec []byte
	for i, r := range recs {
		rec = append(rec[:0], 0)                          // attributes
		rec = binary.AppendVarint(rec, r.Timestamp-first) // timestamp delta
		rec = binary.AppendVarint(rec, int64(i))          // offset delta
		rec = appendVarBytes(rec, r.Key)
		rec = appendVarBytes(rec, r.Value)
		rec = binary.AppendVarint(rec, int64(len(r.Headers)))
		for _, h := range r.Headers {
			rec = binary.AppendVarint(rec, int64(len(h.Key)))
			rec = append(rec, h.Key...)
			rec = appendVarBytes(rec, h.Value)
		}
		b = binary.AppendVarint(b, int64(len(rec)))
		b = append(b, rec...)
	}
	binary.BigEndian.PutUint32(b[offBatchLength:], uint32(len(b)-logOverhead))
	b[offMagic] = 2
	binary.BigEndian.PutUint32(b[offLastOffsetDelta:], uint32(max(len(recs)-1, 0)))
	binary.BigEndian.PutUint64(b[offFirstTimestamp:], uint64(first))
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(last))
	binary.BigEndian.PutUint64(b[offProducerID:], math.MaxUint64)    // -1
	binary.BigEndian.PutUint16(b[offProducerEpoch:], math.MaxUint16) // -1
	binary.BigEndian.PutUint32(b[offBaseSequence:], math.MaxUint32)  // -1
	binary.BigEndian.PutUint32(b[offNumRecords:], uint32(len(recs)))
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b
}
