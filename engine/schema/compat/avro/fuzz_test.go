package avro

import (
	"strings"
	"testing"
)

// FuzzCheck parses two texts and checks them both ways. Invariants: Parse and Check never
// panic; compatible is exactly "no changes"; every change is an incompatibility with a
// rooted path and a description; a schema always reads data written with itself.
// Seeds: f.Add below and testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	f.Add(schema1, schema3)
	f.Add(`["null","string"]`, `"string"`)
	f.Add(`{"type":"record","name":"List","fields":[{"name":"h","type":"int"},{"name":"t","type":["null","List"]}]}`,
		`{"type":"record","name":"List","fields":[{"name":"h","type":"long"},{"name":"t","type":["null","List"]}]}`)
	f.Add(`{"type":"enum","name":"E","symbols":["A"],"default":"Z"}`, `{"type":"enum","name":"E","symbols":["A","B"]}`)
	f.Add(`{"type":"fixed","name":"F","size":4}`, `{"type":"map","values":{"type":"array","items":"bytes"}}`)
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, errA := Parse(a)
		sb, errB := Parse(b, Reference{Name: "a", Schema: a})
		if errA != nil {
			return
		}
		if ok, ch := Check(sa, sa); !ok {
			t.Fatalf("schema does not read itself: %s: %v", a, ch)
		}
		sa2, err := Parse(a)
		if err != nil {
			t.Fatalf("Parse(%q) succeeded then failed: %v", a, err)
		}
		if ok, ch := Check(sa, sa2); !ok {
			t.Fatalf("schema does not read a second parse of itself: %s: %v", a, ch)
		}
		if errB != nil {
			return
		}
		for _, pair := range [][2]*Schema{{sa, sb}, {sb, sa}} {
			ok, changes := Check(pair[0], pair[1])
			if ok != (len(changes) == 0) {
				t.Fatalf("compatible = %v with %d changes", ok, len(changes))
			}
			for _, c := range changes {
				if c.Compatible || c.Type == "" || c.Description == "" || !strings.HasPrefix(c.Path, "/") {
					t.Fatalf("malformed change %+v", c)
				}
			}
		}
	})
}
