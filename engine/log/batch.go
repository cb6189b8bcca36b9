package log

import (
	"encoding/binary"
	"hash/crc32"
	"math"
)

// Record batch v2 header layout (all big-endian).
const (
	offBaseOffset      = 0
	offBatchLength     = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offFirstTimestamp  = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offNumRecords      = 57
	batchHeaderSize    = 61

	// logOverhead is baseOffset + batchLength: the bytes not counted by batchLength.
	logOverhead = 12

	attrCodecMask     = 0x07
	attrLogAppendTime = 0x08
	attrTransactional = 0x10
	attrControl       = 0x20
)

// castagnoli is the CRC-32C table; read-only after init.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is the decoded fixed part of a record batch.
type header struct {
	baseOffset      int64
	length          int32 // batchLength: bytes after the length field
	attributes      int16
	lastOffsetDelta int32
	firstTimestamp  int64
	maxTimestamp    int64
	producerID      int64
	producerEpoch   int16
	baseSequence    int32
	numRecords      int32
}

// size is the whole batch size in bytes.
func (h *header) size() int { return int(h.length) + logOverhead }

// lastOffset is the offset of the batch's last record.
func (h *header) lastOffset() int64 { return h.baseOffset + int64(h.lastOffsetDelta) }

func (h *header) control() bool { return h.attributes&attrControl != 0 }

// lastSequence is the sequence of the batch's last record, wrapping at MaxInt32.
func (h *header) lastSequence() int32 {
	return addSeq(h.baseSequence, h.lastOffsetDelta)
}

// addSeq adds d to sequence s with Kafka's wraparound from MaxInt32 to 0.
func addSeq(s, d int32) int32 {
	v := int64(s) + int64(d)
	if v > math.MaxInt32 {
		v -= math.MaxInt32 + 1
	}
	return int32(v)
}

// parseHeader decodes the fixed header of b, which must hold at least
// batchHeaderSize bytes. It checks magic and that the length is sane, not
// the CRC and not that the whole batch is present.
func parseHeader(b []byte) (header, bool) {
	if len(b) < batchHeaderSize || b[offMagic] != 2 {
		return header{}, false
	}
	h := header{
		baseOffset:      int64(binary.BigEndian.Uint64(b[offBaseOffset:])),
		length:          int32(binary.BigEndian.Uint32(b[offBatchLength:])),
		attributes:      int16(binary.BigEndian.Uint16(b[offAttributes:])),
		lastOffsetDelta: int32(binary.BigEndian.Uint32(b[offLastOffsetDelta:])),
		firstTimestamp:  int64(binary.BigEndian.Uint64(b[offFirstTimestamp:])),
		maxTimestamp:    int64(binary.BigEndian.Uint64(b[offMaxTimestamp:])),
		producerID:      int64(binary.BigEndian.Uint64(b[offProducerID:])),
		producerEpoch:   int16(binary.BigEndian.Uint16(b[offProducerEpoch:])),
		baseSequence:    int32(binary.BigEndian.Uint32(b[offBaseSequence:])),
		numRecords:      int32(binary.BigEndian.Uint32(b[offNumRecords:])),
	}
	if h.length < batchHeaderSize-logOverhead || h.lastOffsetDelta < 0 {
		return header{}, false
	}
	return h, true
}

// crcOK reports whether the whole batch b carries a valid CRC-32C.
func crcOK(b []byte) bool {
	return binary.BigEndian.Uint32(b[offCRC:]) == crc32.Checksum(b[offAttributes:], castagnoli)
}

// stampBatch writes the assigned base offset and a zero leader epoch in place.
// Neither field is covered by the CRC.
func stampBatch(b []byte, baseOffset int64) {
	binary.BigEndian.PutUint64(b[offBaseOffset:], uint64(baseOffset))
	binary.BigEndian.PutUint32(b[offLeaderEpoch:], 0)
}

// stampLogAppendTime sets firstTimestamp and maxTimestamp to ts, sets the
// LogAppendTime attribute and recomputes the CRC.
func stampLogAppendTime(b []byte, ts int64) {
	attr := binary.BigEndian.Uint16(b[offAttributes:]) | attrLogAppendTime
	binary.BigEndian.PutUint16(b[offAttributes:], attr)
	binary.BigEndian.PutUint64(b[offFirstTimestamp:], uint64(ts))
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(ts))
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
}
