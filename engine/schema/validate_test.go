package schema

import (
	"strings"
	"testing"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protowire"
)

const validateAvro = `{"type":"record","name":"Order","namespace":"shop","fields":[
	{"name":"id","type":"long"},
	{"name":"sku","type":"string"},
	{"name":"qty","type":"int"},
	{"name":"price","type":"double"},
	{"name":"currency","type":{"type":"enum","name":"Currency","symbols":["EUR","USD"]}},
	{"name":"note","type":["null","string"],"default":null},
	{"name":"tags","type":{"type":"array","items":"string"}}]}`

type validateOrder struct {
	ID       int64    `avro:"id"`
	SKU      string   `avro:"sku"`
	Qty      int32    `avro:"qty"`
	Price    float64  `avro:"price"`
	Currency string   `avro:"currency"`
	Note     *string  `avro:"note"`
	Tags     []string `avro:"tags"`
}

const validateProto = `syntax = "proto3";
package shop;
message Order {
  int64 id = 1;
  string sku = 2;
  message Line { string sku = 1; int32 qty = 2; }
  repeated Line lines = 3;
}
message Refund { int64 order = 1; }`

func frame(id int32, index []int, payload []byte) []byte {
	var h sr.ConfluentHeader
	b, _ := h.AppendEncode(nil, int(id), index)
	return append(b, payload...)
}

