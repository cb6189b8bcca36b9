package jsonschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	sjs "github.com/santhosh-tekuri/jsonschema/v6"
)

// orderSchema (draft 7) covers objects, required, additionalProperties false, arrays, enums,
// formats, a $ref into "definitions" and a $ref to the reference customerRef.
const orderSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Order",
  "type": "object",
  "properties": {
    "id": {"type": "string", "format": "uuid"},
    "customer": {"$ref": "customer.json"},
    "status": {"enum": ["NEW", "PAID", "SHIPPED"]},
    "created": {"type": "string", "format": "date-time"},
    "lines": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/line"}},
    "total": {"type": "number", "minimum": 0, "multipleOf": 0.01},
    "note": {"type": ["string", "null"], "maxLength": 20},
    "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}, "uniqueItems": true},
    "priority": {"type": "integer", "minimum": 1, "maximum": 5},
    "express": {"type": "boolean"}
  },
  "required": ["id", "customer", "status", "lines"],
  "additionalProperties": false,
  "definitions": {
    "line": {
      "type": "object",
      "properties": {"sku": {"type": "string", "minLength": 3}, "qty": {"type": "integer", "minimum": 1}},
      "required": ["sku", "qty"],
      "additionalProperties": false
    }
  }
}`

var customerRef = Reference{Name: "customer.json", Schema: `{
  "type": "object",
  "properties": {"name": {"type": "string"}, "email": {"type": "string", "format": "email"}},
  "required": ["name"]
}`}

// pointSchema (2020-12) covers $defs, prefixItems with items false, unevaluatedProperties and
// "format" as an annotation only.
const pointSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Point",
  "type": "object",
  "properties": {"pos": {"$ref": "#/$defs/pair"}, "label": {"$ref": "#/$defs/label"}},
  "required": ["pos"],
  "unevaluatedProperties": false,
  "$defs": {
    "pair": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "items": false},
    "label": {"type": "string", "format": "email", "const": "origin"}
  }
}`

// treeSchema is recursive, for deep payloads.
const treeSchema = `{"type": "object", "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#"}}}}`

type line struct {
	SKU string `json:"sku"`
	Qty int64  `json:"qty"`
}

type customer struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

type order struct {
	ID       string   `json:"id"`
	Customer customer `json:"customer"`
	Status   string   `json:"status"`
	Created  string   `json:"created,omitempty"`
	Lines    []line   `json:"lines"`
	Total    float64  `json:"total"`
	Note     *string  `json:"note"`
	Tags     []string `json:"tags,omitempty"`
	Priority int64    `json:"priority,omitempty"`
	Express  bool     `json:"express"`
}

func sampleOrder() order {
	note := "ring twice"
	return order{
		ID:       "6f1c2a7e-3b1d-4c8e-9a2f-0d5e7b9c1a24",
		Customer: customer{Name: "Ada", Email: "ada@example.com"},
		Status:   "PAID",
		Created:  "2024-05-01T10:20:30Z",
		Lines:    []line{{"abc-1", 2}},
		Total:    12.34,
		Note:     &note,
		Tags:     []string{"gift"},
		Priority: 3,
		Express:  true,
	}
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	return b
}

// withField returns the sample order encoded, with key set to the JSON text raw (or removed
// when raw is "").
func withField(t testing.TB, key, raw string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(marshal(t, sampleOrder()), &m); err != nil {
		t.Fatal(err)
	}
	if raw == "" {
		delete(m, key)
	} else {
		m[key] = json.RawMessage(raw)
	}
	return marshal(t, m)
}

func checkErr(t *testing.T, s *Schema, data []byte, want string) {
	t.Helper()
	err := s.Validate(data)
	switch {
	case want == "" && err != nil:
		t.Errorf("Validate(%.80q) = %v, want nil", data, err)
	case want == "":
	case err == nil:
		t.Errorf("Validate(%.80q) = nil, want an error containing %q", data, want)
	case !strings.Contains(err.Error(), want):
		t.Errorf("Validate(%.80q) = %q, want it to contain %q", data, err, want)
	default:
		checkMessage(t, err)
	}
}

