// Package sqlcli is `streamlite sql` and `streamlite sql-server`: the SQL
// client against a ksqlDB-compatible REST server (ours or ksqlDB), either
// the interactive shell (shell.go) or a file of statements (-f), and the SQL
// server that runs persistent queries beside any Kafka cluster.
package sqlcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/parser"
	"github.com/streamlite/streamlite/sql/rest"
)

// NewCommand returns `streamlite sql`.
func NewCommand() *cobra.Command {
	var server, file, output string
	cmd := &cobra.Command{
		Use:   "sql",
		Short: "SQL shell, or a file of statements, against the SQL server (ksqlDB-compatible)",
		Long: `Open the SQL shell on the SQL server that ` + "`streamlite up`" + ` runs on http://127.0.0.1:8088,
or any ksqlDB-compatible server (--server): ksqlDB's CLI in shape, with a ksql> prompt,
statements ending in ';', history (~/.streamlite/sql_history, or $STREAMLITE_SQL_HISTORY), TAB
completion from the server's catalog, and push queries printed live until Ctrl-C. The shell sets
auto.offset.reset to 'earliest' for its session. Type 'help' in it for its commands.

With -f, run a file of SQL statements instead. Statements run in order; SET and UNSET apply to
the statements after them. The first failing statement stops the run with its line and column,
and the command exits non-zero.`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			return clientflags.ApplyEnv(cmd)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return runShell(cmd, server, output)
			}
			var src []byte
			var err error
			if file == "-" {
				src, err = io.ReadAll(cmd.InOrStdin())
			} else {
				src, err = os.ReadFile(file)
			}
			if err != nil {
				return err
			}
			c := &Client{URL: strings.TrimRight(server, "/"), HTTP: &http.Client{Timeout: 2 * time.Minute}}
			return RunScript(cmd.Context(), c, file, string(src), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&server, "server", "http://"+rest.DefaultAddr, "SQL server URL (env STREAMLITE_SERVER)")
	cmd.Flags().StringVarP(&file, "file", "f", "", "file of statements to run (- for stdin)")
	cmd.Flags().StringVar(&output, "output", "table", "how the shell prints results: table, changelog (+/- rows) or json")
	return cmd
}

// Client is a client of ksqlDB's REST API.
type Client struct {
	URL  string
	HTTP *http.Client
}

// ServerError is an error entity the server answered with.
type ServerError struct {
	Status    int
	Code      int    `json:"error_code"`
	Message   string `json:"message"`
	Statement string `json:"statementText"`
}

func (e *ServerError) Error() string { return e.Message }

// KSQL posts statements to /ksql and returns the entities.
func (c *Client) KSQL(ctx context.Context, statements string, props map[string]string) ([]map[string]any, error) {
	body, err := json.Marshal(map[string]any{"ksql": statements, "streamsProperties": props})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/ksql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", rest.ContentType)
	req.Header.Set("Accept", rest.ContentType)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("SQL server %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("SQL server %s: reading the answer: %w", c.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		se := &ServerError{Status: resp.StatusCode}
		if json.Unmarshal(b, se) != nil || se.Message == "" {
			se.Message = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
		}
		return nil, se
	}
	var out []map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("SQL server %s: unexpected answer: %w", c.URL, err)
	}
	return out, nil
}

// RunScript runs the statements of src (from file name) one at a time,
// printing each result to w. SET and UNSET are kept here and sent with the
// statements after them, as ksqlDB's CLI does.
func RunScript(ctx context.Context, c *Client, name, src string, w io.Writer) error {
	stmts, perr := parser.ParseScript(src)
	props := map[string]string{}
	for _, st := range stmts {
		at := st.Pos()
		switch st := st.(type) {
		case *ast.SetProperty:
			props[st.Name] = st.Value
			fmt.Fprintf(w, "Successfully changed local property '%s' to '%s'.\n", st.Name, st.Value)
			continue
		case *ast.UnsetProperty:
			delete(props, st.Name)
			fmt.Fprintf(w, "Successfully unset local property '%s'.\n", st.Name)
			continue
		}
		ents, err := c.KSQL(ctx, st.Source()+";", props)
		if err != nil {
			var se *ServerError
			if errors.As(err, &se) {
				line, col, msg := relocate(se.Message, at)
				return fmt.Errorf("%s:%d:%d: %s\nstatement: %s", name, line, col, msg, firstLine(st.Source()))
			}
			return err
		}
		for _, e := range ents {
			printEntity(w, e)
		}
	}
	if perr != nil {
		var pe *parser.Error
		if errors.As(perr, &pe) {
			return fmt.Errorf("%s:%d:%d: %s", name, pe.Line, pe.Column, pe.Message)
		}
		return fmt.Errorf("%s: %w", name, perr)
	}
	return nil
}

