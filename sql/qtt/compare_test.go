package qtt

import (
	"encoding/json"
	"testing"
)

// TestCompareValue checks each value rule of the corpus README step 5 both
// ways: a case that matches and one that must not.
func TestCompareValue(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	tests := []struct {
		name     string
		exp, act any
		typ      string
		match    bool
	}{
		{"int exact", n("10"), n("10"), "", true},
		{"int differs", n("10"), n("11"), "", false},
		{"bigint beyond float precision", n("9007199254740993"), int64(9007199254740992), "BIGINT", false},
		{"go int", n("3"), 3, "", true},
		{"double within 1e-6", n("0.1"), 0.1000004, "", true},
		{"double outside 1e-6", n("0.1"), 0.100002, "", false},
		{"typed double json.Number", n("1.0"), n("1"), "DOUBLE", true},
		{"untyped non-integral json.Number as double", n("1.5"), n("1.50000001"), "", true},
		{"decimal exact", n("1.10"), n("1.10"), "DECIMAL(3,2)", true},
		{"decimal scale differs", n("1.10"), n("1.1"), "DECIMAL(2,1)", false},
		{"decimal integer literal vs scale 2", n("1"), n("1.00"), "DECIMAL(3,2)", false},
		{"decimal exponent form", n("1.5E+1"), n("15"), "DECIMAL(2,0)", true},
		{"decimal exponent scale", n("1.5E+1"), n("15.0"), "DECIMAL(3,1)", false},
		{"string vs decimal text", "1.10", n("1.10"), "DECIMAL(3,2)", true},
		{"string vs other decimal text", "1.1", n("1.10"), "DECIMAL(3,2)", false},
		{"string vs double number", "1.0", n("1.0"), "DOUBLE", false},
		{"bytes base64", "IQ==", []byte("!"), "", true},
		{"bytes base64 differs", "IQ==", []byte("?"), "", false},
		{"null vs null", nil, nil, "", true},
		{"null vs value", nil, "x", "", false},
		{"value vs null", "x", nil, "", false},
		{"bool", true, true, "", true},
		{"bool differs", true, false, "", false},
		{"array", []any{n("1"), "a"}, []any{n("1"), "a"}, "", true},
		{"array order", []any{n("1"), n("2")}, []any{n("2"), n("1")}, "", false},
		{"array length", []any{n("1")}, []any{n("1"), n("1")}, "", false},
		{"array of decimal", []any{n("1.0")}, []any{n("1.00")}, "ARRAY<DECIMAL(3,2)>", false},
		{"object upper-case lookup", map[string]any{"a": n("1")}, map[string]any{"A": n("1")}, "", true},
		{"object exact name first", map[string]any{"a": n("1")}, map[string]any{"a": n("1")}, "", true},
		{"object field count", map[string]any{"A": n("1")}, map[string]any{"A": n("1"), "B": nil}, "", false},
		{"object vs scalar", map[string]any{"A": n("1")}, "x", "", false},
		{"number vs string", n("1"), "1", "", false},
		{"nan never matches", n("1"), 0.0 / zero(), "", false},
	}
	for _, tc := range tests {
		got := CompareValue(tc.exp, tc.act, tc.typ)
		if (got == "") != tc.match {
			t.Errorf("%s: CompareValue(%s, %s, %q) = %q, want match=%v", tc.name, render(tc.exp), render(tc.act), tc.typ, got, tc.match)
		}
	}
}

func zero() float64 { return 0 }

// TestCompareRecordTypes checks that ValueTypes picks the number rule per
// field.
func TestCompareRecordTypes(t *testing.T) {
	exp := Expected{Key: nil, Value: map[string]any{"D": json.Number("1.10"), "F": json.Number("2.0")}}
	act := Record{Value: map[string]any{"D": json.Number("1.1"), "F": json.Number("2.0000001")},
		ValueTypes: map[string]string{"D": "DOUBLE", "F": "DOUBLE"}}
	if m := CompareRecord(exp, act, false); m != "" {
		t.Errorf("doubles: %s", m)
	}
	act.ValueTypes["D"] = "DECIMAL(3,2)"
	if m := CompareRecord(exp, act, false); m == "" {
		t.Error("decimal 1.10 vs 1.1 matched")
	}
	zero := int64(0)
	exp = Expected{Value: nil, Timestamp: &zero}
	if m := CompareRecord(exp, Record{Timestamp: 99}, true); m != "" {
		t.Errorf("zero timestamp without inputs was checked: %s", m)
	}
	if m := CompareRecord(exp, Record{Timestamp: 99}, false); m == "" {
		t.Error("zero timestamp with inputs was not checked")
	}
}

// TestNormalizeSchema checks schema-string normalization.
func TestNormalizeSchema(t *testing.T) {
	a := NormalizeSchema("`ID`  INT KEY ,  `V` DECIMAL( 4, 2 ), H ARRAY< STRUCT<KEY STRING, VALUE BYTES> > HEADERS")
	b := NormalizeSchema("ID INT KEY, V DECIMAL(4,2), H ARRAY<STRUCT<KEY STRING, VALUE BYTES>> HEADERS")
	if a != b {
		t.Errorf("%q != %q", a, b)
	}
	if NormalizeSchema("ID INT KEY, M MAP<STRING,INT>") != NormalizeSchema("ID INTEGER PRIMARY KEY, M MAP<STRING, INTEGER>") {
		t.Error("INT and INTEGER, KEY and PRIMARY KEY should compare equal")
	}
	if NormalizeSchema("ID INT KEY, V INT") == NormalizeSchema("ID INT KEY, V INTEGER KEY") {
		t.Error("a key and a value column should differ")
	}
	if NormalizeSchema("ID INT KEY") == NormalizeSchema("ID BIGINT KEY") {
		t.Error("different types normalized equal")
	}
}

// TestExpandNames checks run naming and substitution for both matrices.
func TestExpandNames(t *testing.T) {
	c := &Case{File: "f.json", Name: "n", Formats: []string{"JSON", "KAFKA"}, Configs: []string{"a", "b"},
		Statements: []string{"X '{FORMAT}' {FORMAT}"}, Properties: map[string]string{"p": "{CONFIG}", "q": "1"},
		Topics: []TopicSpec{{Name: "t", ValueFormat: "{FORMAT}"}}}
	runs := Expand(c)
	want := []string{"f.json :: n - JSON - p=a", "f.json :: n - JSON - p=b", "f.json :: n - KAFKA - p=a", "f.json :: n - KAFKA - p=b"}
	if len(runs) != len(want) {
		t.Fatalf("%d runs", len(runs))
	}
	for i, r := range runs {
		if r.Name != want[i] || r.Err != nil {
			t.Errorf("run %d: %q (%v), want %q", i, r.Name, r.Err, want[i])
		}
	}
	if r := runs[3]; r.Statements[0] != "X 'KAFKA' KAFKA" || r.Properties["p"] != "b" || r.Properties["q"] != "1" || r.Topics[0].ValueFormat != "KAFKA" {
		t.Errorf("substitution: %+v", r)
	}
	if c.Statements[0] != "X '{FORMAT}' {FORMAT}" || c.Properties["p"] != "{CONFIG}" {
		t.Error("Expand modified the case")
	}
}
