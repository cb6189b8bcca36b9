package expr

import (
	"strings"
	"testing"
	"time"

	"github.com/streamlite/streamlite/sql/parser"
	"github.com/streamlite/streamlite/sql/types"
)

// evalCases evaluates each src against scope and row and compares types.ValueString of the
// result (and, when given, the result type) with the expectation.
func evalCases(t *testing.T, scope *Scope, row []types.Value, cases []struct{ src, want, typ string }) {
	t.Helper()
	for _, c := range cases {
		e, err := parser.ParseExpr(c.src)
		if err != nil {
			t.Errorf("parse %q: %v", c.src, err)
			continue
		}
		ce, err := Compile(e, scope, Options{})
		if err != nil {
			t.Errorf("compile %q: %v", c.src, err)
			continue
		}
		v, err := ce.Eval(row)
		if err != nil {
			t.Errorf("eval %q: %v", c.src, err)
			continue
		}
		if got := types.ValueString(v); got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
		if c.typ != "" && ce.Type().String() != c.typ {
			t.Errorf("type of %s = %s, want %s", c.src, ce.Type(), c.typ)
		}
	}
}

// compileErrorCases checks that each src fails to compile with an error containing want.
func compileErrorCases(t *testing.T, scope *Scope, cases []struct{ src, want string }) {
	t.Helper()
	for _, c := range cases {
		e, err := parser.ParseExpr(c.src)
		if err != nil {
			t.Errorf("parse %q: %v", c.src, err)
			continue
		}
		_, err = Compile(e, scope, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.src, err, c.want)
		}
	}
}

// Overloads resolve as ksqlDB's UdfIndex does: exact matches first, then implicit casts, a
// tie between equally specific candidates being ambiguous (greatest.json, least.json).
func TestOverloadResolution(t *testing.T) {
	evalCases(t, testScope(), testRows()[0], []struct{ src, want, typ string }{
		{"GREATEST(ID, 5, NULL)", "10", "INTEGER"},
		{"GREATEST(ID, B, DEC, D, NULL)", "100.0", "DOUBLE"},
		{"GREATEST(DATE '2022-06-01', NULL, '2022-06-14')", "2022-06-14", "DATE"},
		{"LEAST(TIME '10:00:00', '09:16:00')", "09:16:00", "TIME"},
		{"LEAST(TS, '2022-06-14')", "1970-01-01T00:00:01.000", "TIMESTAMP"},
		{"GREATEST(CAST(1.5 AS DECIMAL(9,2)), CAST(0.25 AS DECIMAL(7,6)))", "1.50", "DECIMAL(13, 6)"},
		{"ROUND(ID)", "10", "BIGINT"},
		{"ROUND(1.5e0, ID)", "1.5", "DOUBLE"},
		{"COALESCE(N, ID, B)", "10", "BIGINT"},
		{"IFNULL(N, 7)", "7", "INTEGER"},
		{"SUBSTRING(STR, 2)", "ello", "STRING"},
		{"CONCAT_WS(NULL, 'a')", "null", "STRING"},
	})
	compileErrorCases(t, testScope(), []struct{ src, want string }{
		{"GREATEST(ID, B)", "Function 'greatest' cannot be resolved due to ambiguous method parameters (INTEGER, BIGINT)."},
		{"LEAST(ID, 2.5)", "Function 'least' cannot be resolved due to ambiguous method parameters (INTEGER, DECIMAL(2, 1))."},
		{"GREATEST(NULL, NULL, NULL, NULL)", "ambiguous method parameters (null, null, null, null)."},
		{"GREATEST(STR, ID)", "Function 'greatest' does not accept parameters (STRING, INTEGER)."},
		{"GREATEST(*)", "Function 'greatest' does not accept parameters ()."},
		{"LEAST()", "Function 'least' does not accept parameters ()."},
		{"COALESCE()", "Function 'COALESCE' does not accept parameters ()"},
		{"COALESCE(ID, STR)", "Function 'COALESCE' does not accept parameters (INTEGER, STRING)"},
		{"IFNULL(N, 1, 2)", "Function 'ifnull' does not accept parameters (INTEGER, INTEGER, INTEGER)"},
		{"SUBSTRING(STR, B)", "Function 'substring' does not accept parameters (STRING, BIGINT)."},
		{"ABS(NULL)", "ambiguous method parameters (null)"},
		{"NOPE(*)", "Can't find any functions with the name 'NOPE'"},
	})
}