// relocate turns a server message that starts "line L:C: " (a position
// within the statement) into a position in the file, the statement
// starting at at, and the rest of the message. Without a position, the
// statement's own is given.
func relocate(msg string, at ast.Pos) (line, col int, rest string) {
	var l, c int
	if n, _ := fmt.Sscanf(msg, "line %d:%d:", &l, &c); n == 2 {
		if _, after, ok := strings.Cut(msg, ": "); ok {
			if l == 1 {
				c += at.Column - 1
			}
			return l + at.Line - 1, c, after
		}
	}
	return at.Line, at.Column, msg
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// printEntity prints one of ksqlDB's result entities as text.
func printEntity(w io.Writer, e map[string]any) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	str := func(m map[string]any, k string) string {
		if v, ok := m[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	list := func(k string) []map[string]any {
		var out []map[string]any
		if l, ok := e[k].([]any); ok {
			for _, x := range l {
				if m, ok := x.(map[string]any); ok {
					out = append(out, m)
				}
			}
		}
		return out
	}
	switch e["@type"] {
	case "currentStatus":
		cs, _ := e["commandStatus"].(map[string]any)
		fmt.Fprintln(tw, str(cs, "message"))
	case "streams", "tables":
		kind := e["@type"].(string)
		fmt.Fprintf(tw, "%s Name\tKafka Topic\tKey Format\tValue Format\n", strings.TrimSuffix(strings.ToUpper(kind[:1])+kind[1:], "s"))
		for _, s := range list(kind) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", str(s, "name"), str(s, "topic"), str(s, "keyFormat"), str(s, "valueFormat"))
		}
	case "queries":
		fmt.Fprintln(tw, "Query ID\tStatus\tSink Name\tSink Kafka Topic\tProcessed\tSkipped\tLate")
		for _, q := range list("queries") {
			sinks, _ := q["sinks"].([]any)
			topics, _ := q["sinkKafkaTopics"].([]any)
			st, _ := q["streamlite"].(map[string]any)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", str(q, "id"), str(q, "state"), join(sinks), join(topics),
				str(st, "processed"), str(st, "skipped"), str(st, "late"))
			if e := str(st, "error"); e != "" {
				fmt.Fprintf(tw, "  error: %s\n", e)
			}
		}
	case "properties":
		fmt.Fprintln(tw, "Property\tValue")
		props := list("properties")
		slices.SortFunc(props, func(a, b map[string]any) int { return strings.Compare(str(a, "name"), str(b, "name")) })
		for _, p := range props {
			fmt.Fprintf(tw, "%s\t%s\n", str(p, "name"), str(p, "value"))
		}
	case "sourceDescription":
		sd, _ := e["sourceDescription"].(map[string]any)
		fmt.Fprintf(tw, "Name\t: %s\n", str(sd, "name"))
		if fs, ok := sd["fields"].([]any); ok {
			fmt.Fprintln(tw, " Field\t| Type")
			for _, x := range fs {
				f, _ := x.(map[string]any)
				sch, _ := f["schema"].(map[string]any)
				t := str(sch, "type")
				if str(f, "type") == "KEY" {
					t += " (key)"
				}
				fmt.Fprintf(tw, " %s\t| %s\n", str(f, "name"), t)
			}
		}
	default:
		b, _ := json.MarshalIndent(e, "", "  ")
		fmt.Fprintln(tw, string(b))
	}
}

func join(vs []any) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}
