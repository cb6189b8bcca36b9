package sqlcli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/streamlite/streamlite/sql/rest"
)

// The shell's calls beyond /ksql: GET /info, POST /query-stream for SELECTs,
// POST /close-query to stop a push query, and POST /query for PRINT.

// DelimitedContentType is the media type the shell asks /query-stream for:
// a JSON header line, then one JSON array per row, each on its own line
// (ksqlDB's HTTP/1.1 form of the endpoint).
const DelimitedContentType = "application/vnd.ksqlapi.delimited.v1"

// ServerInfo is what GET /info says about the server.
type ServerInfo struct {
	Version   string `json:"version"`
	ServiceID string `json:"ksqlServiceId"`
	ClusterID string `json:"kafkaClusterId"`
	Status    string `json:"serverStatus"`
}

// Info asks the server who it is.
func (c *Client) Info(ctx context.Context) (ServerInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+"/info", nil)
	if err != nil {
		return ServerInfo{}, err
	}
	req.Header.Set("Accept", rest.ContentType)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return ServerInfo{}, fmt.Errorf("SQL server %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return ServerInfo{}, fmt.Errorf("SQL server %s: reading /info: %w", c.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return ServerInfo{}, serverError(resp.StatusCode, b)
	}
	var out struct {
		Info ServerInfo `json:"KsqlServerInfo"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return ServerInfo{}, fmt.Errorf("SQL server %s: unexpected /info answer: %w", c.URL, err)
	}
	return out.Info, nil
}

// serverError reads an error answer: ksqlDB's error entity when the body is
// one, else the status and body.
func serverError(status int, body []byte) *ServerError {
	se := &ServerError{Status: status}
	if json.Unmarshal(body, se) != nil || se.Message == "" {
		se.Message = fmt.Sprintf("HTTP %d: %s", status, strings.TrimSpace(string(body)))
	}
	return se
}

// QueryStream is an open /query-stream answer: the header has been read, the
// rows follow. Close it to stop reading; the server ends a push query when its
// client closes the connection (CloseQuery asks for that explicitly).
type QueryStream struct {
	ID      string
	Columns []string
	Types   []string
	// Key marks the columns a server declared part of the row's key, by
	// ending the column's type with " KEY" as ksqlDB's /query header schema
	// does ("`USER` STRING KEY"); Types then holds the type without it. Nil
	// when none is marked: ksqlDB's /query-stream header (and ours) marks
	// none, and the shell reads the key off the statement (resultKey).
	Key []bool

	body io.ReadCloser
	r    *bufio.Reader
}

// StreamRow is one line of a query's answer after the header: a row, a
// retraction, or the server's closing message.
type StreamRow struct {
	// Values are the row's column values as the server sent them (JSON).
	Values []json.RawMessage
	// Tombstone marks a retraction: the row with this key is gone. ksqlDB
	// marks them in /query's {"row": {..., "tombstone": true}} shape; a
	// server that sends only arrays never retracts.
	Tombstone bool
	// Final is the server's closing message ("Limit Reached"), when the line
	// is one; Values is then nil.
	Final string
}

// QueryStream runs a SELECT (push or pull) on /query-stream over HTTP/1.1,
// asking for the delimited form, and returns once the header has arrived.
// Cancelling ctx closes the stream.
func (c *Client) QueryStream(ctx context.Context, sql string, props map[string]string) (*QueryStream, error) {
	body, err := json.Marshal(map[string]any{"sql": sql, "properties": propsOrEmpty(props)})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/query-stream", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", DelimitedContentType)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("SQL server %s: %w", c.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode == http.StatusNotFound && !json.Valid(b) {
			return nil, fmt.Errorf("SQL server %s does not serve POST /query-stream (HTTP 404), so it cannot run SELECTs", c.URL)
		}
		return nil, serverError(resp.StatusCode, b)
	}
	q := &QueryStream{body: resp.Body, r: bufio.NewReaderSize(resp.Body, 64<<10)}
	line, err := q.line()
	if err != nil {
		q.Close()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("SQL server %s: the query's answer ended before its header", c.URL)
		}
		return nil, err
	}
	var h struct {
		ID      string   `json:"queryId"`
		Columns []string `json:"columnNames"`
		Types   []string `json:"columnTypes"`
	}
	if err := json.Unmarshal(line, &h); err != nil || h.Columns == nil {
		q.Close()
		if se := inStreamError(line); se != nil {
			return nil, se
		}
		return nil, fmt.Errorf("SQL server %s: unexpected query header %.200q", c.URL, line)
	}
	q.ID, q.Columns, q.Types = h.ID, h.Columns, h.Types
	q.Key = splitKeyMarks(q.Types)
	return q, nil
}

// splitKeyMarks removes the " KEY" ending from the types in place and
// returns which had it, or nil when none had.
func splitKeyMarks(types []string) []bool {
	var key []bool
	for i, t := range types {
		t = strings.TrimSpace(t)
		if n := len(t) - len(" KEY"); n > 0 && strings.EqualFold(t[n:], " KEY") {
			if key == nil {
				key = make([]bool, len(types))
			}
			key[i], types[i] = true, strings.TrimSpace(t[:n])
		}
	}
	return key
}

func propsOrEmpty(p map[string]string) map[string]string {
	if p == nil {
		return map[string]string{}
	}
	return p
}

// line returns the next non-empty line of the answer, without its newline.
func (q *QueryStream) line() ([]byte, error) {
	for {
		b, err := q.r.ReadBytes('\n')
		b = bytes.TrimSpace(b)
		if len(b) > 0 {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Next returns the next row, io.EOF when the server ended the query, or the
// error the server reported in the stream (a *ServerError). Lines that are
// neither (a consistency token, JSON-array framing) are skipped.
func (q *QueryStream) Next() (StreamRow, error) {
	for {
		line, err := q.line()
		if err != nil {
			return StreamRow{}, err
		}
		line = bytes.TrimSuffix(line, []byte(","))
		switch {
		case string(line) == "[" || string(line) == "]":
			continue
		case line[0] == '[':
			var vals []json.RawMessage
			if err := json.Unmarshal(line, &vals); err != nil {
				return StreamRow{}, fmt.Errorf("unexpected row %.200q: %w", line, err)
			}
			return StreamRow{Values: vals}, nil
		case line[0] == '{':
			var obj struct {
				Row *struct {
					Columns   []json.RawMessage `json:"columns"`
					Tombstone bool              `json:"tombstone"`
				} `json:"row"`
				Final string `json:"finalMessage"`
			}
			if err := json.Unmarshal(line, &obj); err == nil {
				switch {
				case obj.Row != nil:
					return StreamRow{Values: obj.Row.Columns, Tombstone: obj.Row.Tombstone}, nil
				case obj.Final != "":
					return StreamRow{Final: obj.Final}, nil
				}
			}
			if se := inStreamError(line); se != nil {
				return StreamRow{}, se
			}
		default:
			return StreamRow{}, fmt.Errorf("unexpected line in the query's answer: %.200q", line)
		}
	}
}

// inStreamError reads an error entity sent inside a stream, or returns nil.
func inStreamError(line []byte) *ServerError {
	var e struct {
		Type    string `json:"@type"`
		Code    int    `json:"error_code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(line, &e) != nil || (e.Code == 0 && e.Message == "") {
		return nil
	}
	return &ServerError{Code: e.Code, Message: e.Message}
}

