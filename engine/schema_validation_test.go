package engine_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/streamlite/streamlite/engine/enginetest"
)

const orderAvro = `{"type":"record","name":"Order","namespace":"shop","fields":[
	{"name":"id","type":"long"},
	{"name":"sku","type":"string"},
	{"name":"qty","type":"int"},
	{"name":"note","type":["null","string"],"default":null}]}`

type order struct {
	ID   int64   `avro:"id"`
	SKU  string  `avro:"sku"`
	Qty  int32   `avro:"qty"`
	Note *string `avro:"note"`
}

// registerSchema registers text under subject and returns its id.
func registerSchema(t *testing.T, cl *sr.Client, subject string, s sr.Schema) int {
	t.Helper()
	got, err := cl.CreateSchema(context.Background(), subject, s)
	if err != nil {
		t.Fatalf("registering %s: %v", subject, err)
	}
	return got.ID
}

// framed prefixes payload with Confluent's wire header for id (and message
// indexes, for Protobuf).
func framed(t *testing.T, id int, index []int, payload []byte) []byte {
	t.Helper()
	var h sr.ConfluentHeader
	b, err := h.AppendEncode(nil, id, index)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, payload...)
}

func avroOrder(t *testing.T, o order) []byte {
	t.Helper()
	b, err := avro.Marshal(avro.MustParse(orderAvro), o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// produceOne produces r and returns its error.
func produceOne(t *testing.T, cl *kgo.Client, r *kgo.Record) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, r).FirstErr()
}

// rawProduce sends one Produce v9 request with a batch of values to
// partition 0 of topic and returns the partition's answer.
func rawProduce(t *testing.T, cl *kgo.Client, topic string, values ...[]byte) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	var recs []byte
	for i, v := range values {
		r := kmsg.Record{OffsetDelta: int32(i), Value: v}
		r.Length = int32(len(r.AppendTo(nil)) - 1) // the body, without the 1-byte zero length
		recs = r.AppendTo(recs)
	}
	now := time.Now().UnixMilli()
	batch := kmsg.RecordBatch{
		Magic: 2, LastOffsetDelta: int32(len(values) - 1), ProducerID: -1, ProducerEpoch: -1,
		FirstSequence: -1, NumRecords: int32(len(values)), FirstTimestamp: now, MaxTimestamp: now,
		Records: recs,
	}
	raw := batch.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[8:], uint32(len(raw)-12))
	binary.BigEndian.PutUint32(raw[17:], crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)))
	req := kmsg.NewPtrProduceRequest()
	req.Version = 9
	req.Acks = -1
	req.TimeoutMillis = 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = raw
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Topics[0].Partitions[0]
}

// endOffset returns the high watermark of partition 0 of topic.
func endOffset(t *testing.T, b *enginetest.Broker, topic string) int64 {
	t.Helper()
	ends, err := b.Admin().ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := ends.Lookup(topic, 0)
	return o.Offset
}

