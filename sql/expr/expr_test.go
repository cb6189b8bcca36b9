package expr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/sql/parser"
	"github.com/streamlite/streamlite/sql/types"
)

// testScope is the fixed scope of the tests and the fuzzer.
func testScope() *Scope {
	return &Scope{Columns: []Column{
		{Qualifier: "S", Name: "ID", Type: types.TInt()},
		{Qualifier: "S", Name: "B", Type: types.TBigint()},
		{Qualifier: "S", Name: "D", Type: types.TDouble()},
		{Qualifier: "S", Name: "DEC", Type: types.DecimalOf(4, 2)},
		{Qualifier: "S", Name: "STR", Type: types.TString()},
		{Qualifier: "S", Name: "FLAG", Type: types.TBoolean()},
		{Qualifier: "S", Name: "ARR", Type: types.ArrayOf(types.TBigint())},
		{Qualifier: "S", Name: "TS", Type: types.TTimestamp()},
		{Qualifier: "S", Name: "N", Type: types.TInt()},
		{Qualifier: "S", Name: "X", Type: types.TInt()},
		{Qualifier: "T", Name: "X", Type: types.TString()},
	}}
}

func testRows() [][]types.Value {
	dec, _ := types.ParseDecimal("12.34")
	return [][]types.Value{
		{int32(10), int64(100), 1.5, dec, "hello", true, []types.Value{int64(1), int64(2), int64(3)}, types.Timestamp(1000), nil, int32(1), "x"},
		make([]types.Value, 11),
	}
}

func eval(t *testing.T, src string) types.Value {
	t.Helper()
	e, err := parser.ParseExpr(src)
	if err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	c, err := Compile(e, testScope(), Options{})
	if err != nil {
		t.Fatalf("compile %q: %v", src, err)
	}
	v, err := c.Eval(testRows()[0])
	if err != nil {
		t.Fatalf("eval %q: %v", src, err)
	}
	return v
}

