package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/tiered/objstore"
	"github.com/streamlite/streamlite/tiered/objstore/s3test"
)

const (
	tieredSegmentBytes = 256 << 10
	tieredLocalBytes   = 1 << 20
)

// tieredValue is record i's value: its number, then filler, so a
// consumer can check every record is back, whole and in order.
func tieredValue(i int) []byte {
	v := make([]byte, 1000)
	copy(v, strconv.Itoa(i)+":")
	for j := 20; j < len(v); j++ {
		v[j] = byte('a' + (i+j)%26)
	}
	return v
}

// dirBytes is the size of the files under dir.
func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted by retention while walking
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitUploaded waits until every closed segment of the broker's
// remote-storage partitions is in the remote tier and local retention ran.
func waitUploaded(t *testing.T, b *enginetest.Broker) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		sts := b.Engine().TierStatus()
		done := len(sts) > 0
		for _, st := range sts {
			if st.UploadLag > 0 || st.RemoteBytes == 0 || st.LocalBytes > tieredLocalBytes+2*tieredSegmentBytes {
				done = false
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tiered storage did not catch up: %+v", sts)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// consumeFrom0 reads n records of topic from offset 0 and checks each is
// record i, in order.
func consumeFrom0(t *testing.T, b *enginetest.Broker, topic string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl := b.Client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(4<<20))
	defer cl.Close()
	i := 0
	for i < n {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("after %d records: %v", i, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset != int64(i) || !bytes.Equal(r.Value, tieredValue(i)) {
				t.Fatalf("record at offset %d is not record %d (value %.12q)", r.Offset, i, r.Value)
			}
			i++
		})
	}
}

// listOffset answers ListOffsets with the special timestamp ts for
// partition 0 of topic.
func listOffset(t *testing.T, b *enginetest.Broker, topic string, ts int64) int64 {
	t.Helper()
	cl := b.Client()
	defer cl.Close()
	req := kmsg.NewPtrListOffsetsRequest()
	req.Version = 9
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Timestamp = ts
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 {
		t.Fatalf("ListOffsets %d: error %d", ts, p.ErrorCode)
	}
	return p.Offset
}

