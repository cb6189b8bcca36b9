package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamlite/streamlite/engine"
	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/tiered/objstore"
	"github.com/streamlite/streamlite/tiered/objstore/s3test"
)

// Sizes of the restore tests' topics: small segments and local retention,
// so most of what is produced leaves the broker's disk for the bucket.
const (
	restoreSegmentBytes = 64 << 10
	restoreLocalBytes   = 128 << 10
	restoreRecords      = 600 // per partition, about 1 KiB each
)

// restoreTopics are the tiered topics the restore tests produce to: name,
// partitions and configs (each with another config besides the tiering
// ones, to see configs come back).
var restoreTopics = []struct {
	name       string
	partitions int32
	configs    map[string]string
}{
	{"events", 1, map[string]string{"retention.ms": "86400000"}},
	{"orders", 2, map[string]string{"retention.ms": "604800000", "max.message.bytes": "200000"}},
}

// sourceTopic is what a restore must give back of one topic: its id, its
// explicitly set configs, and per partition the remote tier's offsets and
// the records in it.
type sourceTopic struct {
	id      [16]byte
	configs map[string]string
	start   []int64 // remote start offset per partition
	end     []int64 // remote end offset per partition
	records [][]*kgo.Record
}

// restoreRecord is record i of a partition: a key, a value holding its
// place and filler, and a header.
func restoreRecord(topic string, p int32, i int) *kgo.Record {
	v := make([]byte, 1000)
	copy(v, fmt.Sprintf("%s/%d/%d:", topic, p, i))
	for j := 30; j < len(v); j++ {
		v[j] = byte('a' + (i+j+int(p))%26)
	}
	return &kgo.Record{
		Topic: topic, Partition: p, Key: []byte("k" + strconv.Itoa(i%7)), Value: v,
		Headers: []kgo.RecordHeader{{Key: "n", Value: []byte(strconv.Itoa(i))}},
	}
}

