package avro

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
)

// The tests below follow the Apache Avro specification, "Binary Encoding": valid data comes
// from hamba/avro's encoder, malformed data is built by hand with zz and cat.

// zz is a long as Avro writes it: zig-zag, then a base-128 varint.
func zz(n int64) []byte {
	return binary.AppendUvarint(nil, uint64(n<<1)^uint64(n>>63))
}

func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case []byte:
			b = append(b, p...)
		case string:
			b = append(b, p...)
		case byte:
			b = append(b, p)
		case int:
			b = append(b, zz(int64(p))...)
		default:
			panic("cat: unsupported part")
		}
	}
	return b
}

// str is an Avro string: its length, then its bytes.
func str(s string) []byte { return cat(len(s), s) }

const orderSchema = `{"type":"record","name":"Order","namespace":"shop","fields":[
	{"name":"id","type":"long"},
	{"name":"customer","type":"string"},
	{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
	{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
	{"name":"currency","type":{"type":"fixed","name":"Currency","size":3}},
	{"name":"created","type":{"type":"long","logicalType":"timestamp-millis"}},
	{"name":"day","type":{"type":"int","logicalType":"date"}},
	{"name":"uuid","type":{"type":"string","logicalType":"uuid"}},
	{"name":"note","type":["null","string"],"default":null},
	{"name":"gift","type":"boolean"},
	{"name":"weight","type":"float"},
	{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
		{"name":"sku","type":"string"},{"name":"qty","type":"int"},{"name":"price","type":"double"}]}}},
	{"name":"attrs","type":{"type":"map","values":"string"}}
]}`

type line struct {
	SKU   string  `avro:"sku"`
	Qty   int32   `avro:"qty"`
	Price float64 `avro:"price"`
}

type order struct {
	ID       int64             `avro:"id"`
	Customer string            `avro:"customer"`
	Status   string            `avro:"status"`
	Amount   *big.Rat          `avro:"amount"`
	Currency [3]byte           `avro:"currency"`
	Created  time.Time         `avro:"created"`
	Day      time.Time         `avro:"day"`
	UUID     string            `avro:"uuid"`
	Note     *string           `avro:"note"`
	Gift     bool              `avro:"gift"`
	Weight   float32           `avro:"weight"`
	Lines    []line            `avro:"lines"`
	Attrs    map[string]string `avro:"attrs"`
}

func sampleOrder() order {
	note := "leave at the door"
	return order{
		ID: 1234567890123, Customer: "Ada Lovelace", Status: "PAID", Amount: big.NewRat(199999, 100),
		Currency: [3]byte{'E', 'U', 'R'}, Created: time.UnixMilli(1767225600123).UTC(),
		Day: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UUID: "6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5",
		Note: &note, Gift: true, Weight: 1.25,
		Lines: []line{{"SKU-001", 2, 9.99}, {"SKU-042", 1, 180.01}},
		Attrs: map[string]string{"channel": "web"},
	}
}

type listNode struct {
	Value int32     `avro:"value"`
	Next  *listNode `avro:"next"`
}

const listSchema = `{"type":"record","name":"Node","namespace":"ll","fields":[
	{"name":"value","type":"int"},{"name":"next","type":["null","Node"]}]}`

func list(n int) *listNode {
	var head *listNode
	for i := n; i > 0; i-- {
		head = &listNode{Value: int32(i), Next: head}
	}
	return head
}

