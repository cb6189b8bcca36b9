package avro

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ name, text, want string }{
		{"empty", "  ", "empty schema"},
		{"not JSON", "int", "invalid JSON at offset 1"},
		{"truncated", `{"type":"record"`, "invalid JSON"},
		{"trailing data", `"int" "long"`, "data after the schema"},
		{"unknown type", `"Nope"`, "unknown type: Nope"},
		{"record without fields", `{"type":"record","name":"R"}`, "fields"},
		{"bad name", `{"type":"record","name":"1R","fields":[]}`, "name"},
		{"duplicate symbol", `{"type":"enum","name":"E","symbols":["A","A"]}`, "duplicate symbol"},
		{"bad default kept when lifting does not help", `{"type":"record","name":"1R","fields":[{"name":"a","type":"int","default":"x"}]}`, "name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.text)
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want %q", c.text, c.want)
			}
			if !errors.Is(err, ErrInvalidSchema) {
				t.Errorf("error %v does not wrap ErrInvalidSchema", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "avro: avro:") {
				t.Errorf("error %q repeats its prefix", err)
			}
		})
	}
}

func TestParseLiftsInvalidDefaults(t *testing.T) {
	for _, text := range []string{
		`{"type":"record","name":"R","fields":[{"name":"f","type":["null","string"],"default":"null"}]}`,
		`{"type":"record","name":"R","fields":[{"name":"f","type":"int","default":"zero"}]}`,
		`{"type":"enum","name":"E","symbols":["A","B"],"default":"C"}`,
	} {
		s, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%s): %v", text, err)
		}
		if !s.LiftedDefaults() {
			t.Errorf("Parse(%s): LiftedDefaults = false, want true", text)
		}
	}
	s := mustParse(t, `{"type":"record","name":"R","fields":[{"name":"f","type":"int","default":1}]}`)
	if s.LiftedDefaults() || s.Avro() == nil {
		t.Errorf("valid default: LiftedDefaults = %v, Avro() = %v", s.LiftedDefaults(), s.Avro())
	}
	// A lifted field default still counts as a default: the field may be added.
	old := mustParse(t, `{"type":"record","name":"R","fields":[]}`)
	next := mustParse(t, `{"type":"record","name":"R","fields":[{"name":"f","type":"int","default":"zero"}]}`)
	if ok, ch := Backward(old, next); !ok {
		t.Errorf("adding a field with a (lifted) default: incompatible %v", ch)
	}
	// A lifted enum default that is not a symbol cannot absorb missing symbols.
	reader := mustParse(t, `{"type":"enum","name":"E","symbols":["A"],"default":"Z"}`)
	writer := mustParse(t, `{"type":"enum","name":"E","symbols":["A","B"]}`)
	if ok, _ := Check(reader, writer); ok {
		t.Errorf("enum with a non-symbol default read a writer symbol it lacks")
	}
}

func TestParseReferences(t *testing.T) {
	addr := Reference{Name: "com.acme.Address", Schema: `{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"}]}`}
	kind := Reference{Name: "com.acme.Kind", Schema: `{"type":"enum","name":"Kind","namespace":"com.acme","symbols":["A","B"]}`}
	text := `{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"home","type":"Address"},{"name":"k","type":"com.acme.Kind"}]}`
	s, err := Parse(text, addr, kind)
	if err != nil {
		t.Fatalf("Parse with references: %v", err)
	}
	if _, err := Parse(text); err == nil {
		t.Errorf("Parse without the references succeeded; want unknown type")
	}
	// Nothing leaks between calls: the referenced names are not known to a later call.
	if _, err := Parse(`"com.acme.Address"`); err == nil {
		t.Errorf("a referenced type leaked into a later Parse")
	}
	// A changed reference is seen by the check.
	kind2 := Reference{Name: kind.Name, Schema: `{"type":"enum","name":"Kind","namespace":"com.acme","symbols":["A"]}`}
	s2, err := Parse(text, addr, kind2)
	if err != nil {
		t.Fatal(err)
	}
	ok, ch := Backward(s, s2)
	if ok || checkWant(ch, []string{"MISSING_ENUM_SYMBOLS /fields/1/type/symbols"}) != nil {
		t.Errorf("Backward with a narrowed referenced enum = %v %v", ok, ch)
	}
	if _, err := Parse(text, Reference{Name: "bad", Schema: "{"}); err == nil || !strings.Contains(err.Error(), "reference 0 (bad)") {
		t.Errorf("bad reference error = %v", err)
	}
}