// checkMessage checks the properties every error must have.
func checkMessage(t testing.TB, err error) {
	t.Helper()
	msg := err.Error()
	if !errors.Is(err, ErrInvalidPayload) {
		t.Errorf("%q does not match ErrInvalidPayload", msg)
	}
	if msg == "" || len(msg) > maxErrLen || !utf8.ValidString(msg) {
		t.Errorf("bad message (%d bytes): %q", len(msg), msg)
	}
	for _, r := range msg {
		if r < 0x20 || r == 0x7f {
			t.Errorf("message has a control character: %q", msg)
			break
		}
	}
}

func TestValidateEncoded(t *testing.T) {
	s := mustParse(t, orderSchema, customerRef)
	minimal := order{ID: "00000000-0000-4000-8000-000000000000", Customer: customer{Name: ""}, Status: "NEW",
		Lines: []line{{"abc", 1}}}
	empty := ""
	for name, o := range map[string]order{
		"sample":  sampleOrder(),
		"minimal": minimal,
		"emptyNote": func() order {
			o := sampleOrder()
			o.Note = &empty
			return o
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			checkErr(t, s, marshal(t, o), "")
			// Indented, with whitespace around.
			b, err := json.MarshalIndent(o, " ", "\t")
			if err != nil {
				t.Fatal(err)
			}
			checkErr(t, s, append(append([]byte("\r\n "), b...), "\n\t "...), "")
		})
	}

	p := mustParse(t, pointSchema)
	checkErr(t, p, marshal(t, map[string]any{"pos": []float64{1.5, -2}}), "")
	checkErr(t, p, marshal(t, map[string]any{"pos": []float64{0, 0}, "label": "origin"}), "")

	tree := mustParse(t, treeSchema)
	type node struct {
		V    int     `json:"v"`
		Kids []*node `json:"kids,omitempty"`
	}
	root := &node{V: 1}
	for n, i := root, 0; i < maxDepth/2-1; i++ { // each level is an object and an array
		n.Kids = []*node{{V: i}}
		n = n.Kids[0]
	}
	checkErr(t, tree, marshal(t, root), "")
}

