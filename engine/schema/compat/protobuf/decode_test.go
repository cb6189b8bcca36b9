package protobuf

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
)

// shopProto is a proto3 schema with a field of every scalar kind, repeated fields packed and
// not, nested messages, maps, a oneof, enums, an import and a sparse field number.
const shopProto = `syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";

enum Status {
  STATUS_UNKNOWN = 0;
  PAID = 1;
  SHIPPED = 2;
}

message Order {
  message Line {
    string sku = 1;
    uint32 qty = 2;
    double price = 3;
    repeated string labels = 4;
  }
  string id = 1;
  int32 i32 = 2;
  int64 i64 = 3;
  uint32 u32 = 4;
  uint64 u64 = 5;
  sint32 s32 = 6;
  sint64 s64 = 7;
  bool flag = 8;
  fixed32 f32 = 9;
  fixed64 f64 = 10;
  sfixed32 sf32 = 11;
  sfixed64 sf64 = 12;
  float fl = 13;
  double db = 14;
  bytes raw = 15;
  Status status = 16;
  repeated Line lines = 17;
  map<string, int64> counts = 18;
  map<int32, Line> by_pos = 19;
  oneof payment {
    string card = 20;
    Line gift = 21;
    int64 credit = 22;
  }
  google.protobuf.Timestamp created = 23;
  repeated int64 packed_ints = 24;
  repeated sint32 unpacked_ints = 25 [packed = false];
  repeated double doubles = 26;
  repeated fixed32 fixeds = 27;
  repeated Status statuses = 28;
  repeated string tags = 29;
  optional string note = 30;
  Order parent = 31;
  Address ship_to = 1000;
}

message Address {
  string street = 1;
  string city = 2;
  message Geo {
    message Point { double lat = 1; double lon = 2; }
    Point at = 1;
  }
}
`

// legacyProto is a proto2 schema: required fields, groups, packed and unpacked repeated
// fields, extensions (top-level and nested) and strings that need not be UTF-8.
const legacyProto = `syntax = "proto2";
package legacy;

message Rec {
  required int64 id = 1;
  optional string name = 2;
  repeated int32 nums = 3;
  repeated int32 pnums = 4 [packed = true];
  optional group Info = 5 {
    optional int32 a = 1;
    optional string b = 2;
  }
  repeated group Item = 6 {
    required int32 k = 1;
  }
  optional Rec child = 7;
  optional Kind kind = 8;
  extensions 100 to 199, 1000 to max;
}

enum Kind {
  A = 1;
  B = 2;
}

extend Rec {
  optional string tag = 100;
  repeated int32 ext_nums = 101;
  optional fixed64 big_ext = 5000;
}

message Holder {
  extend Rec {
    optional Holder holder = 102;
  }
  optional int32 x = 1;
}
`

// editionsProto checks features: UTF-8 validation off for one field, delimited encoding.
const editionsProto = `edition = "2023";
package ed;

message E {
  string strict = 1;
  string lax = 2 [features.utf8_validation = NONE];
  E child = 3 [features.message_encoding = DELIMITED];
  repeated int32 nums = 4;
  int32 req = 5 [features.field_presence = LEGACY_REQUIRED];
}
`

type fixture struct {
	s   *Schema
	res linker.Resolver
}