// DATEADD and friends take a unit keyword (dateadd.json, datesub.json, timeadd.json,
// timesub.json, timestampadd.json, timestampsub.json).
func TestTimeArithmetic(t *testing.T) {
	scope := &Scope{Columns: []Column{
		{Name: "D", Type: types.TDate()},
		{Name: "T", Type: types.TTime()},
		{Name: "TS", Type: types.TTimestamp()},
		{Name: "I", Type: types.TInt()},
		{Name: "B", Type: types.TBigint()},
		{Name: "S", Type: types.TString()},
	}}
	row := []types.Value{types.Date(40), types.Time(86399995), types.Timestamp(20), nil, int64(1), "2020-01-01"}
	evalCases(t, scope, row, []struct{ src, want, typ string }{
		{"DATEADD(DAYS, 10, D)", "1970-02-20", "DATE"},
		{"DATESUB(DAYS, 10, D)", "1970-01-31", "DATE"},
		{"DATESUB(DAYS, 45, D)", "1969-12-27", "DATE"},
		{"DATEADD(HOURS, 47, D)", "1970-02-11", "DATE"},       // 40 days + 47 h: truncated to whole days
		{"DATESUB(HOURS, 1, FROM_DAYS(0))", "1970-01-01", ""}, // -1 h truncates toward zero
		{"dateadd(day, 1, '2020-02-28')", "2020-02-29", "DATE"},
		{"TIMEADD(MILLISECONDS, 10, T)", "00:00:00.005", "TIME"},
		{"TIMESUB(MILLISECONDS, 10, TIME '00:00:00.005')", "23:59:59.995", "TIME"},
		{"TIMEADD(HOURS, 25, TIME '10:00:00')", "11:00:00", "TIME"},
		{"TIMEADD(MICROSECONDS, 1500, TIME '10:00:00')", "10:00:00.001", "TIME"},
		{"TIMESTAMPSUB(MILLISECONDS, 10, TS)", "1970-01-01T00:00:00.010", "TIMESTAMP"},
		{"TIMESTAMPADD(SECONDS, 1, '2020-01-01')", "2020-01-01T00:00:01.000", "TIMESTAMP"},
		{"TIMESTAMPADD(MINUTES, -2, TS)", "1969-12-31T23:58:00.020", "TIMESTAMP"},
		{"TIMESTAMPADD(NANOSECONDS, 2500000, TS)", "1970-01-01T00:00:00.022", "TIMESTAMP"},
		{"DATEADD(DAYS, I, D)", "null", "DATE"},
		{"DATEADD(DAYS, 1, NULL)", "null", "DATE"},
		{"DATEADD(DAYS, 1, S)", "2020-01-02", "DATE"},
	})
	compileErrorCases(t, scope, []struct{ src, want string }{
		{"DATESUB(D, 5, D)", "Function 'datesub' does not accept parameters (DATE, INTEGER, DATE)."},
		{"TIMEADD(T, 5, T)", "Function 'timeadd' does not accept parameters (TIME, INTEGER, TIME)."},
		{"TIMESTAMPADD(TS, 5, TS)", "Function 'timestampadd' does not accept parameters (TIMESTAMP, INTEGER, TIMESTAMP)."},
		{"DATEADD(DAYS, B, D)", "Function 'dateadd' does not accept parameters (INTERVAL UNIT, BIGINT, DATE)."},
		{"DATEADD(DAYS, 1, T)", "does not accept parameters (INTERVAL UNIT, INTEGER, TIME)."},
		{"TIMESTAMPSUB(WEEKS, 1, TS)", "Column 'WEEKS' cannot be resolved."},
	})
}

