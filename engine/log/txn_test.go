package log

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"time"
)

// tbatch builds a transactional batch of n records for producer pid.
func tbatch(t testing.TB, pid int64, epoch int16, seq int32, n int) []byte {
	t.Helper()
	s := spec(n)
	s.pid, s.epoch, s.seq, s.txn = pid, epoch, seq, true
	return buildBatch(t, s)
}

func mustMarker(t testing.TB, p *Partition, m Marker) AppendResult {
	t.Helper()
	res, err := p.AppendMarker(m, time.Now())
	if err != nil {
		t.Fatalf("marker: %v", err)
	}
	waitDurable(t, p, res.LastOffset)
	return res
}

func TestMarkerRoundTrip(t *testing.T) {
	for _, m := range []Marker{
		{ProducerID: 7, ProducerEpoch: 3, Commit: true, CoordinatorEpoch: 9},
		{ProducerID: 1 << 40, ProducerEpoch: 0, Commit: false, CoordinatorEpoch: 0},
	} {
		b := markerBatch(m, 1234)
		if !crcOK(b) {
			t.Fatal("marker batch CRC is wrong")
		}
		got, ok := ParseMarker(b)
		if !ok || got != m {
			t.Fatalf("ParseMarker = %+v, %v; want %+v", got, ok, m)
		}
		for i := range len(b) {
			if _, ok := ParseMarker(b[:i]); ok {
				t.Fatalf("truncated marker of %d bytes parsed", i)
			}
		}
	}
	if _, ok := ParseMarker(pbatch(t, 1, 0, 0, 1)); ok {
		t.Fatal("a data batch parsed as a marker")
	}
}

