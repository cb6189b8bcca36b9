package protobuf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// corpusCase is one case of Confluent's Protobuf diff examples (see the corpus README).
type corpusCase struct {
	Description          string          `json:"description"`
	OriginalSchema       string          `json:"original_schema"`
	UpdateSchema         string          `json:"update_schema"`
	OriginalReferences   []corpusRef     `json:"original_references"`
	UpdateReferences     []corpusRef     `json:"update_references"`
	OriginalDependencies []corpusDep     `json:"original_dependencies"`
	UpdateDependencies   []corpusDep     `json:"update_dependencies"`
	OriginalMetadata     json.RawMessage `json:"original_metadata"`
	UpdateMetadata       json.RawMessage `json:"update_metadata"`
	Changes              []string        `json:"changes"`
	Compatible           bool            `json:"compatible"`
}

type corpusRef struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

type corpusDep struct {
	Name       string `json:"name"`
	Dependency string `json:"dependency"`
}

// conformanceSkips lists the cases we knowingly fail, keyed "file#index", with the reason.
// Empty: every case passes. Metadata (confluent:reserved) is not checked: case 0 of
// diff-schema-examples.json carries it but its verdict does not depend on it.
func conformanceSkips() map[string]string { return map[string]string{} }

// sharedDir finds ../shared next to the repository root, or $STREAMLITE_SHARED.
func sharedDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("STREAMLITE_SHARED"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "engine")); err == nil {
				return filepath.Join(filepath.Dir(d), "shared")
			}
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

func TestConformance(t *testing.T) {
	shared := sharedDir(t)
	dir := filepath.Join(shared, "conformance", "schema", "confluent", "protobuf")
	if _, err := os.Stat(dir); shared == "" || err != nil {
		t.Skipf("conformance corpus not found at %q (set STREAMLITE_SHARED): %v", dir, err)
	}
	files := []string{"diff-schema-examples.json", "diff-schema-examples-with-meta.json"}
	var total, passed, agreed, skipped int
	for _, name := range files {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("read corpus: %v", err)
		}
		var cases []corpusCase
		if err := json.Unmarshal(raw, &cases); err != nil {
			t.Fatalf("decode %s: %v", name, err)
		}
		var filePassed, fileAgreed, fileExact int
		for i, c := range cases {
			key := fmt.Sprintf("%s#%d", name, i)
			got, changes, err := runCase(dir, c)
			ok := err == nil && got == c.Compatible
			agree := err == nil && sameTypes(changes, c.Changes)
			if ok {
				filePassed++
			}
			if agree {
				fileAgreed++
			}
			if err == nil && sameSet(changes, c.Changes) {
				fileExact++
			}
			reason, skip := conformanceSkips()[key]
			switch {
			case skip && ok:
				t.Errorf("%s (%s) passes but is in the skip list (%s): remove it", key, c.Description, reason)
			case skip:
				skipped++
				t.Logf("skip %s (%s): %s", key, c.Description, reason)
			case err != nil:
				t.Errorf("%s (%s): %v", key, c.Description, err)
			case !ok:
				t.Errorf("%s (%s): compatible = %v, want %v; changes %v, want %v",
					key, c.Description, got, c.Compatible, changes, c.Changes)
			case !agree:
				t.Logf("%s (%s): change types differ: got %v, want %v", key, c.Description, changes, c.Changes)
			}
		}
		t.Logf("%s: BACKWARD %d/%d (%.1f%%), change types %d/%d (%.1f%%), types+paths %d/%d", name,
			filePassed, len(cases), pct(filePassed, len(cases)), fileAgreed, len(cases), pct(fileAgreed, len(cases)),
			fileExact, len(cases))
		total += len(cases)
		passed += filePassed
		agreed += fileAgreed
	}
	t.Logf("total: BACKWARD %d/%d (%.1f%%), change types %d/%d (%.1f%%), %d skipped",
		passed, total, pct(passed, total), agreed, total, pct(agreed, total), skipped)
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// runCase parses both sides of c and runs the BACKWARD check. Schemas given as paths (the
// with-meta file) and dependencies without text are read from the corpus proto/ dir when
// present there; otherwise the parser's own copies (standard and Confluent imports) serve.
func runCase(dir string, c corpusCase) (bool, []string, error) {
	prev, err := parseSide(dir, c.OriginalSchema, c.OriginalReferences, c.OriginalDependencies)
	if err != nil {
		return false, nil, fmt.Errorf("original: %w", err)
	}
	next, err := parseSide(dir, c.UpdateSchema, c.UpdateReferences, c.UpdateDependencies)
	if err != nil {
		return false, nil, fmt.Errorf("update: %w", err)
	}
	ok, changes := Backward(prev, next)
	out := make([]string, len(changes))
	for i, ch := range changes {
		out[i] = ch.Type + " " + ch.Path
	}
	return ok, out, nil
}