// With confluent.value.schema.validation on, a value must carry the id of a
// schema registered under "<topic>-value": an unknown id, another subject's
// id and a value without the header are refused with INVALID_RECORD, and
// a refused batch leaves nothing in the log. Keys and tombstones pass
// (issue 7, must-show 3).
func TestProduceSchemaIDValidation(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.TopicWithConfigs("orders", 1, map[string]string{
		"confluent.value.schema.validation": "true",
	}))
	src, err := sr.NewClient(sr.URLs(b.SchemaRegistryURL()))
	if err != nil {
		t.Fatal(err)
	}
	orders := registerSchema(t, src, "orders-value", sr.Schema{Schema: orderAvro})
	payments := registerSchema(t, src, "payments-value", sr.Schema{Schema: `{"type":"record","name":"Payment","fields":[{"name":"cents","type":"long"}]}`})
	cl := b.Client(kgo.DefaultProduceTopic("orders"), kgo.RecordRetries(0))
	defer cl.Close()

	good := framed(t, orders, nil, avroOrder(t, order{ID: 1, SKU: "a-1", Qty: 2}))
	if err := produceOne(t, cl, &kgo.Record{Key: []byte("not checked"), Value: good}); err != nil {
		t.Fatalf("valid record: %v", err)
	}
	if err := produceOne(t, cl, &kgo.Record{Key: []byte("k")}); err != nil {
		t.Fatalf("tombstone: %v", err)
	}
	for name, v := range map[string][]byte{
		"unknown id":    framed(t, 999, nil, avroOrder(t, order{ID: 2})),
		"wrong subject": framed(t, payments, nil, []byte{2}),
		"no header":     []byte(`{"id":3}`),
		"short":         {0, 0, 1},
	} {
		if err := produceOne(t, cl, &kgo.Record{Value: v}); !errors.Is(err, kerr.InvalidRecord) {
			t.Errorf("%s: produce error %v, want INVALID_RECORD", name, err)
		}
	}
	before := endOffset(t, b, "orders")

	// The raw answer names each failing record and says why.
	p := rawProduce(t, cl, "orders", good, framed(t, 999, nil, nil), good, framed(t, payments, nil, []byte{2}))
	if p.ErrorCode != kerr.InvalidRecord.Code {
		t.Fatalf("mixed batch: error code %d, want INVALID_RECORD", p.ErrorCode)
	}
	if p.ErrorMessage == nil || !strings.Contains(*p.ErrorMessage, "2 of 4 records failed") {
		t.Errorf("error message %v", p.ErrorMessage)
	}
	if len(p.ErrorRecords) != 2 || p.ErrorRecords[0].RelativeOffset != 1 || p.ErrorRecords[1].RelativeOffset != 3 {
		t.Fatalf("record errors %+v, want records 1 and 3", p.ErrorRecords)
	}
	for i, want := range []string{"schema id 999 is not registered", `not registered under subject "orders-value" (TopicNameStrategy); it is registered under "payments-value"`} {
		if msg := p.ErrorRecords[i].ErrorMessage; msg == nil || !strings.Contains(*msg, want) {
			t.Errorf("record error %d: %v, want it to contain %q", i, msg, want)
		}
	}
	if after := endOffset(t, b, "orders"); after != before {
		t.Errorf("a refused batch moved the end offset from %d to %d", before, after)
	}
	if p := rawProduce(t, cl, "orders", good, good); p.ErrorCode != 0 {
		t.Errorf("valid batch: error %d %v", p.ErrorCode, p.ErrorMessage)
	}

	// A soft-deleted version's id no longer passes.
	if err := src.DeleteSchema(context.Background(), "payments-value", 1, sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	if err := src.DeleteSchema(context.Background(), "orders-value", 1, sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	p = rawProduce(t, cl, "orders", good)
	if p.ErrorCode != kerr.InvalidRecord.Code || !strings.Contains(*p.ErrorRecords[0].ErrorMessage, "soft-deleted") {
		t.Errorf("id of a soft-deleted version: %d %+v", p.ErrorCode, p.ErrorRecords)
	}
}

// Key checks, the record strategies and Redpanda's config names.
func TestProduceSchemaStrategies(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t,
		enginetest.TopicWithConfigs("keyed", 1, map[string]string{
			"redpanda.key.schema.id.validation":  "true",
			"redpanda.key.subject.name.strategy": "RecordNameStrategy",
		}),
		enginetest.TopicWithConfigs("mixed", 1, map[string]string{
			"confluent.value.schema.validation":     "true",
			"confluent.value.subject.name.strategy": "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
		}))
	src, err := sr.NewClient(sr.URLs(b.SchemaRegistryURL()))
	if err != nil {
		t.Fatal(err)
	}
	byName := registerSchema(t, src, "shop.Order", sr.Schema{Schema: orderAvro})
	byTopic := registerSchema(t, src, "mixed-shop.Order", sr.Schema{Schema: orderAvro})
	if byName != byTopic {
		t.Fatalf("one schema under two subjects got ids %d and %d", byName, byTopic)
	}
	other := registerSchema(t, src, "others", sr.Schema{Schema: `{"type":"record","name":"Other","namespace":"shop","fields":[]}`})
	prim := registerSchema(t, src, "prim", sr.Schema{Schema: `"string"`})
	cl := b.Client(kgo.RecordRetries(0))
	defer cl.Close()
	payload := framed(t, byName, nil, avroOrder(t, order{ID: 1}))

	if err := produceOne(t, cl, &kgo.Record{Topic: "keyed", Key: payload, Value: []byte("free")}); err != nil {
		t.Errorf("key with a RecordNameStrategy id: %v", err)
	}
	if err := produceOne(t, cl, &kgo.Record{Topic: "keyed", Value: []byte("no key")}); err != nil {
		t.Errorf("null key: %v", err)
	}
	for name, key := range map[string][]byte{
		"other record": framed(t, other, nil, nil),
		"primitive":    framed(t, prim, nil, nil),
		"plain":        []byte("k"),
	} {
		if err := produceOne(t, cl, &kgo.Record{Topic: "keyed", Key: key}); !errors.Is(err, kerr.InvalidRecord) {
			t.Errorf("key %s: %v, want INVALID_RECORD", name, err)
		}
	}
	if err := produceOne(t, cl, &kgo.Record{Topic: "mixed", Value: payload}); err != nil {
		t.Errorf("TopicRecordNameStrategy: %v", err)
	}
	if err := produceOne(t, cl, &kgo.Record{Topic: "mixed", Value: framed(t, other, nil, nil)}); !errors.Is(err, kerr.InvalidRecord) {
		t.Errorf("TopicRecordNameStrategy, unregistered: %v", err)
	}

	// A strategy that is not one is refused when set.
	resp, err := b.Admin().AlterTopicConfigs(context.Background(), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "confluent.value.subject.name.strategy", Value: kadm.StringPtr("Bogus")}}, "mixed")
	if err == nil {
		err = resp[0].Err
	}
	if !errors.Is(err, kerr.InvalidConfig) {
		t.Errorf("bogus strategy: %v, want INVALID_CONFIG", err)
	}
}

