package tui

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/streamlite/streamlite/tui/cluster"
)

// BenchmarkLiveTail feeds a records screen in follow mode at 80x24 with the poll answers of
// a topic receiving 50,000 records a second: 100 polls of 500 records per simulated second.
// One op is one poll answer: the tick that arms the poll, the answer's Update (500 records
// into the ring, the next poll armed) and a View. The records/s metric is how many records
// a second the screen can take at that cost; the ring keeps 5,000 of them.
func BenchmarkLiveTail(b *testing.B) {
	f := newFakeSource()
	h := newHarness(b, f, Options{})
	h.command("records orders")
	s := h.records()
	h.timers = nil

	batch := make([]cluster.Record, pollMax)
	t0 := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range batch {
		key := fmt.Sprintf("user-%d", i%97)
		val := fmt.Sprintf(`{"order":%d,"user":"%s","amount":%d.50,"status":"paid","items":[{"sku":"A-%d","qty":%d}]}`, i, key, i%300, i%50, i%5+1)
		batch[i] = cluster.Record{Topic: "orders", Partition: int32(i % 3), Timestamp: t0.Add(time.Duration(i) * time.Millisecond),
			Key: []byte(key), KeyText: key, KeyFormat: "text", Value: []byte(val), ValueText: val, ValueFormat: "json"}
	}
	var off int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, poll := h.m.Update(tick{to: s.id(), kind: "poll", gen: s.pollGen})
		if poll == nil {
			b.Fatal("the tick did not arm a poll")
		}
		for j := range batch {
			batch[j].Offset = off
			off++
		}
		_, next := h.m.Update(reply{to: s.id(), kind: "poll", seq: s.pollSeq, body: polled{recs: batch}})
		if next == nil {
			b.Fatal("the answer did not schedule the next poll")
		}
		_ = h.m.View()
	}
	b.StopTimer()
	if !s.follow || s.ring.len() != min(int(off), DefaultMaxRecords) {
		b.Fatalf("follow %v, kept %d", s.follow, s.ring.len())
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(pollMax)/perOp, "records/s")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
}

// BenchmarkKeyDuringTail is the cost of a key press (moving the selection) and the redraw
// it causes on a records screen that holds a full ring: the key-to-redraw latency, less
// the terminal's.
func BenchmarkKeyDuringTail(b *testing.B) {
	f := newFakeSource()
	h := newHarness(b, f, Options{})
	h.command("records orders")
	f.reader(0).feed(DefaultMaxRecords)
	for h.records().ring.len() < DefaultMaxRecords {
		h.fire()
	}
	h.timers = nil
	keys := []tea.KeyMsg{keyMsg("k"), keyMsg("j")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.m.Update(keys[i%2])
		_ = h.m.View()
	}
}
