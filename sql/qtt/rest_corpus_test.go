package qtt

import (
	"os"
	"testing"
)

// TestRQTTCorpusLoads parses every RQTT file of the real corpus and
// expands its matrices. For the developer corpus the counts are those of
// its README (219 RQTT cases in 11 files, 47 expecting an error); their
// 13 format lists hold JSON only, so there are as many runs as cases.
func TestRQTTCorpusLoads(t *testing.T) {
	dir, isDefault := corpusDir(t)
	if dir == "" {
		t.Skip("QTT corpus not found (set STREAMLITE_QTT_DIR)")
	}
	if _, err := os.Stat(RestCaseDir(dir)); err != nil {
		t.Skipf("RQTT corpus %s: %v", dir, err)
	}
	cases, bad, err := LoadRestDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("load error: %v", b)
	}
	runs, negative, responses, proto := 0, 0, 0, 0
	files := map[string]bool{}
	for i := range cases {
		c := &cases[i]
		files[c.File] = true
		if c.ExpectedError != nil {
			negative++
		}
		responses += len(c.Responses)
		if RestCategory(c.File) == CategoryOther {
			t.Errorf("%s: no category", c.File)
		}
		for _, r := range ExpandRest(c) {
			if r.Proto {
				proto++
				continue
			}
			runs++
			if r.Err != nil {
				t.Errorf("%s: %v", r.Name, r.Err)
			}
		}
	}
	t.Logf("RQTT corpus %s: %d files, %d cases (%d negative), %d runs, %d responses, %d protobuf repetitions",
		dir, len(files), len(cases), negative, runs, responses, proto)
	if isDefault {
		if len(files) != 11 || len(cases) != 219 || runs != 219 || negative != 47 || responses != 555 {
			t.Errorf("developer corpus: %d files, %d cases, %d runs, %d negative, %d responses; want 11, 219, 219, 47, 555",
				len(files), len(cases), runs, negative, responses)
		}
	}
}
