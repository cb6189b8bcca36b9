package topic

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

func newListCommand(cf *clientflags.Flags) *cobra.Command {
	var internal bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List topics with their partition and replica counts",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, err := cf.NewAdmin()
			if err != nil {
				return err
			}
			defer adm.Close()

			var details kadm.TopicDetails
			if internal {
				details, err = adm.ListTopicsWithInternal(cmd.Context())
			} else {
				details, err = adm.ListTopics(cmd.Context())
			}
			if err != nil {
				return fmt.Errorf("listing topics: %w", err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPARTITIONS\tREPLICAS")
			for _, name := range details.Names() {
				d := details[name]
				if d.Err != nil {
					fmt.Fprintf(tw, "%s\t-\t-\t%s\n", name, clientflags.BrokerError(d.Err, ""))
					continue
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\n", name, len(d.Partitions), replicaCount(d))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&internal, "internal", false, "include internal topics (__consumer_offsets, ...)")
	return cmd
}

// replicaCount is the replication factor of a topic: the replica count of
// its first partition (Kafka keeps it equal across partitions).
func replicaCount(d kadm.TopicDetail) int {
	for _, p := range d.Partitions.Sorted() {
		return len(p.Replicas)
	}
	return 0
}