// With small segments and a small local.retention.bytes, closed segments
// go to S3 (a real versitygw), the local data stays near the bound, and a
// consumer from offset 0 reads every record back identical and in order,
// before and after a restart (issue 8, must-show 1; STREAMLITE_TIERED_MB
// sets the volume, 8 MiB by default, the 200 MB with 200).
func TestTieredStorageS3(t *testing.T) {
	mb := 8
	if v := os.Getenv("STREAMLITE_TIERED_MB"); v != "" {
		var err error
		if mb, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	b := enginetest.New(t, enginetest.Durable(),
		enginetest.RemoteStorage("s3://"+bucket+"/streamlite", objstore.OpenOptions{
			Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		}),
		enginetest.TopicWithConfigs("tiered", 1, map[string]string{
			"remote.storage.enable": "true",
			"segment.bytes":         strconv.Itoa(tieredSegmentBytes),
			"local.retention.bytes": strconv.Itoa(tieredLocalBytes),
		}))
	n := mb << 10 // 1000-byte values, about a KiB each with overhead
	cl := b.Client(kgo.DefaultProduceTopic("tiered"), kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(64<<10))
	ctx := context.Background()
	for start := 0; start < n; start += 1000 {
		rs := make([]*kgo.Record, 0, 1000)
		for i := start; i < min(start+1000, n); i++ {
			rs = append(rs, &kgo.Record{Value: tieredValue(i)})
		}
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	waitUploaded(t, b)

	// Retention drops segments from the list before it unlinks their
	// files: give the unlinking a moment.
	local := dirBytes(t, filepath.Join(b.DataDir(), "topics"))
	for deadline := time.Now().Add(10 * time.Second); local > tieredLocalBytes+4*tieredSegmentBytes && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		local = dirBytes(t, filepath.Join(b.DataDir(), "topics"))
	}
	if local > tieredLocalBytes+4*tieredSegmentBytes {
		var files []string
		_ = filepath.WalkDir(filepath.Join(b.DataDir(), "topics"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Ext(p) != ".snapshot" && len(files) < 30 {
				if fi, err := d.Info(); err == nil {
					files = append(files, fmt.Sprintf("%s %d", filepath.Base(p), fi.Size()))
				}
			}
			return nil
		})
		t.Errorf("local topic data is %d bytes, want near local.retention.bytes %d; status %+v; files: %v", local, tieredLocalBytes, b.Engine().TierStatus(), files)
	}
	objs, err := b.Engine().RemoteStorage().List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var remote int64
	for _, o := range objs {
		remote += o.Size
	}
	if remote < int64(n)*1000/2 {
		t.Errorf("the bucket holds %d bytes in %d objects for %d records", remote, len(objs), n)
	}
	t.Logf("%d records: %d bytes local, %d bytes in %d objects in the bucket", n, local, remote, len(objs))
	if got := listOffset(t, b, "tiered", -2); got != 0 {
		t.Errorf("earliest offset %d, want 0 (in the remote tier)", got)
	}
	if got := listOffset(t, b, "tiered", -4); got <= 0 {
		t.Errorf("earliest local offset %d, want above 0", got)
	}
	if got := listOffset(t, b, "tiered", -5); got <= 0 || got >= int64(n) {
		t.Errorf("latest tiered offset %d", got)
	}
	consumeFrom0(t, b, "tiered", n)

	b.Restart()
	waitUploaded(t, b)
	consumeFrom0(t, b, "tiered", n)
}

// The default object store of a durable broker is file://DATA/remote:
// tiering works with no set-up.
func TestTieredStorageDefaultFileStore(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Durable(),
		enginetest.TopicWithConfigs("tiered", 1, map[string]string{
			"remote.storage.enable": "true",
			"segment.bytes":         strconv.Itoa(tieredSegmentBytes),
			"local.retention.bytes": strconv.Itoa(tieredLocalBytes),
		}))
	if got := b.Engine().RemoteStorage().String(); got != "file://"+filepath.Join(b.DataDir(), "remote") {
		t.Fatalf("default store %s", got)
	}
	n := 4 << 10
	cl := b.Client(kgo.DefaultProduceTopic("tiered"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	defer cl.Close()
	rs := make([]*kgo.Record, n)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i := range rs {
		rs[i] = &kgo.Record{Value: tieredValue(i), Timestamp: base.Add(time.Duration(i) * time.Millisecond)}
	}
	if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	waitUploaded(t, b)
	localStart := listOffset(t, b, "tiered", -4)
	if localStart <= 0 {
		t.Fatalf("nothing left local storage: earliest local %d", localStart)
	}
	consumeFrom0(t, b, "tiered", n)

	// offsetsForTimes finds records in either tier.
	for _, want := range []int64{0, 123, localStart - 1, localStart, int64(n) - 1} {
		got, err := b.Admin().ListOffsetsAfterMilli(context.Background(), base.Add(time.Duration(want)*time.Millisecond).UnixMilli(), "tiered")
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := got.Lookup("tiered", 0); o.Err != nil || o.Offset != want {
			t.Errorf("offset for the timestamp of record %d: %+v", want, o)
		}
	}

	// DeleteRecords below the local start moves the remote tier's start.
	adm := b.Admin()
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "tiered", Partition: 0, At: 100})
	res, err := adm.DeleteRecords(context.Background(), offs)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.Lookup("tiered", 0); r.Err != nil || r.LowWatermark != 100 {
		t.Fatalf("DeleteRecords at 100 in the remote tier: %+v", r)
	}
	if got := listOffset(t, b, "tiered", -2); got != 100 {
		t.Fatalf("earliest offset %d after DeleteRecords at 100", got)
	}
}

