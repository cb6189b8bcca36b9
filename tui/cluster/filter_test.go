package cluster

import (
	"strings"
	"testing"
)

func TestParseFilter(t *testing.T) {
	rec := &Record{
		Partition: 2,
		Offset:    1500,
		KeyText:   "order-42",
		ValueText: "{\n  \"status\": \"Disk Full\",\n  \"n\": 7,\n  \"ok\": false,\n  \"items\": [{\"sku\": \"A-1\"}],\n  \"nested\": {\"a\": {\"b\": \"deep\"}}\n}",
		Headers:   []Header{{Key: "source", Value: []byte("web")}, {Key: "trace", Value: []byte("abc-123")}},
	}
	for _, c := range []struct {
		expr  string
		match bool
	}{
		{"", true},
		{"   ", true},
		{"order", true},
		{"ORDER", true},
		{"disk", true},
		{`"disk full"`, true},
		{`"disk  full"`, false},
		{"web", true},      // a header value
		{"trace", true},    // a header key
		{"missing", false}, //
		{"-missing", true},
		{"-order", false},
		{"key:order", true},
		{"key:disk", false},
		{"value:disk", true},
		{`value:"disk full"`, true},
		{`-value:"disk full"`, false},
		{"Key:ORDER-42", true},
		{"header:source", true},
		{"header:Source", false},
		{"header:nope", false},
		{"-header:nope", true},
		{"header:source=web", true},
		{"header:source=we", false},
		{"header:trace=abc-123", true},
		{"partition:2", true},
		{"partition:3", false},
		{"offset>=1500", true},
		{"offset>1500", false},
		{"offset<1500", false},
		{"offset<=1500", true},
		{"offset=1500", true},
		{"offset=1501", false},
		{"value.status=Disk Full", false}, // two terms: value.status=Disk and Full
		{`value.status="Disk Full"`, true},
		{"value.n=7", true},
		{"value.n=8", false},
		{"value.ok=false", true},
		{"value.items.0.sku=A-1", true},
		{"value.items.1.sku=A-1", false},
		{`value.nested.a="{\"b\":\"deep\"}"`, true}, // objects compare as compact JSON
		{`value.nested.a={"b":"deep"}`, false},      // quotes inside a term group, they are not literal
		{"value.nested.a.b=deep", true},
		{"value.missing=x", false},
		{"key.a=b", false}, // the key is not JSON
		{"order partition:2 offset>=1000 header:source=web -value:timeout", true},
		{"order partition:1", false},
		{`"key:order"`, false},   // a quoted term is a plain word: no "key:order" text anywhere
		{`"-order"`, false},      // ... and is not negated
		{`-"order"`, false},      // negated plain word
		{`"order-42"`, true},     //
		{`value:"\"Disk"`, true}, // escaped quote
	} {
		f, err := ParseFilter(c.expr)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", c.expr, err)
			continue
		}
		if got := f.Match(rec); got != c.match {
			t.Errorf("%q (parsed as %q) matches: %v, want %v", c.expr, f.String(), got, c.match)
		}
		again, err := ParseFilter(f.String())
		if err != nil || again.String() != f.String() {
			t.Errorf("%q: String %q does not read back (%q, %v)", c.expr, f.String(), again.String(), err)
		}
		if again.Match(rec) != c.match {
			t.Errorf("%q: String %q matches differently", c.expr, f.String())
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, c := range []struct {
		expr string
		want string
	}{
		{"-", "column 1:"},
		{"ok -", "column 4:"},
		{"ok partition:x", "column 4: \"partition:x\""},
		{"partition:-1", "column 1:"},
		{"a  offset>=x", "column 4:"},
		{"offset<", "column 1:"},
		{"key:", "column 1:"},
		{"b value:", "column 3:"},
		{"header:", "column 1:"},
		{"header:=x", "column 1:"},
		{"value..a=x", "column 1:"},
		{`a "unclosed`, "column 3: unclosed quote"},
		{`é "x`, "column 3: unclosed quote"}, // columns count runes
	} {
		_, err := ParseFilter(c.expr)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("ParseFilter(%q): %v, want an error starting %q", c.expr, err, c.want)
		}
	}
}

func TestFilterString(t *testing.T) {
	for expr, want := range map[string]string{
		"  a   b ":              "a b",
		`"a b"`:                 `"a b"`,
		`key:"a b"`:             `key:"a b"`,
		`-"x"`:                  `-x`,
		`"-x"`:                  `"-x"`,
		`"key:x"`:               `"key:x"`,
		`"offset>3"`:            `"offset>3"`,
		"OFFSET>=3 Partition:1": "offset>=3 partition:1",
		`value.a.b="x y"`:       `value."a.b=x y"`,
		`""`:                    `""`,
	} {
		f, err := ParseFilter(expr)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", expr, err)
		}
		if f.String() != want {
			t.Errorf("ParseFilter(%q).String() = %q, want %q", expr, f.String(), want)
		}
	}
}

// FuzzParseFilter checks, for any input: ParseFilter does not panic; an accepted filter's
// String parses again to the same String and matches a record the same way; Match does not
// panic.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "a", `"a b"`, "-key:x", "header:a=b", "offset>=3", "value.a.0=x", `key:"\"q\""`, "partition:1 -value:y"} {
		f.Add(s)
	}
	rec := &Record{Partition: 1, Offset: 3, KeyText: "x", ValueText: `{"a":["x"]}`, Headers: []Header{{Key: "a", Value: []byte("b")}}}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "column ") {
				t.Fatalf("ParseFilter(%q): error %q does not name a column", s, err)
			}
			return
		}
		str := flt.String()
		again, err := ParseFilter(str)
		if err != nil {
			t.Fatalf("ParseFilter(%q).String() = %q does not parse: %v", s, str, err)
		}
		if again.String() != str {
			t.Fatalf("String not stable: %q -> %q -> %q", s, str, again.String())
		}
		if flt.Match(rec) != again.Match(rec) {
			t.Fatalf("%q and its String %q match differently", s, str)
		}
	})
}