// s3Source starts versitygw with a fresh bucket and returns a store URL
// in it and the options to reach it.
func s3Source(t *testing.T) (string, objstore.OpenOptions) {
	t.Helper()
	srv := s3test.Start(t)
	url := "s3://" + srv.Bucket(t) + "/restore"
	return url, objstore.OpenOptions{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
}

// tieredSource runs a broker on url tiering restoreTopics, produces to
// them, waits until the closed segments are stored and their local copies
// deleted, records what a restore must give back, and closes the broker.
// It returns the closed broker's data directory and the topics.
func tieredSource(t *testing.T, url string, opts objstore.OpenOptions) (string, map[string]*sourceTopic) {
	t.Helper()
	seed := []enginetest.Option{enginetest.Durable(), enginetest.RemoteStorage(url, opts)}
	for _, rt := range restoreTopics {
		cfgs := maps.Clone(rt.configs)
		cfgs["remote.storage.enable"] = "true"
		cfgs["segment.bytes"] = strconv.Itoa(restoreSegmentBytes)
		cfgs["local.retention.bytes"] = strconv.Itoa(restoreLocalBytes)
		seed = append(seed, enginetest.TopicWithConfigs(rt.name, rt.partitions, cfgs))
	}
	b := enginetest.New(t, seed...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerBatchMaxBytes(16<<10), kgo.ProducerLinger(time.Millisecond))
	var rs []*kgo.Record
	for _, rt := range restoreTopics {
		for p := range rt.partitions {
			for i := range restoreRecords {
				rs = append(rs, restoreRecord(rt.name, p, i))
			}
		}
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	src := map[string]*sourceTopic{}
	for _, rt := range restoreTopics {
		src[rt.name] = &sourceTopic{start: make([]int64, rt.partitions), end: make([]int64, rt.partitions),
			records: make([][]*kgo.Record, rt.partitions)}
	}
	waitTieredOut(t, b, src)
	ids, cfgs := topicIDsAndConfigs(t, b)
	for name, st := range src {
		st.id, st.configs = ids[name], cfgs[name]
		for p := range st.records {
			st.records[p] = readRange(t, b, name, int32(p), st.start[p], st.end[p])
		}
	}
	if err := b.Engine().Close(); err != nil {
		t.Fatal(err)
	}
	return b.DataDir(), src
}

// waitTieredOut waits until every partition of src has closed segments in
// its remote tier, none left to upload, and its earliest local offset
// above 0 (local copies deleted), and notes each tier's offsets in src.
func waitTieredOut(t *testing.T, b *enginetest.Broker, src map[string]*sourceTopic) {
	t.Helper()
	want := 0
	for _, st := range src {
		want += len(st.start)
	}
	var sts []string
	for deadline := time.Now().Add(60 * time.Second); ; {
		sts = sts[:0]
		done := 0
		for _, st := range b.Engine().TierStatus() {
			s, ok := src[st.Topic]
			if !ok {
				continue
			}
			sts = append(sts, fmt.Sprintf("%+v", st))
			if st.UploadLag > 0 || st.RemoteEnd <= 0 || earliestLocal(t, b, st.Topic, st.Partition) <= 0 {
				continue
			}
			s.start[st.Partition], s.end[st.Partition] = st.RemoteStart, st.RemoteEnd
			done++
		}
		if done == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tiered storage did not catch up: %v", sts)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// earliestLocal is ListOffsets' earliest local offset (timestamp -4,
// KIP-405) of a partition.
func earliestLocal(t *testing.T, b *enginetest.Broker, topic string, p int32) int64 {
	t.Helper()
	return listOffsetAt(t, b, topic, p, -4)
}

// listOffsetAt answers ListOffsets v9 with timestamp ts for one partition.
func listOffsetAt(t *testing.T, b *enginetest.Broker, topic string, p int32, ts int64) int64 {
	t.Helper()
	cl := b.Client()
	defer cl.Close()
	req := kmsg.NewPtrListOffsetsRequest()
	req.Version = 9
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition, rp.Timestamp = p, ts
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	got := resp.Topics[0].Partitions[0]
	if got.ErrorCode != 0 {
		t.Fatalf("ListOffsets %s/%d at %d: error %d", topic, p, ts, got.ErrorCode)
	}
	return got.Offset
}

// topicIDsAndConfigs returns every non-internal topic's id (Metadata v12)
// and explicitly set configs (DescribeConfigs, source DYNAMIC_TOPIC_CONFIG).
func topicIDsAndConfigs(t *testing.T, b *enginetest.Broker) (map[string][16]byte, map[string]map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := b.Admin()
	md, err := adm.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string][16]byte{}
	for name, d := range md.Topics {
		if d.Err != nil {
			t.Fatalf("metadata of %s: %v", name, d.Err)
		}
		if !d.IsInternal && !strings.HasPrefix(name, "__") {
			ids[name] = d.ID
		}
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, slices.Sorted(maps.Keys(ids))...)
	if err != nil {
		t.Fatal(err)
	}
	cfgs := map[string]map[string]string{}
	for _, rc := range rcs {
		if rc.Err != nil {
			t.Fatalf("configs of %s: %v", rc.Name, rc.Err)
		}
		set := map[string]string{}
		for _, c := range rc.Configs {
			if c.Source == kmsg.ConfigSourceDynamicTopicConfig && c.Value != nil {
				set[c.Key] = *c.Value
			}
		}
		cfgs[rc.Name] = set
	}
	return ids, cfgs
}

// readRange reads the records of a partition from offset from up to end
// (exclusive).
func readRange(t *testing.T, b *enginetest.Broker, topic string, p int32, from, end int64) []*kgo.Record {
	t.Helper()
	if from >= end {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl := b.Client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {p: kgo.NewOffset().At(from)}}),
		kgo.FetchMaxBytes(4<<20))
	defer cl.Close()
	var out []*kgo.Record
	for len(out) == 0 || out[len(out)-1].Offset < end-1 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("reading %s/%d from %d, after %d records: %v", topic, p, from, len(out), err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset < end {
				out = append(out, r)
			}
		})
	}
	return out
}

