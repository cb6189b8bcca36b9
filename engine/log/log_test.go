package log

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// readAll reads every batch from offset to the high watermark.
func readAll(t *testing.T, p *Partition, offset int64) []byte {
	t.Helper()
	var out []byte
	for offset < p.HighWatermark() {
		n := len(out)
		var err error
		out, err = p.Read(offset, 1<<20, true, out)
		if err != nil {
			t.Fatalf("read at %d: %v", offset, err)
		}
		if len(out) == n {
			t.Fatalf("read at %d returned nothing below hw %d", offset, p.HighWatermark())
		}
		hs := batches(t, out[n:])
		offset = hs[len(hs)-1].lastOffset() + 1
	}
	return out
}

func TestRoundTripAcrossRolls(t *testing.T) {
	forVariants(t, Config{SegmentBytes: 2048, IndexIntervalBytes: 300}, func(t *testing.T, h *harness) {
		var want []byte
		for i := 0; i < 60; i++ {
			b := buildBatch(t, spec(5))
			res := h.append(b)
			if res.BaseOffset != int64(i*5) || res.LastOffset != int64(i*5+4) || res.Duplicate {
				t.Fatalf("batch %d: got %+v", i, res)
			}
			// Offsets are assigned in place in the caller's buffer.
			if got := int64(binary.BigEndian.Uint64(b)); got != res.BaseOffset {
				t.Fatalf("base offset in buffer = %d, want %d", got, res.BaseOffset)
			}
			want = append(want, b...)
		}
		check := func() {
			if h.p.LogEndOffset() != 300 || h.p.HighWatermark() != 300 {
				t.Fatalf("leo %d hw %d, want 300", h.p.LogEndOffset(), h.p.HighWatermark())
			}
			if len(h.p.s.segs) < 5 {
				t.Fatalf("only %d segments; expected rolls", len(h.p.s.segs))
			}
			if got := readAll(t, h.p, 0); !bytes.Equal(got, want) {
				t.Fatal("read bytes differ from appended bytes")
			}
			if h.p.Size() != int64(len(want)) {
				t.Fatalf("size %d, want %d", h.p.Size(), len(want))
			}
			// Every offset reads from the batch that contains it.
			for off := int64(0); off < 300; off++ {
				out, err := h.p.Read(off, 1, true, nil)
				if err != nil {
					t.Fatal(err)
				}
				hs := batches(t, out)
				if len(hs) != 1 || hs[0].baseOffset > off || hs[0].lastOffset() < off {
					t.Fatalf("read %d: got batch %d-%d", off, hs[0].baseOffset, hs[0].lastOffset())
				}
			}
		}
		check()
		h.reopen()
		check()
		// Appends continue after reopen.
		if res := h.append(buildBatch(t, spec(1))); res.BaseOffset != 300 {
			t.Fatalf("after reopen base %d", res.BaseOffset)
		}
	})
}

func TestReadLimits(t *testing.T) {
	forVariants(t, Config{}, func(t *testing.T, h *harness) {
		var size int
		for i := 0; i < 4; i++ {
			b := buildBatch(t, spec(3))
			size = len(b)
			h.append(b)
		}
		prefix := []byte("xyz")
		read := func(off int64, max int, minOne bool) []header {
			t.Helper()
			out, err := h.p.Read(off, max, minOne, append([]byte(nil), prefix...))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out, prefix) {
				t.Fatal("Read clobbered the caller's prefix")
			}
			return batches(t, out[len(prefix):])
		}
		if hs := read(0, 2*size, false); len(hs) != 2 {
			t.Fatalf("2 batches fit, got %d", len(hs))
		}
		if hs := read(0, 2*size-1, false); len(hs) != 1 {
			t.Fatalf("1 batch fits, got %d", len(hs))
		}
		if hs := read(4, size-1, false); len(hs) != 0 {
			t.Fatalf("nothing fits without minOne, got %d", len(hs))
		}
		if hs := read(4, size-1, true); len(hs) != 1 || hs[0].baseOffset != 3 {
			t.Fatalf("minOne returns the first batch whole, got %v", hs)
		}
		if hs := read(4, 0, true); len(hs) != 1 {
			t.Fatalf("minOne with maxBytes 0, got %d", len(hs))
		}
		if hs := read(0, 1<<20, false); len(hs) != 4 {
			t.Fatalf("all batches, got %d", len(hs))
		}
		if hs := read(12, 1<<20, false); len(hs) != 0 {
			t.Fatal("read at hw returns nothing")
		}
		if _, err := h.p.Read(13, 100, true, nil); !errors.Is(err, ErrOffsetOutOfRange) {
			t.Fatalf("read past hw: %v", err)
		}
		if _, err := h.p.Read(-1, 100, true, nil); !errors.Is(err, ErrOffsetOutOfRange) {
			t.Fatalf("read below start: %v", err)
		}
	})
}

