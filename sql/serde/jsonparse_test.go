package serde

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// decoderJSON is what decodeJSON did before parseJSON: encoding/json's
// Decoder with UseNumber, then More.
func decoderJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var j any
	if err := dec.Decode(&j); err != nil || dec.More() {
		return nil, false
	}
	return j, true
}

// checkParseJSON checks parseJSON's invariant: it accepts exactly what the
// Decoder accepts (up to the Decoder's nesting limit) and builds the same
// tree, down to the Go types of numbers and empty arrays.
func checkParseJSON(t *testing.T, data []byte) {
	t.Helper()
	got, ok := parseJSON(data)
	want, wantOK := decoderJSON(data)
	if ok != wantOK {
		t.Fatalf("%q: parseJSON ok=%v, the Decoder ok=%v", data, ok, wantOK)
	}
	if ok && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: parseJSON read %#v, the Decoder %#v", data, got, want)
	}
}

// jsonSeeds are edge cases of the grammar, of unquoting and of what may
// follow the value.
var jsonSeeds = []string{
	`{"PAGE":"p12","MS":123,"REGION":"eu"}`, `{}`, `[]`, `[[],{}]`, ` {"a" : [1 , 2] } `, `null`, `true`,
	`false`, `nul`, `truex`, `"x"`, `""`, `0`, `-0`, `01`, `-01`, `1.`, `.5`, `1.5e`, `1e+5`, `1E-5`,
	`-`, `--1`, `1.5e400`, `123456789012345678901234567890`, `1 2`, `1}`, `{}]`, `[1]]`, `{} x`, `1,`,
	`{"a":1,}`, `[1,]`, `{"a":1,"a":2}`, `{"a" 1}`, `{1:2}`, `{"a":}`, `[`, `{`, `"abc`, "\"a\x01\"",
	`"\u00e9\n\t\"\\\/\b\f\r"`, `"\u12"`, `"\u12g4"`, `"\x"`, `"\'"`, `"\ud83d\ude00"`, `"\ud83d"`,
	`"\ud83dx"`, `"\ud83d\u0041"`, `"\ude00\ud83d"`, `"\ud83d\\u0041"`, "\"\xff\xfe\"", "\"\xe2\x82\"",
	"\"\xed\xa0\x80\"", "\"é€😀\"", "\xef\xbb\xbf{}", "", " ", "\t\r\n", `{"k":{"k":{"k":[null]}}}`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
}

func TestParseJSON(t *testing.T) {
	for _, s := range jsonSeeds {
		checkParseJSON(t, []byte(s))
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkParseJSON(t, data) })
}
