package parser

import (
	"strings"
	"testing"

	"github.com/streamlite/streamlite/sql/ast"
)

// TestExprFormat checks precedence and associativity through ast.Format, which
// parenthesizes every binary node the way ksqlDB prints expressions.
func TestExprFormat(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a + b", "(A + B)"},
		{"a + b * c", "(A + (B * C))"},
		{"a * b + c", "((A * B) + C)"},
		{"a - b - c", "((A - B) - C)"},
		{"a / b % c", "((A / B) % C)"},
		{"-a * b", "(-A * B)"},
		{"- (a + b)", "-(A + B)"},
		{"a || b + c", "(A || (B + C))"},
		{"a = 1 AND b = 2 OR c = 3", "(((A = 1) AND (B = 2)) OR (C = 3))"},
		{"a OR b AND c", "(A OR (B AND C))"},
		{"NOT a = b", "(NOT (A = B))"},
		{"NOT NOT a", "(NOT (NOT A))"},
		{"a <> b", "(A <> B)"},
		{"a != b", "(A <> B)"},
		{"a <= b", "(A <= B)"},
		{"a >= b + 1", "(A >= (B + 1))"},
		{"a IS NULL", "(A IS NULL)"},
		{"a IS NOT NULL", "(A IS NOT NULL)"},
		{"a IS DISTINCT FROM b", "(A IS DISTINCT FROM B)"},
		{"a IS NOT DISTINCT FROM b", "(A IS NOT DISTINCT FROM B)"},
		{"a BETWEEN 1 AND 2 AND b", "((A BETWEEN 1 AND 2) AND B)"},
		{"a NOT BETWEEN b - 1 AND b + 1", "(A NOT BETWEEN (B - 1) AND (B + 1))"},
		{"a IN (1, 2, b)", "(A IN (1, 2, B))"},
		{"a NOT IN ('x')", "(A NOT IN ('x'))"},
		{"a LIKE 'x%'", "(A LIKE 'x%')"},
		{"a NOT LIKE 'x!%' ESCAPE '!'", "(A NOT LIKE 'x!%' ESCAPE '!')"},
		{"count(*)", "COUNT(*)"},
		{"count()", "COUNT()"},
		{"substring(s, 1, 2)", "SUBSTRING(S, 1, 2)"},
		{"count(DISTINCT x)", "COUNT(DISTINCT X)"},
		{"cast(a as decimal(4,2))", "CAST(A AS DECIMAL(4, 2))"},
		{"CAST(x AS ARRAY<STRING>)", "CAST(X AS ARRAY<STRING>)"},
		{"cast(x as int)", "CAST(X AS INTEGER)"},
		{"cast(x as varchar)", "CAST(X AS STRING)"},
		{"CASE WHEN a > 1 THEN 'x' WHEN a < 0 THEN 'y' ELSE 'z' END", "(CASE WHEN (A > 1) THEN 'x' WHEN (A < 0) THEN 'y' ELSE 'z' END)"},
		{"CASE a WHEN 1 THEN 2 END", "(CASE A WHEN 1 THEN 2 END)"},
		{"arr[1]", "ARR[1]"},
		{"headers[1]->key", "HEADERS[1]->KEY"},
		{"s.a", "S.A"},
		{"`Mixed`", "`Mixed`"},
		{"`Mixed`.`col`", "`Mixed`.`col`"},
		{`"quoted"`, "`quoted`"},
		{"'it''s'", "'it''s'"},
		{"TRUE AND false", "(true AND false)"},
		{"NULL", "null"},
		{"ARRAY[1, 1 + 1]", "ARRAY[1, (1 + 1)]"},
		{"ARRAY[]", "ARRAY[]"},
		{"STRUCT(a := 1, b := 'x')", "STRUCT(A:=1, B:='x')"},
		{"MAP('k' := 1)", "MAP('k':=1)"},
		{"1.50", "1.50"},
		{"-1.50", "-1.50"},
		{"1e3", "1e3"},
		{".5", ".5"},
		{"((a))", "A"},
		{"a -1", "(A - 1)"},
		{"a - -1", "(A - -1)"},
		{"DATE '2020-01-01'", "DATE '2020-01-01'"},
		{"key", "KEY"},
		{"1R", "`1R`"},
		{"timestamp + size", "(TIMESTAMP + SIZE)"},
	}
	for _, tc := range tests {
		e, err := ParseExpr(tc.in)
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", tc.in, err)
			continue
		}
		if got := ast.Format(e); got != tc.want {
			t.Errorf("Format(ParseExpr(%q)) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestLiterals checks literal typing: INT vs BIGINT by range, DECIMAL keeps its text,
// exponents are DOUBLE, a leading minus belongs to the literal.
func TestLiterals(t *testing.T) {
	tests := []struct {
		in   string
		kind ast.LiteralKind
		text string
		val  int64
	}{
		{"1", ast.LitInt, "1", 1},
		{"2147483647", ast.LitInt, "2147483647", 2147483647},
		{"2147483648", ast.LitBigint, "2147483648", 2147483648},
		{"-2147483648", ast.LitInt, "-2147483648", -2147483648},
		{"-2147483649", ast.LitBigint, "-2147483649", -2147483649},
		{"9223372036854775807", ast.LitBigint, "9223372036854775807", 9223372036854775807},
		{"-9223372036854775808", ast.LitBigint, "-9223372036854775808", -9223372036854775808},
		{"1.10", ast.LitDecimal, "1.10", 0},
		{"0.00", ast.LitDecimal, "0.00", 0},
		{"1.0E1", ast.LitDouble, "1.0E1", 0},
		{"1e-1", ast.LitDouble, "1e-1", 0},
		{"'a''b'", ast.LitString, "a'b", 0},
		{"true", ast.LitBoolean, "TRUE", 0},
		{"null", ast.LitNull, "NULL", 0},
	}
	for _, tc := range tests {
		e, err := ParseExpr(tc.in)
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", tc.in, err)
			continue
		}
		l, ok := e.(*ast.Literal)
		if !ok {
			t.Errorf("ParseExpr(%q) = %T, want *ast.Literal", tc.in, e)
			continue
		}
		if l.Kind != tc.kind || l.Text != tc.text || l.Int != tc.val {
			t.Errorf("ParseExpr(%q) = kind %d text %q int %d, want kind %d text %q int %d",
				tc.in, l.Kind, l.Text, l.Int, tc.kind, tc.text, tc.val)
		}
	}
	for _, bad := range []string{"9223372036854775808", "-9223372036854775809"} {
		_, err := ParseExpr(bad)
		if err == nil || !strings.Contains(err.Error(), "Invalid numeric literal: "+bad) {
			t.Errorf("ParseExpr(%q) error = %v, want Invalid numeric literal", bad, err)
		}
	}
}

// TestExprPositions checks that nodes carry the line and column of their first token.
func TestExprPositions(t *testing.T) {
	e, err := ParseExpr("a +\n  foo(b)")
	if err != nil {
		t.Fatal(err)
	}
	ar := e.(*ast.Arithmetic)
	if got := ar.Left.Pos(); got != (ast.Pos{Line: 1, Column: 1}) {
		t.Errorf("left at %v", got)
	}
	if got := ar.Pos(); got != (ast.Pos{Line: 1, Column: 1}) {
		t.Errorf("binary node at %v, want its first token", got)
	}
	if got := ar.Right.Pos(); got != (ast.Pos{Line: 2, Column: 3}) {
		t.Errorf("call at %v", got)
	}
}

// TestTypes checks type parsing and ksqlDB's printing of types.
func TestTypes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"int", "INTEGER"},
		{"INTEGER", "INTEGER"},
		{"bigint", "BIGINT"},
		{"double", "DOUBLE"},
		{"decimal(10, 2)", "DECIMAL(10, 2)"},
		{"string", "STRING"},
		{"varchar", "STRING"},
		{"VARCHAR(STRING)", "STRING"},
		{"boolean", "BOOLEAN"},
		{"bytes", "BYTES"},
		{"date", "DATE"},
		{"time", "TIME"},
		{"timestamp", "TIMESTAMP"},
		{"array<array<int>>", "ARRAY<ARRAY<INTEGER>>"},
		{"map<string, bigint>", "MAP<STRING, BIGINT>"},
		{"ARRAY<STRUCT<key STRING, value BYTES>>", "ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>>"},
		{"my_type", "MY_TYPE"},
	}
	for _, tc := range tests {
		typ, err := ParseType(tc.in)
		if err != nil {
			t.Errorf("ParseType(%q): %v", tc.in, err)
			continue
		}
		if got := typ.String(); got != tc.want {
			t.Errorf("ParseType(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"NULL", "decimal", "decimal(1)", "int(3)", "array<int", "map<int>", ""} {
		if _, err := ParseType(bad); err == nil {
			t.Errorf("ParseType(%q) succeeded, want error", bad)
		}
	}
}

// TestUnaryPlus checks that only a minus sign is folded into a number (ksqlDB's number
// rule); a plus stays an operator. Found by FuzzParse.
func TestUnaryPlus(t *testing.T) {
	for in, want := range map[string]string{"+0.": "+0.", "+1": "+1", "++1": "+ +1", "-1.5": "-1.5", "- -1": "- -1"} {
		e, err := ParseExpr(in)
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", in, err)
			continue
		}
		if got := ast.Format(e); got != want {
			t.Errorf("Format(ParseExpr(%q)) = %q, want %q", in, got, want)
		}
	}
}
