package log

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// batchSpec describes a test batch.
type batchSpec struct {
	n          int     // records
	valueSize  int     // bytes per value
	firstTs    int64   // first record timestamp
	tsStep     int64   // timestamp delta between consecutive records
	timestamps []int64 // explicit per-record timestamps (overrides firstTs/tsStep)
	codec      int
	pid        int64 // -1 for none
	epoch      int16
	seq        int32
	xerial     bool // snappy in Xerial framing
	txn        bool // transactional attribute
}

func spec(n int) batchSpec {
	return batchSpec{n: n, valueSize: 10, firstTs: 1000, tsStep: 1, pid: -1, seq: -1}
}

func txnAttr(txn bool) int16 {
	if txn {
		return attrTransactional
	}
	return 0
}

// buildBatch encodes a magic v2 batch with kmsg, compressing the records.
func buildBatch(t testing.TB, s batchSpec) []byte {
	t.Helper()
	ts := s.timestamps
	if ts == nil {
		ts = make([]int64, s.n)
		for i := range ts {
			ts[i] = s.firstTs + int64(i)*s.tsStep
		}
	}
	first, maxTs := ts[0], ts[0]
	for _, v := range ts {
		first, maxTs = min(first, v), max(maxTs, v)
	}
	var recs []byte
	for i := 0; i < s.n; i++ {
		r := kmsg.Record{
			TimestampDelta64: ts[i] - first,
			OffsetDelta:      int32(i),
			Key:              []byte("k"),
			Value:            bytes.Repeat([]byte{byte('a' + i%26)}, s.valueSize),
		}
		body := r.AppendTo(nil)[1:] // drop the 1-byte zero length
		r.Length = int32(len(body))
		recs = r.AppendTo(recs)
	}
	recs = compress(t, s.codec, recs, s.xerial)
	b := kmsg.RecordBatch{
		FirstOffset:     0,
		Magic:           2,
		Attributes:      int16(s.codec) | txnAttr(s.txn),
		LastOffsetDelta: int32(s.n - 1),
		FirstTimestamp:  first,
		MaxTimestamp:    maxTs,
		ProducerID:      s.pid,
		ProducerEpoch:   s.epoch,
		FirstSequence:   s.seq,
		NumRecords:      int32(s.n),
		Records:         recs,
	}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], crc32.Checksum(out[21:], crc32.MakeTable(crc32.Castagnoli)))
	return out
}

func compress(t testing.TB, codec int, src []byte, xerial bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch codec {
	case codecNone:
		return src
	case codecGzip:
		w := gzip.NewWriter(&buf)
		w.Write(src)
		w.Close()
	case codecSnappy:
		blk := snappy.Encode(nil, src)
		if !xerial {
			return blk
		}
		buf.Write(xerialMagic)
		buf.Write([]byte{0, 0, 0, 1, 0, 0, 0, 1})
		binary.Write(&buf, binary.BigEndian, int32(len(blk)))
		buf.Write(blk)
	case codecLZ4:
		w := lz4.NewWriter(&buf)
		w.Apply(lz4.BlockSizeOption(lz4.Block64Kb)) // as Kafka clients; 4 MiB blocks cost a 4 MiB buffer per read
		w.Write(src)
		w.Close()
	case codecZstd:
		testZstdOnce.Do(func() { testZstd, _ = zstd.NewWriter(nil) })
		return testZstd.EncodeAll(src, nil)
	}
	return buf.Bytes()
}

// testZstd is the tests' own zstd encoder, created once (it is costly).
var (
	testZstdOnce sync.Once
	testZstd     *zstd.Encoder
)

// variant is one way to run the suite: on disk or in memory.
type variant struct {
	name   string
	disk   bool
	policy FlushPolicy
}

var variants = []variant{
	{name: "disk-sync", disk: true, policy: FlushSync},
	{name: "disk-none", disk: true, policy: FlushNone},
	{name: "memory", disk: false},
}

// harness opens and reopens one partition of a variant.
type harness struct {
	t   *testing.T
	v   variant
	dir string
	cfg Config
	fl  *Flusher
	p   *Partition
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(b)))
	return len(b), nil
}

// forVariants runs fn once per variant as a subtest.
func forVariants(t *testing.T, cfg Config, fn func(t *testing.T, h *harness)) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			h := &harness{t: t, v: v, dir: t.TempDir(), cfg: cfg}
			h.open()
			t.Cleanup(func() {
				if h.p != nil {
					h.p.Close()
				}
				if h.fl != nil {
					h.fl.Close()
				}
			})
			fn(t, h)
		})
	}
}

func (h *harness) open() {
	h.t.Helper()
	if !h.v.disk {
		h.p = OpenMemory(h.cfg)
		return
	}
	if h.fl == nil {
		h.fl = NewFlusher(h.v.policy, 0, testLogger(h.t))
	}
	p, err := Open(h.dir, h.cfg, h.fl, testLogger(h.t))
	if err != nil {
		h.t.Fatal(err)
	}
	h.p = p
}

// reopen closes and opens the partition again; memory variants skip.
func (h *harness) reopen() {
	h.t.Helper()
	if !h.v.disk {
		h.t.Skip("memory mode keeps nothing across reopen")
	}
	if err := h.p.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
}

// append appends and, under FlushSync, waits until durable.
func (h *harness) append(b []byte) AppendResult {
	h.t.Helper()
	return mustAppend(h.t, h.p, b, time.Now())
}

func mustAppend(t testing.TB, p *Partition, b []byte, now time.Time) AppendResult {
	t.Helper()
	res, err := p.Append(b, now)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	waitDurable(t, p, res.LastOffset)
	return res
}

func waitDurable(t testing.TB, p *Partition, last int64) {
	t.Helper()
	ch := make(chan error, 1)
	p.Durable(last, func(err error) { ch <- err })
	select {
	case err := <-ch:
		if err != nil {
			t.Fatalf("durable: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("durable never completed")
	}
}

// batches splits concatenated batches.
func batches(t testing.TB, b []byte) []header {
	t.Helper()
	var hs []header
	for len(b) > 0 {
		h, ok := parseHeader(b)
		if !ok || h.size() > len(b) || !crcOK(b[:h.size()]) {
			t.Fatalf("bad batch in read output")
		}
		hs = append(hs, h)
		b = b[h.size():]
	}
	return hs
}