// A comparison with a NULL operand is false, and with the NULL literal it does not compile
// (null.json "null equals", "comparison with null").
func TestNullComparison(t *testing.T) {
	evalCases(t, testScope(), testRows()[1], []struct{ src, want, typ string }{
		{"ID = B", "false", "BOOLEAN"},
		{"ID <> B", "false", ""},
		{"STR >= 'a'", "false", ""},
		{"NOT (ID = 1)", "true", ""},
		{"ID IS NOT DISTINCT FROM N", "true", ""},
		{"CASE ID WHEN 1 THEN 'one' ELSE 'other' END", "other", ""},
	})
	compileErrorCases(t, testScope(), []struct{ src, want string }{
		{"NULL <> NULL", "Comparison with NULL not supported: NULL <> NULL\nUse 'IS NULL' or 'IS NOT NULL' instead."},
		{"ID = NULL", "Comparison with NULL not supported: INTEGER = NULL"},
		{"NULL < DEC", "Comparison with NULL not supported: NULL < DECIMAL"},
		{"ID IS DISTINCT FROM NULL", "Comparison with NULL not supported: INTEGER IS DISTINCT FROM NULL"},
	})
}

// ROWTIME, WINDOWSTART and WINDOWEND compare with timestamp text (magic-timestamp-
// conversion.json).
func TestMagicTimestamp(t *testing.T) {
	scope := &Scope{Columns: []Column{
		{Name: "ROWTIME", Type: types.TBigint()},
		{Qualifier: "W", Name: "WINDOWSTART", Type: types.TBigint()},
		{Name: "B", Type: types.TBigint()},
	}}
	row := []types.Value{int64(1514764800001), int64(1581323504011), int64(5)}
	evalCases(t, scope, row, []struct{ src, want, typ string }{
		{"ROWTIME > '2018-01-01T00:00:00.001'", "false", ""},
		{"ROWTIME >= '2018-01-01T00:00:00.001'", "true", ""},
		{"'2018-01-01T00:00:00' < ROWTIME", "true", ""},
		{"ROWTIME BETWEEN '2018-01-01T00:00:00.001' AND '2018-01-01T00:00:01'", "true", ""},
		{"ROWTIME > '2018-01-01T00:00:00+0445'", "true", ""},
		{"ROWTIME < '2018'", "false", ""},
		{"W.WINDOWSTART BETWEEN '2020-02-10T08:31:44.001+0000' AND '2020-02-10T08:31:44.011+0000'", "true", ""},
	})
	compileErrorCases(t, scope, []struct{ src, want string }{
		{"ROWTIME > 'yesterday'", "Failed to parse timestamp 'yesterday'"},
		{"B > '2018-01-01'", "Cannot compare B (BIGINT) to '2018-01-01' (STRING) with GREATER_THAN."},
	})
}

func TestParsePartialTimestamp(t *testing.T) {
	for _, c := range []struct {
		text string
		want int64
	}{
		{"2018-01-01T00:00:00.001", 1514764800001},
		{"2018-01-01T00:00:00", 1514764800000},
		{"2018-01-01T00", 1514764800000},
		{"2018-01-01", 1514764800000},
		{"2018-02", 1517443200000},
		{"2018", 1514764800000},
		{"2019-01-01T00:00:00+0445", 1546300800000 - (4*60+45)*60*1000},
		{"2019-01-01T00:00:00.000-0100", 1546300800000 + 3600*1000},
	} {
		got, err := parsePartialTimestamp(c.text)
		if err != nil || got != c.want {
			t.Errorf("parsePartialTimestamp(%q) = %d, %v; want %d", c.text, got, err, c.want)
		}
	}
	for _, text := range []string{"", "2018-13-01", "2018-01-01T25:00", "2018-01-01T00:00:00+9999", "20180101T00"} {
		if got, err := parsePartialTimestamp(text); err == nil {
			t.Errorf("parsePartialTimestamp(%q) = %d, want an error", text, got)
		}
	}
}

