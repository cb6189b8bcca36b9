package restore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clitest"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/restore"
	"github.com/streamlite/streamlite/engine"
	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/tiered/objstore"
	"github.com/streamlite/streamlite/tiered/objstore/s3test"
)

const (
	segmentBytes = 32 << 10
	localBytes   = 64 << 10
	records      = 300 // per topic, 500-byte values
)

// value is record i's value: its number, then filler.
func value(topic string, i int) []byte {
	v := make([]byte, 500)
	copy(v, topic+"/"+strconv.Itoa(i)+":")
	for j := 20; j < len(v); j++ {
		v[j] = byte('a' + (i+j)%26)
	}
	return v
}

// topics are the tiered topics the bucket is prepared with.
var topics = []string{"clicks", "views"}

// prepare tiers topics to a fresh versitygw bucket through a broker,
// waits until their closed segments are uploaded and local copies
// deleted, and closes the broker. It returns the server, the store URL
// and each topic's remote end offset.
func prepare(t *testing.T) (*s3test.Server, string, map[string]int64) {
	t.Helper()
	srv := s3test.Start(t)
	url := "s3://" + srv.Bucket(t) + "/cli"
	opts := []enginetest.Option{enginetest.Durable(), enginetest.RemoteStorage(url, objstore.OpenOptions{
		Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
	})}
	for _, name := range topics {
		opts = append(opts, enginetest.TopicWithConfigs(name, 1, map[string]string{
			"remote.storage.enable": "true",
			"segment.bytes":         strconv.Itoa(segmentBytes),
			"local.retention.bytes": strconv.Itoa(localBytes),
			"retention.ms":          "86400000",
		}))
	}
	b := enginetest.New(t, opts...)
	cl := b.Client(kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(8<<10))
	var rs []*kgo.Record
	for _, name := range topics {
		for i := range records {
			rs = append(rs, &kgo.Record{Topic: name, Value: value(name, i)})
		}
	}
	if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	ends := map[string]int64{}
	for deadline := time.Now().Add(60 * time.Second); len(ends) < len(topics); {
		for _, st := range b.Engine().TierStatus() {
			if st.UploadLag == 0 && st.RemoteStart == 0 && st.RemoteEnd > 0 && earliestLocal(t, b, st.Topic) > 0 {
				ends[st.Topic] = st.RemoteEnd
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("tiered storage did not catch up: %+v", b.Engine().TierStatus())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := b.Engine().Close(); err != nil {
		t.Fatal(err)
	}
	return srv, url, ends
}

// earliestLocal is ListOffsets' earliest local offset (timestamp -4) of
// partition 0.
func earliestLocal(t *testing.T, b *enginetest.Broker, topic string) int64 {
	t.Helper()
	cl := b.Client()
	defer cl.Close()
	req := kmsg.NewPtrListOffsetsRequest()
	req.Version = 9
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Timestamp = -4
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.Topics[0].Partitions[0]; p.ErrorCode == 0 {
		return p.Offset
	}
	return -1
}

// isolateAWS points the AWS SDK at the test server's credentials only.
func isolateAWS(t *testing.T, srv *s3test.Server) {
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_REGION", s3test.Region)
	missing := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", missing)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", missing)
	t.Setenv("STREAMLITE_DATA", "")
}

// `streamlite restore` against a versitygw bucket: the table of what it
// restored, the `streamlite up` line to run, which serves every record
// the bucket held; refusals of a used data dir and of an unknown topic.
func TestRestoreCommand(t *testing.T) {
	srv, url, ends := prepare(t)
	isolateAWS(t, srv)
	base := t.TempDir()

	t.Run("no --from", func(t *testing.T) {
		r := clitest.Run(t, restore.NewCommand(), "", "--data-dir", filepath.Join(base, "x"))
		if r.Err == nil || !strings.Contains(r.Err.Error(), "--from") {
			t.Fatalf("got %v, want an error asking for --from", r.Err)
		}
	})

	t.Run("unknown topic", func(t *testing.T) {
		dir := filepath.Join(base, "unknown")
		r := clitest.Run(t, restore.NewCommand(), "", "--from", url, "--s3-endpoint", srv.Endpoint, "--data-dir", dir, "--topic", "nope")
		if r.Err == nil || !strings.Contains(r.Err.Error(), `"nope"`) || !strings.Contains(r.Err.Error(), "clicks, views") {
			t.Fatalf("got %v, want an error naming the topic and the bucket's", r.Err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("data dir left behind: %v", err)
		}
	})

	t.Run("used data dir", func(t *testing.T) {
		dir := filepath.Join(base, "used")
		if err := os.MkdirAll(filepath.Join(dir, "meta"), 0o755); err != nil {
			t.Fatal(err)
		}
		r := clitest.Run(t, restore.NewCommand(), "", "--from", url, "--s3-endpoint", srv.Endpoint, "--data-dir", dir)
		if r.Err == nil || !strings.Contains(r.Err.Error(), "not empty") || !strings.Contains(r.Err.Error(), "--data-dir") {
			t.Fatalf("got %v, want a refusal of the non-empty dir", r.Err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Fatalf("the refused restore changed the dir: %v", ents)
		}
	})

	t.Run("one topic", func(t *testing.T) {
		dir := filepath.Join(base, "one")
		r := clitest.MustRun(t, restore.NewCommand(), "", "--from", url, "--s3-endpoint", srv.Endpoint, "--data-dir", dir, "-t", "views")
		want := fmt.Sprintf("TOPIC  PARTITIONS  OFFSETS  CONFIGS\nviews  1           0-%d    4\n", ends["views"])
		if !strings.HasPrefix(r.Stdout, want) {
			t.Fatalf("output:\n%s\nwant it to start with:\n%s", r.Stdout, want)
		}
	})

	t.Run("all topics", func(t *testing.T) {
		// STREAMLITE_TOPIC is for produce and consume: it must not narrow
		// a restore.
		t.Setenv("STREAMLITE_TOPIC", "views")
		dir := filepath.Join(base, "all")
		r := clitest.MustRun(t, restore.NewCommand(), "", "--from", url, "--s3-endpoint", srv.Endpoint, "--data-dir", dir)
		lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
		if len(lines) != 5 {
			t.Fatalf("output:\n%s\nwant a header, 2 topics, and 2 lines of hint", r.Stdout)
		}
		for i, name := range topics {
			want := []string{name, "1", fmt.Sprintf("0-%d", ends[name]), "4"}
			if got := strings.Fields(lines[1+i]); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("row %d: %q, want %q", i, got, want)
			}
		}
		if want := "restored 2 topics into " + dir + "; start a broker on it with:"; lines[3] != want {
			t.Errorf("hint: %q, want %q", lines[3], want)
		}
		hint := strings.Fields(lines[4])
		wantHint := []string{"streamlite", "up", "--data-dir", dir, "--remote-storage", url, "--s3-endpoint", srv.Endpoint}
		if strings.Join(hint, " ") != strings.Join(wantHint, " ") {
			t.Fatalf("command line %q, want %q", hint, wantHint)
		}

		// What the hint says to run serves every record the bucket held,
		// from offset 0 (credentials from the environment, as for up).
		eb, err := engine.Start(context.Background(), engine.Config{
			DataDir: hint[3], RemoteStorage: hint[5], RemoteStorageOptions: objstore.OpenOptions{Endpoint: hint[7]},
			DisableAdmin: true, DisableSchemaRegistry: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer eb.Close()
		for deadline := time.Now().Add(30 * time.Second); ; {
			attached := 0
			for _, st := range eb.TierStatus() {
				if st.RemoteEnd == ends[st.Topic] {
					attached++
				}
			}
			if attached == len(topics) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("remote tiers not attached: %+v", eb.TierStatus())
			}
			time.Sleep(20 * time.Millisecond)
		}
		cl, err := kgo.NewClient(kgo.SeedBrokers(eb.KafkaAddr()), kgo.ConsumeTopics(topics...),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		next := map[string]int64{}
		for next[topics[0]] < ends[topics[0]] || next[topics[1]] < ends[topics[1]] {
			fs := cl.PollFetches(ctx)
			if err := fs.Err0(); err != nil {
				t.Fatalf("consuming after %v: %v", next, err)
			}
			fs.EachRecord(func(r *kgo.Record) {
				if r.Offset != next[r.Topic] || string(r.Value) != string(value(r.Topic, int(r.Offset))) {
					t.Fatalf("%s: record at offset %d is not record %d (%.12q)", r.Topic, r.Offset, next[r.Topic], r.Value)
				}
				next[r.Topic]++
			})
		}
	})
}
