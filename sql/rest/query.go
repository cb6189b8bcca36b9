package rest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/streamlite/streamlite/sql/engine"
	"github.com/streamlite/streamlite/sql/serde"
	"github.com/streamlite/streamlite/sql/types"
)

// Media types of the query endpoints.
const (
	// DelimitedType is /query-stream's default: a header line, then one
	// JSON array per row, each on its own line.
	DelimitedType = "application/vnd.ksqlapi.delimited.v1"
	jsonType      = "application/json"
)

// pushQueries are the running push queries by id, for /close-query.
type pushQueries struct {
	mu   sync.Mutex // guards byID
	byID map[string]context.CancelFunc
}

func (p *pushQueries) add(id string, cancel context.CancelFunc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byID == nil {
		p.byID = map[string]context.CancelFunc{}
	}
	p.byID[id] = cancel
}

func (p *pushQueries) remove(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.byID, id)
}

// running reports whether a push query named id is registered.
func (p *pushQueries) running(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.byID[id]
	return ok
}

func (p *pushQueries) close(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	cancel, ok := p.byID[id]
	if ok {
		cancel()
		delete(p.byID, id)
	}
	return ok
}

// stringProps flattens a JSON properties object to strings.
func stringProps(in map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range in {
		switch v := v.(type) {
		case string:
			out[k] = v
		default:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}

// statementError writes err as ksqlDB's statement error, with a line and
// column when the error has one.
func statementError(w http.ResponseWriter, err error, stmt string) {
	msg := err.Error()
	var ee *engine.Error
	if errors.As(err, &ee) && ee.Line > 0 && !strings.HasPrefix(msg, "line ") {
		msg = fmt.Sprintf("line %d:%d: %s", ee.Line, ee.Column, msg)
	}
	writeError(w, http.StatusBadRequest, codeBadStatement, "statement_error", msg, stmt)
}

// rowJSON renders a row's values as JSON values by their column types.
func rowJSON(cols []engine.Column, row []types.Value) ([]any, error) {
	out := make([]any, len(row))
	for i, v := range row {
		var t types.Type
		if i < len(cols) {
			t = cols[i].Type
		}
		j, err := serde.ToJSONValue(v, t)
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", i, err)
		}
		out[i] = j
	}
	return out, nil
}

// queryRequest is POST /query's body (ksqlDB's v1 API).
type queryRequest struct {
	KSQL              string         `json:"ksql"`
	StreamsProperties map[string]any `json:"streamsProperties"`
}

// query serves POST /query: a SELECT answered as a streamed JSON array of
// {"header"}, {"row"}... and {"finalMessage"} objects, or a PRINT (see
// servePrint).
func (h *Handler) query(w http.ResponseWriter, r *http.Request) {
	var req queryRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "generic_error", "Error parsing request body: "+err.Error(), "")
		return
	}
	if pr := printStatement(req.KSQL); pr != nil {
		h.servePrint(w, r, pr, req.KSQL, stringProps(req.StreamsProperties))
		return
	}
	h.serveSelect(w, r, req.KSQL, stringProps(req.StreamsProperties), false)
}

// queryStreamRequest is POST /query-stream's body (ksqlDB's v2 API).
type queryStreamRequest struct {
	SQL        string         `json:"sql"`
	Properties map[string]any `json:"properties"`
}

// queryStream serves POST /query-stream: a header, then rows, delimited
// by lines (the default) or as one JSON array (Accept: application/json).
func (h *Handler) queryStream(w http.ResponseWriter, r *http.Request) {
	var req queryStreamRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "generic_error", "Error parsing request body: "+err.Error(), "")
		return
	}
	h.serveSelect(w, r, req.SQL, stringProps(req.Properties), true)
}

// maxBatchBuf is the most a push query's writer keeps of its batch buffer
// between fetches.
const maxBatchBuf = 256 << 10

// selectWriter writes a query's answer in one of the three shapes.
type selectWriter struct {
	w       http.ResponseWriter
	flusher http.Flusher
	v2      bool // /query-stream
	array   bool // v2 with application/json
	n       int  // items written
	// batch, when set (push rows), makes item append to buf, which flush
	// sends; otherwise each item is sent at once.
	batch bool
	// frames, with batch, makes flush send each item with a flush of its
	// own (over HTTP/2, see serveSelect); ends marks where each ends in buf.
	frames bool
	buf    []byte
	ends   []int
}

// flush sends the items batched since the last flush: at once, or with
// frames one by one.
func (sw *selectWriter) flush() error {
	var err error
	start := 0
	for _, end := range sw.ends {
		if _, err = sw.w.Write(sw.buf[start:end]); err != nil {
			break
		}
		if sw.flusher != nil {
			sw.flusher.Flush()
		}
		start = end
	}
	if err == nil && start < len(sw.buf) {
		_, err = sw.w.Write(sw.buf[start:])
	}
	if err == nil && sw.flusher != nil && !sw.frames {
		sw.flusher.Flush()
	}
	sw.buf, sw.ends = sw.buf[:0], sw.ends[:0]
	if cap(sw.buf) > maxBatchBuf {
		sw.buf, sw.ends = nil, nil // a large fetch's rows are not kept for the query's life
	}
	return err
}

