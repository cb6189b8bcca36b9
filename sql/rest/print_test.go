package rest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/sql/runtime"
)

// newTestServer starts a broker, the SQL runtime on it and the REST API
// over real HTTP.
func newTestServer(t *testing.T) (*enginetest.Broker, *httptest.Server) {
	t.Helper()
	b := enginetest.New(t)
	h := NewHandler("default", slog.New(slog.DiscardHandler))
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	srv, err := runtime.Start(context.Background(), runtime.Config{Brokers: []string{b.Addr()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close) // runs before hs.Close: cleanups run last-in first-out
	h.SetServer(srv)
	return b, hs
}

// mustKSQL runs statements on /ksql and fails the test unless they succeed.
func mustKSQL(t *testing.T, url, ksql string) []any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"ksql": ksql, "streamsProperties": map[string]any{}})
	status, _, v := post(t, url, string(body))
	if status != http.StatusOK {
		t.Fatalf("%s: %d %v", ksql, status, v)
	}
	list, _ := v.([]any)
	return list
}

// printQuery starts PRINT on /query and returns the answer once its
// status and headers have arrived.
func printQuery(t *testing.T, ctx context.Context, url, stmt string, props map[string]string) *http.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"ksql": stmt, "streamsProperties": props})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/query", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// printLines reads a PRINT answer to its end, without the empty
// heartbeat lines.
func printLines(t *testing.T, resp *http.Response) []string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

var rowtime = regexp.MustCompile(`^rowtime: \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3} Z, `)

