package tui

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/tui/cluster"
)

// seedT0 is the timestamp of the first seeded record; the harness clock (fixedNow) is five
// minutes later. Both are in the future so that retention never deletes the seeded records.
var seedT0 = time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)

const clickSchema = `{"type":"record","name":"Click","namespace":"shop","fields":[` +
	`{"name":"user","type":"string"},{"name":"page","type":"string"},{"name":"ms","type":"long"}]}`

const paymentSchema = `{"type":"object","properties":{"id":{"type":"integer"},"amount":{"type":"number"}},"required":["id"]}`

// seedBroker starts a broker holding what the golden screens show:
//
//   - orders: 3 partitions, 10 JSON records each, keyed user-<n>;
//   - payments: 1 partition, retention.ms=3600000, 5 JSON records with a header;
//   - clicks: auto-created by producing to it, 4 Avro records in the Confluent wire format;
//   - registry subjects clicks-value (Avro) and payments-value (JSON Schema);
//   - group billing: committed orders 10/6/8 of 10/10/10 (lag 6); group audit: payments
//     committed at its end (lag 0).
//
// Every record has a fixed timestamp (seedT0 plus its index in seconds) and is produced
// alone in its batch without compression, so sizes are the same on every run.
func seedBroker(t *testing.T) *enginetest.Broker {
	t.Helper()
	b := enginetest.New(t,
		enginetest.Topics(3, "orders"),
		enginetest.TopicWithConfigs("payments", 1, map[string]string{"retention.ms": "3600000"}),
		enginetest.RetentionCheckInterval(time.Hour),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	rcl, err := sr.NewClient(sr.URLs(b.SchemaRegistryURL()))
	if err != nil {
		t.Fatal(err)
	}
	clickSS, err := rcl.CreateSchema(ctx, "clicks-value", sr.Schema{Schema: clickSchema, Type: sr.TypeAvro})
	if err != nil {
		t.Fatalf("registering clicks-value: %v", err)
	}
	if _, err := rcl.CreateSchema(ctx, "payments-value", sr.Schema{Schema: paymentSchema, Type: sr.TypeJSON}); err != nil {
		t.Fatalf("registering payments-value: %v", err)
	}

	cl := b.Client(
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.AllowAutoTopicCreation(),
	)
	n := 0
	produce := func(r *kgo.Record) {
		t.Helper()
		r.Timestamp = seedT0.Add(time.Duration(n) * time.Second)
		n++
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("producing to %s: %v", r.Topic, err)
		}
	}
	for i := 0; i < 30; i++ {
		p := int32(i % 3)
		produce(&kgo.Record{Topic: "orders", Partition: p, Key: fmt.Appendf(nil, "user-%d", i%7),
			Value: fmt.Appendf(nil, `{"order":%d,"user":"user-%d","amount":%d.50,"status":"paid"}`, i, i%7, 10+i)})
	}
	for i := 0; i < 5; i++ {
		produce(&kgo.Record{Topic: "payments", Key: fmt.Appendf(nil, "p%d", i),
			Value:   fmt.Appendf(nil, `{"id":%d,"amount":%d.25,"currency":"EUR"}`, i, 100*(i+1)),
			Headers: []kgo.RecordHeader{{Key: "source", Value: []byte("web")}}})
	}
	sch := avro.MustParse(clickSchema)
	type click struct {
		User string `avro:"user"`
		Page string `avro:"page"`
		Ms   int64  `avro:"ms"`
	}
	for i := 0; i < 4; i++ {
		payload, err := avro.Marshal(sch, click{User: fmt.Sprintf("user-%d", i), Page: fmt.Sprintf("/item/%d", 40+i), Ms: int64(120 + i)})
		if err != nil {
			t.Fatal(err)
		}
		wire := binary.BigEndian.AppendUint32([]byte{0}, uint32(clickSS.ID))
		produce(&kgo.Record{Topic: "clicks", Key: fmt.Appendf(nil, "c%d", i), Value: append(wire, payload...)})
	}

	adm := kadm.NewClient(cl)
	commit := func(group string, offs map[string]map[int32]int64) {
		t.Helper()
		var o kadm.Offsets
		for topic, ps := range offs {
			for p, at := range ps {
				o.Add(kadm.Offset{Topic: topic, Partition: p, At: at, LeaderEpoch: -1})
			}
		}
		resp, err := adm.CommitOffsets(ctx, group, o)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			t.Fatalf("committing offsets of %s: %v", group, err)
		}
	}
	commit("billing", map[string]map[int32]int64{"orders": {0: 10, 1: 6, 2: 8}})
	commit("audit", map[string]map[int32]int64{"payments": {0: 5}})
	return b
}

// clusterSource is a Source over the real tui/cluster client of b.
func clusterSource(t *testing.T, b *enginetest.Broker, sqlServer string) Source {
	t.Helper()
	cl, err := cluster.New(cluster.Config{Brokers: []string{b.Addr()}, Registry: b.SchemaRegistryURL(), SQLServer: sqlServer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return FromClient(cl)
}