// ROUND, TRUNC and LOG follow ksqlDB's overloads and rounding (math.json).
func TestRoundTruncLog(t *testing.T) {
	evalCases(t, &Scope{}, nil, []struct{ src, want, typ string }{
		{"ROUND(-1.5e0)", "-1", "BIGINT"},
		{"ROUND(-1.5e0, 0)", "-1.0", "DOUBLE"},
		{"ROUND(1.5e0, 0)", "2.0", ""},
		{"ROUND(-1.7e0, 0)", "-2.0", ""},
		{"ROUND(12345.678e0, -1)", "12350.0", ""},
		{"ROUND(-12345.678e0, -2)", "-12300.0", ""},
		{"ROUND(1.234567e0, 10)", "1.234567", ""},
		{"ROUND(CAST(-1.5 AS DECIMAL(4,1)))", "-1", "DECIMAL(3, 0)"},
		{"ROUND(CAST(12345678987654321.2345678987654321 AS DECIMAL(33,16)), -1)", "12345678987654320.0000000000000000", "DECIMAL(33, 16)"},
		{"ROUND(CAST(12345678987654321.2345678987654321 AS DECIMAL(33,16)))", "12345678987654321", "DECIMAL(17, 0)"},
		{"ROUND(CAST(99.9 AS DECIMAL(3,1)))", "null", "DECIMAL(2, 0)"}, // 100 overflows the type
		{"TRUNC(1.7e0)", "1", "BIGINT"},
		{"TRUNC(-1.7e0)", "-1", ""},
		{"TRUNC(12345.678e0, 2)", "12345.67", "DOUBLE"},
		{"TRUNC(-12345.678e0, -1)", "-12340.0", ""},
		{"TRUNC(CAST(-12345.678 AS DECIMAL(12,7)), 1)", "-12345.6000000", "DECIMAL(12, 7)"},
		{"TRUNC(CAST(-12345.678 AS DECIMAL(12,7)))", "-12345", "DECIMAL(5, 0)"},
		{"TRUNC(2147483648)", "2147483648", "BIGINT"},
		{"TRUNC(CAST(1 AS INT))", "1", "BIGINT"},
		{"LOG(13)", "2.5649493574615367", "DOUBLE"},
		{"LOG(0)", "-Infinity", ""},
		{"LOG(15, 13)", "0.9471572411831843", ""},
		{"LOG(1, 13)", "NaN", ""},
		{"LOG(-15e0, 13e0)", "NaN", ""},
	})
}

// BYTES overloads of the string functions (substring.json, split.json, concat.json).
func TestBytesFunctions(t *testing.T) {
	scope := &Scope{Columns: []Column{{Name: "B", Type: types.TBytes()}, {Name: "E", Type: types.TBytes()}}}
	row := []types.Value{[]byte("some_string"), []byte{}}
	evalCases(t, scope, row, []struct{ src, want, typ string }{
		{"FROM_BYTES(SUBSTRING(B, 6), 'utf8')", "string", ""},
		{"FROM_BYTES(SUBSTRING(B, 6, 3), 'utf8')", "str", ""},
		{"FROM_BYTES(SUBSTRING(B, -3), 'utf8')", "ing", ""},
		{"SUBSTRING(B, 20)", "", "BYTES"},
		{"SUBSTRING(B, NULL)", "null", "BYTES"},
		{"SPLIT(TO_BYTES('a$$b.c', 'utf8'), TO_BYTES('$$', 'utf8'))", "[YQ==, Yi5j]", "ARRAY<BYTES>"},
		{"SPLIT(TO_BYTES('abc', 'utf8'), E)", "[YQ==, Yg==, Yw==]", ""},
		{"SPLIT(E, E)", "[]", ""}, // one empty element
		{"ARRAY_LENGTH(SPLIT(E, E))", "1", ""},
		{"ARRAY_LENGTH(SPLIT('', ''))", "1", ""},
		{"SPLIT('abc', '')", "[a, b, c]", ""},
		{"FROM_BYTES(CONCAT_WS(TO_BYTES('-', 'utf8'), TO_BYTES('a', 'utf8'), NULL, B), 'utf8')", "a-some_string", ""},
		{"CONCAT_WS(TO_BYTES('-', 'utf8'), NULL, NULL)", "", "BYTES"},
		{"FROM_BYTES(LPAD(TO_BYTES('ab', 'utf8'), 5, TO_BYTES('xy', 'utf8')), 'utf8')", "xyxab", ""},
		{"FROM_BYTES(RPAD(B, 4, E), 'utf8')", "null", ""},
		{"FROM_BYTES(RPAD(B, 4, TO_BYTES('x', 'utf8')), 'utf8')", "some", ""},
		{"LPAD('foo', 7, '')", "null", ""},
		{"RPAD('foo', 7, 'Bar')", "fooBarB", ""},
	})
}