// sameRecord reports how a and b differ ("" if they do not) in what a
// broker stores: offset, key, value, headers and timestamp.
func sameRecord(a, b *kgo.Record) string {
	switch {
	case a.Offset != b.Offset:
		return fmt.Sprintf("offset %d, want %d", b.Offset, a.Offset)
	case !bytes.Equal(a.Key, b.Key) || !bytes.Equal(a.Value, b.Value):
		return fmt.Sprintf("at offset %d: key %q value %.20q, want key %q value %.20q", a.Offset, b.Key, b.Value, a.Key, a.Value)
	case !a.Timestamp.Equal(b.Timestamp):
		return fmt.Sprintf("at offset %d: timestamp %v, want %v", a.Offset, b.Timestamp, a.Timestamp)
	case len(a.Headers) != len(b.Headers):
		return fmt.Sprintf("at offset %d: %d headers, want %d", a.Offset, len(b.Headers), len(a.Headers))
	}
	for i := range a.Headers {
		if a.Headers[i].Key != b.Headers[i].Key || !bytes.Equal(a.Headers[i].Value, b.Headers[i].Value) {
			return fmt.Sprintf("at offset %d: header %d differs", a.Offset, i)
		}
	}
	return ""
}

// checkRestored starts a broker on the restored dir with the store at url
// and checks that it serves exactly the topics in names as src had them:
// same ids and configs, the remote tier's offsets and records from the
// earliest offset, and a new record landing at the restored end offset.
// It closes the broker before returning.
func checkRestored(t *testing.T, dir, url string, opts objstore.OpenOptions, res engine.RestoreResult, src map[string]*sourceTopic, names ...string) {
	t.Helper()
	if len(res.Topics) != len(names) {
		t.Fatalf("restored %d topics %+v, want %v", len(res.Topics), res.Topics, names)
	}
	for i, rt := range res.Topics {
		st := src[names[i]]
		if rt.Name != names[i] || rt.ID != st.id || int(rt.Partitions) != len(st.start) || len(rt.Offsets) != len(st.start) {
			t.Fatalf("restored topic %d: %+v, want %s with id %x and %d partitions", i, rt, names[i], st.id, len(st.start))
		}
		if !maps.Equal(rt.Configs, st.configs) {
			t.Errorf("result configs of %s: %v, want %v", rt.Name, rt.Configs, st.configs)
		}
		for p, o := range rt.Offsets {
			if o.Partition != int32(p) || o.StartOffset != st.start[p] || o.EndOffset != st.end[p] {
				t.Errorf("result offsets of %s/%d: %+v, want %d-%d", rt.Name, p, o, st.start[p], st.end[p])
			}
		}
	}

	// engine/log reads what Restore wrote as intended: an empty local log
	// from the tier's end, and the tier's start as the earliest offset.
	for _, rt := range res.Topics {
		for _, o := range rt.Offsets {
			checkRestoredPartition(t, filepath.Join(dir, "topics", fmt.Sprintf("%s~%x", rt.Name, rt.ID), strconv.Itoa(int(o.Partition))), o)
		}
	}

	b := enginetest.New(t, enginetest.DataDir(dir), enginetest.RemoteStorage(url, opts))
	defer func() {
		if err := b.Engine().Close(); err != nil {
			t.Error(err)
		}
	}()
	// The broker reports the tier's start at once (remote-tier.checkpoint)
	// and attaches each partition's remote tier in its first tiering
	// pass; until then reads of remote offsets get a retriable error.
	for _, name := range names {
		for p, start := range src[name].start {
			if got := listOffsetAt(t, b, name, int32(p), -2); got != start {
				t.Errorf("%s/%d: earliest offset at start-up %d, want %d (the remote tier's start)", name, p, got, start)
			}
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		attached := 0
		for _, st := range b.Engine().TierStatus() {
			if s, ok := src[st.Topic]; ok && st.RemoteEnd == s.end[st.Partition] && st.RemoteStart == s.start[st.Partition] {
				attached++
			}
		}
		want := 0
		for _, n := range names {
			want += len(src[n].start)
		}
		if attached == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("remote tiers not attached: %+v", b.Engine().TierStatus())
		}
		time.Sleep(20 * time.Millisecond)
	}

	ids, cfgs := topicIDsAndConfigs(t, b)
	if got := slices.Sorted(maps.Keys(ids)); !slices.Equal(got, names) {
		t.Fatalf("restored broker has topics %v, want %v", got, names)
	}
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for _, name := range names {
		st := src[name]
		if ids[name] != st.id {
			t.Errorf("topic %s has id %x, want %x", name, ids[name], st.id)
		}
		if !maps.Equal(cfgs[name], st.configs) {
			t.Errorf("topic %s has configs %v, want %v", name, cfgs[name], st.configs)
		}
		for p := range st.start {
			p32 := int32(p)
			if got := listOffsetAt(t, b, name, p32, -2); got != st.start[p] {
				t.Errorf("%s/%d: earliest offset %d, want %d (the remote tier's start)", name, p, got, st.start[p])
			}
			if got := listOffsetAt(t, b, name, p32, -1); got != st.end[p] {
				t.Errorf("%s/%d: end offset %d, want %d (the remote tier's end)", name, p, got, st.end[p])
			}
			got := readRange(t, b, name, p32, st.start[p], st.end[p])
			if len(got) != len(st.records[p]) {
				t.Fatalf("%s/%d: read %d records back, want %d", name, p, len(got), len(st.records[p]))
			}
			for i := range got {
				if diff := sameRecord(st.records[p][i], got[i]); diff != "" {
					t.Fatalf("%s/%d: %s", name, p, diff)
				}
			}
			r := restoreRecord(name, p32, -1)
			pr, err := cl.ProduceSync(context.Background(), r).First()
			if err != nil {
				t.Fatalf("producing to restored %s/%d: %v", name, p, err)
			}
			if pr.Offset != st.end[p] {
				t.Errorf("new record in %s/%d at offset %d, want %d (after the restored ones)", name, p, pr.Offset, st.end[p])
			}
			back := readRange(t, b, name, p32, st.end[p], st.end[p]+1)
			if diff := sameRecord(pr, back[0]); diff != "" {
				t.Errorf("new record in %s/%d: %s", name, p, diff)
			}
		}
	}
}