func TestAppendRejectsGarbage(t *testing.T) {
	forVariants(t, Config{}, func(t *testing.T, h *harness) {
		b := buildBatch(t, spec(1))
		for _, bad := range [][]byte{nil, b[:30], b[:len(b)-1], append(append([]byte(nil), b...), 0)} {
			if _, err := h.p.Append(bad, time.Now()); !errors.Is(err, ErrCorruptBatch) {
				t.Fatalf("len %d: %v", len(bad), err)
			}
		}
		b[16] = 1
		if _, err := h.p.Append(b, time.Now()); !errors.Is(err, ErrCorruptBatch) {
			t.Fatalf("magic 1: %v", err)
		}
	})
}

func TestClosed(t *testing.T) {
	forVariants(t, Config{}, func(t *testing.T, h *harness) {
		h.append(buildBatch(t, spec(1)))
		if err := h.p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := h.p.Close(); !errors.Is(err, ErrClosed) {
			t.Fatal(err)
		}
		if _, err := h.p.Append(buildBatch(t, spec(1)), time.Now()); !errors.Is(err, ErrClosed) {
			t.Fatal(err)
		}
		if _, err := h.p.Read(0, 100, true, nil); !errors.Is(err, ErrClosed) {
			t.Fatal(err)
		}
		h.p = nil
	})
}

func TestLogAppendTime(t *testing.T) {
	forVariants(t, Config{LogAppendTime: true}, func(t *testing.T, h *harness) {
		now := time.UnixMilli(5_000_000)
		b := buildBatch(t, spec(3))
		res := mustAppend(t, h.p, b, now)
		if res.LogAppendTime != now.UnixMilli() {
			t.Fatalf("LogAppendTime %d", res.LogAppendTime)
		}
		out, _ := h.p.Read(0, 1<<20, true, nil)
		hs := batches(t, out) // checks the recomputed CRC
		if hs[0].maxTimestamp != now.UnixMilli() || hs[0].attributes&attrLogAppendTime == 0 {
			t.Fatalf("batch not stamped: %+v", hs[0])
		}
		off, ts, ok, err := h.p.OffsetForTimestamp(0)
		if err != nil || !ok || off != 0 || ts != now.UnixMilli() {
			t.Fatalf("OffsetForTimestamp: %d %d %v %v", off, ts, ok, err)
		}
	})
}

func TestTimestampLookups(t *testing.T) {
	codecs := []struct {
		name   string
		codec  int
		xerial bool
	}{
		{"none", codecNone, false}, {"gzip", codecGzip, false}, {"snappy", codecSnappy, false},
		{"snappy-xerial", codecSnappy, true}, {"lz4", codecLZ4, false}, {"zstd", codecZstd, false},
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			forVariants(t, Config{SegmentBytes: 600}, func(t *testing.T, h *harness) {
				if _, _, ok, _ := h.p.MaxTimestamp(); ok {
					t.Fatal("MaxTimestamp on empty log")
				}
				// Batch i holds records with timestamps 1000*i + {0,10,20,30}
				// except batch 3, whose timestamps go down, with the log's
				// max (99999) at its record 1.
				for i := 0; i < 8; i++ {
					s := spec(4)
					s.codec, s.xerial = c.codec, c.xerial
					s.timestamps = []int64{1000 * int64(i), 1000*int64(i) + 10, 1000*int64(i) + 20, 1000*int64(i) + 30}
					if i == 3 {
						s.timestamps = []int64{3030, 99999, 3010, 3000}
					}
					h.append(buildBatch(t, s))
				}
				check := func() {
					t.Helper()
					for _, tc := range []struct{ ts, off, got int64 }{
						{0, 0, 0}, {5, 1, 10}, {30, 3, 30}, {31, 4, 1000}, {2015, 10, 2020},
						{3005, 12, 3030}, {3031, 13, 99999}, {4000, 13, 99999}, {7030, 13, 99999},
					} {
						off, got, ok, err := h.p.OffsetForTimestamp(tc.ts)
						if err != nil || !ok || off != tc.off || got != tc.got {
							t.Fatalf("ts %d: got %d@%d ok=%v err=%v; want %d@%d", tc.ts, off, got, ok, err, tc.off, tc.got)
						}
					}
					if _, _, ok, err := h.p.OffsetForTimestamp(100000); ok || err != nil {
						t.Fatalf("beyond max: ok=%v err=%v", ok, err)
					}
					off, ts, ok, err := h.p.MaxTimestamp()
					if err != nil || !ok || off != 13 || ts != 99999 {
						t.Fatalf("MaxTimestamp: %d %d %v %v", off, ts, ok, err)
					}
				}
				check()
				h.reopen()
				check()
			})
		})
	}
}

