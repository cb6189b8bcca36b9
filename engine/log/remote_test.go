package log

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeTier is a remote tier that claims [start, end) and answers reads
// with a marker, to check what the partition delegates.
type fakeTier struct{ start, end int64 }

func (f *fakeTier) StartOffset() int64 { return f.start }
func (f *fakeTier) EndOffset() int64   { return f.end }
func (f *fakeTier) Read(_ context.Context, offset int64, _ int, _ bool, buf []byte) ([]byte, error) {
	return append(buf, byte(offset)), nil
}
func (f *fakeTier) OffsetForTimestamp(context.Context, int64) (int64, bool, error) {
	return 0, false, nil
}
func (f *fakeTier) DeleteBefore(_ context.Context, offset int64) error {
	f.start = min(offset, f.end)
	return nil
}

// A RemoteStorage partition deletes local segments for local retention
// only once the attached tier holds them, reports the tier's start as its
// log start, and delegates reads below the local start to the tier.
func TestRemoteStorageLocalRetention(t *testing.T) {
	dir := t.TempDir()
	fl := NewFlusher(FlushNone, 0, testLogger(t))
	defer fl.Close()
	cfg := Config{SegmentBytes: 1000, RemoteStorage: true, LocalRetentionBytes: 1, RetentionBytes: -1}
	p, err := Open(dir, cfg, fl, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 20 {
		s := spec(5)
		s.valueSize = 50
		mustAppend(t, p, buildBatch(t, s), time.Now())
	}
	closed := p.ClosedSegments(0, p.HighWatermark())
	if len(closed) < 3 {
		t.Fatalf("%d closed segments, want several", len(closed))
	}
	for i, c := range closed {
		if c.Size == 0 || c.Next <= c.Base || (i > 0 && c.Base != closed[i-1].Next) {
			t.Fatalf("closed segment %d: %+v", i, c)
		}
	}
	if n, err := p.EnforceRetention(time.Now()); err != nil || n != 0 {
		t.Fatalf("without a tier: deleted %d, %v", n, err)
	}
	tier := &fakeTier{start: 0, end: closed[1].Next}
	p.AttachRemote(tier)
	if n, err := p.EnforceRetention(time.Now()); err != nil || n != 2 {
		t.Fatalf("with a tier holding two segments: deleted %d, %v", n, err)
	}
	if p.LocalLogStartOffset() != closed[2].Base || p.LogStartOffset() != 0 {
		t.Fatalf("local start %d, start %d", p.LocalLogStartOffset(), p.LogStartOffset())
	}
	if !p.InRemote(3) || p.InRemote(closed[2].Base) {
		t.Fatal("InRemote disagrees with the tier")
	}
	b, err := p.ReadRemote(context.Background(), 3, 1000, true, nil)
	if err != nil || len(b) != 1 || b[0] != 3 {
		t.Fatalf("ReadRemote = %v, %v", b, err)
	}
	if got := p.ClosedSegments(tier.end, p.HighWatermark()); len(got) == 0 || got[0].Base != closed[2].Base {
		t.Fatalf("ClosedSegments from the tier's end = %+v", got)
	}
}

// The remote range recorded by SetRemoteRange survives a reopen: before a
// tier is attached again the partition reports the tier's start, counts
// its offsets as remote and answers reads of them ErrRemoteUnavailable
// (retriable), never out of range.
func TestRemoteRangeAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	fl := NewFlusher(FlushNone, 0, testLogger(t))
	defer fl.Close()
	cfg := Config{SegmentBytes: 1000, RemoteStorage: true, LocalRetentionBytes: 1, RetentionBytes: -1}
	p, err := Open(dir, cfg, fl, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		s := spec(5)
		s.valueSize = 50
		mustAppend(t, p, buildBatch(t, s), time.Now())
	}
	closed := p.ClosedSegments(0, p.HighWatermark())
	tier := &fakeTier{start: 0, end: closed[1].Next}
	p.AttachRemote(tier)
	if err := p.SetRemoteRange(tier.start, tier.end); err != nil {
		t.Fatal(err)
	}
	if _, err := p.EnforceRetention(time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p, err = Open(dir, cfg, fl, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.LogStartOffset() != 0 || p.LocalLogStartOffset() != closed[2].Base {
		t.Fatalf("after reopen: start %d, local start %d", p.LogStartOffset(), p.LocalLogStartOffset())
	}
	if !p.InRemote(1) {
		t.Fatal("offset 1 is not counted as remote")
	}
	if _, err := p.ReadRemote(context.Background(), 1, 100, true, nil); !errors.Is(err, ErrRemoteUnavailable) {
		t.Fatalf("read before the tier is attached: %v", err)
	}
	p.AttachRemote(tier)
	if b, err := p.ReadRemote(context.Background(), 1, 100, true, nil); err != nil || len(b) != 1 {
		t.Fatalf("read after attach: %v %v", b, err)
	}
}

// In memory mode, which has no remote tier, a RemoteStorage partition
// keeps Kafka's plain retention rather than waiting for uploads forever.
func TestRemoteStorageMemoryMode(t *testing.T) {
	p := OpenMemory(Config{SegmentBytes: 1000, RemoteStorage: true, RetentionBytes: 1})
	defer p.Close()
	for range 20 {
		s := spec(5)
		s.valueSize = 50
		mustAppend(t, p, buildBatch(t, s), time.Now())
	}
	if n, err := p.EnforceRetention(time.Now()); err != nil || n == 0 {
		t.Fatalf("memory-mode retention deleted %d segments, %v", n, err)
	}
}
