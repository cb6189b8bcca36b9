package ast

import "testing"

// TestFormatHandBuilt checks Format on trees built by hand, independent of the parser.
func TestFormatHandBuilt(t *testing.T) {
	a := &ColumnRef{Name: "A"}
	lower := &ColumnRef{Qualifier: "s", Name: "my col"}
	tests := []struct {
		e    Expr
		want string
	}{
		{&Arithmetic{Op: OpAdd, Left: a, Right: &Literal{Kind: LitInt, Text: "1"}}, "(A + 1)"},
		{&FunctionCall{Name: "COUNT", Star: true}, "COUNT(*)"},
		{&FunctionCall{Name: "CONCAT", Args: []Expr{a, &Literal{Kind: LitString, Text: "it's"}}}, "CONCAT(A, 'it''s')"},
		{lower, "`s`.`my col`"},
		{&ColumnRef{Name: "SELECT"}, "`SELECT`"},
		{&ColumnRef{Name: "ROWTIME"}, "ROWTIME"},
		{&Negate{Operand: &Negate{Operand: a}}, "- -A"},
		{&Not{Operand: &IsNull{Operand: a, Not: true}}, "(NOT (A IS NOT NULL))"},
		{&Cast{Operand: a, Type: &Type{Kind: TypeDecimal, Precision: 5, Scale: 1}}, "CAST(A AS DECIMAL(5, 1))"},
		{&Literal{Kind: LitDecimal, Text: "1.10"}, "1.10"},
		{&Literal{Kind: LitNull}, "null"},
		{&Comparison{Op: CmpIsNotDistinctFrom, Left: a, Right: a}, "(A IS NOT DISTINCT FROM A)"},
		{&AllColumns{Qualifier: "S"}, "S.*"},
	}
	for _, tc := range tests {
		if got := Format(tc.e); got != tc.want {
			t.Errorf("Format = %q, want %q", got, tc.want)
		}
	}
}

func TestTypeString(t *testing.T) {
	typ := &Type{Kind: TypeMap, Key: &Type{Kind: TypeString}, Elem: &Type{Kind: TypeStruct, Fields: []StructField{
		{Name: "a", Type: &Type{Kind: TypeArray, Elem: &Type{Kind: TypeBigint}}},
	}}}
	if got, want := typ.String(), "MAP<STRING, STRUCT<`a` ARRAY<BIGINT>>>"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestDurationMillis(t *testing.T) {
	tests := []struct {
		d    Duration
		want int64
	}{
		{Duration{Value: 10, Unit: UnitSecond}, 10000},
		{Duration{Value: 2, Unit: UnitDay}, 172800000},
		{Duration{Value: 1, Unit: UnitMillisecond}, 1},
		{Duration{Value: 3, Unit: UnitMinute}, 180000},
		{Duration{Value: 1, Unit: UnitHour}, 3600000},
	}
	for _, tc := range tests {
		if got := tc.d.Millis(); got != tc.want {
			t.Errorf("%d %v = %d ms, want %d", tc.d.Value, tc.d.Unit, got, tc.want)
		}
	}
}

// TestEnumStrings checks the keyword spelling of every enum the planner prints.
func TestEnumStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{TypeInt.String(), "INTEGER"},
		{TypeCustom.String(), "CUSTOM"},
		{TypeKind(99).String(), "TypeKind(99)"},
		{OpConcat.String(), "||"},
		{OpMod.String(), "%"},
		{CmpNotEq.String(), "<>"},
		{CmpIsDistinctFrom.String(), "IS DISTINCT FROM"},
		{JoinFull.String(), "FULL"},
		{JoinType(9).String(), "?"},
		{WindowSession.String(), "SESSION"},
		{UnitMillisecond.String(), "MILLISECONDS"},
		{KindTable.String(), "TABLE"},
		{KindStream.String(), "STREAM"},
		{Pos{Line: 2, Column: 7}.String(), "2:7"},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("case %d: %q, want %q", i, tc.got, tc.want)
		}
	}
}
