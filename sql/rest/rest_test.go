package rest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/sql/runtime"
)

func post(t *testing.T, url, body string) (int, string, any) {
	t.Helper()
	resp, err := http.Post(url+"/ksql", ContentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), v
}

func TestKSQL(t *testing.T) {
	b := enginetest.New(t)
	h := NewHandler("default", slog.New(slog.DiscardHandler))
	hs := httptest.NewServer(h)
	defer hs.Close()

	// Before the runtime is set, /healthcheck says so.
	resp, err := http.Get(hs.URL + "/healthcheck")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthcheck while starting: %d", resp.StatusCode)
	}
	srv, err := runtime.Start(context.Background(), runtime.Config{Brokers: []string{b.Addr()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	h.SetServer(srv)

	status, ct, v := post(t, hs.URL, `{"ksql": "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1); CREATE STREAM t AS SELECT * FROM s;", "streamsProperties": {"auto.offset.reset": "earliest"}}`)
	if status != 200 || ct != ContentType {
		t.Fatalf("create: %d %s %v", status, ct, v)
	}
	list, _ := v.([]any)
	if len(list) != 2 {
		t.Fatalf("create: %v", v)
	}
	second := list[1].(map[string]any)
	cs := second["commandStatus"].(map[string]any)
	if second["@type"] != "currentStatus" || cs["status"] != "SUCCESS" || cs["queryId"] != "CSAS_T_0" {
		t.Fatalf("CSAS entity: %v", second)
	}

	for _, c := range []struct {
		body   string
		status int
		code   float64
		msg    string
	}{
		{`{"ksql": `, 400, 40000, "Error parsing request body"},
		{`{"ksql": ""}`, 400, 40000, "No statements"},
		{`{"ksql": "CREATE STREAM x AS SELECT nope FROM s;"}`, 400, 40001, "line 1:27: Column 'NOPE' cannot be resolved."},
		{`{"ksql": "SELEC 1;"}`, 400, 40001, "line 1:1:"},
		{`{"ksql": "DROP STREAM s;"}`, 400, 40001, "The following queries read from this source: [CSAS_T_0]"},
	} {
		status, ct, v := post(t, hs.URL, c.body)
		m, _ := v.(map[string]any)
		if status != c.status || ct != ContentType || m == nil || m["error_code"] != c.code || !strings.Contains(m["message"].(string), c.msg) {
			t.Errorf("%s: %d %s %v, want %d, error_code %v, message with %q", c.body, status, ct, v, c.status, c.code, c.msg)
		}
		if m != nil {
			if _, ok := m["stackTrace"].([]any); !ok {
				t.Errorf("%s: no stackTrace list", c.body)
			}
		}
	}

	status, _, v = post(t, hs.URL, `{"ksql": "SHOW STREAMS; SHOW QUERIES; DESCRIBE t;"}`)
	list, _ = v.([]any)
	if status != 200 || len(list) != 3 {
		t.Fatalf("show: %d %v", status, v)
	}
	streams := list[0].(map[string]any)["streams"].([]any)
	queries := list[1].(map[string]any)["queries"].([]any)
	desc := list[2].(map[string]any)["sourceDescription"].(map[string]any)
	if len(streams) != 2 || len(queries) != 1 || desc["name"] != "T" || len(desc["fields"].([]any)) != 2 {
		t.Fatalf("show/describe: %v", v)
	}
	// ksqlDB's queryString is the statement that started the query.
	if qs := queries[0].(map[string]any)["queryString"]; qs != "CREATE STREAM t AS SELECT * FROM s;" {
		t.Errorf("SHOW QUERIES queryString: %q, want the CSAS statement", qs)
	}

	resp, err = http.Get(hs.URL + "/info")
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]map[string]any
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil || info["KsqlServerInfo"]["serverStatus"] != "RUNNING" {
		t.Fatalf("info: %v %v", info, err)
	}
}
