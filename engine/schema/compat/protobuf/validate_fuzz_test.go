package protobuf

import (
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// FuzzValidate checks Validate against arbitrary bytes and against proto.Marshal. Invariants:
//   - nothing panics; every failure is a *ValidationError (or a message index error) whose
//     offset lies inside the payload and whose text stays short;
//   - a payload Validate accepts, proto.Unmarshal (dynamicpb) accepts too, without unknown
//     fields: Go's parser files records of the wrong wire type as unknown fields, so none
//     may appear (bar the unknown values of proto2's closed enums, which it files there);
//   - a message built by dynamicpb from the fuzzed values and encoded by proto.Marshal
//     validates, unless its parent chain makes it nest deeper than MaxDepth: then it fails.
func FuzzValidate(f *testing.F) {
	f.Add([]byte("\n\x05order\x10\x01"), uint8(0), "sku", int64(42), 1.5)
	f.Add([]byte{0x8a, 0x01, 0x03, 0x0a, 0x01, 0x41}, uint8(3), "ü", int64(-1), math.Inf(1))
	f.Add([]byte{0x08, 0x01, 0x2b, 0x08, 0x07, 0x2c}, uint8(1), "\xff", int64(math.MinInt64), math.NaN())
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, uint8(2), "", int64(0), 0.0)
	shop := newFixture(f, shopProto)
	legacy := newFixture(f, legacyProto)
	ed := newFixture(f, editionsProto)
	fixtures := []fixture{shop, legacy, ed}
	indexSets := [][]int{{0}, {0, 0}, {1}, {0, 1}, {0, 2}, {1, 0, 0}}

	f.Fuzz(func(t *testing.T, data []byte, sel uint8, str string, num int64, dbl float64) {
		fx := fixtures[int(sel)%len(fixtures)]
		indexes := indexSets[int(sel/3)%len(indexSets)]
		checkArbitrary(t, fx, indexes, data)
		checkEncoded(t, shop, legacy, data, sel, str, num, dbl)
	})
}

// checkArbitrary validates data and compares the verdict with proto.Unmarshal's.
func checkArbitrary(t *testing.T, fx fixture, indexes []int, data []byte) {
	err := fx.s.Validate(indexes, data)
	md, merr := fx.s.Message(indexes)
	if merr != nil {
		if !errors.Is(err, ErrMessageIndex) {
			t.Fatalf("bad indexes %v: Validate says %v", indexes, err)
		}
		return
	}
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Offset < 0 || ve.Offset > len(data) || len(err.Error()) > 300 {
			t.Fatalf("bad error %v (payload %d bytes)", err, len(data))
		}
		return
	}
	m := dynamicpb.NewMessage(md)
	if uerr := (proto.UnmarshalOptions{Resolver: fx.res}).Unmarshal(data, m); uerr != nil {
		t.Fatalf("Validate accepts %x, proto.Unmarshal says %v", data, uerr)
	}
	if path := unknownFields(m.ProtoReflect()); path != "" {
		t.Fatalf("Validate accepts %x, but Go's parser found unknown fields in %s", data, path)
	}
}

// unknownFields returns the name of a message holding unknown fields, or "".
func unknownFields(m protoreflect.Message) string {
	if !onlyClosedEnums(m.Descriptor(), m.GetUnknown()) {
		return string(m.Descriptor().FullName())
	}
	found := ""
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		switch {
		case fd.IsList():
			for i := range v.List().Len() {
				found = unknownFields(v.List().Get(i).Message())
				if found != "" {
					return false
				}
			}
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					found = unknownFields(mv.Message())
				}
				return found == ""
			})
		default:
			found = unknownFields(v.Message())
		}
		return found == ""
	})
	return found
}

// onlyClosedEnums reports whether the unknown records b all belong to declared fields of
// closed enum type (where Go's parser files unknown enum values).
func onlyClosedEnums(md protoreflect.MessageDescriptor, b []byte) bool {
	for len(b) > 0 {
		num, _, n := protowire.ConsumeField(b)
		if n < 0 {
			return false
		}
		fd := md.Fields().ByNumber(num)
		if fd == nil || fd.Kind() != protoreflect.EnumKind || !fd.Enum().IsClosed() {
			return false
		}
		b = b[n:]
	}
	return true
}

