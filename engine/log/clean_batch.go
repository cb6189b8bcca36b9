package log

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// attrDeleteHorizon is attribute bit 6 (KIP-534): the batch's
// firstTimestamp holds the delete horizon of the tombstones it carries, and
// its records' timestamp deltas are relative to it.
const attrDeleteHorizon = 0x40

var errBadRecords = errors.New("malformed records")

// record is one decoded record of a batch being cleaned; its slices point
// into the decompressed records.
type record struct {
	attr      byte
	tsDelta   int64
	offDelta  int32
	key       []byte // nil for a null key
	tombstone bool   // null value
	value     []byte // nil for a null value
	rest      []byte // keyLength through the headers, copied as they are
	keep      bool
}

// parseRecords decodes n records from data into dst.
func parseRecords(dst []record, data []byte, n int32) ([]record, error) {
	for i := int32(0); i < n; i++ {
		var r record
		var err error
		if r, data, err = parseRecord(data); err != nil {
			return nil, err
		}
		dst = append(dst, r)
	}
	if len(data) != 0 {
		return nil, errBadRecords
	}
	return dst, nil
}

// parseRecord decodes the record at the front of data and returns it and
// the bytes after it.
func parseRecord(data []byte) (record, []byte, error) {
	length, k := binary.Varint(data)
	if k <= 0 || length < 1 || int64(len(data)-k) < length {
		return record{}, nil, errBadRecords
	}
	body := data[k : k+int(length)]
	data = data[k+int(length):]
	r := record{attr: body[0]}
	body = body[1:]
	if r.tsDelta, k = binary.Varint(body); k <= 0 {
		return record{}, nil, errBadRecords
	}
	body = body[k:]
	od, k := binary.Varint(body)
	if k <= 0 || od < 0 || od > 1<<31-1 {
		return record{}, nil, errBadRecords
	}
	r.offDelta = int32(od)
	body = body[k:]
	r.rest = body
	kl, k := binary.Varint(body)
	if k <= 0 || kl < -1 || kl > int64(len(body)-k) {
		return record{}, nil, errBadRecords
	}
	body = body[k:]
	if kl >= 0 {
		r.key = body[:kl:kl]
		body = body[kl:]
	}
	vl, k := binary.Varint(body)
	if k <= 0 || vl < -1 || vl > int64(len(body)-k) {
		return record{}, nil, errBadRecords
	}
	r.tombstone = vl < 0
	if vl >= 0 {
		r.value = body[k : k+int(vl) : k+int(vl)]
	}
	return r, data, nil
}

// batchFilter decides which records of a batch survive a cleaning pass.
// One is used by one pass; its buffers are reused from batch to batch.
type batchFilter struct {
	keys      map[string]int64 // key → offset of its latest record in the dirty section
	nowMs     int64
	deleteRet int64           // delete.retention.ms
	lastBatch map[int64]int64 // producer id → last offset of its newest batch
	// aborted holds, per producer, the aborted transactions as of the
	// pass's start. A pass cleans only below the last stable offset, so
	// every transactional batch it sees is decided: aborted if one of its
	// producer's ranges holds it, committed otherwise.
	aborted map[int64][]abortedTxn

	recs  []record
	plain []byte // re-encoded records before compression
	out   []byte // the rewritten batch

	read, removed, tombstonesRemoved int64
	horizon                          int64 // earliest delete horizon of a kept tombstone; 0 none
}

// filterResult says what to do with a batch.
type filterResult int

const (
	keepBatch    filterResult = iota // copy the batch as it is
	rewriteBatch                     // write batchFilter.out instead
	dropBatch                        // write nothing
)

