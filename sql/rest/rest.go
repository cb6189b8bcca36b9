// Package rest serves the SQL runtime over ksqlDB's REST API, so ksqlDB's
// clients and streamlite's own `streamlite sql` talk to it the same way.
//
// It answers POST /ksql (statements: CREATE, CREATE ... AS SELECT, INSERT
// INTO ... SELECT and ... VALUES, DROP, TERMINATE, SHOW, DESCRIBE, SET and
// UNSET within a request), POST /query (v1: a streamed JSON array) and
// POST /query-stream (v2: delimited rows or a JSON array) for pull and push
// queries (POST /query runs PRINT too: a topic's records as text lines,
// print.go), POST /close-query, POST /inserts-stream, GET /info, GET
// /healthcheck and GET /status, with ksqlDB's response shapes and content
// types and its error shape ({"@type": "statement_error", "error_code":
// 40001, ...}). The server speaks HTTP/1.1 and cleartext HTTP/2.
package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/streamlite/streamlite/sql/runtime"
)

// DefaultAddr is where ksqlDB's server listens, and so ours.
const DefaultAddr = "127.0.0.1:8088"

// ContentType is ksqlDB's versioned JSON media type.
const ContentType = "application/vnd.ksql.v1+json"

// Version is the ksqlDB server version /info reports: the API level this
// server follows.
const Version = "0.29.0"

// maxBody bounds a request body.
const maxBody = 4 << 20

// Handler serves the REST API over a runtime.Server that may still be
// starting: requests made before SetServer wait for it (up to their
// context's end).
type Handler struct {
	srv     atomic.Pointer[runtime.Server]
	ready   chan struct{}
	service string
	log     *slog.Logger
	mux     *http.ServeMux
	push    pushQueries
}

// NewHandler returns a Handler for the SQL service serviceID.
func NewHandler(serviceID string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{ready: make(chan struct{}), service: serviceID, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /ksql", h.ksql)
	h.mux.HandleFunc("GET /info", h.info)
	h.mux.HandleFunc("GET /healthcheck", h.health)
	h.mux.HandleFunc("POST /query", h.query)
	h.mux.HandleFunc("POST /query-stream", h.queryStream)
	h.mux.HandleFunc("POST /close-query", h.closeQuery)
	h.mux.HandleFunc("POST /inserts-stream", h.insertsStream)
	h.mux.HandleFunc("GET /status", h.status)
	return h
}

// SetServer makes the handler answer with srv. Call it once.
func (h *Handler) SetServer(srv *runtime.Server) {
	h.srv.Store(srv)
	close(h.ready)
}

// ServeHTTP implements http.Handler. A panic while serving a request is
// logged and answered with a 500 in ksqlDB's error shape (when nothing
// was written yet) instead of a dropped connection.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("sql: panic serving a request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			writeError(w, http.StatusInternalServerError, codeServer, "generic_error", fmt.Sprintf("internal error: %v", v), "")
		}
	}()
	h.mux.ServeHTTP(w, r)
}

// server waits for the runtime.
func (h *Handler) server(ctx context.Context) (*runtime.Server, error) {
	select {
	case <-h.ready:
		return h.srv.Load(), nil
	case <-ctx.Done():
		return nil, errors.New("the SQL server is still starting")
	}
}

// Error codes ksqlDB answers with.
const (
	codeBadStatement = 40001
	codeBadRequest   = 40000
	codeServer       = 50000
	codeUnavailable  = 50300
)

