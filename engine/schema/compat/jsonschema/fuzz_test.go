package jsonschema

import (
	"strings"
	"testing"
)

// FuzzBackward feeds arbitrary pairs of texts to Parse and, when both parse, to Backward in
// both directions (seeds: testdata/fuzz/FuzzBackward and the adds below). Invariants:
//   - nothing panics or hangs (the step budget bounds the walk);
//   - compatible is true iff every change is Compatible, and Compatible matches the policy;
//   - every path is JSON-pointer-like ("#/...");
//   - a schema is compatible with itself and reports no change (unless the budget ran out).
func FuzzBackward(f *testing.F) {
	f.Add(`{"type":"string","maxLength":3}`, `{"oneOf":[{"type":"number"},{"type":"string"}]}`)
	f.Add(`{"properties":{"a":{"type":"string"}},"additionalProperties":false}`, `{"properties":{"b":{"$ref":"#/definitions/x"}},"definitions":{"x":{"type":"integer"}},"additionalProperties":{"type":"number"}}`)
	f.Add(`{"$ref":"#/definitions/n","definitions":{"n":{"anyOf":[{"type":"null"},{"properties":{"next":{"$ref":"#/definitions/n"}}}]}}}`, `{"$ref":"#"}`)
	f.Add(`{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"string"}],"items":false}`, `{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[true],"unevaluatedItems":{"enum":[1,"a"]}}`)
	f.Add(`{"allOf":[{"not":{"const":1}},{"dependencies":{"a":["b"],"c":{"minProperties":1}}}]}`, `true`)
	f.Fuzz(func(t *testing.T, a, b string) {
		pa, errA := Parse(a)
		pb, errB := Parse(b)
		for _, err := range []error{errA, errB} {
			if err != nil && err.Error() == "" {
				t.Fatal("empty error message")
			}
		}
		if errA != nil || errB != nil {
			return
		}
		check := func(prev, next *Schema) []Change {
			for _, p := range []Policy{Strict, Lenient} {
				ok, changes := BackwardPolicy(prev, next, p)
				all := true
				for _, c := range changes {
					all = all && c.Compatible
					if c.Compatible != allowed(p, c.Type) {
						t.Fatalf("change %+v: Compatible disagrees with policy %d", c, p)
					}
					if !strings.HasPrefix(c.Path, "#/") {
						t.Fatalf("change %+v: path is not JSON-pointer-like", c)
					}
				}
				if ok != all {
					t.Fatalf("compatible = %v but changes %+v", ok, changes)
				}
			}
			_, changes := Backward(prev, next)
			return changes
		}
		check(pa, pb)
		check(pb, pa)
		for _, s := range []*Schema{pa, pb} {
			changes := check(s, s)
			if len(changes) > 0 && changes[len(changes)-1].Type != TooComplex {
				t.Fatalf("schema against itself reports %+v", changes)
			}
		}
	})
}
