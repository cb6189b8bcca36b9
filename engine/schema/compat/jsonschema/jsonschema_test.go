package jsonschema

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func mustParse(t *testing.T, text string, refs ...Reference) *Schema {
	t.Helper()
	s, err := Parse(text, refs...)
	if err != nil {
		t.Fatalf("Parse(%s): %v", text, err)
	}
	return s
}

// TestBackwardRules covers rules the Confluent corpus does not exercise: draft 4 and
// 2019-09 spellings, exclusive bounds, dependencies, defaults, references, FORWARD by
// swapping roles.
func TestBackwardRules(t *testing.T) {
	for _, tc := range []struct {
		name       string
		prev, next string
		want       bool
		changes    []string // "TYPE path", in order
	}{
		{"identical", `{"type":"object","properties":{"a":{"type":"string"}}}`, `{"type":"object","properties":{"a":{"type":"string"}}}`, true, nil},
		{"boolean true to empty", `true`, `{}`, true, nil},
		{"anything to false", `{"type":"string"}`, `false`, false, []string{"TYPE_CHANGED #/"}},
		{"false to anything", `false`, `{"type":"string"}`, true, nil},
		{"exclusiveMaximum decreased", `{"type":"number","exclusiveMaximum":5}`, `{"type":"number","exclusiveMaximum":4}`, false, []string{"EXCLUSIVE_MAXIMUM_DECREASED #/exclusiveMaximum"}},
		{"exclusiveMinimum removed", `{"type":"number","exclusiveMinimum":5}`, `{"type":"number"}`, true, []string{"EXCLUSIVE_MINIMUM_REMOVED #/exclusiveMinimum"}},
		{"draft4 boolean exclusiveMaximum", `{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","maximum":5,"exclusiveMaximum":true}`, `{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","maximum":5}`, true, []string{"EXCLUSIVE_MAXIMUM_REMOVED #/exclusiveMaximum"}},
		{"draft4 id changed", `{"$schema":"http://json-schema.org/draft-04/schema#","id":"a"}`, `{"$schema":"http://json-schema.org/draft-04/schema#","id":"b"}`, true, []string{"ID_CHANGED #/"}},
		{"multipleOf expanded", `{"type":"number","multipleOf":2}`, `{"type":"number","multipleOf":10}`, false, []string{"MULTIPLE_OF_EXPANDED #/multipleOf"}},
		{"multipleOf decimal reduced", `{"type":"number","multipleOf":0.5}`, `{"type":"number","multipleOf":0.25}`, true, []string{"MULTIPLE_OF_REDUCED #/multipleOf"}},
		{"minLength added", `{"type":"string"}`, `{"type":"string","minLength":1}`, false, []string{"MIN_LENGTH_ADDED #/minLength"}},
		{"pattern added", `{"type":"string"}`, `{"type":"string","pattern":"^a"}`, false, []string{"PATTERN_ADDED #/pattern"}},
		{"maxItems increased", `{"type":"array","maxItems":1}`, `{"type":"array","maxItems":3}`, true, []string{"MAX_ITEMS_INCREASED #/maxItems"}},
		{"uniqueItems added", `{"type":"array"}`, `{"type":"array","uniqueItems":true}`, false, []string{"UNIQUE_ITEMS_ADDED #/uniqueItems"}},
		{"enum narrowed", `{"enum":["a","b"]}`, `{"enum":["a"]}`, false, []string{"ENUM_ARRAY_NARROWED #/enum"}},
		{"dependency array narrowed", `{"dependencies":{"a":["b","c"]}}`, `{"dependencies":{"a":["b"]}}`, true, []string{"DEPENDENCY_ARRAY_NARROWED #/dependencies/a"}},
		{"dependency array extended", `{"dependencies":{"a":["b"]}}`, `{"dependencies":{"a":["b","c"]}}`, false, []string{"DEPENDENCY_ARRAY_EXTENDED #/dependencies/a"}},
		{"2019-09 dependentRequired removed", `{"$schema":"https://json-schema.org/draft/2019-09/schema","dependentRequired":{"a":["b"]}}`, `{"$schema":"https://json-schema.org/draft/2019-09/schema","dependentRequired":{}}`, true, []string{"DEPENDENCY_ARRAY_REMOVED #/dependencies/a"}},
		{"required with default", `{"properties":{"a":{"type":"string","default":"x"}}}`, `{"properties":{"a":{"type":"string","default":"x"}},"required":["a"]}`, true, []string{"REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED #/required/a"}},
		{"required property with default to closed", `{"properties":{},"additionalProperties":false}`, `{"properties":{"a":{"type":"string","default":"x"}},"required":["a"],"additionalProperties":false}`, true, []string{"REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/a"}},
		{"required property added to open", `{"properties":{}}`, `{"properties":{"a":{"type":"string"}},"required":["a"]}`, false, []string{"REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/a"}},
		{"property removed from closed (FORWARD of add)", `{"properties":{"a":{"type":"string"}},"additionalProperties":false}`, `{"properties":{},"additionalProperties":false}`, false, []string{"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/a"}},
		{"item added to open", `{"type":"array","items":[{"type":"string"}]}`, `{"type":"array","items":[{"type":"string"},{"type":"number"}]}`, false, []string{"ITEM_ADDED_TO_OPEN_CONTENT_MODEL #/items/1"}},
		{"item removed from closed", `{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false}`, `{"type":"array","items":[{"type":"string"}],"additionalItems":false}`, false, []string{"ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL #/items/1"}},
		{"nested property type changed", `{"properties":{"a":{"properties":{"b":{"type":"string"}}}}}`, `{"properties":{"a":{"properties":{"b":{"type":"boolean"}}}}}`, false, []string{"TYPE_CHANGED #/properties/a/properties/b"}},
		{"string to type list", `{"type":"string","maxLength":3}`, `{"type":["string","null"],"maxLength":5}`, true, []string{"MAX_LENGTH_INCREASED #/maxLength", "SUM_TYPE_EXTENDED #/"}},
		{"type list narrowed", `{"type":["string","null"]}`, `{"type":"string"}`, false, []string{"TYPE_CHANGED #/"}},
		{"recursive schema, leaf narrowed", `{"$ref":"#/definitions/n","definitions":{"n":{"type":"object","properties":{"v":{"type":"number"},"next":{"$ref":"#/definitions/n"}}}}}`, `{"$ref":"#/definitions/n","definitions":{"n":{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#/definitions/n"}}}}}`, false, []string{"TYPE_NARROWED #/properties/v"}},
		{"2019-09 anchor", `{"$schema":"https://json-schema.org/draft/2019-09/schema","$ref":"#s","$defs":{"s":{"$anchor":"s","type":"string"}}}`, `{"$schema":"https://json-schema.org/draft/2019-09/schema","type":"string","maxLength":2}`, false, []string{"MAX_LENGTH_ADDED #/maxLength"}},
		{"2020-12 $ref with siblings", `{"$schema":"https://json-schema.org/draft/2020-12/schema","$ref":"#/$defs/s","maxLength":2,"$defs":{"s":{"type":"string"}}}`, `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string"}`, true, []string{"PRODUCT_TYPE_NARROWED #/"}},
		{"propertyNames added", `{"type":"object"}`, `{"type":"object","propertyNames":{"maxLength":3}}`, false, []string{"SCHEMA_ADDED #/propertyNames"}},
		{"contains removed", `{"type":"array","contains":{"type":"number"}}`, `{"type":"array"}`, true, []string{"SCHEMA_REMOVED #/contains"}},
		{"2020-12 maxContains decreased", `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"maxContains":3}`, `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"maxContains":2}`, false, []string{"MAX_CONTAINS_DECREASED #/maxContains"}},
		{"not unchanged", `{"not":{"type":"string"}}`, `{"not":{"type":"string"}}`, true, nil},
		{"const unchanged", `{"const":1}`, `{"const":1}`, true, nil},
		{"default changed", `{"type":"string","default":"a"}`, `{"type":"string","default":"b"}`, true, []string{"DEFAULT_CHANGED #/"}},
		{"enum to const", `{"enum":[1]}`, `{"const":1}`, false, []string{"TYPE_CHANGED #/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changes := Backward(mustParse(t, tc.prev), mustParse(t, tc.next))
			if got != tc.want || strings.Join(changeStrings(changes), "\n") != strings.Join(tc.changes, "\n") {
				t.Errorf("Backward = %v %q, want %v %q", got, changeStrings(changes), tc.want, tc.changes)
			}
			for _, c := range changes {
				if c.Compatible != allowed(Strict, c.Type) {
					t.Errorf("change %v: Compatible disagrees with the policy", c)
				}
			}
		})
	}
}

