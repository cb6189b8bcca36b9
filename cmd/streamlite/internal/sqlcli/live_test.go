package sqlcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// The live table (live.go) against the test terminal (screen_test.go): what
// the user sees once the renderer's escape sequences have been applied.

// liveRun is a push query's printer on a terminal of size, writing to a
// screen and keeping the bytes.
type liveRun struct {
	p   *resultPrinter
	scr *screen
	raw bytes.Buffer
}

func newLiveRun(t *testing.T, size screenSize, cols, types []string, key ...int) *liveRun {
	t.Helper()
	l := &liveRun{scr: newScreen(size.cols, size.rows)}
	l.p = newResultPrinter(io.MultiWriter(l.scr, &l.raw), outputTable, false)
	l.p.header("q1", cols, types, nil)
	if !l.p.goLive(key, size) {
		t.Fatal("goLive refused")
	}
	return l
}

// rows feeds rows given as JSON arrays; a leading "-" makes a tombstone.
func (l *liveRun) rows(t *testing.T, rows ...string) {
	t.Helper()
	for _, r := range rows {
		tomb := strings.HasPrefix(r, "-")
		var vals []json.RawMessage
		if err := json.Unmarshal([]byte(strings.TrimPrefix(r, "-")), &vals); err != nil {
			t.Fatal(err)
		}
		l.p.row(StreamRow{Values: vals, Tombstone: tomb})
	}
}

func (l *liveRun) want(t *testing.T, want string) {
	t.Helper()
	if got := l.scr.text(); got != want {
		t.Errorf("screen:\n%s\nwant:\n%s\nbytes written: %q", got, want, l.raw.String())
	}
}

var userCount = []string{"USER", "N"}
var userCountTypes = []string{"STRING", "INT"}

// TestLiveTableUpdatesInPlace: one line per key, in the order the keys
// came, each with its latest row; checked byte for byte on a small case.
func TestLiveTableUpdatesInPlace(t *testing.T) {
	l := newLiveRun(t, screenSize{80, 24}, userCount, userCountTypes, 0)
	l.rows(t, `["alice",1]`, `["bob",1]`, `["alice",2]`)
	const (
		border = "+--------------------+-----------+"
		names  = "|USER                |N          |"
		alice1 = "|alice               |1          |"
		bob1   = "|bob                 |1          |"
		alice2 = "|alice               |2          |"
	)
	want := border + "\n" + names + "\n" + border + "\n" + alice1 + "\n" + bob1 + "\n" +
		"\x1b[2A\r\x1b[2K" + alice2 + "\r\x1b[2B"
	if got := l.raw.String(); got != want {
		t.Errorf("bytes:\n%q\nwant:\n%q", got, want)
	}
	l.rows(t, `["carol",1]`, `["alice",3]`, `["bob",2]`, `["bob",2]`)
	l.p.end(true)
	l.want(t, border+"\n"+names+"\n"+border+"\n"+
		"|alice               |3          |\n"+
		"|bob                 |2          |\n"+
		"|carol               |1          |\n"+
		border+"\nQuery terminated (7 rows)\n")
}

// TestLiveTableTombstone: a tombstone takes its key's line away, the lines
// below move up; a key that comes back goes last; a tombstone for a key
// not shown changes nothing.
func TestLiveTableTombstone(t *testing.T) {
	l := newLiveRun(t, screenSize{80, 24}, userCount, userCountTypes, 0)
	l.rows(t, `["alice",1]`, `["bob",1]`, `["carol",1]`, `-["bob",null]`, `-["dave",null]`)
	l.want(t, "+--------------------+-----------+\n"+
		"|USER                |N          |\n"+
		"+--------------------+-----------+\n"+
		"|alice               |1          |\n"+
		"|carol               |1          |\n")
	l.rows(t, `["carol",2]`, `["bob",5]`, `-["bob",null]`, `-["alice",null]`, `["erin",1]`)
	l.p.end(false)
	l.want(t, "+--------------------+-----------+\n"+
		"|USER                |N          |\n"+
		"+--------------------+-----------+\n"+
		"|carol               |2          |\n"+
		"|erin                |1          |\n"+
		"+--------------------+-----------+\n"+
		"Query terminated (10 rows)\n")
}