func TestRetention(t *testing.T) {
	t.Run("bytes", func(t *testing.T) {
		forVariants(t, Config{SegmentBytes: 1000, RetentionMs: -1}, func(t *testing.T, h *harness) {
			for i := 0; i < 30; i++ {
				h.append(buildBatch(t, spec(3)))
			}
			size := h.p.Size()
			h.p.SetConfig(Config{SegmentBytes: 1000, RetentionMs: -1, RetentionBytes: size / 2})
			n, err := h.p.EnforceRetention(time.Now())
			if err != nil || n == 0 {
				t.Fatalf("removed %d, %v", n, err)
			}
			if h.p.Size() < size/2 || h.p.Size() >= size {
				t.Fatalf("size %d after retention of %d (was %d)", h.p.Size(), size/2, size)
			}
			ls := h.p.LogStartOffset()
			if ls == 0 || ls != h.p.s.segs[0].base {
				t.Fatalf("log start %d, first segment %d", ls, h.p.s.segs[0].base)
			}
			if _, err := h.p.Read(ls-1, 100, true, nil); !errors.Is(err, ErrOffsetOutOfRange) {
				t.Fatal("read below log start", err)
			}
			readAll(t, h.p, ls)
			if n, _ := h.p.EnforceRetention(time.Now()); n != 0 {
				t.Fatalf("second pass removed %d", n)
			}
			h.reopen()
			if h.p.LogStartOffset() != ls || h.p.LogEndOffset() != 90 {
				t.Fatalf("after reopen start %d end %d", h.p.LogStartOffset(), h.p.LogEndOffset())
			}
		})
	})
	t.Run("ms", func(t *testing.T) {
		forVariants(t, Config{SegmentBytes: 1000, RetentionMs: 60_000}, func(t *testing.T, h *harness) {
			now := time.Now()
			for i := 0; i < 30; i++ {
				s := spec(3)
				s.firstTs = now.Add(-time.Hour).UnixMilli() // old
				if i >= 20 {
					s.firstTs = now.UnixMilli()
				}
				h.append(buildBatch(t, s))
			}
			segs := len(h.p.s.segs)
			n, err := h.p.EnforceRetention(now)
			if err != nil || n == 0 || n >= segs {
				t.Fatalf("removed %d of %d: %v", n, segs, err)
			}
			if ls := h.p.LogStartOffset(); ls > 60 {
				t.Fatalf("removed recent data: start %d", ls)
			}
			// Everything old is gone once the active segment rolls past it;
			// the active segment itself always stays.
			if _, err := h.p.EnforceRetention(now.Add(24 * time.Hour)); err != nil {
				t.Fatal(err)
			}
			if len(h.p.s.segs) != 1 {
				t.Fatalf("%d segments left, want the active one", len(h.p.s.segs))
			}
		})
	})
}

