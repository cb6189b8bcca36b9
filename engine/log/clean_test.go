package log

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// kv is one record to write: a nil val is a tombstone, noKey a null key.
type kv struct {
	key   string
	val   []byte
	noKey bool
}

// keyedBatch encodes records with keys at timestamps ts, ts+1, ...
func keyedBatch(t testing.TB, codec int, xerial bool, ts int64, recs []kv) []byte {
	t.Helper()
	var raw []byte
	for i, r := range recs {
		rec := kmsg.Record{TimestampDelta64: int64(i), OffsetDelta: int32(i), Value: r.val}
		if !r.noKey {
			rec.Key = []byte(r.key)
		}
		body := rec.AppendTo(nil)[1:]
		rec.Length = int32(len(body))
		raw = rec.AppendTo(raw)
	}
	b := kmsg.RecordBatch{
		Magic: 2, Attributes: int16(codec), LastOffsetDelta: int32(len(recs) - 1),
		FirstTimestamp: ts, MaxTimestamp: ts + int64(len(recs)-1),
		ProducerID: -1, FirstSequence: -1, NumRecords: int32(len(recs)),
		Records: compress(t, codec, raw, xerial),
	}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], crc32c(out[21:]))
	return out
}

// rec is a record as the model and the log hold it.
type rec struct {
	off   int64
	key   string
	val   []byte // nil: tombstone
	ts    int64
	nokey bool
}

func (r rec) String() string { return fmt.Sprintf("%d:%s=%q@%d", r.off, r.key, r.val, r.ts) }

// model is what was appended, in offset order.
type model struct {
	mu   sync.Mutex
	recs []rec
}

// appendModel appends a batch and records what it holds.
func (m *model) append(t testing.TB, p *Partition, codec int, xerial bool, ts int64, kvs []kv) {
	t.Helper()
	b := keyedBatch(t, codec, xerial, ts, kvs)
	m.mu.Lock()
	defer m.mu.Unlock()
	res, err := p.Append(b, time.UnixMilli(ts))
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	for i, x := range kvs {
		m.recs = append(m.recs, rec{off: res.BaseOffset + int64(i), key: x.key, val: x.val, ts: ts + int64(i), nokey: x.noKey})
	}
}

// randomKVs returns n records over nkeys keys, a tenth of them tombstones.
func randomKVs(r *rand.Rand, n, nkeys int) []kv {
	out := make([]kv, n)
	for i := range out {
		out[i] = kv{key: fmt.Sprintf("key-%03d", r.IntN(nkeys))}
		if r.IntN(10) != 0 {
			out[i].val = fmt.Appendf(nil, "v%d-%s", r.Int64(), bytes.Repeat([]byte{'x'}, r.IntN(40)))
		}
	}
	return out
}

// decodeBatches decodes every record of concatenated batches with kmsg.
func decodeBatches(t testing.TB, b []byte) []rec {
	t.Helper()
	var out []rec
	for len(b) > 0 {
		h, ok := parseHeader(b)
		if !ok || h.size() > len(b) || !crcOK(b[:h.size()]) {
			t.Fatalf("bad batch in read output")
		}
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b[:h.size()]); err != nil {
			t.Fatal(err)
		}
		data, err := decompress(int(rb.Attributes&attrCodecMask), rb.Records)
		if err != nil {
			t.Fatalf("decompress batch at %d: %v", rb.FirstOffset, err)
		}
		prev := int32(-1)
		for i := int32(0); i < rb.NumRecords; i++ {
			l, n := binary.Varint(data)
			var r kmsg.Record
			if err := r.ReadFrom(data[:n+int(l)]); err != nil {
				t.Fatal(err)
			}
			data = data[n+int(l):]
			if r.OffsetDelta <= prev || r.OffsetDelta > rb.LastOffsetDelta {
				t.Fatalf("batch %d: offset delta %d after %d (last %d)", rb.FirstOffset, r.OffsetDelta, prev, rb.LastOffsetDelta)
			}
			prev = r.OffsetDelta
			ts := rb.FirstTimestamp + r.TimestampDelta64
			if rb.Attributes&attrLogAppendTime != 0 {
				ts = rb.MaxTimestamp
			}
			out = append(out, rec{off: rb.FirstOffset + int64(r.OffsetDelta), key: string(r.Key), val: r.Value, ts: ts, nokey: r.Key == nil})
		}
		if len(data) != 0 {
			t.Fatalf("batch %d: %d bytes after the records", rb.FirstOffset, len(data))
		}
		b = b[h.size():]
	}
	return out
}

