package sqlcli

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/sql/rest"
	"github.com/streamlite/streamlite/sql/runtime"
)

// startRealServer runs what `streamlite up` runs for SQL, in the test: a
// broker, the SQL runtime on it and the REST API over real HTTP. It returns
// the API's URL.
func startRealServer(t *testing.T) string {
	t.Helper()
	b := enginetest.New(t)
	log := slog.New(slog.DiscardHandler)
	srv, err := runtime.Start(context.Background(), runtime.Config{Brokers: []string{b.Addr()}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h := rest.NewHandler("default", log)
	h.SetServer(srv)
	hs := httptest.NewServer(h)
	// Cleanups run last-in first-out: the HTTP server (which waits for its
	// requests) stops before the runtime, and both before the broker.
	t.Cleanup(srv.Close)
	t.Cleanup(hs.Close)
	return hs.URL
}

// ksqlPost runs a statement on /ksql, as a program beside the shell would.
func ksqlPost(t *testing.T, url, stmt string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"ksql": stmt, "streamsProperties": map[string]string{}})
	resp, err := http.Post(url+"/ksql", rest.ContentType, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var v any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		t.Fatalf("%s: HTTP %d %v", stmt, resp.StatusCode, v)
	}
}

// expectAny waits until one of subs appears in the output after what
// earlier expects matched, and returns it.
func (p *ptySession) expectAny(subs ...string) string {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		text := p.plain()
		rest := text[min(p.seen, len(text)):]
		best, at := "", -1
		for _, s := range subs {
			if i := strings.Index(rest, s); i >= 0 && (at < 0 || i < at) {
				best, at = s, i
			}
		}
		if at >= 0 {
			p.seen += at + len(best)
			return best
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for any of %q; the shell wrote after the last match:\n%s", subs, rest)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mark returns where the shell's output is now, for screenSince.
func (p *ptySession) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Len()
}

// screenSince is what the output since mark draws on a terminal of the
// pty's size, starting on a blank screen: the lines above the mark are not
// there, which is all the live table may rewrite.
func (p *ptySession) screenSince(mark int) *screen {
	p.mu.Lock()
	defer p.mu.Unlock()
	scr := newScreen(160, 50)
	scr.Write(p.out.Bytes()[mark:])
	return scr
}

// waitScreen waits until the output since mark draws each of lines, on
// exactly one line of the screen each.
func (p *ptySession) waitScreen(mark int, lines ...string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		scr := p.screenSince(mark)
		ok := true
		for _, l := range lines {
			if n := len(scr.linesWith(l)); n != 1 {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for the screen to show each of %q once; it shows:\n%s", lines, scr.text())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShellRealServer drives the shell in a pseudo-terminal against a real
// SQL server (broker, runtime, REST API): the user creates a stream, inserts
// rows, watches a push query print them and a row inserted by another
// client arrive live, builds a table, asks it a pull query, tab-completes a
// column name from the live catalog, prints the topic, and finds the
// session's statements in the history after a restart.
func TestShellRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker, the SQL server and the shell in a child process on a pty")
	}
	url := startRealServer(t)
	argv := append(shellBinary(t), "--server", url)
	home := t.TempDir()
	history := filepath.Join(home, "history")
	env := []string{"HOME=" + home, "STREAMLITE_SQL_HISTORY=" + history, "TERM=xterm", "STREAMLITE_SERVER="}

	p := startPTY(t, argv, env...)
	p.expect("Server v" + rest.Version + " located at " + url)
	p.expect("Server Status: RUNNING")
	p.expect("ksql> ")

	const create = "CREATE STREAM s (id INT KEY, name STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1);"
	p.send(create + "\r")
	p.expect("Stream created")
	p.expect("ksql> ")
	p.send("INSERT INTO s (id, name) VALUES (1, 'alice');\r")
	p.expect("ksql> ")
	p.send("INSERT INTO s (id, name) VALUES (2, 'bob');\r")
	p.expect("ksql> ")

	// The push query reads from the beginning (the shell's default), then
	// shows a row another client inserts while it runs; Ctrl-C stops it.
	p.send("SELECT * FROM s EMIT CHANGES;\r")
	p.expect("|ID         |NAME                |")
	p.expect("|1          |alice               |")
	p.expect("|2          |bob                 |")
	ksqlPost(t, url, "INSERT INTO s (id, name) VALUES (3, 'carol');")
	p.expect("|3          |carol               |")
	p.send("\x03")
	p.expect("Query terminated (3 rows)")
	p.expect("ksql> ")

	// A table over the stream, asked by a pull query until its query has
	// caught up.
	p.send("CREATE TABLE counts AS SELECT name, COUNT(*) AS n FROM s GROUP BY name;\r")
	p.expect("Created query with ID CTAS_COUNTS_")
	p.expect("ksql> ")
	for deadline := time.Now().Add(30 * time.Second); ; {
		p.send("SELECT * FROM counts WHERE name = 'alice';\r")
		if p.expectAny("(1 row)", "(0 rows)") == "(1 row)" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pull query found no row for 'alice'; the shell wrote:\n%s", p.plain())
		}
		p.expect("ksql> ")
		time.Sleep(200 * time.Millisecond)
	}
	p.expect("ksql> ")

	// TAB completes a column name from the live catalog.
	p.send("SELECT NA\t")
	p.expect("SELECT NAME")
	p.send(", n FROM counts WHERE name = 'alice';\r")
	p.expect("|NAME |N|")
	p.expect("|alice|1|")
	p.expect("(1 row)")
	p.expect("ksql> ")

	// A push query over an aggregation is a live table: one line per key,
	// rewritten in place as the key's count changes, while another client
	// inserts rows.
	from := p.mark()
	p.send("SELECT name, COUNT(*) AS n FROM s GROUP BY name EMIT CHANGES;\r")
	p.expect("|NAME                |N                   |")
	p.waitScreen(from, "|alice               |1                   |", "|bob                 |1                   |",
		"|carol               |1                   |")
	for _, name := range []string{"alice", "bob", "alice"} {
		ksqlPost(t, url, "INSERT INTO s (id, name) VALUES (9, '"+name+"');")
	}
	live := []string{"|alice               |3                   |", "|bob                 |2                   |",
		"|carol               |1                   |"}
	p.waitScreen(from, live...)
	p.send("\x03")
	p.expect("Query terminated (")
	p.expect("ksql> ")
	onePerKey := func(from int) {
		t.Helper()
		scr := p.screenSince(from)
		for _, name := range []string{"|alice ", "|bob ", "|carol "} {
			if got := scr.linesWith(name); len(got) != 1 {
				t.Errorf("the screen shows %d lines for %s, want 1:\n%s", len(got), name, scr.text())
			}
		}
		if !strings.Contains(scr.text(), "|N                   |\n+--------------------+--------------------+\n"+strings.Join(live, "\n")+"\n") {
			t.Errorf("the live table is not one line per key in first-seen order:\n%s", scr.text())
		}
	}
	onePerKey(from)

	// So is a push query over the table the aggregation made, whose key the
	// shell asks the server for.
	from = p.mark()
	p.send("SELECT * FROM counts EMIT CHANGES;\r")
	p.expect("|NAME                |N                   |")
	p.waitScreen(from, live...)
	p.send("\x03")
	p.expect("Query terminated (")
	p.expect("ksql> ")
	onePerKey(from)

	// PRINT shows the topic's records as ksqlDB prints them.
	p.send("PRINT s FROM BEGINNING LIMIT 2;\r")
	p.expect("Key format: KAFKA_INT or KAFKA_STRING")
	p.expect("Value format: JSON or KAFKA_STRING")
	p.expect(`key: 1, value: {"NAME":"alice"}, partition: 0`)
	p.expect(`key: 2, value: {"NAME":"bob"}, partition: 0`)
	p.expect("ksql> ")

	// SHOW TOPICS lists the stream's and the table's topics, not the
	// server's internal ones.
	p.send("SHOW TOPICS;\r")
	p.expect("Kafka Topic  Partitions  Partition Replicas\n")
	p.expect("COUNTS       1           1\n")
	p.expect("s            1           1\n")
	p.expect("ksql> ")
	if strings.Contains(p.plain(), "_streamlite-sql-") {
		t.Errorf("SHOW TOPICS lists internal topics:\n%s", p.plain())
	}
	p.send("exit\r")
	p.exited()

	// After a restart, Up walks back through the session's statements to
	// the CREATE STREAM.
	p = startPTY(t, argv, env...)
	p.expect("ksql> ")
	p.send("\x1b[A")
	p.expect("SHOW TOPICS;")
	for i := 0; ; i++ {
		p.send("\x1b[A")
		time.Sleep(50 * time.Millisecond)
		if strings.Contains(p.plain()[p.seen:], create) {
			break
		}
		if i == 20 {
			t.Fatalf("Up did not reach %q; the shell wrote:\n%s", create, p.plain()[p.seen:])
		}
	}
	p.send("\x03") // drop the recalled line
	p.expect("ksql> ")
	p.send("\x04")
	p.exited()

	b, err := os.ReadFile(history)
	if err != nil {
		t.Fatal(err)
	}
	if h := string(b); !strings.HasPrefix(h, create+"\n") || !strings.Contains(h, "PRINT s FROM BEGINNING LIMIT 2;\n") {
		t.Errorf("history file:\n%s", h)
	}
}