func TestDeleteRecordsBefore(t *testing.T) {
	forVariants(t, Config{SegmentBytes: 1000}, func(t *testing.T, h *harness) {
		for i := 0; i < 20; i++ {
			h.append(buildBatch(t, spec(3)))
		}
		if _, err := h.p.DeleteRecordsBefore(61); !errors.Is(err, ErrOffsetOutOfRange) {
			t.Fatal(err)
		}
		got, err := h.p.DeleteRecordsBefore(31)
		if err != nil || got != 31 || h.p.LogStartOffset() != 31 {
			t.Fatalf("got %d %v", got, err)
		}
		if h.p.s.segs[0].base > 31 {
			t.Fatal("deleted the segment holding the new start")
		}
		out, err := h.p.Read(31, 1, true, nil)
		if err != nil || batches(t, out)[0].baseOffset != 30 {
			t.Fatalf("read at start: %v", err)
		}
		if got, _ := h.p.DeleteRecordsBefore(10); got != 31 {
			t.Fatalf("moved backwards to %d", got)
		}
		h.reopen()
		if h.p.LogStartOffset() != 31 {
			t.Fatalf("start %d after reopen", h.p.LogStartOffset())
		}
		if got, err := h.p.DeleteRecordsBefore(-1); err != nil || got != 60 {
			t.Fatalf("delete all: %d %v", got, err)
		}
		if out, err := h.p.Read(60, 100, true, nil); err != nil || len(out) != 0 {
			t.Fatalf("read at end: %v", err)
		}
		if res := h.append(buildBatch(t, spec(1))); res.BaseOffset != 60 || res.LogStartOffset != 60 {
			t.Fatalf("append after delete all: %+v", res)
		}
		h.reopen()
		if h.p.LogStartOffset() != 60 || h.p.LogEndOffset() != 61 {
			t.Fatalf("start %d end %d", h.p.LogStartOffset(), h.p.LogEndOffset())
		}
	})
}

func TestIdempotence(t *testing.T) {
	forVariants(t, Config{SegmentBytes: 500}, func(t *testing.T, h *harness) {
		pb := func(epoch int16, seq int32, n int) []byte {
			s := spec(n)
			s.pid, s.epoch, s.seq = 7, epoch, seq
			return buildBatch(t, s)
		}
		appendErr := func(b []byte) (AppendResult, error) { return h.p.Append(b, time.Now()) }
		var first AppendResult
		for i := 0; i < 8; i++ {
			res := h.append(pb(0, int32(i*2), 2))
			if i == 6 {
				first = res
			}
		}
		check := func() {
			t.Helper()
			// A retry of one of the last five batches is a duplicate.
			res, err := appendErr(pb(0, 12, 2))
			if err != nil || !res.Duplicate || res.BaseOffset != first.BaseOffset || res.LastOffset != first.LastOffset {
				t.Fatalf("duplicate: %+v %v", res, err)
			}
			leo := h.p.LogEndOffset()
			if _, err := appendErr(pb(0, 20, 1)); !errors.Is(err, ErrOutOfOrderSequence) {
				t.Fatalf("gap: %v", err)
			}
			if _, err := appendErr(pb(0, 2, 2)); !errors.Is(err, ErrOutOfOrderSequence) {
				t.Fatalf("too old to be a known duplicate: %v", err)
			}
			if h.p.LogEndOffset() != leo {
				t.Fatal("rejected batch was written")
			}
		}
		check()
		h.reopen()
		check()
		h.append(pb(0, 16, 1))
		// A new epoch must start at 0; older epochs are fenced.
		if _, err := appendErr(pb(1, 5, 1)); !errors.Is(err, ErrOutOfOrderSequence) {
			t.Fatalf("new epoch not at 0: %v", err)
		}
		h.append(pb(1, 0, 1))
		if _, err := appendErr(pb(0, 17, 1)); !errors.Is(err, ErrInvalidProducerEpoch) {
			t.Fatalf("old epoch: %v", err)
		}
		h.reopen()
		if _, err := appendErr(pb(0, 17, 1)); !errors.Is(err, ErrInvalidProducerEpoch) {
			t.Fatalf("old epoch after reopen: %v", err)
		}
		// Sequence wraps from MaxInt32 to 0.
		s := spec(2)
		s.pid, s.seq = 9, 1<<31-2
		h.append(buildBatch(t, s))
		s.seq = 0
		h.append(buildBatch(t, s))
		// An unknown producer may start anywhere; non-idempotent batches skip checks.
		s.pid, s.seq = 10, 55
		h.append(buildBatch(t, s))
		h.append(buildBatch(t, spec(1)))
		h.append(buildBatch(t, spec(1)))
	})
}

func TestWatch(t *testing.T) {
	forVariants(t, Config{}, func(t *testing.T, h *harness) {
		ch := make(chan struct{}, 1)
		cancel := h.p.Watch(ch)
		h.append(buildBatch(t, spec(1)))
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("watch did not fire")
		}
		cancel()
		h.append(buildBatch(t, spec(1)))
		select {
		case <-ch:
			t.Fatal("fired after cancel")
		default:
		}
	})
}

