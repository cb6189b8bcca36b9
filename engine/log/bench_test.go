package log

import (
	"io"
	"log/slog"
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
