package cluster

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protowire"
)

// wire prefixes payload with the Confluent header for id (and Protobuf message indexes).
func wire(id int, payload []byte, index ...int) []byte {
	b := []byte{0}
	b = binary.BigEndian.AppendUint32(b, uint32(id))
	if index != nil {
		if len(index) == 1 && index[0] == 0 {
			b = append(b, 0)
		} else {
			b = binary.AppendVarint(b, int64(len(index)))
			for _, i := range index {
				b = binary.AppendVarint(b, int64(i))
			}
		}
	}
	return append(b, payload...)
}

func TestDecodePlain(t *testing.T) {
	d := newDecoder(nil)
	ctx := context.Background()
	long := make([]byte, hexLimit+10)
	for _, c := range []struct {
		in         []byte
		text, form string
	}{
		{nil, "null", FormatNull},
		{[]byte{}, "", FormatText},
		{[]byte(`{"b":1,"a":[1,2]}`), "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    2\n  ]\n}", FormatJSON},
		{[]byte(`42`), "42", FormatJSON},
		{[]byte("hello\tworld\n"), "hello\tworld\n", FormatText},
		{[]byte("héllo ✓"), "héllo ✓", FormatText},
		{[]byte(`{"broken":`), `{"broken":`, FormatText},
		{[]byte{0xff, 0x00, 0x01}, "ff 00 01", FormatBinary},
		{[]byte("a\x00b"), "61 00 62", FormatBinary},
		{[]byte{0xf0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, "f0 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f\n10", FormatBinary},
		{[]byte{0, 0, 0, 0, 0, 1}, "00 00 00 00 00 01", FormatBinary}, // id 0 is no schema id
	} {
		text, form, id, err := d.decode(ctx, c.in)
		if text != c.text || form != c.form || id != 0 || err != nil {
			t.Errorf("decode(%q) = %q, %s, %d, %v; want %q, %s", c.in, text, form, id, err, c.text, c.form)
		}
	}
	text, form, _, _ := d.decode(ctx, long)
	if form != FormatBinary || !strings.HasSuffix(text, "\n… 10 more bytes") || strings.Count(text, "\n") != hexLimit/16 {
		t.Errorf("long binary: %s, ends %q", form, text[len(text)-40:])
	}
	// A schema id without a registry: hex and a reason.
	text, form, id, err := d.decode(ctx, wire(7, []byte{2, 4}))
	if form != FormatBinary || id != 7 || text != "00 00 00 00 07 02 04" || err == nil || !strings.Contains(err.Error(), "no schema registry") {
		t.Errorf("wire format without a registry: %q, %s, %d, %v", text, form, id, err)
	}
}

// TestDecodeFailureCache checks that a failing registry is asked once per schema id per
// failureTTL, not once per record.
func TestDecodeFailureCache(t *testing.T) {
	var calls atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, `{"error_code":50001,"message":"down"}`, http.StatusInternalServerError)
	}))
	defer hs.Close()
	s, err := sr.NewClient(sr.URLs(hs.URL))
	if err != nil {
		t.Fatal(err)
	}
	d := newDecoder(s)
	now := time.Now()
	d.now = func() time.Time { return now }
	for range 100 {
		r := Record{Value: wire(3, []byte{1})}
		d.decodeRecord(context.Background(), &r)
		if r.DecodeErr == "" || r.ValueSchemaID != 3 || r.ValueFormat != FormatBinary {
			t.Fatalf("record with a dead registry: %+v", r)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d registry requests for 100 records, want 1", n)
	}
	now = now.Add(failureTTL + time.Second)
	r := Record{Key: wire(3, []byte{1}), Value: wire(3, []byte{1})}
	d.decodeRecord(context.Background(), &r)
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d registry requests after the failure expired, want 2", n)
	}
	if !strings.HasPrefix(r.DecodeErr, "key: schema id 3") || !strings.Contains(r.DecodeErr, "; value: schema id 3") {
		t.Fatalf("key and value errors: %q", r.DecodeErr)
	}
}

const avroOrder = `{"type":"record","name":"Order","namespace":"shop","fields":[
	{"name":"id","type":"long"},
	{"name":"customer","type":"string"},
	{"name":"note","type":["null","string"],"default":null},
	{"name":"tags","type":{"type":"array","items":"string"}},
	{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"]}},
	{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
	{"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
	{"name":"attrs","type":{"type":"map","values":"int"}},
	{"name":"ratio","type":"double"},
	{"name":"ok","type":"boolean"}
]}`