// readRecords reads every record from the log start to the high watermark.
func readRecords(t testing.TB, p *Partition) []rec {
	t.Helper()
	var out []rec
	off := p.LogStartOffset()
	for off < p.HighWatermark() {
		b, err := p.Read(off, 64<<10, true, nil)
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		if len(b) == 0 {
			t.Fatalf("read at %d returned nothing below hw %d", off, p.HighWatermark())
		}
		hs := batches(t, b)
		for _, r := range decodeBatches(t, b) {
			if r.off >= off {
				out = append(out, r)
			}
		}
		off = hs[len(hs)-1].lastOffset() + 1
	}
	return out
}

// expectCompacted is what the log must hold after cleaning up to end: below
// end each key's latest record below end only (minus tombstones if gone,
// and records without a key), from end on everything.
func (m *model) expectCompacted(end int64, tombstonesGone bool) []rec {
	m.mu.Lock()
	defer m.mu.Unlock()
	latest := map[string]int64{}
	for _, r := range m.recs {
		if r.off < end && !r.nokey {
			latest[r.key] = r.off
		}
	}
	var out []rec
	for _, r := range m.recs {
		if r.off >= end || (!r.nokey && latest[r.key] == r.off && !(r.val == nil && tombstonesGone)) {
			out = append(out, r)
		}
	}
	return out
}

func sameRecs(t testing.TB, what string, got, want []rec) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d\ngot  %v\nwant %v", what, len(got), len(want), head(got), head(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.off != w.off || g.key != w.key || !bytes.Equal(g.val, w.val) || (g.val == nil) != (w.val == nil) || g.ts != w.ts {
			t.Fatalf("%s: record %d is %v, want %v", what, i, g, w)
		}
	}
}

func head(rs []rec) []rec { return rs[:min(len(rs), 20)] }

// checkReads checks that a Read at every offset returns a batch whose first
// record at or after the offset is the next record the log should hold, and
// that OffsetForTimestamp finds the first record at or after a timestamp.
func checkReads(t testing.TB, p *Partition, want []rec) {
	t.Helper()
	i := 0
	for off := p.LogStartOffset(); off < p.HighWatermark(); off++ {
		for i < len(want) && want[i].off < off {
			i++
		}
		b, err := p.Read(off, 1, true, nil)
		if err != nil {
			t.Fatalf("read %d: %v", off, err)
		}
		var first *rec
		for _, r := range decodeBatches(t, b) {
			if r.off >= off {
				first = &r
				break
			}
		}
		switch {
		case i == len(want) && first != nil:
			t.Fatalf("read %d: got %v past the last record", off, first)
		case i < len(want) && first != nil && first.off != want[i].off:
			t.Fatalf("read %d: first record %v, want %v", off, first, want[i])
		}
	}
	// Timestamps grow with offsets in these tests. Look up about 64 of them.
	step := max(len(want)/64, 1)
	for i := 0; i < len(want); i += step {
		w := want[i]
		for _, ts := range []int64{w.ts, w.ts - 1} {
			wantOff, wantTs := int64(-1), int64(-1)
			for _, x := range want {
				if x.ts >= ts {
					wantOff, wantTs = x.off, x.ts
					break
				}
			}
			off, gotTs, ok, err := p.OffsetForTimestamp(ts)
			if err != nil {
				t.Fatal(err)
			}
			if !ok || off != wantOff || gotTs != wantTs {
				t.Fatalf("OffsetForTimestamp(%d) = %d@%d %v, want %d@%d", ts, off, gotTs, ok, wantOff, wantTs)
			}
		}
	}
}

var compactCfg = Config{
	SegmentBytes: 2048, IndexIntervalBytes: 256, CleanupPolicy: CleanupCompact,
	MinCleanableDirtyRatio: -1, DeleteRetentionMs: 60_000,
}

// writeKeyed appends nb batches of 1..5 random records over nkeys keys,
// timestamps from ts on, and returns the next timestamp.
func writeKeyed(t testing.TB, p *Partition, m *model, r *rand.Rand, codec int, xerial bool, nb, nkeys int, ts int64) int64 {
	for range nb {
		kvs := randomKVs(r, 1+r.IntN(5), nkeys)
		m.append(t, p, codec, xerial, ts, kvs)
		ts += int64(len(kvs))
	}
	return ts
}