// validCases are schemas with values hamba/avro encodes; every encoding must validate.
func validCases() []struct {
	name, schema string
	values       []any
} {
	return []struct {
		name, schema string
		values       []any
	}{
		{"null", `"null"`, []any{nil}},
		{"boolean", `"boolean"`, []any{true, false}},
		{"int", `"int"`, []any{0, 1, -1, 63, -64, 64, math.MaxInt32, math.MinInt32}},
		{"long", `"long"`, []any{int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), int64(1) << 40}},
		{"float", `"float"`, []any{float32(0), float32(math.Inf(-1)), float32(math.NaN()), float32(3.5)}},
		{"double", `"double"`, []any{0.0, math.MaxFloat64, math.Inf(1), -2.25}},
		{"bytes", `"bytes"`, []any{[]byte{}, []byte{0, 0xff, 0x80}, bytes.Repeat([]byte{7}, 300)}},
		{"string", `"string"`, []any{"", "héllo, 世界", strings.Repeat("x", 200)}},
		{"order", orderSchema, []any{sampleOrder(), order{Amount: big.NewRat(0, 1), Status: "NEW", Created: time.UnixMilli(0), Day: time.Unix(0, 0)}}},
		{"linked list", listSchema, []any{list(1), list(5), list(100)}},
		{"nested arrays of records", `{"type":"array","items":{"type":"array","items":` +
			`{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int"},{"name":"price","type":"double"}]}}}`,
			[]any{[][]line{}, [][]line{{}, {{"a", 1, 2}}, {{"b", -3, 0.5}, {"c", 0, 0}}}}},
		{"map of arrays", `{"type":"map","values":{"type":"array","items":"long"}}`,
			[]any{map[string][]int64{}, map[string][]int64{"a": {1, 2, 3}, "": {}, "ключ": {math.MinInt64}}}},
		{"enum", `{"type":"enum","name":"Suit","symbols":["SPADES","HEARTS","DIAMONDS","CLUBS"]}`, []any{"SPADES", "CLUBS"}},
		{"fixed", `{"type":"fixed","name":"MD5","size":16}`, []any{[16]byte{1, 2, 3}}},
		{"fixed of size 0", `{"type":"fixed","name":"Nothing","size":0}`, []any{[0]byte{}}},
		{"decimal on fixed", `{"type":"fixed","name":"Dec","size":8,"logicalType":"decimal","precision":18,"scale":4}`,
			[]any{big.NewRat(-12345678, 10000), big.NewRat(0, 1)}},
		{"union", `["null","int","string",{"type":"record","name":"P","fields":[{"name":"x","type":"double"}]}]`,
			[]any{nil, 42, "forty-two", map[string]any{"P": map[string]any{"x": 1.5}}}},
		{"union with null", `["null",{"type":"map","values":"boolean"}]`, []any{nil, &map[string]bool{"t": true, "f": false}}},
		{"array of nulls", `{"type":"array","items":"null"}`, []any{[]any{}, []any{nil, nil, nil}}},
		{"record of records", `{"type":"record","name":"Outer","fields":[{"name":"in","type":{"type":"record","name":"In","fields":[{"name":"n","type":"null"},{"name":"b","type":"boolean"}]}},{"name":"again","type":"In"}]}`,
			[]any{map[string]any{"in": map[string]any{"n": nil, "b": true}, "again": map[string]any{"n": nil, "b": false}}}},
	}
}

func TestValidateEncoderOutput(t *testing.T) {
	// hamba/avro writes blocks with byte sizes (negative counts) unless told not to.
	configs := map[string]avro.API{
		"sized blocks":   avro.Config{}.Freeze(),
		"unsized blocks": avro.Config{DisableBlockSizeHeader: true, BlockLength: 2}.Freeze(),
	}
	for _, c := range validCases() {
		s := mustParse(t, c.schema)
		for cname, api := range configs {
			for i, v := range c.values {
				data, err := api.Marshal(s.Avro(), v)
				if err != nil {
					t.Fatalf("%s: Marshal(%v): %v", c.name, v, err)
				}
				if err := s.Validate(data); err != nil {
					t.Errorf("%s, %s, value %d (%x): %v", c.name, cname, i, data, err)
				}
			}
		}
	}
}

// Avro's encoding is self-delimiting: no proper prefix of a datum is a datum, so every
// truncation must fail, and so must one byte more.
func TestValidateTruncatedAndTrailing(t *testing.T) {
	for _, c := range validCases() {
		s := mustParse(t, c.schema)
		for _, v := range c.values {
			data, err := avro.Marshal(s.Avro(), v)
			if err != nil {
				t.Fatal(err)
			}
			for i := range len(data) {
				err := s.Validate(data[:i])
				if err == nil {
					t.Fatalf("%s: %x truncated to %d bytes validates", c.name, data, i)
				}
				if msg := err.Error(); !strings.HasPrefix(msg, "at byte ") || len(msg) > 200 {
					t.Errorf("%s: truncated to %d: malformed message %q", c.name, i, msg)
				}
			}
			err = s.Validate(append(data, 0))
			want := "at byte " + strconv.Itoa(len(data)) + ": 1 byte left after the datum"
			if err == nil || err.Error() != want {
				t.Errorf("%s: trailing byte: got %v, want %q", c.name, err, want)
			}
		}
	}
}

