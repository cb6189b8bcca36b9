package rest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/sql/runtime"
)

// queryServer is a broker, the SQL runtime and the REST API on a loopback
// HTTP server, with stream S (ID INT KEY, V STRING) declared; tr is the
// test's own HTTP transport.
func queryServer(t *testing.T) (*Handler, *httptest.Server, *http.Transport) {
	t.Helper()
	b := enginetest.New(t)
	srv, err := runtime.Start(context.Background(), runtime.Config{Brokers: []string{b.Addr()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	h := NewHandler("default", slog.New(slog.DiscardHandler))
	h.SetServer(srv)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	if status, _, v := post(t, hs.URL, `{"ksql": "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1); INSERT INTO s (id, v) VALUES (1, 'a');"}`); status != http.StatusOK {
		t.Fatalf("create and insert: %d %v", status, v)
	}
	return h, hs, tr
}

// pushGoroutines counts the goroutines running a push query: the handler
// and its consumer's loop.
func pushGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := goruntime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Count(string(buf), "sql/runtime.(*Select).Push(")
}

// waitFor polls cond every 10 ms for up to 10 s.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestPushQueryDisconnect checks issue 10's must-show 5, second half: a
// client that disconnects mid-stream frees its query. The client reads the
// header and a row of a push query over real HTTP, then cancels its
// request (closing the connection); the query must leave the handler's
// registry (so /close-query no longer knows it) and its goroutines (the
// handler's, the consumer's and its franz-go client's) must end.
func TestPushQueryDisconnect(t *testing.T) {
	h, hs, tr := queryServer(t)
	cl := &http.Client{Transport: tr}
	tr.CloseIdleConnections()
	base := goruntime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hs.URL+"/query-stream",
		strings.NewReader(`{"sql": "SELECT * FROM s EMIT CHANGES;", "properties": {"auto.offset.reset": "earliest"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != DelimitedType {
		t.Fatalf("/query-stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadBytes('\n')
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	var header struct {
		QueryID     string   `json:"queryId"`
		ColumnNames []string `json:"columnNames"`
	}
	if err := json.Unmarshal(line, &header); err != nil || header.QueryID == "" {
		t.Fatalf("header %q: %v", line, err)
	}
	if row, err := br.ReadBytes('\n'); err != nil || strings.TrimSpace(string(row)) != `[1,"a"]` {
		t.Fatalf("first row: %q, %v; want [1,\"a\"]", row, err)
	}
	if !h.push.running(header.QueryID) {
		t.Fatalf("push query %s is not registered while it streams", header.QueryID)
	}
	// Should the query outlive its client, end it before the HTTP server
	// closes (which waits for its handlers), so a failure reports itself
	// instead of hanging.
	t.Cleanup(func() { h.push.close(header.QueryID) })
	if n := pushGoroutines(); n != 1 {
		t.Fatalf("%d goroutines in Select.Push while one query streams, want 1", n)
	}

	cancel() // the client goes away mid-stream
	if !waitFor(func() bool { return !h.push.running(header.QueryID) }) {
		t.Fatalf("push query %s is still registered after its client left", header.QueryID)
	}
	if !waitFor(func() bool { return pushGoroutines() == 0 }) {
		t.Fatalf("%d goroutines still in Select.Push after the client left", pushGoroutines())
	}
	tr.CloseIdleConnections()
	if !waitFor(func() bool { return goruntime.NumGoroutine() <= base }) {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after the client left, %d before the query:\n%s",
			goruntime.NumGoroutine(), base, buf[:goruntime.Stack(buf, true)])
	}

	// /close-query no longer knows it.
	resp2, err := cl.Post(hs.URL+"/close-query", jsonType, strings.NewReader(`{"queryId": "`+header.QueryID+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp2.Body)
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusBadRequest {
		t.Fatalf("/close-query of a freed query: %d, want 400", resp2.StatusCode)
	}
}

// TestQueryStreamErrors checks issue 10's must-show 5, first half, on the
// query endpoints: a malformed JSON body and bad statements get ksqlDB's
// error entity (status 400, error_code, message, an empty stackTrace), a
// statement error with the line and column it is at, syntax and planning
// errors alike (a message expected to start "line " must start so).
func TestQueryStreamErrors(t *testing.T) {
	_, hs, tr := queryServer(t)
	cl := &http.Client{Transport: tr}
	for _, c := range []struct {
		path, body string
		code       float64
		msg        string
	}{
		{"/query-stream", `{"sql": `, codeBadRequest, "Error parsing request body"},
		{"/query-stream", `{"sql": "SELECT * FROM s EMIT CHANGES;"`, codeBadRequest, "Error parsing request body"},
		{"/query-stream", `["sql"]`, codeBadRequest, "Error parsing request body"},
		{"/query-stream", `{"sql": ""}`, codeBadRequest, "No statement"},
		{"/query-stream", `{"sql": "SELEC * FROM s EMIT CHANGES;"}`, codeBadStatement, "line 1:1: Syntax Error"},
		{"/query-stream", `{"sql": "SELECT *\nFROM s EMIT CHANGES LIMIT x;"}`, codeBadStatement, "line 2:27: Syntax Error"},
		// Planning errors point at the token to blame (sql/engine's
		// errpos.go), or at SELECT when there is none.
		{"/query-stream", `{"sql": "SELECT nope FROM s EMIT CHANGES;"}`, codeBadStatement, "line 1:8: SELECT column 'NOPE' cannot be resolved."},
		{"/query-stream", `{"sql": "SELECT *\nFROM nowhere EMIT CHANGES;"}`, codeBadStatement, "line 2:6: NOWHERE does not exist."},
		{"/query-stream", `{"sql": "SELECT id,\n  v\nFROM s\nWHERE\n  v = 'a' AND nope > 1\nEMIT CHANGES;"}`, codeBadStatement, "line 5:15: WHERE column 'NOPE' cannot be resolved."},
		{"/query-stream", `{"sql": "\n\n  SELECT id FROM s EMIT CHANGES LIMIT -1;"}`, codeBadStatement, "line 3:3: Push queries don't support negative integers"},
		{"/query", `{"ksql": `, codeBadRequest, "Error parsing request body"},
		{"/query", `{"ksql": "SELECT * FROM s EMIT CHANGES LIMIT;"}`, codeBadStatement, "line 1:35: Syntax Error"},
		{"/query", `{"ksql": "SELECT id,\n  UCASE(id)\nFROM s EMIT CHANGES;"}`, codeBadStatement, "line 2:3: Function 'ucase' does not accept parameters (INTEGER)."},
		{"/query", `{"ksql": "SELECT *\n  FROM s\n  JOIN nowhere ON s.id = nowhere.id EMIT CHANGES;"}`, codeBadStatement, "line 3:8: NOWHERE does not exist."},
	} {
		resp, err := cl.Post(hs.URL+c.path, DelimitedType, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		msg, _ := m["message"].(string)
		_, trace := m["stackTrace"].([]any)
		if err != nil || resp.StatusCode != http.StatusBadRequest || m["error_code"] != c.code ||
			!strings.Contains(msg, c.msg) || !trace || m["@type"] == nil ||
			(strings.HasPrefix(c.msg, "line ") && !strings.HasPrefix(msg, c.msg)) {
			t.Errorf("%s %s: %d %v (%v), want 400, error_code %v, message with %q, a stackTrace list",
				c.path, c.body, resp.StatusCode, m, err, c.code, c.msg)
		}
	}
}
