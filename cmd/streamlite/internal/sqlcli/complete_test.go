package sqlcli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// newTestCatalog loads a catalog from a fake server holding two sources.
func newTestCatalog(t *testing.T) (*catalog, *fakeServer) {
	t.Helper()
	f := newFakeServer(t)
	cl := &Client{URL: f.URL, HTTP: http.DefaultClient}
	_, err := cl.KSQL(context.Background(), `
		CREATE STREAM pageviews (id INT KEY, name STRING, nation STRING) WITH (kafka_topic='pv', value_format='json');
		CREATE TABLE users (uid STRING PRIMARY KEY, region STRING, `+"`lowerCol`"+` INT) WITH (kafka_topic='u', value_format='json');`, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat := &catalog{}
	if err := cat.load(context.Background(), cl); err != nil {
		t.Fatal(err)
	}
	return cat, f
}

func TestCatalogLoad(t *testing.T) {
	cat, _ := newTestCatalog(t)
	sources, columns, topics, queries := cat.snapshot()
	if want := []string{"PAGEVIEWS", "USERS"}; !reflect.DeepEqual(sources, want) {
		t.Errorf("sources %q, want %q", sources, want)
	}
	if want := []string{"ID", "NAME", "NATION"}; !reflect.DeepEqual(columns["PAGEVIEWS"], want) {
		t.Errorf("columns %q, want %q", columns["PAGEVIEWS"], want)
	}
	if want := []string{"pageviews", "users"}; !reflect.DeepEqual(topics, want) {
		t.Errorf("topics %q, want %q", topics, want)
	}
	if want := []string{"CSAS_X_1"}; !reflect.DeepEqual(queries, want) {
		t.Errorf("queries %q, want %q", queries, want)
	}
}

func TestComplete(t *testing.T) {
	cat, _ := newTestCatalog(t)
	c := &completer{cat: cat}
	for _, tc := range []struct {
		pending, line string
		want          []string // what each candidate adds
	}{
		{"", "SELECT NA", []string{"ME", "TION"}},
		{"", "SELECT NAM", []string{"E"}},
		{"", "select nam", []string{"e"}},                                    // typed in lower case, completed in lower case
		{"", "SELECT * FROM PAGE", []string{"VIEWS"}},                        // sources after FROM
		{"", "SELECT * FROM pageviews p WHERE p.NA", []string{"ME", "TION"}}, // alias.column
		{"", "SELECT * FROM users WHERE REG", []string{"ION"}},               // columns of the FROM source
		{"", "SELECT * FROM users WHERE NA", nil},                            // NAME is not a column of USERS
		{"", "SELECT `l", []string{"owerCol`"}},                              // names that need quotes
		{"", "DESCRIBE ", []string{"EXTENDED", "FUNCTION", "PAGEVIEWS", "USERS"}},
		{"", "DROP TABLE U", []string{"SERS"}},
		{"", "PRINT ", []string{"pageviews", "users"}},
		{"", "PRINT 'us", []string{"ers"}},
		{"", "TERMINATE ", []string{"ALL", "CSAS_X_1"}},
		{"", "SHOW T", []string{"ABLES", "OPICS", "YPES"}},
		{"", "DESC", []string{"RIBE"}}, // statement starts
		{"", "sel", []string{"ect"}},   // in lower case
		{"", "SHOW STREAMS; SEL", []string{"ECT"}},
		{"SELECT *\n", "FROM pag", []string{"eviews"}}, // the statement began on an earlier line
		{"", "SELECT * FROM pageviews EMIT CHAN", []string{"GES"}},
		{"", "OUTPUT ch", []string{"angelog"}},
		{"", "SELECT 'NA", nil}, // inside a string
	} {
		got, _ := c.complete(tc.pending + tc.line)
		var adds []string
		c.setPending(tc.pending)
		cands, n := c.Do([]rune(tc.line), len([]rune(tc.line)))
		for _, r := range cands {
			adds = append(adds, string(r))
		}
		if !reflect.DeepEqual(adds, tc.want) {
			t.Errorf("complete(%q + %q) = %q (from %q, word length %d), want %q", tc.pending, tc.line, adds, got, n, tc.want)
		}
	}
}

func TestCompleteFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "setup.sql"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "scripts"), 0o700); err != nil {
		t.Fatal(err)
	}
	c := &completer{cat: &catalog{}}
	line := "RUN SCRIPT '" + dir + "/se"
	cands, _ := c.Do([]rune(line), len([]rune(line)))
	if len(cands) != 1 || string(cands[0]) != "tup.sql" {
		t.Errorf("RUN SCRIPT completion: %q", cands)
	}
	line = "SPOOL '" + dir + "/scr"
	cands, _ = c.Do([]rune(line), len([]rune(line)))
	if len(cands) != 1 || string(cands[0]) != "ipts/" {
		t.Errorf("SPOOL completion: %q", cands)
	}
}
