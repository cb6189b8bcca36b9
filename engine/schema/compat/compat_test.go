package compat_test

import (
	"testing"

	"github.com/streamlite/streamlite/engine/schema/compat"
	"github.com/streamlite/streamlite/engine/schema/compat/avro"
)

// avroCheck adapts the Avro checker to compat.Checker.
func avroCheck(previous, next *avro.Schema) (bool, []compat.Change) {
	ok, cs := avro.Backward(previous, next)
	out := make([]compat.Change, len(cs))
	for i, c := range cs {
		out[i] = compat.Change(c)
	}
	return ok, out
}

func mustAvro(t *testing.T, text string) *avro.Schema {
	t.Helper()
	s, err := avro.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The transitive facts of the notes (3.3): v1 {f1}, v2 {f1, f2 with a default}, v3 {f1, f2
// without one}. v3 reads v2's data (f2 is in it) but not v1's (f2 missing, no default), and v1
// and v2 read v3's data; so BACKWARD accepts v3, BACKWARD_TRANSITIVE rejects it, FORWARD and
// FORWARD_TRANSITIVE accept it, FULL accepts it and FULL_TRANSITIVE rejects it.
func TestLevelsTransitive(t *testing.T) {
	v1 := mustAvro(t, `{"type":"record","name":"r","fields":[{"name":"f1","type":"string"}]}`)
	v2 := mustAvro(t, `{"type":"record","name":"r","fields":[{"name":"f1","type":"string"},{"name":"f2","type":"string","default":"x"}]}`)
	v3 := mustAvro(t, `{"type":"record","name":"r","fields":[{"name":"f1","type":"string"},{"name":"f2","type":"string"}]}`)
	prev := []compat.Version[*avro.Schema]{{Version: 1, Schema: v1, Type: "AVRO"}, {Version: 2, Schema: v2, Type: "AVRO"}}
	want := map[compat.Level]bool{
		compat.Backward: true, compat.BackwardTransitive: false,
		compat.Forward: true, compat.ForwardTransitive: true,
		compat.Full: true, compat.FullTransitive: false, compat.None: true,
	}
	for _, l := range compat.Levels() {
		ok, problems := compat.Check(l, avroCheck, "AVRO", v3, prev)
		if ok != want[l] {
			t.Errorf("%s: compatible %t, want %t (%v)", l, ok, want[l], problems)
		}
		if !ok {
			p := problems[0]
			if p.Type != "READER_FIELD_MISSING_DEFAULT_VALUE" || p.Version != 1 || p.Direction != "BACKWARD" || p.Message() == "" {
				t.Errorf("%s: first problem %+v", l, p)
			}
		}
	}
}

// FORWARD is BACKWARD with the roles swapped: dropping a field without a default is a FORWARD
// problem only (the old reader needs it), reported against the previous version.
func TestLevelsForward(t *testing.T) {
	v1 := mustAvro(t, `{"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"}]}`)
	v2 := mustAvro(t, `{"type":"record","name":"r","fields":[{"name":"a","type":"int"}]}`)
	prev := []compat.Version[*avro.Schema]{{Version: 7, Schema: v1, Type: "AVRO"}}
	if ok, _ := compat.Check(compat.Backward, avroCheck, "AVRO", v2, prev); !ok {
		t.Error("BACKWARD refused dropping a field")
	}
	ok, problems := compat.Check(compat.Forward, avroCheck, "AVRO", v2, prev)
	if ok || len(problems) == 0 || problems[0].Direction != "FORWARD" || problems[0].Version != 7 {
		t.Errorf("FORWARD: %t %+v", ok, problems)
	}
}

// A previous version of another format is always incompatible, except under NONE.
func TestLevelsSchemaTypeChange(t *testing.T) {
	s := mustAvro(t, `"string"`)
	prev := []compat.Version[*avro.Schema]{{Version: 1, Schema: s, Type: "JSON"}}
	if ok, ps := compat.Check(compat.Backward, avroCheck, "AVRO", s, prev); ok || ps[0].Type != "SCHEMA_TYPE_CHANGED" {
		t.Errorf("type change: %t %+v", ok, ps)
	}
	if ok, _ := compat.Check(compat.None, avroCheck, "AVRO", s, prev); !ok {
		t.Error("NONE refused a type change")
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]compat.Level{"backward": compat.Backward, " Full_Transitive ": compat.FullTransitive, "NONE": compat.None} {
		if got, err := compat.ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := compat.ParseLevel("SIDEWAYS"); err == nil {
		t.Error("unknown level accepted")
	}
}
