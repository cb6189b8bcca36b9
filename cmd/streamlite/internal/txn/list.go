package txn

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

func newListCommand(cf *clientflags.Flags) *cobra.Command {
	var (
		states      []string
		producerIDs []int64
		running     time.Duration
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List transactional IDs with their producer ID and transaction state",
		Long: `List the transactional IDs every transaction coordinator knows:
TRANSACTIONAL-ID, PRODUCER-ID and STATE, sorted by ID.

STATE is the state of the ID's latest transaction, in Kafka's names: Empty
(no transaction yet), Ongoing, PrepareCommit, PrepareAbort, CompleteCommit,
CompleteAbort, PrepareEpochFence, Dead. --state keeps IDs in the given
states (any case: ongoing, complete-commit, ...); --producer-id keeps IDs
using the given producer IDs; --duration keeps transactions running longer
than the given time (an Ongoing transaction started over --duration ago
is likely hanging; needs Kafka 3.8 or later). Filters combine with AND.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for i, s := range states {
				c, err := canonicalState(s)
				if err != nil {
					return err
				}
				states[i] = c
			}
			if running < 0 {
				return fmt.Errorf("invalid --duration %s: must not be negative", running)
			}
			ctx := cmd.Context()
			c, err := newClient(cf)
			if err != nil {
				return err
			}
			defer c.close()

			listed, err := c.listTransactions(ctx, listFilter{States: states, ProducerIDs: producerIDs, Running: running})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TRANSACTIONAL-ID\tPRODUCER-ID\tSTATE")
			for _, l := range listed {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", l.TxnID, optInt(l.ProducerID), dash(l.State))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "keep only transactions in these states (comma-separated; Ongoing, CompleteCommit, ...)")
	cmd.Flags().Int64SliceVar(&producerIDs, "producer-id", nil, "keep only transactions of these producer IDs (comma-separated)")
	cmd.Flags().DurationVar(&running, "duration", 0, "keep only transactions running longer than this (e.g. 5m; 0 keeps all)")
	return cmd
}
