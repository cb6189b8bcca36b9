package tiered

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamlite/streamlite/tiered/objstore"
)

// buildBatch encodes an uncompressed magic v2 batch of len(ts) records at base,
// record i with timestamp ts[i], values of valueSize bytes.
func buildBatch(t testing.TB, base int64, ts []int64, valueSize int) []byte {
	t.Helper()
	first, maxTs := ts[0], ts[0]
	for _, v := range ts {
		first, maxTs = min(first, v), max(maxTs, v)
	}
	var recs []byte
	for i := range ts {
		r := kmsg.Record{
			TimestampDelta64: ts[i] - first,
			OffsetDelta:      int32(i),
			Key:              []byte(fmt.Sprintf("k%d", base+int64(i))),
			Value:            bytes.Repeat([]byte{byte('a' + (base+int64(i))%26)}, valueSize),
		}
		body := r.AppendTo(nil)[1:] // drop the 1-byte zero length
		r.Length = int32(len(body))
		recs = r.AppendTo(recs)
	}
	b := kmsg.RecordBatch{
		FirstOffset:     base,
		Magic:           2,
		LastOffsetDelta: int32(len(ts) - 1),
		FirstTimestamp:  first,
		MaxTimestamp:    maxTs,
		ProducerID:      -1,
		FirstSequence:   -1,
		NumRecords:      int32(len(ts)),
		Records:         recs,
	}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], crc32.Checksum(out[21:], castagnoli))
	return out
}

// tbatch is a batch written by segWriter.
type tbatch struct {
	seg         int // index of its segment
	base, last  int64
	maxTs       int64
	pos         int64
	data        []byte
	segmentBase int64
}

// segWriter writes segments the way engine/log does: batches back to back,
// an .index entry each time more than interval bytes passed since the
// last, a .timeindex entry each time the max timestamp grows.
type segWriter struct {
	t        testing.TB
	dir      string
	interval int
	next     int64 // next offset
	ts       int64 // next timestamp
	segs     []SegmentFiles
	batches  []tbatch

	cur                struct{ log, ix, ti []byte }
	curBase            int64
	sinceIndex         int
	curMaxTs, curNext  int64
	open               bool
	valueSize, records int
}

func newSegWriter(t testing.TB, interval int) *segWriter {
	return &segWriter{t: t, dir: t.TempDir(), interval: interval, ts: 1_000_000, valueSize: 40, records: 3}
}

// add appends a batch at w.next with the writer's record count, timestamps
// rising from w.ts, and returns it.
func (w *segWriter) add() tbatch {
	ts := make([]int64, w.records)
	for i := range ts {
		ts[i] = w.ts + int64(i)
	}
	w.ts += int64(w.records)
	return w.addTs(ts)
}

// addTs appends a batch at w.next with these record timestamps.
func (w *segWriter) addTs(ts []int64) tbatch {
	if !w.open {
		w.roll(0)
	}
	b := buildBatch(w.t, w.next, ts, w.valueSize)
	h, err := parseHeader(b)
	if err != nil {
		w.t.Fatal(err)
	}
	pos := int64(len(w.cur.log))
	rel := uint32(h.lastOffset - w.curBase)
	if w.sinceIndex > w.interval {
		w.cur.ix = binary.BigEndian.AppendUint32(w.cur.ix, rel)
		w.cur.ix = binary.BigEndian.AppendUint32(w.cur.ix, uint32(pos))
		w.sinceIndex = 0
	}
	w.sinceIndex += len(b)
	if h.maxTimestamp > w.curMaxTs {
		w.cur.ti = binary.BigEndian.AppendUint64(w.cur.ti, uint64(h.maxTimestamp))
		w.cur.ti = binary.BigEndian.AppendUint32(w.cur.ti, rel)
		w.curMaxTs = h.maxTimestamp
	}
	w.cur.log = append(w.cur.log, b...)
	tb := tbatch{seg: len(w.segs), base: h.baseOffset, last: h.lastOffset, maxTs: h.maxTimestamp, pos: pos, data: b, segmentBase: w.curBase}
	w.batches = append(w.batches, tb)
	w.next = h.lastOffset + 1
	w.curNext = w.next
	return tb
}

// gap skips n offsets before the next batch.
func (w *segWriter) gap(n int64) { w.next += n }

// roll starts a new segment, its base gapBefore offsets past the next
// offset (the first batch then comes at the base).
func (w *segWriter) roll(gapBefore int64) {
	w.seal()
	w.next += gapBefore
	w.curBase, w.curNext, w.curMaxTs, w.sinceIndex = w.next, w.next, -1, 0
	w.cur.log, w.cur.ix, w.cur.ti = nil, nil, nil
	w.open = true
}