func TestValidateInvalid(t *testing.T) {
	s := mustParse(t, orderSchema, customerRef)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"qty", withField(t, "lines", `[{"sku":"abc","qty":1},{"sku":"abc","qty":2},{"sku":"abc","qty":0}]`),
			"at /lines/2/qty: must be >= 1 but found 0"},
		{"required", withField(t, "lines", ""), `at (root): missing required property "lines"`},
		{"extra", withField(t, "colour", `"red"`), `at (root): property "colour" is not allowed`},
		{"enum", withField(t, "status", `"LOST"`), `at /status: must be one of "NEW", "PAID", "SHIPPED" but found "LOST"`},
		{"date-time", withField(t, "created", `"yesterday"`), `at /created: "yesterday" is not a valid date-time`},
		{"uuid", withField(t, "id", `"42"`), `at /id: "42" is not a valid uuid`},
		{"ref email", withField(t, "customer", `{"name":"Ada","email":"ada"}`), `at /customer/email: "ada" is not a valid email`},
		{"ref required", withField(t, "customer", `{"email":"a@b.c"}`), `at /customer: missing required property "name"`},
		{"minItems", withField(t, "lines", `[]`), "at /lines: must have at least 1 items but has 0"},
		{"line extra", withField(t, "lines", `[{"sku":"abc","qty":1,"x":null}]`), `at /lines/0: property "x" is not allowed`},
		{"minLength", withField(t, "lines", `[{"sku":"ab","qty":1}]`), "at /lines/0/sku: must be at least 3 characters long but has 2"},
		{"type string", withField(t, "total", `"12"`), `at /total: must be number but found string "12"`},
		{"multipleOf", withField(t, "total", `0.015`), "at /total: must be a multiple of 0.01 but found 0.015"},
		{"minimum", withField(t, "total", `-1e-7`), "at /total: must be >= 0 but found -1e-7"},
		{"integer", withField(t, "priority", `2.5`), "at /priority: must be integer but found number 2.5"},
		{"maximum", withField(t, "priority", `9`), "at /priority: must be <= 5 but found 9"},
		{"uniqueItems", withField(t, "tags", `["a","b","a"]`), "at /tags: items 0 and 2 are equal but must be unique"},
		{"pattern", withField(t, "tags", `["ok","A1"]`), `at /tags/1: "A1" does not match the pattern "^[a-z]+$"`},
		{"maxLength", withField(t, "note", `"this note is far too long"`), "at /note: must be at most 20 characters long but has 25"},
		{"type list", withField(t, "note", `7`), "at /note: must be null or string but found number 7"},
		{"boolean", withField(t, "express", `"yes"`), `at /express: must be boolean but found string "yes"`},
		{"root type", []byte(`[]`), "at (root): must be object but found array"},
		{"root null", []byte(` null `), "at (root): must be object but found null"},
		{"several", withField(t, "lines", `[{"sku":"abc","qty":0},{"sku":"","qty":-1}]`),
			"at /lines/0/qty: must be >= 1 but found 0 (and 2 more)"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkErr(t, s, tc.data, tc.want) })
	}

	p := mustParse(t, pointSchema)
	for _, tc := range []struct{ data, want string }{
		{`{"pos":[1,2,3]}`, "at /pos/2: "},
		{`{"pos":[1,"2"]}`, `at /pos/1: must be number but found string "2"`},
		{`{"pos":[1,2],"x":1}`, "at /x: no value is allowed here (the schema is false)"},
		{`{"pos":[1,2],"label":"end"}`, `at /label: must be "origin" but found "end"`},
		{`{"pos":[1,2],"label":"not-an-email"}`, `at /label: must be "origin"`}, // format: annotation only
		{`{}`, `at (root): missing required property "pos"`},
	} {
		checkErr(t, p, []byte(tc.data), tc.want)
	}

	esc := mustParse(t, `{"additionalProperties": {"type": "integer"}, "properties": {"n": {"not": {"const": 0}}}}`)
	checkErr(t, esc, []byte(`{"a/b~c":"x"}`), `at /a~1b~0c: must be integer but found string "x"`)
	checkErr(t, esc, []byte(`{"a\nb":true}`), `at /a\x0ab: must be integer but found boolean true`)
	checkErr(t, esc, []byte(`{"n":0}`), `at /n: must not match the "not" schema`)

	one := mustParse(t, `{"oneOf": [{"type": "integer"}, {"minimum": 0}], "contains": {"const": 1}}`)
	checkErr(t, one, []byte(`3`), "at (root): matches oneOf subschemas 0 and 1 but must match exactly one")
	checkErr(t, one, []byte(`[2]`), `at (root): no item matches the "contains" schema`)
	checkErr(t, one, []byte(`[]`), `at (root): no item matches the "contains" schema`)
	checkErr(t, mustParse(t, `false`), []byte(`{}`), "at (root): no value is allowed here (the schema is false)")

	// Kinds worded by the library itself.
	lib := mustParse(t, `{"properties": {"t": {"items": [{"type": "string"}], "additionalItems": false},
		"p": {"propertyNames": {"maxLength": 2}}}, "dependencies": {"a": ["b", "c"]}}`)
	checkErr(t, lib, []byte(`{"t":["x",1,2]}`), "at /t: last 2 additionalItem(s) not allowed")
	checkErr(t, lib, []byte(`{"a":1,"b":2}`), "at (root): properties 'c' required, if 'a' exists")
	checkErr(t, lib, []byte(`{"p":{"abc":1}}`), `at /p: property name "abc": must be at most 2 characters long but has 3`)
	dr := mustParse(t, `{"$schema": "https://json-schema.org/draft/2020-12/schema", "dependentRequired": {"a": ["b"]},
		"contains": {"type": "string"}, "minContains": 2}`)
	checkErr(t, dr, []byte(`{"a":1}`), "at (root): properties 'b' required, if 'a' exists")
	mc := mustParse(t, `{"$schema": "https://json-schema.org/draft/2020-12/schema", "contains": {"type": "string"}, "maxContains": 1}`)
	checkErr(t, mc, []byte(`["a",1,"b"]`), `at (root): must have at most 1 items matching the "contains" schema but has 2`)
	checkErr(t, dr, []byte(`["x",1]`), `at (root): must have at least 2 items matching the "contains" schema but has 1`)
}

