package serde

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/streamlite/streamlite/sql/types"
)

func dec(s string) types.Decimal {
	d, err := types.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

func mustNew(t testing.TB, o Options) *Serde {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRoundTrip encodes and decodes every supported type in every format.
func TestRoundTrip(t *testing.T) {
	cases := []struct {
		typ types.Type
		v   types.Value
	}{
		{types.TInt(), int32(-7)},
		{types.TBigint(), int64(998877665544332211)},
		{types.TDouble(), 654.321},
		{types.DecimalOf(6, 4), dec("12.3650")},
		{types.TString(), "a,b \"c\""},
		{types.TBoolean(), true},
		{types.TBytes(), []byte{0, 1, 255}},
		{types.TDate(), types.Date(-10)},
		{types.TTime(), types.Time(3_600_001)},
		{types.TTimestamp(), types.Timestamp(1_600_000_000_123)},
		{types.ArrayOf(types.TInt()), []types.Value{int32(1), nil, int32(3)}},
		{types.MapOf(types.TString(), types.TBigint()), []types.Value{types.Struct{"a", int64(2)}, types.Struct{"b", nil}}},
	}
	for _, f := range []Format{FormatJSON, FormatKafka, FormatDelimited} {
		for _, unwrapped := range []bool{false, true} {
			for _, c := range cases {
				s, err := New(Options{Format: f, Columns: []Column{{"C", c.typ}}, Unwrapped: unwrapped})
				if err != nil {
					if f == FormatJSON {
						t.Fatalf("%s %s: %v", f, c.typ, err)
					}
					continue // type not supported by the format
				}
				b, err := s.Encode([]types.Value{c.v})
				if err != nil {
					t.Fatalf("%s %s encode: %v", f, c.typ, err)
				}
				got, err := s.Decode(b)
				if err != nil {
					t.Fatalf("%s %s decode %q: %v", f, c.typ, b, err)
				}
				if !types.Equal(got[0], c.v) {
					t.Errorf("%s unwrapped=%v %s: got %#v want %#v (bytes %q)", f, unwrapped, c.typ, got[0], c.v, b)
				}
				// null round trip
				b, err = s.Encode([]types.Value{nil})
				if err != nil {
					t.Fatal(err)
				}
				got, err = s.Decode(b)
				if err != nil {
					t.Fatalf("%s %s null: %v", f, c.typ, err)
				}
				if got != nil && got[0] != nil {
					t.Errorf("%s %s: null came back as %#v", f, c.typ, got[0])
				}
			}
		}
	}
}

func TestKafkaBytes(t *testing.T) {
	s := mustNew(t, Options{Format: FormatKafka, Columns: []Column{{"K", types.TInt()}}})
	b, _ := s.Encode([]types.Value{int32(1)})
	if !bytes.Equal(b, []byte{0, 0, 0, 1}) {
		t.Fatalf("INT encoding %v", b)
	}
	if _, err := s.Decode([]byte{1, 2}); !IsDecodeError(err) {
		t.Fatalf("short INT: %v", err)
	}
	if _, err := New(Options{Format: FormatKafka, Columns: []Column{{"A", types.ArrayOf(types.TInt())}}}); err == nil {
		t.Fatal("KAFKA accepted ARRAY")
	}
	if _, err := New(Options{Format: FormatKafka, Columns: []Column{{"A", types.TInt()}, {"B", types.TInt()}}}); err == nil {
		t.Fatal("KAFKA accepted two columns")
	}
	d := mustNew(t, Options{Format: FormatKafka, Columns: []Column{{"D", types.TDouble()}}})
	b, _ = d.Encode([]types.Value{1.5})
	if !bytes.Equal(b, []byte{0x3f, 0xf8, 0, 0, 0, 0, 0, 0}) {
		t.Fatalf("DOUBLE encoding %x", b)
	}
}

func TestJSONValue(t *testing.T) {
	cols := []Column{{"ID", types.TBigint()}, {"NAME", types.TString()}, {"D", types.DecimalOf(4, 2)}, {"B", types.TBytes()}}
	s := mustNew(t, Options{Format: FormatJSON, Columns: cols})
	b, err := s.Encode([]types.Value{int64(1), "x", dec("1.10"), []byte("hi")})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"ID":1,"NAME":"x","D":1.10,"B":"aGk="}`; string(b) != want {
		t.Fatalf("got %s want %s", b, want)
	}
	// case-insensitive names, missing fields, lenient numbers
	row, err := s.Decode([]byte(`{"id":"5","Name":12,"d":1.5}`))
	if err != nil {
		t.Fatal(err)
	}
	if row[0] != int64(5) || row[1] != "12" || !types.Equal(row[2], dec("1.50")) || row[3] != nil {
		t.Fatalf("decoded %#v", row)
	}
	if row[2].(types.Decimal).Scale != 2 {
		t.Fatalf("scale not fitted: %v", row[2])
	}
	for _, bad := range []string{`{"id":"x"}`, `{"d":1.234}`, `{"d":123}`, `[1]`, `{`, `{"b":"%%%"}`} {
		if _, err := s.Decode([]byte(bad)); !IsDecodeError(err) {
			t.Errorf("%s: want decode error, got %v", bad, err)
		}
	}
	if row, err := s.Decode([]byte("null")); err != nil || row != nil {
		t.Fatalf("null value: %v %v", row, err)
	}
	// INT from a BIGINT-sized number wraps like Java.
	i := mustNew(t, Options{Format: FormatJSON, Columns: []Column{{"I", types.TInt()}}, Unwrapped: true})
	row, err = i.Decode([]byte("2147483648"))
	if err != nil || row[0] != int32(-2147483648) {
		t.Fatalf("wrap: %v %v", row, err)
	}
	// A wrapped single column accepts a bare scalar.
	w := mustNew(t, Options{Format: FormatJSON, Columns: []Column{{"I", types.TInt()}}})
	row, err = w.Decode([]byte("10"))
	if err != nil || row[0] != int32(10) {
		t.Fatalf("anonymous: %v %v", row, err)
	}
}

func TestJSONBridge(t *testing.T) {
	j, err := ToJSONValue([]types.Value{dec("1.10"), nil}, types.ArrayOf(types.DecimalOf(3, 2)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(j)
	if string(b) != "[1.10,null]" {
		t.Fatalf("got %s", b)
	}
	hdr := types.HeadersType()
	v, err := FromJSONValue([]any{map[string]any{"KEY": "k", "VALUE": "AQ=="}}, hdr)
	if err != nil {
		t.Fatal(err)
	}
	st := v.([]types.Value)[0].(types.Struct)
	if st[0] != "k" || !bytes.Equal(st[1].([]byte), []byte{1}) {
		t.Fatalf("headers %#v", v)
	}
	if j, _ := ToJSONValue(1e10, types.TDouble()); j != json.Number("1.0E10") {
		t.Fatalf("double %v", j)
	}
}

// TestJSONMap: a MAP value is Struct{key, value} entries; JSON writes an
// object and reads it back with the entries sorted by key.
func TestJSONMap(t *testing.T) {
	mt := types.MapOf(types.TString(), types.TBigint())
	j, err := ToJSONValue([]types.Value{types.Struct{"foo", int64(1)}, types.Struct{"bar", int64(2)}}, mt)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(j)
	if string(b) != `{"bar":2,"foo":1}` {
		t.Fatalf("got %s", b)
	}
	v, err := FromJSONValue(map[string]any{"foo": json.Number("1"), "bar": json.Number("2")}, mt)
	if err != nil {
		t.Fatal(err)
	}
	if want := []types.Value{types.Struct{"bar", int64(2)}, types.Struct{"foo", int64(1)}}; !types.Equal(v, want) {
		t.Fatalf("got %#v, want %#v", v, want)
	}
	if _, err := ToJSONValue([]types.Value{types.Struct{nil, int64(1)}}, mt); err == nil {
		t.Fatal("a null key was written")
	}
	if _, err := New(Options{Format: FormatDelimited, Columns: []Column{{"M", mt}}}); err == nil {
		t.Fatal("DELIMITED took a MAP column")
	}
}

func TestDelimited(t *testing.T) {
	cols := []Column{{"K", types.TString()}, {"ID", types.TBigint()}, {"D", types.DecimalOf(33, 16)}}
	s := mustNew(t, Options{Format: FormatDelimited, Columns: cols})
	cases := []struct {
		row  []types.Value
		want string
	}{
		{[]types.Value{"zero", int64(-50), nil}, "zero,-50,"},
		{[]types.Value{"-1", int64(1), nil}, `"-1",1,`},
		{[]types.Value{nil, nil, nil}, ",,"},
		{[]types.Value{"", int64(1), nil}, `"",1,`},
		{[]types.Value{"a", int64(1), dec("-12345.1200000000000000")}, "a,1,-12345.1200000000000000"},
		{[]types.Value{"x", nil, nil}, "x,,"},
		{[]types.Value{" \t w \t", int64(1), nil}, "\" \t w \t\",1,"},
		{[]types.Value{"a,b", int64(1), nil}, `"a,b",1,`},
		{[]types.Value{`say "hi"`, int64(1), nil}, `"say ""hi""",1,`},
	}
	for _, c := range cases {
		b, err := s.Encode(c.row)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("encode %v: got %q want %q", c.row, b, c.want)
		}
		back, err := s.Decode(b)
		if err != nil {
			t.Fatalf("decode %q: %v", b, err)
		}
		for i := range c.row {
			w := c.row[i]
			if w == "" {
				w = nil // empty strings read back as NULL
			}
			if !types.Equal(back[i], w) {
				t.Errorf("decode %q col %d: got %#v want %#v", b, i, back[i], w)
			}
		}
	}
	one := mustNew(t, Options{Format: FormatDelimited, Columns: []Column{{"V", types.DecimalOf(33, 16)}}})
	b, _ := one.Encode([]types.Value{dec("-12345.1200000000000000")})
	if string(b) != `"-12345.1200000000000000"` {
		t.Errorf("single negative decimal: %q", b)
	}
	row, err := one.Decode([]byte(".12"))
	if err != nil || row[0].(types.Decimal).String() != "0.1200000000000000" {
		t.Errorf(".12: %v %v", row, err)
	}
	key := mustNew(t, Options{Format: FormatDelimited, Columns: []Column{{"K1", types.TString()}, {"K2", types.TString()}}, Delimiter: ';'})
	row, err = key.Decode([]byte("foo,bar;baz"))
	if err != nil || row[0] != "foo,bar" || row[1] != "baz" {
		t.Errorf("custom delimiter: %v %v", row, err)
	}
	b2 := mustNew(t, Options{Format: FormatDelimited, Columns: []Column{{"B", types.TBoolean()}}})
	if row, err := b2.Decode([]byte(`"true"`)); err != nil || row[0] != true {
		t.Errorf("quoted bool: %v %v", row, err)
	}
	if _, err := s.Decode([]byte("a,1")); !IsDecodeError(err) {
		t.Errorf("column count mismatch: %v", err)
	}
	if _, err := s.Decode([]byte("a,x,1")); !IsDecodeError(err) {
		t.Errorf("bad number: %v", err)
	}
	if _, err := New(Options{Format: FormatDelimited, Columns: []Column{{"A", types.ArrayOf(types.TInt())}}}); err == nil {
		t.Error("DELIMITED accepted ARRAY")
	}
}

func TestParseDelimiter(t *testing.T) {
	for in, want := range map[string]rune{"TAB": '\t', "space": ' ', "|": '|', ";": ';'} {
		if got, err := ParseDelimiter(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", " ", "<~>"} {
		if _, err := ParseDelimiter(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNone(t *testing.T) {
	s := mustNew(t, Options{Format: FormatNone})
	if row, err := s.Decode([]byte("anything")); err != nil || len(row) != 0 {
		t.Fatal(row, err)
	}
	if _, err := New(Options{Format: FormatNone, Columns: []Column{{"A", types.TInt()}}}); err == nil {
		t.Fatal("NONE accepted a column")
	}
	if _, err := New(Options{Format: "FOO"}); err == nil {
		t.Fatal("unknown format accepted")
	}
}