// TestLiveTableWidens: a value wider than its column widens it, and the
// header and every row are drawn again at the new width.
func TestLiveTableWidens(t *testing.T) {
	l := newLiveRun(t, screenSize{80, 24}, []string{"K", "V"}, []string{"INT", "INT"}, 0)
	l.rows(t, `[1,10]`, `[2,20]`, `[1,123456789012345]`, `[3,30]`, `[22222222222222,1]`)
	l.p.end(false)
	l.want(t, "+--------------+---------------+\n"+
		"|K             |V              |\n"+
		"+--------------+---------------+\n"+
		"|1             |123456789012345|\n"+
		"|2             |20             |\n"+
		"|3             |30             |\n"+
		"|22222222222222|1              |\n"+
		"+--------------+---------------+\n"+
		"Query terminated (5 rows)\n")
}

// TestLiveTableBounded: a terminal of 8 lines keeps 4 rows (8 less the
// header and the cursor's line); the fifth key ends the live table with a
// note, and later changes are appended.
func TestLiveTableBounded(t *testing.T) {
	l := newLiveRun(t, screenSize{200, 8}, []string{"K", "V"}, []string{"INT", "INT"}, 0)
	l.rows(t, `[1,1]`, `[2,1]`, `[3,1]`, `[4,1]`, `[1,2]`, `[5,1]`, `[1,3]`)
	l.p.end(false)
	const border = "+-----------+-----------+"
	l.want(t, border+"\n"+
		"|K          |V          |\n"+
		border+"\n"+
		"|1          |2          |\n"+
		"|2          |1          |\n"+
		"|3          |1          |\n"+
		"|4          |1          |\n"+
		"(The live table keeps 4 rows, as many as the terminal shows: the rows of more keys follow, one a change.)\n"+
		"|5          |1          |\n"+
		"|1          |3          |\n"+
		border+"\n"+
		"Query terminated (7 rows)\n")
}

// TestLiveTableTooWide: a value that would make the table wider than the
// terminal ends the live table; the rows are appended from then on.
func TestLiveTableTooWide(t *testing.T) {
	l := newLiveRun(t, screenSize{40, 24}, userCount, userCountTypes, 0)
	l.rows(t, `["alice",1]`, `["a name longer than the terminal",1]`, `["alice",2]`)
	// No cursor movement: the screen wraps the long line as it comes.
	if got, want := l.raw.String(), "+--------------------+-----------+\n"+
		"|USER                |N          |\n"+
		"+--------------------+-----------+\n"+
		"|alice               |1          |\n"+
		"(A row is wider than the terminal: the changes follow, one a line.)\n"+
		"|a name longer than the terminal|1          |\n"+
		"|alice               |2          |\n"; got != want {
		t.Errorf("bytes:\n%q\nwant:\n%q", got, want)
	}
}

// TestLiveTableControlCharacters: a value's newline or escape would move
// the cursor; they show escaped, on the row's one line.
func TestLiveTableControlCharacters(t *testing.T) {
	l := newLiveRun(t, screenSize{80, 24}, userCount, userCountTypes, 0)
	l.rows(t, `["a\nb",1]`, `["x",1]`, `["a\nb",2]`, `["\u001b[2J",1]`)
	l.want(t, "+--------------------+-----------+\n"+
		"|USER                |N          |\n"+
		"+--------------------+-----------+\n"+
		`|a\nb                |2          |`+"\n"+
		"|x                   |1          |\n"+
		`|\x1b[2J             |1          |`+"\n")
}