func (sw *selectWriter) item(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var sep string
	switch {
	case !sw.v2 || sw.array:
		sep = ",\n"
		if sw.n == 0 {
			sep = "["
		}
	default:
		sep = ""
	}
	if sw.batch {
		sw.buf = append(sw.buf, sep...)
		sw.buf = append(sw.buf, b...)
		if sw.v2 && !sw.array {
			sw.buf = append(sw.buf, '\n')
		}
		if sw.frames {
			sw.ends = append(sw.ends, len(sw.buf))
		}
		sw.n++
		return nil
	}
	if _, err := io.WriteString(sw.w, sep); err != nil {
		return err
	}
	if _, err := sw.w.Write(b); err != nil {
		return err
	}
	if sw.v2 && !sw.array {
		if _, err := io.WriteString(sw.w, "\n"); err != nil {
			return err
		}
	}
	sw.n++
	if sw.flusher != nil {
		sw.flusher.Flush()
	}
	return nil
}

func (sw *selectWriter) end() {
	if !sw.v2 || sw.array {
		if sw.n == 0 {
			io.WriteString(sw.w, "[")
		}
		io.WriteString(sw.w, "]\n")
	}
	if sw.flusher != nil {
		sw.flusher.Flush()
	}
}

func (h *Handler) serveSelect(w http.ResponseWriter, r *http.Request, text string, props map[string]string, v2 bool) {
	if strings.TrimSpace(text) == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "generic_error", "No statement provided in the request", "")
		return
	}
	srv, err := h.server(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "generic_error", err.Error(), "")
		return
	}
	sel, err := srv.Prepare(text, props)
	if err != nil {
		statementError(w, err, text)
		return
	}
	sw := &selectWriter{w: w, v2: v2}
	sw.flusher, _ = w.(http.Flusher)
	ctype := ContentType
	if v2 {
		ctype = DelimitedType
		if strings.Contains(r.Header.Get("Accept"), jsonType) {
			ctype, sw.array = jsonType, true
		}
	} else if strings.Contains(r.Header.Get("Accept"), jsonType) && !strings.Contains(r.Header.Get("Accept"), ContentType) {
		ctype = jsonType
	}
	header := func() any {
		if v2 {
			names := make([]string, len(sel.Columns))
			typs := make([]string, len(sel.Columns))
			for i, c := range sel.Columns {
				names[i], typs[i] = c.Name, c.Type.String()
			}
			hd := map[string]any{"queryId": sel.ID, "columnNames": names, "columnTypes": typs}
			return hd
		}
		return map[string]any{"header": map[string]any{"queryId": sel.ID, "schema": sel.Header}}
	}
	row := func(vals []types.Value, tombstone bool) (any, error) {
		cols, err := rowJSON(sel.Columns, vals)
		if err != nil {
			return nil, err
		}
		if v2 {
			return cols, nil
		}
		r := map[string]any{"columns": cols}
		if tombstone {
			r["tombstone"] = true
		}
		return map[string]any{"row": r}, nil
	}
	final := func(msg string) {
		if msg == "" {
			return
		}
		if v2 {
			// The v2 API ends a completed query by ending the response.
			return
		}
		_ = sw.item(map[string]any{"finalMessage": msg})
	}

	if sel.Pull {
		rows, msg, err := sel.PullRows(r.Context())
		if err != nil {
			statementError(w, err, text)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(http.StatusOK)
		if err := sw.item(header()); err != nil {
			return
		}
		for _, vals := range rows {
			it, err := row(vals, false)
			if err != nil {
				_ = sw.item(map[string]any{"errorMessage": map[string]any{"@type": "generic_error", "error_code": codeServer, "message": err.Error()}})
				break
			}
			if err := sw.item(it); err != nil {
				return
			}
		}
		final(msg)
		sw.end()
		return
	}

	// A push query runs until the client leaves (the request's context
	// ends), /close-query names it, or its LIMIT is reached.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	h.push.add(sel.ID, cancel)
	defer h.push.remove(sel.ID)
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	if err := sw.item(header()); err != nil {
		return
	}
	// A fetch's rows are made into a buffer while the query holds its
	// slot (Select.Push) and sent after, so a slow client never holds it.
	// Over HTTP/1.1 they go out in one write and flush; over HTTP/2 each
	// row is flushed on its own, a DATA frame of its own, as ksqlDB's
	// server writes them: clients such as the ksqldb-client npm package
	// parse each frame as one JSON document.
	sw.batch, sw.frames = true, r.ProtoMajor != 1
	msg, err := sel.Push(ctx, func(vals []types.Value, tombstone bool) error {
		it, err := row(vals, tombstone)
		if err != nil {
			return err
		}
		return sw.item(it)
	}, sw.flush)
	_ = sw.flush() // what a LIMIT or an error ended the batch with
	sw.batch, sw.frames = false, false
	if err != nil && ctx.Err() == nil {
		h.log.Warn("sql: push query failed", "query", sel.ID, "err", err)
		_ = sw.item(map[string]any{"errorMessage": map[string]any{"@type": "generic_error", "error_code": codeServer, "message": err.Error()}})
	}
	final(msg)
	sw.end()
}

