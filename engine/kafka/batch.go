package kafka

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kerr"
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// batchHeaderSize is the fixed part of a v2 record batch, up to and including numRecords.
const batchHeaderSize = 61

// protoError is a request (or part of one) that is refused, with the Kafka error it is
// answered with and a message saying why.
type protoError struct {
	code *kerr.Error
	msg  string
}

func (e *protoError) Error() string { return e.code.Message + ": " + e.msg }
func (e *protoError) Unwrap() error { return e.code }

func refuse(code *kerr.Error, format string, args ...any) error {
	return &protoError{code: code, msg: fmt.Sprintf(format, args...)}
}

// validateBatch checks one produced record set: exactly one v2 record batch, whole, with a good
// CRC, no larger than maxBytes (max.message.bytes), with counts that agree, not a control batch,
// transactional only if the request carries a transactional id (transactional) and then with a
// producer id, and for an uncompressed batch records that frame exactly. Compressed batches are
// passed through undecoded. produceVersion gates zstd (Produce v7+).
func validateBatch(b []byte, maxBytes int32, produceVersion int16, transactional bool) error {
	if len(b) < batchHeaderSize {
		return refuse(kerr.CorruptMessage, "record set of %d bytes is shorter than a record batch header", len(b))
	}
	if magic := int8(b[16]); magic != 2 {
		return refuse(kerr.InvalidRecord, "record batch magic %d: produce v3+ takes only magic 2 batches", magic)
	}
	batchLen := int64(int32(binary.BigEndian.Uint32(b[8:])))
	if batchLen+12 != int64(len(b)) {
		if batchLen+12 < int64(len(b)) && batchLen >= batchHeaderSize-12 {
			return refuse(kerr.InvalidRecord, "produce v3+ takes exactly one record batch per partition; got %d bytes after the first", int64(len(b))-batchLen-12)
		}
		return refuse(kerr.CorruptMessage, "batch length %d does not match the %d bytes sent", batchLen, len(b)-12)
	}
	if int64(len(b)) > int64(maxBytes) {
		return refuse(kerr.MessageTooLarge, "record batch of %d bytes is larger than max.message.bytes %d", len(b), maxBytes)
	}
	if got, want := crc32.Checksum(b[21:], crc32c), binary.BigEndian.Uint32(b[17:]); got != want {
		return refuse(kerr.CorruptMessage, "record batch CRC %08x does not match its contents (%08x)", want, got)
	}
	attrs := binary.BigEndian.Uint16(b[21:])
	codec := attrs & 0x7
	switch {
	case codec > 4:
		return refuse(kerr.CorruptMessage, "unknown compression codec %d", codec)
	case codec == 4 && produceVersion < 7:
		return refuse(kerr.UnsupportedCompressionType, "zstd needs produce v7 or later, got v%d", produceVersion)
	case attrs&0x20 != 0:
		return refuse(kerr.InvalidRecord, "clients may not produce control batches")
	case attrs&0x10 != 0 && !transactional:
		return refuse(kerr.TransactionalIDAuthorizationFailed, "a transactional batch needs a produce request with a transactional id")
	case attrs&0x10 != 0 && int64(binary.BigEndian.Uint64(b[43:])) < 0:
		return refuse(kerr.InvalidRecord, "a transactional batch needs a producer id")
	}
	lastDelta := int32(binary.BigEndian.Uint32(b[23:]))
	n := int32(binary.BigEndian.Uint32(b[57:]))
	if n <= 0 || lastDelta != n-1 {
		return refuse(kerr.InvalidRecord, "batch has %d records but last offset delta %d", n, lastDelta)
	}
	if codec == 0 {
		return checkRecordFraming(b[batchHeaderSize:], n)
	}
	return nil
}

// checkRecordFraming walks n uncompressed records: each a varint length followed by that many
// bytes, with offset deltas 0..n-1, ending exactly at the end of the batch.
func checkRecordFraming(recs []byte, n int32) error {
	for i := range n {
		l, k := binary.Varint(recs)
		if k <= 0 || l < 0 || int64(len(recs)-k) < l {
			return refuse(kerr.CorruptMessage, "record %d of %d has a bad length", i, n)
		}
		rec := recs[k : k+int(l)]
		recs = recs[k+int(l):]
		// attributes int8, timestampDelta varlong, offsetDelta varint
		if len(rec) < 1 {
			return refuse(kerr.CorruptMessage, "record %d of %d is empty", i, n)
		}
		_, k1 := binary.Varint(rec[1:])
		if k1 <= 0 {
			return refuse(kerr.CorruptMessage, "record %d of %d has a bad timestamp delta", i, n)
		}
		od, k2 := binary.Varint(rec[1+k1:])
		if k2 <= 0 || od != int64(i) {
			return refuse(kerr.InvalidRecord, "record %d of %d has offset delta %d", i, n, od)
		}
	}
	if len(recs) != 0 {
		return refuse(kerr.CorruptMessage, "%d bytes after the last of %d records", len(recs), n)
	}
	return nil
}

// transactional reports whether a validated batch has the transactional attribute.
func transactional(b []byte) bool { return binary.BigEndian.Uint16(b[21:])&0x10 != 0 }

// batchProducer returns a validated batch's producer id and epoch.
func batchProducer(b []byte) (int64, int16) {
	return int64(binary.BigEndian.Uint64(b[43:])), int16(binary.BigEndian.Uint16(b[51:]))
}
