package parser

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/sql/ast"
)

// corpusCase is the part of a QTT/RQTT case the parser cares about.
type corpusCase struct {
	Name              string   `json:"name"`
	Statements        []string `json:"statements"`
	Format            []string `json:"format"`
	ExpectedException *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"expectedException"`
	ExpectedError *struct {
		Message string `json:"message"`
	} `json:"expectedError"`
}

// expectedMessage is the error message a negative case expects, or "" for a positive case.
func (c corpusCase) expectedMessage() string {
	switch {
	case c.ExpectedException != nil:
		return c.ExpectedException.Message
	case c.ExpectedError != nil:
		return c.ExpectedError.Message
	}
	return ""
}

// corpusDir finds the conformance corpus: $STREAMLITE_QTT_DIR, else
// ../shared/conformance/ksql relative to the module root.
func corpusDir(t *testing.T) string {
	if d := os.Getenv("STREAMLITE_QTT_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "conformance", "ksql")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
}

type loadedCase struct {
	file string
	corpusCase
}

func loadCorpus(t *testing.T) []loadedCase {
	t.Helper()
	dir := corpusDir(t)
	var files []string
	for _, sub := range []string{"query-validation-tests", "rest-query-validation-tests"} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, "*.json"))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("no corpus files under %s", dir)
	}
	sort.Strings(files)
	var out []loadedCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Tests []corpusCase `json:"tests"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rel, _ := filepath.Rel(dir, f)
		for _, c := range doc.Tests {
			out = append(out, loadedCase{file: rel, corpusCase: c})
		}
	}
	return out
}

func (c loadedCase) statements() []string {
	format := "JSON"
	if len(c.Format) > 0 {
		format = c.Format[0]
	}
	out := make([]string, len(c.Statements))
	for i, s := range c.Statements {
		out[i] = strings.ReplaceAll(s, "{FORMAT}", format)
	}
	return out
}

func isParseFailure(c loadedCase) bool {
	return c.ExpectedException != nil && strings.HasSuffix(c.ExpectedException.Type, "ParseFailedException")
}

// TestCorpusParses parses every statement of every corpus case that does not expect a
// ParseFailedException, and reports the count. A statement of a negative case may fail to
// parse only when the parser's message already contains the error the case expects (ksqlDB
// raises it from a later stage); any other failure fails the test.
func TestCorpusParses(t *testing.T) {
	cases := loadCorpus(t)
	total, ok, early := 0, 0, 0
	for _, c := range cases {
		if isParseFailure(c) {
			continue
		}
		for _, s := range c.statements() {
			total++
			st, err := ParseStatement(s)
			switch {
			case err == nil:
				ok++
				checkInvariants(t, []ast.Statement{st})
			case c.expectedMessage() != "" && strings.Contains(err.Error(), c.expectedMessage()):
				early++
				t.Logf("expected failure caught early: %s %q: %v", c.file, c.Name, err)
			default:
				t.Errorf("%s %q: %v\n  %s", c.file, c.Name, err, s)
			}
		}
	}
	t.Logf("corpus statements parsed: %d/%d (+%d negative-case statements rejected with the expected message)", ok, total, early)
}

// TestCorpusParseFailures runs the cases that expect a ParseFailedException: each must fail
// to parse (required), and the strict rate counts errors whose text contains the expected
// message (reported).
func TestCorpusParseFailures(t *testing.T) {
	cases := loadCorpus(t)
	total, failed, strict := 0, 0, 0
	for _, c := range cases {
		if !isParseFailure(c) {
			continue
		}
		total++
		_, err := ParseScript(strings.Join(c.statements(), "\n"))
		if err == nil {
			t.Errorf("%s %q: parsed, want a parse error", c.file, c.Name)
			continue
		}
		failed++
		if strings.Contains(err.Error(), c.ExpectedException.Message) {
			strict++
		} else {
			t.Logf("message mismatch %s %q:\n  got:  %v\n  want: %s", c.file, c.Name, err, c.ExpectedException.Message)
		}
	}
	t.Logf("ParseFailedException cases: %d/%d fail to parse, %d/%d strict message match", failed, total, strict, total)
}