// closeQuery serves POST /close-query {"queryId": ...}.
func (h *Handler) closeQuery(w http.ResponseWriter, r *http.Request) {
	var req struct {
		QueryID string `json:"queryId"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "generic_error", "Error parsing request body: "+err.Error(), "")
		return
	}
	if !h.push.close(req.QueryID) {
		writeError(w, http.StatusBadRequest, codeBadRequest, "generic_error", "No query with id "+req.QueryID, "")
		return
	}
	w.Header().Set("Content-Type", jsonType)
	w.WriteHeader(http.StatusOK)
}

// insertsStream serves POST /inserts-stream: a first line
// {"target": "NAME"}, then one JSON object per row; each row is answered
// with {"status": "ok", "seq": n} or an error object, as ksqlDB does.
func (h *Handler) insertsStream(w http.ResponseWriter, r *http.Request) {
	srv, err := h.server(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "generic_error", err.Error(), "")
		return
	}
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(r.Body, 1<<30)))
	dec.UseNumber()
	var target struct {
		Target     string         `json:"target"`
		Properties map[string]any `json:"properties"`
	}
	if err := dec.Decode(&target); err != nil || target.Target == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "generic_error", "Invalid JSON in inserts stream: the first object must be {\"target\": \"NAME\"}", "")
		return
	}
	props := stringProps(target.Properties)
	// Acks are one JSON object per line, or with Accept: application/json
	// one JSON array of them.
	sw := &selectWriter{w: w, v2: true, array: strings.Contains(r.Header.Get("Accept"), jsonType)}
	sw.flusher, _ = w.(http.Flusher)
	ctype := DelimitedType
	if sw.array {
		ctype = jsonType
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	defer sw.end()
	reply := func(v any) { _ = sw.item(v) }
	for seq := 0; ; seq++ {
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			if !errors.Is(err, io.EOF) {
				reply(map[string]any{"status": "error", "seq": seq, "error_code": codeBadRequest, "message": "Invalid JSON in inserts stream: " + err.Error()})
			}
			return
		}
		stmt, err := insertStatement(target.Target, row)
		if err == nil {
			err = srv.Insert(r.Context(), stmt, props)
		}
		if err != nil {
			reply(map[string]any{"status": "error", "seq": seq, "error_code": codeBadStatement, "message": err.Error()})
			continue
		}
		reply(map[string]any{"status": "ok", "seq": seq})
	}
}

// insertStatement writes a row of /inserts-stream as INSERT INTO ...
// VALUES, so it takes the same coercions and checks.
func insertStatement(target string, row map[string]any) (string, error) {
	names := make([]string, 0, len(row))
	for k := range row {
		names = append(names, k)
	}
	sort.Strings(names)
	vals := make([]string, len(names))
	for i, n := range names {
		lit, err := sqlLiteral(row[n])
		if err != nil {
			return "", fmt.Errorf("column %s: %w", n, err)
		}
		vals[i] = lit
		names[i] = "`" + strings.ReplaceAll(strings.ToUpper(n), "`", "``") + "`"
	}
	return fmt.Sprintf("INSERT INTO `%s` (%s) VALUES (%s);", strings.ReplaceAll(strings.ToUpper(target), "`", "``"), strings.Join(names, ", "), strings.Join(vals, ", ")), nil
}

// sqlLiteral renders a JSON value as a SQL literal.
func sqlLiteral(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "NULL", nil
	case bool:
		if v {
			return "TRUE", nil
		}
		return "FALSE", nil
	case json.Number:
		return v.String(), nil
	case float64:
		return fmt.Sprint(v), nil
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'", nil
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			p, err := sqlLiteral(x)
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		return "ARRAY[" + strings.Join(parts, ", ") + "]", nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			p, err := sqlLiteral(v[k])
			if err != nil {
				return "", err
			}
			parts[i] = "`" + strings.ReplaceAll(strings.ToUpper(k), "`", "``") + "` := " + p
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")", nil
	}
	return "", fmt.Errorf("unsupported JSON value %T", v)
}

// status serves GET /status: the statuses of the commands this server
// ran (all of them succeed or are refused at once, so the map is empty).
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"commandStatuses": map[string]any{}})
}