// An object-store outage loses nothing and blocks nothing: with S3 killed,
// produce goes on, closed segments stay local (the earliest local offset
// does not move), and once S3 is back the uploads resume, local retention
// catches up, and every record reads back from offset 0 (issue 8,
// must-show 2).
func TestTieredStorageS3Outage(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	b := enginetest.New(t, enginetest.Durable(),
		enginetest.RemoteStorage("s3://"+bucket+"/outage", objstore.OpenOptions{
			Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		}),
		enginetest.RetentionCheckInterval(100*time.Millisecond),
		enginetest.TopicWithConfigs("tiered", 1, map[string]string{
			"remote.storage.enable": "true",
			"segment.bytes":         strconv.Itoa(tieredSegmentBytes),
			"local.retention.bytes": strconv.Itoa(tieredLocalBytes),
		}))
	cl := b.Client(kgo.DefaultProduceTopic("tiered"), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(64<<10))
	defer cl.Close()
	ctx := context.Background()
	n := 0
	produce := func(count int) {
		t.Helper()
		rs := make([]*kgo.Record, count)
		for i := range rs {
			rs[i] = &kgo.Record{Value: tieredValue(n + i)}
		}
		start := time.Now()
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("producing %d records took %v", count, d)
		}
		n += count
	}
	produce(4 << 10)
	waitUploaded(t, b)
	localStart := listOffset(t, b, "tiered", -4)
	tiered := b.Engine().TierStatus()[0].RemoteEnd // what S3 holds when it goes down

	srv.Kill()
	for range 4 {
		produce(2 << 10) // 2 MiB a round, well past local.retention.bytes
		time.Sleep(300 * time.Millisecond)
	}
	// Local retention may still drop what S3 already held, never more.
	if got := listOffset(t, b, "tiered", -4); got > tiered {
		t.Fatalf("earliest local offset moved to %d while S3 was down, past the %d it holds", got, tiered)
	}
	// The failure shows in the status once the client gives up retrying.
	sts := b.Engine().TierStatus()
	for deadline := time.Now().Add(30 * time.Second); sts[0].LastError == "" && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		sts = b.Engine().TierStatus()
	}
	if len(sts) != 1 || sts[0].UploadLag == 0 || sts[0].LastError == "" {
		t.Fatalf("tier status during the outage: %+v", sts)
	}
	produce(1 << 10) // still accepted with uploads failing
	t.Logf("during the outage: %+v", sts[0])
	m := scrape(t, "http://"+b.Engine().AdminAddr()+"/metrics")
	if m[`streamlite_tiered_upload_failing{partition="0",topic="tiered"}`] != "1" ||
		m[`streamlite_tiered_upload_lag_bytes{partition="0",topic="tiered"}`] == "0" {
		t.Errorf("/metrics does not show the failing upload: %v", m)
	}

	srv.Restart()
	waitUploaded(t, b)
	if got := listOffset(t, b, "tiered", -4); got <= max(localStart, tiered) {
		t.Fatalf("earliest local offset %d did not move past %d after S3 came back", got, tiered)
	}
	consumeFrom0(t, b, "tiered", n)
}

