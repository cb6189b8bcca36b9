package meta

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// historyCycles builds the benchmark history: cycle i creates topic t<i>
// with two configs, changes its configs 8 times, and then deletes it,
// except every 10th cycle, which grows it to 2 partitions instead and
// keeps it. 10 records a cycle; 10,000 cycles are 100,000 records and
// leave 1,000 live topics.
func historyCycles(from, to int) []Record {
	recs := make([]Record, 0, 10*(to-from))
	for i := from; i < to; i++ {
		name := fmt.Sprintf("topic-%06d", i)
		id := [16]byte{0: byte(i), 1: byte(i >> 8), 2: byte(i >> 16), 15: 0xb}
		recs = append(recs, TopicCreated{Name: name, ID: id, Partitions: 1,
			Configs: map[string]string{"cleanup.policy": "delete", "retention.ms": "604800000"}})
		for k := range 8 {
			recs = append(recs, ConfigChanged{Name: name, Set: map[string]string{"retention.ms": fmt.Sprint(k * 1000)}})
		}
		if i%10 == 0 {
			recs = append(recs, PartitionsAdded{Name: name, Total: 2})
		} else {
			recs = append(recs, TopicDeleted{Name: name})
		}
	}
	return recs
}

// buildHistory appends cycles [0, cycles) to a new log in dir in batches
// of 100 cycles, and snapshots after snapAt cycles (never if snapAt < 0).
func buildHistory(b *testing.B, dir string, cycles, snapAt int) {
	l, err := OpenOptions(dir, Options{Logger: quiet(), SnapshotBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	for c := 0; c < cycles; c += 100 {
		if c == snapAt {
			if _, err := l.Snapshot(); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.Append(historyCycles(c, min(c+100, cycles))...); err != nil {
			b.Fatal(err)
		}
	}
	if snapAt == cycles {
		if _, err := l.Snapshot(); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOpen measures Open (and Close) of a log holding 100,000
// records, the start-up figure: replaying them all, from a
// snapshot of all of them, and from a snapshot with 10,000 records after
// it. Reports ms per Open.
//
//	go test -run '^$' -bench BenchmarkOpen -benchtime 20x ./engine/meta/
func BenchmarkOpen(b *testing.B) {
	const cycles = 10_000 // 100,000 records
	for _, c := range []struct {
		name   string
		snapAt int
	}{
		{"no-snapshot", -1},
		{"snapshot-of-all", cycles},
		{"snapshot-then-10k-records", cycles - 1000},
	} {
		b.Run(c.name, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "meta")
			buildHistory(b, dir, cycles, c.snapAt)
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				l, err := OpenOptions(dir, Options{Logger: quiet(), SnapshotBytes: -1})
				total += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if l.LastIndex() != 10*cycles || len(l.Topics()) != cycles/10 {
					b.Fatalf("last %d, %d topics", l.LastIndex(), len(l.Topics()))
				}
				if err := l.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/open")
		})
	}
}

// BenchmarkCreateTopics creates 10,000 topics, one Append each, in a
// memory log: the cost of applying a change with many live topics (state
// clone and validation), without fsyncs. Reports µs per Append.
//
//	go test -run '^$' -bench BenchmarkCreateTopics ./engine/meta/
func BenchmarkCreateTopics(b *testing.B) {
	const n = 10_000
	var total time.Duration
	for b.Loop() {
		l := OpenMemory()
		start := time.Now()
		for i := range n {
			id := [16]byte{0: byte(i), 1: byte(i >> 8), 15: 0xc}
			if err := l.Append(TopicCreated{Name: fmt.Sprintf("t%05d", i), ID: id, Partitions: 1}); err != nil {
				b.Fatal(err)
			}
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Nanoseconds())/1000/float64(b.N*n), "µs/append")
}

// BenchmarkSnapshot measures Snapshot of a state with 10,000 live topics
// (one new record before each, so each writes a new snapshot), and
// reports the time the wal truncation held the append lock.
//
//	go test -run '^$' -bench BenchmarkSnapshot ./engine/meta/
func BenchmarkSnapshot(b *testing.B) {
	const n = 10_000
	var truncStart time.Time
	var truncated time.Duration
	l, err := OpenOptions(filepath.Join(b.TempDir(), "meta"), Options{Logger: quiet(), SnapshotBytes: -1,
		hook: func(step string) error {
			switch step {
			case "snapshot-synced":
				truncStart = time.Now()
			case "wal-truncated":
				truncated += time.Since(truncStart)
			}
			return nil
		}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	recs := make([]Record, 0, n)
	for i := range n {
		id := [16]byte{0: byte(i), 1: byte(i >> 8), 15: 0xe}
		recs = append(recs, TopicCreated{Name: fmt.Sprintf("topic-%05d", i), ID: id, Partitions: 3,
			Configs: map[string]string{"retention.ms": "604800000", "cleanup.policy": "compact", "segment.bytes": "1073741824"}})
	}
	if err := l.Append(recs...); err != nil {
		b.Fatal(err)
	}
	pid := int64(0)
	for b.Loop() {
		pid++
		if err := l.Append(ProducerIDBlock{Next: pid}); err != nil {
			b.Fatal(err)
		}
		if _, err := l.Snapshot(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(l.Stats().SnapshotSize), "snapshot-bytes")
	b.ReportMetric(float64(truncated.Microseconds())/1000/float64(b.N), "ms-truncating/op")
}
