package jsonschema

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

type conformanceCase struct {
	Description       string          `json:"description"`
	Original          json.RawMessage `json:"original_schema"`
	Update            json.RawMessage `json:"update_schema"`
	Changes           []string        `json:"changes"`
	Compatible        bool            `json:"compatible"`
	CompatibleLenient *bool           `json:"compatible_lenient"`
}

// corpusDir finds ../shared/conformance/schema/confluent/json-schema: $STREAMLITE_SHARED, or
// the "shared" directory next to the repository root (the directory holding go.mod).
func corpusDir(t *testing.T) string {
	t.Helper()
	const sub = "conformance/schema/confluent/json-schema"
	if s := os.Getenv("STREAMLITE_SHARED"); s != "" {
		return filepath.Join(s, sub)
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", sub)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func TestConformance(t *testing.T) {
	dir := corpusDir(t)
	if dir == "" {
		t.Skip("conformance corpus not found: no go.mod above the package and STREAMLITE_SHARED unset")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("conformance corpus not found at %s (set STREAMLITE_SHARED): %v", dir, err)
	}
	// Confluent's JSON Schema diff cases (see the corpus README).
	conformanceFiles := []string{
		"diff-schema-examples.json",
		"diff-schema-examples-2020-12.json",
		"diff-combined-schema-examples.json",
		"diff-combined-schema-examples-2020-12.json",
	}
	// Cases whose BACKWARD result we knowingly disagree with, keyed "file#index", with the
	// reason. A listed case that passes is logged, so the list shrinks as the checker
	// improves. Empty: every case passes.
	conformanceSkip := map[string]string{}
	var total, pass, ordered, totalTypes, agreeTypes, agreeFull, lenientTotal, lenientPass int
	for _, file := range conformanceFiles {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("reading corpus: %v", err)
		}
		var cases []conformanceCase
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatalf("decoding %s: %v", file, err)
		}
		var filePass, fileTypes, fileFull int
		for i, tc := range cases {
			key := fmt.Sprintf("%s#%d", file, i)
			prev, err := Parse(string(tc.Original))
			if err != nil {
				t.Errorf("%s (%s): parsing original: %v", key, tc.Description, err)
				continue
			}
			next, err := Parse(string(tc.Update))
			if err != nil {
				t.Errorf("%s (%s): parsing update: %v", key, tc.Description, err)
				continue
			}
			got, changes := Backward(prev, next)
			if tc.CompatibleLenient != nil {
				lenientTotal++
				if gotLenient, _ := BackwardPolicy(prev, next, Lenient); gotLenient == *tc.CompatibleLenient {
					lenientPass++
				}
			}
			if sameSet(changeTypes(changes), expectedTypes(tc.Changes)) {
				fileTypes++
			}
			if sameSet(changeStrings(changes), tc.Changes) {
				fileFull++
			}
			if strings.Join(changeStrings(changes), "\n") == strings.Join(tc.Changes, "\n") {
				ordered++
			}
			reason, skipped := conformanceSkip[key]
			switch {
			case got == tc.Compatible:
				filePass++
				if skipped {
					t.Logf("%s passes but is in the skip list (%s): remove it", key, reason)
				}
			case skipped:
				t.Logf("skip %s (%s): %s", key, tc.Description, reason)
			default:
				t.Errorf("%s (%s): compatible = %v, want %v; changes %v, want %v",
					key, tc.Description, got, tc.Compatible, changeStrings(changes), tc.Changes)
			}
		}
		t.Logf("%-45s BACKWARD %3d/%3d (%5.1f%%)  change types %3d/%3d  types+paths %3d/%3d",
			file, filePass, len(cases), pct(filePass, len(cases)), fileTypes, len(cases), fileFull, len(cases))
		total += len(cases)
		pass += filePass
		totalTypes += len(cases)
		agreeTypes += fileTypes
		agreeFull += fileFull
	}
	t.Logf("%-45s BACKWARD %3d/%3d (%5.1f%%)  change types %3d/%3d (%5.1f%%)  types+paths %3d/%3d",
		"total", pass, total, pct(pass, total), agreeTypes, totalTypes, pct(agreeTypes, totalTypes), agreeFull, totalTypes)
	t.Logf("changes in upstream's exact order: %d/%d", ordered, total)
	t.Logf("LENIENT policy on the %d cases with compatible_lenient: %d/%d", lenientTotal, lenientPass, lenientTotal)
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func changeTypes(cs []Change) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Type)
	}
	return out
}

func changeStrings(cs []Change) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Type+" "+c.Path)
	}
	return out
}

func expectedTypes(changes []string) []string {
	out := make([]string, 0, len(changes))
	for _, c := range changes {
		typ, _, _ := strings.Cut(c, " ")
		out = append(out, typ)
	}
	return out
}

func sameSet(a, b []string) bool {
	return strings.Join(setOf(a), "\n") == strings.Join(setOf(b), "\n")
}

func setOf(l []string) []string {
	m := map[string]bool{}
	for _, s := range l {
		m[s] = true
	}
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