// seal writes the open segment's files.
func (w *segWriter) seal() {
	if !w.open || len(w.cur.log) == 0 {
		return
	}
	p := filepath.Join(w.dir, fmt.Sprintf("%020d", w.curBase))
	sf := SegmentFiles{Base: w.curBase, Next: w.curNext, Size: int64(len(w.cur.log)), MaxTimestamp: w.curMaxTs,
		Log: p + ".log", Index: p + ".index", TimeIndex: p + ".timeindex"}
	for name, b := range map[string][]byte{sf.Log: w.cur.log, sf.Index: w.cur.ix, sf.TimeIndex: w.cur.ti} {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
	w.segs = append(w.segs, sf)
	w.open = false
}

// segments seals the open segment and returns them all.
func (w *segWriter) segments() []SegmentFiles {
	w.seal()
	return w.segs
}

// expectRead is the model of Remote.Read over segs (the tier's segments)
// and their batches: what Read(offset, maxBytes, minOne) must return.
func expectRead(batches []tbatch, segs []SegmentInfo, offset int64, maxBytes int, minOne bool) []byte {
	si := 0
	for si < len(segs) && segs[si].Next <= offset {
		si++
	}
	var out []byte
	for _, b := range batches {
		if b.segmentBase != segs[si].Base || b.last < offset {
			continue
		}
		if len(out)+len(b.data) > maxBytes {
			if len(out) == 0 && minOne {
				out = append(out, b.data...)
			}
			break
		}
		out = append(out, b.data...)
	}
	return out
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(b)))
	return len(b), nil
}

var testRef = PartitionRef{Topic: "orders", TopicID: [16]byte{0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xcd}, Partition: 3}

func newFileStore(t testing.TB) *objstore.FileStore {
	st, err := objstore.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustOpen(t testing.TB, st objstore.Store, c *Cache) *Remote {
	t.Helper()
	r, err := OpenRemote(context.Background(), st, testRef, c, testLogger(t))
	if err != nil {
		t.Fatalf("OpenRemote: %v", err)
	}
	return r
}

func mustUpload(t testing.TB, r *Remote, segs ...SegmentFiles) {
	t.Helper()
	for _, s := range segs {
		if err := r.Upload(context.Background(), s); err != nil {
			t.Fatalf("Upload %d: %v", s.Base, err)
		}
	}
}

func newTestCache(t testing.TB, st objstore.Store, cfg CacheConfig) *Cache {
	t.Helper()
	c, err := NewCache(st, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// keys lists the store's keys under prefix.
func keys(t testing.TB, st objstore.Store, prefix string) []string {
	t.Helper()
	objs, err := st.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, strings.TrimPrefix(o.Key, prefix))
	}
	return out
}

// testStore wraps a Store: it counts GetRange calls, can delay or block
// them, and can fail Puts and Deletes of chosen keys (a crash at that
// point, as far as the store is concerned).
type testStore struct {
	objstore.Store
	getRanges atomic.Int64
	delay     time.Duration

	mu        sync.Mutex
	rangeKeys map[string]int // GetRange calls per key
	gate      chan struct{}  // when set, GetRange waits for it to close
	failPut   func(key string) bool
	failDel   func(key string) bool
}

func wrapStore(st objstore.Store) *testStore {
	return &testStore{Store: st, rangeKeys: map[string]int{}}
}

var errInjected = errors.New("injected failure")

func (s *testStore) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	s.getRanges.Add(1)
	s.mu.Lock()
	s.rangeKeys[key]++
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Store.GetRange(ctx, key, off, n)
}

func (s *testStore) Put(ctx context.Context, key string, body io.ReadSeeker, size int64) error {
	s.mu.Lock()
	fail := s.failPut != nil && s.failPut(key)
	s.mu.Unlock()
	if fail {
		return fmt.Errorf("put %s: %w", key, errInjected)
	}
	return s.Store.Put(ctx, key, body, size)
}

func (s *testStore) Delete(ctx context.Context, keys ...string) error {
	s.mu.Lock()
	fail := false
	for _, k := range keys {
		fail = fail || s.failDel != nil && s.failDel(k)
	}
	s.mu.Unlock()
	if fail {
		return fmt.Errorf("delete: %w", errInjected)
	}
	return s.Store.Delete(ctx, keys...)
}

func (s *testStore) calls(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rangeKeys[key]
}

func (s *testStore) setGate(ch chan struct{}) {
	s.mu.Lock()
	s.gate = ch
	s.mu.Unlock()
}

func (s *testStore) setFail(put, del func(string) bool) {
	s.mu.Lock()
	s.failPut, s.failDel = put, del
	s.mu.Unlock()
}

// waitFor polls cond until it holds or fails the test after 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