// TestLiveTableRefused: the table is not live, and rows are appended as
// today, when it cannot be drawn in place.
func TestLiveTableRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode outputMode
		pull bool
		size screenSize
		key  []int
		cols []string
	}{
		{"header wider than the terminal", outputTable, false, screenSize{30, 24}, []int{0}, nil},
		{"no room for a row", outputTable, false, screenSize{80, 4}, []int{0}, nil},
		{"no key", outputTable, false, screenSize{80, 24}, nil, nil},
		{"key out of range", outputTable, false, screenSize{80, 24}, []int{2}, nil},
		{"pull query", outputTable, true, screenSize{80, 24}, []int{0}, nil},
		{"changelog", outputChangelog, false, screenSize{80, 24}, []int{0}, nil},
		{"json", outputJSON, false, screenSize{80, 24}, []int{0}, nil},
		{"a newline in a column's name", outputTable, false, screenSize{80, 24}, []int{0}, []string{"US\nER", "N"}},
	} {
		cols := userCount
		if tc.cols != nil {
			cols = tc.cols
		}
		p := newResultPrinter(io.Discard, tc.mode, tc.pull)
		p.header("q1", cols, userCountTypes, nil)
		if p.goLive(tc.key, tc.size) {
			t.Errorf("%s: goLive accepted", tc.name)
		}
	}
}

// TestResultKey: which push queries are a table's changes, and their key.
func TestResultKey(t *testing.T) {
	describe := func(_ context.Context, name string) (sourceKind, error) {
		switch name {
		case "T":
			return sourceKind{table: true, key: []string{"ID"}}, nil
		case "T2":
			return sourceKind{table: true, key: []string{"A", "B"}}, nil
		case "S":
			return sourceKind{key: []string{"ID"}}, nil
		}
		return sourceKind{}, errors.New("no such source")
	}
	for _, tc := range []struct {
		stmt   string
		cols   []string
		marked []bool
		want   []int
	}{
		{"SELECT user, COUNT(*) AS n FROM clicks GROUP BY user EMIT CHANGES;", []string{"USER", "N"}, nil, []int{0}},
		{"SELECT COUNT(*) AS n, c.user FROM clicks c GROUP BY user EMIT CHANGES;", []string{"N", "USER"}, nil, []int{1}},
		{"SELECT a, b, COUNT(*) FROM s GROUP BY b, a EMIT CHANGES;", []string{"A", "B", "KSQL_COL_0"}, nil, []int{0, 1}},
		{"SELECT UCASE(a) AS u, COUNT(*) FROM s GROUP BY UCASE(a) EMIT CHANGES;", []string{"U", "KSQL_COL_0"}, nil, []int{0}},
		{"SELECT COUNT(*) FROM s GROUP BY a EMIT CHANGES;", []string{"KSQL_COL_0"}, nil, nil},
		{"SELECT a, WINDOWSTART, COUNT(*) FROM s WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY a EMIT CHANGES;",
			[]string{"A", "WINDOWSTART", "KSQL_COL_0"}, nil, []int{0, 1}},
		{"SELECT a, COUNT(*) FROM s WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY a EMIT CHANGES;", []string{"A", "KSQL_COL_0"}, nil, nil},
		{"SELECT * FROM t EMIT CHANGES;", []string{"ID", "NAME"}, nil, []int{0}},
		{"SELECT name, t.id FROM t EMIT CHANGES;", []string{"NAME", "ID"}, nil, []int{1}},
		{"SELECT name FROM t EMIT CHANGES;", []string{"NAME"}, nil, nil},
		{"SELECT id AS x, name FROM t EMIT CHANGES;", []string{"X", "NAME"}, nil, []int{0}},
		{"SELECT *, 1 AS one FROM t EMIT CHANGES;", []string{"ID", "NAME", "ONE"}, nil, nil},
		{"SELECT * FROM t2 EMIT CHANGES;", []string{"B", "A", "V"}, nil, []int{0, 1}},
		{"SELECT * FROM t2 EMIT CHANGES;", []string{"A", "V"}, nil, nil},
		// The server's KEY marks give the key of a table's rows, never make
		// a stream's rows a table.
		{"SELECT * FROM t EMIT CHANGES;", []string{"ID", "NAME"}, []bool{false, true}, []int{1}},
		{"SELECT * FROM s EMIT CHANGES;", []string{"ID", "NAME"}, []bool{true, false}, nil},
		{"SELECT * FROM s EMIT CHANGES;", []string{"ID", "NAME"}, nil, nil},
		{"SELECT * FROM nope EMIT CHANGES;", []string{"ID"}, nil, nil},
		{"SELECT * FROM s PARTITION BY name EMIT CHANGES;", []string{"NAME", "ID"}, nil, nil},
		{"SELECT * FROM t JOIN t2 ON t.id = t2.a EMIT CHANGES;", []string{"ID", "NAME", "A", "B", "V"}, nil, nil},
		{"SELECT * FROM", nil, nil, nil},
	} {
		if got := resultKey(context.Background(), tc.stmt, tc.cols, tc.marked, describe); !slices.Equal(got, tc.want) {
			t.Errorf("%s %v: key %v, want %v", tc.stmt, tc.marked, got, tc.want)
		}
	}
}

