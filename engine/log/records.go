package log

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/klauspost/compress/snappy"
)

// Compression codecs in attribute bits 0-2.
const (
	codecNone   = 0
	codecGzip   = 1
	codecSnappy = 2
	codecLZ4    = 3
	codecZstd   = 4
)

// xerialMagic starts snappy data framed the way the Java client and
// librdkafka write it: magic, version and compat ints, then blocks of
// int32 length + raw snappy.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

// recordTime is one record's offset and timestamp, and whether its key is null.
type recordTime struct {
	offset, timestamp int64
	nullKey           bool
}

// recordTimes decodes the records of the whole batch b (header included)
// and calls fn with each record's absolute offset and timestamp until fn
// returns false. It is used only by timestamp lookups, never on the
// produce or fetch path.
func recordTimes(b []byte, fn func(recordTime) bool) error {
	h, ok := parseHeader(b)
	if !ok || len(b) < h.size() {
		return ErrCorruptBatch
	}
	data, err := decompress(int(h.attributes&attrCodecMask), b[batchHeaderSize:h.size()])
	if err != nil {
		return fmt.Errorf("log: decoding batch at offset %d: %w", h.baseOffset, err)
	}
	logAppend := h.attributes&attrLogAppendTime != 0
	for i := int32(0); i < h.numRecords && len(data) > 0; i++ {
		length, n := binary.Varint(data)
		if n <= 0 || length < 0 || int64(len(data)-n) < length {
			return ErrCorruptBatch
		}
		rec := data[n : n+int(length)]
		data = data[n+int(length):]
		if len(rec) < 1 {
			return ErrCorruptBatch
		}
		rec = rec[1:] // attributes
		tsDelta, n := binary.Varint(rec)
		if n <= 0 {
			return ErrCorruptBatch
		}
		rec = rec[n:]
		offDelta, n := binary.Varint(rec)
		if n <= 0 {
			return ErrCorruptBatch
		}
		keyLen, n := binary.Varint(rec[n:])
		if n <= 0 {
			return ErrCorruptBatch
		}
		ts := h.firstTimestamp + tsDelta
		if logAppend {
			ts = h.maxTimestamp
		}
		if !fn(recordTime{offset: h.baseOffset + offDelta, timestamp: ts, nullKey: keyLen < 0}) {
			return nil
		}
	}
	return nil
}

// HasNullKey reports whether any record of the whole batch b (header included) has a null
// key, decompressing it if need be. The produce path calls it for compacted topics, which
// refuse such records as Kafka does ("Compacted topic cannot accept message without key").
func HasNullKey(b []byte) (bool, error) {
	found := false
	err := recordTimes(b, func(r recordTime) bool {
		found = r.nullKey
		return !found
	})
	return found, err
}

// decompress returns the uncompressed record bytes (src itself when
// uncompressed), refusing more than maxDecompressed bytes.
func decompress(codec int, src []byte) ([]byte, error) {
	switch codec {
	case codecNone:
		return src, nil
	case codecGzip:
		return gunzip(src)
	case codecSnappy:
		return unsnappy(src)
	case codecLZ4:
		return unlz4(src)
	case codecZstd:
		d, _, err := zstdCoders()
		if err != nil {
			return nil, err
		}
		return d.DecodeAll(src, nil)
	default:
		return nil, fmt.Errorf("unknown compression codec %d", codec)
	}
}

// unsnappy decodes raw snappy or Xerial-framed snappy.
func unsnappy(src []byte) ([]byte, error) {
	if !bytes.HasPrefix(src, xerialMagic) {
		if n, err := snappy.DecodedLen(src); err == nil && n > maxDecompressed {
			return nil, errTooBig
		}
		return snappy.Decode(nil, src)
	}
	if len(src) < 16 {
		return nil, errors.New("short xerial snappy header")
	}
	src = src[16:] // magic 8, version 4, compat 4
	var out []byte
	for len(src) > 0 {
		if len(src) < 4 {
			return nil, errors.New("short xerial snappy block")
		}
		n := int(binary.BigEndian.Uint32(src))
		src = src[4:]
		if n < 0 || n > len(src) {
			return nil, errors.New("xerial snappy block past end")
		}
		if dn, err := snappy.DecodedLen(src[:n]); err == nil && len(out)+dn > maxDecompressed {
			return nil, errTooBig
		}
		blk, err := snappy.Decode(nil, src[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, blk...)
		src = src[n:]
	}
	return out, nil
}