func TestLogicalTypesNotCompared(t *testing.T) {
	for _, c := range []struct {
		reader, writer string
		ok             bool
	}{
		{`{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}`, `{"type":"bytes","logicalType":"decimal","precision":4,"scale":1}`, true},
		{`{"type":"long","logicalType":"timestamp-millis"}`, `{"type":"long","logicalType":"timestamp-micros"}`, true},
		{`{"type":"long","logicalType":"timestamp-millis"}`, `{"type":"int","logicalType":"date"}`, true},
		{`{"type":"int","logicalType":"date"}`, `{"type":"long","logicalType":"timestamp-millis"}`, false},
		{`{"type":"string","logicalType":"uuid"}`, `"string"`, true},
		{`{"type":"fixed","name":"D","size":8,"logicalType":"decimal","precision":5}`, `{"type":"fixed","name":"D","size":16,"logicalType":"decimal","precision":5}`, false},
	} {
		if ok, ch := Check(mustParse(t, c.reader), mustParse(t, c.writer)); ok != c.ok {
			t.Errorf("%s <- %s = %v %v, want %v", c.reader, c.writer, ok, ch, c.ok)
		}
	}
}

func TestCheckEdges(t *testing.T) {
	if ok, ch := Check(nil, mustParse(t, `"int"`)); ok || len(ch) != 1 {
		t.Errorf("nil reader = %v %v", ok, ch)
	}
	// Mutually recursive types terminate, and differences inside them are found.
	tree := func(leaf string) string {
		return `{"type":"record","name":"Node","fields":[{"name":"v","type":"` + leaf + `"},
			{"name":"kids","type":{"type":"array","items":{"type":"record","name":"Edge","fields":[
				{"name":"to","type":"Node"},{"name":"m","type":{"type":"map","values":"Node"}}]}}}]}`
	}
	if ok, ch := Check(mustParse(t, tree("long")), mustParse(t, tree("int"))); !ok {
		t.Errorf("long tree <- int tree: %v", ch)
	}
	ok, ch := Check(mustParse(t, tree("int")), mustParse(t, tree("long")))
	if ok || checkWant(ch, []string{"TYPE_MISMATCH /fields/0/type"}) != nil {
		t.Errorf("int tree <- long tree = %v %v", ok, ch)
	}
	// Every problem in a record is reported, not just the first.
	r := mustParse(t, `{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"},{"name":"c","type":"int"}]}`)
	w := mustParse(t, `{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"int"}]}`)
	_, ch = Check(r, w)
	if err := checkWant(ch, []string{"TYPE_MISMATCH /fields/0/type", "TYPE_MISMATCH /fields/1/type",
		"READER_FIELD_MISSING_DEFAULT_VALUE /fields/2"}); err != nil || len(ch) != 3 {
		t.Errorf("all problems: %v (%v)", ch, err)
	}
	// A reader alias with a namespace matches the writer's full name.
	r = mustParse(t, `{"type":"record","name":"New","namespace":"a","aliases":["b.Old"],"fields":[]}`)
	w = mustParse(t, `{"type":"record","name":"Old","namespace":"b","fields":[]}`)
	if ok, ch := Check(r, w); !ok {
		t.Errorf("qualified alias: %v", ch)
	}
	// An unqualified alias is qualified by the reader's namespace, so it misses another one.
	r = mustParse(t, `{"type":"record","name":"New","namespace":"a","aliases":["Old"],"fields":[]}`)
	if ok, _ := Check(r, w); ok {
		t.Errorf("alias a.Old matched writer b.Old")
	}
}
