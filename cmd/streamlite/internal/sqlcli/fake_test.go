package sqlcli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/parser"
)

// fakeServer is a ksqlDB-compatible REST server for the shell's tests: /info,
// /ksql with an in-memory catalog (CREATE/DROP STREAM|TABLE, SHOW, DESCRIBE),
// /query-stream (pull queries answer pullLines; push queries send what the
// test puts on push until the client leaves or /close-query), /close-query,
// and /query for PRINT when printLines is set (a fakeEnd line keeps it open
// until the client leaves).
type fakeServer struct {
	*httptest.Server

	// push carries the lines a push query sends after its header: a JSON
	// array per row, or an object ({"row":...,"tombstone":true}).
	push chan string
	// opened gets a push query's id once its header is sent.
	opened chan string
	// ended gets "close-query ID" or "disconnect ID" when a push query ends.
	ended chan string

	mu struct {
		sync.Mutex
		sources    []*fakeSource
		statements []string            // every statement /ksql ran
		queryProps []map[string]string // properties of every /query-stream request
		pullLines  []string            // the rows pull queries answer
		printLines []string            // PRINT's answer; nil: /query is not served
		running    map[string]chan struct{}
		nextID     int
		markKeys   bool // end key columns' types in /query-stream's header with " KEY"
	}
}

type fakeSource struct {
	name  string
	table bool
	cols  []fakeCol
}

type fakeCol struct {
	name, typ string
	key       bool
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{push: make(chan string), opened: make(chan string, 16), ended: make(chan string, 16)}
	f.mu.running = map[string]chan struct{}{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /info", func(w http.ResponseWriter, _ *http.Request) {
		writeFakeJSON(w, 200, map[string]any{"KsqlServerInfo": map[string]any{
			"version": "0.29.0", "ksqlServiceId": "fake_", "kafkaClusterId": "", "serverStatus": "RUNNING"}})
	})
	mux.HandleFunc("POST /ksql", f.ksql)
	mux.HandleFunc("POST /query-stream", f.queryStream)
	mux.HandleFunc("POST /close-query", f.closeQuery)
	mux.HandleFunc("POST /query", f.query)
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func writeFakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/vnd.ksql.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fakeError(w http.ResponseWriter, msg, stmt string) {
	writeFakeJSON(w, 400, map[string]any{"@type": "statement_error", "error_code": 40001, "message": msg,
		"statementText": stmt, "entities": []any{}, "stackTrace": []any{}})
}

func (f *fakeServer) statements() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.mu.statements...)
}

func (f *fakeServer) lastQueryProps() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.mu.queryProps) == 0 {
		return nil
	}
	return f.mu.queryProps[len(f.mu.queryProps)-1]
}

func (f *fakeServer) setPull(lines ...string) {
	f.mu.Lock()
	f.mu.pullLines = lines
	f.mu.Unlock()
}

// setMarkKeys makes /query-stream's header mark the key columns, as
// ksqlDB's /query header schema does ("`ID` INTEGER KEY").
func (f *fakeServer) setMarkKeys(on bool) {
	f.mu.Lock()
	f.mu.markKeys = on
	f.mu.Unlock()
}

func (f *fakeServer) setPrint(lines ...string) {
	f.mu.Lock()
	f.mu.printLines = lines
	f.mu.Unlock()
}