func TestLenientPolicy(t *testing.T) {
	prev := mustParse(t, `{"properties":{"a":{"type":"string"}}}`)
	next := mustParse(t, `{"properties":{"a":{"type":"string"},"b":{"type":"number"}}}`)
	if ok, _ := Backward(prev, next); ok {
		t.Error("strict: optional property added to open content model is compatible, want incompatible")
	}
	ok, changes := BackwardPolicy(prev, next, Lenient)
	if !ok || len(changes) != 1 || !changes[0].Compatible {
		t.Errorf("lenient: got %v %v, want compatible", ok, changes)
	}
	// Lenient does not allow everything.
	if ok, _ := BackwardPolicy(mustParse(t, `{"type":"string"}`), mustParse(t, `{"type":"number"}`), Lenient); ok {
		t.Error("lenient: TYPE_CHANGED is compatible, want incompatible")
	}
}

func TestReferences(t *testing.T) {
	refs := func(typ string) []Reference {
		return []Reference{{Name: "address.json", Schema: `{"type":"object","properties":{"zip":{"type":"` + typ + `"}}}`}}
	}
	text := `{"type":"object","properties":{"home":{"$ref":"address.json"}}}`
	prev := mustParse(t, text, refs("string")...)
	same := mustParse(t, text, refs("string")...)
	changed := mustParse(t, text, refs("boolean")...)
	if ok, changes := Backward(prev, same); !ok || len(changes) != 0 {
		t.Errorf("same reference: %v %v, want compatible without changes", ok, changes)
	}
	ok, changes := Backward(prev, changed)
	if ok || len(changes) != 1 || changes[0].Path != "#/properties/home/properties/zip" || changes[0].Type != "TYPE_CHANGED" {
		t.Errorf("changed reference: %v %v, want TYPE_CHANGED at #/properties/home/properties/zip", ok, changes)
	}
	if _, err := Parse(text); err == nil {
		t.Error("Parse without the reference succeeded, want an error")
	}
}