func TestValidateNotJSON(t *testing.T) {
	s := mustParse(t, orderSchema, customerRef)
	anything := mustParse(t, `{}`)
	deep := func(n int) []byte { return []byte(strings.Repeat("[", n) + strings.Repeat("]", n)) }
	for _, tc := range []struct {
		name string
		data string
		want string
	}{
		{"empty", "", "not JSON: the payload is empty"},
		{"whitespace", " \n\t", "not JSON: the payload is only whitespace, ending at byte 3"},
		{"trailing", `{"a":1} x`, "not JSON: unexpected data after the top-level value at byte 8"},
		{"two values", `{}{}`, "not JSON: unexpected data after the top-level value at byte 2"},
		{"two numbers", `1 2`, "at byte 2"},
		{"two strings", `"a""b"`, "at byte 3"},
		{"trailing bracket", `[1]]`, "at byte 3"},
		{"syntax", `{"a":}`, "not JSON: invalid character '}' looking for beginning of value at byte 5"},
		{"trailing comma", `[1,2,]`, "not JSON: invalid character ']' looking for beginning of value at byte 5"},
		{"bad literal", `[tru]`, "not JSON: invalid character ']' in literal true (expecting 'e') at byte 4"},
		{"garbage", `hello`, "not JSON: invalid character 'h' looking for beginning of value at byte 0"},
		{"closing", `}`, "at byte 0"},
		{"truncated", `{"a":[1,2`, "not JSON: value ends unexpectedly at byte 9"},
		{"open string", `"abc`, "not JSON: value ends unexpectedly at byte 4"},
		{"bad number", `1.`, "not JSON: value ends unexpectedly at byte 2"},
		{"bad number 2", `-x`, "not JSON: invalid character 'x' in numeric literal at byte 1"},
		{"leading zero", `01`, "not JSON: unexpected data after the top-level value at byte 1"},
		{"bom", "\xef\xbb\xbf{}", "not JSON: invalid character 'ï' looking for beginning of value at byte 0"},
		{"bad utf8", "{\"a\":\"x\xff\"}", "not JSON: invalid UTF-8 in a string at byte 7"},
		{"control char", "\"a\x01\"", `not JSON: invalid character '\x01' in string literal at byte 2`},
		{"nan", `NaN`, "at byte 0"},
		{"single quotes", `{'a':1}`, "at byte 1"},
		{"too deep", string(deep(maxDepth + 1)), "at byte 1000: arrays and objects nested deeper than 1000 levels"},
		{"too deep objects", strings.Repeat(`{"a":`, maxDepth+1), "at byte 5000: arrays and objects nested deeper than 1000 levels"},
		{"exponent", `[1e1001]`, "at byte 1: number exponent beyond ±1000"},
		{"negative exponent", `[0.5E-99999999999999999999]`, "at byte 1: number exponent beyond ±1000"},
		{"huge exponent", `1e2000000`, "at byte 0: number exponent beyond ±1000"},
		{"long number", "[" + strings.Repeat("9", maxNumberLen+1) + "]", "at byte 1: number longer than 1000 characters"},
		{"long fraction", "0." + strings.Repeat("1", maxNumberLen), "at byte 0: number longer than 1000 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, s, []byte(tc.data), tc.want)
			checkErr(t, anything, []byte(tc.data), tc.want)
			checkErr(t, nil, []byte(tc.data), tc.want)
		})
	}
	for _, ok := range []string{
		string(deep(maxDepth)),
		`[1e1000, -1E-1000, 1e+0001000, 2e-0000000000000000000000000000000000000001]`,
		"[" + strings.Repeat("9", maxNumberLen) + "]",
		`"\"\\\u00e9 \ud800"`, // a lone surrogate escape: JSON allows it, the decoder replaces it
		"\"é€😀\"",
		`true`, ` false`, `null `, `0`, `-0.0e0`, `{"a":[{},[],""]}`,
	} {
		checkErr(t, anything, []byte(ok), "")
		checkErr(t, nil, []byte(ok), "")
	}
}

