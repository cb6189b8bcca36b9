package serde

import (
	"encoding/json"
	"testing"

	"github.com/streamlite/streamlite/sql/types"
)

// checkAppendJSON checks appendJSONScalar against the slow path it stands
// in for: json.Marshal of ToJSONValue.
func checkAppendJSON(t *testing.T, v types.Value, typ types.Type) {
	t.Helper()
	got, ok := appendJSONScalar([]byte("x"), v)
	if !ok {
		t.Fatalf("%#v: not on the fast path", v)
	}
	j, err := ToJSONValue(v, typ)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "x"+string(want) {
		t.Fatalf("%#v: appended %s, json.Marshal wrote %s", v, got[1:], want)
	}
}

var jsonStringSeeds = []string{"", "plain", `q"b\s/`, "<a>&amp;", "\x00\x01\b\f\n\r\t\x1f\x7f", "é€😀",
	"\u2028\u2029", "\xff", "a\xe2\x82", "\xed\xa0\x80", "\ufffd"}

func TestAppendJSONScalar(t *testing.T) {
	for _, c := range []struct {
		v   types.Value
		typ types.Type
	}{
		{nil, types.TString()}, {true, types.TBoolean()}, {false, types.TBoolean()},
		{int32(-2147483648), types.TInt()}, {int64(9223372036854775807), types.TBigint()},
		{types.Date(-1), types.TDate()}, {types.Time(86399999), types.TTime()},
		{types.Timestamp(1_700_000_000_000), types.TTimestamp()},
	} {
		checkAppendJSON(t, c.v, c.typ)
	}
	for _, s := range jsonStringSeeds {
		checkAppendJSON(t, s, types.TString())
	}
	for _, v := range []types.Value{1.5, []byte("x"), []types.Value{"a"}, types.Struct{"a"}} {
		if _, ok := appendJSONScalar(nil, v); ok {
			t.Errorf("%#v: on the fast path, whose JSON depends on its type", v)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkAppendJSON(t, s, types.TString()) })
}