func TestMiscFunctions(t *testing.T) {
	defer func(old func() time.Time) { now = old }(now)
	now = func() time.Time { return time.UnixMilli(1589234313000) }
	evalCases(t, &Scope{}, nil, []struct{ src, want, typ string }{
		{"UNIX_TIMESTAMP()", "1589234313000", "BIGINT"},
		{"UNIX_DATE()", "18393", "INTEGER"},
		{"UNIX_DATE() > 100", "true", ""},
		{"CONVERT_TZ(FROM_UNIXTIME(100), '+0200', '+0500')", "1970-01-01T03:00:00.100", "TIMESTAMP"},
		{"CONVERT_TZ(FROM_UNIXTIME(1589234313000), 'UTC', 'America/Los_Angeles')", "2020-05-11T14:58:33.000", ""},
		{"CONVERT_TZ(FROM_UNIXTIME(100), 'PST', 'UTC')", "null", ""},
		// geodistance.json compares to 6 decimal places.
		{"ROUND(GEO_DISTANCE(37.4439, -122.1663, 51.5257, -0.1122), 6)", "8634.659797", "DOUBLE"},
		{"ROUND(GEO_DISTANCE(37.4439, -122.1663, 51.5257, -0.1122, 'MI'), 6)", "5365.659729", ""},
		{"ROUND(GEO_DISTANCE(37.4439, -122.1663, 51.5257, -0.1122, CAST(NULL AS STRING)), 6)", "8634.659797", ""},
		{"ROUND(GEO_DISTANCE(-33.9323, 18.4197, -33.8666, 151.1, ' Miles '), 6)", "6838.756492", ""},
		{"GEO_DISTANCE(37.4439, -122.1663, 51.5257, -0.1122, 'parsecs')", "null", ""},
		{"GEO_DISTANCE(91, 0, 0, 0)", "null", ""},
		{"ENCODE('ce95cebbcebbceacceb4ceb1', 'hex', 'ascii')", strings.Repeat("\uFFFD", 12), ""},
		{"ENCODE('0x4578616d706C6521', 'hex', 'utf8')", "Example!", ""},
		{"ENCODE('X''4578616d706C6521''', 'hex', 'base64')", "RXhhbXBsZSE=", ""},
		{"ENCODE('0x578616d706C6521', 'hex', 'utf8')", "\x05xample!", ""},
		{"ENCODE('578616d706C6521', 'hex', 'utf8')", "null", ""},
		{"ENCODE('x''4578', 'hex', 'utf8')", "null", ""},
		{"ENCODE('0x', 'hex', 'utf8')", "", ""},
		{"ENCODE('zpXOu867zqzOtM6x', 'base64', 'utf8')", "Ελλάδα", ""},
		{"ENCODE('Ελλάδα', 'utf8', 'hex')", "ce95cebbcebbceacceb4ceb1", ""},
		{"ENCODE('Übermensch', 'ascii', 'hex')", "3f6265726d656e736368", ""},
		{"ENCODE('RXhhbXBsZSE=', 'base64', 'null')", "null", ""},
		{"ENCODE('abc', 'utf8', 'UTF8')", "null", ""},
		{"CHR(75)", "K", ""},
		{"CHR('\\u004b')", "K", ""},
		{"CHR('\\ud83d\\ude00')", "😀", ""},
		{"CHR('004b')", "null", ""},
		{"PARSE_DATE('2003-12-24-01-01', 'yyyy-MM-dd')", "2003-12-24", ""},
		{"PARSE_DATE('2004-01-01', 'yyyy-MM-dd')", "2004-01-01", ""},
		{"PARSE_DATE('2004', 'yyyy-MM-dd')", "null", ""},
	})
}