// TestPrint runs PRINT over HTTP as the ksqlDB CLI does (POST /query):
// the format lines and records of ksqlDB's PRINT, from the start or the
// end, INTERVAL and LIMIT, the heartbeat, a client that leaves, and a
// missing topic's error.
func TestPrint(t *testing.T) {
	b, hs := newTestServer(t)
	mustKSQL(t, hs.URL, `CREATE STREAM s (id INT KEY, name STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1);
		INSERT INTO s (id, name) VALUES (1, 'alice');
		INSERT INTO s (id, name) VALUES (2, 'bob');`)

	// From the beginning: formats guessed as ksqlDB does (a 4-byte key
	// reads as KAFKA_INT and as KAFKA_STRING; the first wins).
	got := printLines(t, printQuery(t, context.Background(), hs.URL, "PRINT s FROM BEGINNING LIMIT 2;", nil))
	want := []string{"Key format: KAFKA_INT or KAFKA_STRING", "Value format: JSON or KAFKA_STRING",
		`key: 1, value: {"NAME":"alice"}, partition: 0`, `key: 2, value: {"NAME":"bob"}, partition: 0`}
	checkPrint(t, "FROM BEGINNING", got, want)

	// Records with a timestamp set, a null key and bytes that are not text;
	// the topic's name is case-sensitive and quoted.
	if _, err := b.Admin().CreateTopic(context.Background(), 1, -1, nil, "Raw"); err != nil {
		t.Fatal(err)
	}
	cl := b.Client()
	at := time.Date(2021, 1, 2, 3, 4, 5, 678e6, time.UTC)
	if err := cl.ProduceSync(context.Background(),
		&kgo.Record{Topic: "Raw", Key: []byte("k1"), Value: []byte("hello"), Timestamp: at},
		&kgo.Record{Topic: "Raw", Value: []byte{0, 1, 0xff}, Timestamp: at.Add(time.Millisecond)},
	).FirstErr(); err != nil {
		t.Fatal(err)
	}
	got = printLines(t, printQuery(t, context.Background(), hs.URL, "PRINT 'Raw' FROM BEGINNING LIMIT 2;", nil))
	want = []string{"Key format: KAFKA_STRING",
		"Value format:  does not match any supported format. It may be a STRING with encoding other than UTF8, or some other format.",
		"rowtime: 2021/01/02 03:04:05.678 Z, key: k1, value: hello, partition: 0",
		`rowtime: 2021/01/02 03:04:05.679 Z, key: <null>, value: \x00\x01\xFF, partition: 0`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PRINT 'Raw':\n%q\nwant\n%q", got, want)
	}

	// From the end: once the answer has started, a new record prints and
	// the old ones do not.
	resp := printQuery(t, context.Background(), hs.URL, "PRINT s LIMIT 1;", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != jsonType {
		t.Fatalf("PRINT s: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	mustKSQL(t, hs.URL, "INSERT INTO s (id, name) VALUES (3, 'carol');")
	checkPrint(t, "from the end", printLines(t, resp), []string{"Key format: KAFKA_INT or KAFKA_STRING",
		"Value format: JSON or KAFKA_STRING", `key: 3, value: {"NAME":"carol"}, partition: 0`})

	// auto.offset.reset=earliest in the request reads from the start, as
	// ksqlDB's PRINT consumer takes the request's properties; INTERVAL
	// (or SAMPLE) prints every n-th record.
	got = printLines(t, printQuery(t, context.Background(), hs.URL, "PRINT s INTERVAL 2 LIMIT 2;", map[string]string{"auto.offset.reset": "earliest"}))
	checkPrint(t, "INTERVAL 2", got[2:], []string{`key: 1, value: {"NAME":"alice"}, partition: 0`, `key: 3, value: {"NAME":"carol"}, partition: 0`})

	// With nothing to print, an empty line every second; a client that
	// leaves ends the PRINT (hs.Close, at cleanup, waits for it).
	ctx, cancel := context.WithCancel(context.Background())
	resp = printQuery(t, ctx, hs.URL, "PRINT s;", nil)
	start := time.Now()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "\n" || time.Since(start) > 5*time.Second {
		t.Errorf("idle PRINT sent %q, %v after %v; want an empty line after a second", line, err, time.Since(start))
	}
	cancel()
	resp.Body.Close()

	// Errors: ksqlDB's for a missing topic (with the topics that differ
	// only in case), for PRINT on /ksql, and a syntax error.
	for _, tc := range []struct {
		stmt   string
		code   float64
		msg    string
		onKSQL bool
	}{
		{"PRINT nope;", 40000, "Could not find topic 'nope', or the KSQL user does not have permissions to list the topic. Topic names are case-sensitive.", false},
		{"PRINT RAW;", 40000, "Could not find topic 'RAW', or the KSQL user does not have permissions to list the topic. Topic names are case-sensitive.\nDid you mean:\n\tprint Raw;", false},
		{"PRINT s INTERVAL 0;", 40001, "INTERVAL must be greater than one, but was: 0", false},
		{"PRINT s FROM START;", 40001, "expecting 'BEGINNING'", false},
		{"PRINT s;", 40001, "The following statement types should be issued to the websocket endpoint '/query'", true},
	} {
		var status int
		var v any
		if tc.onKSQL {
			body, _ := json.Marshal(map[string]any{"ksql": tc.stmt})
			status, _, v = post(t, hs.URL, string(body))
		} else {
			resp := printQuery(t, context.Background(), hs.URL, tc.stmt, nil)
			status = resp.StatusCode
			err := json.NewDecoder(resp.Body).Decode(&v)
			resp.Body.Close()
			if err != nil {
				t.Errorf("%s: answer is not JSON: %v", tc.stmt, err)
				continue
			}
		}
		m, _ := v.(map[string]any)
		msg, _ := m["message"].(string)
		if status != http.StatusBadRequest || m["error_code"] != tc.code || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: %d %v, want 400, error_code %v, message with %q", tc.stmt, status, v, tc.code, tc.msg)
		}
	}
}

// checkPrint compares PRINT's lines with want, where record lines are
// compared after their rowtime.
func checkPrint(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: printed %q, want %q", what, got, want)
		return
	}
	for i, w := range want {
		g := got[i]
		if strings.HasPrefix(w, "key: ") {
			if !rowtime.MatchString(g) {
				t.Errorf("%s: line %d %q does not start with a rowtime", what, i, g)
				continue
			}
			g = rowtime.ReplaceAllString(g, "")
		}
		if g != w {
			t.Errorf("%s: line %d is %q, want %q", what, i, g, w)
		}
	}
}

// TestShowTopics checks SHOW TOPICS and its variants against ksqlDB's
// entities: internal topics only with ALL, consumer counts with EXTENDED.
func TestShowTopics(t *testing.T) {
	_, hs := newTestServer(t)
	mustKSQL(t, hs.URL, `CREATE STREAM s (id INT KEY, name STRING) WITH (kafka_topic='s', value_format='JSON', partitions=2);
		CREATE STREAM t AS SELECT * FROM s;`)
	topics := func(stmt string) (string, map[string]map[string]any) {
		t.Helper()
		list := mustKSQL(t, hs.URL, stmt)
		if len(list) != 1 {
			t.Fatalf("%s: %v", stmt, list)
		}
		e := list[0].(map[string]any)
		out := map[string]map[string]any{}
		var names []string
		for _, x := range e["topics"].([]any) {
			ti := x.(map[string]any)
			out[ti["name"].(string)] = ti
			names = append(names, ti["name"].(string))
		}
		if !slices.IsSorted(names) {
			t.Errorf("%s: topics not by name: %v", stmt, names)
		}
		return e["@type"].(string), out
	}

	// The sink topic T takes its input's two partitions; internal topics
	// (the command topic) are hidden.
	typ, list := topics("SHOW TOPICS;")
	want := map[string]map[string]any{
		"T": {"name": "T", "replicaInfo": []any{1.0, 1.0}},
		"s": {"name": "s", "replicaInfo": []any{1.0, 1.0}},
	}
	if typ != "kafka_topics" || !reflect.DeepEqual(list, want) {
		t.Errorf("SHOW TOPICS: %s %v, want kafka_topics %v", typ, list, want)
	}
	_, all := topics("LIST ALL TOPICS;")
	if all[runtime.CommandTopic("default")] == nil || all["s"] == nil {
		t.Errorf("SHOW ALL TOPICS misses the command topic or s: %v", all)
	}

	// The CSAS's consumer group is assigned both partitions of s.
	deadline := time.Now().Add(30 * time.Second)
	for {
		typ, ext := topics("SHOW TOPICS EXTENDED;")
		s := ext["s"]
		if typ == "kafka_topics_extended" && s != nil && s["consumerCount"] == 2.0 && s["consumerGroupCount"] == 1.0 {
			if tt := ext["T"]; tt == nil || tt["consumerCount"] != 0.0 || tt["consumerGroupCount"] != 0.0 {
				t.Errorf("SHOW TOPICS EXTENDED: T = %v", tt)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SHOW TOPICS EXTENDED: %s %v", typ, ext)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