func parseSide(dir, schema string, refs []corpusRef, deps []corpusDep) (*Schema, error) {
	text := schema
	if strings.HasSuffix(schema, ".proto") && !strings.Contains(schema, "\n") {
		b, err := os.ReadFile(filepath.Join(dir, "proto", filepath.FromSlash(schema)))
		if err != nil {
			return nil, fmt.Errorf("read schema file: %w", err)
		}
		text = string(b)
	}
	var ds []Dependency
	for _, d := range deps {
		dep := Dependency{Name: d.Name, Text: d.Dependency}
		if dep.Text == "" {
			if b, err := os.ReadFile(filepath.Join(dir, "proto", filepath.FromSlash(d.Name))); err == nil {
				dep.Text = string(b)
			}
		}
		for _, r := range refs {
			if r.Name == d.Name {
				dep.Subject, dep.Version = r.Subject, r.Version
			}
		}
		ds = append(ds, dep)
	}
	return Parse(text, ds)
}

// sameSet reports whether got and want hold the same "<TYPE> <path>" entries, in any order.
func sameSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

// sameTypes reports whether got and want (each "<TYPE> <path>") name the same set of types.
func sameTypes(got, want []string) bool {
	types := func(xs []string) []string {
		var out []string
		for _, x := range xs {
			typ, _, _ := strings.Cut(x, " ")
			if !slices.Contains(out, typ) {
				out = append(out, typ)
			}
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(types(got), types(want))
}

// TestWithMetaOwnImports runs the with-meta case against streamlite's own copies of
// confluent/meta.proto and confluent/type/decimal.proto (no corpus files for the imports).
func TestWithMetaOwnImports(t *testing.T) {
	shared := sharedDir(t)
	dir := filepath.Join(shared, "conformance", "schema", "confluent", "protobuf")
	raw, err := os.ReadFile(filepath.Join(dir, "diff-schema-examples-with-meta.json"))
	if shared == "" || err != nil {
		t.Skipf("conformance corpus not found at %q (set STREAMLITE_SHARED): %v", dir, err)
	}
	var cases []corpusCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatalf("decode: %v", err)
	}
	for i, c := range cases {
		side := func(path string, refs []corpusRef) *Schema {
			text, err := os.ReadFile(filepath.Join(dir, "proto", filepath.FromSlash(path)))
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			var deps []Dependency
			for _, r := range refs {
				deps = append(deps, Dependency{Name: r.Name, Subject: r.Subject, Version: r.Version})
			}
			return mustParse(t, string(text), deps...)
		}
		ok, changes := Backward(side(c.OriginalSchema, c.OriginalReferences), side(c.UpdateSchema, c.UpdateReferences))
		got := changeStrings(changes)
		want := slices.Clone(c.Changes)
		slices.Sort(want)
		if ok != c.Compatible || !slices.Equal(got, want) {
			t.Errorf("case %d: ok=%v changes %v, want %v %v", i, ok, got, c.Compatible, want)
		}
	}
}