func TestJavaZone(t *testing.T) {
	for _, c := range []struct {
		id     string
		offset int // seconds east of UTC on 2020-01-01
	}{
		{"Z", 0}, {"UTC", 0}, {"GMT", 0}, {"+02", 7200}, {"+2", 7200}, {"-0530", -19800},
		{"+05:30", 19800}, {"+053015", 19815}, {"UTC+01:00", 3600}, {"GMT-2", -7200},
		{"America/Los_Angeles", -8 * 3600},
	} {
		loc, err := javaZone(c.id)
		if err != nil {
			t.Errorf("javaZone(%q): %v", c.id, err)
			continue
		}
		if _, off := time.Date(2020, 1, 1, 0, 0, 0, 0, loc).Zone(); off != c.offset {
			t.Errorf("javaZone(%q) offset %d, want %d", c.id, off, c.offset)
		}
	}
	for _, id := range []string{"", "Local", "PST", "+19", "+0560", "+123", "UTC+", "Nowhere/City"} {
		if _, err := javaZone(id); err == nil {
			t.Errorf("javaZone(%q) succeeded, want an error", id)
		}
	}
}

// The date/time functions read and write java.time patterns (stringtimestamp.json,
// stringdate.json, datestring.json, format-time.json, timestamp-to-string.json).
func TestJavaPatterns(t *testing.T) {
	evalCases(t, &Scope{}, nil, []struct{ src, want, typ string }{
		{"STRINGTOTIMESTAMP('2020-05-11T21:58:33Z', 'yyyy-MM-dd''T''HH:mm:ssX')", "1589234313000", "BIGINT"},
		{"STRINGTOTIMESTAMP('2020-05-11T21:58:33z', 'yyyy-MM-dd''T''HH:mm:ssX')", "1589234313000", ""},
		{"STRINGTOTIMESTAMP('2020-05-11T23:58:33+02', 'yyyy-MM-dd''T''HH:mm:ssX')", "1589234313000", ""},
		{"STRINGTOTIMESTAMP('2019-08-27T13:31:09.2+0000', 'yyyy-MM-dd''T''HH:mm:ss.SX')", "1566912669200", ""},
		{"PARSE_TIMESTAMP('2018-05-11T21:58:33 PST', 'yyyy-MM-dd''T''HH:mm:ss zzz')", "2018-05-12T04:58:33.000", "TIMESTAMP"},
		{"PARSE_TIMESTAMP('2018-01-11T21:58:33 pst', 'yyyy-MM-dd''T''HH:mm:ss zzz')", "2018-01-12T05:58:33.000", ""},
		{"PARSE_TIMESTAMP('2018-05-11 21:58:33 Europe/London', 'yyyy-MM-dd HH:mm:ss VV')", "2018-05-11T20:58:33.000", ""},
		{"PARSE_TIMESTAMP('2018-05-11 21:58', 'yyyy-MM-dd HH:mm', 'America/Los_Angeles')", "2018-05-12T04:58:00.000", ""},
		{"PARSE_TIMESTAMP('20200511215833', 'yyyyMMddHHmmss')", "2020-05-11T21:58:33.000", ""},
		{"PARSE_TIMESTAMP('9:05 pm, 3 Feb 21', 'h:mm a, d MMM yy')", "2021-02-03T21:05:00.000", ""},
		{"PARSE_TIMESTAMP('2020-05-11', 'yyyy-MM-dd[ HH:mm]')", "2020-05-11T00:00:00.000", ""},
		{"PARSE_TIMESTAMP('2020-05-11 10:30', 'yyyy-MM-dd[ HH:mm]')", "2020-05-11T10:30:00.000", ""},
		{"PARSE_TIMESTAMP('2020-02-31', 'yyyy-MM-dd')", "2020-02-29T00:00:00.000", ""},
		{"PARSE_TIMESTAMP('2020-05-11 trailing', 'yyyy-MM-dd')", "null", ""},
		{"PARSE_TIMESTAMP('2020-05-11', 'yyyy-MM-dd qq')", "null", ""},
		{"STRINGTODATE('2018-05-11Lit', 'yyyy-MM-dd''Lit''')", "17662", "INTEGER"},
		{"STRINGTODATE('11/05/2019', 'dd/MM/yyyy')", "18027", ""},
		{"STRINGTODATE('01-jan-2022', 'dd-MMM-yyyy')", "18993", ""},
		{"PARSE_DATE('2020-05-11 10:00', 'yyyy-MM-dd HH:mm')", "null", ""},
		{"PARSE_TIME('10:11:12.5', 'HH:mm:ss.S')", "10:11:12.500", "TIME"},
		{"DATETOSTRING(18993, 'dd-MMM-yyyy')", "01-Jan-2022", "STRING"},
		{"DATETOSTRING(-1, 'dd-MM-yyyy''Sophia''')", "31-12-1969Sophia", ""},
		{"FORMAT_DATE(FROM_DAYS(18993), '''Monday'' EEEE, MMMM d, G')", "Monday Saturday, January 1, AD", ""},
		{"FORMAT_DATE(FROM_DAYS(18993), 'yyyy-MM-dd HH')", "null", ""},
		{"FORMAT_TIME(PARSE_TIME('00:01:05', 'HH:mm:ss'), 'HH_mm_ss_SSS')", "00_01_05_000", ""},
		{"FORMAT_TIME(PARSE_TIME('00:20:34.567', 'HH:mm:ss.SSS'), 'HHmmss''AAAAA''')", "002034AAAAA", ""},
		{"FORMAT_TIME(PARSE_TIME('13:00', 'HH:mm'), 'h a, k K')", "1 PM, 13 1", ""},
		{"FORMAT_TIME(PARSE_TIME('13:00', 'HH:mm'), 'yyyy')", "null", ""},
		{"TIMESTAMPTOSTRING(1526075913000, 'yyyy-MM-dd HH:mm:ss zzz', 'America/Los_Angeles')", "2018-05-11 14:58:33 PDT", ""},
		{"TIMESTAMPTOSTRING(1526075913000, 'yyyy-MM-dd HH:mm:ss zzz', 'Europe/London')", "2018-05-11 22:58:33 BST", ""},
		{"TIMESTAMPTOSTRING(1526075913000, 'yyyy-MM-dd''T''HH:mm:ss.SSSXXX', '+05:30')", "2018-05-12T03:28:33.000+05:30", ""},
		{"TIMESTAMPTOSTRING(1526075913000, 'X x Z ZZZZ O', '-0130')", "-0130 -0130 -0130 GMT-01:30 GMT-1:30", ""},
		{"TIMESTAMPTOSTRING(1526075913000, 'X xxx Z ZZZZZ O', 'UTC')", "Z +00:00 +0000 Z GMT", ""},
		{"TIMESTAMPTOSTRING(1526075913000, 'D yy u n')", "131 18 2018 0", ""},
		{"TIMESTAMPTOSTRING(1526075913000, 'yyyy-MM-dd', 'Mars/Olympus')", "null", ""},
		{"FORMAT_TIMESTAMP(FROM_UNIXTIME(1526075913000), '''unterminated')", "null", ""},
	})
}