// checkRestoredPartition opens a restored partition directory with
// engine/log and checks its offsets against what Restore reported.
func checkRestoredPartition(t *testing.T, dir string, o engine.RestoredPartition) {
	t.Helper()
	f := log.NewFlusher(log.FlushSync, 0, slog.New(slog.DiscardHandler))
	defer f.Close()
	p, err := log.Open(dir, log.Config{RemoteStorage: true}, f, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := o.StartOffset
	if start < 0 {
		start = o.EndOffset
	}
	if p.LocalLogStartOffset() != o.EndOffset || p.HighWatermark() != o.EndOffset || p.Size() != 0 || p.LogStartOffset() != start {
		t.Errorf("%s: local start %d, high watermark %d, %d bytes, log start %d; want an empty log at %d, log start %d",
			dir, p.LocalLogStartOffset(), p.HighWatermark(), p.Size(), p.LogStartOffset(), o.EndOffset, start)
	}
}

// treeState lists every file and directory under dir with its size, mode
// and modification time, to see that nothing changed.
func treeState(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %d %v %d", path, fi.Size(), fi.Mode(), fi.ModTime().UnixNano()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A topic is rebuilt from the bucket alone: restored into an empty data
// directory (one topic, then all), a broker on it with the same bucket
// serves the same topic ids and configs, every record the remote tier held
// from the earliest offset, identical, and takes new records after them
// (issue 8, must-show 4). Existing data and unknown topic names are
// refused without a change.
func TestRestoreFromS3(t *testing.T) {
	url, opts := s3Source(t)
	srcDir, src := tieredSource(t, url, opts)
	ctx := context.Background()
	base := t.TempDir()

	t.Run("refuses a used data dir", func(t *testing.T) {
		before := treeState(t, srcDir)
		_, err := engine.Restore(ctx, engine.RestoreConfig{DataDir: srcDir, RemoteStorage: url, RemoteStorageOptions: opts})
		if !errors.Is(err, engine.ErrDataDirNotEmpty) || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("restore into the source's data dir: %v, want ErrDataDirNotEmpty", err)
		}
		if after := treeState(t, srcDir); !slices.Equal(before, after) {
			t.Fatalf("the refused restore changed the data dir:\nbefore %v\nafter  %v", before, after)
		}

		dir := filepath.Join(base, "one-file")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
		before = treeState(t, dir)
		_, err = engine.Restore(ctx, engine.RestoreConfig{DataDir: dir, RemoteStorage: url, RemoteStorageOptions: opts})
		if !errors.Is(err, engine.ErrDataDirNotEmpty) || !strings.Contains(err.Error(), "notes.txt") {
			t.Fatalf("restore into a dir with a file: %v, want ErrDataDirNotEmpty naming the file", err)
		}
		if after := treeState(t, dir); !slices.Equal(before, after) {
			t.Fatalf("the refused restore changed the data dir:\nbefore %v\nafter  %v", before, after)
		}
	})

	t.Run("unknown topic", func(t *testing.T) {
		dir := filepath.Join(base, "unknown")
		_, err := engine.Restore(ctx, engine.RestoreConfig{DataDir: dir, RemoteStorage: url, RemoteStorageOptions: opts,
			Topics: []string{"orders", "nope"}})
		if !errors.Is(err, engine.ErrRemoteTopicNotFound) || !strings.Contains(err.Error(), `"nope"`) ||
			!strings.Contains(err.Error(), "events, orders") {
			t.Fatalf("restore of an unknown topic: %v, want ErrRemoteTopicNotFound naming it and the bucket's topics", err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a refused restore left the data dir behind: %v", err)
		}
	})

	t.Run("one topic", func(t *testing.T) {
		dir := filepath.Join(base, "one")
		res, err := engine.Restore(ctx, engine.RestoreConfig{DataDir: dir, RemoteStorage: url, RemoteStorageOptions: opts,
			Topics: []string{"events"}})
		if err != nil {
			t.Fatal(err)
		}
		checkRestored(t, dir, url, opts, res, src, "events")
	})

	t.Run("all topics", func(t *testing.T) {
		dir := filepath.Join(base, "all")
		if err := os.MkdirAll(dir, 0o755); err != nil { // empty and existing is fine too
			t.Fatal(err)
		}
		res, err := engine.Restore(ctx, engine.RestoreConfig{DataDir: dir, RemoteStorage: url, RemoteStorageOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		// The "one topic" broker took a record into events/0 after the
		// restored ones; it was local only, so a restore ends where the
		// tier does, as before.
		checkRestored(t, dir, url, opts, res, src, "events", "orders")
	})
}

// A partition directory holding only a log start checkpoint with "N\n"
// recovers as an empty log starting at N: what Restore relies on to make
// a restored partition's local log continue after its remote tier.
func TestRestoreCheckpointStartsEmptyLog(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "0")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "log-start-offset.checkpoint"), []byte("1234\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := log.NewFlusher(log.FlushSync, 0, slog.New(slog.DiscardHandler))
	defer f.Close()
	p, err := log.Open(dir, log.Config{}, f, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if got := p.LogStartOffset(); got != 1234 {
		t.Errorf("log start %d, want 1234", got)
	}
	if got := p.HighWatermark(); got != 1234 {
		t.Errorf("high watermark %d, want 1234", got)
	}
	if got := p.Size(); got != 0 {
		t.Errorf("size %d, want 0", got)
	}
}