func TestEval(t *testing.T) {
	cases := []struct{ src, want string }{
		{"ID + 1", "11"},
		{"ID / 0", "null"},
		{"ID * B", "1000"},
		{"D * 2", "3.0"},
		{"DEC + 1", "13.34"},
		{"-ID", "-10"},
		{"'a' + 'b'", "ab"},
		{"ID = 10", "true"},
		{"ID > 9.5", "true"},
		{"ID <> B", "true"},
		{"N = 1", "false"}, // ksqlDB: comparing with a NULL operand is false
		{"N <> 1", "false"},
		{"N < 1", "false"},
		{"N IS NULL", "true"},
		{"N IS NOT NULL", "false"},
		{"N IS DISTINCT FROM CAST(NULL AS INT)", "false"},
		{"ID IS DISTINCT FROM N", "true"},
		{"N = 1 AND FALSE", "false"},
		{"N = 1 OR TRUE", "true"},
		{"N = 1 OR FALSE", "false"},
		{"NOT (N = 1)", "true"},
		{"N BETWEEN 1 AND 2", "null"},
		{"FLAG AND CAST(NULL AS BOOLEAN)", "null"},
		{"NOT FLAG", "false"},
		{"ID BETWEEN 5 AND 10", "true"},
		{"ID NOT BETWEEN 5 AND 10", "false"},
		{"STR BETWEEN 'a' AND 'i'", "true"},
		{"ID IN (1, 2.0, '10.000')", "true"},
		{"ID IN (1, 2)", "false"},
		{"ID NOT IN (1, 2)", "true"},
		{"N IN (1, NULL)", "null"},
		{"STR IN (true, 10, 'hello')", "true"},
		{"FLAG IN ('Y')", "true"},
		{"ARR IN (ARRAY[1, 2, 3])", "true"},
		{"STR LIKE 'h%o'", "true"},
		{"STR LIKE 'h_llo'", "true"},
		{"STR LIKE 'h_l'", "false"},
		{"STR NOT LIKE '%z%'", "true"},
		{"'50%' LIKE '50!%' ESCAPE '!'", "true"},
		{"'50x' LIKE '50!%' ESCAPE '!'", "false"},
		{"CASE WHEN ID > 5 THEN 'big' ELSE 'small' END", "big"},
		{"CASE ID WHEN 1 THEN 1 WHEN 10 THEN 2.5 END", "2.5"},
		{"CASE WHEN N > 5 THEN 1 END", "null"},
		{"CAST(STR AS INT)", "null"},
		{"CAST('42' AS INT) + 1", "43"},
		{"CAST(ID AS STRING)", "10"},
		{"ARR[1]", "1"},
		{"ARR[-1]", "3"},
		{"ARR[4]", "null"},
		{"ARR[0]", "null"},
		{"ARRAY[1, 2, NULL]", "[1, 2, null]"},
		{"TS > '1970-01-01T00:00:00'", "true"},
		{"T.X", "x"},
		{"S.X + 1", "2"},
		{"STRUCT(A := 1, B := 'x')->B", "x"},
		{"DATE '2020-01-02'", "2020-01-02"},
		// functions
		{"ABS(-5)", "5"},
		{"abs(-2.5)", "2.5"},
		{"ROUND(2.5)", "3"},
		{"ROUND(D)", "2"},
		{"ROUND(1.2345, 2)", "1.2300"},
		{"ROUND(1.255e0, 2)", "1.26"},
		{"CEIL(1.2e0)", "2.0"},
		{"FLOOR(-1.2e0)", "-2.0"},
		{"SQRT(16)", "4.0"},
		{"SIGN(-3)", "-1"},
		{"GREATEST(1, 5, 3)", "5"},
		{"LEAST(D, 2.5)", "1.5"},
		{"GREATEST(N, 4)", "4"},
		{"CONCAT('a', STR, NULL)", "ahello"},
		{"CONCAT_WS('-', 'a', NULL, 'b')", "a-b"},
		{"UCASE(STR)", "HELLO"},
		{"LEN(STR)", "5"},
		{"TRIM('  x ')", "x"},
		{"SUBSTRING(STR, 2)", "ello"},
		{"SUBSTRING(STR, 2, 3)", "ell"},
		{"SUBSTRING(STR, -3)", "llo"},
		{"SUBSTRING(STR, -3, 2)", "ll"},
		{"SUBSTRING(STR, 10)", ""},
		{"INSTR(STR, 'l')", "3"},
		{"INSTR(STR, 'l', -1)", "4"},
		{"INSTR(STR, 'l', 1, 2)", "4"},
		{"REPLACE(STR, 'l', 'L')", "heLLo"},
		{"LPAD(STR, 8, 'ab')", "abahello"},
		{"RPAD(STR, 3, 'x')", "hel"},
		{"INITCAP('hello wORLD')", "Hello World"},
		{"SPLIT('a,b,,c', ',')", "[a, b, , c]"},
		{"IFNULL(N, 7)", "7"},
		{"COALESCE(NULL, N, ID)", "10"},
		{"NULLIF(ID, 10)", "null"},
		{"ELT(2, 'a', 'b')", "b"},
		{"FIELD('b', 'a', 'b')", "2"},
		{"REGEXP_EXTRACT('(\\d+)', 'ab12cd', 1)", "12"},
		{"REGEXP_REPLACE('aaa', 'a', 'b')", "bbb"},
		{"URL_EXTRACT_PARAMETER('http://x.com/p?a=1&b=2', 'b')", "2"},
		{"URL_EXTRACT_HOST('http://x.com:80/p')", "x.com"},
		{"ARRAY_LENGTH(ARR)", "3"},
		{"UNIX_TIMESTAMP(TS)", "1000"},
		{"FROM_UNIXTIME(B)", "1970-01-01T00:00:00.100"},
	}
	for _, c := range cases {
		if got := types.ValueString(eval(t, c.src)); got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
	}
}

