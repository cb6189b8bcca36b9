package log

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// pbatch builds an idempotent batch of n records for producer pid.
func pbatch(t testing.TB, pid int64, epoch int16, seq int32, n int) []byte {
	t.Helper()
	s := spec(n)
	s.pid, s.epoch, s.seq = pid, epoch, seq
	return buildBatch(t, s)
}

// producerView renders the producer state for comparison, without lastTs
// (which recovery stamps with the Open clock).
func producerView(p *Partition) map[int64]string {
	p.a.Lock()
	defer p.a.Unlock()
	return viewOf(p.a.producers)
}

func viewOf(m producers) map[int64]string {
	out := make(map[int64]string, len(m))
	for id, ps := range m {
		var sb strings.Builder
		fmt.Fprintf(&sb, "epoch %d:", ps.epoch)
		for i := 0; i < ps.n; i++ {
			b := ps.batches[(ps.head+i)%producerBatches]
			fmt.Fprintf(&sb, " seq %d-%d at %d-%d", b.baseSeq, b.lastSeq, b.baseOffset, b.lastOffset)
		}
		out[id] = sb.String()
	}
	return out
}

// crashClone copies the partition's files as they are now (what the page
// cache holds: a killed process's view) into a new directory while the
// partition stays open, and returns it.
func crashClone(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func snapshotFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+snapshotExt))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// logBuffer collects log output for assertions, and forwards it to t.Log.
type logBuffer struct {
	t  testing.TB
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *logBuffer) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.b.Write(b)
	w.mu.Unlock()
	w.t.Log(string(bytes.TrimSpace(b)))
	return len(b), nil
}