// checkEncoded builds messages from the fuzzed values with dynamicpb and checks that
// Validate accepts what proto.Marshal writes.
func checkEncoded(t *testing.T, shop, legacy fixture, raw []byte, sel uint8, str string, num int64, dbl float64) {
	order := shop.s.file.Messages().ByName("Order")
	line := order.Messages().ByName("Line")
	fields := order.Fields()
	set := func(m *dynamicpb.Message, name string, v protoreflect.Value) {
		m.Set(m.Descriptor().Fields().ByName(protoreflect.Name(name)), v)
	}
	text := str
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "?")
	}
	o := dynamicpb.NewMessage(order)
	set(o, "id", protoreflect.ValueOfString(text))
	set(o, "i32", protoreflect.ValueOfInt32(int32(num)))
	set(o, "i64", protoreflect.ValueOfInt64(num))
	set(o, "u32", protoreflect.ValueOfUint32(uint32(num)))
	set(o, "u64", protoreflect.ValueOfUint64(uint64(num)))
	set(o, "s32", protoreflect.ValueOfInt32(int32(num>>8)))
	set(o, "s64", protoreflect.ValueOfInt64(-num))
	set(o, "flag", protoreflect.ValueOfBool(num&1 == 1))
	set(o, "f32", protoreflect.ValueOfUint32(uint32(num>>3)))
	set(o, "sf64", protoreflect.ValueOfInt64(num))
	set(o, "fl", protoreflect.ValueOfFloat32(float32(dbl)))
	set(o, "db", protoreflect.ValueOfFloat64(dbl))
	set(o, "raw", protoreflect.ValueOfBytes(raw))
	set(o, "status", protoreflect.ValueOfEnum(protoreflect.EnumNumber(int32(num))))
	lines := o.Mutable(fields.ByName("lines")).List()
	for i := range int(sel % 4) {
		l := dynamicpb.NewMessage(line)
		set(l, "sku", protoreflect.ValueOfString(strings.ToValidUTF8(text[:min(i, len(text))], "")))
		set(l, "qty", protoreflect.ValueOfUint32(uint32(i)))
		l.Mutable(line.Fields().ByName("labels")).List().Append(protoreflect.ValueOfString(text))
		lines.Append(protoreflect.ValueOfMessage(l))
	}
	counts := o.Mutable(fields.ByName("counts")).Map()
	counts.Set(protoreflect.ValueOfString(text).MapKey(), protoreflect.ValueOfInt64(num))
	byPos := o.Mutable(fields.ByName("by_pos")).Map()
	byPos.Set(protoreflect.ValueOfInt32(int32(num)).MapKey(), protoreflect.ValueOfMessage(dynamicpb.NewMessage(line)))
	for _, name := range []string{"packed_ints", "unpacked_ints", "doubles", "fixeds", "statuses"} {
		fd := fields.ByName(protoreflect.Name(name))
		list := o.Mutable(fd).List()
		for i := range int(sel%5) + 1 {
			var v protoreflect.Value
			switch fd.Kind() {
			case protoreflect.Int64Kind:
				v = protoreflect.ValueOfInt64(num * int64(i))
			case protoreflect.Sint32Kind:
				v = protoreflect.ValueOfInt32(int32(num) - int32(i))
			case protoreflect.DoubleKind:
				v = protoreflect.ValueOfFloat64(dbl * float64(i))
			case protoreflect.Fixed32Kind:
				v = protoreflect.ValueOfUint32(uint32(num) + uint32(i))
			case protoreflect.EnumKind:
				v = protoreflect.ValueOfEnum(protoreflect.EnumNumber(int32(num) + int32(i)))
			}
			list.Append(v)
		}
	}
	if num&2 == 0 {
		set(o, "card", protoreflect.ValueOfString(text))
	} else {
		set(o, "credit", protoreflect.ValueOfInt64(num))
	}
	// A chain of parents around the limit for half the inputs (deep chains are slow to build).
	depth := 0
	if sel >= 128 {
		depth = MaxDepth - 12 + int(sel)%24
	}
	top := o
	for range depth {
		p := dynamicpb.NewMessage(order)
		set(p, "parent", protoreflect.ValueOfMessage(top))
		top = p
	}
	b, err := proto.Marshal(top)
	if err != nil {
		t.Fatalf("proto.Marshal: %v", err)
	}
	// The innermost order holds a map entry holding a Line: two levels more.
	nesting := depth + 2
	err = shop.s.Validate(nil, b)
	switch {
	case nesting <= MaxDepth && err != nil:
		t.Fatalf("encoder output (nesting %d) fails: %v", nesting, err)
	case nesting > MaxDepth && (err == nil || !strings.Contains(err.Error(), "nest deeper")):
		t.Fatalf("nesting %d: Validate says %v", nesting, err)
	}

	// proto2: strings need not be UTF-8, required fields, groups, extensions.
	rec := legacy.s.file.Messages().ByName("Rec")
	r := dynamicpb.NewMessage(rec)
	set(r, "id", protoreflect.ValueOfInt64(num))
	set(r, "name", protoreflect.ValueOfString(str))
	info := dynamicpb.NewMessage(rec.Messages().ByName("Info"))
	set(info, "b", protoreflect.ValueOfString(str))
	set(r, "info", protoreflect.ValueOfMessage(info))
	items := r.Mutable(rec.Fields().ByName("item")).List()
	for i := range int(sel % 3) {
		it := dynamicpb.NewMessage(rec.Messages().ByName("Item"))
		set(it, "k", protoreflect.ValueOfInt32(int32(i)))
		items.Append(protoreflect.ValueOfMessage(it))
	}
	for _, name := range []string{"nums", "pnums"} {
		l := r.Mutable(rec.Fields().ByName(protoreflect.Name(name))).List()
		l.Append(protoreflect.ValueOfInt32(int32(num)))
		l.Append(protoreflect.ValueOfInt32(int32(sel)))
	}
	ext := legacy.s.file.Extensions().ByName("tag")
	r.Set(dynamicpb.NewExtensionType(ext).TypeDescriptor(), protoreflect.ValueOfString(str))
	b, err = proto.Marshal(r)
	if err != nil {
		t.Fatalf("proto.Marshal proto2: %v", err)
	}
	if err := legacy.s.Validate(nil, b); err != nil {
		t.Fatalf("proto2 encoder output fails: %v", err)
	}
}
