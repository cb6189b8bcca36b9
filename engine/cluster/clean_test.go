package cluster_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/kafka"
	"github.com/streamlite/streamlite/engine/log"
)

// TestCompactedTopicThroughKgo produces keyed records with every codec to a
// compacted topic, cleans it, and consumes it with franz-go: kgo decodes the
// rewritten (recompressed, KIP-534 delete-horizon) batches, each key's latest
// value is there at its original offset with its original timestamp, and
// superseded records are gone.
func TestCompactedTopicThroughKgo(t *testing.T) {
	for _, codec := range []struct {
		name string
		c    kgo.CompressionCodec
	}{{"none", kgo.NoCompression()}, {"gzip", kgo.GzipCompression()}, {"snappy", kgo.SnappyCompression()}, {"lz4", kgo.Lz4Compression()}, {"zstd", kgo.ZstdCompression()}} {
		t.Run(codec.name, func(t *testing.T) {
			dir := t.TempDir()
			fl := log.NewFlusher(log.FlushNone, 0, nil)
			defer fl.Close()
			c, err := cluster.Open(cluster.Options{DataDir: dir, Flusher: fl})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.CreateTopic(cluster.CreateSpec{Name: "t", Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{
				"cleanup.policy": "compact", "segment.bytes": "4096", "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "0",
			}}, false); err != nil {
				t.Fatal(err)
			}
			srv := kafka.NewServer(kafka.Config{Cluster: c})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cl, err := kgo.NewClient(kgo.SeedBrokers(ln.Addr().String()), kgo.ProducerBatchCompression(codec.c), kgo.ProducerLinger(0))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()

			latest := map[string]want{}
			base := time.UnixMilli(1_700_000_000_000)
			for round := range 30 {
				var rs []*kgo.Record
				for k := range 10 {
					key := fmt.Sprint("key-", k)
					r := &kgo.Record{Topic: "t", Key: []byte(key), Value: []byte(fmt.Sprintf("%s-round-%d-%060d", key, round, 0)), Timestamp: base.Add(time.Duration(round*10+k) * time.Millisecond)}
					if round == 29 && k%3 == 0 {
						r.Value = nil // tombstone
					}
					rs = append(rs, r)
				}
				res := cl.ProduceSync(ctx, rs...)
				if err := res.FirstErr(); err != nil {
					t.Fatal(err)
				}
				for _, r := range res {
					latest[string(r.Record.Key)] = want{r.Record.Offset, string(r.Record.Value), r.Record.Timestamp}
				}
			}
			// Roll so every record is in a closed segment.
			p := c.Topic("t").Partition(0)
			noise := make([]byte, 5000) // incompressible, larger than segment.bytes
			rand.Read(noise)
			filler := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Key: []byte("filler"), Value: noise})
			if err := filler.FirstErr(); err != nil {
				t.Fatal(err)
			}
			latest["filler"] = want{filler[0].Record.Offset, string(filler[0].Record.Value), filler[0].Record.Timestamp}
			end := p.LogEndOffset()

			now := time.Now()
			res, err := p.Clean(now)
			if err != nil || !res.Cleaned || res.RecordsRemoved == 0 {
				t.Fatalf("clean: %+v %v", res, err)
			}
			t.Logf("pass: %+v", res)
			check := func(what string, tombstones bool) {
				t.Helper()
				// A fresh consumer, so nothing fetched before the pass is buffered.
				cl, err := kgo.NewClient(kgo.SeedBrokers(ln.Addr().String()), kgo.ConsumeTopics("t"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
				if err != nil {
					t.Fatal(err)
				}
				defer cl.Close()
				got := map[string]want{}
				// The filler, last in the log, ends the read.
				for done := false; !done; {
					fs := cl.PollFetches(ctx)
					if err := fs.Err(); err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					fs.EachRecord(func(r *kgo.Record) {
						if _, dup := got[string(r.Key)]; dup {
							t.Errorf("%s: key %s twice (offset %d)", what, r.Key, r.Offset)
						}
						got[string(r.Key)] = want{r.Offset, string(r.Value), r.Timestamp}
						done = done || r.Offset == end-1
					})
				}
				for k, w := range latest {
					g, ok := got[k]
					if w.value == "" && !tombstones {
						if ok {
							t.Errorf("%s: deleted key %s still there", what, k)
						}
						continue
					}
					if !ok || g.off != w.off || g.value != w.value || !g.ts.Equal(w.ts) {
						t.Errorf("%s: key %s = %+v, want %+v", what, k, g, w)
					}
				}
			}
			check("after clean", true)

			// Past delete.retention.ms (0) the tombstones go.
			res, err = p.Clean(now.Add(time.Millisecond))
			if err != nil || res.TombstonesRemoved == 0 {
				t.Fatalf("tombstone pass: %+v %v", res, err)
			}
			check("after tombstones", false)
		})
	}
}

type want struct {
	off   int64
	value string
	ts    time.Time
}
