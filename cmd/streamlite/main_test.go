package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

func TestRootRegistersCommands(t *testing.T) {
	root := newRootCommand()
	for _, name := range []string{"up", "topic", "produce", "consume", "bench", "group", "txn", "meta", "schema", "restore", "sql", "sql-server"} {
		if c, _, err := root.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("subcommand %s: %v", name, err)
		}
	}
}

// TestRootEndToEnd runs the whole binary's command tree: create, produce,
// consume, with the brokers from the environment.
func TestRootEndToEnd(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Setenv("STREAMLITE_BROKERS", strings.Join(c.ListenAddrs(), ","))

	run := func(stdin string, args ...string) string {
		t.Helper()
		root := newRootCommand()
		var out bytes.Buffer
		root.SetIn(strings.NewReader(stdin))
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(args)
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("streamlite %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	run("", "topic", "create", "e2e", "-p", "2")
	run("a b\nc d\n", "produce", "e2e", "-k", " ", "-p", "1")
	if got, want := run("", "consume", "e2e", "-e", "-f", `%p %k %v\n`), "1 a b\n1 c d\n"; got != want {
		t.Fatalf("consume: got %q, want %q", got, want)
	}
	if got := run("", "topic", "list"); !strings.Contains(got, "e2e   2           1") {
		t.Fatalf("topic list: %q", got)
	}
}