func TestParseErrors(t *testing.T) {
	for _, text := range []string{
		``,
		`{`,
		`{"type": 5}`,
		`{"minLength": -1}`,
		`{"properties": []}`,
		`"string"`,
		`{"$ref": "https://example.com/remote.json"}`,
		`{"$ref": "#/definitions/missing"}`,
		`{"$schema": "https://example.com/unknown-meta"}`,
		`{} {}`,
	} {
		_, err := Parse(text)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error", text)
			continue
		}
		if !errors.Is(err, ErrInvalidSchema) {
			t.Errorf("Parse(%q) = %v, want it to wrap ErrInvalidSchema", text, err)
		}
	}
}

func TestNilIsEmptySchema(t *testing.T) {
	s := mustParse(t, `{"type":"string"}`)
	if ok, _ := Backward(s, nil); !ok {
		t.Error("anything to nil (empty schema) is incompatible, want compatible")
	}
	if ok, _ := Backward(nil, s); ok {
		t.Error("nil (empty schema) to string is compatible, want incompatible")
	}
}

// TestTooComplex builds references that fan out exponentially: the step budget must stop
// the walk and report TooComplex rather than run for ages.
func TestTooComplex(t *testing.T) {
	const levels, width = 8, 5
	var defs []string
	for l := 0; l < levels; l++ {
		var subs []string
		for w := 0; w < width; w++ {
			if l == levels-1 {
				subs = append(subs, fmt.Sprintf(`{"type":"string","maxLength":%d}`, w))
			} else {
				subs = append(subs, fmt.Sprintf(`{"properties":{"p%d":{"$ref":"#/definitions/d%d"}}}`, w, l+1))
			}
		}
		defs = append(defs, fmt.Sprintf(`"d%d":{"anyOf":[%s]}`, l, strings.Join(subs, ",")))
	}
	text := `{"$ref":"#/definitions/d0","definitions":{` + strings.Join(defs, ",") + `}}`
	s := mustParse(t, text)
	ok, changes := Backward(s, s)
	if ok || len(changes) == 0 || changes[len(changes)-1].Type != TooComplex {
		t.Errorf("got %v, %d changes, want incompatible ending in %s", ok, len(changes), TooComplex)
	}
}
