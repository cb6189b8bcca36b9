// Package meta implements `streamlite meta`: log, snapshot and describe, the
// people's view of streamlite's metadata log (its KRaft-style log of every
// change of cluster state).
//
// log reads the internal topic __cluster_metadata through the Kafka
// protocol, so it needs only --brokers; each record there is one change,
// keyed by its record type, with a JSON value
//
//	{"index": 12, "type": "TopicCreated", "record": {"name": "orders", ...}}
//
// snapshot and describe talk to the broker's admin HTTP listener
// (--admin-addr, default 127.0.0.1:9644, what `streamlite up` prints):
// POST /v1/metadata/snapshot and GET /v1/metadata. These are streamlite's
// own: other Kafka brokers have neither the topic in this form nor the
// endpoints.
package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
	"github.com/streamlite/streamlite/engine/admin"
)

// NewCommand returns the `meta` command with its verbs.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "meta",
		Aliases: []string{"metadata"},
		Short:   "Read the metadata log, snapshot it and describe it (streamlite brokers only)",
		Args:    cobra.NoArgs,
	}
	cf := clientflags.Add(cmd)
	cmd.AddCommand(
		newLogCommand(cf),
		newSnapshotCommand(),
		newDescribeCommand(),
	)
	return cmd
}

// addAdminAddr registers --admin-addr on cmd; clientflags.ApplyEnv (the
// parent's PersistentPreRunE) fills it from STREAMLITE_ADMIN_ADDR.
func addAdminAddr(cmd *cobra.Command) *string {
	addr := new(string)
	cmd.Flags().StringVar(addr, "admin-addr", admin.DefaultAddr,
		"the broker's admin HTTP address, host:port or a URL (env "+clientflags.EnvName("admin-addr")+")")
	return addr
}

// requestTimeout bounds one admin request: a snapshot of a large state
// takes a while, a broker that answers nothing should not hang the CLI.
const requestTimeout = 2 * time.Minute

// adminClient calls the broker's admin HTTP API.
type adminClient struct {
	base string // scheme://host:port, no trailing slash
	http *http.Client
}

// newAdminClient returns a client for addr: host:port (http is assumed)
// or a URL with its scheme.
func newAdminClient(addr string) (*adminClient, error) {
	addr = strings.TrimRight(strings.TrimSpace(addr), "/")
	if addr == "" {
		return nil, fmt.Errorf("no admin address: set --admin-addr or %s", clientflags.EnvName("admin-addr"))
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return &adminClient{base: addr, http: &http.Client{Timeout: requestTimeout}}, nil
}

// errorBody is the JSON error every streamlite REST surface answers with.
type errorBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// do sends method to path and returns the body of a 200 answer. Any other
// status is an error carrying the broker's message.
func (c *adminClient) do(ctx context.Context, method, path string) ([]byte, error) {
	url := c.base + path
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, fmt.Errorf("admin request %s %s: %w", method, url, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", method, url, ctx.Err())
		}
		return nil, fmt.Errorf("reaching the broker's admin API (is the broker up? its admin address is --admin-addr, env %s): %w",
			clientflags.EnvName("admin-addr"), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the answer to %s %s: %w", method, url, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e errorBody
		if json.Unmarshal(body, &e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(body))
		}
		return nil, fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, e.Message)
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("%s %s: the answer is not JSON: %.200q", method, url, body)
	}
	return body, nil
}

// writeLine writes b followed by a newline unless it ends with one.
func writeLine(w io.Writer, b []byte) error {
	b = bytes.TrimRight(b, "\n")
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// checkOutput validates an --output value against the formats allowed.
func checkOutput(output string, allowed ...string) error {
	for _, a := range allowed {
		if output == a {
			return nil
		}
	}
	return fmt.Errorf("invalid --output %q: want %s", output, strings.Join(allowed, " or "))
}
