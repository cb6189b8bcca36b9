package tiered

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/streamlite/streamlite/tiered/objstore"
	"github.com/streamlite/streamlite/tiered/objstore/s3test"
)

// runScenario is the life of a partition's tier on one store: upload,
// read everything through a cache, restart with an orphan left by a
// crashed upload, timestamps, DeleteRecords, retention, the topic's
// description, deletion. It runs on every store kind.
func runScenario(t *testing.T, st objstore.Store) {
	ctx := context.Background()
	w := buildTestLog(t)
	segs := w.segments()
	c := newTestCache(t, st, CacheConfig{Dir: t.TempDir(), ChunkSize: 4096, MaxBytes: 32 << 10})
	r := mustOpen(t, st, c)
	mustUpload(t, r, segs[:3]...)
	readAll(t, r, w)
	if err := WriteTopic(ctx, st, TopicInfo{Name: testRef.Topic, ID: testRef.TopicID, Partitions: 4,
		Configs: map[string]string{"remote.storage.enable": "true"}}); err != nil {
		t.Fatal(err)
	}

	// A crash after the .log of segment 3 was stored, before the rest.
	prefix := partitionPrefix(testRef)
	f, _, err := openSegment(segs[3])
	if err != nil {
		t.Fatal(err)
	}
	err = st.Put(ctx, segmentKey(prefix, segs[3].Base, extLog), f[0], segs[3].Size)
	f.close()
	if err != nil {
		t.Fatal(err)
	}
	r = mustOpen(t, st, c)
	if got := len(keys(t, st, prefix)); got != 1+3*3 {
		t.Fatalf("%d objects after restart, want 10", got)
	}
	mustUpload(t, r, segs[3])
	readAll(t, r, w)

	off, ok, err := r.OffsetForTimestamp(ctx, w.batches[40].maxTs)
	if err != nil || !ok || off != w.batches[40].base {
		t.Fatalf("OffsetForTimestamp = %d, %v, %v; want %d", off, ok, err, w.batches[40].base)
	}

	if err := r.DeleteBefore(ctx, segs[1].Base+3); err != nil {
		t.Fatal(err)
	}
	readAll(t, r, w)
	n, err := r.EnforceRetention(ctx, testNow, -1, r.Bytes()-segs[1].Size, 0)
	if err != nil || n != 1 {
		t.Fatalf("EnforceRetention = %d, %v; want 1", n, err)
	}
	readAll(t, r, w)
	r2 := mustOpen(t, st, c)
	if !slices.Equal(r2.Segments(), r.Segments()) || r2.StartOffset() != segs[2].Base {
		t.Fatalf("reopened: %v from %d", r2.Segments(), r2.StartOffset())
	}
	if got := len(keys(t, st, prefix)); got != 1+2*3 {
		t.Fatalf("%d objects, want 7", got)
	}

	topics, err := ReadTopics(ctx, st)
	if err != nil || len(topics) != 1 || topics[0].Partitions != 4 {
		t.Fatalf("ReadTopics = %+v, %v", topics, err)
	}
	if err := r2.DeleteAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Read(ctx, segs[3].Base, 100, true, nil); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("Read after DeleteAll: %v", err)
	}
	if err := DeleteTopic(ctx, st, testRef.Topic, testRef.TopicID); err != nil {
		t.Fatal(err)
	}
	if left := keys(t, st, ""); len(left) != 0 {
		t.Fatalf("left in the store: %v", left)
	}
}

func TestScenarioFileStore(t *testing.T) { runScenario(t, newFileStore(t)) }

// TestScenarioS3 runs the scenario on versitygw, a real S3-compatible
// server (skipped if it is not installed, except under CI).
func TestScenarioS3(t *testing.T) {
	srv := s3test.Start(t)
	runScenario(t, srv.Store(t, srv.Bucket(t), "streamlite"))
}