// TestValidateBigNumbers checks numbers the validator turns into math/big values at the
// limits (the library would panic on an exponent past 1e6; the scanner stops that earlier).
func TestValidateBigNumbers(t *testing.T) {
	s := mustParse(t, `{"items": {"type": "integer", "minimum": 0, "maximum": 1e999, "multipleOf": 3}, "uniqueItems": true}`)
	nines := strings.Repeat("9", maxNumberLen)
	checkErr(t, s, []byte(`[3, 6]`), "")
	checkErr(t, s, []byte(`[1e1000]`), "at /0: must be <= 1e999 but found 1e1000")
	checkErr(t, s, []byte(`[-1e-1000]`), "at /0: must be integer but found number -1e-1000")
	checkErr(t, s, []byte(`[`+nines+`]`), "at /0: must be <= 1e999 but found 9999999999999999999999999999999999999...")
	e := mustParse(t, `{"enum": [3, 6, 1e999, 0.1]}`)
	checkErr(t, e, []byte(`1e999`), "")
	checkErr(t, e, []byte(`0.10`), "")
	checkErr(t, e, []byte(`1e998`), "at (root): must be one of 3, 6, 1e999, 0.1 but found 1e998")
	checkErr(t, s, []byte(`[0.`+nines[:maxNumberLen-2]+`]`), "at /0: must be integer but found number 0.999")
	many := "[" + strings.Repeat("3,", 30) + "3]" // > 20 items: uniqueItems hashes
	checkErr(t, s, []byte(many), "are equal but must be unique")
}

func TestValidateMessageLength(t *testing.T) {
	long := strings.Repeat("ü", 300)
	s := mustParse(t, `{"type": "object", "additionalProperties": false,
		"properties": {"e": {"enum": ["`+long+`", "`+long+`x"]}, "p": {"pattern": "^`+long+`$"}}}`)
	deepKeys := map[string]any{}
	m := deepKeys
	for i := 0; i < 30; i++ {
		next := map[string]any{}
		m[strings.Repeat("k", 20)] = next
		m = next
	}
	m["z"] = "x"
	ds := mustParse(t, `{"additionalProperties": {"$ref": "#"}, "properties": {"z": {"type": "integer"}}}`)
	for _, c := range []struct {
		s    *Schema
		data []byte
	}{
		{s, marshal(t, map[string]any{long: 1, long + "2": 2})},
		{s, marshal(t, map[string]any{"e": long + "y"})},
		{s, marshal(t, map[string]any{"p": long + "y"})},
		{ds, marshal(t, deepKeys)},
	} {
		err := c.s.Validate(c.data)
		if err == nil {
			t.Fatalf("Validate(%.60q) = nil, want an error", c.data)
		}
		checkMessage(t, err)
		t.Logf("%d bytes: %s", len(err.Error()), err)
	}
}