// Decode mode also decodes the payload against the schema, for each format.
func TestProduceSchemaDecode(t *testing.T) {
	t.Parallel()
	cfg := map[string]string{
		"confluent.value.schema.validation": "true",
		"streamlite.schema.validation.mode": "decode",
	}
	b := enginetest.New(t,
		enginetest.TopicWithConfigs("avro", 1, cfg),
		enginetest.TopicWithConfigs("proto", 1, cfg),
		enginetest.TopicWithConfigs("json", 1, cfg))
	src, err := sr.NewClient(sr.URLs(b.SchemaRegistryURL()))
	if err != nil {
		t.Fatal(err)
	}
	avroID := registerSchema(t, src, "avro-value", sr.Schema{Schema: orderAvro})
	protoID := registerSchema(t, src, "proto-value", sr.Schema{Type: sr.TypeProtobuf, Schema: `syntax = "proto3";
package shop;
message Header { string trace = 1; }
message Order { int64 id = 1; string sku = 2; repeated int32 qty = 3; }`})
	jsonID := registerSchema(t, src, "json-value", sr.Schema{Type: sr.TypeJSON, Schema: `{"type":"object","properties":{"id":{"type":"integer"},"sku":{"type":"string"}},"required":["id"],"additionalProperties":false}`})
	cl := b.Client(kgo.RecordRetries(0))
	defer cl.Close()

	var pb []byte
	pb = protowire.AppendTag(pb, 1, protowire.VarintType)
	pb = protowire.AppendVarint(pb, 7)
	pb = protowire.AppendTag(pb, 2, protowire.BytesType)
	pb = protowire.AppendString(pb, "a-1")
	valid := map[string][]byte{
		"avro":  framed(t, avroID, nil, avroOrder(t, order{ID: 1, SKU: "a-1", Qty: 3})),
		"proto": framed(t, protoID, []int{1}, pb),
		"json":  framed(t, jsonID, nil, []byte(`{"id":1,"sku":"a-1"}`)),
	}
	for topic, v := range valid {
		if err := produceOne(t, cl, &kgo.Record{Topic: topic, Value: v}); err != nil {
			t.Errorf("%s: valid payload: %v", topic, err)
		}
	}
	invalid := []struct {
		topic string
		value []byte
		why   string
	}{
		{"avro", framed(t, avroID, nil, avroOrder(t, order{ID: 1})[:2]), "payload does not match schema id"},
		{"avro", framed(t, avroID, nil, append(avroOrder(t, order{ID: 1}), 0)), "left after"},
		{"proto", framed(t, protoID, []int{1}, protowire.AppendTag(nil, 9, protowire.VarintType)), "payload does not match"},
		{"proto", framed(t, protoID, []int{5}, pb), "index"},
		{"json", framed(t, jsonID, nil, []byte(`{"sku":"a-1"}`)), "payload does not match"},
		{"json", framed(t, jsonID, nil, []byte(`not json`)), "payload does not match"},
	}
	for i, c := range invalid {
		p := rawProduce(t, cl, c.topic, c.value)
		if p.ErrorCode != kerr.InvalidRecord.Code || len(p.ErrorRecords) != 1 || !strings.Contains(*p.ErrorRecords[0].ErrorMessage, c.why) {
			msg := ""
			if len(p.ErrorRecords) == 1 {
				msg = *p.ErrorRecords[0].ErrorMessage
			}
			t.Errorf("case %d (%s): code %d, record error %q, want INVALID_RECORD containing %q", i, c.topic, p.ErrorCode, msg, c.why)
		}
	}
	// In id mode the same broken payloads pass: only the id is checked.
	if _, err := b.Admin().AlterTopicConfigs(context.Background(), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "streamlite.schema.validation.mode", Value: kadm.StringPtr("id")}}, "avro"); err != nil {
		t.Fatal(err)
	}
	if p := rawProduce(t, cl, "avro", invalid[0].value); p.ErrorCode != 0 {
		t.Errorf("id mode refused a payload it should not decode: %v", p.ErrorMessage)
	}
}

