package kafka_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func metadata(t *testing.T, c *rawConn, v int16, allowAuto bool, topics ...string) *kmsg.MetadataResponse {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = allowAuto
	req.Topics = []kmsg.MetadataRequestTopic{}
	for _, tp := range topics {
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(tp)
		req.Topics = append(req.Topics, mt)
	}
	return c.roundTrip(req, v).(*kmsg.MetadataResponse)
}

// Metadata (KIP-516 topic ids, KIP-204 allow_auto_topic_creation): the one broker, auto
// creation when the broker and the request both allow it, and the errors Kafka gives.
func TestMetadataAutoCreate(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.DefaultPartitions(3))
	c := dialRaw(t, b.Addr())

	resp := metadata(t, c, 12, true, "auto1")
	if len(resp.Brokers) != 1 || resp.Brokers[0].NodeID != 0 || resp.ControllerID != 0 {
		t.Fatalf("brokers %+v, controller %d", resp.Brokers, resp.ControllerID)
	}
	host, port, _ := net.SplitHostPort(b.Addr())
	if resp.Brokers[0].Host != host || strconv.Itoa(int(resp.Brokers[0].Port)) != port {
		t.Fatalf("advertised %s:%d, listening on %s", resp.Brokers[0].Host, resp.Brokers[0].Port, b.Addr())
	}
	if resp.ClusterID == nil || *resp.ClusterID == "" {
		t.Fatal("no cluster id")
	}
	mt := resp.Topics[0]
	errCode(t, "auto-create", mt.ErrorCode, nil)
	if len(mt.Partitions) != 3 || mt.TopicID == ([16]byte{}) {
		t.Fatalf("auto-created topic: %d partitions (num.partitions=3), id %x", len(mt.Partitions), mt.TopicID)
	}
	for i, p := range mt.Partitions {
		if p.Partition != int32(i) || p.Leader != 0 || len(p.Replicas) != 1 || len(p.ISR) != 1 {
			t.Fatalf("partition %d: %+v", i, p)
		}
	}
	// Asking again returns the same topic, not a new one.
	if again := metadata(t, c, 12, true, "auto1").Topics[0]; again.TopicID != mt.TopicID {
		t.Fatalf("topic id changed from %x to %x", mt.TopicID, again.TopicID)
	}

	// v4+ requests that do not allow auto creation get UNKNOWN_TOPIC_OR_PARTITION.
	errCode(t, "allow=false", metadata(t, c, 12, false, "auto2").Topics[0].ErrorCode, kerr.UnknownTopicOrPartition)
	// v0-3 always allow it.
	errCode(t, "v3", metadata(t, c, 3, false, "auto3").Topics[0].ErrorCode, nil)

	// Names Kafka refuses: INVALID_TOPIC_EXCEPTION, never created.
	for _, name := range []string{"bad name", "bad/name", ".", "..", "", strings.Repeat("x", 250), "ümlaut"} {
		for _, allow := range []bool{true, false} {
			errCode(t, "invalid name "+strconv.Quote(name), metadata(t, c, 12, allow, name).Topics[0].ErrorCode, kerr.InvalidTopicException)
		}
	}

	// By topic id (v10+); an unknown id is UNKNOWN_TOPIC_ID.
	req := kmsg.NewPtrMetadataRequest()
	for _, id := range [][16]byte{mt.TopicID, {1, 2, 3}} {
		rt := kmsg.NewMetadataRequestTopic()
		rt.TopicID = id
		req.Topics = append(req.Topics, rt)
	}
	byID := c.roundTrip(req, 12).(*kmsg.MetadataResponse)
	if byID.Topics[0].Topic == nil || *byID.Topics[0].Topic != "auto1" || byID.Topics[0].ErrorCode != 0 {
		t.Fatalf("by id: %+v", byID.Topics[0])
	}
	errCode(t, "unknown id", byID.Topics[1].ErrorCode, kerr.UnknownTopicID)

	// Null topics (v1+) or an empty list at v0 mean all topics (the internal
	// __cluster_metadata included, as Kafka lists __consumer_offsets); an empty list at v1+ none.
	all := kmsg.NewPtrMetadataRequest()
	all.Topics = nil
	if n := len(c.roundTrip(all, 12).(*kmsg.MetadataResponse).Topics); n != 3 {
		t.Fatalf("all topics: %d, want auto1, auto3 and __cluster_metadata", n)
	}
	if n := len(metadata(t, c, 0, false).Topics); n != 3 {
		t.Fatalf("v0 empty list: %d topics, want all 3", n)
	}
	if n := len(metadata(t, c, 12, false).Topics); n != 0 {
		t.Fatalf("v12 empty list: %d topics, want none", n)
	}
}

// With auto.create.topics.enable=false Metadata never creates a topic.
func TestMetadataAutoCreateOff(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.AutoCreate(false), enginetest.Topics(2, "exists"))
	c := dialRaw(t, b.Addr())
	for _, v := range []int16{1, 3, 4, 9, 12, 13} {
		resp := metadata(t, c, v, true, "missing", "exists")
		errCode(t, "missing", resp.Topics[0].ErrorCode, kerr.UnknownTopicOrPartition)
		errCode(t, "exists", resp.Topics[1].ErrorCode, nil)
		if len(resp.Topics[1].Partitions) != 2 {
			t.Fatalf("v%d: exists has %d partitions", v, len(resp.Topics[1].Partitions))
		}
	}
	topics, err := b.Admin().ListTopics(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if topics.Has("missing") || !topics.Has("exists") || len(topics) != 1 {
		t.Fatalf("topics after lookups: %v", topics.Names())
	}
	// A producer to a missing topic fails instead of creating it.
	cl := b.Client()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr("missing")
	req.Topics = append(req.Topics, rt)
	req.AllowAutoTopicCreation = true
	resp, err := req.RequestWith(testCtx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	errCode(t, "kgo metadata", resp.Topics[0].ErrorCode, kerr.UnknownTopicOrPartition)
}