func mustClean(t testing.TB, p *Partition, now int64) CleanResult {
	t.Helper()
	res, err := p.Clean(time.UnixMilli(now))
	if err != nil {
		t.Fatalf("clean: %v", err)
	}
	return res
}

// TestCleanKeepsLatest is the compaction property of issue 4, Must-show 3:
// many updates per key plus tombstones over small segments; after cleaning,
// each key's latest value and no deleted key remain (tombstones after
// delete.retention.ms), offsets unchanged, reads from any offset and
// timestamp lookups right, and a reopen keeps it.
func TestCleanKeepsLatest(t *testing.T) {
	forVariants(t, compactCfg, func(t *testing.T, h *harness) {
		r := rand.New(rand.NewPCG(1, 2))
		m := &model{}
		const t0 = 1_000_000
		ts := writeKeyed(t, h.p, m, r, codecNone, false, 400, 40, t0)
		waitDurable(t, h.p, h.p.LogEndOffset()-1)
		segsBefore, sizeBefore := len(h.p.s.segs), h.p.Size()

		res := mustClean(t, h.p, ts)
		if !res.Cleaned || res.Reason != "dirty ratio" || res.RecordsRemoved == 0 || res.TombstonesRemoved != 0 {
			t.Fatalf("first pass: %+v", res)
		}
		end := res.EndOffset
		if act := h.p.s.segs[len(h.p.s.segs)-1]; end != act.base {
			t.Fatalf("cleaned to %d, active segment starts at %d", end, act.base)
		}
		want := m.expectCompacted(end, false)
		got := readRecords(t, h.p)
		sameRecs(t, "after clean", got, want)
		checkReads(t, h.p, want)
		// Groups merge up to segment.bytes by their size before cleaning (as
		// Kafka's do), so full segments shrink now and merge next pass.
		if h.p.Size() >= sizeBefore/4 {
			t.Fatalf("bytes %d→%d", sizeBefore, h.p.Size())
		}
		t.Logf("pass 1: %+v", res)

		// Nothing dirty, tombstones not due: no pass.
		if res := mustClean(t, h.p, ts+1000); res.Cleaned {
			t.Fatalf("clean log cleaned again: %+v", res)
		}
		// Past the delete horizon the tombstones go.
		res = mustClean(t, h.p, ts+compactCfg.DeleteRetentionMs+1)
		if !res.Cleaned || res.Reason != "tombstones due" || res.TombstonesRemoved == 0 {
			t.Fatalf("tombstone pass: %+v", res)
		}
		want = m.expectCompacted(end, true)
		sameRecs(t, "after tombstones", readRecords(t, h.p), want)
		checkReads(t, h.p, want)
		if len(h.p.s.segs) >= segsBefore/4 {
			t.Fatalf("cleaned segments did not merge: %d→%d", segsBefore, len(h.p.s.segs))
		}

		// More updates, clean again: the clean part is cleaned against them.
		ts = writeKeyed(t, h.p, m, r, codecNone, false, 200, 40, ts+compactCfg.DeleteRetentionMs+10)
		waitDurable(t, h.p, h.p.LogEndOffset()-1)
		res = mustClean(t, h.p, ts)
		if !res.Cleaned {
			t.Fatalf("third pass: %+v", res)
		}
		end3 := res.EndOffset
		want = m.expectCompacted(end3, false)
		// Tombstones of the first section whose key was not written again are gone.
		want = slices.DeleteFunc(want, func(x rec) bool { return x.off < end && x.val == nil })
		sameRecs(t, "after third pass", readRecords(t, h.p), want)

		h.reopen()
		sameRecs(t, "after reopen", readRecords(t, h.p), want)
		checkReads(t, h.p, want)
		if h.p.c.checkpoint != end3 {
			t.Fatalf("checkpoint after reopen %d, want %d", h.p.c.checkpoint, end3)
		}
		// Appends continue at the same offsets.
		m.append(t, h.p, codecNone, false, ts, []kv{{key: "after", val: []byte("reopen")}})
		if got := m.recs[len(m.recs)-1].off; got != m.recs[len(m.recs)-2].off+1 {
			t.Fatalf("offset after reopen %d", got)
		}
	})
}

