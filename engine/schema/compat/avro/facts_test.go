package avro

import (
	"fmt"
	"strings"
	"testing"
)

// The Avro facts table of ../shared/notes/schema-registry.md section 3.3 (gathered there from
// Confluent's, Karapace's and Apache Avro's own tests), one row per fact. A row is either an
// evolution old → new with its BACKWARD and FORWARD answers (FULL is both), or a single
// reader ← writer pair. want lists changes that must be among those reported, as
// "TYPE path".

// rec is a record schema named name with the given field JSON objects.
func rec(name string, fields ...string) string {
	return fmt.Sprintf(`{"type":"record","name":%q,"fields":[%s]}`, name, strings.Join(fields, ","))
}

// fld is a field JSON object; typ is JSON (a quoted name or a schema object), extra is
// appended JSON members (`"default":0`) or empty.
func fld(name, typ, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return fmt.Sprintf(`{"name":%q,"type":%s%s}`, name, typ, extra)
}

// q quotes a primitive type name as JSON.
func q(s string) string { return fmt.Sprintf("%q", s) }

func enum(name string, symbols ...string) string {
	return fmt.Sprintf(`{"type":"enum","name":%q,"symbols":["%s"]}`, name, strings.Join(symbols, `","`))
}

func enumDef(name, def string, symbols ...string) string {
	return fmt.Sprintf(`{"type":"enum","name":%q,"default":%q,"symbols":["%s"]}`, name, def, strings.Join(symbols, `","`))
}

func fixed(name string, size int) string {
	return fmt.Sprintf(`{"type":"fixed","name":%q,"size":%d}`, name, size)
}

// evolution is a fact about changing a schema from old to new.
type evolution struct {
	name              string
	old, new          string
	backward, forward bool
	want              []string // changes of the BACKWARD check
}

// pairFact is a fact about one reader ← writer pair.
type pairFact struct {
	name           string
	reader, writer string
	compatible     bool
	want           []string
}

var (
	schema1 = rec("myrecord", fld("f1", q("string"), ""))
	schema2 = rec("myrecord", fld("f1", q("string"), ""), fld("f2", q("string"), `"default":"foo"`))
	schema3 = rec("myrecord", fld("f1", q("string"), ""), fld("f2", q("string"), ""))
)

func evolutionFacts() []evolution {
	u := func(types ...string) string { return "[" + strings.Join(types, ",") + "]" }
	return []evolution{
		{"add field with default", schema1, schema2, true, true, nil},
		{"add field without default", schema1, schema3, false, true,
			[]string{"READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"}},
		{"remove field with default", schema2, schema1, true, true, nil},
		{"remove field without default", schema3, schema1, true, false, nil},
		{"rename field, new name aliases old", schema1,
			rec("myrecord", fld("f1_new", q("string"), `"aliases":["f1"]`)), true, false, nil},
		{"T to union [null,T]", schema1,
			rec("myrecord", fld("f1", u(q("null"), q("string")), "")), true, false, nil},
		{"union [null,string] to string", rec("myrecord", fld("f1", u(q("null"), q("string")), "")),
			schema1, false, true, []string{"TYPE_MISMATCH /fields/0/type"}},
		{"add a type to a union", rec("myrecord", fld("f1", u(q("null"), q("string")), "")),
			rec("myrecord", fld("f1", u(q("null"), q("string"), q("int")), "")), true, false, nil},
		{"remove a type from a union", rec("myrecord", fld("f1", u(q("null"), q("string"), q("int")), "")),
			rec("myrecord", fld("f1", u(q("null"), q("string")), "")), false, true,
			[]string{"MISSING_UNION_BRANCH /fields/0/type/2"}},
		{"add default to an existing field", schema3, schema2, true, true, nil},
		{"remove default from an existing field", schema2, schema3, true, true, nil},
		{"enum: only its default changed, even to a non-symbol",
			rec("r", fld("e", enumDef("E", "A", "A", "B"), "")),
			rec("r", fld("e", enumDef("E", "C", "A", "B"), "")), true, true, nil},
		// Confluent-specific: doc, aliases-only and custom-property changes do not matter.
		{"doc, aliases and custom properties changed",
			`{"type":"record","name":"r","doc":"one","fields":[{"name":"a","type":"int","doc":"x"}]}`,
			`{"type":"record","name":"r","doc":"two","aliases":["q"],"x-prop":1,"fields":[{"name":"a","type":"int","doc":"y","aliases":["b"],"x-f":true}]}`,
			true, true, nil},
	}
}

