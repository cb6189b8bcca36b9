// Package tuicmd is `streamlite tui`: the terminal topic browser (package tui) over a
// cluster reached as a Kafka client (--brokers), its schema registry (--registry) and its
// SQL server (--sql-server). Every flag defaults from STREAMLITE_<FLAG>; a registry or SQL
// server that does not answer only shows "not reachable" on its screen.
package tuicmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/schema"
	"github.com/streamlite/streamlite/sql/rest"
	"github.com/streamlite/streamlite/tui"
	"github.com/streamlite/streamlite/tui/cluster"
)

// DefaultSQLServer is where `streamlite up` serves the SQL server (ksqlDB's port).
const DefaultSQLServer = "http://" + rest.DefaultAddr

// envSQLServer is the SQL shell's variable for its --server, read when STREAMLITE_SQL_SERVER
// is not set.
const envSQLServer = "STREAMLITE_SERVER"

type flags struct {
	conn      *clientflags.Flags
	registry  string
	sqlServer string
	timeout   time.Duration
	noColor   bool
}

// NewCommand returns the `tui` command.
func NewCommand() *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "tui",
		Short: "Browse topics, records, consumer groups, schemas and SQL queries in the terminal",
		Long: `Open the terminal topic browser on a cluster: topics and their partitions, records
(live tail with f, filter with /), consumer groups and their lag, schema registry subjects and
the SQL server's queries. Keys as in k9s: ':' switches screen (topics, groups, schemas, queries,
topic NAME, records NAME, group ID), '/' filters, '?' shows every key, esc goes back, q quits.

It is a Kafka client, so it works against any Kafka cluster. A registry or SQL server that does
not answer only shows "not reachable" on its screen; --registry "" or --sql-server "" leaves
them out. NO_COLOR or --no-color draws plain text.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd, f) },
	}
	f.conn = clientflags.Add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.registry, "registry", schema.DefaultRegistry, "schema registry URL, \"\" for none (env STREAMLITE_REGISTRY or "+schema.EnvRegistry+")")
	fl.StringVar(&f.sqlServer, "sql-server", DefaultSQLServer, "SQL server URL, \"\" for none (env STREAMLITE_SQL_SERVER or "+envSQLServer+")")
	fl.DurationVar(&f.timeout, "timeout", tui.DefaultTimeout, "how long one request to the cluster may take (env STREAMLITE_TIMEOUT)")
	fl.BoolVar(&f.noColor, "no-color", false, "plain text, no colours (also NO_COLOR=1)")
	// The variables the schema and sql commands read are honoured too.
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		fallbackEnv(cmd, "registry", schema.EnvRegistry, &f.registry)
		fallbackEnv(cmd, "sql-server", envSQLServer, &f.sqlServer)
		return nil
	}
	return cmd
}

// fallbackEnv sets *v from the environment variable env when flag was neither given nor
// set from its own STREAMLITE_ variable.
func fallbackEnv(cmd *cobra.Command, flag, env string, v *string) {
	if cmd.Flags().Changed(flag) || os.Getenv(clientflags.EnvName(flag)) != "" {
		return
	}
	if s := os.Getenv(env); s != "" {
		*v = s
	}
}

// config is the cluster configuration the flags give.
func (f *flags) config() (cluster.Config, error) {
	seeds, err := f.conn.SeedBrokers()
	if err != nil {
		return cluster.Config{}, err
	}
	if f.timeout <= 0 {
		return cluster.Config{}, fmt.Errorf("--timeout %s: want a positive duration", f.timeout)
	}
	return cluster.Config{
		Brokers:   seeds,
		Registry:  normalizeURL(f.registry),
		SQLServer: normalizeURL(f.sqlServer),
	}, nil
}

// normalizeURL adds http:// to a bare host:port; "" and "off" mean none.
func normalizeURL(u string) string {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	if u == "" || u == "off" {
		return ""
	}
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	return u
}

// renderer returns a renderer for out with the colours the terminal and the environment
// allow (NO_COLOR and CLICOLOR honoured), plain text with --no-color.
func renderer(out io.Writer, noColor bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(out)
	profile := termenv.NewOutput(out).EnvColorProfile()
	if noColor {
		profile = termenv.Ascii
	}
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(true) // never query the terminal from inside the program
	return r
}

func run(cmd *cobra.Command, f *flags) error {
	cfg, err := f.config()
	if err != nil {
		return err
	}
	cl, err := cluster.New(cfg)
	if err != nil {
		return fmt.Errorf("tui: %w", err)
	}
	defer cl.Close()
	out := os.Stdout
	m := tui.New(tui.FromClient(cl), tui.Options{
		Brokers:   strings.Join(cfg.Brokers, ","),
		Timeout:   f.timeout,
		Renderer:  renderer(out, f.noColor),
		Clipboard: out,
		Context:   cmd.Context(),
	})
	defer m.Close()
	model, output, stop, err := instrument(m, out)
	if err != nil {
		return err
	}
	defer stop()
	p := tea.NewProgram(model, tea.WithAltScreen(), tea.WithContext(cmd.Context()), output, tea.WithInput(os.Stdin))
	if _, err := p.Run(); err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && cmd.Context().Err() != nil {
			return nil // SIGTERM or the first Ctrl-C outside the terminal's raw mode
		}
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}
