// Command streamlite is the streamlite CLI: `streamlite up` starts the
// broker, and the client commands (topic, produce, consume, group, txn,
// meta, schema, bench, sql) work against it or any other Kafka cluster. Flags default from
// STREAMLITE_* environment variables (STREAMLITE_BROKERS for --brokers).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/bench"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/consume"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/group"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/meta"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/produce"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/restore"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/schema"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/sqlcli"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/topic"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/tuicmd"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/txn"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/up"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, restore the default handling, so that a
	// second Ctrl-C ends a command stuck in its clean-up.
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := newRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}

// newRootCommand returns `streamlite` with every subcommand registered.
func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "streamlite",
		Short:         "A single-node, Kafka-compatible streaming platform for developers",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		up.NewCommand(),
		topic.NewCommand(),
		group.NewCommand(),
		txn.NewCommand(),
		meta.NewCommand(),
		produce.NewCommand(),
		consume.NewCommand(),
		bench.NewCommand(),
		schema.NewCommand(),
		restore.NewCommand(),
		sqlcli.NewCommand(),
		sqlcli.NewServerCommand(),
		tuicmd.NewCommand(),
	)
	return root
}