type order struct {
	ID       int64          `avro:"id"`
	Customer string         `avro:"customer"`
	Note     *string        `avro:"note"`
	Tags     []string       `avro:"tags"`
	Kind     string         `avro:"kind"`
	At       time.Time      `avro:"at"`
	Price    *big.Rat       `avro:"price"`
	Attrs    map[string]int `avro:"attrs"`
	Ratio    float64        `avro:"ratio"`
	OK       bool           `avro:"ok"`
}

const protoShop = `syntax = "proto3";
package shop;
message Item { string sku = 1; int32 qty = 2; }
message Box {
  message Inner { string label = 1; }
  repeated Item items = 1;
  Inner inner = 2;
}
`

func TestDecodeRegistry(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "shop"))
	c := testClient(t, b, "")
	ctx := testCtx(t)
	reg, err := sr.NewClient(sr.URLs(b.SchemaRegistryURL()))
	if err != nil {
		t.Fatal(err)
	}
	avroID, err := reg.RegisterSchema(ctx, "shop-value", sr.Schema{Schema: avroOrder}, -1, -1)
	if err != nil {
		t.Fatalf("registering Avro: %v", err)
	}
	if _, err := reg.RegisterSchema(ctx, "money", sr.Schema{Schema: `{"type":"record","name":"Money","namespace":"shop","fields":[{"name":"cents","type":"long"}]}`}, -1, -1); err != nil {
		t.Fatal(err)
	}
	payID, err := reg.RegisterSchema(ctx, "payment", sr.Schema{
		Schema:     `{"type":"record","name":"Payment","namespace":"shop","fields":[{"name":"amount","type":"shop.Money"}]}`,
		References: []sr.SchemaReference{{Name: "shop.Money", Subject: "money", Version: 1}},
	}, -1, -1)
	if err != nil {
		t.Fatalf("registering Avro with a reference: %v", err)
	}
	jsonID, err := reg.RegisterSchema(ctx, "js", sr.Schema{Type: sr.TypeJSON, Schema: `{"type":"object","properties":{"a":{"type":"integer"}}}`}, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	protoID, err := reg.RegisterSchema(ctx, "pb", sr.Schema{Type: sr.TypeProtobuf, Schema: protoShop}, -1, -1)
	if err != nil {
		t.Fatal(err)
	}

	note := "rush"
	avroBytes, err := avro.Marshal(avro.MustParse(avroOrder), order{
		ID: 7, Customer: "ann", Note: &note, Tags: []string{"x", "y"}, Kind: "B",
		At: time.UnixMilli(1700000000123), Price: big.NewRat(-1999, 100), Attrs: map[string]int{"n": 1}, Ratio: 0.5, OK: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	payBytes, err := avro.Marshal(avro.MustParse(`{"type":"record","name":"Payment","fields":[{"name":"amount","type":{"type":"record","name":"Money","fields":[{"name":"cents","type":"long"}]}}]}`),
		map[string]any{"amount": map[string]any{"cents": int64(250)}})
	if err != nil {
		t.Fatal(err)
	}
	item := protowire.AppendTag(nil, 1, protowire.BytesType)
	item = protowire.AppendString(item, "A-1")
	item = protowire.AppendTag(item, 2, protowire.VarintType)
	item = protowire.AppendVarint(item, 3)
	inner := protowire.AppendTag(nil, 1, protowire.BytesType)
	inner = protowire.AppendString(inner, "fragile")

	cases := []struct {
		name   string
		value  []byte
		format string
		want   []string // substrings of ValueText, in order
		err    string
	}{
		{"avro", wire(avroID, avroBytes), FormatAvro, []string{`"id": 7`, `"customer": "ann"`, `"note": "rush"`, `"x"`, `"kind": "B"`, `"at": "2023-11-14T22:13:20.123Z"`, `"price": -19.99`, `"n": 1`, `"ratio": 0.5`, `"ok": true`}, ""},
		{"avro reference", wire(payID, payBytes), FormatAvro, []string{`"amount": {`, `"cents": 250`}, ""},
		{"json schema", wire(jsonID, []byte(`{"a":1}`)), FormatJSONSchema, []string{"{\n  \"a\": 1\n}"}, ""},
		{"protobuf first message", wire(protoID, item, 0), FormatProtobuf, []string{`"sku": "A-1"`, `"qty": 3`}, ""},
		{"protobuf nested message", wire(protoID, inner, 1, 0), FormatProtobuf, []string{`"label": "fragile"`}, ""},
		{"unknown id", wire(9999, []byte{1}), FormatBinary, []string{"00 00 00 27 0f 01"}, "schema id 9999"},
		{"truncated avro", wire(avroID, avroBytes[:3]), FormatBinary, nil, "decoding Avro"},
		{"json schema not json", wire(jsonID, []byte("nope")), FormatBinary, nil, "not JSON"},
		{"protobuf bad index", wire(protoID, item, 5), FormatBinary, nil, "message index"},
	}
	cl := b.Client()
	for _, tc := range cases {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "shop", Key: []byte(tc.name), Value: tc.value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	r, err := c.OpenReader("shop", Start{Kind: FromBeginning})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs := pollUntil(t, r, len(cases), 10*time.Second)
	for i, tc := range cases {
		rec := recs[i]
		if rec.KeyText != tc.name || rec.ValueFormat != tc.format || rec.KeyFormat != FormatText {
			t.Errorf("%s: read %q as %s (key %s)", tc.name, rec.KeyText, rec.ValueFormat, rec.KeyFormat)
			continue
		}
		if rec.ValueSchemaID == 0 {
			t.Errorf("%s: no schema id", tc.name)
		}
		rest := rec.ValueText
		for _, w := range tc.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s: %q not in (or out of order in) %s", tc.name, w, rec.ValueText)
				break
			}
			rest = rest[i+len(w):]
		}
		if tc.err == "" {
			if rec.DecodeErr != "" || !json.Valid([]byte(rec.ValueText)) {
				t.Errorf("%s: error %q, text %s", tc.name, rec.DecodeErr, rec.ValueText)
			}
		} else if !strings.Contains(rec.DecodeErr, tc.err) {
			t.Errorf("%s: DecodeErr %q, want it to say %q", tc.name, rec.DecodeErr, tc.err)
		}
	}
	// The same records through a client without a registry: ids kept, bytes as hex.
	plain, err := New(Config{Brokers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	pr, err := plain.OpenReader("shop", Start{Kind: FromBeginning})
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	rec := pollUntil(t, pr, 1, 10*time.Second)[0]
	if rec.ValueSchemaID != avroID || rec.ValueFormat != FormatBinary || !strings.Contains(rec.DecodeErr, "no schema registry") {
		t.Errorf("without a registry: %+v", rec)
	}
}

// BenchmarkDecode decodes a ~200-byte JSON value and an Avro value (schema cached).
func BenchmarkDecode(b *testing.B) {
	jsonValue := []byte(`{"order_id":"o-000123","customer":{"id":42,"name":"Ann Example","tier":"gold"},"items":[{"sku":"A-1","qty":2,"price":9.99},{"sku":"B-7","qty":1,"price":24.5}],"ts":"2024-05-01T12:00:00Z"}`)
	b.Run("json", func(b *testing.B) {
		d := newDecoder(nil)
		ctx := context.Background()
		b.ReportAllocs()
		b.SetBytes(int64(len(jsonValue)))
		for b.Loop() {
			if _, f, _, _ := d.decode(ctx, jsonValue); f != FormatJSON {
				b.Fatal(f)
			}
		}
	})
	b.Run("avro", func(b *testing.B) {
		schema := avro.MustParse(avroOrder)
		note := "rush"
		payload, err := avro.Marshal(schema, order{ID: 7, Customer: "ann", Note: &note, Tags: []string{"x", "y"}, Kind: "B",
			At: time.UnixMilli(1700000000123), Price: big.NewRat(-1999, 100), Attrs: map[string]int{"n": 1}, Ratio: 0.5, OK: true})
		if err != nil {
			b.Fatal(err)
		}
		d := newDecoder(&sr.Client{}) // never asked: the schema is cached
		d.cache[1] = &compiled{format: FormatAvro, avro: schema}
		value := wire(1, payload)
		ctx := context.Background()
		b.ReportAllocs()
		b.SetBytes(int64(len(value)))
		for b.Loop() {
			if _, f, _, err := d.decode(ctx, value); f != FormatAvro {
				b.Fatal(f, err)
			}
		}
	})
}
