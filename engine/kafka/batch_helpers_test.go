package kafka

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// testingTB is the part of testing.TB the batch helpers need (testing.F included).
type testingTB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// makeBatch builds one v2 record batch, byte for byte as in Kafka's DefaultRecordBatch:
//
//	baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (2) |
//	crc uint32 (CRC-32C of attributes..end) | attributes int16 | lastOffsetDelta int32 |
//	baseTimestamp int64 | maxTimestamp int64 | producerId int64 | producerEpoch int16 |
//	baseSequence int32 | records count int32 | records (compressed as one block if codec > 0)
func makeBatch(tb testingTB, codec int8, firstTimestamp int64, values ...string) []byte {
	tb.Helper()
	var recs []byte
	for i, v := range values {
		var body []byte
		body = append(body, 0)                          // attributes
		body = binary.AppendVarint(body, int64(i))      // timestamp delta
		body = binary.AppendVarint(body, int64(i))      // offset delta
		body = binary.AppendVarint(body, -1)            // null key
		body = binary.AppendVarint(body, int64(len(v))) // value
		body = append(body, v...)
		body = binary.AppendVarint(body, 0) // no headers
		recs = binary.AppendVarint(recs, int64(len(body)))
		recs = append(recs, body...)
	}
	if codec != 0 {
		recs = compress(tb, codec, recs)
	}
	n := int32(len(values))
	b := make([]byte, 0, batchHeaderSize+len(recs))
	b = binary.BigEndian.AppendUint64(b, 0)             // base offset
	b = binary.BigEndian.AppendUint32(b, 0)             // length, set below
	b = binary.BigEndian.AppendUint32(b, 0)             // partition leader epoch
	b = append(b, 2)                                    // magic
	b = binary.BigEndian.AppendUint32(b, 0)             // crc, set below
	b = binary.BigEndian.AppendUint16(b, uint16(codec)) // attributes
	b = binary.BigEndian.AppendUint32(b, uint32(n-1))   // last offset delta
	b = binary.BigEndian.AppendUint64(b, uint64(firstTimestamp))
	b = binary.BigEndian.AppendUint64(b, uint64(firstTimestamp+int64(max(n-1, 0))))
	b = binary.BigEndian.AppendUint64(b, ^uint64(0)) // producer id -1
	b = binary.BigEndian.AppendUint16(b, ^uint16(0)) // producer epoch -1
	b = binary.BigEndian.AppendUint32(b, ^uint32(0)) // base sequence -1
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = append(b, recs...)
	return resealBatch(b)
}

// resealBatch sets the length and CRC fields to match b.
func resealBatch(b []byte) []byte {
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12))
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32c))
	return b
}

func compress(tb testingTB, codec int8, src []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	switch codec {
	case 1:
		w := gzip.NewWriter(&buf)
		_, _ = w.Write(src)
		if err := w.Close(); err != nil {
			tb.Fatalf("gzip: %v", err)
		}
	case 2:
		// Kafka's snappy codec accepts plain snappy blocks (and xerial framing).
		return s2.EncodeSnappy(nil, src)
	case 3:
		w := lz4.NewWriter(&buf)
		_, _ = w.Write(src)
		if err := w.Close(); err != nil {
			tb.Fatalf("lz4: %v", err)
		}
	case 4:
		enc, err := zstd.NewWriter(nil)
		if err != nil {
			tb.Fatalf("zstd: %v", err)
		}
		defer enc.Close()
		return enc.EncodeAll(src, nil)
	default:
		tb.Fatalf("unknown codec %d", codec)
	}
	return buf.Bytes()
}