// TestSplitKeyMarks: a header that marks its key columns, as ksqlDB's
// /query schema does.
func TestSplitKeyMarks(t *testing.T) {
	types := []string{"STRING KEY", "BIGINT", "STRUCT<`KEY` INT> key"}
	key := splitKeyMarks(types)
	if !slices.Equal(key, []bool{true, false, true}) || !slices.Equal(types, []string{"STRING", "BIGINT", "STRUCT<`KEY` INT>"}) {
		t.Errorf("key %v, types %q", key, types)
	}
	if key := splitKeyMarks([]string{"STRING", "KEY"}); key != nil {
		t.Errorf("key %v for no marks", key)
	}
}

// onTerminal makes a test shell take its output for a terminal of size.
func onTerminal(size screenSize) func(*Shell) {
	return func(sh *Shell) {
		sh.termSize = func() (screenSize, bool) { return size, true }
	}
}

// TestShellLiveTable runs push queries in a shell whose output is a
// (test) terminal: a table's changes and an aggregation's are live tables,
// a stream's rows are appended even when the server marks their key, and
// so are a table's while the session is spooled.
func TestShellLiveTable(t *testing.T) {
	f := newFakeServer(t)
	l := startLiveShell(t, f, onTerminal(screenSize{100, 30}))
	l.typeLine(t, "CREATE TABLE t (id INT PRIMARY KEY, name STRING) WITH (kafka_topic='t', value_format='json', partitions=1);")
	l.typeLine(t, createS)
	l.waitOutput(t, "Stream created")
	const border = "+-----------+--------------------+\n"
	const header = border + "|ID         |NAME                |\n" + border
	screenOf := func(since int) *screen {
		scr := newScreen(100, 30)
		scr.write(l.out.String()[since:])
		return scr
	}
	waitAfter := func(start int, sub string) {
		t.Helper()
		eventually(t, "output "+sub, func() bool { return strings.Contains(l.out.String()[start:], sub) })
	}
	push := func(lines ...string) {
		for _, line := range lines {
			f.push <- line
		}
	}

	// A table's changes: one line per key, its latest row; a tombstone
	// takes the line away.
	start := len(l.out.String())
	l.typeLine(t, "SELECT * FROM t EMIT CHANGES;")
	waitFor(t, f.opened, "the push query")
	push(`[1,"alice"]`, `[2,"bob"]`, `[1,"carol"]`, `{"row":{"columns":[2,null],"tombstone":true}}`, `[3,"dave"]`, fakeEnd)
	waitAfter(start, "Query terminated (5 rows)")
	if got, want := screenOf(start).text(), header+
		"|1          |carol               |\n"+
		"|3          |dave                |\n"+
		border+"Query terminated (5 rows)\n"; got != want {
		t.Errorf("table push query's screen:\n%s\nwant:\n%s", got, want)
	}
	if !slices.Contains(f.statements(), "DESCRIBE T") {
		t.Errorf("the shell did not ask the server what T is: %q", f.statements())
	}

	// An aggregation: keyed by its GROUP BY.
	start = len(l.out.String())
	l.typeLine(t, "SELECT name, COUNT(*) AS n FROM s GROUP BY name EMIT CHANGES;")
	waitFor(t, f.opened, "the push query")
	push(`["alice","1"]`, `["bob","1"]`, `["alice","2"]`, `["alice","3"]`, fakeEnd)
	waitAfter(start, "Query terminated (4 rows)")
	const aggBorder = "+--------------------+--------------------+\n"
	if got, want := screenOf(start).text(), aggBorder+"|NAME                |N                   |\n"+aggBorder+
		"|alice               |3                   |\n"+
		"|bob                 |1                   |\n"+
		aggBorder+"Query terminated (4 rows)\n"; got != want {
		t.Errorf("aggregation's screen:\n%s\nwant:\n%s", got, want)
	}

	// A stream's rows are events: appended, even with their key marked.
	f.setMarkKeys(true)
	start = len(l.out.String())
	l.typeLine(t, "SELECT * FROM s EMIT CHANGES;")
	waitFor(t, f.opened, "the push query")
	push(`[1,"alice"]`, `[1,"bob"]`, fakeEnd)
	waitAfter(start, "Query terminated (2 rows)")
	if got, want := l.out.String()[start:], header+
		"|1          |alice               |\n"+
		"|1          |bob                 |\n"+
		border+"Query terminated (2 rows)\n"; got != want {
		t.Errorf("stream push query's output:\n%q\nwant:\n%q", got, want)
	}

	// Spooled, a table's changes are appended, on the screen as in the
	// spool.
	spool := t.TempDir() + "/spool.txt"
	l.typeLine(t, "SPOOL '"+spool+"'")
	l.waitOutput(t, "Session will be spooled")
	start = len(l.out.String())
	l.typeLine(t, "SELECT * FROM t EMIT CHANGES;")
	waitFor(t, f.opened, "the push query")
	push(`[1,"alice"]`, `[1,"bob"]`, fakeEnd)
	waitAfter(start, "Query terminated (2 rows)")
	const appended = "|1          |alice               |\n|1          |bob                 |\n"
	if got := l.out.String()[start:]; strings.Contains(got, "\x1b") || !strings.Contains(got, appended) {
		t.Errorf("spooled table push query's output:\n%q", got)
	}
	l.typeLine(t, "SPOOL OFF")
	l.waitOutput(t, "Spool to "+spool+" closed")
	if b, err := os.ReadFile(spool); err != nil || !strings.Contains(string(b), appended) {
		t.Errorf("spool: %v\n%s", err, b)
	}
}