// errorBody is ksqlDB's error entity.
type errorBody struct {
	Type          string   `json:"@type"`
	ErrorCode     int      `json:"error_code"`
	Message       string   `json:"message"`
	StatementText string   `json:"statementText,omitempty"`
	Entities      []any    `json:"entities"`
	StackTrace    []string `json:"stackTrace"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, typ, msg, stmt string) {
	writeJSON(w, status, errorBody{Type: typ, ErrorCode: code, Message: msg, StatementText: stmt, Entities: []any{}, StackTrace: []string{}})
}

// ksqlRequest is POST /ksql's body.
type ksqlRequest struct {
	KSQL              string         `json:"ksql"`
	StreamsProperties map[string]any `json:"streamsProperties"`
}

func (h *Handler) ksql(w http.ResponseWriter, r *http.Request) {
	var req ksqlRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "generic_error", "Error parsing request body: "+err.Error(), "")
		return
	}
	if strings.TrimSpace(req.KSQL) == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "generic_error", "No statements provided in the request", "")
		return
	}
	props := map[string]string{}
	for k, v := range req.StreamsProperties {
		switch v := v.(type) {
		case string:
			props[k] = v
		default:
			b, _ := json.Marshal(v)
			props[k] = string(b)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
	defer cancel()
	srv, err := h.server(ctx)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "generic_error", err.Error(), "")
		return
	}
	results, err := srv.Execute(ctx, req.KSQL, props)
	if err != nil {
		var se *runtime.StatementError
		if errors.As(err, &se) {
			msg := se.Err.Error()
			if se.Line > 0 && !strings.HasPrefix(msg, "line ") {
				msg = fmt.Sprintf("line %d:%d: %s", se.Line, se.Column, msg)
			}
			writeError(w, http.StatusBadRequest, codeBadStatement, "statement_error", msg, se.Statement)
			return
		}
		h.log.Error("sql: statement failed", "err", err)
		writeError(w, http.StatusInternalServerError, codeServer, "generic_error", err.Error(), "")
		return
	}
	out := make([]any, 0, len(results))
	for _, res := range results {
		if res.Kind != runtime.ResultNone {
			out = append(out, entity(res))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// entity renders a result as ksqlDB's KsqlEntity JSON.
func entity(res runtime.Result) any {
	switch res.Kind {
	case runtime.ResultStreams, runtime.ResultTables:
		list := []map[string]any{}
		for _, s := range res.Sources {
			typ := "STREAM"
			if s.Table {
				typ = "TABLE"
			}
			list = append(list, map[string]any{"type": typ, "name": s.Name, "topic": s.Topic,
				"keyFormat": s.KeyFormat, "valueFormat": s.ValueFormat, "isWindowed": s.Windowed})
		}
		key := "streams"
		if res.Kind == runtime.ResultTables {
			key = "tables"
		}
		return map[string]any{"@type": key, "statementText": res.Statement, key: list, "warnings": []any{}}
	case runtime.ResultQueries:
		list := []map[string]any{}
		for _, q := range res.Queries {
			list = append(list, map[string]any{"queryString": q.Statement, "sinks": []string{q.Sink},
				"sinkKafkaTopics": []string{q.SinkTopic}, "id": q.ID, "statusCount": map[string]int{string(q.State): 1},
				"queryType": "PERSISTENT", "state": q.State,
				// Not in ksqlDB's entity (clients ignore unknown fields):
				// the counters ksqlDB shows in DESCRIBE EXTENDED and its
				// processing log.
				"streamlite": map[string]any{"processed": q.Processed, "skipped": q.Skipped, "late": q.Late, "error": q.Error}})
		}
		return map[string]any{"@type": "queries", "statementText": res.Statement, "queries": list, "warnings": []any{}}
	case runtime.ResultTopics:
		typ := "kafka_topics"
		if res.TopicsExtended {
			typ = "kafka_topics_extended"
		}
		list := []map[string]any{}
		for _, t := range res.Topics {
			ti := map[string]any{"name": t.Name, "replicaInfo": append([]int{}, t.Replicas...)}
			if res.TopicsExtended {
				ti["consumerCount"], ti["consumerGroupCount"] = t.Consumers, t.ConsumerGroups
			}
			list = append(list, ti)
		}
		return map[string]any{"@type": typ, "statementText": res.Statement, "topics": list, "warnings": []any{}}
	case runtime.ResultProperties:
		list := []map[string]any{}
		for k, v := range res.Props {
			list = append(list, map[string]any{"name": k, "scope": "KSQL", "value": v})
		}
		return map[string]any{"@type": "properties", "statementText": res.Statement, "properties": list, "overwrittenProperties": []any{}, "defaultProperties": []any{}, "warnings": []any{}}
	case runtime.ResultSource:
		s := res.Sources[0]
		typ := "STREAM"
		if s.Table {
			typ = "TABLE"
		}
		fields := []map[string]any{}
		for _, c := range s.Columns {
			f := map[string]any{"name": c.Name, "schema": map[string]any{"type": c.Type}}
			if c.Key {
				f["type"] = "KEY"
			}
			fields = append(fields, f)
		}
		return map[string]any{"@type": "sourceDescription", "statementText": res.Statement, "sourceDescription": map[string]any{
			"name": s.Name, "type": typ, "topic": s.Topic, "keyFormat": s.KeyFormat, "valueFormat": s.ValueFormat,
			"windowType": nil, "fields": fields, "readQueries": []any{}, "writeQueries": []any{}, "statement": "",
		}, "warnings": []any{}}
	}
	var qid any
	if res.QueryID != "" {
		qid = res.QueryID
	}
	ent := map[string]any{"@type": "currentStatus", "statementText": res.Statement,
		"commandStatus": map[string]any{"status": "SUCCESS", "message": res.Message, "queryId": qid}, "warnings": []any{}}
	if res.CommandID != "" {
		ent["commandId"] = res.CommandID
		ent["commandSequenceNumber"] = res.CommandSeq
	}
	return ent
}

func (h *Handler) info(w http.ResponseWriter, r *http.Request) {
	status := "RUNNING"
	select {
	case <-h.ready:
	default:
		status = "STARTING"
	}
	writeJSON(w, http.StatusOK, map[string]any{"KsqlServerInfo": map[string]any{
		"version": Version, "ksqlServiceId": h.service + "_", "serverStatus": status, "kafkaClusterId": "",
	}})
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	healthy := false
	select {
	case <-h.ready:
		healthy = true
	default:
	}
	status := http.StatusOK
	if !healthy {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"isHealthy": healthy, "details": map[string]any{
		"metastore": map[string]bool{"isHealthy": healthy}, "kafka": map[string]bool{"isHealthy": healthy},
	}})
}
