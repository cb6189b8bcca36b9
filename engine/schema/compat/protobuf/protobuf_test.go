package protobuf

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

func mustParse(t *testing.T, text string, deps ...Dependency) *Schema {
	t.Helper()
	s, err := Parse(text, deps)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	return s
}

func changeStrings(cs []Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Type + " " + c.Path
	}
	slices.Sort(out)
	return out
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		deps       []Dependency
		want       string // substring of the error
	}{
		{"syntax", "syntax = \"proto3\";\nmessage M {\n  string a = ;\n}\n", nil, "schema.proto:3:14"},
		{"unknown type", "syntax = \"proto3\";\nmessage M { Nope a = 1; }\n", nil, "Nope"},
		{"missing import", "syntax = \"proto3\";\nimport \"x.proto\";\nmessage M { int32 a = 1; }\n", nil, "x.proto"},
		{"duplicate number", "syntax = \"proto3\";\nmessage M { int32 a = 1; int32 b = 1; }\n", nil, "schema.proto:2"},
		{"unnamed dependency", "syntax = \"proto3\";\n", []Dependency{{Text: "syntax = \"proto3\";"}}, "no name"},
		{"reserved dependency name", "syntax = \"proto3\";\n", []Dependency{{Name: SchemaFileName, Text: "x"}}, "reserved"},
		{"bad dependency", "syntax = \"proto3\";\nimport \"d.proto\";\n", []Dependency{{Name: "d.proto", Text: "message {"}}, "d.proto:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.text, tc.deps)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if !errors.Is(err, ErrParse) {
				t.Errorf("error %v does not wrap ErrParse", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestConfluentImports checks that Confluent's implicit files resolve from our own copies,
// with their options usable the way Confluent's serializers write them.
func TestConfluentImports(t *testing.T) {
	s := mustParse(t, `syntax = "proto3";
import "confluent/meta.proto";
import "confluent/type/decimal.proto";
option (confluent.file_meta) = { doc: "file" };
message DecimalValue {
  option (confluent.message_meta).doc = "message";
  confluent.type.Decimal value = 1 [(confluent.field_meta) = {
    doc: "field", params: [{ key: "precision", value: "8" }, { key: "scale", value: "3" }] }];
}
enum Status {
  option (confluent.enum_meta) = { doc: "enum" };
  ACTIVE = 0 [(confluent.enum_value_meta) = { tags: ["x"] }];
}
`)
	m := s.File().Messages().ByName("DecimalValue")
	if m == nil {
		t.Fatal("DecimalValue missing")
	}
	dec := m.Fields().ByName("value").Message()
	if got := string(dec.FullName()); got != "confluent.type.Decimal" {
		t.Errorf("value type %q", got)
	}
	for name, num := range map[string]int32{"value": 1, "precision": 2, "scale": 3} {
		f := dec.Fields().ByName(protoreflect.Name(name))
		if f == nil || int32(f.Number()) != num {
			t.Errorf("Decimal.%s: %v, want number %d", name, f, num)
		}
	}
	// Also via google/protobuf imports, which protocompile provides.
	mustParse(t, `syntax = "proto3";
import "google/protobuf/timestamp.proto";
message E { google.protobuf.Timestamp at = 1; }`)
}

func TestBackwardRules(t *testing.T) {
	const p3 = "syntax = \"proto3\";\n"
	const p2 = "syntax = \"proto2\";\n"
	for _, tc := range []struct {
		name       string
		old, new   string
		want       []string
		compatible bool
	}{
		{"identical", p3 + "message M { int32 a = 1; }", p3 + "message M { int32 a = 1; }", nil, true},
		{"whitespace and comments", p3 + "message M { int32 a = 1; }", p3 + "// c\nmessage M {\n  int32 a = 1; // x\n}", nil, true},
		{"rename field", p3 + "message M { int32 a = 1; }", p3 + "message M { int32 b = 1; }",
			[]string{"FIELD_NAME_CHANGED #/M/1"}, true},
		{"zigzag group", p3 + "message M { sint32 a = 1; }", p3 + "message M { sint64 a = 1; }", nil, true},
		{"fixed32 group", p3 + "message M { fixed32 a = 1; }", p3 + "message M { sfixed32 a = 1; }", nil, true},
		{"bool is varint", p3 + "message M { bool a = 1; }", p3 + "message M { uint64 a = 1; }", nil, true},
		{"float to double", p3 + "message M { float a = 1; }", p3 + "message M { double a = 1; }",
			[]string{"FIELD_SCALAR_KIND_CHANGED #/M/1"}, false},
		{"int32 to sint32", p3 + "message M { int32 a = 1; }", p3 + "message M { sint32 a = 1; }",
			[]string{"FIELD_SCALAR_KIND_CHANGED #/M/1"}, false},
		{"implicit to repeated is not a label change", p3 + "message M { int32 a = 1; }", p3 + "message M { repeated int32 a = 1; }", nil, true},
		{"proto2 optional to repeated", p2 + "message M { optional int32 a = 1; }", p2 + "message M { repeated int32 a = 1; }",
			[]string{"FIELD_NUMERIC_LABEL_CHANGED #/M/1"}, false},
		{"proto2 optional to required", p2 + "message M { optional string a = 1; }", p2 + "message M { required string a = 1; }",
			[]string{"FIELD_STRING_OR_BYTES_LABEL_CHANGED #/M/1"}, true},
		{"enum label change is numeric", p3 + "enum E { A = 0; }\nmessage M { optional E a = 1; }", p3 + "enum E { A = 0; }\nmessage M { repeated E a = 1; }",
			[]string{"FIELD_NUMERIC_LABEL_CHANGED #/M/1"}, false},
		{"proto3 optional is not a oneof", p3 + "message M { int32 a = 1; }", p3 + "message M { optional int32 a = 1; int32 b = 2; }",
			[]string{"FIELD_ADDED #/M/2"}, true},
		{"enum constants", p3 + "enum E { A = 0; B = 1; C = 2; }", p3 + "enum E { A = 0; BB = 1; D = 3; }",
			[]string{"ENUM_CONST_ADDED #/E/3", "ENUM_CONST_CHANGED #/E/1", "ENUM_CONST_REMOVED #/E/2"}, true},
		{"nested enum", p3 + "message M { enum E { A = 0; } }", p3 + "message M { enum E { A = 0; B = 1; } }",
			[]string{"ENUM_CONST_ADDED #/M/E/1"}, true},
		{"message removed", p3 + "message M { int32 a = 1; }\nmessage N { int32 a = 1; }", p3 + "message M { int32 a = 1; }",
			[]string{"MESSAGE_REMOVED #/N"}, false},
		{"nested message moved", p3 + "message M { message A {} message B {} }", p3 + "message M { message B {} message A {} }",
			[]string{"MESSAGE_MOVED #/M/A", "MESSAGE_MOVED #/M/B"}, true},
		{"map fields do not move messages", p3 + "message M { int32 x = 1; }\nmessage N {}", p3 + "message M { int32 x = 1; map<string, int32> m = 2; }\nmessage N {}",
			[]string{"FIELD_ADDED #/M/2"}, true},
		{"map value message changed", p3 + "message A {}\nmessage B {}\nmessage M { map<string, A> m = 1; }", p3 + "message A {}\nmessage B {}\nmessage M { map<string, B> m = 1; }",
			[]string{"FIELD_NAMED_TYPE_CHANGED #/M/1"}, false},
		{"map to message", p3 + "message M { map<string, string> m = 1; }", p3 + "message M { repeated E m = 1; }\nmessage E { string key = 1; string value = 2; }",
			[]string{"FIELD_KIND_CHANGED #/M/1", "MESSAGE_ADDED #/E"}, false},
		{"required removed", p2 + "message M { required int32 a = 1; }", p2 + "message M { }",
			[]string{"REQUIRED_FIELD_REMOVED #/M/1"}, false},
		{"whole oneof removed", p3 + "message M { int32 x = 9; oneof o { int32 a = 1; int32 b = 2; } }", p3 + "message M { int32 x = 9; }",
			[]string{"ONEOF_REMOVED #/M/o"}, true},
		{"package added", p3 + "message M {}", p3 + "package p;\nmessage M {}",
			[]string{"PACKAGE_CHANGED #/"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, changes := Backward(mustParse(t, tc.old), mustParse(t, tc.new))
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if got := changeStrings(changes); !slices.Equal(got, want) {
				t.Errorf("changes %v, want %v", got, want)
			}
			if ok != tc.compatible {
				t.Errorf("compatible = %v, want %v", ok, tc.compatible)
			}
		})
	}
}

// TestImportedTypes checks the reference rule: an imported message is only compared field by
// field when the two sides resolve it from different references, and recursion ends.
func TestImportedTypes(t *testing.T) {
	const main = `syntax = "proto3";
import "dep.proto";
message M { d.Node n = 1; }`
	dep := func(kind string) string {
		return "syntax = \"proto3\";\npackage d;\nmessage Node { " + kind + " v = 1; Node next = 2; }"
	}
	v1 := Dependency{Name: "dep.proto", Text: dep("int32"), Subject: "dep", Version: 1}
	v2 := Dependency{Name: "dep.proto", Text: dep("string"), Subject: "dep", Version: 2}
	v1again := Dependency{Name: "dep.proto", Text: dep("string"), Subject: "dep", Version: 1}

	ok, changes := Backward(mustParse(t, main, v1), mustParse(t, main, v2))
	want := []string{"FIELD_NAMED_TYPE_CHANGED #/M/1", "FIELD_SCALAR_KIND_CHANGED #/Node/1"}
	if got := changeStrings(changes); ok || !slices.Equal(got, want) {
		t.Errorf("different versions: ok=%v changes %v, want false %v", ok, got, want)
	}
	// Same subject and version: trusted to be the same file, not compared.
	if ok, changes := Backward(mustParse(t, main, v1), mustParse(t, main, v1again)); !ok || len(changes) != 0 {
		t.Errorf("same reference: ok=%v changes %v, want true and none", ok, changeStrings(changes))
	}
	// No reference (a transitive file): compared, identical, so compatible.
	noRef := Dependency{Name: "dep.proto", Text: dep("int32")}
	if ok, changes := Backward(mustParse(t, main, noRef), mustParse(t, main, noRef)); !ok || len(changes) != 0 {
		t.Errorf("no reference: ok=%v changes %v, want true and none", ok, changeStrings(changes))
	}
}

// TestForwardIsSwapped spells out FORWARD as the swapped BACKWARD check on a pair that is
// compatible one way only.
func TestForwardIsSwapped(t *testing.T) {
	a := mustParse(t, "syntax = \"proto3\";\nmessage M { int32 a = 1; }")
	b := mustParse(t, "syntax = \"proto3\";\nmessage M { int32 a = 1; }\nmessage N {}")
	if ok, _ := Backward(a, b); !ok {
		t.Error("adding a message should be BACKWARD compatible")
	}
	if ok, _ := Backward(b, a); ok {
		t.Error("removing a message should not be BACKWARD compatible (so a->b is not FORWARD)")
	}
}

func TestBackwardNil(t *testing.T) {
	s := mustParse(t, "syntax = \"proto3\";")
	if ok, changes := Backward(nil, s); ok || changes != nil {
		t.Errorf("Backward(nil, s) = %v, %v", ok, changes)
	}
	if ok, changes := Backward(s, nil); ok || changes != nil {
		t.Errorf("Backward(s, nil) = %v, %v", ok, changes)
	}
}

func TestAllowed(t *testing.T) {
	for _, typ := range []string{PackageChanged, MessageRemoved, FieldKindChanged, FieldScalarKindChanged,
		FieldNamedTypeChanged, FieldNumericLabelChanged, RequiredFieldAdded, RequiredFieldRemoved,
		OneofFieldRemoved, MultipleFieldsMovedToOneof, FieldMovedToExistingOneof, "NONSENSE"} {
		if Allowed(typ) {
			t.Errorf("Allowed(%s) = true", typ)
		}
	}
	for _, typ := range []string{MessageAdded, MessageMoved, EnumAdded, EnumRemoved, EnumConstAdded,
		EnumConstChanged, EnumConstRemoved, FieldAdded, FieldRemoved, FieldNameChanged,
		FieldStringOrBytesLabelChanged, OneofAdded, OneofRemoved, OneofFieldAdded, OneofFieldMovedToTopLevel} {
		if !Allowed(typ) {
			t.Errorf("Allowed(%s) = false", typ)
		}
	}
}
