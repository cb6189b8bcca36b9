package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// ErrNoSQL is returned by Queries on a Client built without a SQL server.
var ErrNoSQL = errors.New("cluster: no SQL server configured")

// ksqlContentType is ksqlDB's versioned JSON media type.
const ksqlContentType = "application/vnd.ksql.v1+json"

// maxQueriesBody bounds the SHOW QUERIES answer read.
const maxQueriesBody = 16 << 20

// runningQuery is one entry of ksqlDB's "queries" entity, with streamlite's counters.
type runningQuery struct {
	ID              string         `json:"id"`
	QueryString     string         `json:"queryString"`
	Sinks           []string       `json:"sinks"`
	SinkKafkaTopics []string       `json:"sinkKafkaTopics"`
	State           string         `json:"state"`
	StatusCount     map[string]int `json:"statusCount"`
	Streamlite      *struct {
		Processed *int64 `json:"processed"`
		Skipped   *int64 `json:"skipped"`
		Late      *int64 `json:"late"`
		Error     string `json:"error"`
	} `json:"streamlite"`
}

// Queries lists the SQL server's persistent queries (POST /ksql "SHOW QUERIES;"), sorted by
// id. It works against ksqlDB and streamlite alike; the counters are -1 when the server
// does not report them (ksqlDB). Sources are not in SHOW QUERIES' answer and stay empty.
// An HTTP failure, a non-200 answer (its ksqlDB error message is included) or an answer
// without a "queries" entity is an error.
func (c *Client) Queries(ctx context.Context) ([]Query, error) {
	if c.http == nil {
		return nil, ErrNoSQL
	}
	url := c.cfg.SQLServer + "/ksql"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"ksql":"SHOW QUERIES;","streamsProperties":{}}`))
	if err != nil {
		return nil, fmt.Errorf("listing queries: %w", err)
	}
	req.Header.Set("Content-Type", ksqlContentType)
	req.Header.Set("Accept", ksqlContentType+", application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("listing queries from %s: %w", c.cfg.SQLServer, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxQueriesBody))
	if err != nil {
		return nil, fmt.Errorf("listing queries from %s: reading the answer: %w", c.cfg.SQLServer, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			return nil, fmt.Errorf("listing queries from %s: %s: %s", c.cfg.SQLServer, resp.Status, e.Message)
		}
		return nil, fmt.Errorf("listing queries from %s: %s", c.cfg.SQLServer, resp.Status)
	}
	var entities []struct {
		Type    string         `json:"@type"`
		Queries []runningQuery `json:"queries"`
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&entities); err != nil {
		return nil, fmt.Errorf("listing queries from %s: the answer is not a list of entities: %w", c.cfg.SQLServer, err)
	}
	for _, e := range entities {
		if e.Type != "queries" {
			continue
		}
		out := make([]Query, 0, len(e.Queries))
		for _, rq := range e.Queries {
			out = append(out, toQuery(rq))
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out, nil
	}
	return nil, fmt.Errorf("listing queries from %s: no queries entity in the answer", c.cfg.SQLServer)
}

// toQuery converts one entry.
func toQuery(rq runningQuery) Query {
	q := Query{ID: rq.ID, State: rq.State, SQL: rq.QueryString, Sinks: rq.Sinks, Processed: -1, Skipped: -1, Late: -1}
	if len(q.Sinks) == 0 {
		q.Sinks = rq.SinkKafkaTopics
	}
	if q.State == "" && len(rq.StatusCount) > 0 {
		states := make([]string, 0, len(rq.StatusCount))
		for s := range rq.StatusCount {
			states = append(states, s)
		}
		sort.Strings(states)
		q.State = strings.Join(states, ",")
	}
	if s := rq.Streamlite; s != nil {
		if s.Processed != nil {
			q.Processed = *s.Processed
		}
		if s.Skipped != nil {
			q.Skipped = *s.Skipped
		}
		if s.Late != nil {
			q.Late = *s.Late
		}
		q.Error = s.Error
	}
	return q
}