// TestCleanCodecs compacts batches of every codec; the rewritten batches
// keep their codec and decode (kmsg here; kgo in engine/cluster's test).
func TestCleanCodecs(t *testing.T) {
	codecs := []struct {
		name   string
		codec  int
		xerial bool
	}{{"gzip", codecGzip, false}, {"snappy", codecSnappy, false}, {"snappy-xerial", codecSnappy, true}, {"lz4", codecLZ4, false}, {"zstd", codecZstd, false}}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			p, err := Open(t.TempDir(), compactCfg, nil, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			r := rand.New(rand.NewPCG(3, 4))
			m := &model{}
			ts := writeKeyed(t, p, m, r, c.codec, c.xerial, 300, 30, 5000)
			res := mustClean(t, p, ts)
			if !res.Cleaned || res.RecordsRemoved == 0 {
				t.Fatalf("%+v", res)
			}
			want := m.expectCompacted(res.EndOffset, false)
			sameRecs(t, "after clean", readRecords(t, p), want)
			checkReads(t, p, want)
			// Every rewritten batch kept its codec.
			if err := p.forEachBatch(0, p.HighWatermark(), func(_ *segment, _ int64, h *header) (bool, error) {
				if h.numRecords > 0 && int(h.attributes&attrCodecMask) != c.codec {
					return false, fmt.Errorf("batch %d has codec %d", h.baseOffset, h.attributes&attrCodecMask)
				}
				return true, nil
			}); err != nil {
				t.Fatal(err)
			}
			res = mustClean(t, p, ts+compactCfg.DeleteRetentionMs)
			sameRecs(t, "after tombstones", readRecords(t, p), m.expectCompacted(res.EndOffset, true))
		})
	}
}

// TestCleanNullKeys drops records without a key, as Kafka's cleaner does.
func TestCleanNullKeys(t *testing.T) {
	p := OpenMemory(compactCfg)
	defer p.Close()
	if !p.Compacted() {
		t.Fatal("not compacted")
	}
	m := &model{}
	for i := range 100 {
		m.append(t, p, codecNone, false, int64(i*10), []kv{{noKey: true, val: []byte("x")}, {key: "a", val: []byte{byte(i)}}})
	}
	res := mustClean(t, p, 10_000)
	sameRecs(t, "after clean", readRecords(t, p), m.expectCompacted(res.EndOffset, false))
}