func (w *logBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestProducerStateSurvivesManyRolls is the crash test's duplicate (the
// same batch written twice, two segments apart): producer A writes one
// batch, B fills several segments, the broker restarts, and A retries its
// batch (its ack was lost). The retry must be a Duplicate with the original
// offsets whatever the restart found: snapshots from rolls after a crash, the
// snapshot written by Close, or no usable snapshot at all (a full scan of
// the batch headers).
func TestProducerStateSurvivesManyRolls(t *testing.T) {
	damages := map[string]func(t *testing.T, dir string){
		"snapshots": func(*testing.T, string) {},
		"no snapshots": func(t *testing.T, dir string) {
			for _, f := range snapshotFiles(t, dir) {
				os.Remove(f)
			}
		},
		"corrupt snapshots": func(t *testing.T, dir string) {
			for _, f := range snapshotFiles(t, dir) {
				b, _ := os.ReadFile(f)
				b[len(b)-1] ^= 0x40
				os.WriteFile(f, b, 0o644)
			}
		},
		"newest snapshot truncated": func(t *testing.T, dir string) {
			fs := snapshotFiles(t, dir)
			last := fs[len(fs)-1]
			b, _ := os.ReadFile(last)
			os.WriteFile(last, b[:len(b)/2], 0o644)
		},
	}
	// interval-1h never runs a round before the crash: the roll snapshots
	// are still temporary files, deleted on open, and a full scan is used.
	policies := map[string]FlushPolicy{"sync": FlushSync, "interval-1h": FlushInterval, "none": FlushNone}
	for polName, pol := range policies {
		for _, restart := range []string{"crash", "close"} {
			for name, damage := range damages {
				t.Run(polName+"/"+restart+"/"+name, func(t *testing.T) {
					if pol == FlushInterval && restart == "crash" && name != "snapshots" {
						t.Skip("no snapshot is published before the crash: nothing to damage")
					}
					testProducerStateSurvives(t, pol, restart == "crash", name, damage)
				})
			}
		}
	}
}

func testProducerStateSurvives(t *testing.T, pol FlushPolicy, crash bool, damageName string, damage func(*testing.T, string)) {
	cfg := Config{SegmentBytes: 600, IndexIntervalBytes: 200}
	fl := NewFlusher(pol, time.Hour, testLogger(t))
	defer fl.Close()
	dir := t.TempDir()
	p, err := Open(dir, cfg, fl, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a := mustAppend(t, p, pbatch(t, 1, 0, 0, 2), time.Now())
	var lastB AppendResult
	for i := 0; i < 40; i++ {
		lastB = mustAppend(t, p, pbatch(t, 2, 0, int32(i*2), 2), time.Now())
	}
	if n := len(p.s.segs); n < 6 {
		t.Fatalf("only %d segments", n)
	}
	want := producerView(p)
	if crash {
		dir = crashClone(t, dir)
	} else if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if crash && pol == FlushInterval {
		tmps, _ := filepath.Glob(filepath.Join(dir, "*"+snapshotExt+".tmp"))
		if len(snapshotFiles(t, dir)) != 0 || len(tmps) < 5 {
			t.Fatalf("before a flush round: %d snapshots published, %d pending", len(snapshotFiles(t, dir)), len(tmps))
		}
		damageName = "no snapshots"
	} else if len(snapshotFiles(t, dir)) == 0 {
		t.Fatal("no snapshot files written")
	} else {
		damage(t, dir)
	}

	logs := &logBuffer{t: t}
	fl2 := NewFlusher(pol, 0, testLogger(t))
	defer fl2.Close()
	q, err := Open(dir, cfg, fl2, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if got := producerView(q); !maps.Equal(got, want) {
		t.Fatalf("producer state after restart:\n got %v\nwant %v", got, want)
	}
	if damageName != "snapshots" && damageName != "no snapshots" &&
		!strings.Contains(logs.String(), "ignoring producer snapshot") {
		t.Error("a bad snapshot was not logged")
	}

	res, err := q.Append(pbatch(t, 1, 0, 0, 2), time.Now())
	if err != nil || !res.Duplicate || res.BaseOffset != a.BaseOffset || res.LastOffset != a.LastOffset {
		t.Fatalf("retry of A's batch: %+v %v, want duplicate at %d-%d", res, err, a.BaseOffset, a.LastOffset)
	}
	res, err = q.Append(pbatch(t, 2, 0, 78, 2), time.Now())
	if err != nil || !res.Duplicate || res.BaseOffset != lastB.BaseOffset {
		t.Fatalf("retry of B's last batch: %+v %v", res, err)
	}
	leo := q.LogEndOffset()
	if _, err := q.Append(pbatch(t, 1, 0, 5, 1), time.Now()); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("A's gap: %v", err)
	}
	res = mustAppend(t, q, pbatch(t, 1, 0, 2, 1), time.Now())
	if res.Duplicate || res.BaseOffset != leo {
		t.Fatalf("A's next batch: %+v, want appended at %d", res, leo)
	}
}

// TestSnapshotLifecycle checks which snapshot files exist: one per roll
// (named by the new segment's base), one at Close (the log end), none below
// the first segment after retention or DeleteRecordsBefore, and none past
// the log end after a cut tail.
func TestSnapshotLifecycle(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentBytes: 600, RetentionMs: -1}
	p, err := Open(dir, cfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var beforeLast map[int64]string
	for i := 0; i < 30; i++ {
		if i == 29 {
			beforeLast = producerView(p)
		}
		mustAppend(t, p, pbatch(t, int64(i%3), 0, int32(i/3*2), 2), time.Now())
	}
	names := func() []string {
		var out []string
		for _, f := range snapshotFiles(t, dir) {
			out = append(out, strings.TrimSuffix(filepath.Base(f), snapshotExt))
		}
		return out
	}
	var bases []string
	for _, s := range p.s.segs[1:] {
		bases = append(bases, fmt.Sprintf("%020d", s.base))
	}
	if got := names(); fmt.Sprint(got) != fmt.Sprint(bases) {
		t.Fatalf("snapshots %v, want one per roll %v", got, bases)
	}
	want := producerView(p)

	// Retention drops the snapshots with the segments.
	cfg.RetentionBytes = p.Size() / 2
	p.SetConfig(cfg)
	if n, err := p.EnforceRetention(time.Now()); err != nil || n == 0 {
		t.Fatalf("retention removed %d: %v", n, err)
	}
	first := p.s.segs[0].base
	for _, n := range names() {
		if off, _ := parseSnapshotName(n + snapshotExt); off < first {
			t.Fatalf("snapshot %d left below the first segment %d", off, first)
		}
	}
	// DeleteRecordsBefore too; the snapshot at the first segment's base stays.
	if _, err := p.DeleteRecordsBefore(p.s.segs[2].base + 1); err != nil {
		t.Fatal(err)
	}
	first = p.s.segs[0].base
	if got := names(); len(got) == 0 || got[0] != fmt.Sprintf("%020d", first) {
		t.Fatalf("snapshots %v after DeleteRecordsBefore, first segment %d", got, first)
	}
	leo := p.LogEndOffset()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := names(); got[len(got)-1] != fmt.Sprintf("%020d", leo) {
		t.Fatalf("no snapshot at the log end %d after Close: %v", leo, got)
	}

	// Producer state outlives the segments that held its batches.
	p, err = Open(dir, cfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := producerView(p); !maps.Equal(got, want) {
		t.Fatalf("after retention and reopen:\n got %v\nwant %v", got, want)
	}
	p.Close()

	// Cut the tail: the snapshot at the old log end is stale and goes.
	seg := lastSegment(t, dir)
	fi, _ := os.Stat(seg)
	os.Truncate(seg, fi.Size()-10)
	p, err = Open(dir, cfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.LogEndOffset() >= leo {
		t.Fatalf("tail not cut: leo %d", p.LogEndOffset())
	}
	if _, err := os.Stat(snapshotPath(dir, leo)); !os.IsNotExist(err) {
		t.Fatalf("stale snapshot past the log end kept: %v", err)
	}
	// The last batch was lost: the state is as before it was appended.
	if got := producerView(p); !maps.Equal(got, beforeLast) {
		t.Fatalf("after the cut:\n got %v\nwant %v", got, beforeLast)
	}
}

// TestProducerExpiry checks producer.id.expiration.ms: a producer idle for
// longer is dropped when a snapshot is written, in memory and in the file;
// one seen within it is kept.
func TestProducerExpiry(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentBytes: 600, ProducerIDExpirationMs: 3600_000}
	p, err := Open(dir, cfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	mustAppend(t, p, pbatch(t, 1, 0, 0, 2), t0)                     // idle from t0
	mustAppend(t, p, pbatch(t, 2, 0, 0, 2), t0.Add(59*time.Minute)) // recent
	if len(producerView(p)) != 2 {
		t.Fatal("producers missing")
	}
	for i := 0; i < 10; i++ { // roll at t0+61m
		mustAppend(t, p, buildBatch(t, spec(2)), t0.Add(61*time.Minute))
	}
	if len(p.s.segs) < 2 {
		t.Fatal("no roll")
	}
	got := producerView(p)
	if _, ok := got[1]; ok || len(got) != 1 {
		t.Fatalf("after expiry: %v, want only producer 2", got)
	}
	// An expired producer is new again: any sequence is accepted.
	if res := mustAppend(t, p, pbatch(t, 1, 0, 0, 2), t0.Add(62*time.Minute)); res.Duplicate {
		t.Fatal("expired producer's batch taken for a duplicate")
	}
	p.Close()
	fs := snapshotFiles(t, dir)
	b, _ := os.ReadFile(fs[0])
	off, _ := parseSnapshotName(filepath.Base(fs[0]))
	m, _, err := decodeSnapshot(b, off)
	if err != nil || m[1] != nil || m[2] == nil {
		t.Fatalf("roll snapshot: %v %v", m, err)
	}
}

func TestSnapshotEncoding(t *testing.T) {
	m := producers{}
	for i := int32(0); i < 7; i++ { // wraps the ring of producer 5
		h := header{producerID: 5, producerEpoch: 3, baseSequence: i * 10, lastOffsetDelta: 9, baseOffset: int64(i) * 10}
		m.observe(&h, 1234)
	}
	h := header{producerID: 1 << 40, producerEpoch: 0, baseSequence: 1<<31 - 2, lastOffsetDelta: 3, baseOffset: 100}
	m.observe(&h, 99)
	b := encodeSnapshot(nil, 200, m, nil)
	got, _, err := decodeSnapshot(b, 200)
	if err != nil {
		t.Fatal(err)
	}
	view := func(m producers) string { return fmt.Sprint(viewOf(m)) }
	if view(got) != view(m) || got[5].lastTs != 1234 || got[1<<40].lastTs != 99 {
		t.Fatalf("round trip:\n got %s\nwant %s", view(got), view(m))
	}
	if _, _, err := decodeSnapshot(b, 201); !errors.Is(err, errBadSnapshot) {
		t.Fatalf("wrong offset accepted: %v", err)
	}
	// Impossible contents under a valid CRC are refused too.
	bad := bytes.Clone(b)
	binary.BigEndian.PutUint64(bad[len(bad)-8:], 500) // last offset past the snapshot
	binary.BigEndian.PutUint32(bad[snapOffCRC:], crc32.Checksum(bad[snapOffCovered:], castagnoli))
	if _, _, err := decodeSnapshot(bad, 200); !errors.Is(err, errBadSnapshot) {
		t.Fatalf("batch past the snapshot offset accepted: %v", err)
	}
	for i := range len(b) {
		if _, _, err := decodeSnapshot(b[:i], 200); err == nil {
			t.Fatalf("truncated to %d accepted", i)
		}
	}
}

// fuzzTemplate is a closed partition written by three producers over several
// segments, without snapshot files, and the state a full scan recovers.
type fuzzTemplate struct {
	dir   string
	offs  []int64 // segment bases and the log end: where snapshots are named
	want  map[int64]string
	seeds map[int64][]byte // the real snapshots, by offset
}

func snapshotFuzzTemplate(f *testing.F) *fuzzTemplate {
	dir := f.TempDir()
	{
		t := f
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		cfg := Config{SegmentBytes: 600}
		p, err := Open(dir, cfg, nil, quiet)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 30; i++ {
			mustAppend(t, p, pbatch(t, int64(i%3), 0, int32(i/3*2), 2), time.Now())
		}
		tm := fuzzTemplate{dir: dir, want: producerView(p), seeds: map[int64][]byte{}}
		for _, s := range p.s.segs {
			tm.offs = append(tm.offs, s.base)
		}
		tm.offs = append(tm.offs, p.LogEndOffset(), p.LogEndOffset()+5)
		p.Close()
		for _, f := range snapshotFiles(t, dir) {
			off, _ := parseSnapshotName(filepath.Base(f))
			tm.seeds[off], _ = os.ReadFile(f)
			os.Remove(f)
		}
		return &tm
	}
}

// FuzzSnapshot writes arbitrary bytes as a producer snapshot file (with the
// CRC fixed up when fixCRC is odd, to reach the structural checks) and opens
// the partition. Invariants: Open never panics or fails; a snapshot that
// decodeSnapshot refuses is ignored and deleted, and the state equals the
// full scan's; the real snapshots give that same state; whatever is loaded,
// appends from every producer still work.
func FuzzSnapshot(f *testing.F) {
	tm := snapshotFuzzTemplate(f)
	for i, off := range tm.offs {
		if b, ok := tm.seeds[off]; ok {
			f.Add(b, uint8(i), uint8(0))
			f.Add(b[:len(b)-3], uint8(i), uint8(1))
		}
	}
	f.Add([]byte{}, uint8(0), uint8(0))
	f.Add(make([]byte, snapHeaderSize), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, which, fixCRC uint8) {
		dir := crashClone(t, tm.dir)
		off := tm.offs[int(which)%len(tm.offs)]
		if fixCRC%2 == 1 && len(data) >= snapHeaderSize {
			data = bytes.Clone(data)
			binary.BigEndian.PutUint32(data[snapOffCRC:], crc32.Checksum(data[snapOffCovered:], castagnoli))
		}
		name := snapshotPath(dir, off)
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, derr := decodeSnapshot(data, off)
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		p, err := Open(dir, Config{SegmentBytes: 600}, nil, quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		got := producerView(p)
		real := bytes.Equal(data, tm.seeds[off])
		if derr != nil || real || off > p.LogEndOffset() {
			if !maps.Equal(got, tm.want) {
				t.Fatalf("state differs from the full scan (decode: %v):\n got %v\nwant %v", derr, got, tm.want)
			}
		}
		if derr != nil || off > p.LogEndOffset() {
			if _, err := os.Stat(name); !os.IsNotExist(err) {
				t.Fatal("refused snapshot not deleted")
			}
		}
		for id := range got {
			if _, err := p.Append(pbatch(t, id, 0, 0, 1), time.Now()); err != nil &&
				!errors.Is(err, ErrOutOfOrderSequence) && !errors.Is(err, ErrInvalidProducerEpoch) {
				t.Fatal(err)
			}
		}
	})
}
