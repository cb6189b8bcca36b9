package types

import (
	"errors"
	"math"
	"testing"
)

func d(s string) Decimal {
	v, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestTypeStringParse(t *testing.T) {
	for _, s := range []string{"INTEGER", "BIGINT", "DOUBLE", "DECIMAL(4, 2)", "STRING", "BOOLEAN", "BYTES",
		"DATE", "TIME", "TIMESTAMP", "ARRAY<STRING>", "ARRAY<ARRAY<BIGINT>>", "MAP<STRING, INTEGER>",
		"ARRAY<STRUCT<KEY STRING, VALUE BYTES>>"} {
		ty, err := ParseType(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if ty.String() != s {
			t.Errorf("%s printed as %s", s, ty)
		}
	}
	if ty, err := ParseType("array< int >"); err != nil || !ty.Equal(ArrayOf(TInt())) {
		t.Errorf("lenient parse: %v %v", ty, err)
	}
	if HeadersType().String() != "ARRAY<STRUCT<KEY STRING, VALUE BYTES>>" {
		t.Error(HeadersType())
	}
	for _, bad := range []string{"", "FOO", "DECIMAL(0, 0)", "DECIMAL(2, 3)", "DECIMAL(39, 1)", "ARRAY<INT", "INT x"} {
		if _, err := ParseType(bad); !errors.Is(err, ErrParseType) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestCast(t *testing.T) {
	cases := []struct {
		v        Value
		from, to Type
		want     Value // nil with fail=true means ErrCastFailed
		fail     bool
	}{
		{int64(2147483648), TBigint(), TInt(), int32(-2147483648), false},
		{1e20, TDouble(), TInt(), int32(math.MaxInt32), false},
		{-2.7, TDouble(), TBigint(), int64(-2), false},
		{math.NaN(), TDouble(), TInt(), int32(0), false},
		{d("12.99"), DecimalOf(4, 2), TInt(), int32(12), false},
		{1.005, TDouble(), DecimalOf(4, 2), d("1.01"), false},
		{d("1.005"), DecimalOf(4, 3), DecimalOf(3, 2), d("1.01"), false},
		{d("-1.005"), DecimalOf(4, 3), DecimalOf(3, 2), d("-1.01"), false},
		{int32(1000), TInt(), DecimalOf(4, 2), nil, true},
		{" 42 ", TString(), TInt(), int32(42), false},
		{"abc", TString(), TInt(), nil, true},
		{"1.5", TString(), TDouble(), 1.5, false},
		{"12.345", TString(), DecimalOf(5, 2), d("12.35"), false},
		{"yes", TString(), TBoolean(), true, false},
		{"maybe", TString(), TBoolean(), nil, true},
		{10.3, TDouble(), TString(), "10.3", false},
		{1e10, TDouble(), TString(), "1.0E10", false},
		{1.0, TDouble(), TString(), "1.0", false},
		{d("1.10"), DecimalOf(3, 2), TString(), "1.10", false},
		{[]Value{int64(1), int64(3)}, ArrayOf(TBigint()), TString(), "[1, 3]", false},
		{[]Value{int64(1), nil}, ArrayOf(TBigint()), ArrayOf(TString()), []Value{"1", nil}, false},
		{Timestamp(1_600_000_000_123), TTimestamp(), TString(), "2020-09-13T12:26:40.123", false},
		{"2020-09-13T12:26:40.123", TString(), TTimestamp(), Timestamp(1_600_000_000_123), false},
		{"2022-02-02", TString(), TDate(), Date(19025), false},
		{Date(19025), TDate(), TString(), "2022-02-02", false},
		{Timestamp(-1), TTimestamp(), TDate(), Date(-1), false},
		{Timestamp(-1), TTimestamp(), TTime(), Time(MsPerDay - 1), false},
		{Time(45_296_000), TTime(), TString(), "12:34:56", false},
		{"12:34:56.789", TString(), TTime(), Time(45_296_789), false},
		{nil, TString(), TInt(), nil, false},
	}
	for _, c := range cases {
		got, err := Cast(c.v, c.from, c.to)
		if c.fail {
			if !errors.Is(err, ErrCastFailed) || !IsRuntimeError(err) {
				t.Errorf("CAST(%v AS %s): want ErrCastFailed, got %v %v", c.v, c.to, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("CAST(%v AS %s): %v", c.v, c.to, err)
			continue
		}
		if !Equal(got, c.want) {
			t.Errorf("CAST(%v AS %s) = %#v, want %#v", c.v, c.to, got, c.want)
		}
		if dw, ok := c.want.(Decimal); ok && got.(Decimal).String() != dw.String() {
			t.Errorf("CAST(%v AS %s) = %s, want exact %s", c.v, c.to, got, dw)
		}
	}
	for _, bad := range [][2]Type{{TString(), ArrayOf(TInt())}, {TBoolean(), TInt()}, {TBytes(), TString()}, {TTime(), TDate()}} {
		if err := CanCast(bad[0], bad[1]); !errors.Is(err, ErrUnsupportedCast) {
			t.Errorf("%s→%s allowed", bad[0], bad[1])
		}
	}
	if err := CanCast(TString(), ArrayOf(TInt())); err.Error() != "types: unsupported cast: Cast of STRING to ARRAY<INTEGER> is not supported" {
		t.Error(err)
	}
}

func TestArith(t *testing.T) {
	cases := []struct {
		op     Op
		a, b   Value
		ta, tb Type
		want   Value
		rt     string
		fail   bool
	}{
		{OpAdd, int32(math.MaxInt32), int32(1), TInt(), TInt(), int32(math.MinInt32), "INTEGER", false},
		{OpMul, int64(math.MaxInt64), int64(2), TBigint(), TBigint(), int64(-2), "BIGINT", false},
		{OpAdd, int32(6), int64(25), TInt(), TBigint(), int64(31), "BIGINT", false},
		{OpAdd, 3.21, int32(10), TDouble(), TInt(), 13.21, "DOUBLE", false},
		{OpDiv, int32(7), int32(-2), TInt(), TInt(), int32(-3), "INTEGER", false},
		{OpMod, int32(-7), int32(2), TInt(), TInt(), int32(-1), "INTEGER", false},
		{OpDiv, int32(math.MinInt32), int32(-1), TInt(), TInt(), int32(math.MinInt32), "INTEGER", false},
		{OpDiv, int32(1), int32(0), TInt(), TInt(), nil, "INTEGER", true},
		{OpMod, int64(1), int64(0), TBigint(), TBigint(), nil, "BIGINT", true},
		{OpDiv, 1.0, 0.0, TDouble(), TDouble(), math.Inf(1), "DOUBLE", false},
		{OpAdd, d("1.10"), d("2.5"), DecimalOf(3, 2), DecimalOf(2, 1), d("3.60"), "DECIMAL(4, 2)", false},
		{OpSub, d("1.10"), int32(1), DecimalOf(3, 2), TInt(), d("0.10"), "DECIMAL(13, 2)", false},
		{OpMul, d("1.10"), d("2.5"), DecimalOf(3, 2), DecimalOf(2, 1), d("2.750"), "DECIMAL(6, 3)", false},
		{OpDiv, d("1.00"), d("3"), DecimalOf(3, 2), DecimalOf(1, 0), d("0.333333"), "DECIMAL(7, 6)", false},
		{OpDiv, d("2.00"), d("3"), DecimalOf(3, 2), DecimalOf(1, 0), d("0.666667"), "DECIMAL(7, 6)", false},
		{OpDiv, d("1.00"), d("0"), DecimalOf(3, 2), DecimalOf(1, 0), nil, "DECIMAL(7, 6)", true},
		{OpMod, d("7.5"), d("2"), DecimalOf(2, 1), DecimalOf(1, 0), d("1.5"), "DECIMAL(2, 1)", false},
		{OpAdd, d("1.5"), 1.0, DecimalOf(2, 1), TDouble(), 2.5, "DOUBLE", false},
		{OpConcat, "a", "b", TString(), TString(), "ab", "STRING", false},
		{OpAdd, nil, int32(1), TInt(), TInt(), nil, "INTEGER", false},
	}
	for _, c := range cases {
		rt, err := ResultType(c.op, c.ta, c.tb)
		if err != nil || rt.String() != c.rt {
			t.Errorf("%s %s %s: type %s (%v), want %s", c.ta, c.op, c.tb, rt, err, c.rt)
		}
		got, err := Arith(c.op, c.a, c.b, c.ta, c.tb)
		if c.fail {
			if !errors.Is(err, ErrArithmetic) {
				t.Errorf("%v %s %v: want ErrArithmetic, got %v %v", c.a, c.op, c.b, got, err)
			}
			continue
		}
		if err != nil || !Equal(got, c.want) {
			t.Errorf("%v %s %v = %#v (%v), want %#v", c.a, c.op, c.b, got, err, c.want)
		}
		if dw, ok := c.want.(Decimal); ok && got.(Decimal).String() != dw.String() {
			t.Errorf("%v %s %v = %s, want exact %s", c.a, c.op, c.b, got, dw)
		}
	}
	if _, err := ResultType(OpAdd, TString(), TInt()); err == nil {
		t.Error("STRING + INTEGER allowed")
	}
	if rt, _ := ResultType(OpMul, DecimalOf(38, 10), DecimalOf(38, 10)); rt.Precision != 38 {
		t.Errorf("precision not capped: %s", rt)
	}
}

func TestCompareEqualHash(t *testing.T) {
	if c, _ := Compare(int32(1), 1.5); c != -1 {
		t.Error("1 < 1.5")
	}
	if c, _ := Compare(d("1.10"), int64(1)); c != 1 {
		t.Error("1.10 > 1")
	}
	if !Equal(d("1.10"), d("1.1")) || Hash(d("1.10")) != Hash(d("1.1")) {
		t.Error("decimal equality ignores scale")
	}
	if Equal("a", "b") || !Equal(nil, nil) || Equal(nil, int32(0)) {
		t.Error("equality")
	}
	if Hash(int32(5)) != Hash(int64(5)) || Hash("a") == Hash("b") {
		t.Error("hash")
	}
	if _, err := Compare("a", int32(1)); !errors.Is(err, ErrIncomparable) {
		t.Error("string vs int comparable")
	}
	if c, _ := Compare(Date(1), Timestamp(MsPerDay)); c != 0 {
		t.Error("DATE vs TIMESTAMP")
	}
}

func TestFormatDouble(t *testing.T) {
	for f, want := range map[float64]string{10.3: "10.3", 1: "1.0", 1e7: "1.0E7", 1e-4: "1.0E-4", 0.001: "0.001",
		-1.5e-10: "-1.5E-10", 123456.789: "123456.789", math.Inf(-1): "-Infinity"} {
		if got := FormatDouble(f); got != want {
			t.Errorf("%v: %s want %s", f, got, want)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for in, want := range map[string]string{".12": "0.12", "-12.0": "-12.0", "1E+3": "1000", "1.5e-2": "0.015", "007": "7"} {
		got, err := ParseDecimal(in)
		if err != nil || got.String() != want {
			t.Errorf("%s: %s %v want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ".", "1.2.3", "abc", "1e99999", "--1"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