func TestValidateMalformed(t *testing.T) {
	const (
		lines = `{"type":"record","name":"Order","fields":[{"name":"lines","type":{"type":"array","items":` +
			`{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}}]}`
		attrs    = `{"type":"record","name":"R","fields":[{"name":"attrs","type":{"type":"map","values":["null","int"]}}]}`
		amount   = `{"type":"record","name":"R","fields":[{"name":"id","type":"int"},{"name":"amount","type":["null","long"]}]}`
		suit     = `{"type":"enum","name":"Suit","symbols":["SPADES","HEARTS","DIAMONDS","CLUBS"]}`
		ints     = `{"type":"array","items":"int"}`
		nulls    = `{"type":"array","items":"null"}`
		strMap   = `{"type":"map","values":"string"}`
		fixed16  = `{"type":"fixed","name":"F","size":16}`
		reversed = `{"type":"record","name":"Item","fields":[{"name":"name","type":"string"},{"name":"id","type":"long"}]}`
	)
	for _, c := range []struct {
		name, schema string
		data         []byte
		want         string // the whole message, or a fragment when it starts with "~"
	}{
		{"empty boolean", `"boolean"`, nil, "at byte 0: data ends while reading a boolean"},
		{"bad boolean", `"boolean"`, []byte{2}, "at byte 0: boolean byte is 2; it must be 0 or 1"},
		{"int of 6 bytes", `"int"`, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, "at byte 0: an int is longer than 5 bytes"},
		{"int overflow", `"int"`, []byte{0x80, 0x80, 0x80, 0x80, 0x10}, "at byte 0: an int overflows 32 bits"},
		{"int max is fine", `"int"`, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, ""},
		{"non-minimal int is fine", `"int"`, []byte{0x80, 0x00}, ""},
		{"long of 11 bytes", `"long"`, bytes.Repeat([]byte{0x80}, 11), "at byte 0: a long is longer than 10 bytes"},
		{"long overflow", `"long"`, append(bytes.Repeat([]byte{0xff}, 9), 0x02), "at byte 0: a long overflows 64 bits"},
		{"truncated long", `"long"`, []byte{0x80, 0x80}, "at byte 0: data ends while reading a long"},
		{"short float", `"float"`, []byte{1, 2}, "at byte 0: data ends while reading a float (4 bytes, only 2 left)"},
		{"short double", `"double"`, []byte{1, 2, 3, 4, 5, 6, 7}, "at byte 0: data ends while reading a double (8 bytes, only 7 left)"},
		{"negative length", `"string"`, cat(-1), "at byte 0: negative string length -1"},
		{"negative bytes length", `"bytes"`, cat(-3), "at byte 0: negative bytes length -3"},
		{"length beyond data", `"string"`, cat(10, "abc"), "at byte 0: string length 10 but only 3 bytes left"},
		{"huge length", `"bytes"`, cat(1 << 62), "~bytes length 4611686018427387904 but only 0 bytes left"},
		{"invalid UTF-8", `"string"`, cat(4, "ab", byte(0xff), "c"), "at byte 3: string is not valid UTF-8 (byte 0xff)"},
		{"surrogate in UTF-8", `"string"`, cat(3, byte(0xed), byte(0xa0), byte(0x80)), "at byte 1: string is not valid UTF-8 (byte 0xed)"},
		{"enum index out of range", suit, cat(4), "at byte 0: enum index 4 out of range (the enum has 4 symbols)"},
		{"negative enum index", suit, cat(-1), "at byte 0: enum index -1 out of range (the enum has 4 symbols)"},
		{"union index -1", amount, cat(7, -1), `at byte 1, field "amount": union branch -1 out of range (the union has 2 branches)`},
		{"union index out of range", amount, cat(7, 5), `at byte 1, field "amount": union branch 5 out of range (the union has 2 branches)`},
		{"union index of 6 bytes", amount, cat(7, []byte{0x82, 0x80, 0x80, 0x80, 0x80, 0x00}), `at byte 1, field "amount": a union branch index is longer than 5 bytes`},
		{"union branch truncated", amount, cat(7, 1), `at byte 2, field "amount": data ends while reading a long`},
		{"short fixed", fixed16, []byte("0123456789"), "at byte 0: data ends while reading a fixed (16 bytes, only 10 left)"},
		{"trailing bytes", `"int"`, []byte{2, 0, 0}, "at byte 1: 2 bytes left after the datum"},
		{"trailing after null", `"null"`, []byte{0}, "at byte 0: 1 byte left after the datum"},
		{"array without end", ints, cat(2, 1, 2), "at byte 3: data ends while reading an array block count"},
		{"array negative size", ints, cat(-2, -5, 1, 2, 0), "at byte 1: negative array block byte size -5"},
		{"array size beyond data", ints, cat(-2, 100, 1, 2, 0), "at byte 1: array block byte size 100 but only 3 bytes left"},
		{"array size too small", ints, cat(-2, 1, 1, 2, 0), "at byte 2: array block says its items take 1 byte, but they take 2"},
		{"array size too big", ints, cat(-1, 2, 1, 2, 0), "at byte 2: array block says its items take 2 bytes, but they take 1"},
		{"array sized block is fine", ints, cat(-2, 2, 1, 2, 1, 3, 0), ""},
		{"array count min long", ints, cat([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), "at byte 0: array block count -9223372036854775808 is out of range"},
		{"array count beyond data", ints, cat(1000, 1, 2), "at byte 0: array block of 1000 items needs at least 1 byte each, only 2 left"},
		{"array of nulls too long", nulls, cat(1<<40, 0), "at byte 0: array has more than 2147483639 items"},
		{"array of nulls, blocks too long", nulls, cat(math.MaxInt32-8, 1, 0), "at byte 5: array has more than 2147483639 items"},
		{"array of nulls at the limit", nulls, cat(math.MaxInt32-9, 1, 0), ""},
		{"array item bad", lines, cat(2, str("a"), 1, str("b"), byte(0x80)), `at byte 6, field "lines[1].qty": data ends while reading an int`},
		{"array item bad in second block", lines, cat(1, str("a"), 1, 1, -1, 1, 0), `at byte 5, field "lines[1].sku": negative string length -1`},
		{"map value bad", attrs, cat(1, str("color"), 5, 0), `at byte 7, field "attrs[color]": union branch 5 out of range (the union has 2 branches)`},
		{"map key sanitized", attrs, cat(1, str("a\"b]\x01"), 2, 0), `at byte 7, field "attrs[a?b??]": union branch 2 out of range (the union has 2 branches)`},
		{"map key long", attrs, cat(1, str(strings.Repeat("k", 40)), 2, 0), `~field "attrs[kkkkkkkkkkkkkkkkkkkkkkkk...]"`},
		{"map key invalid UTF-8", strMap, cat(1, 2, byte(0xc3), byte(0x28), str("v"), 0), "at byte 2: map key is not valid UTF-8 (byte 0xc3)"},
		{"map key truncated", strMap, cat(1, 4, "ab"), "at byte 1: map key length 4 but only 2 bytes left"},
		{"map negative size", strMap, cat(-1, -2, str("k"), str("v"), 0), "at byte 1: negative map block byte size -2"},
		{"map count beyond data", strMap, cat(5, str("k"), str("v"), 0), "at byte 0: map block of 5 items needs at least 2 bytes each, only 5 left"},
		// Written with {"id":long,"name":string} (id 1000, name "pen"), read with name first:
		// the id's varint reads as a string length of 1000.
		{"writer schema with reordered fields", reversed, cat(1000, str("pen")), `at byte 0, field "name": string length 1000 but only 4 bytes left`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := mustParse(t, c.schema)
			err := s.Validate(c.data)
			switch {
			case c.want == "":
				if err != nil {
					t.Fatalf("Validate(%x) = %v, want nil", c.data, err)
				}
			case err == nil:
				t.Fatalf("Validate(%x) = nil, want %q", c.data, c.want)
			case strings.HasPrefix(c.want, "~"):
				if !strings.Contains(err.Error(), c.want[1:]) {
					t.Fatalf("Validate(%x) = %q, want it to contain %q", c.data, err, c.want[1:])
				}
			case err.Error() != c.want:
				t.Fatalf("Validate(%x) = %q, want %q", c.data, err, c.want)
			}
		})
	}
}

