package kafka_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// brokerConfigOf returns the named config of broker resource "" (the cluster-wide default,
// as kadm's DescribeBrokerConfigs with no broker asks) or "0", and whether it was described.
func brokerConfigOf(t *testing.T, adm *kadm.Client, name string, brokers ...int32) (kadm.Config, bool) {
	t.Helper()
	rcs, err := adm.DescribeBrokerConfigs(testCtx(t), brokers...)
	if err != nil || len(rcs) != 1 || rcs[0].Err != nil {
		t.Fatalf("describe broker %v: %v %+v", brokers, err, rcs)
	}
	for _, c := range rcs[0].Configs {
		if c.Key == name {
			return c, true
		}
	}
	return kadm.Config{}, false
}

// Dynamic default broker configs (KIP-226): kadm.AlterBrokerConfigs sets log.retention.ms and
// message.max.bytes for the cluster; topics without their own value describe and enforce the
// override (DYNAMIC_DEFAULT_BROKER_CONFIG, with the broker synonym), a topic with its own keeps
// it, and the overrides survive a restart. Bad names and values are INVALID_CONFIG and store
// nothing.
func TestBrokerConfigOverrides(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Durable(),
		enginetest.TopicWithConfigs("own", 1, map[string]string{"retention.ms": "12345"}),
		enginetest.Topics(1, "plain"))
	adm := b.Admin()
	ctx := testCtx(t)
	alter := func(want *kerr.Error, ops ...kadm.AlterConfig) {
		t.Helper()
		r, err := adm.AlterBrokerConfigs(ctx, ops)
		if err != nil || len(r) != 1 {
			t.Fatalf("alter broker configs %+v: %v %v", ops, err, r)
		}
		if !errors.Is(r[0].Err, want) && !(want == nil && r[0].Err == nil) {
			t.Fatalf("alter broker configs %+v: %v (%s), want %v", ops, r[0].Err, r[0].ErrMessage, want)
		}
	}
	set := func(name, value string) kadm.AlterConfig {
		return kadm.AlterConfig{Op: kadm.SetConfig, Name: name, Value: kmsg.StringPtr(value)}
	}
	alter(nil, set("log.retention.ms", "3600000"), set("message.max.bytes", "5000"))

	checkTopics := func(adm *kadm.Client) {
		t.Helper()
		c := configOf(t, adm, "plain", "retention.ms")
		if c.MaybeValue() != "3600000" || c.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
			t.Fatalf("plain retention.ms: %q from %v, want 3600000 DYNAMIC_DEFAULT_BROKER_CONFIG", c.MaybeValue(), c.Source)
		}
		if len(c.Synonyms) == 0 || c.Synonyms[0].Key != "log.retention.ms" || c.Synonyms[0].Value == nil || *c.Synonyms[0].Value != "3600000" ||
			c.Synonyms[0].Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
			t.Fatalf("plain retention.ms synonyms: %+v", c.Synonyms)
		}
		c = configOf(t, adm, "own", "retention.ms")
		if c.MaybeValue() != "12345" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
			t.Fatalf("own retention.ms: %q from %v, want 12345 DYNAMIC_TOPIC_CONFIG", c.MaybeValue(), c.Source)
		}
		if len(c.Synonyms) < 2 || c.Synonyms[1].Key != "log.retention.ms" {
			t.Fatalf("own retention.ms synonyms: %+v", c.Synonyms)
		}
		if c := configOf(t, adm, "own", "max.message.bytes"); c.MaybeValue() != "5000" || c.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
			t.Fatalf("own max.message.bytes: %q from %v", c.MaybeValue(), c.Source)
		}
		for _, brokers := range [][]int32{nil, {0}} {
			c, ok := brokerConfigOf(t, adm, "log.retention.ms", brokers...)
			if !ok || c.MaybeValue() != "3600000" || c.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
				t.Fatalf("broker %v log.retention.ms: %q from %v (%t)", brokers, c.MaybeValue(), c.Source, ok)
			}
		}
		if _, ok := brokerConfigOf(t, adm, "log.segment.bytes"); ok {
			t.Fatal(`broker "" describes log.segment.bytes, which is not overridden`)
		}
		if c, ok := brokerConfigOf(t, adm, "log.segment.bytes", 0); !ok || c.MaybeValue() != "1073741824" || c.Source != kmsg.ConfigSourceDefaultConfig {
			t.Fatalf(`broker 0 log.segment.bytes: %q from %v (%t)`, c.MaybeValue(), c.Source, ok)
		}
	}
	checkTopics(adm)
	// The override is enforced: a batch above 5000 bytes is MESSAGE_TOO_LARGE on both topics.
	p := b.Client(kgo.ProducerBatchMaxBytes(100_000), kgo.ProducerBatchCompression(kgo.NoCompression()))
	for _, topic := range []string{"plain", "own"} {
		err := p.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: make([]byte, 6000)}).FirstErr()
		if !errors.Is(err, kerr.MessageTooLarge) {
			t.Fatalf("produce 6000 bytes to %s under message.max.bytes=5000: %v", topic, err)
		}
	}

	// Refused: unknown and read-only names, bad values, another broker; nothing changes.
	alter(kerr.InvalidConfig, set("log.retention.ms", "soon"))
	alter(kerr.InvalidConfig, set("log.segment.bytes", "2048"), set("no.such.config", "1"))
	alter(kerr.InvalidConfig, set("broker.id", "7"))
	alter(kerr.InvalidConfig, kadm.AlterConfig{Op: kadm.AppendConfig, Name: "log.retention.ms", Value: kmsg.StringPtr("1")})
	r, err := adm.AlterBrokerConfigsState(ctx, []kadm.AlterConfig{set("log.dirs", "/tmp")})
	if err != nil || !errors.Is(r[0].Err, kerr.InvalidConfig) || !strings.Contains(r[0].ErrMessage, "log.dirs") {
		t.Fatalf("legacy alter of log.dirs: %v %+v", err, r)
	}
	raw := dialRaw(t, b.Addr())
	req := kmsg.NewIncrementalAlterConfigsRequest()
	rr := kmsg.NewIncrementalAlterConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeBroker, "7"
	rr.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "log.retention.ms", Value: kmsg.StringPtr("1")}}
	req.Resources = append(req.Resources, rr)
	var resp kmsg.IncrementalAlterConfigsResponse
	resp.Version = req.Version
	raw.read(raw.send(&req), &resp)
	errCode(t, "alter broker 7", resp.Resources[0].ErrorCode, kerr.InvalidRequest)
	checkTopics(adm)
	if c, _ := brokerConfigOf(t, adm, "log.segment.bytes", 0); c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("a refused alter stored log.segment.bytes: %q from %v", c.MaybeValue(), c.Source)
	}

	b.Restart()
	fresh := b.Admin()
	checkTopics(fresh)

	// DELETE puts the default back; APPEND works on the list config log.cleanup.policy.
	adm = fresh
	alter(nil, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: "log.retention.ms"},
		kadm.AlterConfig{Op: kadm.AppendConfig, Name: "log.cleanup.policy", Value: kmsg.StringPtr("compact")})
	if c := configOf(t, fresh, "plain", "retention.ms"); c.MaybeValue() != "604800000" || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("plain retention.ms after DELETE: %q from %v", c.MaybeValue(), c.Source)
	}
	if c := configOf(t, fresh, "plain", "cleanup.policy"); c.MaybeValue() != "delete,compact" || c.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
		t.Fatalf("plain cleanup.policy after APPEND: %q from %v", c.MaybeValue(), c.Source)
	}
	// The legacy AlterConfigs replaces the set: only log.roll.ms is left.
	if r, err := fresh.AlterBrokerConfigsState(ctx, []kadm.AlterConfig{set("log.roll.ms", "60000")}); err != nil || r[0].Err != nil {
		t.Fatalf("legacy alter: %v %+v", err, r)
	}
	rcs, err := fresh.DescribeBrokerConfigs(ctx)
	if err != nil || len(rcs) != 1 || len(rcs[0].Configs) != 1 || rcs[0].Configs[0].Key != "log.roll.ms" {
		t.Fatalf(`broker "" after replacing: %v %+v`, err, rcs)
	}
	if c := configOf(t, fresh, "plain", "segment.ms"); c.MaybeValue() != "60000" {
		t.Fatalf("plain segment.ms: %q", c.MaybeValue())
	}
}