// With the broker-wide default on, a topic created without configs is
// tiered; compacted and internal topics are not.
func TestTieredStorageBrokerDefault(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Durable(), enginetest.RemoteStorageDefault(),
		enginetest.TopicWithConfigs("plain", 1, map[string]string{"segment.bytes": strconv.Itoa(tieredSegmentBytes)}),
		enginetest.TopicWithConfigs("compacted", 1, map[string]string{"cleanup.policy": "compact"}))
	cl := b.Client(kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ConsumerGroup("g"), kgo.ConsumeTopics("plain"))
	defer cl.Close()
	for i := range 600 {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "plain", Value: tieredValue(i)}, &kgo.Record{Topic: "compacted", Key: []byte("k"), Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.PollFetches(context.Background()) // creates __consumer_offsets
	deadline := time.Now().Add(30 * time.Second)
	for {
		sts := b.Engine().TierStatus()
		var topics []string
		for _, st := range sts {
			topics = append(topics, st.Topic)
		}
		if len(sts) == 1 && sts[0].Topic == "plain" && sts[0].RemoteBytes > 0 {
			return
		}
		if len(sts) > 1 || time.Now().After(deadline) {
			t.Fatalf("tiered partitions %v (%+v), want only plain's, uploaded", topics, sts)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// read_committed consumers of tiered data still skip aborted transactions,
// before and after a restart: the aborted-transaction list covers the
// remote tier's offsets, not just the local ones.
func TestTieredStorageReadCommitted(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Durable(),
		enginetest.TopicWithConfigs("txns", 1, map[string]string{
			"remote.storage.enable": "true",
			"segment.bytes":         "65536",
			"local.retention.bytes": "65536",
		}))
	ctx := context.Background()
	tx := b.Client(kgo.TransactionalID("tiered-txn"), kgo.DefaultProduceTopic("txns"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	defer tx.Close()
	var want []string
	for round := range 20 {
		if err := tx.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		commit := round%2 == 0
		for i := range 50 {
			v := fmt.Sprintf("%d-%d-%t-%s", round, i, commit, bytes.Repeat([]byte{'x'}, 500))
			if err := tx.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
			if commit {
				want = append(want, v)
			}
		}
		if err := tx.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	read := func() {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for listOffset(t, b, "txns", -4) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("nothing was tiered: %+v", b.Engine().TierStatus())
			}
			time.Sleep(50 * time.Millisecond)
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		c := b.Client(kgo.ConsumeTopics("txns"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		defer c.Close()
		var got []string
		for len(got) < len(want) {
			fs := c.PollFetches(cctx)
			if err := fs.Err0(); err != nil {
				t.Fatalf("after %d records: %v", len(got), err)
			}
			fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("read_committed record %d is %.20q, want %.20q", i, got[i], want[i])
			}
		}
		if len(got) != len(want) {
			t.Fatalf("read_committed got %d records, want %d", len(got), len(want))
		}
	}
	read()
	b.Restart()
	read()
}

// A broker restarted while S3 is down still reports the remote tier's
// start as the earliest offset, and a consumer from offset 0 waits for the
// tier (retriable errors) instead of skipping to the local start; once S3
// is back it reads everything.
func TestTieredStorageRestartWithS3Down(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	b := enginetest.New(t, enginetest.Durable(),
		enginetest.RemoteStorage("s3://"+bucket+"/down", objstore.OpenOptions{
			Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		}),
		enginetest.TopicWithConfigs("tiered", 1, map[string]string{
			"remote.storage.enable": "true",
			"segment.bytes":         strconv.Itoa(tieredSegmentBytes),
			"local.retention.bytes": strconv.Itoa(tieredLocalBytes),
		}))
	cl := b.Client(kgo.DefaultProduceTopic("tiered"), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(64<<10))
	n := 4 << 10
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Value: tieredValue(i)}
	}
	if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	waitUploaded(t, b)

	srv.Kill()
	b.Restart()
	if got := listOffset(t, b, "tiered", -2); got != 0 {
		t.Fatalf("earliest offset %d after a restart with S3 down, want 0", got)
	}
	// While S3 is down, a consumer from the start gets nothing: never a
	// record past the tiered offsets.
	early := b.Client(kgo.ConsumeTopics("tiered"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	pctx, cancel := context.WithTimeout(context.Background(), time.Second)
	fs := early.PollFetches(pctx)
	cancel()
	fs.EachRecord(func(r *kgo.Record) {
		if r.Offset != 0 {
			t.Fatalf("with S3 down the first record read is at offset %d", r.Offset)
		}
	})
	early.Close()
	srv.Restart()
	consumeFrom0(t, b, "tiered", n)
}