// TestCleanDirtyRatioAndLag checks when a pass is due: the dirty ratio,
// min.compaction.lag.ms, max.compaction.lag.ms; and that the active segment
// is never touched.
func TestCleanDirtyRatioAndLag(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	t.Run("ratio", func(t *testing.T) {
		cfg := compactCfg
		cfg.MinCleanableDirtyRatio = 0.5
		p := OpenMemory(cfg)
		defer p.Close()
		m := &model{}
		// Distinct keys: cleaning removes nothing, so the clean part stays big.
		ts := int64(1000)
		for i := range 300 {
			m.append(t, p, codecNone, false, ts, []kv{{key: fmt.Sprint("k", i), val: []byte("some value")}})
			ts++
		}
		if res := mustClean(t, p, ts); !res.Cleaned || res.DirtyRatio != 1 {
			t.Fatalf("all dirty: %+v", res)
		}
		act := p.s.segs[len(p.s.segs)-1]
		activeBefore := readStore(t, act)
		// A little more: below the ratio.
		for range 40 {
			m.append(t, p, codecNone, false, ts, []kv{{key: "k1", val: []byte("some value")}})
			ts++
		}
		res := mustClean(t, p, ts)
		if res.Cleaned || res.DirtyRatio <= 0 || res.DirtyRatio >= 0.5 {
			t.Fatalf("below ratio: %+v", res)
		}
		if act == p.s.segs[len(p.s.segs)-1] && !bytes.Equal(readStore(t, act), activeBefore[:len(readStore(t, act))][:len(activeBefore)]) {
			t.Fatal("active segment changed")
		}
	})
	t.Run("min lag", func(t *testing.T) {
		cfg := compactCfg
		cfg.MinCompactionLagMs = 3_600_000
		p := OpenMemory(cfg)
		defer p.Close()
		m := &model{}
		ts := writeKeyed(t, p, m, r, codecNone, false, 200, 10, 1_000_000)
		if res := mustClean(t, p, ts); res.Cleaned || len(p.s.segs) < 3 {
			t.Fatalf("within the min lag: %+v", res)
		}
		// Half the segments out of the lag: only those are cleaned.
		mid := p.s.segs[len(p.s.segs)/2]
		cut := mid.maxTimestamp() + cfg.MinCompactionLagMs
		res := mustClean(t, p, cut)
		if !res.Cleaned || res.EndOffset > p.s.segs[len(p.s.segs)-1].base || res.EndOffset == 0 {
			t.Fatalf("half out of the lag: %+v", res)
		}
		for _, x := range m.recs {
			if x.off < res.EndOffset && x.ts > cut-cfg.MinCompactionLagMs {
				t.Fatalf("cleaned past the lag: record %v below %d", x, res.EndOffset)
			}
		}
		sameRecs(t, "after", readRecords(t, p), m.expectCompacted(res.EndOffset, false))
	})
	t.Run("max lag", func(t *testing.T) {
		cfg := compactCfg
		cfg.MinCleanableDirtyRatio = 0.99
		cfg.MaxCompactionLagMs = 10_000
		p := OpenMemory(cfg)
		defer p.Close()
		m := &model{}
		ts := int64(1000)
		for i := range 300 {
			m.append(t, p, codecNone, false, ts, []kv{{key: fmt.Sprint("k", i), val: []byte("some value")}})
			ts++
		}
		mustClean(t, p, ts) // all dirty: ratio 1
		for range 30 {
			m.append(t, p, codecNone, false, ts, []kv{{key: "k1", val: []byte("v")}})
			ts++
		}
		m.append(t, p, codecNone, false, ts, slices.Repeat([]kv{{key: "pad", val: bytes.Repeat([]byte{1}, 300)}}, 8))
		if res := mustClean(t, p, ts+5_000); res.Cleaned {
			t.Fatalf("before max lag: %+v", res)
		}
		if res := mustClean(t, p, ts+20_000); !res.Cleaned || res.Reason != "max compaction lag" {
			t.Fatalf("after max lag: %+v", res)
		}
		sameRecs(t, "after", readRecords(t, p), m.expectCompacted(p.c.checkpoint, false))
	})
	t.Run("not compacted", func(t *testing.T) {
		p := OpenMemory(Config{SegmentBytes: 2048})
		defer p.Close()
		m := &model{}
		writeKeyed(t, p, m, r, codecNone, false, 100, 5, 1000)
		if res := mustClean(t, p, 1e12); res.Cleaned || p.Compacted() {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("compact only keeps retention", func(t *testing.T) {
		cfg := compactCfg
		cfg.RetentionMs = 1
		p := OpenMemory(cfg)
		defer p.Close()
		m := &model{}
		writeKeyed(t, p, m, r, codecNone, false, 100, 5, 1000)
		if n, err := p.EnforceRetention(time.UnixMilli(1e12)); n != 0 || err != nil {
			t.Fatalf("compact-only retention removed %d: %v", n, err)
		}
		cfg.CleanupPolicy = CleanupCompact | CleanupDelete
		p.SetConfig(cfg)
		if n, err := p.EnforceRetention(time.UnixMilli(1e12)); n == 0 || err != nil {
			t.Fatalf("compact,delete retention removed %d: %v", n, err)
		}
	})
}

func readStore(t testing.TB, s *segment) []byte {
	t.Helper()
	b := make([]byte, s.st.len())
	if err := readFull(s.st, b, 0); err != nil && len(b) > 0 {
		t.Fatal(err)
	}
	return b
}

// TestCleanConcurrent appends and reads while passes run (go test -race).
func TestCleanConcurrent(t *testing.T) {
	forVariants(t, compactCfg, func(t *testing.T, h *harness) {
		m := &model{}
		p := h.p
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var ts sync.Mutex
		now := int64(1_000_000)
		tick := func(n int64) int64 { ts.Lock(); defer ts.Unlock(); now += n; return now }
		wg.Go(func() {
			r := rand.New(rand.NewPCG(7, 8))
			for i := 0; i < 600; i++ {
				kvs := randomKVs(r, 1+r.IntN(4), 30)
				m.append(t, p, codecNone, false, tick(int64(len(kvs))), kvs)
				if i%50 == 0 {
					waitDurable(t, p, p.LogEndOffset()-1)
					time.Sleep(time.Millisecond) // let a pass start
				}
			}
			close(stop)
		})
		for g := range 2 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(9, uint64(g)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					hw := p.HighWatermark()
					if hw == 0 {
						continue
					}
					off := max(r.Int64N(hw), p.LogStartOffset())
					b, err := p.Read(off, 4096, true, nil)
					if err != nil {
						t.Errorf("read %d: %v", off, err)
						return
					}
					got := decodeBatches(t, b)
					m.mu.Lock()
					for _, x := range got {
						w := m.recs[x.off]
						if x.key != w.key || !bytes.Equal(x.val, w.val) || x.ts != w.ts {
							t.Errorf("read %v, wrote %v", x, w)
						}
					}
					m.mu.Unlock()
					if _, _, _, err := p.OffsetForTimestamp(r.Int64N(tick(0))); err != nil {
						t.Errorf("offset for timestamp: %v", err)
					}
				}
			})
		}
		passes := 0
		for done := false; !done; {
			select {
			case <-stop:
				done = true
			default:
			}
			res, err := p.Clean(time.UnixMilli(tick(0)))
			if err != nil {
				t.Fatal(err)
			}
			if res.Cleaned {
				passes++
			}
		}
		wg.Wait()
		if passes == 0 {
			t.Fatal("no pass ran")
		}
		waitDurable(t, p, p.LogEndOffset()-1)
		res := mustClean(t, p, tick(0))
		end := max(res.EndOffset, p.c.checkpoint)
		sameRecs(t, "after", readRecords(t, p), m.expectCompacted(end, false))
		t.Logf("%d passes", passes)
	})
}

