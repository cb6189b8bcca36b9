package qtt

import (
	"os"
	"path/filepath"
	"testing"
)

// corpusDir finds the QTT corpus: $STREAMLITE_QTT_DIR, else
// shared/conformance/ksql in this directory or any parent (the default
// checkout puts it at ../../../shared/conformance/ksql from this package).
// The second result reports whether the default corpus was found.
func corpusDir(t *testing.T) (string, bool) {
	if d := os.Getenv("STREAMLITE_QTT_DIR"); d != "" {
		return d, false
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		c := filepath.Join(dir, "shared", "conformance", "ksql")
		if st, err := os.Stat(filepath.Join(c, "query-validation-tests")); err == nil && st.IsDir() {
			return c, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// TestQTTCorpusLoads parses every file of the real corpus and expands its
// matrices. For the developer corpus the counts are those of its README
// (854 QTT cases) and of the format/config matrices (868 runs).
func TestQTTCorpusLoads(t *testing.T) {
	dir, isDefault := corpusDir(t)
	if dir == "" {
		t.Skip("QTT corpus not found (set STREAMLITE_QTT_DIR)")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("QTT corpus %s: %v", dir, err)
	}
	cases, bad, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("load error: %v", b)
	}
	runs, negative, disabled := 0, 0, 0
	names := map[string]bool{}
	files := map[string]bool{}
	for i := range cases {
		c := &cases[i]
		files[c.File] = true
		if c.Exception != nil {
			negative++
		}
		if !c.Enabled {
			disabled++
		}
		for _, r := range Expand(c) {
			runs++
			if r.Err != nil {
				t.Errorf("%s: %v", r.Name, r.Err)
			}
			if names[r.Name] {
				// upstream has a few duplicate names; they stay apart by index
				t.Logf("duplicate run name %q", r.Name)
			}
			names[r.Name] = true
		}
	}
	t.Logf("QTT corpus %s: %d files, %d cases (%d negative, %d disabled), %d runs",
		dir, len(files), len(cases), negative, disabled, runs)
	if isDefault {
		if len(files) != 105 || len(cases) != 854 || runs != 868 || negative != 198 {
			t.Errorf("developer corpus: %d files, %d cases, %d runs, %d negative; want 105, 854, 868, 198",
				len(files), len(cases), runs, negative)
		}
	}
}
