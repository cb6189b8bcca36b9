package cluster

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/sql/rest"
	"github.com/streamlite/streamlite/sql/runtime"
)

// sqlServer runs the SQL runtime and its REST API on b, as `streamlite up` does, and returns
// the API's URL.
func sqlServer(t *testing.T, b *enginetest.Broker) string {
	t.Helper()
	h := rest.NewHandler("default", slog.New(slog.DiscardHandler))
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	srv, err := runtime.Start(context.Background(), runtime.Config{Brokers: []string{b.Addr()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	h.SetServer(srv)
	return hs.URL
}

func TestQueries(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t)
	url := sqlServer(t, b)
	c := testClient(t, b, url+"/")
	ctx := testCtx(t)
	if !c.HasSQL() {
		t.Fatal("HasSQL false")
	}
	qs, err := c.Queries(ctx)
	if err != nil || len(qs) != 0 {
		t.Fatalf("Queries before any: %+v, %v", qs, err)
	}
	resp, err := http.Post(url+"/ksql", ksqlContentType, strings.NewReader(`{"ksql": "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1); CREATE STREAM t AS SELECT * FROM s WHERE v <> 'skip';", "streamsProperties": {"auto.offset.reset": "earliest"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("creating a query: %s", resp.Status)
	}
	produce(t, b, "s", 0, []string{`{"V":"a"}`, `{"V":"b"}`}, nil)

	// The counters move as the query runs.
	deadline := time.Now().Add(15 * time.Second)
	var q Query
	for {
		qs, err = c.Queries(ctx)
		if err != nil || len(qs) != 1 {
			t.Fatalf("Queries: %+v, %v", qs, err)
		}
		q = qs[0]
		if q.Processed >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling a counter, not asserting on time
	}
	if q.ID != "CSAS_T_0" || q.State != "RUNNING" || len(q.Sinks) != 1 || q.Sinks[0] != "T" ||
		q.SQL != "CREATE STREAM t AS SELECT * FROM s WHERE v <> 'skip';" {
		t.Errorf("query: %+v", q)
	}
	if q.Processed != 2 || q.Skipped < 0 || q.Late < 0 {
		t.Errorf("counters: processed %d, skipped %d, late %d", q.Processed, q.Skipped, q.Late)
	}

	// A server that is not there.
	dead, err := New(Config{Brokers: []string{b.Addr()}, SQLServer: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	if _, err := dead.Queries(ctx); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("Queries of a dead server: %v", err)
	}
}

func TestQueriesKsqlDBShape(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ksql" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ksqlContentType)
		_, _ = w.Write([]byte(`[{"@type":"queries","statementText":"SHOW QUERIES;","queries":[
			{"queryString":"CREATE TABLE B AS ...","sinks":["B"],"sinkKafkaTopics":["B"],"id":"CTAS_B_3","statusCount":{"RUNNING":1},"queryType":"PERSISTENT"},
			{"queryString":"CREATE STREAM A AS ...","sinks":[],"sinkKafkaTopics":["a-topic"],"id":"CSAS_A_1","statusCount":{"ERROR":1},"queryType":"PERSISTENT","state":"ERROR"}
		],"warnings":[]}]`))
	}))
	defer hs.Close()
	c, err := New(Config{Brokers: []string{"127.0.0.1:1"}, SQLServer: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	qs, err := c.Queries(testCtx(t))
	if err != nil || len(qs) != 2 {
		t.Fatalf("Queries: %+v, %v", qs, err)
	}
	if q := qs[0]; q.ID != "CSAS_A_1" || q.State != "ERROR" || q.Sinks[0] != "a-topic" || q.Processed != -1 || q.Skipped != -1 || q.Late != -1 {
		t.Errorf("first: %+v", q)
	}
	if q := qs[1]; q.ID != "CTAS_B_3" || q.State != "RUNNING" || q.Sinks[0] != "B" {
		t.Errorf("second: %+v", q)
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"@type":"statement_error","error_code":40001,"message":"no way"}`))
	}))
	defer bad.Close()
	c2, err := New(Config{Brokers: []string{"127.0.0.1:1"}, SQLServer: bad.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Queries(testCtx(t)); err == nil || !strings.Contains(err.Error(), "no way") {
		t.Errorf("an error answer: %v", err)
	}
}