func TestConcurrentAppendRead(t *testing.T) {
	forVariants(t, Config{SegmentBytes: 4096, IndexIntervalBytes: 512}, func(t *testing.T, h *harness) {
		const writers, per = 4, 100
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Go(func() {
				for i := 0; i < per; i++ {
					res, err := h.p.Append(buildBatch(t, spec(2)), time.Now())
					if err != nil {
						t.Error(err)
						return
					}
					done := make(chan error, 1)
					h.p.Durable(res.LastOffset, func(err error) { done <- err })
					if err := <-done; err != nil {
						t.Error(err)
					}
				}
			})
		}
		stop := make(chan struct{})
		var rg sync.WaitGroup
		rg.Go(func() {
			ch := make(chan struct{}, 1)
			defer h.p.Watch(ch)()
			var off int64
			for off < writers*per*2 {
				if off == h.p.HighWatermark() {
					select {
					case <-ch:
					case <-stop:
						return
					}
					continue
				}
				out, err := h.p.Read(off, 3000, true, nil)
				if err != nil {
					t.Error(err)
					return
				}
				for len(out) > 0 {
					hh, _ := parseHeader(out)
					if hh.baseOffset != off || !crcOK(out[:hh.size()]) {
						t.Errorf("read at %d: base %d", off, hh.baseOffset)
						return
					}
					off = hh.lastOffset() + 1
					out = out[hh.size():]
				}
			}
		})
		wg.Wait()
		close(stop)
		rg.Wait()
		if h.p.HighWatermark() != writers*per*2 {
			t.Fatalf("hw %d", h.p.HighWatermark())
		}
	})
}

func TestDurableSync(t *testing.T) {
	// A flusher without its goroutine: rounds run only when the test says.
	f := &Flusher{policy: FlushSync, logger: testLogger(t), wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	dir := t.TempDir()
	p, err := Open(dir, Config{SegmentBytes: 300}, f, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var last int64
	for i := 0; i < 5; i++ { // rolls: the directory must be synced too
		res, err := p.Append(buildBatch(t, spec(2)), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		last = res.LastOffset
	}
	var got []error
	p.Durable(last, func(err error) { got = append(got, err) })
	p.Durable(0, func(err error) { got = append(got, err) })
	if p.HighWatermark() != 0 || len(got) != 0 {
		t.Fatalf("hw %d and %d callbacks before the flush", p.HighWatermark(), len(got))
	}
	if out, err := p.Read(0, 100, true, nil); err != nil || len(out) != 0 {
		t.Fatal("unflushed data readable")
	}
	ch := make(chan struct{}, 1)
	defer p.Watch(ch)()
	f.round()
	if p.HighWatermark() != last+1 || len(got) != 2 || got[0] != nil || got[1] != nil {
		t.Fatalf("after round: hw %d callbacks %v", p.HighWatermark(), got)
	}
	select {
	case <-ch:
	default:
		t.Fatal("watch did not fire on flush")
	}
	// Already durable: answered inline.
	p.Durable(last, func(err error) { got = append(got, err) })
	if len(got) != 3 {
		t.Fatal("durable offset not answered inline")
	}
	// After the flusher closes, appends flush inline.
	f.mu.closed = true
	res, err := p.Append(buildBatch(t, spec(1)), time.Now())
	if err != nil || p.HighWatermark() != res.LastOffset+1 {
		t.Fatalf("inline flush: hw %d err %v", p.HighWatermark(), err)
	}
}

func TestFlusherModes(t *testing.T) {
	for _, pol := range []FlushPolicy{FlushSync, FlushInterval, FlushNone} {
		f := NewFlusher(pol, 5*time.Millisecond, testLogger(t))
		var ps []*Partition
		for i := 0; i < 3; i++ {
			p, err := Open(filepath.Join(t.TempDir(), "p"), Config{}, f, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		for _, p := range ps {
			mustAppend(t, p, buildBatch(t, spec(2)), time.Now())
			if p.HighWatermark() != 2 {
				t.Fatalf("policy %d: hw %d", pol, p.HighWatermark())
			}
		}
		for _, p := range ps {
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRemove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "topic-0")
	p, err := Open(dir, Config{}, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, p, buildBatch(t, spec(1)), time.Now())
	if err := p.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("dir still there: %v", err)
	}
}
