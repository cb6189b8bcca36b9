package protobuf

import "testing"

// FuzzBackward parses two schema texts and compares them. Invariants: nothing panics; a
// schema compared with itself has no changes and is compatible; the verdict is exactly "every
// change is allowed"; every change's Compatible matches Allowed and its path starts "#/".
func FuzzBackward(f *testing.F) {
	f.Add("syntax = \"proto3\";\nmessage M { int32 a = 1; }", "syntax = \"proto3\";\nmessage M { string a = 1; }")
	f.Add("syntax = \"proto2\";\nmessage M { required int32 a = 1; oneof o { string s = 2; } }",
		"syntax = \"proto2\";\nmessage M { oneof o { int32 a = 1; string s = 2; } }")
	f.Add("syntax = \"proto3\";\npackage p;\nmessage M { map<string, M> m = 1; message N { M m = 1; } }",
		"syntax = \"proto3\";\nmessage M { repeated M m = 1; enum E { A = 0; } }")
	f.Add("syntax = \"proto3\";\nimport \"confluent/meta.proto\";\nmessage M { int32 a = 1 [(confluent.field_meta).doc = \"x\"]; }",
		"syntax = \"proto3\";\nimport \"google/protobuf/any.proto\";\nmessage M { google.protobuf.Any a = 1; }")
	f.Add("", "message {")
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, errA := Parse(a, nil)
		sb, errB := Parse(b, nil)
		if errA == nil {
			if ok, changes := Backward(sa, sa); !ok || len(changes) != 0 {
				t.Fatalf("self comparison: ok=%v changes %v", ok, changes)
			}
		}
		if errA != nil || errB != nil {
			return
		}
		ok, changes := Backward(sa, sb)
		all := true
		for _, c := range changes {
			if c.Compatible != Allowed(c.Type) {
				t.Fatalf("change %+v: Compatible disagrees with Allowed", c)
			}
			if len(c.Path) < 2 || c.Path[:2] != "#/" {
				t.Fatalf("change %+v: bad path", c)
			}
			all = all && c.Compatible
		}
		if ok != all {
			t.Fatalf("verdict %v, but every change allowed = %v (%v)", ok, all, changes)
		}
	})
}
