package tiered

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamlite/streamlite/tiered/objstore"
)

// benchSegment is one uploaded segment of 16 KiB batches (16 records of
// 1 KiB) read by the benchmarks.
type benchSegment struct {
	seg     SegmentFiles
	records int64
	store   objstore.Store // FileStore holding it
}

func newBenchSegment(b *testing.B, size int64) benchSegment {
	b.Helper()
	w := newSegWriter(b, 4096)
	w.valueSize, w.records = 1000, 16
	var records int64
	for {
		tb := w.add()
		records += int64(w.records)
		if tb.pos+int64(len(tb.data)) >= size {
			break
		}
	}
	seg := w.segments()[0]
	st := newFileStore(b)
	r, err := OpenRemote(context.Background(), st, testRef, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Upload(context.Background(), seg); err != nil {
		b.Fatal(err)
	}
	return benchSegment{seg: seg, records: records, store: st}
}

// consume reads the whole tier as a consumer does: fetches of up to 1 MiB
// from the offset after the last batch received.
func consume(b *testing.B, r *Remote, buf []byte) []byte {
	ctx := context.Background()
	for off := r.StartOffset(); off < r.EndOffset(); {
		var err error
		buf, err = r.Read(ctx, off, 1<<20, true, buf[:0])
		if err != nil {
			b.Fatal(err)
		}
		off = lastOffsetIn(b, buf) + 1
	}
	return buf
}

// lastOffsetIn returns the last offset of the last batch in b.
func lastOffsetIn(b *testing.B, batches []byte) int64 {
	var last int64 = -1
	for len(batches) > 0 {
		h, err := parseHeader(batches)
		if err != nil {
			b.Fatal(err)
		}
		last = h.lastOffset
		batches = batches[h.size:]
	}
	return last
}

// BenchmarkRemoteRead reads one 32 MiB segment as a consumer from its
// first offset (1 MiB fetches): from the local file (the baseline: pread
// and trim to whole batches, as engine/log serves it), from the remote tier
// through a cold cache (chunks fetched from the store, read-ahead on),
// through a warm cache (every chunk cached), and cold from a store that
// answers each GetRange after 5 ms (an S3-like round trip), with and
// without read-ahead. MB/s is per consumer; records/s too.
func BenchmarkRemoteRead(b *testing.B) {
	const size = 32 << 20
	bs := newBenchSegment(b, size)
	report := func(b *testing.B) {
		b.ReportMetric(float64(bs.records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	}

	b.Run("local", func(b *testing.B) {
		f, err := os.Open(bs.seg.Log)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 1<<20)
		b.SetBytes(bs.seg.Size)
		for b.Loop() {
			for pos := int64(0); pos < bs.seg.Size; {
				n, _ := f.ReadAt(buf[:min(int64(len(buf)), bs.seg.Size-pos)], pos)
				whole := 0
				for whole+batchHeaderSize <= n {
					sz := int(binary.BigEndian.Uint32(buf[whole+offBatchLength:])) + logOverhead
					if whole+sz > n {
						break
					}
					whole += sz
				}
				if whole == 0 {
					b.Fatal("batch larger than the fetch")
				}
				pos += int64(whole)
			}
		}
		report(b)
	})

	cold := func(name string, st objstore.Store, cfg CacheConfig) {
		b.Run(name, func(b *testing.B) {
			root := b.TempDir()
			var buf []byte
			b.SetBytes(bs.seg.Size)
			i := 0
			for b.Loop() {
				b.StopTimer()
				cfg.Dir = filepath.Join(root, fmt.Sprint(i))
				i++
				c, err := NewCache(st, cfg, nil)
				if err != nil {
					b.Fatal(err)
				}
				r, err := OpenRemote(context.Background(), st, testRef, c, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				buf = consume(b, r, buf)
				b.StopTimer()
				c.Close()
				os.RemoveAll(cfg.Dir)
				b.StartTimer()
			}
			report(b)
		})
	}
	cold("remote-cold", bs.store, CacheConfig{MaxBytes: 2 * size})

	b.Run("remote-warm", func(b *testing.B) {
		c, err := NewCache(bs.store, CacheConfig{Dir: b.TempDir(), MaxBytes: 2 * size}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		r, err := OpenRemote(context.Background(), bs.store, testRef, c, nil)
		if err != nil {
			b.Fatal(err)
		}
		buf := consume(b, r, nil)
		b.SetBytes(bs.seg.Size)
		for b.Loop() {
			buf = consume(b, r, buf)
		}
		report(b)
	})

	slow := wrapStore(bs.store)
	slow.delay = 5 * time.Millisecond
	cold("remote-cold-5ms", slow, CacheConfig{MaxBytes: 2 * size})
	cold("remote-cold-5ms-noreadahead", slow, CacheConfig{MaxBytes: 2 * size, ReadAhead: -1})
}