func pairFacts() []pairFact {
	var facts []pairFact
	add := func(name, reader, writer string, ok bool, want ...string) {
		facts = append(facts, pairFact{name, reader, writer, ok, want})
	}
	// Primitive promotions.
	for _, p := range []string{"null", "boolean", "int", "long", "float", "double", "bytes", "string"} {
		add("same primitive "+p, q(p), q(p), true)
	}
	for _, rw := range [][2]string{{"long", "int"}, {"float", "int"}, {"float", "long"}, {"double", "int"},
		{"double", "long"}, {"double", "float"}, {"string", "bytes"}, {"bytes", "string"}} {
		add("promotion "+rw[0]+" <- "+rw[1], q(rw[0]), q(rw[1]), true)
	}
	for _, rw := range [][2]string{{"int", "long"}, {"int", "float"}, {"int", "double"}, {"long", "float"},
		{"long", "double"}, {"float", "double"}, {"null", "int"}, {"boolean", "int"}, {"int", "boolean"},
		{"int", "null"}, {"string", "int"}, {"string", "boolean"}, {"bytes", "int"}, {"bytes", "null"},
		{"double", "string"}} {
		add("no promotion "+rw[0]+" <- "+rw[1], q(rw[0]), q(rw[1]), false, "TYPE_MISMATCH /")
	}
	add("fixed <- string", fixed("F", 4), q("string"), false, "TYPE_MISMATCH /")
	add("record <- int", rec("R", fld("a", q("int"), "")), q("int"), false, "TYPE_MISMATCH /")
	add("int <- enum", q("int"), enum("E", "A"), false, "TYPE_MISMATCH /")
	add("enum <- int", enum("E", "A"), q("int"), false, "TYPE_MISMATCH /")
	add("map <- array", `{"type":"map","values":"int"}`, `{"type":"array","items":"int"}`, false, "TYPE_MISMATCH /")
	add("array <- map", `{"type":"array","items":"int"}`, `{"type":"map","values":"int"}`, false, "TYPE_MISMATCH /")

	// Containers.
	arr := func(t string) string { return fmt.Sprintf(`{"type":"array","items":%q}`, t) }
	mp := func(t string) string { return fmt.Sprintf(`{"type":"map","values":%q}`, t) }
	add("array<long> <- array<int>", arr("long"), arr("int"), true)
	add("map<long> <- map<int>", mp("long"), mp("int"), true)
	add("array<int> <- array<long>", arr("int"), arr("long"), false, "TYPE_MISMATCH /items")
	add("map<int> <- map<long>", mp("int"), mp("long"), false, "TYPE_MISMATCH /values")
	add("array <- array of the same items", arr("string"), arr("string"), true)

	// Named types: enums.
	add("enum [A,B,C] <- [A,B]", enum("Enum1", "A", "B", "C"), enum("Enum1", "A", "B"), true)
	add("enum [A,B] <- [A,B,C]", enum("Enum1", "A", "B"), enum("Enum1", "A", "B", "C"), false,
		"MISSING_ENUM_SYMBOLS /symbols")
	add("enum [B,C] <- [A,B,C]", enum("Enum1", "B", "C"), enum("Enum1", "A", "B", "C"), false,
		"MISSING_ENUM_SYMBOLS /symbols")
	add("record with enum, reader [A,B] default A <- writer [A,B,C] default A",
		rec("R", fld("e", enumDef("E", "A", "A", "B"), "")),
		rec("R", fld("e", enumDef("E", "A", "A", "B", "C"), "")), true)
	// Names.
	add("enum Enum1 <- Enum2", enum("Enum1", "A"), enum("Enum2", "A"), false, "NAME_MISMATCH /name")
	add("record Record2 <- Record1", rec("Record2", fld("a", q("int"), "")), rec("Record1", fld("a", q("int"), "")),
		false, "NAME_MISMATCH /name")
	add("fixed Fixed <- AnotherName", fixed("Fixed", 4), fixed("AnotherName", 4), false, "NAME_MISMATCH /name")
	add("reader aliases list the writer's full name",
		`{"type":"record","name":"Record2","aliases":["Record1"],"fields":[{"name":"a","type":"int"}]}`,
		rec("Record1", fld("a", q("int"), "")), true)
	add("nested record ns1.InnerRecord1 <- ns2.InnerRecord1",
		rec("Outer", fld("inner", `{"type":"record","name":"InnerRecord1","namespace":"ns1","fields":[{"name":"a","type":"int"}]}`, "")),
		rec("Outer", fld("inner", `{"type":"record","name":"InnerRecord1","namespace":"ns2","fields":[{"name":"a","type":"int"}]}`, "")),
		true)
	// Fixed sizes.
	add("fixed(4) <- fixed(8)", fixed("F", 4), fixed("F", 8), false, "FIXED_SIZE_MISMATCH /size")
	add("fixed(8) <- fixed(4)", fixed("F", 8), fixed("F", 4), false, "FIXED_SIZE_MISMATCH /size")
	add("fixed size inside a record",
		rec("R", fld("a", q("int"), ""), fld("f", fixed("F", 4), "")),
		rec("R", fld("a", q("int"), ""), fld("f", fixed("F", 8), "")), false, "FIXED_SIZE_MISMATCH /fields/1/type/size")
	// Field lookup.
	add("reader field absent in writer, no default", rec("R", fld("a", q("int"), ""), fld("b", q("int"), "")),
		rec("R", fld("a", q("int"), "")), false, "READER_FIELD_MISSING_DEFAULT_VALUE /fields/1")
	add("reader field found by its alias", rec("R", fld("b", q("int"), `"aliases":["a"]`)),
		rec("R", fld("a", q("int"), "")), true)
	add("writer fields absent in reader are ignored", rec("R", fld("a", q("int"), "")),
		rec("R", fld("a", q("int"), ""), fld("z", q("string"), "")), true)
	add("record alias on the reader reads writer foo",
		`{"type":"record","name":"other","aliases":["foo"],"fields":[{"name":"a","type":"int"}]}`,
		rec("foo", fld("a", q("int"), "")), true)
	// Recursive records.
	list := func(t string) string {
		return fmt.Sprintf(`{"type":"record","name":"List","fields":[{"name":"head","type":%q},{"name":"tail","type":["null","List"]}]}`, t)
	}
	add("int-list <- int-list", list("int"), list("int"), true)
	add("long-list <- int-list", list("long"), list("int"), true)
	add("int-list <- long-list", list("int"), list("long"), false, "TYPE_MISMATCH /fields/0/type")

	// Unions, reader <- writer.
	add("float <- [int,float]", q("float"), `["int","float"]`, true)
	add("long <- [int,long]", q("long"), `["int","long"]`, true)
	add("double <- [int,long,float,double]", q("double"), `["int","long","float","double"]`, true)
	add("float <- [int,long,float,double]", q("float"), `["int","long","float","double"]`, false, "TYPE_MISMATCH /")
	add("long <- [int,float]", q("long"), `["int","float"]`, false, "TYPE_MISMATCH /")
	add("int <- [int,float]", q("int"), `["int","float"]`, false, "TYPE_MISMATCH /")
	add("[int] <- int", `["int"]`, q("int"), true)
	add("int <- [int]", q("int"), `["int"]`, true)
	add("float <- [float]", q("float"), `["float"]`, true)
	for _, rw := range [][2]string{{`[]`, `[]`}, {`["float"]`, `[]`}, {`["float"]`, `["int"]`}, {`["float"]`, `["long"]`},
		{`["float"]`, `["int","long"]`}, {`["int","string"]`, `["string","int"]`}, {`["double"]`, `["int","float"]`},
		{`["string"]`, `["bytes"]`}, {`["bytes"]`, `["string"]`}} {
		add(rw[0]+" <- "+rw[1], rw[0], rw[1], true)
	}
	r1 := rec("Record1", fld("a", q("int"), ""))
	r2 := rec("Record2", fld("a", q("int"), ""))
	for _, c := range []struct{ reader, writer, want string }{
		{`["int"]`, `["int","string"]`, "MISSING_UNION_BRANCH /1"},
		{`["string"]`, `["int","string"]`, "MISSING_UNION_BRANCH /0"},
		{`["int"]`, `["int",` + r1 + `]`, "MISSING_UNION_BRANCH /1"},
		{`["int",` + r1 + `]`, `["int",` + r2 + `]`, "MISSING_UNION_BRANCH /1"},
		{`["int"]`, `["int",` + enum("E", "A") + `]`, "MISSING_UNION_BRANCH /1"},
		{`["int"]`, `["int",` + fixed("F", 4) + `]`, "MISSING_UNION_BRANCH /1"},
		{`["int"]`, `["int","boolean"]`, "MISSING_UNION_BRANCH /1"},
		{`["int"]`, `["long"]`, "MISSING_UNION_BRANCH /0"},
		{`["int"]`, `["float"]`, "MISSING_UNION_BRANCH /0"},
		{`["int"]`, `["double"]`, "MISSING_UNION_BRANCH /0"},
		{`["int"]`, `["bytes"]`, "MISSING_UNION_BRANCH /0"},
		{`["int"]`, `["int",{"type":"array","items":"int"}]`, "MISSING_UNION_BRANCH /1"},
		{`["int"]`, `["int",{"type":"map","values":"int"}]`, "MISSING_UNION_BRANCH /1"},
		{`["int"]`, `["int","null"]`, "MISSING_UNION_BRANCH /1"},
		{`["int","string"]`, `["int","string","long"]`, "MISSING_UNION_BRANCH /2"},
	} {
		add(c.reader+" <- "+c.writer, c.reader, c.writer, false, c.want)
	}
	for _, t := range []struct{ name, typ string }{
		{"array", `{"type":"array","items":"int"}`},
		{"record", r1},
		{"enum", enum("E", "A", "B")},
		{"fixed (with aliases)", `{"type":"fixed","name":"F","aliases":["G"],"size":4}`},
		{"string", q("string")},
		{"map", `{"type":"map","values":"long"}`},
	} {
		add("field T read by [null,T], T = "+t.name,
			rec("R", fld("f", `["null",`+t.typ+`]`, "")), rec("R", fld("f", t.typ, "")), true)
	}

	// Records with defaults (Apache Avro's set).
	a, aDef, aLong := fld("a", q("int"), ""), fld("a", q("int"), `"default":0`), fld("a", q("long"), "")
	b, bDef := fld("b", q("int"), ""), fld("b", q("int"), `"default":0`)
	for _, c := range []struct {
		name           string
		reader, writer []string
	}{
		{"{} <- {}", nil, nil},
		{"{} <- {a:int}", nil, []string{a}},
		{"{a:int} <- {a:int}", []string{a}, []string{a}},
		{"{a:int=0} <- {a:int}", []string{aDef}, []string{a}},
		{"{a:int} <- {a:int=0}", []string{a}, []string{aDef}},
		{"{a:long} <- {a:int}", []string{aLong}, []string{a}},
		{"{a:int} <- {a:int,b:int}", []string{a}, []string{a, b}},
		{"{a:int=0} <- {a:int,b:int}", []string{aDef}, []string{a, b}},
		{"{a:int,b:int=0} <- {a:int}", []string{a, bDef}, []string{a}},
		{"{a:int=0,b:int=0} <- {}", []string{aDef, bDef}, nil},
		{"{a:int=0,b:int=0} <- {a:int}", []string{aDef, bDef}, []string{a}},
		{"{a:int,b:int} <- {a:int=0,b:int=0}", []string{a, b}, []string{aDef, bDef}},
	} {
		add("record "+c.name, rec("R", c.reader...), rec("R", c.writer...), true)
	}
	add("record {a:int} <- {}", rec("R", a), rec("R"), false, "READER_FIELD_MISSING_DEFAULT_VALUE /fields/0")
	add("record {a:int,b:int=0} <- {}", rec("R", a, bDef), rec("R"), false, "READER_FIELD_MISSING_DEFAULT_VALUE /fields/0")
	add("record {a:int=0,b:Enum1} <- {a:int=0,b:Enum2}",
		rec("R", aDef, fld("b", enum("Enum1", "A"), "")), rec("R", aDef, fld("b", enum("Enum2", "A"), "")),
		false, "NAME_MISMATCH /fields/1/type/name")
	add("record {a:int=0,b:[int]} <- {a:int=0,b:[int,string]}",
		rec("R", aDef, fld("b", `["int"]`, "")), rec("R", aDef, fld("b", `["int","string"]`, "")),
		false, "MISSING_UNION_BRANCH /fields/1/type/1")
	add("null <- null", q("null"), q("null"), true)
	add(`{"type":"null"} <- {"type":"null"}`, `{"type":"null"}`, `{"type":"null"}`, true)

	// Confluent-specific: an invalid default is accepted by the parser (no default validation).
	add(`invalid default "null" for a [null,string] field is accepted`,
		rec("R", fld("f", `["null","string"]`, `"default":"null"`)),
		rec("R", fld("f", `["null","string"]`, `"default":null`)), true)
	return facts
}

