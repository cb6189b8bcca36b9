package tuicmd

import (
	"bytes"
	"slices"
	"testing"

	"github.com/muesli/termenv"
	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
	"github.com/streamlite/streamlite/tui/cluster"
)

// parse runs the command's flag parsing and pre-runs (environment defaults) on args, with
// RunE replaced, and returns the cluster config the flags give.
func parse(t *testing.T, args ...string) (cluster.Config, *flags, error) {
	t.Helper()
	cmd := NewCommand()
	var got *flags
	var cfgErr error
	var cfg cluster.Config
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		got = flagsOf(c)
		cfg, cfgErr = got.config()
		return nil
	}
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		return cluster.Config{}, nil, err
	}
	return cfg, got, cfgErr
}

// flagsOf reads the flags back from a parsed command.
func flagsOf(c *cobra.Command) *flags {
	fl := c.Flags()
	brokers, _ := fl.GetStringSlice("brokers")
	registry, _ := fl.GetString("registry")
	sqlServer, _ := fl.GetString("sql-server")
	timeout, _ := fl.GetDuration("timeout")
	noColor, _ := fl.GetBool("no-color")
	return &flags{conn: &clientflags.Flags{Brokers: brokers}, registry: registry, sqlServer: sqlServer, timeout: timeout, noColor: noColor}
}

func TestDefaults(t *testing.T) {
	for _, env := range []string{"STREAMLITE_BROKERS", "STREAMLITE_REGISTRY", "STREAMLITE_SCHEMA_REGISTRY", "STREAMLITE_SQL_SERVER", "STREAMLITE_SERVER", "STREAMLITE_TIMEOUT"} {
		t.Setenv(env, "")
	}
	cfg, f, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	want := cluster.Config{Brokers: []string{"127.0.0.1:9092"}, Registry: "http://127.0.0.1:8081", SQLServer: "http://127.0.0.1:8088"}
	if !slices.Equal(cfg.Brokers, want.Brokers) || cfg.Registry != want.Registry || cfg.SQLServer != want.SQLServer {
		t.Fatalf("config %+v, want %+v", cfg, want)
	}
	if f.timeout.String() != "5s" || f.noColor {
		t.Fatalf("timeout %s, no-color %v", f.timeout, f.noColor)
	}
}

func TestEnvironmentAndFlags(t *testing.T) {
	t.Setenv("STREAMLITE_BROKERS", "a:1,b:2")
	t.Setenv("STREAMLITE_REGISTRY", "")
	t.Setenv("STREAMLITE_SCHEMA_REGISTRY", "reg:8081") // the schema command's variable
	t.Setenv("STREAMLITE_SQL_SERVER", "http://sql:1/")
	t.Setenv("STREAMLITE_SERVER", "http://ignored:2")
	t.Setenv("STREAMLITE_TIMEOUT", "2s")
	cfg, f, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Brokers, []string{"a:1", "b:2"}) || cfg.Registry != "http://reg:8081" || cfg.SQLServer != "http://sql:1" || f.timeout.String() != "2s" {
		t.Fatalf("config %+v, timeout %s", cfg, f.timeout)
	}
	// Flags win; "" leaves a companion out.
	cfg, _, err = parse(t, "--brokers", "c:3", "--registry", "", "--sql-server", "off")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Brokers, []string{"c:3"}) || cfg.Registry != "" || cfg.SQLServer != "" {
		t.Fatalf("config %+v", cfg)
	}
	if _, _, err := parse(t, "--timeout", "0s"); err == nil {
		t.Fatal("a zero timeout was accepted")
	}
}

func TestNoColor(t *testing.T) {
	if p := renderer(&bytes.Buffer{}, true).ColorProfile(); p != termenv.Ascii {
		t.Fatalf("--no-color profile %v, want Ascii", p)
	}
	t.Setenv("NO_COLOR", "1")
	t.Setenv("CLICOLOR_FORCE", "1")
	if p := renderer(&bytes.Buffer{}, false).ColorProfile(); p != termenv.Ascii {
		t.Fatalf("NO_COLOR profile %v, want Ascii", p)
	}
}