// Close stops reading the answer and closes the connection's body.
func (q *QueryStream) Close() error { return q.body.Close() }

// CloseQuery asks the server to stop push query id (POST /close-query).
func (c *Client) CloseQuery(ctx context.Context, id string) error {
	body, _ := json.Marshal(map[string]string{"queryId": id})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/close-query", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return serverError(resp.StatusCode, b)
	}
	return nil
}

// ErrPrintNotServed is returned by Print when the server has no /query
// endpoint, which ksqlDB serves PRINT on.
var ErrPrintNotServed = errors.New("sqlcli: the server does not serve PRINT (POST /query)")

// Print runs a PRINT statement on /query (where ksqlDB serves it) and returns
// the answer's body: lines of text as the records arrive. Cancelling ctx ends
// it.
func (c *Client) Print(ctx context.Context, stmt string, props map[string]string) (io.ReadCloser, error) {
	body, err := json.Marshal(map[string]any{"ksql": stmt, "streamsProperties": propsOrEmpty(props)})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", rest.ContentType)
	req.Header.Set("Accept", rest.ContentType)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("SQL server %s: %w", c.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed) && !json.Valid(b) {
			return nil, fmt.Errorf("%w: %s answered HTTP %d", ErrPrintNotServed, c.URL, resp.StatusCode)
		}
		return nil, serverError(resp.StatusCode, b)
	}
	return resp.Body, nil
}
