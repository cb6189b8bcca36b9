package sqlcli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an output buffer the test reads while the shell writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventually polls cond until it holds or fails the test after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runShell runs a non-interactive shell over input against f and returns its
// output once the input ends.
func runShellOn(t *testing.T, f *fakeServer, input string) string {
	t.Helper()
	var out syncBuffer
	sh, err := NewShell(ShellConfig{Server: f.URL, In: strings.NewReader(input), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	if err := sh.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out.String())
	}
	return out.String()
}

// liveShell is a non-interactive shell fed through a pipe, running in its
// own goroutine; setup, when given, changes the shell before it runs.
type liveShell struct {
	sh   *Shell
	in   *io.PipeWriter
	out  *syncBuffer
	done chan error
}

func startLiveShell(t *testing.T, f *fakeServer, setup ...func(*Shell)) *liveShell {
	t.Helper()
	pr, pw := io.Pipe()
	l := &liveShell{in: pw, out: &syncBuffer{}, done: make(chan error, 1)}
	sh, err := NewShell(ShellConfig{Server: f.URL, In: pr, Out: l.out})
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range setup {
		fn(sh)
	}
	l.sh = sh
	go func() { l.done <- sh.Run(context.Background()) }()
	t.Cleanup(func() {
		pw.Close()
		select {
		case <-l.done:
		case <-time.After(10 * time.Second):
			t.Error("the shell did not end with its input")
		}
		sh.Close()
	})
	return l
}

func (l *liveShell) typeLine(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(l.in, s+"\n"); err != nil {
		t.Fatal(err)
	}
}

func (l *liveShell) waitOutput(t *testing.T, s string) {
	t.Helper()
	eventually(t, "output "+s, func() bool { return strings.Contains(l.out.String(), s) })
}

func wantContains(t *testing.T, out string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q; output:\n%s", s, out)
		}
	}
}

const createS = "CREATE STREAM s (id INT KEY, name STRING) WITH (kafka_topic='s', value_format='json', partitions=1);"

func TestShellStatements(t *testing.T) {
	f := newFakeServer(t)
	f.setPull(`[1,"alice"]`, `[2,"bob"]`)
	out := runShellOn(t, f, createS+`
SHOW STREAMS; DESCRIBE s;
SELECT *
  FROM s;  -- a pull query
SET 'ksql.streams.num.stream.threads'='2';
SHOW PROPERTIES;
UNSET 'auto.offset.reset';
SELECT name FROM s;
exit
SHOW TABLES;
`)
	wantContains(t, out,
		"Stream created",
		"Stream Name", "Kafka Topic",
		" ID     | INTEGER (key)", " NAME   | STRING",
		"+--+-----+\n|ID|NAME |\n+--+-----+\n|1 |alice|\n|2 |bob  |\n+--+-----+\n(2 rows)\n",
		"Successfully changed local property 'ksql.streams.num.stream.threads' to '2'.",
		"Session properties (sent with every statement):",
		"Successfully unset local property 'auto.offset.reset'.",
	)
	if strings.Contains(out, "Table Name") {
		t.Errorf("statements after exit ran:\n%s", out)
	}
	if got := f.lastQueryProps(); got["auto.offset.reset"] != "" || got["ksql.streams.num.stream.threads"] != "2" {
		t.Errorf("last query's properties %v: want SET's, without auto.offset.reset", got)
	}
	stmts := f.statements()
	if len(stmts) == 0 || !strings.HasPrefix(stmts[0], "CREATE STREAM s") {
		t.Errorf("server ran %q", stmts)
	}
}

func TestShellSendsEarliestByDefault(t *testing.T) {
	f := newFakeServer(t)
	runShellOn(t, f, createS+"\nSELECT * FROM s;\n")
	if got := f.lastQueryProps()["auto.offset.reset"]; got != "earliest" {
		t.Errorf("auto.offset.reset sent as %q, want earliest", got)
	}
}

func TestShellPushQueryInterrupt(t *testing.T) {
	f := newFakeServer(t)
	l := startLiveShell(t, f)
	l.typeLine(t, createS)
	l.waitOutput(t, "Stream created")
	l.typeLine(t, "SELECT * FROM s")
	l.typeLine(t, "EMIT CHANGES;")
	id := waitFor(t, f.opened, "the push query")
	l.waitOutput(t, "|ID         |NAME                |")
	f.push <- `[1,"alice"]`
	l.waitOutput(t, "|1          |alice               |")
	f.push <- `[2,"bob"]`
	l.waitOutput(t, "|2          |bob                 |")
	l.sh.Interrupt()
	if ended := waitFor(t, f.ended, "the push query's end"); !strings.HasSuffix(ended, id) {
		t.Errorf("ended %q, want query %s", ended, id)
	}
	l.waitOutput(t, "Query terminated (2 rows)")
	// The shell goes on.
	l.typeLine(t, "SHOW STREAMS;")
	l.waitOutput(t, "Stream Name")
}