func (f *fakeServer) findLocked(name string) *fakeSource {
	for _, s := range f.mu.sources {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (f *fakeServer) ksql(w http.ResponseWriter, r *http.Request) {
	var req struct {
		KSQL  string            `json:"ksql"`
		Props map[string]string `json:"streamsProperties"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeFakeJSON(w, 400, map[string]any{"@type": "generic_error", "error_code": 40000, "message": err.Error()})
		return
	}
	stmts, err := parser.ParseScript(req.KSQL)
	if err != nil {
		fakeError(w, err.Error(), req.KSQL)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []any{}
	status := func(st ast.Statement, msg string) map[string]any {
		return map[string]any{"@type": "currentStatus", "statementText": st.Source(),
			"commandStatus": map[string]any{"status": "SUCCESS", "message": msg}, "warnings": []any{}}
	}
	for _, st := range stmts {
		f.mu.statements = append(f.mu.statements, st.Source())
		switch st := st.(type) {
		case *ast.CreateSource:
			src := &fakeSource{name: st.Name, table: st.Kind == ast.KindTable}
			for _, c := range st.Columns {
				src.cols = append(src.cols, fakeCol{name: c.Name, typ: c.Type.String(), key: c.Constraint == ast.ColKey || c.Constraint == ast.ColPrimaryKey})
			}
			f.mu.sources = append(f.mu.sources, src)
			kind := "Stream"
			if src.table {
				kind = "Table"
			}
			out = append(out, status(st, kind+" created"))
		case *ast.DropSource:
			if f.findLocked(st.Name) == nil {
				fakeError(w, fmt.Sprintf("Source %s does not exist.", st.Name), st.Source())
				return
			}
			for i, s := range f.mu.sources {
				if s.name == st.Name {
					f.mu.sources = append(f.mu.sources[:i], f.mu.sources[i+1:]...)
					break
				}
			}
			out = append(out, status(st, "Source "+st.Name+" was dropped."))
		case *ast.Show:
			switch st.What {
			case ast.ShowStreams, ast.ShowTables:
				key, table := "streams", false
				if st.What == ast.ShowTables {
					key, table = "tables", true
				}
				list := []any{}
				for _, s := range f.mu.sources {
					if s.table == table {
						list = append(list, map[string]any{"type": strings.ToUpper(strings.TrimSuffix(key, "s")), "name": s.name,
							"topic": strings.ToLower(s.name), "keyFormat": "KAFKA", "valueFormat": "JSON"})
					}
				}
				out = append(out, map[string]any{"@type": key, key: list, "warnings": []any{}})
			case ast.ShowTopics:
				list := []any{}
				for _, s := range f.mu.sources {
					list = append(list, map[string]any{"name": strings.ToLower(s.name), "replicaInfo": []any{1}})
				}
				out = append(out, map[string]any{"@type": "kafka_topics", "topics": list, "warnings": []any{}})
			case ast.ShowQueries:
				out = append(out, map[string]any{"@type": "queries", "queries": []any{
					map[string]any{"id": "CSAS_X_1", "state": "RUNNING", "sinks": []any{"X"}, "sinkKafkaTopics": []any{"x"}}}})
			case ast.ShowProperties:
				list := []any{map[string]any{"name": "ksql.service.id", "value": "fake_"}}
				for k, v := range req.Props {
					list = append(list, map[string]any{"name": k, "value": v})
				}
				out = append(out, map[string]any{"@type": "properties", "properties": list})
			}
		case *ast.Describe:
			s := f.findLocked(st.Name)
			if s == nil {
				fakeError(w, fmt.Sprintf("Could not find STREAM/TABLE '%s' in the Metastore", st.Name), st.Source())
				return
			}
			fields := []any{}
			for _, c := range s.cols {
				fd := map[string]any{"name": c.name, "schema": map[string]any{"type": c.typ}}
				if c.key {
					fd["type"] = "KEY"
				}
				fields = append(fields, fd)
			}
			typ := "STREAM"
			if s.table {
				typ = "TABLE"
			}
			out = append(out, map[string]any{"@type": "sourceDescription", "sourceDescription": map[string]any{
				"name": s.name, "type": typ, "fields": fields}, "warnings": []any{}})
		case *ast.InsertValues:
		default:
			out = append(out, status(st, "ok"))
		}
	}
	writeFakeJSON(w, 200, out)
}

// queryStream answers /query-stream in the delimited form.
func (f *fakeServer) queryStream(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SQL   string            `json:"sql"`
		Props map[string]string `json:"properties"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeFakeJSON(w, 400, map[string]any{"@type": "generic_error", "error_code": 40000, "message": err.Error()})
		return
	}
	st, err := parser.ParseStatement(req.SQL)
	if err != nil {
		fakeError(w, err.Error(), req.SQL)
		return
	}
	sel, ok := st.(*ast.Select)
	if !ok {
		fakeError(w, "not a SELECT", req.SQL)
		return
	}
	ref, _ := sel.Query.From.(*ast.SourceRef)
	f.mu.Lock()
	f.mu.queryProps = append(f.mu.queryProps, req.Props)
	var src *fakeSource
	if ref != nil {
		src = f.findLocked(ref.Name)
	}
	pull := append([]string(nil), f.mu.pullLines...)
	markKeys := f.mu.markKeys
	f.mu.nextID++
	id := fmt.Sprintf("transient_%d", f.mu.nextID)
	stop := make(chan struct{})
	f.mu.running[id] = stop
	f.mu.Unlock()
	if src == nil {
		fakeError(w, "Source does not exist.", req.SQL)
		return
	}
	var names, types []string
	for _, it := range sel.Query.Select {
		if _, ok := it.Expr.(*ast.AllColumns); ok {
			for _, c := range src.cols {
				typ := c.typ
				if markKeys && c.key {
					typ += " KEY"
				}
				names, types = append(names, c.name), append(types, typ)
			}
			continue
		}
		n := ast.Format(it.Expr)
		typ := "STRING"
		for _, c := range src.cols {
			if c.name == n {
				typ = c.typ
				if markKeys && c.key {
					typ += " KEY"
				}
			}
		}
		names, types = append(names, cmpOrStr(it.Alias, n)), append(types, typ)
	}
	w.Header().Set("Content-Type", DelimitedContentType)
	hdr, _ := json.Marshal(map[string]any{"queryId": id, "columnNames": names, "columnTypes": types})
	fmt.Fprintf(w, "%s\n", hdr)
	fl := w.(http.Flusher)
	fl.Flush()
	if sel.Query.Emit == ast.EmitNone {
		for _, l := range pull {
			fmt.Fprintln(w, l)
		}
		return
	}
	f.opened <- id
	for {
		select {
		case l := <-f.push:
			if l == fakeEnd {
				return
			}
			fmt.Fprintln(w, l)
			fl.Flush()
		case <-stop:
			f.ended <- "close-query " + id
			return
		case <-r.Context().Done():
			f.ended <- "disconnect " + id
			return
		}
	}
}

// fakeEnd, sent on push, makes the server end the push query itself.
const fakeEnd = "<end>"

func cmpOrStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (f *fakeServer) closeQuery(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID string `json:"queryId"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	stop, ok := f.mu.running[req.ID]
	delete(f.mu.running, req.ID)
	f.mu.Unlock()
	if !ok {
		writeFakeJSON(w, 400, map[string]any{"@type": "generic_error", "error_code": 40000, "message": "No query with id " + req.ID})
		return
	}
	close(stop)
	w.WriteHeader(200)
}

// query serves PRINT when printLines is set, as plain lines.
func (f *fakeServer) query(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	lines := f.mu.printLines
	f.mu.Unlock()
	if lines == nil {
		http.NotFound(w, r)
		return
	}
	for _, l := range lines {
		if l == fakeEnd { // keep printing until the client leaves
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			f.ended <- "print disconnect"
			return
		}
		fmt.Fprintln(w, l)
	}
}

// waitFor receives from ch or fails the test after a while.
func waitFor(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		return ""
	}
}