// A payload written by hamba/avro with one record schema, read with another, fails at a
// known place.
func TestValidateOtherWriterSchema(t *testing.T) {
	writer := mustParse(t, `{"type":"record","name":"Item","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}`)
	reader := mustParse(t, `{"type":"record","name":"Item","fields":[{"name":"name","type":"string"},{"name":"id","type":"long"}]}`)
	data, err := avro.Marshal(writer.Avro(), map[string]any{"id": int64(1000), "name": "pen"})
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.Validate(data); err != nil {
		t.Fatal(err)
	}
	err = reader.Validate(data)
	if err == nil || !strings.Contains(err.Error(), `field "name": string length 1000 but only 4 bytes left`) {
		t.Fatalf("reader.Validate = %v", err)
	}
}

func TestValidateDepth(t *testing.T) {
	s := mustParse(t, listSchema)
	// Each list node is a record and a union: 128 nodes nest 256 deep, the limit.
	for _, c := range []struct {
		nodes int
		ok    bool
	}{{127, true}, {128, true}, {129, false}, {5000, false}} {
		data, err := avro.Marshal(s.Avro(), list(c.nodes))
		if err != nil {
			t.Fatal(err)
		}
		err = s.Validate(data)
		if c.ok != (err == nil) {
			t.Fatalf("%d nodes: Validate = %v, want ok %v", c.nodes, err, c.ok)
		}
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, "data nests deeper than 256 records, arrays, maps and unions") || len(msg) > 200 ||
				!strings.Contains(msg, `field "...next.next.next`) {
				t.Fatalf("%d nodes: %q", c.nodes, msg)
			}
		}
	}
	// A hand-made bomb: arrays in arrays, far deeper than the limit, without an end.
	arrays := mustParse(t, `{"type":"record","name":"A","fields":[{"name":"a","type":{"type":"array","items":"A"}}]}`)
	bomb := bytes.Repeat(cat(1), 1<<20)
	if err := arrays.Validate(bomb); err == nil || !strings.Contains(err.Error(), "deeper than 256") {
		t.Fatalf("bomb: %v", err)
	}
	// A record that holds itself has no finite datum; it must fail, not overflow the stack.
	if self, err := Parse(`{"type":"record","name":"S","fields":[{"name":"s","type":"S"}]}`); err == nil {
		if err := self.Validate(nil); err == nil || !strings.Contains(err.Error(), "deeper than 256") {
			t.Fatalf("self: %v", err)
		}
		arr := mustParse(t, `{"type":"array","items":{"type":"record","name":"S","fields":[{"name":"s","type":"S"}]}}`)
		if err := arr.Validate(cat(1<<40, 0)); err == nil {
			t.Fatal("array of self-holding records validates")
		}
	}
}

