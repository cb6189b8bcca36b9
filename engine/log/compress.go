package log

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// maxDecompressed bounds what one batch may decompress to, so a
// decompression bomb in a stored batch cannot exhaust memory when the
// cleaner or a timestamp lookup decodes it.
const maxDecompressed = 256 << 20

// xerialBlock is the block size of Xerial-framed snappy, as snappy-java
// writes it.
const xerialBlock = 32 << 10

var errTooBig = errors.New("batch decompresses past the limit")

// zstd coders are safe for concurrent EncodeAll/DecodeAll and costly to
// create, so one of each serves the package.
var (
	zstdOnce sync.Once
	zstdDec  *zstd.Decoder
	zstdEnc  *zstd.Encoder
	zstdErr  error
)

func zstdCoders() (*zstd.Decoder, *zstd.Encoder, error) {
	zstdOnce.Do(func() {
		zstdDec, zstdErr = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxDecompressed))
		if zstdErr == nil {
			zstdEnc, zstdErr = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		}
	})
	return zstdDec, zstdEnc, zstdErr
}

// Stream coders are pooled: a gzip writer is ~800 KB and an LZ4 one holds
// block buffers, too costly to create per batch.
var (
	gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
	gzipReaders sync.Pool // *gzip.Reader
	lz4Writers  = sync.Pool{New: func() any {
		w := lz4.NewWriter(nil)
		_ = w.Apply(lz4.BlockSizeOption(lz4.Block64Kb))
		return w
	}}
	lz4Readers = sync.Pool{New: func() any { return lz4.NewReader(nil) }}
)

// gunzip decompresses a gzip stream with a pooled reader.
func gunzip(src []byte) ([]byte, error) {
	r, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if r == nil {
		r, err = gzip.NewReader(bytes.NewReader(src))
	} else {
		err = r.Reset(bytes.NewReader(src))
	}
	if err != nil {
		return nil, err
	}
	defer gzipReaders.Put(r)
	return readAllLimited(r)
}

// unlz4 decompresses an LZ4 frame with a pooled reader.
func unlz4(src []byte) ([]byte, error) {
	r := lz4Readers.Get().(*lz4.Reader)
	defer lz4Readers.Put(r)
	r.Reset(bytes.NewReader(src))
	return readAllLimited(r)
}

// readAllLimited reads r to the end, refusing more than maxDecompressed bytes.
func readAllLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxDecompressed+1))
	if err == nil && len(b) > maxDecompressed {
		err = errTooBig
	}
	return b, err
}

// compressRecords appends src compressed with codec to dst, in the framing
// Kafka clients read: gzip, raw snappy (Xerial framing if xerial, as the
// batch being rewritten had it), an LZ4 frame, a zstd frame.
func compressRecords(dst []byte, codec int, xerial bool, src []byte) ([]byte, error) {
	switch codec {
	case codecNone:
		return append(dst, src...), nil
	case codecGzip:
		buf := bytes.NewBuffer(dst)
		w := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(w)
		w.Reset(buf)
		if _, err := w.Write(src); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case codecSnappy:
		if !xerial {
			return append(dst, snappy.Encode(nil, src)...), nil
		}
		dst = append(dst, xerialMagic...)
		dst = binary.BigEndian.AppendUint32(dst, 1) // version
		dst = binary.BigEndian.AppendUint32(dst, 1) // compatible version
		for len(src) > 0 {
			n := min(len(src), xerialBlock)
			blk := snappy.Encode(nil, src[:n])
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(blk)))
			dst = append(dst, blk...)
			src = src[n:]
		}
		return dst, nil
	case codecLZ4:
		buf := bytes.NewBuffer(dst)
		w := lz4Writers.Get().(*lz4.Writer)
		defer lz4Writers.Put(w)
		w.Reset(buf)
		if _, err := w.Write(src); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case codecZstd:
		_, enc, err := zstdCoders()
		if err != nil {
			return nil, err
		}
		return enc.EncodeAll(src, dst), nil
	default:
		return nil, fmt.Errorf("unknown compression codec %d", codec)
	}
}