func TestShellChangelogAndJSON(t *testing.T) {
	f := newFakeServer(t)
	l := startLiveShell(t, f)
	l.typeLine(t, createS)
	l.typeLine(t, "OUTPUT changelog")
	l.waitOutput(t, "Output format set to changelog")
	l.typeLine(t, "SELECT * FROM s EMIT CHANGES;")
	waitFor(t, f.opened, "the push query")
	f.push <- `[1,"alice"]`
	f.push <- `{"row":{"columns":[1,null],"tombstone":true}}`
	f.push <- `{"finalMessage":"Limit Reached"}`
	f.push <- fakeEnd
	l.waitOutput(t, "|op|ID         |NAME                |\n"+
		"+--+-----------+--------------------+\n"+
		"|+ |1          |alice               |\n"+
		"|- |1          |null                |\n"+
		"+--+-----------+--------------------+\n"+
		"Limit Reached\nQuery terminated (2 rows)\n")

	l.typeLine(t, "OUTPUT json")
	l.typeLine(t, "SELECT * FROM s EMIT CHANGES;")
	waitFor(t, f.opened, "the push query")
	f.push <- `[3,"carol"]`
	f.push <- `{"row":{"columns":[3,null],"tombstone":true}}`
	f.push <- fakeEnd
	l.waitOutput(t, `{"header":{"queryId":"transient_2","schema":"`+"`ID` INTEGER, `NAME` STRING"+`"}}
{"row":{"columns":[3,"carol"]}}
{"row":{"columns":[3,null],"tombstone":true}}
`)
	l.typeLine(t, "SHOW STREAMS;")
	l.waitOutput(t, `"@type": "streams"`)
}

func TestShellSpoolAndRunScript(t *testing.T) {
	f := newFakeServer(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "setup.sql")
	if err := os.WriteFile(script, []byte(createS+"\n-- the catalog\nSHOW STREAMS;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.sql")
	if err := os.WriteFile(bad, []byte("SHOW STREAMS;\n\n  DESCRIBE nope;\nSHOW TABLES;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unfinished := filepath.Join(dir, "unfinished.sql")
	if err := os.WriteFile(unfinished, []byte("SHOW STREAMS;\nSHOW TABLES\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(dir, "out.txt")
	out := runShellOn(t, f, "SPOOL '"+spool+"'\nRUN SCRIPT '"+script+"';\nSPOOL OFF\nSHOW TOPICS;\n"+
		"RUN SCRIPT '"+bad+"'\nRUN SCRIPT '"+unfinished+"'\n")
	wantContains(t, out, "Session will be spooled to "+spool, "Stream created", "Stream Name",
		"Spool to "+spool+" closed", "Partition Replicas",
		bad+":3:3: Could not find STREAM/TABLE 'NOPE' in the Metastore",
		unfinished+":2:1: statement without its closing ';': SHOW TABLES")
	b, err := os.ReadFile(spool)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, string(b), "ksql> RUN SCRIPT '"+script+"';", "Stream created", "Stream Name")
	if strings.Contains(string(b), "Partition Replicas") {
		t.Errorf("the spool has output from after SPOOL OFF:\n%s", b)
	}
	for _, s := range f.statements() {
		if s == "SHOW TABLES" {
			t.Errorf("a statement after the failing one ran: %q", f.statements())
		}
	}
}

func TestShellPrint(t *testing.T) {
	f := newFakeServer(t)
	out := runShellOn(t, f, "PRINT 's' FROM BEGINNING;\n")
	wantContains(t, out, "PRINT is not available", "does not serve PRINT", "HTTP 404")
	f.setPrint("Key format: KAFKA_INT", "Value format: JSON", "rowtime: 2024/01/01 00:00:00.000 Z, key: 1, value: {\"NAME\":\"alice\"}, partition: 0")
	out = runShellOn(t, f, "PRINT 's' FROM BEGINNING LIMIT 1;\n")
	wantContains(t, out, "Key format: KAFKA_INT\nValue format: JSON\nrowtime: 2024/01/01")
}

func TestShellPrintInterrupt(t *testing.T) {
	f := newFakeServer(t)
	f.setPrint("Key format: KAFKA_INT", "rowtime: 1, key: 1, value: {}", fakeEnd)
	l := startLiveShell(t, f)
	l.typeLine(t, "PRINT s FROM BEGINNING;")
	l.waitOutput(t, "rowtime: 1, key: 1, value: {}\n")
	l.sh.Interrupt()
	waitFor(t, f.ended, "PRINT's end")
	l.waitOutput(t, "Topic printing ceased")
	l.typeLine(t, "OUTPUT")
	l.waitOutput(t, "Output format: table")
}

func TestShellErrors(t *testing.T) {
	f := newFakeServer(t)
	out := runShellOn(t, f, "DESCRIBE nope; SHOW STREAMS;\nSELECT * FROM nope;\nSET 'x';\nOUTPUT sideways\nUNSET 'never.set';\nSHOW TABLES;\n")
	wantContains(t, out, "Could not find STREAM/TABLE 'NOPE'", "Source does not exist.", "unknown output \"sideways\"",
		"property 'never.set' is not set", "Table Name")
	if strings.Contains(out, "Stream Name") {
		t.Errorf("the statement after a failing one on the same line ran:\n%s", out)
	}

	var buf syncBuffer
	sh, err := NewShell(ShellConfig{Server: f.URL, In: strings.NewReader("SHOW\nSTREAMS"), Out: &buf})
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	if err := sh.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "ends inside a statement") {
		t.Errorf("Run on an unfinished statement: %v", err)
	}

	f.Close() // a server that is down: the shell reports it and goes on
	out = runShellOn(t, f, "SHOW STREAMS;\nOUTPUT\n")
	wantContains(t, out, "SQL server "+f.URL, "Output format: table")
}

func TestShellBanner(t *testing.T) {
	f := newFakeServer(t)
	var buf syncBuffer
	sh, err := NewShell(ShellConfig{Server: f.URL + "/", In: strings.NewReader(""), Out: &buf})
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	sh.banner(context.Background())
	wantContains(t, buf.String(), "streamlite SQL", "Server v0.29.0 located at "+f.URL+"\n", "Server Status: RUNNING",
		"auto.offset.reset is 'earliest'", "help")
}