// TestCleanIdempotentProducer keeps each producer's newest batch (emptied
// to its header) so producer state rebuilt from the log alone is the same.
func TestCleanIdempotentProducer(t *testing.T) {
	dir := t.TempDir()
	p, err := Open(dir, compactCfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	// pbatch writes key "k" only: every batch but the last is superseded.
	// Producer 2's newest batch is superseded by producer 1's later one.
	seq := map[int64]int32{}
	for i := range 60 {
		pid := int64(1 + i%2)
		if i == 59 {
			pid = 1
		}
		mustAppend(t, p, pbatch(t, pid, 0, seq[pid], 3), time.Now())
		seq[pid] += 3
	}
	// Others' records roll those batches into closed segments.
	for i := range 60 {
		mustAppend(t, p, keyedBatch(t, codecNone, false, 1000, []kv{{key: fmt.Sprint("filler", i), val: []byte("0123456789")}}), time.Now())
	}
	before := producerView(p)
	if res := mustClean(t, p, time.Now().UnixMilli()); !res.Cleaned {
		t.Fatalf("%+v", res)
	}
	var empty int
	p.forEachBatch(0, p.HighWatermark(), func(_ *segment, _ int64, h *header) (bool, error) {
		if h.numRecords == 0 {
			empty++
		}
		return true, nil
	})
	if empty == 0 {
		t.Fatal("no producer's newest batch was kept as a header")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range snapshotFiles(t, dir) {
		os.Remove(filepath.Join(dir, f))
	}
	p, err = Open(dir, compactCfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	after := producerView(p)
	for pid, v := range before {
		if after[pid] == "" || !sameNewest(before[pid], after[pid]) {
			t.Fatalf("producer %d: before %s, rebuilt %s", pid, v, after[pid])
		}
	}
	// The next sequence of each producer is still in order.
	for pid := range before {
		if _, err := p.Append(pbatch(t, pid, 0, seq[pid], 1), time.Now()); err != nil {
			t.Fatalf("producer %d next batch: %v", pid, err)
		}
	}
}

// sameNewest compares the newest batch of two producerView strings.
func sameNewest(a, b string) bool {
	last := func(s string) string {
		i := strings.LastIndex(s, " seq ")
		return s[:strings.IndexByte(s, ':')] + s[max(i, 0):]
	}
	return last(a) == last(b)
}

var errKilled = errors.New("killed here")

// cleanWorkload writes a random compacted log into dir (closed) and returns
// its model and the time after it.
func cleanWorkload(t *testing.T, dir string, seed uint64, batches int) (*model, int64) {
	p, err := Open(dir, compactCfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, seed))
	m := &model{}
	ts := writeKeyed(t, p, m, r, []int{codecNone, codecZstd, codecLZ4}[seed%3], false, batches, 5+r.IntN(40), 1_000_000)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return m, ts
}

// copyDir copies a partition directory as a killed process leaves it.
func copyDir(t testing.TB, src, dst string) {
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// killedClean runs a pass over a copy of dir, "kills" it at the stop-th step
// (copying the directory as it is then) and returns that copy, or "" if the
// pass has fewer steps.
func killedClean(t *testing.T, dir string, now int64, stop int, secondPass bool) string {
	work := t.TempDir()
	copyDir(t, dir, work)
	p, err := Open(work, compactCfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if secondPass {
		mustClean(t, p, now)
	}
	killed := ""
	n := 0
	p.c.hook = func(step string) error {
		n++
		if n == stop {
			killed = crashClone(t, work)
			t.Logf("killed at step %d (%s)", n, step)
			return errKilled
		}
		return nil
	}
	if _, err := p.Clean(time.UnixMilli(now + compactCfg.DeleteRetentionMs + 1)); err != nil && !errors.Is(err, errKilled) {
		t.Fatal(err)
	}
	return killed
}

// checkRecovered opens a killed pass's directory and checks the log: every
// record is one that was written at its offset, none twice, and each key's
// latest record is there (tombstones too, unless past their horizon); a
// full pass then yields the compacted log.
func checkRecovered(t *testing.T, dir string, m *model, now int64) {
	t.Helper()
	p, err := Open(dir, compactCfg, nil, testLogger(t))
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer p.Close()
	got := readRecords(t, p)
	latest := map[string]int64{}
	for _, r := range m.recs {
		latest[r.key] = r.off
	}
	prev := int64(-1)
	seen := map[string]bool{}
	for _, g := range got {
		if g.off <= prev {
			t.Fatalf("offset %d after %d", g.off, prev)
		}
		prev = g.off
		w := m.recs[g.off]
		if g.key != w.key || !bytes.Equal(g.val, w.val) || g.ts != w.ts {
			t.Fatalf("offset %d holds %v, was written %v", g.off, g, w)
		}
		if latest[g.key] == g.off {
			seen[g.key] = true
		}
	}
	for k, off := range latest {
		if !seen[k] && m.recs[off].val != nil {
			t.Fatalf("key %s lost its latest value (offset %d)", k, off)
		}
	}
	if p.LogEndOffset() != int64(len(m.recs)) {
		t.Fatalf("log end %d, want %d", p.LogEndOffset(), len(m.recs))
	}
	// A pass sees the tombstones the killed one did not reach; the next,
	// past their horizon, removes them all.
	later := now + 2*compactCfg.DeleteRetentionMs + 2
	mustClean(t, p, later)
	mustClean(t, p, later+compactCfg.DeleteRetentionMs+1)
	sameRecs(t, "cleaned after recovery", readRecords(t, p), m.expectCompacted(p.c.checkpoint, true))
}

// TestCleanKilledAtEveryStep stops a pass at each of its steps (the file
// operations of every group's swap included), as a kill -9 would, and
// checks that Open recovers a correct log from what was left.
func TestCleanKilledAtEveryStep(t *testing.T) {
	src := t.TempDir()
	batches := 120
	if raceEnabled {
		batches = 60
	}
	m, ts := cleanWorkload(t, src, 11, batches)
	for _, second := range []bool{false, true} {
		for stop := 1; ; stop++ {
			dir := killedClean(t, src, ts, stop, second)
			if dir == "" {
				if stop < 5 {
					t.Fatalf("only %d steps", stop-1)
				}
				break
			}
			checkRecovered(t, dir, m, ts)
		}
	}
}

// TestCleanKilledRandomly is the randomized version: random logs, random
// stop points, one or two passes before.
func TestCleanKilledRandomly(t *testing.T) {
	r := rand.New(rand.NewPCG(13, uint64(time.Now().UnixNano())))
	iters := 30
	if testing.Short() || raceEnabled {
		iters = 6
	}
	for i := range iters {
		seed := r.Uint64()
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			src := t.TempDir()
			m, ts := cleanWorkload(t, src, seed, 100+r.IntN(300))
			stop := 1 + r.IntN(40)
			dir := killedClean(t, src, ts, stop, r.IntN(2) == 0)
			if dir == "" {
				t.Skipf("seed %d: pass had fewer than %d steps", seed, stop)
			}
			checkRecovered(t, dir, m, ts)
		})
	}
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