func avroPayload(tb testing.TB) []byte {
	tb.Helper()
	note := "ring twice"
	b, err := avro.Marshal(avro.MustParse(validateAvro), validateOrder{
		ID: 42, SKU: "sku-123456", Qty: 3, Price: 9.5, Currency: "USD", Note: &note, Tags: []string{"a", "bb", "ccc"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// validateFixture registers the schemas the validator tests use.
type validateFixture struct {
	*fixture
	v                         *Validator
	avroID, protoID, jsonID   int32
	recordID, prim, elsewhere int32
}

func newValidateFixture(tb testing.TB) *validateFixture {
	f := &validateFixture{fixture: newFixture(tb)}
	f.v = NewValidator(f.Registry)
	f.avroID, _ = f.register("t-value", validateAvro)
	f.protoID, _ = f.registerInput("p-value", SchemaInput{Schema: validateProto, Type: "PROTOBUF"})
	f.jsonID, _ = f.registerInput("j-value", SchemaInput{Type: "JSON", Schema: `{"title":"shop.Event","type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`})
	f.recordID, _ = f.register("shop.Order", validateAvro)
	f.register("t-shop.Order", validateAvro)
	f.registerInput("shop.Order.Line", SchemaInput{Schema: validateProto, Type: "PROTOBUF"})
	f.registerInput("shop.Event", SchemaInput{Type: "JSON", Schema: `{"title":"shop.Event","type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`})
	f.prim, _ = f.register("prim", `"string"`)
	f.elsewhere, _ = f.register("elsewhere", `{"type":"record","name":"Else","fields":[]}`)
	return f
}

// The id check and decode mode, record by record, with each strategy.
func TestRecordCheck(t *testing.T) {
	f := newValidateFixture(t)
	var line []byte
	line = protowire.AppendTag(line, 1, protowire.BytesType)
	line = protowire.AppendString(line, "s-1")
	var pb []byte
	pb = protowire.AppendTag(pb, 1, protowire.VarintType)
	pb = protowire.AppendVarint(pb, 9)
	pb = protowire.AppendTag(pb, 3, protowire.BytesType)
	pb = protowire.AppendBytes(pb, line)

	topicValue := ProduceRules{Value: true}
	decode := ProduceRules{Value: true, Decode: true}
	cases := []struct {
		name  string
		topic string
		rules ProduceRules
		key   []byte
		value []byte
		want  string // "" passes
	}{
		{"valid avro", "t", decode, nil, frame(f.avroID, nil, avroPayload(t)), ""},
		{"tombstone", "t", decode, nil, nil, ""},
		{"key unchecked", "t", decode, []byte("anything"), frame(f.avroID, nil, avroPayload(t)), ""},
		{"unknown id", "t", topicValue, nil, frame(777, nil, nil), "value: schema id 777 is not registered"},
		{"other subject", "t", topicValue, nil, frame(f.elsewhere, nil, nil), `not registered under subject "t-value" (TopicNameStrategy); it is registered under "elsewhere"`},
		{"no magic", "t", topicValue, nil, []byte("hello world"), "first byte is 0x68"},
		{"too short", "t", topicValue, nil, []byte{0, 0}, "2 bytes are too short"},
		{"empty", "t", topicValue, nil, []byte{}, "0 bytes are too short"},
		{"id mode skips payload", "t", topicValue, nil, frame(f.avroID, nil, []byte{1, 2, 3}), ""},
		{"decode truncated", "t", decode, nil, frame(f.avroID, nil, avroPayload(t)[:5]), "payload does not match schema id"},
		{"decode trailing", "t", decode, nil, frame(f.avroID, nil, append(avroPayload(t), 0)), "payload does not match schema id"},
		{"key check", "t", ProduceRules{Key: true}, []byte("k"), nil, "key: 1 bytes are too short"},
		{"record name", "x", ProduceRules{Value: true, ValueStrategy: RecordNameStrategy}, nil, frame(f.avroID, nil, nil), ""},
		{"topic record name", "t", ProduceRules{Value: true, ValueStrategy: TopicRecordNameStrategy}, nil, frame(f.avroID, nil, nil), ""},
		{"topic record name, other topic", "u", ProduceRules{Value: true, ValueStrategy: TopicRecordNameStrategy}, nil, frame(f.avroID, nil, nil), `subject "u-shop.Order"`},
		{"record name of a primitive", "t", ProduceRules{Value: true, ValueStrategy: RecordNameStrategy}, nil, frame(f.prim, nil, nil), "not a named Avro type"},
		{"proto valid", "p", decode, nil, frame(f.protoID, []int{0}, pb), ""},
		{"proto bad index", "p", decode, nil, frame(f.protoID, []int{4}, pb), "index"},
		{"proto unknown field", "p", decode, nil, frame(f.protoID, []int{0}, protowire.AppendTag(nil, 12, protowire.VarintType)), "payload does not match"},
		{"proto nested record name", "p", ProduceRules{Value: true, ValueStrategy: RecordNameStrategy}, nil, frame(f.protoID, []int{0, 0}, line), ""},
		{"proto record name not registered", "p", ProduceRules{Value: true, ValueStrategy: RecordNameStrategy}, nil, frame(f.protoID, []int{1}, nil), `subject "shop.Refund"`},
		{"proto bad index header", "p", topicValue, nil, append(frame(f.protoID, nil, nil), 0x7f), "message indexes"},
		{"json valid", "j", decode, nil, frame(f.jsonID, nil, []byte(`{"n":1}`)), ""},
		{"json invalid", "j", decode, nil, frame(f.jsonID, nil, []byte(`{"n":"one"}`)), "payload does not match"},
		{"json record name", "j", ProduceRules{Value: true, ValueStrategy: RecordNameStrategy}, nil, frame(f.jsonID, nil, nil), ""},
	}
	for _, c := range cases {
		err := f.v.Check(c.topic, c.rules).Record(c.key, c.value)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want it to pass", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// One RecordCheck remembers the verdict on the last id, but never carries
// it over to a record with another id or other message indexes.
func TestRecordCheckMemo(t *testing.T) {
	f := newValidateFixture(t)
	c := f.v.Check("t", ProduceRules{Value: true})
	good := frame(f.avroID, nil, nil)
	for i, v := range [][]byte{good, frame(f.elsewhere, nil, nil), good, frame(777, nil, nil), frame(777, nil, nil), good} {
		err := c.Record(nil, v)
		if ok := i == 0 || i == 2 || i == 5; ok != (err == nil) {
			t.Errorf("record %d: %v", i, err)
		}
	}
	p := f.v.Check("p", ProduceRules{Value: true, ValueStrategy: RecordNameStrategy})
	if err := p.Record(nil, frame(f.protoID, []int{0, 0}, nil)); err != nil {
		t.Errorf("nested message: %v", err)
	}
	if err := p.Record(nil, frame(f.protoID, []int{1}, nil)); err == nil {
		t.Error("a second message of the same id was judged by the first one's verdict")
	}
}

// A schema registered after a RecordCheck was made is not seen by it (one
// view per batch), but is by the next.
func TestRecordCheckSeesNewSchemas(t *testing.T) {
	f := newValidateFixture(t)
	c := f.v.Check("late", ProduceRules{Value: true})
	id, _ := f.register("late-value", `{"type":"record","name":"Late","fields":[]}`)
	if err := c.Record(nil, frame(id, nil, nil)); err == nil {
		t.Error("a check saw a schema registered after it began")
	}
	if err := f.v.Check("late", ProduceRules{Value: true}).Record(nil, frame(id, nil, nil)); err != nil {
		t.Errorf("a new check: %v", err)
	}
}

func TestParseSubjectNameStrategy(t *testing.T) {
	for in, want := range map[string]SubjectNameStrategy{
		"TopicNameStrategy": TopicNameStrategy,
		"io.confluent.kafka.serializers.subject.RecordNameStrategy": RecordNameStrategy,
		" TopicRecordNameStrategy ":                                 TopicRecordNameStrategy,
	} {
		if got, ok := ParseSubjectNameStrategy(in); !ok || got != want {
			t.Errorf("%q: %v %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "topic", "io.confluent.kafka.serializers.subject.", "com.example.TopicNameStrategy"} {
		if _, ok := ParseSubjectNameStrategy(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	r := ProduceRulesFromConfigs(map[string]string{
		"redpanda.value.schema.id.validation":   "true",
		"redpanda.value.subject.name.strategy":  "RecordNameStrategy",
		"confluent.value.subject.name.strategy": "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
		"streamlite.schema.validation.mode":     "decode",
	})
	if !r.Value || r.Key || r.ValueStrategy != TopicRecordNameStrategy || !r.Decode || !r.Enabled() {
		t.Errorf("rules %+v", r)
	}
	if ProduceRulesFromConfigs(nil).Enabled() {
		t.Error("no configs check something")
	}
}

// BenchmarkRecordCheck is the cost of checking one record of a 1000-record
// batch, in id mode and in decode mode, Avro.
func BenchmarkRecordCheck(b *testing.B) {
	f := newValidateFixture(b)
	v := frame(f.avroID, nil, avroPayload(b))
	for _, mode := range []struct {
		name  string
		rules ProduceRules
	}{{"id", ProduceRules{Value: true}}, {"decode", ProduceRules{Value: true, Decode: true}}} {
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(v)))
			var c *RecordCheck
			for i := 0; b.Loop(); i++ {
				if i%1000 == 0 {
					c = f.v.Check("t", mode.rules)
				}
				if err := c.Record(nil, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzRecordCheck feeds arbitrary keys and values to checks of every mode
// and strategy: nothing may panic, a passing value must carry a header,
// and a reason must stay short enough for a Kafka error message.
func FuzzRecordCheck(f *testing.F) {
	vf := newValidateFixture(f)
	f.Add(frame(vf.avroID, nil, avroPayload(f)), uint8(0))
	f.Add(frame(vf.protoID, []int{0, 0}, []byte{10, 1, 'x'}), uint8(5))
	f.Add(frame(vf.jsonID, nil, []byte(`{"n":1}`)), uint8(7))
	f.Add([]byte{0, 0, 0, 0, 2, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x0f}, uint8(3))
	f.Fuzz(func(t *testing.T, value []byte, mode uint8) {
		rules := ProduceRules{
			Key: mode&8 != 0, Value: true, Decode: mode&1 != 0,
			KeyStrategy: SubjectNameStrategy(mode>>4) % 3, ValueStrategy: SubjectNameStrategy(mode>>1) % 3,
		}
		topic := [...]string{"t", "p", "j"}[int(mode>>6)%3]
		err := vf.v.Check(topic, rules).Record(value, value)
		if err == nil && (len(value) < 5 || value[0] != 0) {
			t.Fatalf("a value without a header passed: %x", value)
		}
		if err != nil && len(err.Error()) > 1024 {
			t.Fatalf("reason of %d bytes: %s", len(err.Error()), err)
		}
	})
}