func mustParse(t *testing.T, text string) *Schema {
	t.Helper()
	s, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(%s): %v", text, err)
	}
	return s
}

// checkWant reports whether every wanted "TYPE path" is among changes.
func checkWant(changes []Change, want []string) error {
	got := map[string]bool{}
	for _, c := range changes {
		got[c.Type+" "+c.Path] = true
	}
	for _, w := range want {
		if !got[w] {
			return fmt.Errorf("missing change %q in %v", w, changes)
		}
	}
	return nil
}

func TestAvroFacts(t *testing.T) {
	rows, passed := 0, 0
	for _, f := range evolutionFacts() {
		rows++
		ok := t.Run("evolution/"+f.name, func(t *testing.T) {
			old, next := mustParse(t, f.old), mustParse(t, f.new)
			gotB, changes := Backward(old, next)
			if gotB != f.backward {
				t.Errorf("BACKWARD = %v, want %v (changes %v)", gotB, f.backward, changes)
			}
			if err := checkWant(changes, f.want); err != nil {
				t.Error(err)
			}
			if gotF, changes := Backward(next, old); gotF != f.forward {
				t.Errorf("FORWARD = %v, want %v (changes %v)", gotF, f.forward, changes)
			}
		})
		if ok {
			passed++
		}
	}

	// Transitive: v3 reads v2 but not v1, so BACKWARD_TRANSITIVE rejects v3; v1 reads v3.
	rows++
	if t.Run("evolution/transitive v1 v2 v3", func(t *testing.T) {
		v1, v2, v3 := mustParse(t, schema1), mustParse(t, schema2), mustParse(t, schema3)
		if ok, ch := Backward(v2, v3); !ok {
			t.Errorf("v3 vs v2 BACKWARD = false, want true (%v)", ch)
		}
		if ok, _ := Backward(v1, v3); ok {
			t.Errorf("v3 vs v1 BACKWARD = true, want false")
		}
		if ok, ch := Backward(v3, v1); !ok {
			t.Errorf("v3 vs v1 FORWARD = false, want true (%v)", ch)
		}
	}) {
		passed++
	}

	for _, f := range pairFacts() {
		rows++
		ok := t.Run("pair/"+f.name, func(t *testing.T) {
			got, changes := Check(mustParse(t, f.reader), mustParse(t, f.writer))
			if got != f.compatible {
				t.Errorf("compatible = %v, want %v (changes %v)", got, f.compatible, changes)
			}
			if got != (len(changes) == 0) {
				t.Errorf("compatible = %v but %d changes", got, len(changes))
			}
			if err := checkWant(changes, f.want); err != nil {
				t.Error(err)
			}
			for _, c := range changes {
				if c.Compatible || c.Description == "" || !strings.HasPrefix(c.Path, "/") {
					t.Errorf("malformed change %+v", c)
				}
			}
		})
		if ok {
			passed++
		}
	}
	t.Logf("Avro facts table (notes 3.3): %d/%d rows pass", passed, rows)
}
