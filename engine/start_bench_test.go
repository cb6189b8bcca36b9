package engine_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine"
	"github.com/streamlite/streamlite/engine/meta"
)

// metadataHistory is the metadata log BenchmarkStartWithMetadataHistory starts from: 10,000
// cycles of a topic created, reconfigured eight times and deleted, 100,000 records.
const (
	historyCycles        = 10_000
	historyRecsPerCycle  = 10
	historyCyclesPerCall = 100 // cycles per Append call, to build the fixture quickly
)

// writeMetadataHistory writes the history into dataDir/meta (as `streamlite up` lays it out),
// snapshotting at the end if snapshot.
func writeMetadataHistory(b *testing.B, dataDir string, snapshot bool) {
	b.Helper()
	l, err := meta.OpenOptions(filepath.Join(dataDir, "meta"), meta.Options{
		Logger: slog.New(slog.DiscardHandler), SnapshotBytes: -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	for c := 0; c < historyCycles; c += historyCyclesPerCall {
		recs := make([]meta.Record, 0, historyCyclesPerCall*historyRecsPerCycle)
		for k := c; k < c+historyCyclesPerCall; k++ {
			name := fmt.Sprintf("history-%05d", k)
			var id [16]byte
			_, _ = rand.Read(id[:])
			recs = append(recs, meta.TopicCreated{Name: name, ID: id, Partitions: 3, Configs: map[string]string{"retention.ms": "60000"}})
			for j := range historyRecsPerCycle - 2 {
				recs = append(recs, meta.ConfigChanged{Name: name, ID: id, Set: map[string]string{"retention.bytes": fmt.Sprint(j)}})
			}
			recs = append(recs, meta.TopicDeleted{Name: name, ID: id})
		}
		if err := l.Append(recs...); err != nil {
			b.Fatal(err)
		}
	}
	if got := l.LastIndex(); got != historyCycles*historyRecsPerCycle {
		b.Fatalf("history has %d records", got)
	}
	if snapshot {
		if _, err := l.Snapshot(); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStartWithMetadataHistory measures what `streamlite up` takes to be ready (engine.Start
// to listening, recovery included) on a data dir whose metadata log holds 100,000 records, with
// and without a snapshot covering them (issue 6, must-show 4). One start before the timer
// copies the history into __cluster_metadata once, as the first start after an upgrade would.
//
//	go test ./engine/ -run '^$' -bench StartWithMetadataHistory -benchtime 20x
func BenchmarkStartWithMetadataHistory(b *testing.B) {
	for _, snap := range []bool{false, true} {
		b.Run(fmt.Sprintf("snapshot=%t", snap), func(b *testing.B) {
			dir := b.TempDir()
			writeMetadataHistory(b, dir, snap)
			cfg := engine.Config{DataDir: dir, KafkaAddr: "127.0.0.1:0", DisableAdmin: true,
				Logger: slog.New(slog.DiscardHandler), MetadataSnapshotBytes: -1}
			start := func() time.Duration {
				t0 := time.Now()
				eb, err := engine.Start(context.Background(), cfg)
				took := time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				if err := eb.Close(); err != nil {
					b.Fatal(err)
				}
				return took
			}
			start()
			b.ResetTimer()
			var total time.Duration
			for range b.N {
				total += start()
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/start")
		})
	}
}