// With a dead-letter topic, failing records move there and the batch
// succeeds: the kept records keep their offsets, the moved ones leave
// gaps, and an idempotent producer's next batch is still in sequence.
func TestProduceSchemaDeadLetter(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.TopicWithConfigs("events", 1, map[string]string{
		"confluent.value.schema.validation":              "true",
		"streamlite.schema.validation.dead.letter.topic": "events.dlq",
	}))
	src, err := sr.NewClient(sr.URLs(b.SchemaRegistryURL()))
	if err != nil {
		t.Fatal(err)
	}
	id := registerSchema(t, src, "events-value", sr.Schema{Schema: orderAvro})
	cl := b.Client(kgo.DefaultProduceTopic("events"), kgo.ProducerLinger(50*time.Millisecond))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	good := framed(t, id, nil, avroOrder(t, order{ID: 1}))
	rs := []*kgo.Record{
		{Value: good},
		{Value: []byte("plain"), Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("t-1")}}},
		{Value: good},
		{Value: framed(t, 4242, nil, nil)},
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatalf("produce with a dead-letter topic: %v", err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: good}).FirstErr(); err != nil {
		t.Fatalf("next batch: %v", err)
	}

	read := func(topic string, n int) []*kgo.Record {
		t.Helper()
		c := b.Client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		defer c.Close()
		var out []*kgo.Record
		for len(out) < n {
			fs := c.PollFetches(ctx)
			if err := ctx.Err(); err != nil {
				t.Fatalf("reading %s: got %d of %d records", topic, len(out), n)
			}
			out = append(out, fs.Records()...)
		}
		return out
	}
	var offsets []int64
	for _, r := range read("events", 3) {
		offsets = append(offsets, r.Offset)
	}
	want := []int64{rs[0].Offset, rs[2].Offset, rs[2].Offset + 2}
	if len(offsets) != 3 || offsets[0] != want[0] || offsets[1] != want[1] || offsets[2] != want[2] {
		t.Fatalf("events offsets %v, want %v (gaps where records were moved)", offsets, want)
	}
	dead := read("events.dlq", 2)
	headers := func(r *kgo.Record) map[string]string {
		m := map[string]string{}
		for _, h := range r.Headers {
			m[h.Key] = string(h.Value)
		}
		return m
	}
	h0, h1 := headers(dead[0]), headers(dead[1])
	if string(dead[0].Value) != "plain" || h0["trace"] != "t-1" || h0["streamlite.dlq.topic"] != "events" ||
		h0["streamlite.dlq.partition"] != "0" || h0["streamlite.dlq.offset"] != "1" || !strings.Contains(h0["streamlite.dlq.error"], "no schema id") {
		t.Errorf("first dead letter: %q %v", dead[0].Value, h0)
	}
	if h1["streamlite.dlq.offset"] != "3" || !strings.Contains(h1["streamlite.dlq.error"], "schema id 4242 is not registered") {
		t.Errorf("second dead letter: %v", h1)
	}
	if !dead[0].Timestamp.Equal(rs[1].Timestamp.Truncate(time.Millisecond)) {
		t.Errorf("dead letter timestamp %v, want the record's %v", dead[0].Timestamp, rs[1].Timestamp)
	}
}

// kcat (librdkafka) producing to a topic that checks values: a record
// without a schema id fails delivery with an error that says it was
// refused as an invalid record; a framed record with a registered id is
// delivered.
func TestKcatProduceSchemaChecked(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed (.ci/run installs it: apt-get install kcat)")
	}
	t.Parallel()
	b := enginetest.New(t, enginetest.TopicWithConfigs("checked", 1, map[string]string{
		"confluent.value.schema.validation": "true",
	}))
	src, err := sr.NewClient(sr.URLs(b.SchemaRegistryURL()))
	if err != nil {
		t.Fatal(err)
	}
	id := registerSchema(t, src, "checked-value", sr.Schema{Schema: `"string"`})
	run := func(stdin []byte, args ...string) (string, error) {
		cmd := exec.Command(kcat, append([]string{"-b", b.Addr(), "-t", "checked", "-P"}, args...)...)
		cmd.Stdin = bytes.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run([]byte("not framed\n"))
	if err == nil || !strings.Contains(out, "failed to validate record") {
		t.Fatalf("kcat producing an unframed value: err %v, output %q; want a delivery failure naming the invalid record", err, out)
	}
	t.Logf("kcat says: %s", strings.TrimSpace(out))
	// A framed value holding the Avro string "ok", one message per file.
	f := filepath.Join(t.TempDir(), "framed")
	if err := os.WriteFile(f, framed(t, id, nil, []byte{4, 'o', 'k'}), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(nil, f); err != nil {
		t.Fatalf("kcat producing a framed value: %v\n%s", err, out)
	}
	if got := endOffset(t, b, "checked"); got != 1 {
		t.Fatalf("end offset %d after one accepted record", got)
	}
}