func newFixture(t testing.TB, text string) fixture {
	t.Helper()
	s, err := Parse(text, nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return fixture{s: s, res: linker.ResolverFromFile(s.file.(linker.File))}
}

// encode builds the message the indexes name from text format with dynamicpb and marshals it
// with proto.Marshal.
func (fx fixture) encode(t testing.TB, indexes []int, text string) []byte {
	t.Helper()
	md, err := fx.s.Message(indexes)
	if err != nil {
		t.Fatal(err)
	}
	m := dynamicpb.NewMessage(md)
	if err := (prototext.UnmarshalOptions{Resolver: fx.res}).Unmarshal([]byte(text), m); err != nil {
		t.Fatalf("prototext: %v\n%s", err, text)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("proto.Marshal: %v", err)
	}
	return b
}

// fullOrder sets every field of shop.Order, several elements per repeated field.
const fullOrder = `
id: "order-1" i32: -5 i64: -9000000000 u32: 4000000000 u64: 18000000000000000000
s32: -77 s64: -123456789012 flag: true f32: 7 f64: 8 sf32: -9 sf64: -10 fl: 1.5 db: -2.25
raw: "\x00\xff\x80" status: SHIPPED
lines { sku: "A-1" qty: 2 price: 9.99 labels: "red" labels: "big" }
lines { sku: "B-2" qty: 1 price: 0.5 }
lines { }
counts { key: "x" value: 1 } counts { key: "yé" value: -2 }
by_pos { key: 1 value { sku: "C" } } by_pos { key: -3 value { } }
gift { sku: "gift" }
created { seconds: 1700000000 nanos: 5 }
packed_ints: 1 packed_ints: -1 packed_ints: 300
unpacked_ints: 5 unpacked_ints: -6
doubles: 1 doubles: 2.5
fixeds: 1 fixeds: 4294967295
statuses: PAID statuses: 7
tags: "ü" tags: ""
note: ""
parent { id: "p" parent { id: "pp" lines { sku: "deep" } } }
ship_to { street: "Main St" city: "Zürich" }
`

func TestValidateEncoded(t *testing.T) {
	shop := newFixture(t, shopProto)
	legacy := newFixture(t, legacyProto)
	ed := newFixture(t, editionsProto)
	for _, tc := range []struct {
		name    string
		fx      fixture
		indexes []int
		text    string
	}{
		{"empty order", shop, nil, ``},
		{"full order", shop, []int{0}, fullOrder},
		{"oneof card", shop, nil, `card: "visa"`},
		{"oneof credit", shop, nil, `credit: 0`},
		{"proto3 optional zero", shop, nil, `note: ""`},
		{"nested line", shop, []int{0, 0}, `sku: "x" qty: 3 labels: "a"`},
		{"map entry", shop, []int{0, 1}, `key: "k" value: 3`},
		{"address", shop, []int{1}, `street: "s"`},
		{"deep nested", shop, []int{1, 0, 0}, `lat: 1 lon: -1`},
		{"proto2 minimal", legacy, nil, `id: 1`},
		{"proto2 full", legacy, nil, `id: -1 name: "n" nums: 1 nums: -2 pnums: 3 pnums: 4
			info { a: 1 b: "x" } item { k: 1 } item { k: 2 } child { id: 2 child { id: 3 } } kind: B
			[legacy.tag]: "t" [legacy.ext_nums]: 1 [legacy.ext_nums]: 2 [legacy.big_ext]: 9
			[legacy.Holder.holder] { x: 5 }`},
		{"proto2 holder", legacy, []int{1}, `x: 1`},
		{"editions", ed, nil, `strict: "ok" lax: "ok" child { strict: "c" req: 1 child { req: 2 } } nums: 1 nums: 2 req: 3`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.fx.encode(t, tc.indexes, tc.text)
			if err := tc.fx.s.Validate(tc.indexes, b); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

// rec builds a record by hand: tag then value bytes.
func rec(num protowire.Number, typ protowire.Type, value ...[]byte) []byte {
	b := protowire.AppendTag(nil, num, typ)
	for _, v := range value {
		b = append(b, v...)
	}
	return b
}

func varint(v uint64) []byte { return protowire.AppendVarint(nil, v) }
func lenPrefixed(v ...[]byte) []byte {
	var in []byte
	for _, x := range v {
		in = append(in, x...)
	}
	return protowire.AppendBytes(nil, in)
}
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func TestValidateHandmade(t *testing.T) {
	shop := newFixture(t, shopProto)
	legacy := newFixture(t, legacyProto)
	ed := newFixture(t, editionsProto)
	var deep []byte // 101 nested parents: one level too deep
	for range MaxDepth + 1 {
		deep = rec(31, protowire.BytesType, lenPrefixed(deep))
	}
	var okDeep []byte // 100 nested parents: the limit
	for range MaxDepth {
		okDeep = rec(31, protowire.BytesType, lenPrefixed(okDeep))
	}
	var deepGroups []byte // groups nest too
	for range MaxDepth + 1 {
		deepGroups = cat(rec(3, protowire.StartGroupType), deepGroups, rec(3, protowire.EndGroupType))
	}
	line := func(parts ...[]byte) []byte { return rec(17, protowire.BytesType, lenPrefixed(parts...)) }
	for _, tc := range []struct {
		name    string
		fx      fixture
		indexes []int
		data    []byte
		want    string // "" = valid, else a fragment of the error
		offset  int
	}{
		// Valid encodings a serializer may write that proto.Marshal does not.
		{"unpacked packed field", shop, nil, cat(rec(24, 0, varint(1)), rec(24, 0, varint(2))), "", 0},
		{"packed unpacked field", shop, nil, rec(25, 2, lenPrefixed(varint(1), varint(2))), "", 0},
		{"packed and unpacked mixed", shop, nil, cat(rec(26, 1, make([]byte, 8)), rec(26, 2, lenPrefixed(make([]byte, 16)))), "", 0},
		{"empty packed", shop, nil, rec(27, 2, lenPrefixed()), "", 0},
		{"singular twice", shop, nil, cat(rec(1, 2, lenPrefixed([]byte("a"))), rec(1, 2, lenPrefixed([]byte("b")))), "", 0},
		{"bool any varint", shop, nil, rec(8, 0, varint(1<<63)), "", 0},
		{"enum unknown value", shop, nil, rec(16, 0, varint(99)), "", 0},
		{"10-byte varint", shop, nil, rec(3, 0, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), "", 0},
		{"depth at limit", shop, nil, okDeep, "", 0},
		{"proto2 invalid utf8", legacy, nil, cat(rec(1, 0, varint(1)), rec(2, 2, lenPrefixed([]byte{0xff}))), "", 0},
		{"proto2 packed packable", legacy, nil, cat(rec(1, 0, varint(1)), rec(3, 2, lenPrefixed(varint(5)))), "", 0},
		{"proto2 group any order", legacy, nil, cat(rec(5, 3), rec(1, 0, varint(7)), rec(5, 4), rec(1, 0, varint(1))), "", 0},
		{"editions lax utf8", ed, nil, cat(rec(5, 0, varint(1)), rec(2, 2, lenPrefixed([]byte{0xc3}))), "", 0},
		{"empty payload", shop, nil, nil, "", 0},

		// Malformed.
		{"unknown field", shop, nil, cat(rec(1, 2, lenPrefixed([]byte("a"))), rec(9999, 0, varint(1))), "field 9999 is not declared in shop.Order", 3},
		{"unknown nested field", shop, nil, line(rec(9, 0, varint(1))), `field "lines[0]": field 9 is not declared in shop.Order.Line`, 3},
		{"wrong wire type", shop, nil, rec(1, 0, varint(1)), `field "id": wire type 0 (varint) does not fit a string field; expected 2 (length-delimited)`, 0},
		{"wrong wire type packable", shop, nil, rec(24, 5, make([]byte, 4)), "expected 0 (varint), or 2 (length-delimited) when packed", 0},
		{"packed on singular", shop, nil, rec(2, 2, lenPrefixed(varint(1))), "wire type 2 (length-delimited) does not fit an int32 field", 0},
		{"message as varint", shop, nil, rec(17, 0, varint(1)), `field "lines[0]": wire type 0 (varint) does not fit a message field`, 0},
		{"map as fixed", shop, nil, rec(18, 1, make([]byte, 8)), "does not fit a map field", 0},
		{"reserved wire type", shop, nil, rec(1, 7), "wire type 7 (invalid)", 0},
		{"end group at top", shop, nil, rec(1, 4), "end-group tag for field 1 without a matching start-group", 0},
		{"11-byte varint", shop, nil, rec(3, 0, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), `field "i64": varint longer than 10 bytes`, 1},
		{"10th byte too big", shop, nil, rec(3, 0, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}), "varint longer than 10 bytes", 1},
		{"varint cut off", shop, nil, rec(3, 0, []byte{0x80}), "varint cut off", 1},
		{"tag cut off", shop, nil, []byte{0x80}, "field tag: varint cut off", 0},
		{"tag 11 bytes", shop, nil, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "field tag: varint longer", 0},
		{"field number 0", shop, nil, []byte{0x00}, "field number 0", 0},
		{"field number huge", shop, nil, protowire.AppendVarint(nil, uint64(1)<<40), "above the maximum", 0},
		{"fixed32 short", shop, nil, rec(9, 5, []byte{1, 2}), `field "f32": fixed32 value needs 4 bytes, only 2 left`, 1},
		{"fixed64 short", shop, nil, rec(14, 1, []byte{1, 2, 3}), `double value needs 8 bytes, only 3 left`, 1},
		{"length past end", shop, nil, rec(1, 2, varint(300), []byte("abc")), `field "id": length 300 runs past the end of the data: only 3 bytes left`, 1},
		{"length past nested end", shop, nil, cat(line(rec(1, 2, varint(5), []byte("ab"))), rec(1, 2, lenPrefixed([]byte("xxxxxx")))), `field "lines[0].sku": length 5 runs past the end of the data: only 2 bytes left`, 4},
		{"length prefix bad", shop, nil, rec(15, 2, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "length prefix: varint longer", 1},
		{"huge length", shop, nil, rec(15, 2, varint(1<<62)), "length 4611686018427387904 runs past the end", 1},
		{"invalid utf8", shop, nil, rec(1, 2, lenPrefixed([]byte("ab\xffc"))), `field "id": string is not valid UTF-8 (byte 0xff at offset 2 of the string)`, 4},
		{"invalid utf8 surrogate", shop, nil, rec(29, 2, lenPrefixed([]byte("\xed\xa0\x80"))), `field "tags[0]": string is not valid UTF-8`, 3},
		{"invalid utf8 map key", shop, nil, rec(18, 2, lenPrefixed(rec(1, 2, lenPrefixed([]byte{0xc0, 0x80})))), `field "counts[0].key": string is not valid UTF-8`, 5},
		{"invalid utf8 third label", shop, nil, cat(line(), line(rec(4, 2, lenPrefixed([]byte("a"))), rec(4, 2, lenPrefixed([]byte("b"))), rec(4, 2, lenPrefixed([]byte{0xfe})))),
			`field "lines[1].labels[2]": string is not valid UTF-8`, 14},
		{"editions strict utf8", ed, nil, cat(rec(5, 0, varint(1)), rec(1, 2, lenPrefixed([]byte{0xc3}))), `field "strict": string is not valid UTF-8`, 4},
		{"packed varint cut", shop, nil, rec(24, 2, lenPrefixed(varint(1), varint(2), []byte{0x80})), `field "packed_ints[2]": packed varint cut off`, 5},
		{"packed index counts earlier", shop, nil, cat(rec(24, 0, varint(1)), rec(24, 2, lenPrefixed(varint(1), []byte{0x80}))), `field "packed_ints[2]": packed varint cut off`, 7},
		{"packed fixed partial", shop, nil, rec(27, 2, lenPrefixed(make([]byte, 6))), `field "fixeds[1]": packed fixed32 data of 6 bytes is not a whole number of 4-byte values`, 7},
		{"packed double partial", shop, nil, rec(26, 2, lenPrefixed(make([]byte, 9))), "not a whole number of 8-byte values", 11},
		{"packed length past end", shop, nil, rec(24, 2, varint(9), varint(1)), "length 9 runs past the end", 2},
		{"depth bomb", shop, nil, deep, "messages nest deeper than 100 levels", 361},
		{"depth bomb path cut", shop, nil, deep, `field "...parent.parent`, 361},
		{"group depth bomb", ed, nil, deepGroups, "messages nest deeper than 100 levels", 101},
		{"sparse field wrong type", shop, nil, rec(1000, 0, varint(1)), `field "ship_to": wire type 0`, 0},
		{"sparse field nested", shop, nil, rec(1000, 2, lenPrefixed(rec(3, 0, varint(1)))), `field "ship_to": field 3 is not declared in shop.Address`, 3},
		{"map value nested", shop, nil, rec(19, 2, lenPrefixed(rec(2, 2, lenPrefixed(rec(2, 2))))), `field "by_pos[0].value.qty": wire type 2`, 5},
		{"second map entry", shop, nil, cat(rec(18, 2, lenPrefixed()), rec(18, 2, lenPrefixed(rec(2, 2)))), `field "counts[1].value"`, 6},
		{"timestamp field", shop, nil, rec(23, 2, lenPrefixed(rec(1, 2, lenPrefixed()))), `field "created.seconds": wire type 2`, 3},

		// proto2 specifics.
		{"required missing", legacy, nil, rec(2, 2, lenPrefixed([]byte("n"))), `at byte 3: required field "id" (number 1) of legacy.Rec is missing`, 3},
		{"required missing in child", legacy, nil, cat(rec(1, 0, varint(1)), rec(7, 2, lenPrefixed())), `field "child": required field "id"`, 4},
		{"required missing in group", legacy, nil, cat(rec(1, 0, varint(1)), rec(6, 3), rec(6, 4)), `field "item[0]": required field "k" (number 1) of legacy.Rec.Item is missing`, 3},
		{"group not closed", legacy, nil, cat(rec(1, 0, varint(1)), rec(5, 3), rec(1, 0, varint(1))), `field "info": group is not closed`, 5},
		{"group wrong end", legacy, nil, cat(rec(1, 0, varint(1)), rec(5, 3), rec(6, 4)), `field "info": end-group tag for field 6 inside group field 5`, 3},
		{"group as bytes", legacy, nil, cat(rec(1, 0, varint(1)), rec(5, 2, lenPrefixed())), "wire type 2 (length-delimited) does not fit a group field; expected 3 (start-group)", 2},
		{"extension wrong type", legacy, nil, cat(rec(1, 0, varint(1)), rec(100, 0, varint(1))), `field "[legacy.tag]": wire type 0`, 2},
		{"extension nested", legacy, nil, cat(rec(1, 0, varint(1)), rec(102, 2, lenPrefixed(rec(2, 0, varint(1))))), `field "[legacy.Holder.holder]": field 2 is not declared in legacy.Holder`, 5},
		{"extension sparse", legacy, nil, cat(rec(1, 0, varint(1)), rec(5000, 0, varint(1))), `field "[legacy.big_ext]": wire type 0`, 2},
		{"extension range undeclared", legacy, nil, cat(rec(1, 0, varint(1)), rec(150, 0, varint(1))), "field 150 is not declared in legacy.Rec", 2},
		{"editions required", ed, nil, rec(1, 2, lenPrefixed()), `required field "req" (number 5) of ed.E is missing`, 2},
		{"editions delimited as bytes", ed, nil, cat(rec(5, 0, varint(1)), rec(3, 2, lenPrefixed())), "does not fit a group field", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fx.s.Validate(tc.indexes, tc.data)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate succeeded, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidPayload) {
				t.Fatalf("error %v is not a *ValidationError wrapping ErrInvalidPayload", err)
			}
			if ve.Offset != tc.offset {
				t.Errorf("offset %d, want %d (%v)", ve.Offset, tc.offset, err)
			}
			if testing.Verbose() {
				t.Log(err)
			}
			if len(err.Error()) > 250 {
				t.Errorf("error is %d bytes long: %v", len(err.Error()), err)
			}
		})
	}
}

// TestValidateTruncated cuts valid payloads at every byte: a cut inside a top-level record
// must fail, a cut between records must pass (the schemas here have no required fields at
// top level), and nothing may panic.
func TestValidateTruncated(t *testing.T) {
	shop := newFixture(t, shopProto)
	ed := newFixture(t, editionsProto)
	for _, tc := range []struct {
		fx   fixture
		text string
	}{
		{shop, fullOrder},
		{ed, `req: 1 strict: "abc" child { req: 2 strict: "x" } nums: 1 nums: 300`},
	} {
		full := tc.fx.encode(t, nil, tc.text)
		boundary := map[int]bool{0: true}
		for b, off := full, 0; len(b) > 0; {
			_, _, n := protowire.ConsumeField(b)
			if n < 0 {
				t.Fatalf("encoder output does not parse at %d", off)
			}
			b, off = b[n:], off+n
			boundary[off] = true
		}
		required := tc.fx.s == ed.s
		for k := range len(full) {
			err := tc.fx.s.Validate(nil, full[:k])
			switch {
			case !boundary[k] && err == nil:
				t.Errorf("cut at %d of %d, inside a record, validates", k, len(full))
			case boundary[k] && err != nil && !required:
				t.Errorf("cut at %d, between records: %v", k, err)
			}
			var ve *ValidationError
			if err != nil && (!errors.As(err, &ve) || ve.Offset < 0 || ve.Offset > k) {
				t.Errorf("cut at %d: bad error %v", k, err)
			}
		}
	}
}

func TestMessageIndexes(t *testing.T) {
	s := mustParse(t, shopProto)
	for _, tc := range []struct {
		indexes []int
		want    string // full name, or an error fragment
	}{
		{nil, "shop.Order"},
		{[]int{}, "shop.Order"},
		{[]int{0}, "shop.Order"},
		{[]int{1}, "shop.Address"},
		{[]int{0, 0}, "shop.Order.Line"},
		{[]int{0, 1}, "shop.Order.CountsEntry"},
		{[]int{0, 2}, "shop.Order.ByPosEntry"},
		{[]int{1, 0}, "shop.Address.Geo"},
		{[]int{1, 0, 0}, "shop.Address.Geo.Point"},
		{[]int{2}, "message index 2 out of range: schema.proto declares 2 top-level messages"},
		{[]int{-1}, "message index -1 out of range"},
		{[]int{0, 3}, "message index 3 (position 1 of the index path) out of range: shop.Order declares 3 nested messages"},
		{[]int{1, 0, 1}, "message index 1 (position 2 of the index path) out of range: shop.Address.Geo declares 1 nested message"},
		{[]int{1, 0, 0, 0}, "shop.Address.Geo.Point declares 0 nested messages"},
	} {
		name, err := s.MessageName(tc.indexes)
		verr := s.Validate(tc.indexes, nil)
		if strings.Contains(tc.want, " ") {
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrMessageIndex) {
				t.Errorf("MessageName(%v) = %q, %v; want error %q", tc.indexes, name, err, tc.want)
			}
			if verr == nil || verr.Error() != err.Error() || !errors.Is(verr, ErrMessageIndex) {
				t.Errorf("Validate(%v) = %v, want %v", tc.indexes, verr, err)
			}
			continue
		}
		if err != nil || name != tc.want {
			t.Errorf("MessageName(%v) = %q, %v; want %q", tc.indexes, name, err, tc.want)
		}
		if verr != nil {
			t.Errorf("Validate(%v, nil) = %v", tc.indexes, verr)
		}
	}
	empty := mustParse(t, `syntax = "proto3"; enum E { X = 0; }`)
	if err := empty.Validate(nil, nil); err == nil || !strings.Contains(err.Error(), "declares 0 top-level messages") {
		t.Errorf("schema without messages: %v", err)
	}
	var none *Schema
	if _, err := none.Message(nil); err == nil {
		t.Error("nil schema: Message succeeded")
	}
	if err := none.Validate(nil, nil); err == nil {
		t.Error("nil schema: Validate succeeded")
	}
}

func TestValidateConcurrentFirstUse(t *testing.T) {
	fx := newFixture(t, shopProto)
	data := fx.encode(t, nil, fullOrder)
	s := mustParse(t, shopProto) // fresh: tables not built yet
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := s.Validate(nil, data); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func TestValidateNoAllocs(t *testing.T) {
	fx := newFixture(t, shopProto)
	data := fx.encode(t, nil, fullOrder)
	if err := fx.s.Validate(nil, data); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = fx.s.Validate([]int{0}, data) }); n != 0 {
		t.Errorf("Validate allocates %v times per run, want 0", n)
	}
}

// benchOrder is a realistic record: ids, amounts, a timestamp, a few lines.
const benchOrder = `
id: "ord-2024-000123" i64: 1700000000123 status: PAID flag: true db: 129.95
card: "visa-4242" created { seconds: 1700000000 nanos: 123000000 }
lines { sku: "SKU-RED-XL" qty: 2 price: 49.99 }
lines { sku: "SKU-BLUE-M" qty: 1 price: 29.97 labels: "sale" }
counts { key: "items" value: 3 }
ship_to { street: "1 Infinite Loop" city: "Cupertino" }
`

func BenchmarkValidate(b *testing.B) {
	fx := newFixture(b, shopProto)
	data := fx.encode(b, nil, benchOrder)
	indexes := []int{0}
	if err := fx.s.Validate(indexes, data); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ReportMetric(float64(len(data)), "payload-bytes")
	for b.Loop() {
		if err := fx.s.Validate(indexes, data); err != nil {
			b.Fatal(err)
		}
	}
}