// TestTxnStableOffset: an open transaction holds the last stable offset at
// its first record; the commit marker releases it; a read_committed read
// (ReadTo the LSO) never returns records past it.
func TestTxnStableOffset(t *testing.T) {
	forVariants(t, Config{}, func(t *testing.T, h *harness) {
		p := h.p
		h.append(pbatch(t, 1, 0, 0, 3))          // 0-2 idempotent, not transactional
		first := h.append(tbatch(t, 2, 0, 0, 2)) // 3-4 open txn of producer 2
		h.append(pbatch(t, 1, 0, 3, 2))          // 5-6
		if got := p.LastStableOffset(); got != first.BaseOffset {
			t.Fatalf("LSO with an open txn = %d, want %d", got, first.BaseOffset)
		}
		data, err := p.ReadTo(0, p.LastStableOffset(), 1<<20, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := NextOffset(data); n != first.BaseOffset {
			t.Fatalf("read_committed read ends at %d, want %d", n, first.BaseOffset)
		}
		if data, _ := p.ReadTo(first.BaseOffset, p.LastStableOffset(), 1<<20, true, nil); len(data) != 0 {
			t.Fatal("read at the LSO returned data")
		}
		mk := mustMarker(t, p, Marker{ProducerID: 2, ProducerEpoch: 0, Commit: true})
		if got, want := p.LastStableOffset(), mk.LastOffset+1; got != want {
			t.Fatalf("LSO after commit = %d, want %d", got, want)
		}
		if ab := p.AbortedTxns(0, p.HighWatermark(), nil); len(ab) != 0 {
			t.Fatalf("committed txn reported aborted: %v", ab)
		}
		hs := batchesFrom(t, p, mk.BaseOffset)
		if len(hs) != 1 || !hs[0].control() || hs[0].attributes&attrTransactional == 0 || hs[0].producerID != 2 {
			t.Fatalf("marker batch on disk: %+v", hs)
		}
	})
}

// batchesFrom reads every batch from offset to the high watermark.
func batchesFrom(t testing.TB, p *Partition, offset int64) []header {
	t.Helper()
	var out []header
	for offset < p.HighWatermark() {
		data, err := p.Read(offset, 1<<20, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		hs := batches(t, data)
		out = append(out, hs...)
		offset = hs[len(hs)-1].lastOffset() + 1
	}
	return out
}

func TestTxnAbortedList(t *testing.T) {
	forVariants(t, Config{}, func(t *testing.T, h *harness) {
		p := h.p
		a := h.append(tbatch(t, 5, 0, 0, 2))                  // 0-1 txn A (aborted)
		b := h.append(tbatch(t, 6, 0, 0, 1))                  // 2 txn B (committed)
		h.append(tbatch(t, 5, 0, 2, 1))                       // 3 txn A
		am := mustMarker(t, p, Marker{ProducerID: 5})         // 4 abort A
		mustMarker(t, p, Marker{ProducerID: 6, Commit: true}) // 5 commit B
		c := h.append(tbatch(t, 5, 0, 3, 1))                  // 6 txn C, same producer
		cm := mustMarker(t, p, Marker{ProducerID: 5})         // 7 abort C
		if b.BaseOffset != 2 || cm.BaseOffset != 7 {
			t.Fatalf("offsets: %d %d", b.BaseOffset, cm.BaseOffset)
		}
		want := []AbortedTxn{{5, a.BaseOffset}, {5, c.BaseOffset}}
		if got := p.AbortedTxns(0, p.HighWatermark(), nil); !slices.Equal(got, want) {
			t.Fatalf("aborted over everything = %v, want %v", got, want)
		}
		if got := p.AbortedTxns(am.BaseOffset+1, p.HighWatermark(), nil); !slices.Equal(got, want[1:]) {
			t.Fatalf("aborted after A's marker = %v", got)
		}
		if got := p.AbortedTxns(0, 1, nil); !slices.Equal(got, want[:1]) {
			t.Fatalf("aborted in [0,1) = %v", got)
		}
		if got := p.AbortedTxns(cm.LastOffset+1, cm.LastOffset+10, nil); len(got) != 0 {
			t.Fatalf("aborted past everything = %v", got)
		}
		if got := p.LastStableOffset(); got != p.HighWatermark() {
			t.Fatalf("LSO %d with no open txn, HW %d", got, p.HighWatermark())
		}
		// Restarted, the list and the stable offset are the same.
		if h.v.disk {
			h.reopen()
			p = h.p
			if got := p.AbortedTxns(0, p.HighWatermark(), nil); !slices.Equal(got, want) {
				t.Fatalf("aborted after reopen = %v, want %v", got, want)
			}
		}
	})
}

// TestTxnFencing: a marker or a transactional batch with an older epoch than
// the partition knows is refused; a marker with a newer epoch (a timeout
// abort) fences the old epoch's batches.
func TestTxnFencing(t *testing.T) {
	forVariants(t, Config{}, func(t *testing.T, h *harness) {
		p := h.p
		h.append(tbatch(t, 3, 1, 0, 1))
		if _, err := p.AppendMarker(Marker{ProducerID: 3, ProducerEpoch: 0}, time.Now()); !errors.Is(err, ErrInvalidProducerEpoch) {
			t.Fatalf("stale marker: %v", err)
		}
		mustMarker(t, p, Marker{ProducerID: 3, ProducerEpoch: 2}) // timed out: bumped epoch
		if _, err := p.Append(tbatch(t, 3, 1, 1, 1), time.Now()); !errors.Is(err, ErrInvalidProducerEpoch) {
			t.Fatalf("zombie batch after the bump: %v", err)
		}
		s := spec(1)
		s.pid, s.epoch, s.txn = 3, 1, true // coordinator-style, no sequence
		if _, err := p.Append(buildBatch(t, s), time.Now()); !errors.Is(err, ErrInvalidProducerEpoch) {
			t.Fatalf("zombie unsequenced batch: %v", err)
		}
		if _, err := p.Append(markerBatch(Marker{ProducerID: 3, ProducerEpoch: 2}, 0), time.Now()); !errors.Is(err, ErrCorruptBatch) {
			t.Fatalf("control batch through Append: %v", err)
		}
		if got := p.LastStableOffset(); got != p.HighWatermark() {
			t.Fatalf("LSO %d after fencing, HW %d", got, p.HighWatermark())
		}
	})
}

// TestTxnRecovery: open transactions and aborted ones come back after a
// crash (no snapshot at the end: rebuilt from the log after the last roll's
// snapshot) and after a clean close (from the snapshot alone).
func TestTxnRecovery(t *testing.T) {
	cfg := Config{SegmentBytes: 400}
	dir := t.TempDir()
	p, err := Open(dir, cfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var want []AbortedTxn
	var open int64 = -1
	for i := range 12 {
		pid := int64(10 + i%3)
		r := mustAppend(t, p, tbatch(t, pid, 0, int32(i/3), 1), time.Now())
		switch i % 3 {
		case 0:
			mustMarker(t, p, Marker{ProducerID: pid})
			want = append(want, AbortedTxn{pid, r.BaseOffset})
		case 1:
			mustMarker(t, p, Marker{ProducerID: pid, Commit: true})
		case 2:
			if i == 11 {
				open = r.BaseOffset // left open
			} else {
				mustMarker(t, p, Marker{ProducerID: pid, Commit: true})
			}
		}
	}
	check := func(q *Partition, how string) {
		t.Helper()
		if got := q.AbortedTxns(0, q.HighWatermark(), nil); !slices.Equal(got, want) {
			t.Fatalf("%s: aborted = %v, want %v", how, got, want)
		}
		if got := q.LastStableOffset(); got != open {
			t.Fatalf("%s: LSO = %d, want the open txn's %d", how, got, open)
		}
		var infos []ProducerInfo
		for _, pi := range q.Producers() {
			if pi.CurrentTxnStartOffset >= 0 {
				infos = append(infos, pi)
			}
		}
		if len(infos) != 1 || infos[0].ProducerID != 12 || infos[0].CurrentTxnStartOffset != open {
			t.Fatalf("%s: producers with an open txn: %+v", how, infos)
		}
	}
	check(p, "live")
	if len(snapshotFiles(t, dir)) == 0 {
		t.Fatal("no roll happened; make the segments smaller")
	}
	crashed := crashClone(t, dir)
	q, err := Open(crashed, cfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	check(q, "after a crash")
	q.Close()
	p.Close()
	p, err = Open(dir, cfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	check(p, "after a clean close")
	// The marker ends the transaction left open, and the state follows.
	mustMarker(t, p, Marker{ProducerID: 12, Commit: true})
	if got := p.LastStableOffset(); got != p.HighWatermark() {
		t.Fatalf("LSO %d after the last commit, HW %d", got, p.HighWatermark())
	}
	// Retention past every aborted marker forgets them.
	if _, err := p.DeleteRecordsBefore(-1); err != nil {
		t.Fatal(err)
	}
	if got := p.AbortedTxns(0, p.HighWatermark(), nil); len(got) != 0 {
		t.Fatalf("aborted after deleting every record: %v", got)
	}
	p.Close()
}

// txnKeyed is keyedBatch as a transactional batch of producer pid.
func txnKeyed(t testing.TB, pid int64, seq int32, ts int64, recs []kv) []byte {
	t.Helper()
	b := keyedBatch(t, codecNone, false, ts, recs)
	binary.BigEndian.PutUint16(b[offAttributes:], attrTransactional)
	binary.BigEndian.PutUint64(b[offProducerID:], uint64(pid))
	binary.BigEndian.PutUint16(b[offProducerEpoch:], 0)
	binary.BigEndian.PutUint32(b[offBaseSequence:], uint32(seq))
	binary.BigEndian.PutUint32(b[offCRC:], crc32c(b[offAttributes:]))
	return b
}

// TestCleanTransactions: compaction treats a committed transaction's records as any others
// (they supersede and are superseded, so a later tombstone really deletes), drops aborted
// ones, keeps every marker, and never cleans past the last stable offset.
func TestCleanTransactions(t *testing.T) {
	cfg := compactCfg
	cfg.SegmentBytes = 300
	forVariants(t, cfg, func(t *testing.T, h *harness) {
		p := h.p
		const t0 = 1_000_000
		ts := int64(t0)
		put := func(b []byte) { h.append(b); ts += 10 }
		put(keyedBatch(t, codecNone, false, ts, []kv{{key: "a", val: []byte("a0")}, {key: "b", val: []byte("b0")}}))
		put(txnKeyed(t, 1, 0, ts, []kv{{key: "a", val: []byte("a1-committed")}}))
		put(txnKeyed(t, 2, 0, ts, []kv{{key: "b", val: []byte("b2-aborted")}}))
		put(txnKeyed(t, 2, 1, ts, []kv{{key: "c", val: []byte("c2-aborted")}}))
		mustMarker(t, p, Marker{ProducerID: 1, Commit: true})
		mustMarker(t, p, Marker{ProducerID: 2})
		put(txnKeyed(t, 3, 0, ts, []kv{{key: "d", val: []byte("d3")}}))
		mustMarker(t, p, Marker{ProducerID: 3, Commit: true})
		put(keyedBatch(t, codecNone, false, ts, []kv{{key: "d", val: nil}})) // tombstone over a committed txn record
		for range 4 {
			put(keyedBatch(t, codecNone, false, ts, []kv{{key: "y", val: []byte("filler-filler-filler")}}))
		}
		// An open transaction: nothing from it on may be cleaned.
		open := h.append(txnKeyed(t, 4, 0, ts, []kv{{key: "a", val: []byte("a4-open")}}))
		for range 6 {
			put(keyedBatch(t, codecNone, false, ts, []kv{{key: "z", val: []byte("filler-filler-filler")}}))
		}
		if p.LastStableOffset() != open.BaseOffset {
			t.Fatalf("LSO %d, want %d", p.LastStableOffset(), open.BaseOffset)
		}
		res := mustClean(t, p, ts)
		if !res.Cleaned || res.EndOffset > open.BaseOffset {
			t.Fatalf("pass %+v cleaned past the open transaction at %d", res, open.BaseOffset)
		}
		vals := map[string][]string{}
		for _, r := range readRecords(t, p) {
			if r.off < res.EndOffset {
				vals[r.key] = append(vals[r.key], string(r.val))
			}
		}
		if got := vals["a"]; !slices.Equal(got, []string{"a1-committed"}) {
			t.Fatalf("key a below the cleaned end: %q, want the committed txn's value only", got)
		}
		if got := vals["b"]; !slices.Equal(got, []string{"b0"}) {
			t.Fatalf("key b: %q, want b0 (the aborted value dropped)", got)
		}
		if got := vals["c"]; len(got) != 0 {
			t.Fatalf("key c: %q, want nothing (aborted)", got)
		}
		if got := vals["d"]; !slices.Equal(got, []string{""}) {
			t.Fatalf("key d: %q, want the tombstone alone", got)
		}
		markers := 0
		for _, hd := range batchesFrom(t, p, p.LogStartOffset()) {
			if hd.control() {
				markers++
			}
		}
		if markers != 3 {
			t.Fatalf("%d markers after cleaning, want 3", markers)
		}
		// Past the delete horizon the tombstone goes and d stays deleted.
		mustClean(t, p, ts+cfg.DeleteRetentionMs+1)
		for _, r := range readRecords(t, p) {
			if r.key == "d" {
				t.Fatalf("deleted key d came back: %+v", r)
			}
		}
		if ab := p.AbortedTxns(0, p.HighWatermark(), nil); len(ab) != 1 || ab[0].ProducerID != 2 {
			t.Fatalf("aborted list after cleaning: %v", ab)
		}
	})
}

// TestTxnEndedStaysBounded: a producer-only workload (nobody asks for the last stable offset)
// does not pile up ended transactions in memory.
func TestTxnEndedStaysBounded(t *testing.T) {
	forVariants(t, Config{}, func(t *testing.T, h *harness) {
		for i := range 200 {
			h.append(tbatch(t, 9, 0, int32(i), 1))
			mustMarker(t, h.p, Marker{ProducerID: 9, Commit: true})
		}
		h.p.t.Lock()
		n := len(h.p.t.ended)
		h.p.t.Unlock()
		if n > 2 {
			t.Fatalf("%d ended transactions kept after 200 durable commits", n)
		}
	})
}