// TestShellTableNotOnTerminal: without a terminal a table's changes are
// appended, one line a change, as before the live table.
func TestShellTableNotOnTerminal(t *testing.T) {
	f := newFakeServer(t)
	l := startLiveShell(t, f)
	l.typeLine(t, "CREATE TABLE t (id INT PRIMARY KEY, name STRING) WITH (kafka_topic='t', value_format='json', partitions=1);")
	l.waitOutput(t, "Table created")
	start := len(l.out.String())
	l.typeLine(t, "SELECT * FROM t EMIT CHANGES;")
	waitFor(t, f.opened, "the push query")
	for _, line := range []string{`[1,"alice"]`, `[1,"bob"]`, `{"row":{"columns":[1,null],"tombstone":true}}`, fakeEnd} {
		f.push <- line
	}
	l.waitOutput(t, "Query terminated (3 rows)")
	const border = "+-----------+--------------------+\n"
	if got, want := l.out.String()[start:], border+"|ID         |NAME                |\n"+border+
		"|1          |alice               |\n"+
		"|1          |bob                 |\n"+
		"|1          |null                |\n"+
		border+"Query terminated (3 rows)\n"; got != want {
		t.Errorf("output:\n%q\nwant:\n%q", got, want)
	}
	for _, s := range f.statements() {
		if strings.HasPrefix(s, "DESCRIBE") {
			t.Errorf("the shell asked %q without a terminal", s)
		}
	}
}

// TestJSONHeaderKeyMarks: json mode gives back the key marks of a header
// that had them, in ksqlDB's /query schema.
func TestJSONHeaderKeyMarks(t *testing.T) {
	var b strings.Builder
	p := newResultPrinter(&b, outputJSON, false)
	p.header("q1", userCount, userCountTypes, []bool{true, false})
	if got, want := b.String(), `{"header":{"queryId":"q1","schema":"`+"`USER` STRING KEY, `N` INT"+`"}}`+"\n"; got != want {
		t.Errorf("header %s, want %s", got, want)
	}
}
