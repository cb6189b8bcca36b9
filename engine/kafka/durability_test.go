package kafka_test

import (
	"errors"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Everything a durable broker acknowledged survives a restart: topics and their ids, configs,
// records (acks=all), the DeleteRecords low watermark, added partitions and deletions.
func TestDurableRestartKeepsState(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Durable(),
		enginetest.TopicWithConfigs("keep", 1, map[string]string{"retention.ms": "86400000"}),
		enginetest.Topics(1, "gone"))
	adm := b.Admin()
	ctx := testCtx(t)
	p := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DefaultProduceTopic("keep"))
	for _, v := range []string{"r0", "r1", "r2", "r3"} {
		produceSync(t, p, &kgo.Record{Value: []byte(v)})
	}
	if r, err := adm.UpdatePartitions(ctx, 3, "keep"); err != nil || r["keep"].Err != nil {
		t.Fatalf("add partitions: %v %v", err, r)
	}
	// A new client: p's cached metadata still says one partition.
	produceSync(t, b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner())), &kgo.Record{Topic: "keep", Partition: 2, Value: []byte("p2")})
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "keep", Partition: 0, At: 2})
	if r, err := adm.DeleteRecords(ctx, os); err != nil || r.Error() != nil {
		t.Fatalf("delete records: %v %v", err, r.Error())
	}
	if r, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "cleanup.policy", Value: kmsg.StringPtr("compact,delete")}}, "keep"); err != nil || r[0].Err != nil {
		t.Fatalf("alter: %v %v", err, r)
	}
	if r, err := adm.DeleteTopics(ctx, "gone"); err != nil || r["gone"].Err != nil {
		t.Fatalf("delete topic: %v %v", err, r)
	}
	id := topicID(t, b.Client(), "keep")

	b.Restart()

	fresh := b.Admin() // no cached metadata from before the restart
	topics, err := fresh.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if topics.Has("gone") || !topics.Has("keep") || len(topics["keep"].Partitions) != 3 {
		t.Fatalf("topics after restart: %v, keep has %d partitions", topics.Names(), len(topics["keep"].Partitions))
	}
	if got := topicID(t, b.Client(), "keep"); got != id {
		t.Fatalf("topic id %x after restart, was %x", got, id)
	}
	for name, want := range map[string]string{"retention.ms": "86400000", "cleanup.policy": "compact,delete"} {
		c := configOf(t, fresh, "keep", name)
		if c.MaybeValue() != want || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
			t.Fatalf("%s after restart: %q from %v, want %q DYNAMIC_TOPIC_CONFIG", name, c.MaybeValue(), c.Source, want)
		}
	}
	c := dialRaw(t, b.Addr())
	if lo := listOffset(t, c, "keep", 0, -2); lo.Offset != 2 {
		t.Fatalf("low watermark after restart: %d, want 2", lo.Offset)
	}
	if lo := listOffset(t, c, "keep", 0, -1); lo.Offset != 4 {
		t.Fatalf("high watermark after restart: %d, want 4", lo.Offset)
	}
	errCode(t, "fetch below the kept low watermark", fetchOnce(t, c, 12, "keep", [16]byte{}, 0, 0, 1<<20, 1<<20).ErrorCode, kerr.OffsetOutOfRange)
	got := consume(t, b, "keep", 3)
	vals := map[string]int64{}
	for _, r := range got {
		vals[string(r.Value)] = r.Offset
	}
	if vals["r2"] != 2 || vals["r3"] != 3 || vals["p2"] != 0 || len(vals) != 3 {
		t.Fatalf("records after restart: %v", vals)
	}
	// Appends continue after the recovered end.
	p2 := b.Client(kgo.DefaultProduceTopic("keep"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	r := &kgo.Record{Key: []byte("k4"), Value: []byte("r4")} // keep is compacted now: keys required
	produceSync(t, p2, r)
	if r.Offset != 4 {
		t.Fatalf("first record after restart at offset %d, want 4", r.Offset)
	}
	// The deleted topic stays deleted, even with auto-create asking for it back by id.
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.TopicID = [16]byte{}
	req.Topics = append(req.Topics, rt)
	resp := c.roundTrip(req, 12).(*kmsg.MetadataResponse)
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); !errors.Is(err, kerr.UnknownTopicID) {
		t.Fatalf("zero topic id: %v", err)
	}
}

// Two restarts in a row, with writes between them, keep everything (recovery of a recovered
// log).
func TestDurableRepeatedRestarts(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Durable(), enginetest.Topics(2, "rr"))
	want := 0
	for round := range 3 {
		p := b.Client(kgo.DefaultProduceTopic("rr"))
		for i := range 10 {
			produceSync(t, p, &kgo.Record{Key: []byte{byte(i)}, Value: []byte{byte(round), byte(i)}})
			want++
		}
		p.Close()
		b.Restart()
	}
	if got := consume(t, b, "rr", want); len(got) != want {
		t.Fatalf("consumed %d, want %d", len(got), want)
	}
}