func TestTypes(t *testing.T) {
	cases := []struct{ src, want string }{
		{"ID + B", "BIGINT"},
		{"DEC + 1", "DECIMAL(13, 2)"},
		{"ID = 1", "BOOLEAN"},
		{"CASE WHEN FLAG THEN 1 ELSE 2.5 END", "DECIMAL(11, 1)"},
		{"ROUND(D)", "BIGINT"},
		{"ROUND(DEC)", "DECIMAL(2, 0)"},
		{"SPLIT(STR, ',')", "ARRAY<STRING>"},
		{"ARR[1]", "BIGINT"},
		{"ARRAY[1, 2.5]", "ARRAY<DECIMAL(11, 1)>"},
		{"GREATEST(ID, D)", "DOUBLE"},
	}
	for _, c := range cases {
		e, err := parser.ParseExpr(c.src)
		if err != nil {
			t.Fatal(err)
		}
		ce, err := Compile(e, testScope(), Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got := ce.Type().String(); got != c.want {
			t.Errorf("type of %s = %s, want %s", c.src, got, c.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"ID >= 'not an int'", "line 1:1: Cannot compare ID (INTEGER) to 'not an int' (STRING) with GREATER_THAN_OR_EQUAL."},
		{"ID = STR", "Cannot compare ID (INTEGER) to STR (STRING) with EQUAL."},
		{"FLAG < TRUE", "with LESS_THAN."},
		{"X", "Column 'X' is ambiguous"},
		{"NOPE", "Column 'NOPE' cannot be resolved."},
		{"Z.ID", "Column 'Z.ID' cannot be resolved."},
		{"TRUE + 1.5", "Unsupported arithmetic types. BOOLEAN DECIMAL"},
		{"FOO(1)", "Can't find any functions with the name 'FOO'"},
		{"SUBSTRING(1)", "Function 'substring' does not accept parameters (INTEGER)."},
		{"SUBSTRING(STR, NULL, B)", "Function 'substring' does not accept parameters (STRING, null, BIGINT)."},
		{"FLAG IN (true, 10)", "Invalid Predicate: operator does not exist: BOOLEAN = INTEGER (10)\nHint: You might need to add explicit type casts."},
		{"ID IN (10, '10 - not a number')", "Invalid Predicate: invalid input syntax for type INTEGER: \"10 - not a number\"."},
		{"ID IN (10, STR)", "Invalid Predicate: operator does not exist: INTEGER = STRING (STR)"},
		{"ARR IN (ARR, ARRAY['10', 'not 10'])", "Invalid Predicate: invalid input syntax for type BIGINT: \"not 10\""},
		{"ARR IN (ARRAY[1], ARRAY_LENGTH(ARR))", "operator does not exist: ARRAY<BIGINT> = INTEGER (ARRAY_LENGTH(ARR))"},
		{"CAST(STR AS ARRAY<INT>)", "Cast of STRING to ARRAY<INTEGER> is not supported"},
		{"ID AND FLAG", "AND requires a BOOLEAN operand"},
		{"CASE WHEN FLAG THEN 1 ELSE 'x' END", "Invalid Case expression"},
		{"STR LIKE 1", "LIKE requires STRING operands"},
		{"ID[1]", "Subscript expression can only be applied to ARRAY"},
		{"COUNT(*)", "Aggregate function COUNT"},
	}
	for _, c := range cases {
		e, err := parser.ParseExpr(c.src)
		if err != nil {
			t.Fatalf("parse %q: %v", c.src, err)
		}
		_, err = Compile(e, testScope(), Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.src, err, c.want)
		}
	}
}

func TestNullRow(t *testing.T) {
	for _, src := range []string{"ID + 1", "SUBSTRING(STR, 2)", "ARR[1]", "ID IN (1)", "STR LIKE 'a%'", "CAST(STR AS INT)"} {
		e, _ := parser.ParseExpr(src)
		c, err := Compile(e, testScope(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.Eval(testRows()[1])
		if err != nil || v != nil {
			t.Errorf("%s on NULL row = %v, %v; want NULL", src, v, err)
		}
	}
}

func TestIsAggregateCall(t *testing.T) {
	if !IsAggregateCall("count") || !IsAggregateCall("SUM") || !IsAggregateCall("sum_list") || IsAggregateCall("ABS") {
		t.Fatal("IsAggregateCall wrong")
	}
}

func TestLikeMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"%", "", true}, {"_", "", false}, {"a%b%c", "aXbYc", true}, {"a%b%c", "aXbY", false},
		{"%%a", "ba", true}, {"é_", "éx", true}, {"", "", true}, {"", "a", false},
	}
	for _, c := range cases {
		toks, err := compileLikePattern(c.p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := likeMatch(toks, c.s); got != c.want {
			t.Errorf("%q LIKE %q = %v", c.s, c.p, got)
		}
	}
}

// The date/time formatting functions round-trip through Java patterns.
func TestTimeFormatFunctions(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"TIMESTAMPTOSTRING(1526075913000, 'yyyy-MM-dd HH:mm:ss')", "2018-05-11 21:58:33"},
		{"STRINGTOTIMESTAMP('2018-05-11 21:58:33', 'yyyy-MM-dd HH:mm:ss')", "1526075913000"},
		{"FORMAT_DATE(FROM_DAYS(1), 'yyyy-MM-dd')", "1970-01-02"},
		{"PARSE_DATE('1970-01-03', 'yyyy-MM-dd')", "1970-01-03"},
		{"STRINGTOTIMESTAMP('not a time', 'yyyy-MM-dd')", "<nil>"},
		{"ENCODE('4869', 'hex', 'utf8')", "Hi"},
		{"ENCODE('Hi', 'utf8', 'base64')", "SGk="},
		{"FROM_BYTES(TO_BYTES('SGk=', 'base64'), 'hex')", "4869"},
		{"ENCODE('zz', 'hex', 'utf8')", "<nil>"},
	} {
		e, err := parser.ParseExpr(c.src)
		if err != nil {
			t.Fatal(err)
		}
		comp, err := Compile(e, &Scope{}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		v, err := comp.Eval(nil)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got := fmt.Sprint(v); got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
	}
}