func TestValidateNoSchema(t *testing.T) {
	var nilSchema *Schema
	for _, s := range []*Schema{nilSchema, {}} {
		if err := s.Validate([]byte{1}); err == nil {
			t.Fatal("Validate without a schema = nil")
		}
		if name, ok := s.FullName(); ok || name != "" {
			t.Fatalf("FullName without a schema = %q, %v", name, ok)
		}
	}
}

func TestValidateConcurrent(t *testing.T) {
	s := mustParse(t, orderSchema)
	good, err := avro.Marshal(s.Avro(), sampleOrder())
	if err != nil {
		t.Fatal(err)
	}
	bad := good[:len(good)-1]
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if err := s.Validate(good); err != nil {
					t.Error(err)
					return
				}
				if err := s.Validate(bad); err == nil {
					t.Error("truncated order validates")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestValidateDoesNotAllocate(t *testing.T) {
	s := mustParse(t, orderSchema)
	data, err := avro.Marshal(s.Avro(), sampleOrder())
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Validate(data) // compile
	if n := testing.AllocsPerRun(100, func() { _ = s.Validate(data) }); n != 0 {
		t.Fatalf("Validate allocates %v times per valid payload", n)
	}
}

func TestFullName(t *testing.T) {
	for _, c := range []struct {
		schema string
		refs   []Reference
		want   string
	}{
		{orderSchema, nil, "shop.Order"},
		{`{"type":"record","name":"a.b.Rec","fields":[]}`, nil, "a.b.Rec"},
		{`{"type":"enum","name":"Suit","namespace":"cards","symbols":["A"]}`, nil, "cards.Suit"},
		{`{"type":"fixed","name":"MD5","size":16}`, nil, "MD5"},
		{`{"type":"fixed","name":"Dec","size":8,"logicalType":"decimal","precision":4}`, nil, "Dec"},
		{`"cards.Suit"`, []Reference{{Name: "cards.Suit", Schema: `{"type":"enum","name":"Suit","namespace":"cards","symbols":["A"]}`}}, "cards.Suit"},
		{`"int"`, nil, ""},
		{`{"type":"long","logicalType":"timestamp-millis"}`, nil, ""},
		{`{"type":"array","items":{"type":"record","name":"R","fields":[]}}`, nil, ""},
		{`{"type":"map","values":"string"}`, nil, ""},
		{`["null",{"type":"record","name":"R","fields":[]}]`, nil, ""},
	} {
		s, err := Parse(c.schema, c.refs...)
		if err != nil {
			t.Fatalf("Parse(%s): %v", c.schema, err)
		}
		name, ok := s.FullName()
		if name != c.want || ok != (c.want != "") {
			t.Errorf("FullName(%s) = %q, %v; want %q", c.schema, name, ok, c.want)
		}
	}
}

// A reference-rooted schema validates data of the referenced type.
func TestValidateThroughReference(t *testing.T) {
	s, err := Parse(`"ll.Node"`, Reference{Name: "ll.Node", Schema: listSchema})
	if err != nil {
		t.Fatal(err)
	}
	data, err := avro.Marshal(s.Avro(), list(3))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(data); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(data[1:]); err == nil {
		t.Fatal("damaged list validates")
	}
}

func BenchmarkValidate(b *testing.B) {
	s, err := Parse(orderSchema)
	if err != nil {
		b.Fatal(err)
	}
	data, err := avro.Marshal(s.Avro(), sampleOrder())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(data); err != nil {
			b.Fatal(err)
		}
	}
}

// fuzzSchemas are the schemas FuzzValidate reads every input with; crossCheck marks those
// whose accepted data hamba/avro's decoder must accept too (not arrays of nulls: hamba would
// allocate every claimed item).
var fuzzSchemas = []struct {
	text       string
	crossCheck bool
}{
	{orderSchema, true},
	{listSchema, true},
	{`{"type":"array","items":{"type":"array","items":{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int"},{"name":"price","type":"double"}]}}}`, true},
	{`{"type":"map","values":{"type":"array","items":"long"}}`, true},
	{`["null","int","string",{"type":"record","name":"P","fields":[{"name":"x","type":"double"}]},{"type":"enum","name":"E","symbols":["A","B"]}]`, true},
	{`{"type":"fixed","name":"Dec","size":8,"logicalType":"decimal","precision":18,"scale":4}`, true},
	{`{"type":"record","name":"B","fields":[{"name":"b","type":"boolean"},{"name":"f","type":"float"},{"name":"by","type":"bytes"},{"name":"u","type":["null","boolean"]}]}`, true},
	{`{"type":"array","items":"null"}`, false},
	{`{"type":"record","name":"A","fields":[{"name":"a","type":{"type":"array","items":"A"}}]}`, true},
}

// fuzzBytes hands out fuzz input as values, zeros once it runs out.
type fuzzBytes []byte

func (b *fuzzBytes) byte() byte {
	if len(*b) == 0 {
		return 0
	}
	c := (*b)[0]
	*b = (*b)[1:]
	return c
}

func (b *fuzzBytes) int64() int64 {
	var x uint64
	for range 8 {
		x = x<<8 | uint64(b.byte())
	}
	return int64(x)
}

func (b *fuzzBytes) string() string {
	n := int(b.byte() % 80)
	n = min(n, len(*b))
	s := strings.ToValidUTF8(string((*b)[:n]), "?")
	*b = (*b)[n:]
	return s
}

// fuzzOrder builds an order from fuzz input.
func fuzzOrder(in fuzzBytes) order {
	o := order{
		ID: in.int64(), Customer: in.string(), Status: []string{"NEW", "PAID", "SHIPPED"}[in.byte()%3],
		Amount:  big.NewRat(in.int64()%1e10, 100), // precision 10
		Created: time.UnixMilli(in.int64() >> 20), Day: time.Unix(int64(int32(in.int64()))*60, 0).UTC(),
		UUID: in.string(), Gift: in.byte()&1 == 1, Weight: math.Float32frombits(uint32(in.int64())),
	}
	copy(o.Currency[:], in.string())
	if in.byte()&1 == 1 {
		note := in.string()
		o.Note = &note
	}
	for range in.byte() % 5 {
		o.Lines = append(o.Lines, line{in.string(), int32(in.int64()), math.Float64frombits(uint64(in.int64()))})
	}
	if n := in.byte() % 4; n > 0 {
		o.Attrs = map[string]string{}
		for range n {
			o.Attrs[in.string()] = in.string()
		}
	}
	return o
}

// FuzzValidate reads each input with every schema of fuzzSchemas. Invariants: Validate
// never panics; a refusal names a byte within the data, in a message under 200 bytes
// ("at byte N..."); data Validate accepts, hamba/avro decodes too (where crossCheck); and
// whatever hamba/avro encodes from values built from the input (an order, a linked list)
// validates. Seeds: testdata/fuzz/FuzzValidate.
func FuzzValidate(f *testing.F) {
	schemas := make([]*Schema, len(fuzzSchemas))
	for i, c := range fuzzSchemas {
		s, err := Parse(c.text)
		if err != nil {
			f.Fatal(err)
		}
		schemas[i] = s
	}
	f.Add([]byte{})
	f.Add(cat(2, str("a"), 1, str("b"), 2, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		for i, s := range schemas {
			err := s.Validate(data)
			if err == nil {
				if fuzzSchemas[i].crossCheck {
					var v any
					if err := avro.Unmarshal(s.Avro(), data, &v); err != nil {
						t.Fatalf("schema %d: Validate accepts %x, hamba/avro does not: %v", i, data, err)
					}
				}
				continue
			}
			var de *dataError
			if !errors.As(err, &de) || de.off < 0 || de.off > len(data) {
				t.Fatalf("schema %d: error %v for %d bytes", i, err, len(data))
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "at byte ") || len(msg) > 200 {
				t.Fatalf("schema %d: malformed message %q", i, msg)
			}
		}
		o := fuzzOrder(fuzzBytes(data))
		enc, err := avro.Marshal(schemas[0].Avro(), o)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", o, err)
		}
		if err := schemas[0].Validate(enc); err != nil {
			t.Fatalf("encoded order %+v (%x): %v", o, enc, err)
		}
		// Short lists (8 nodes at most): hamba/avro takes ~5µs a node to encode one, and the fuzzer minimizes
		// by running this body many times. TestValidateDepth covers long ones.
		in := fuzzBytes(data)
		head := &listNode{Value: int32(in.int64())}
		for n, i := head, 1; i < 8 && len(in) > 0 && in.byte()%8 != 0; n, i = n.Next, i+1 {
			n.Next = &listNode{Value: int32(in.int64())}
		}
		enc, err = avro.Marshal(schemas[1].Avro(), head)
		if err != nil {
			t.Fatal(err)
		}
		if err := schemas[1].Validate(enc); err != nil {
			t.Fatalf("encoded list %x: %v", enc, err)
		}
	})
}
