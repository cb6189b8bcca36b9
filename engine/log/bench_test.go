package log

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkAppend appends ~16 KiB batches of 1 KiB records. sync waits for
// Durable after every append (one fsync round each); sync-parallel has many
// producers share rounds (group commit); none and memory never fsync.
func BenchmarkAppend(b *testing.B) {
	s := spec(16)
	s.valueSize = 1024
	batch := buildBatch(b, s)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := func(b *testing.B, p *Partition, wait bool) {
		done := make(chan error, 1)
		cb := func(err error) { done <- err }
		now := time.Now()
		b.SetBytes(int64(len(batch)))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			res, err := p.Append(batch, now)
			if err != nil {
				b.Fatal(err)
			}
			if wait {
				p.Durable(res.LastOffset, cb)
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	open := func(b *testing.B, pol FlushPolicy) (*Partition, func()) {
		f := NewFlusher(pol, 0, quiet)
		p, err := Open(b.TempDir(), Config{SegmentBytes: 256 << 20}, f, quiet)
		if err != nil {
			b.Fatal(err)
		}
		return p, func() { p.Close(); f.Close() }
	}
	b.Run("sync", func(b *testing.B) {
		p, closeFn := open(b, FlushSync)
		defer closeFn()
		run(b, p, true)
	})
	b.Run("sync-parallel", func(b *testing.B) {
		p, closeFn := open(b, FlushSync)
		defer closeFn()
		b.SetBytes(int64(len(batch)))
		b.ReportAllocs()
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			buf := append([]byte(nil), batch...)
			done := make(chan error, 1)
			cb := func(err error) { done <- err }
			for pb.Next() {
				res, err := p.Append(buf, time.Now())
				if err != nil {
					b.Error(err)
					return
				}
				p.Durable(res.LastOffset, cb)
				if err := <-done; err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("none", func(b *testing.B) {
		p, closeFn := open(b, FlushNone)
		defer closeFn()
		run(b, p, true)
	})
	b.Run("memory", func(b *testing.B) {
		p := OpenMemory(Config{SegmentBytes: 64 << 20, RetentionBytes: 256 << 20})
		defer p.Close()
		now := time.Now()
		b.SetBytes(int64(len(batch)))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := p.Append(batch, now); err != nil {
				b.Fatal(err)
			}
			if i%4096 == 0 {
				p.EnforceRetention(now)
			}
		}
	})
}

// BenchmarkOpenManySegments measures Open (and Close) of a partition with
// 2000 closed segments of 16 KiB written by 8 idempotent producers: the
// restart time of a partition that has rolled a lot.
func BenchmarkOpenManySegments(b *testing.B) {
	const segments = 2000
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := b.TempDir()
	cfg := Config{SegmentBytes: 16 << 10}
	p, err := Open(dir, cfg, nil, quiet)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	var seq [8]int32
	for i := 0; len(p.s.segs) <= segments; i++ {
		s := spec(16)
		s.valueSize = 100
		s.pid = int64(i % 8)
		s.seq = seq[i%8]
		seq[i%8] += 16
		if _, err := p.Append(buildBatch(b, s), now); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		p, err := Open(dir, cfg, nil, quiet)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		p.Close()
		b.StartTimer()
	}
}

// BenchmarkClean measures one cleaning pass over 1 MiB segments of batches
// of 16 records of ~200 bytes over 20,000 keys (32 MiB uncompressed; 8 MiB
// of zstd batches, far more uncompressed); MB/s counts the bytes read.
func BenchmarkClean(b *testing.B) {
	for _, c := range []struct {
		name  string
		codec int
		size  int64
	}{{"none", codecNone, 32 << 20}, {"zstd", codecZstd, 8 << 20}} {
		b.Run(c.name, func(b *testing.B) {
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			cfg := Config{SegmentBytes: 1 << 20, CleanupPolicy: CleanupCompact, MinCleanableDirtyRatio: -1}
			tmpl := b.TempDir()
			p, err := Open(tmpl, cfg, nil, quiet)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 1))
			val := bytes.Repeat([]byte("v"), 200)
			for ts := int64(0); p.Size() < c.size; ts += 16 {
				kvs := make([]kv, 16)
				for i := range kvs {
					kvs[i] = kv{key: fmt.Sprintf("key-%06d", r.IntN(20000)), val: val}
				}
				if _, err := p.Append(keyedBatch(b, c.codec, false, ts, kvs), time.UnixMilli(ts)); err != nil {
					b.Fatal(err)
				}
			}
			if err := p.Close(); err != nil {
				b.Fatal(err)
			}
			var res CleanResult
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				copyDir(b, tmpl, dir)
				p, err := Open(dir, cfg, nil, quiet)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if res, err = p.Clean(time.Now()); err != nil || !res.Cleaned {
					b.Fatal(res, err)
				}
				b.StopTimer()
				p.Close()
				b.SetBytes(res.BytesBefore)
				b.StartTimer()
			}
			b.ReportMetric(float64(res.BytesAfter)/float64(res.BytesBefore), "after/before")
		})
	}
}
