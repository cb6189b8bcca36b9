package cluster

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/engine/meta"
)

// Broker config overrides (Kafka's dynamic default broker configs) are the defaults of topic
// configs: a topic's own config wins, then the override, then Kafka's default. They reach the
// partition logs, new topics and a reopened cluster, and not __cluster_metadata.
func TestBrokerConfigOverrides(t *testing.T) {
	m := meta.OpenMemory()
	c, err := Open(Options{Meta: m})
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []CreateSpec{
		{Name: "own", Partitions: 2, ReplicationFactor: -1, Configs: map[string]string{"retention.ms": "5"}},
		{Name: "plain", Partitions: 2, ReplicationFactor: -1},
	} {
		if _, err := c.CreateTopic(spec, false); err != nil {
			t.Fatal(err)
		}
	}
	set := map[string]string{"log.retention.ms": "1000", "log.segment.bytes": "1048576", "message.max.bytes": "5000", "log.cleanup.policy": "compact"}
	if err := c.AlterBrokerConfigs(set, nil, false, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTopic(CreateSpec{Name: "later", Partitions: 1, ReplicationFactor: -1}, false); err != nil {
		t.Fatal(err)
	}
	check := func(c *Cluster, topic string, retention, segment int64, maxMsg int32, src ConfigSource) {
		t.Helper()
		tp := c.Topic(topic)
		for i, p := range tp.Partitions() {
			if cfg := p.Config(); cfg.RetentionMs != retention || cfg.SegmentBytes != segment {
				t.Errorf("%s-%d: retention %d segment %d, want %d %d", topic, i, cfg.RetentionMs, cfg.SegmentBytes, retention, segment)
			}
		}
		if got := tp.MaxMessageBytes(); got != maxMsg {
			t.Errorf("%s: max.message.bytes %d, want %d", topic, got, maxMsg)
		}
		if v, s := tp.ConfigSource("retention.ms"); s != src || v == "" {
			t.Errorf("%s: retention.ms %q from %v, want from %v", topic, v, s, src)
		}
	}
	check(c, "own", 5, 1048576, 5000, SourceTopic)
	check(c, "plain", 1000, 1048576, 5000, SourceBrokerDefault)
	check(c, "later", 1000, 1048576, 5000, SourceBrokerDefault)
	if v, set := c.Topic("plain").Config("retention.ms"); v != "1000" || set {
		t.Errorf("plain: Config(retention.ms) = %q, set %t", v, set)
	}
	if !c.Topic("plain").Partition(0).Compacted() {
		t.Error("plain: log.cleanup.policy=compact did not reach the partition log")
	}
	// __cluster_metadata keeps every record: no retention, no compaction.
	if mp := c.Topic(MetadataTopic).Partition(0); mp.Config().RetentionMs != -1 || mp.Compacted() {
		t.Errorf("%s took the broker overrides: %+v", MetadataTopic, mp.Config())
	}

	// Refused changes name what is wrong and store nothing.
	last := m.LastIndex()
	for _, bad := range []struct {
		set  map[string]string
		del  []string
		want string
	}{
		{map[string]string{"log.retention.ms": "soon"}, nil, "log.retention.ms"},
		{map[string]string{"log.retention.ms": "1", "no.such": "1"}, nil, "no.such"},
		{map[string]string{"broker.id": "3"}, nil, "broker.id"},
		{nil, []string{"log.dirs"}, "log.dirs"},
		{map[string]string{"log.segment.bytes": "3"}, nil, "log.segment.bytes"},
		{map[string]string{"log.roll.ms": "1"}, []string{"log.roll.ms"}, "log.roll.ms"},
	} {
		err := c.AlterBrokerConfigs(bad.set, bad.del, false, false)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("AlterBrokerConfigs(%v, %v) = %v, want ErrInvalidConfig naming %s", bad.set, bad.del, err, bad.want)
		}
	}
	if err := c.AlterBrokerConfigs(map[string]string{"log.retention.ms": "7"}, nil, false, true); err != nil {
		t.Fatalf("validate only: %v", err)
	}
	if m.LastIndex() != last || m.BrokerConfigs()["log.retention.ms"] != "1000" {
		t.Fatalf("refused or validate-only changes were recorded: index %d, was %d; %v", m.LastIndex(), last, m.BrokerConfigs())
	}

	// A reopened cluster loads them from the metadata log.
	c.Close()
	c, err = Open(Options{Meta: m})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	check(c, "plain", 1000, 1048576, 5000, SourceBrokerDefault)
	check(c, "own", 5, 1048576, 5000, SourceTopic)

	// Replace (the legacy AlterConfigs) keeps only what it is given.
	if err := c.AlterBrokerConfigs(map[string]string{"message.max.bytes": "6000"}, nil, true, false); err != nil {
		t.Fatal(err)
	}
	if got := c.BrokerConfigs(); len(got) != 1 || got["message.max.bytes"] != "6000" {
		t.Fatalf("after replace: %v", got)
	}
	check(c, "plain", 604800000, 1073741824, 6000, SourceDefault)
	// Deleting the last override puts Kafka's defaults back.
	if err := c.AlterBrokerConfigs(nil, []string{"message.max.bytes"}, false, false); err != nil {
		t.Fatal(err)
	}
	check(c, "plain", 604800000, 1073741824, 1048588, SourceDefault)
	if got := c.BrokerConfigs(); got != nil {
		t.Fatalf("after delete: %v", got)
	}
}