func TestTitle(t *testing.T) {
	for text, want := range map[string]string{
		orderSchema:     "Order",
		pointSchema:     "Point",
		`{"title": ""}`: "",
		`{"properties": {"title": {"title": "x"}}}`: "-",
		`true`: "-",
	} {
		s := mustParse(t, text, customerRef)
		got, ok := s.Title()
		if want == "-" {
			if ok {
				t.Errorf("Title() of %.40s = %q, true; want none", text, got)
			}
		} else if !ok || got != want {
			t.Errorf("Title() of %.40s = %q, %v; want %q", text, got, ok, want)
		}
	}
	var nilSchema *Schema
	if _, ok := nilSchema.Title(); ok {
		t.Error("nil schema has a title")
	}
}

// TestValidateConcurrent shares one compiled schema between goroutines (run with -race).
func TestValidateConcurrent(t *testing.T) {
	s := mustParse(t, orderSchema, customerRef)
	good := marshal(t, sampleOrder())
	bad := withField(t, "priority", "0")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := s.Validate(good); err != nil {
					t.Errorf("valid order: %v", err)
					return
				}
				if err := s.Validate(bad); err == nil || !strings.Contains(err.Error(), "/priority") {
					t.Errorf("invalid order: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// limitsOK reports whether a document decoded by encoding/json stays within the payload
// limits; it is the fuzz test's independent reading of them.
func limitsOK(v any, depth int) bool {
	switch v := v.(type) {
	case []any:
		if depth >= maxDepth {
			return false
		}
		for _, e := range v {
			if !limitsOK(e, depth+1) {
				return false
			}
		}
	case map[string]any:
		if depth >= maxDepth {
			return false
		}
		for _, e := range v {
			if !limitsOK(e, depth+1) {
				return false
			}
		}
	case json.Number:
		s := string(v)
		if len(s) > maxNumberLen {
			return false
		}
		if i := strings.IndexAny(s, "eE"); i >= 0 {
			e := strings.TrimLeft(strings.TrimLeft(s[i+1:], "+-"), "0")
			if len(e) > 4 || len(e) == 4 && e > "1000" {
				return false
			}
		}
	}
	return true
}

// FuzzValidate feeds arbitrary payloads to Validate under several schemas, and encodes
// fuzz-derived values with encoding/json (seeds: testdata/fuzz/FuzzValidate and the adds
// below). Invariants:
//   - nothing panics; every error matches ErrInvalidPayload and is a short, printable line;
//   - a payload any schema accepts is valid JSON and valid UTF-8;
//   - under the empty schema, data is accepted iff it is valid JSON, valid UTF-8 and within
//     the limits (checked independently on the encoding/json decoding);
//   - an accepted payload re-encoded by encoding/json is accepted again;
//   - an order encoded by encoding/json from fuzz-derived values is accepted.
func FuzzValidate(f *testing.F) {
	seed := marshal(f, sampleOrder())
	f.Add(seed, "Ada", int64(2), 12.34, true)
	f.Add([]byte(`{"pos":[1,2],"label":"origin"}`), "", int64(0), 0.0, false)
	f.Add([]byte(`{"v":1,"kids":[{"v":2,"kids":[]}]}`), "zz", int64(-5), -1.5, true)
	f.Add([]byte(`[1e1000, "\ud800", {"a":[null,true]}]`), "\xff\xfe", int64(math.MinInt64), math.Inf(1), false)
	f.Add([]byte(`{"a":1} x`), "a/b~c", int64(math.MaxInt64), math.NaN(), true)

	orders := mustParseTB(f, orderSchema, customerRef)
	schemas := []*Schema{
		orders,
		mustParseTB(f, pointSchema),
		mustParseTB(f, treeSchema),
		mustParseTB(f, `{"items": {"type": "integer", "minimum": 0, "multipleOf": 0.5}, "uniqueItems": true,
			"additionalProperties": {"enum": [1, "a", null, {"b": [2]}]}, "propertyNames": {"maxLength": 3}}`),
		mustParseTB(f, `{"anyOf": [{"type": "string", "format": "ipv4"}, {"type": "string", "format": "duration"},
			{"format": "regex"}, {"type": "string", "format": "uri-reference"}, {"format": "email"}, {"format": "time"}]}`),
	}
	anything := mustParseTB(f, `true`)

	f.Fuzz(func(t *testing.T, data []byte, name string, qty int64, total float64, flag bool) {
		for _, s := range schemas {
			err := s.Validate(data)
			if err != nil {
				checkMessage(t, err)
				continue
			}
			if !json.Valid(data) || !utf8.Valid(data) {
				t.Fatalf("accepted %q, which is not valid JSON and UTF-8", data)
			}
			v, derr := sjs.UnmarshalJSON(bytes.NewReader(data))
			if derr != nil {
				t.Fatalf("accepted %q, which sjs cannot decode: %v", data, derr)
			}
			again, merr := json.Marshal(v)
			if merr != nil {
				t.Fatalf("re-encoding %q: %v", data, merr)
			}
			if err := s.Validate(again); err != nil {
				t.Fatalf("accepted %q but not its re-encoding %q: %v", data, again, err)
			}
		}
		want := json.Valid(data) && utf8.Valid(data)
		if want {
			d := json.NewDecoder(bytes.NewReader(data))
			d.UseNumber()
			var v any
			if err := d.Decode(&v); err != nil {
				t.Fatalf("json.Valid(%q) but Decode: %v", data, err)
			}
			want = limitsOK(v, 0)
		}
		if err := anything.Validate(data); (err == nil) != want {
			t.Fatalf("Validate(%q) under the empty schema = %v, want valid = %v", data, err, want)
		}

		// A payload the real encoder makes from the fuzz values must validate.
		runes := []rune(name) // invalid UTF-8 becomes U+FFFD per byte, as encoding/json does
		note := string(runes[:min(len(runes), 20)])
		var tags []string
		if low := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r
			}
			return -1
		}, name); low != "" {
			tags = []string{low}
		}
		if math.IsNaN(total) || math.IsInf(total, 0) {
			total = 0
		}
		status := "NEW"
		if flag {
			status = "SHIPPED"
		}
		u := uint64(qty)
		o := order{
			ID:       fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(u), uint16(u>>32), u>>48&0xfff, u>>4&0xfff, u&0xffffffffffff),
			Customer: customer{Name: name},
			Status:   status,
			Created:  time.Unix(int64(u%(300*365*86400)), 0).UTC().Format(time.RFC3339),
			Lines:    []line{{SKU: name + "sku", Qty: int64(u%1000) + 1}, {SKU: "abc", Qty: max(qty, 1)}},
			Total:    math.Round(math.Mod(math.Abs(total), 1e9)*100) / 100,
			Note:     &note,
			Tags:     tags,
			Priority: int64(u%5) + 1,
			Express:  flag,
		}
		if err := orders.Validate(marshal(t, o)); err != nil {
			t.Fatalf("encoded order %+v: %v", o, err)
		}
		if err := anything.Validate(marshal(t, map[string]any{name: []any{qty, total, flag, name}})); err != nil {
			t.Fatalf("encoded map: %v", err)
		}
	})
}

// BenchmarkValidate validates a realistic 10-field order (~250 bytes) against orderSchema.
func BenchmarkValidate(b *testing.B) {
	s := mustParseTB(b, orderSchema, customerRef)
	data := marshal(b, sampleOrder())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateInvalid is the same order with one line's qty out of range.
func BenchmarkValidateInvalid(b *testing.B) {
	s := mustParseTB(b, orderSchema, customerRef)
	data := withField(b, "lines", `[{"sku":"abc","qty":0}]`)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(data); err == nil {
			b.Fatal("valid")
		}
	}
}

func mustParseTB(tb testing.TB, text string, refs ...Reference) *Schema {
	tb.Helper()
	s, err := Parse(text, refs...)
	if err != nil {
		tb.Fatalf("Parse(%.60s): %v", text, err)
	}
	return s
}