// filter decides the fate of batch b (header h, CRC already checked).
//
// A record survives when it has a key, no later record of that key is in
// the map, and it is not a tombstone past its delete horizon. Offsets never
// change: a rewritten batch keeps its baseOffset and lastOffsetDelta (as
// Kafka does, so the producer's last sequence stays baseSequence +
// lastOffsetDelta) and each record its offset delta, so gaps appear inside
// and between batches. A batch that keeps tombstones and has no horizon gets
// one (now + delete.retention.ms) in firstTimestamp with attribute bit 6,
// the record timestamp deltas rebased so every record keeps its timestamp.
// An emptied batch is dropped unless it is its idempotent producer's
// newest, whose header is kept with no records (numRecords 0) so producer
// state rebuilt from the log still knows the producer's last sequence.
// Transactions: a pass runs below the last stable offset only, so each
// transactional batch it meets is decided. A committed one is cleaned as
// any other batch; an aborted one is dropped whole (its records were never
// visible to read_committed and hide nothing), unless it is its idempotent
// producer's newest, kept as an empty header. Markers (control batches) are
// kept: read_committed clients need an abort marker to stop skipping its
// producer's batches, and the log keeps Kafka's shape.
func (f *batchFilter) filter(b []byte, h *header) (filterResult, error) {
	if h.control() {
		return keepBatch, nil
	}
	if f.isAborted(h) {
		f.read += int64(h.numRecords)
		f.removed += int64(h.numRecords)
		if !idempotent(h) || f.lastBatch[h.producerID] != h.lastOffset() {
			return dropBatch, nil
		}
		if h.numRecords == 0 {
			return keepBatch, nil
		}
		f.out = appendBatch(f.out[:0], h, h.attributes&^attrDeleteHorizon, h.maxTimestamp, h.maxTimestamp, 0, nil)
		return rewriteBatch, nil
	}
	codec := int(h.attributes & attrCodecMask)
	data, err := decompress(codec, b[batchHeaderSize:h.size()])
	if err != nil {
		return keepBatch, err
	}
	f.recs, err = parseRecords(f.recs[:0], data, h.numRecords)
	if err != nil {
		return keepBatch, err
	}
	f.read += int64(len(f.recs))
	hasHorizon := h.attributes&attrDeleteHorizon != 0
	horizonPassed := hasHorizon && f.nowMs >= h.firstTimestamp
	kept, tombsKept := 0, 0
	for i := range f.recs {
		r := &f.recs[i]
		r.keep = r.key != nil
		if r.keep {
			if latest, ok := f.keys[string(r.key)]; ok && h.baseOffset+int64(r.offDelta) < latest {
				r.keep = false
			}
		}
		if r.keep && r.tombstone && horizonPassed {
			r.keep = false
			f.tombstonesRemoved++
		}
		if r.keep {
			kept++
			if r.tombstone {
				tombsKept++
			}
		}
	}
	f.removed += int64(len(f.recs) - kept)
	horizon := int64(0)
	if tombsKept > 0 {
		horizon = f.nowMs + f.deleteRet
		if hasHorizon {
			horizon = h.firstTimestamp
		}
		if f.horizon == 0 || horizon < f.horizon {
			f.horizon = horizon
		}
	}
	if kept == len(f.recs) && (tombsKept == 0 || hasHorizon) {
		return keepBatch, nil
	}
	if kept == 0 {
		if !idempotent(h) || f.lastBatch[h.producerID] != h.lastOffset() {
			return dropBatch, nil
		}
		f.out = appendBatch(f.out[:0], h, h.attributes&^attrDeleteHorizon, h.maxTimestamp, h.maxTimestamp, 0, nil)
		return rewriteBatch, nil
	}

	logAppend := h.attributes&attrLogAppendTime != 0
	minTs, maxTs := int64(-1), int64(-1)
	for i := range f.recs {
		if r := &f.recs[i]; r.keep {
			ts := h.firstTimestamp + r.tsDelta
			if minTs < 0 || ts < minTs {
				minTs = ts
			}
			maxTs = max(maxTs, ts)
		}
	}
	attrs := h.attributes &^ attrDeleteHorizon
	base := h.firstTimestamp
	switch {
	case tombsKept > 0:
		attrs |= attrDeleteHorizon
		base = horizon
	case hasHorizon:
		base = minTs
	}
	if logAppend {
		maxTs = h.maxTimestamp
	}
	f.plain = f.plain[:0]
	var tmp [3 * binary.MaxVarintLen64]byte
	for i := range f.recs {
		r := &f.recs[i]
		if !r.keep {
			continue
		}
		hd := tmp[:0]
		hd = append(hd, r.attr)
		hd = binary.AppendVarint(hd, h.firstTimestamp+r.tsDelta-base)
		hd = binary.AppendVarint(hd, int64(r.offDelta))
		f.plain = binary.AppendVarint(f.plain, int64(len(hd)+len(r.rest)))
		f.plain = append(f.plain, hd...)
		f.plain = append(f.plain, r.rest...)
	}
	recs := f.plain
	if codec != codecNone {
		xerial := codec == codecSnappy && len(b) >= batchHeaderSize+len(xerialMagic) &&
			string(b[batchHeaderSize:batchHeaderSize+len(xerialMagic)]) == string(xerialMagic)
		if recs, err = compressRecords(nil, codec, xerial, f.plain); err != nil {
			return keepBatch, err
		}
	}
	f.out = appendBatch(f.out[:0], h, attrs, base, maxTs, int32(kept), recs)
	return rewriteBatch, nil
}