// The MASK functions replace upper-case letters, lower-case letters, digits and other
// characters; a NULL mask leaves its class alone.
func TestMaskFunctions(t *testing.T) {
	evalCases(t, &Scope{}, nil, []struct{ src, want, typ string }{
		{"MASK('AbCd#$123xy Z')", "XxXx--nnnxx-X", "STRING"},
		{"MASK('AbCd#$123xy Z', '*', '-', '.', NULL)", "*-*-#$...-- *", ""},
		{"MASK('AbC', 'XY', NULL, NULL, NULL)", "null", ""},
		{"MASK(CAST(NULL AS STRING), '*', '*', '*', '*')", "null", ""},
		{"MASK_KEEP_LEFT('AbCd#$123xy Z', 5)", "AbCd#-nnnxx-X", ""},
		{"MASK_KEEP_LEFT('AbCd', 10)", "AbCd", ""},
		{"MASK_KEEP_LEFT('AbCd', -1)", "null", ""},
		{"MASK_KEEP_RIGHT('AbCd#$123xy Z', 5)", "XxXx--nn3xy Z", ""},
		{"MASK_LEFT('AbCd#$123xy Z', 5)", "XxXx-$123xy Z", ""},
		{"MASK_RIGHT('AbCd#$123xy Z', 5, NULL, NULL, '#', '_')", "AbCd#$12#xy_Z", ""},
		{"MASK_RIGHT('AbCd', CAST(NULL AS INT), 'a', 'b', 'c', 'd')", "null", ""},
		{"LEN(UUID())", "36", "INTEGER"},
		{"SUBSTRING(UUID(), 15, 1)", "4", ""},
	})
}