// appendBatch appends a batch with h's offsets, producer fields and
// lastOffsetDelta and the given attributes, timestamps, record count and
// (encoded, possibly compressed) records, with its CRC.
func appendBatch(dst []byte, h *header, attrs int16, firstTs, maxTs int64, n int32, recs []byte) []byte {
	start := len(dst)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.baseOffset))
	dst = binary.BigEndian.AppendUint32(dst, uint32(batchHeaderSize-logOverhead+len(recs)))
	dst = binary.BigEndian.AppendUint32(dst, 0) // partition leader epoch
	dst = append(dst, 2)                        // magic
	dst = binary.BigEndian.AppendUint32(dst, 0) // CRC, below
	dst = binary.BigEndian.AppendUint16(dst, uint16(attrs))
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.lastOffsetDelta))
	dst = binary.BigEndian.AppendUint64(dst, uint64(firstTs))
	dst = binary.BigEndian.AppendUint64(dst, uint64(maxTs))
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.producerID))
	dst = binary.BigEndian.AppendUint16(dst, uint16(h.producerEpoch))
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.baseSequence))
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	dst = append(dst, recs...)
	b := dst[start:]
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return dst
}

// isAborted reports whether h is a data batch of an aborted transaction.
func (f *batchFilter) isAborted(h *header) bool {
	if h.control() || h.attributes&attrTransactional == 0 {
		return false
	}
	for _, a := range f.aborted[h.producerID] {
		if a.first <= h.baseOffset && h.baseOffset <= a.last {
			return true
		}
	}
	return false
}

// mapKeys adds the keys of batch b's records to the map with their offsets
// and returns how many bytes of keys it added. Control batches and aborted
// transactional ones add nothing (see filter).
func (f *batchFilter) mapKeys(b []byte, h *header) (int, error) {
	if h.control() || f.isAborted(h) {
		return 0, nil
	}
	keys := f.keys
	recs, added, err := mapRecordKeys(keys, b, h, f.recs)
	f.recs = recs
	return added, err
}

// mapRecordKeys adds the keys of b's records to keys with their offsets.
func mapRecordKeys(keys map[string]int64, b []byte, h *header, recs []record) ([]record, int, error) {
	data, err := decompress(int(h.attributes&attrCodecMask), b[batchHeaderSize:h.size()])
	if err != nil {
		return recs, 0, err
	}
	if recs, err = parseRecords(recs[:0], data, h.numRecords); err != nil {
		return recs, 0, err
	}
	added := 0
	for i := range recs {
		r := &recs[i]
		if r.key == nil {
			continue
		}
		off := h.baseOffset + int64(r.offDelta)
		if _, ok := keys[string(r.key)]; !ok {
			added += len(r.key) + mapEntryOverhead
		}
		keys[string(r.key)] = off
	}
	return recs, added, nil
}
